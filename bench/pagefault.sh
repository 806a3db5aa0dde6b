#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/pagefault.sh [--icount] [ROUNDS [MIB]]: does the CDM series cost the page
# allocator's fast path anything? Touch MIB MiB (default 1024) of fresh
# 4 KiB pages, one fault each, on numa2 with three kernels of the same
# configuration:
#   pristine    Debian's source without the series (scripts/kernel-build
#               --pristine), the baseline
#   cdm         the project's kernel, no CDM node
#   cdm+node1   the project's kernel with node 1 marked CDM (cdm_nodes=1)
# ROUNDS (default 5) rounds boot each kernel in turn, so load on the host
# hits all three alike; each boot makes one warm-up run and 5 timed runs.
# Prints every kernel's median, min and max over all timed runs and the
# median's ratio to pristine (target: <= 1.002). VM timing is emulated
# (QEMU TCG): only the ratios mean anything, and the host's noise moves
# them by a few percent between runs. With --icount the guest clock
# counts executed instructions (1 ns each, vm-run --icount): the times are
# then instruction counts, repeatable to a few in a million, and one
# round is enough.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
icount=
if [ "${1:-}" = --icount ]; then
	icount=--icount
	shift
fi
rounds=${1:-5} mib=${2:-1024}
bin=$top/build/bench/pagefault-bench
cache=${CDM_CACHE:-$HOME/.cache/cdm}
[ -x "$bin" ] || { echo "pagefault.sh: $bin missing (make all)" >&2; exit 1; }
[ -f "$cache/kernel/pristine.env" ] ||
	{ echo "pagefault.sh: no pristine kernel (run scripts/kernel-build --pristine)" >&2; exit 1; }
[ -f "$cache/kernel/cdm.env" ] || { echo "pagefault.sh: no cdm kernel (run make kernel)" >&2; exit 1; }

out=$(mktemp -d "${TMPDIR:-/tmp}/cdm-pagefault.XXXXXX")
trap 'rm -rf "$out"' EXIT

echo "cdm page-fault benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "guest: numa2 (node 0: 2 CPUs + 2 GiB, node 1: CPU-less 2 GiB), QEMU TCG${icount:+ with -icount (1 ns = 1 instruction)}; $mib MiB of 4 KiB pages per run"
variants="pristine cdm cdm+node1"
for round in $(seq "$rounds"); do
	for v in $variants; do
		case $v in
		pristine) args=(--kernel pristine) ;;
		cdm) args=(--kernel cdm) ;;
		cdm+node1) args=(--kernel cdm --append cdm_nodes=1) ;;
		esac
		"$top/scripts/vm-run" --topology numa2 "${args[@]}" $icount --timeout 900 -- \
			/cdm/build/bench/pagefault-bench "$mib" 6 >"$out/run" ||
			{ echo "pagefault.sh: $v, round $round failed" >&2; exit 1; }
		# The first run of a boot warms up; the others count.
		awk '$1 == "run" && $2 > 0 { print $3 }' "$out/run" >>"$out/$v"
		echo "round $round $v: $(awk '$1 == "run" && $2 > 0 { printf "%s ", $3 }' "$out/run")ms" >&2
	done
done

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
base=$(median "$out/pristine")
printf '\n%-10s %5s %11s %11s %11s %9s %7s\n' kernel runs "median ms" "min ms" "max ms" "ns/fault" ratio
for v in $variants; do
	m=$(median "$out/$v")
	printf '%-10s %5d %11.1f %11.1f %11.1f %9.0f %7.3f\n' "$v" "$(wc -l <"$out/$v")" "$m" \
		"$(sort -g "$out/$v" | head -1)" "$(sort -g "$out/$v" | tail -1)" \
		"$(awk -v m="$m" -v n=$((mib * 256)) 'BEGIN { print m * 1e6 / n }')" \
		"$(awk -v m="$m" -v b="$base" 'BEGIN { print m / b }')"
done
echo "ratio: median time / pristine's median time (target <= 1.002)"
