#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Isolation under pressure: tmpfs, anonymous memory, page cache and slab
# pushed past node 0's size put nothing on a CDM node (project kernel,
# cdm_nodes=1), while the stock kernel spills into node 1 (baseline).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
g=$CDM_GUEST_TOP/tests/vm/guest/cdm-isolation.sh

diag "project kernel, node 1 is CDM"
vm_tap --topology numa2 --memory 0=1G --append cdm_nodes=1 -- "$g" cdm
diag "stock kernel (baseline)"
vm_tap --topology numa2 --memory 0=1G --kernel stock -- "$g" stock
done_testing
