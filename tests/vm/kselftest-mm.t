#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The kernel's mm selftests for migration and NUMA pass on the project's
# kernel with node 1 as a CDM node, as they do on the stock kernel.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
g=$CDM_GUEST_TOP/tests/vm/guest/kselftest-mm.sh

diag "project kernel, node 1 is CDM"
vm_tap --topology numa2-4cpu --append cdm_nodes=1 -- "$g"
diag "stock kernel"
vm_tap --topology numa2-4cpu --kernel stock -- "$g"
done_testing
