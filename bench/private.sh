#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/private.sh [MIB [REPS]]: in one numa2 VM run, move MIB MiB (default
# 256) of anonymous memory to device-private memory and back, median of
# REPS (default 3) round trips, 4 KiB pages and THP, through
#   dmirror           upstream's test driver, lib/test_hmm.c (its
#                     MIGRATE_TO_DEV also reads the range back into the
#                     caller's buffer, to check it)
#   cdm_private       this project's driver (kernel/drivers/cxl-cdm)
#   cdm_private+read  the same, plus a device READ of the range after the
#                     move: the work dmirror's "to" does
# and print a table with each time's ratio to dmirror's (above 1: faster
# than dmirror). Both drivers keep device memory in host pages and copy
# with the CPU; QEMU TCG emulates every access: the ratios compare the
# drivers' paths, the times are not hardware's.
# Needs make all, make modules kselftests and a kernel for scripts/vm-run.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mib=${1:-256} reps=${2:-3}
[ -x "$top/build/kselftest/cdm/private-bench" ] ||
	{ echo "private.sh: build/kselftest/cdm/private-bench missing (make kselftests)" >&2; exit 1; }
[ -x "$top/build/bench/private-guest.sh" ] ||
	{ echo "private.sh: build/bench/private-guest.sh missing (make all)" >&2; exit 1; }

echo "cdm device-private benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "guest: numa2 (node 0: 2 CPUs, 2 GiB), QEMU TCG; $mib MiB, median of $reps round trips"
out=$("$top/scripts/vm-run" --timeout 3600 -- /cdm/build/bench/private-guest.sh "$mib" "$reps" 2>&1) || {
	echo "$out" >&2
	exit 1
}
echo "$out" | awk '
	$3 == "to_ms" {
		key = $1 " " $2; to[key] = $4; back[key] = $6; pages[key] = $8; bad[key] = $10
		order[n++] = key
		if ($1 == "dmirror") { base_to[$2] = $4; base_back[$2] = $6 }
	}
	END {
		printf "%-18s %-4s %9s %9s %7s %7s %8s %s\n", "driver", "kind", "to ms", "back ms",
			"to x", "back x", "pages", "bad"
		for (i = 0; i < n; i++) {
			k = order[i]; split(k, f, " ")
			printf "%-18s %-4s %9.1f %9.1f %7.2f %7.2f %8d %d\n", f[1], f[2], to[k], back[k],
				base_to[f[2]] / to[k], base_back[f[2]] / back[k], pages[k], bad[k]
		}
		print "x: dmirror time / this time, same page kind (above 1: faster than dmirror)"
	}'
