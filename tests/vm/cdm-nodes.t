#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The N_COHERENT_DEVICE node state from cdm_nodes=, hostile values of it,
# and its effect on zonelists and demotion targets (project kernel).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
g=$CDM_GUEST_TOP/tests/vm/guest/cdm-nodes.sh

diag "numa2, no cdm_nodes="
vm_tap --topology numa2 -- "$g" ""
diag "numa2, cdm_nodes=1"
vm_tap --topology numa2 --append cdm_nodes=1 -- "$g" 1 "cdm: coherent device memory nodes: 1"
diag "numa3, cdm_nodes=1-2"
vm_tap --topology numa3 --append cdm_nodes=1-2 -- "$g" 1-2
diag "cxl, cdm_nodes=1, node 1 hot-added by --cxl-online"
vm_tap --topology cxl --cxl-online --append cdm_nodes=1 -- "$g" 1
diag "cxl without cdm_nodes=: node 1 is node 0's demotion target (the test can see demotion)"
out=$("$cdm_top/scripts/vm-run" --topology cxl --cxl-online -- sh -c 'dmesg | grep "Demotion targets for Node 0" | tail -n 1')
check "without CDM, node 0 demotes to the CXL node" grep -q 'preferred: 1' <<<"$out"
diag "hostile cdm_nodes= values"
vm_tap --topology numa2 --append cdm_nodes=garbage -- "$g" "" "cdm_nodes=garbage: not a node list"
vm_tap --topology numa2 --append cdm_nodes=9 -- "$g" "" "cdm_nodes: node 9 does not exist"
vm_tap --topology numa2 --append cdm_nodes= -- "$g" "" "cdm_nodes=: not a node list"
out=$("$cdm_top/scripts/vm-run" --kernel stock -- sh -c 'test -e /sys/devices/system/node/has_coherent_device && echo present || echo absent')
is "$out" absent "the stock kernel has no has_coherent_device (baseline)"
done_testing
