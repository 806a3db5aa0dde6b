#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Explicit requests reach a CDM node: every memory policy, numactl,
# __GFP_THISNODE, move_pages, migrate_pages and cpusets, on the project
# kernel with cdm_nodes=1 and, as the reference, on the stock kernel.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
g=$CDM_GUEST_TOP/tests/vm/guest/cdm-access.sh

diag "project kernel, node 1 is CDM"
vm_tap --topology numa2 --append cdm_nodes=1 -- "$g"
diag "stock kernel (reference)"
vm_tap --topology numa2 --kernel stock -- "$g"
done_testing
