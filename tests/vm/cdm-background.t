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
# Node 0 small enough to make reclaim run soon; on the debug kernel
# (make check-debug) KASAN's shadow and quarantine take a good part of
# 512 MiB, and the OOM killer ran out of victims there.
mem0=512M
[ "${CDM_TEST_KERNEL:-cdm}" != debug ] || mem0=1G
diag "cxl, node 1 hot-added and CDM: reclaim demotion"
vm_tap --topology cxl --cxl-online --memory 0=$mem0 --append "cdm_nodes=1 numa_balancing=enable" -- "$g" demotion cdm
diag "cxl, node 1 hot-added, not CDM: reclaim demotion (baseline)"
vm_tap --topology cxl --cxl-online --memory 0=$mem0 --append numa_balancing=enable -- "$g" demotion baseline
done_testing
