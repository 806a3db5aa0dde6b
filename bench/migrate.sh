#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/migrate.sh [--icount] [MIB [REPS]]: in one numa2 VM run, time
# moving MIB MiB (default 512) of 4 KiB and of THP memory from node 0 to
# node 1 and back with one move_pages call, migrate_pages(2), and libcdm
# with 1 and 2 threads, plus a memcpy of the same size; print the table of
# medians of REPS (default 5) and the ratios, once with the memory in the
# benchmark's own process and once in a child (as cdmctl and cdmd move
# another process's memory). VM timing is emulated (TCG):
# only the ratios mean anything. With --icount the guest clock counts
# executed instructions (vm-run --icount): repeatable, but blind to what
# memory accesses cost QEMU, and the vCPUs take turns, so 2 threads gain
# nothing there. Needs make all and a kernel for scripts/vm-run.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
icount=
if [ "${1:-}" = --icount ]; then
	icount=--icount
	shift
fi
mib=${1:-512} reps=${2:-5}
bin=$top/build/bench/migrate-bench
[ -x "$bin" ] || { echo "migrate.sh: $bin missing (make all)" >&2; exit 1; }

echo "cdm migration benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "guest: numa2 (node 0: 2 CPUs + 2 GiB, node 1: CPU-less 2 GiB), QEMU TCG${icount:+ with -icount (1 ns = 1 instruction)}, kernel ${CDM_BENCH_KERNEL:-cdm}"
"$top/scripts/vm-run" --topology numa2 --kernel "${CDM_BENCH_KERNEL:-cdm}" $icount --timeout 3600 -- \
	sh -c "echo 0 >/proc/sys/kernel/numa_balancing; uname -r | sed 's/^/# guest kernel /'; \
	       /cdm/build/bench/migrate-bench $mib $reps"
