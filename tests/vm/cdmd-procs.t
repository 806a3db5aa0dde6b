#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdmd finds its targets by the kernel's process events and walks /proc
# only when they call for it (tests/vm/guest/cdmd-procs.sh).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
diag "project kernel (CONFIG_PROC_EVENTS), numa2"
vm_tap --topology numa2 -- "$CDM_GUEST_TOP/tests/vm/guest/cdmd-procs.sh"
done_testing
