#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The migration copy-offload hook with a test engine: 256 MiB moved back
# and forth 20 times, counters, fallbacks, declines and skipped CPU copies;
# writers racing 64 MiB x 4 round trips of each folio kind (>= 1e5 folio
# migrations) lose no write; engines per node; unloading mid-run.
# On the debug kernel (make check-debug) a sixteenth of the copying, which
# KASAN makes ~13 times slower: the same paths.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
size="256 20 64 4 100000"
[ "${CDM_TEST_KERNEL:-cdm}" != debug ] || size="64 5 16 2 10000"
vm_tap --topology numa3 --append cdm_nodes=1 -- "$CDM_GUEST_TOP/tests/vm/guest/cdm-copy-offload.sh" $size
# MIGRATE_ASYNC, from NUMA balancing (on from boot: switching it at run
# time patches kernel text, which TCG does not always survive). The debug
# kernel must report the broken engine: that report, and only it, is
# allowed there.
if [ "${CDM_TEST_KERNEL:-cdm}" = debug ]; then
	vm_tap --topology numa3 --append "cdm_nodes=1 numa_balancing=enable" \
		--allow-kernel-report "BUG: sleeping function called from invalid context" -- \
		"$CDM_GUEST_TOP/tests/vm/guest/cdm-copy-offload.sh" async debug
else
	vm_tap --topology numa3 --append "cdm_nodes=1 numa_balancing=enable" -- \
		"$CDM_GUEST_TOP/tests/vm/guest/cdm-copy-offload.sh" async cdm
fi
done_testing
