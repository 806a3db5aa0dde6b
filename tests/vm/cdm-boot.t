#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# No kernel memory on a CDM node named at boot, and demotion past its
# memory tier: numa3 with cdm_nodes=1, and the same kernel without it as
# the reference that the checks can tell apart.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
g=$CDM_GUEST_TOP/tests/vm/guest/cdm-boot.sh

diag "project kernel, node 1 is CDM"
vm_tap --topology numa3 --append cdm_nodes=1 -- "$g"
diag "project kernel without cdm_nodes= (reference)"
vm_tap --topology numa3 -- "$g"
done_testing
