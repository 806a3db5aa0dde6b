#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdmd's access tracker with DAMON and with idle page tracking on a
# process with a known hot set, and DAMON in use by someone else
# (tests/vm/guest/cdmd-tracker.sh, tests/vm/cdmd/track.c).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
vm_tap -- "$CDM_GUEST_TOP/tests/vm/guest/cdmd-tracker.sh"
done_testing
