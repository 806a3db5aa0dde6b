#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/copy-engine.sh [MIB [REPS]]: in one cxl VM run, time move_pages(2)
# of MIB MiB (default 16) of 4 KiB pages and of THP from node 0 to the CXL
# node onlined by cxl_cdm and back (median of REPS, default 3), copied by:
#   core-cpu-copy     the migration core's own CPU copy (the engine
#                     declines every batch: as without the driver)
#   cpu-engine        cxl_cdm's CPU engine, the batch split over the CPUs
#   dma-N             the software DMA provider (tests/kernel/
#                     cdm_test_dma.ko) with N = 1, 2, 4 channels
# each with the cost thresholds on (defaults) and off (-no-threshold).
# Prints a table: medians, ratio to core-cpu-copy, and the folios the
# engine copied by DMA and by its CPU workers. The guest is QEMU TCG and
# the DMA "engine" is the CPU in a kernel thread, CXL memory is emulated
# access by access: the ratios show the engine's overheads and how it
# scales over channels and CPUs, not what DMA hardware gains.
# Needs make all, make modules and a kernel for scripts/vm-run.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mib=${1:-16} reps=${2:-3}
for f in move-bench copy-engine-guest.sh; do
	[ -x "$top/build/bench/$f" ] || { echo "copy-engine.sh: build/bench/$f missing (make all)" >&2; exit 1; }
done

echo "cdm copy engine benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "guest: cxl (node 0: 2 CPUs, CXL expander as CDM node 1 via cxl_cdm), QEMU TCG; $mib MiB, median of $reps"
out=$("$top/scripts/vm-run" --topology cxl --memory 0=1G --timeout 3600 -- \
	/cdm/build/bench/copy-engine-guest.sh "$mib" "$reps" 2>&1) || {
	echo "$out" >&2
	exit 1
}
echo "$out" | awk '
	$3 == "to_ms" {
		key = $1 " " $2; to[key] = $4; back[key] = $6; bad[key] = $8 + $10
		dma[key] = $12; cpu[key] = $14; order[n++] = key
		if ($1 == "core-cpu-copy") { base_to[$2] = $4; base_back[$2] = $6 }
	}
	END {
		printf "%-26s %-4s %9s %9s %7s %7s %6s %6s %s\n", "case", "kind", "to ms", "back ms",
			"to x", "back x", "dma", "cpu", "lost/misplaced"
		for (i = 0; i < n; i++) {
			k = order[i]; split(k, f, " ")
			printf "%-26s %-4s %9.1f %9.1f %7.2f %7.2f %6d %6d %d\n", f[1], f[2], to[k], back[k],
				base_to[f[2]] / to[k], base_back[f[2]] / back[k], dma[k], cpu[k], bad[k]
		}
		print "x: speed relative to core-cpu-copy of the same kind (higher is faster)"
	}'
