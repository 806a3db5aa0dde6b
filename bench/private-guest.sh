#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# private-guest.sh MIB REPS: the guest side of bench/private.sh. Loads
# test_hmm and cdm_private (one pool, room for MIB MiB), runs
# private-bench for each driver and page kind, prints its lines.
mib=${1:-256} reps=${2:-3}
bench=$CDM_TOP/build/kselftest/cdm/private-bench
modprobe test_hmm || { echo "private-guest: no test_hmm module" >&2; exit 1; }
modprobe cdm_private capacity_mb=$((mib + 64)) chunk_mb=64 ||
	{ echo "private-guest: cdm_private does not load" >&2; exit 1; }
rc=0
for kind in 4k thp; do
	for driver in dmirror cdm_private cdm_private+read; do
		"$bench" $driver $kind "$mib" "$reps" || rc=1
	done
done
rmmod cdm_private test_hmm
exit $rc
