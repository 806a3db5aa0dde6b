#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The migration copy-offload hook with a test engine: 256 MiB moved back
# and forth 20 times, counters, fallbacks, declines and skipped CPU copies.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
vm_tap --topology numa2 --append cdm_nodes=1 -- "$CDM_GUEST_TOP/tests/vm/guest/cdm-copy-offload.sh" 256 20
done_testing
