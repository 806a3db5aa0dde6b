#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The migration copy-offload hook with a test engine: 256 MiB moved back
# and forth 20 times, counters, fallbacks, declines and skipped CPU copies.
# On the debug kernel (make check-debug) 64 MiB 5 times: the same paths,
# a sixteenth of the copying, which KASAN makes ~13 times slower.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
size="256 20"
[ "${CDM_TEST_KERNEL:-cdm}" != debug ] || size="64 5"
vm_tap --topology numa2 --append cdm_nodes=1 -- "$CDM_GUEST_TOP/tests/vm/guest/cdm-copy-offload.sh" $size
done_testing
