#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdmd counts the free pages on a fast node's per-CPU lists, which MemFree
# leaves out, as room for promotion, without taking MemFree below the low
# watermark (tests/vm/guest/cdmd-cpu-lists.sh).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
diag "project kernel, numa2"
vm_tap --topology numa2 -- "$CDM_GUEST_TOP/tests/vm/guest/cdmd-cpu-lists.sh"
done_testing
