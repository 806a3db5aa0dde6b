#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Explicit requests get from a CDM node what they get from an ordinary
# CPU-less node (nearest node first, fallback between CDM nodes, OOM,
# cpusets, home node, hugetlb pools, kernel allocations under a task's
# policy), default allocations never see it: numa3 with cdm_nodes=1,2 on
# the project kernel; as the reference, the same kernel without
# cdm_nodes= and the stock kernel (no test module there).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
g=$CDM_GUEST_TOP/tests/vm/guest/cdm-explicit.sh

diag "project kernel, nodes 1 and 2 are CDM"
vm_tap --topology numa3 --append cdm_nodes=1,2 -- "$g"
diag "project kernel without cdm_nodes= (reference)"
vm_tap --topology numa3 -- "$g"
diag "stock kernel (reference)"
vm_tap --topology numa3 --kernel stock -- "$g" stock
done_testing
