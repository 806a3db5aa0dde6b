#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Background mechanisms stay out of CDM nodes: default hugetlb pool, huge
# page collapse, NUMA balancing (both modes) and reclaim demotion, each
# beside a baseline run where the same mechanism does move pages in.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
g=$CDM_GUEST_TOP/tests/vm/guest/cdm-background.sh

diag "numa2, project kernel, node 1 is CDM"
vm_tap --topology numa2 --append "cdm_nodes=1 hugepages=16 numa_balancing=enable" -- "$g" cdm
diag "numa2, stock kernel (baseline)"
vm_tap --topology numa2 --kernel stock --append "hugepages=16 numa_balancing=enable" -- "$g" stock
diag "cxl, node 1 hot-added and CDM: reclaim demotion"
vm_tap --topology cxl --cxl-online --memory 0=512M --append "cdm_nodes=1 numa_balancing=enable" -- "$g" demotion cdm
diag "cxl, node 1 hot-added, not CDM: reclaim demotion (baseline)"
vm_tap --topology cxl --cxl-online --memory 0=512M --append numa_balancing=enable -- "$g" demotion baseline
done_testing
