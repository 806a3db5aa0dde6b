#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One cdmd at a time: a second one leaves the first's DAMON and trace
# state alone and exits (tests/vm/guest/cdmd-instance.sh).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
diag "project kernel, numa2"
vm_tap --topology numa2 -- "$CDM_GUEST_TOP/tests/vm/guest/cdmd-instance.sh"
done_testing
