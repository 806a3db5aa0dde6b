#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/placement.sh [SECONDS [OUTDIR]]: cdmd against the kernel's own
# tiering on one workload. tests/vm/hotcold keeps a hot set in use and
# never touches its cold set; each contender starts from the wrong
# placement (hot set on the slow CXL node, cold set on node 0) with node 0
# under capacity pressure (held by hugetlb pages so that, the workload
# placed, half the hot set is free above its high watermark: the hot
# set fits only once the cold set has left), and runs for SECONDS
# (default 60). Contenders:
#   none    no management
#   cdmd    build/bin/cdmd, tiering policy, fast node 0, slow the CXL node
#   damos   DAMOS through sysfs: a paddr kdamond with migrate_hot (to node
#           0) and migrate_cold (to the CXL node)
#   nb2     NUMA balancing tiering mode (kernel.numa_balancing=2) with
#           demotion (/sys/kernel/mm/numa/demotion_enabled=1)
# each in two boots of the cxl machine: the CXL memory onlined as a
# coherent device memory node (--cxl-online=cdm, cdm_nodes) and as an
# ordinary kmem node (--cxl-online=system-ram), which is what the
# kernel's tiering is made for. Score(t) = hot pages on node 0 / hot
# pages, sampled every PLACEMENT_SAMPLE_MS (move_pages(2) status,
# bench/placement-nodes), time counted from the command that starts the
# contender (cdmd's start, DAMOS's sysfs setup, the sysctl); the oracle =
# as many hot pages on node 0 as fit (1.0 by construction); "t95" = the
# first sample with score >= 0.95 * oracle; "held" = the first sample
# from which the score stays >= 0.95 * oracle to the end of the run
# ("never" when the last sample is below). Bytes migrated: the pages the
# trace event mm_migrate_pages counts for any reason but compaction x 4
# KiB for every contender (the /proc/vmstat pgmigrate_success delta,
# which compaction inflates, next to it), plus the contender's own count
# (cdmctl status, DAMOS sz_applied) as a check.
# A third boot (numa2, DRAM speed) measures cdmd's overhead managing
# 1 GiB (64 MiB hot, 960 MiB cold): CPU share of one CPU and RSS over
# SECONDS once it has settled.
# t95 varies from boot to boot by a few tenths of a second (where DAMON's
# first regions fall), as much as the contenders differ: the "t95" boots
# repeat a short run (PLACEMENT_T95_SECS, 5) of each of
# PLACEMENT_T95_CONTENDERS ("damos nb2 cdmd") on each of
# PLACEMENT_T95_MACHINES ("cdm"; "cdm kmem" for both) in
# PLACEMENT_T95_BOOTS (3) fresh boots, one contender per boot (as in
# the long runs, a contender stopped in the middle of its moves slows
# the next one's placement down), and print each one's t95s and median.
# They do so in each order of PLACEMENT_T95_ORDERS ("contender running"):
# "contender" starts the contender on the placed workload, as the long
# runs do, the clock at the contender's first step: it counts the
# contender's own start (a daemon's exec and set-up against a kernel
# thread's sysfs writes); "running" starts the workload under a
# contender that has run for 2 s, the clock at the workload's start (its
# placement, 0.6-1.8 s, included), which is how a daemon started at boot
# meets its workloads. Its results are tagged "cdm:running".
# kmem is not in the default: in most fresh kmem boots node 0 is below
# its low watermark when cdmd starts, and cdmd's own pages (default
# policy; the harness's cgroup, which allows node 0 only, is not cdmd's)
# fall back onto the CXL node: 182-250 of them in one such boot, read
# from its numa_maps while it ran in user mode. QEMU emulates every
# access to them, and cdmd took 3-4.5 s to reach main() (30-50 ms from
# the harness's cgroup); some such boots then also failed to make the
# tracefs instance (ENOMEM) or had cdmd OOM-killed. That would be
# measured as placement. (On hardware CXL memory is slower, not a
# hundred times slower.) cdmd now moves those pages to node 0 as main()
# begins (327-364 of them in such boots), but main() still came 3.9-4.6
# s after the exec: the loader's work happens on them first. Only a
# policy set before the exec (numactl --preferred=0) would avoid that.
# Writes OUTDIR (default build/bench/placement)/placement.csv, the
# per-boot guest logs and placement.png (gnuplot); prints the paths.
# Sizes are scaled down: QEMU emulates every access to CXL memory (about
# 1 MiB/s of copies into it under TCG). Times are emulated (TCG): compare
# contenders with each other, never with hardware.
# Environment: PLACEMENT_HOT_MIB (8), PLACEMENT_COLD_MIB (32),
# PLACEMENT_BOOTS ("cdm kmem overhead t95"), PLACEMENT_CONTENDERS
# ("none damos nb2 cdmd"), PLACEMENT_SAMPLE_MS (how often the tier
# boots sample placement, 500), PLACEMENT_WATCH_MS (how often they
# sample the hot set alone, for t95 and the score plot, 50),
# PLACEMENT_OVERHEAD_INTERVAL_MS (cdmd's
# interval_ms in the overhead boot, 500; the tier boots run it at 100 ms,
# DAMON sampled as DAMOS's kdamond is), PLACEMENT_PROMOTE_ACCESSES and
# PLACEMENT_DEMOTE_ACCESSES (cdmd's thresholds in the tier boots, 1 and 0:
# those of the DAMOS schemes). PLACEMENT_VERBOSE=1, PLACEMENT_DEBUG=1 and
# PLACEMENT_CDMD=PATH reach the guest (bench/placement-guest.sh). Needs
# make all and a kernel for scripts/vm-run.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
dir=${2:-$top/build/bench/placement}
hot=${PLACEMENT_HOT_MIB:-8} cold=${PLACEMENT_COLD_MIB:-32}
boots=${PLACEMENT_BOOTS:-cdm kmem overhead t95}
contenders=${PLACEMENT_CONTENDERS:-none damos nb2 cdmd}
t95_contenders=${PLACEMENT_T95_CONTENDERS:-damos nb2 cdmd}
t95_machines=${PLACEMENT_T95_MACHINES:-cdm}
for m in $t95_machines; do
	case "$m" in cdm|kmem) ;; *) echo "placement.sh: PLACEMENT_T95_MACHINES: unknown machine '$m' (cdm kmem)" >&2; exit 2 ;; esac
done
t95_orders=${PLACEMENT_T95_ORDERS:-contender running}
for o in $t95_orders; do
	case "$o" in contender|running) ;; *) echo "placement.sh: PLACEMENT_T95_ORDERS: unknown order '$o' (contender running)" >&2; exit 2 ;; esac
done
t95_boots=${PLACEMENT_T95_BOOTS:-3}
case "$t95_boots" in ''|*[!0-9]*|0) echo "placement.sh: PLACEMENT_T95_BOOTS '$t95_boots' is not a positive number" >&2; exit 2 ;; esac
t95_secs=${PLACEMENT_T95_SECS:-5}
case "$t95_secs" in ''|*[!0-9]*|0) echo "placement.sh: PLACEMENT_T95_SECS '$t95_secs' is not a positive number" >&2; exit 2 ;; esac
sample_ms=${PLACEMENT_SAMPLE_MS:-500}
case "$sample_ms" in ''|*[!0-9]*|0|?|??) echo "placement.sh: PLACEMENT_SAMPLE_MS '$sample_ms' is not a number of ms >= 100" >&2; exit 2 ;; esac
watch_ms=${PLACEMENT_WATCH_MS:-50}
case "$watch_ms" in ''|*[!0-9]*|0|?) echo "placement.sh: PLACEMENT_WATCH_MS '$watch_ms' is not a number of ms >= 10" >&2; exit 2 ;; esac
case "$secs" in ''|*[!0-9]*|0) echo "placement.sh: SECONDS '$secs' is not a positive number" >&2; exit 2 ;; esac
for f in build/bench/placement-guest.sh build/bench/placement-nodes build/bin/cdmd build/tests/vm/hotcold; do
	[ -x "$top/$f" ] || { echo "placement.sh: $f missing (make all)" >&2; exit 1; }
done
command -v gnuplot >/dev/null || echo "placement.sh: no gnuplot (scripts/install-deps): no plot" >&2
mkdir -p "$dir"
rm -f "$dir/placement.png" "$dir/placement.csv" "$dir/placement-watch.csv"
for b in $boots; do rm -f "$dir/$b".*.log "$dir/$b".*.err "$dir/$b.log" "$dir/$b.err"; done	# other boots' logs stay, and are reported
dir=$(cd "$dir" && pwd)
start=$SECONDS

echo "cdm placement benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "workload: hotcold, hot $hot MiB (on the CXL node at start), cold $cold MiB (on node 0 at start), $secs s per contender, sampled every $sample_ms ms (the hot set alone every $watch_ms ms)"
echo "sizes scaled down for emulation: QEMU TCG emulates every CXL access; times are emulated, compare contenders only"

run_boot() {	# NAME VM-RUN-ARGS... -- GUEST-ARGS...
	local name=$1 t0=$SECONDS rc=0
	shift
	echo "boot '$name': scripts/vm-run $*" | sed 's/ -- .*//'
	nice -n 19 "$top/scripts/vm-run" "$@" >"$dir/$name.log" 2>"$dir/$name.err" || rc=$?
	echo "  ... $((SECONDS - t0)) s, exit $rc$([ $rc = 0 ] || echo " (see $dir/$name.err)")"
	[ $rc = 0 ] || tail -n 5 "$dir/$name.err" | sed 's/^/  | /'
}

# a boot of the cxl machine running placement-guest.sh's tier runs
tier_boot() {	# NAME MACHINE(cdm|kmem) TIMEOUT SECONDS CONTENDER...
	local name=$1 online=cdm timeout=$3 s=$4
	[ "$2" = cdm ] || online=system-ram
	shift 4
	run_boot "$name" --topology cxl --cxl-online=$online --timeout "$timeout" -- \
		env PLACEMENT_SAMPLE_MS="$sample_ms" PLACEMENT_WATCH_MS="$watch_ms" \
		PLACEMENT_PROMOTE_ACCESSES="${PLACEMENT_PROMOTE_ACCESSES:-1}" \
		PLACEMENT_DEMOTE_ACCESSES="${PLACEMENT_DEMOTE_ACCESSES:-0}" \
		PLACEMENT_VERBOSE="${PLACEMENT_VERBOSE:-}" PLACEMENT_DEBUG="${PLACEMENT_DEBUG:-}" \
		PLACEMENT_CDMD="${PLACEMENT_CDMD:-}" PLACEMENT_ORDER="${PLACEMENT_ORDER:-contender}" \
		/cdm/build/bench/placement-guest.sh tier "$s" "$hot" "$cold" "$@"
}

n=$(echo "$contenders" | wc -w)
for b in $boots; do
	case "$b" in
	cdm|kmem)
		# shellcheck disable=SC2086
		tier_boot "$b" "$b" $((n * (secs + 240) + 300)) "$secs" $contenders ;;
	t95)	# round after round, so that a drift of the host weighs on all alike
		for i in $(seq "$t95_boots"); do
			for o in $t95_orders; do
				for m in $t95_machines; do
					for c in $t95_contenders; do
						name=t95.$m-$c-$i
						[ "$o" = contender ] || name=t95.$m-$o-$c-$i
						PLACEMENT_ORDER=$o tier_boot "$name" "$m" $((t95_secs + 300)) "$t95_secs" "$c"
					done
				done
			done
		done ;;
	overhead)
		run_boot overhead --topology numa2 --timeout $((secs * 4 + 600)) -- \
			/cdm/build/bench/placement-guest.sh overhead "$secs" "${PLACEMENT_OVERHEAD_HOT_MIB:-64}" \
			"${PLACEMENT_OVERHEAD_COLD_MIB:-960}" "${PLACEMENT_OVERHEAD_INTERVAL_MS:-500}" ;;
	*) echo "placement.sh: unknown boot '$b' (cdm kmem overhead t95)" >&2; exit 2 ;;
	esac
done

csv=$dir/placement.csv
{
	echo "time_s,contender,score,migrated_bytes,cold_on_slow"
	for b in cdm kmem; do
		[ ! -f "$dir/$b.log" ] || sed -n 's/^csv,//p' "$dir/$b.log"
	done
} >"$csv"
logs=$(for b in cdm kmem; do [ ! -f "$dir/$b.log" ] || echo "$dir/$b.log"; done)
watch_csv=$dir/placement-watch.csv
{
	echo "time_s,contender,score,node0_free_kib"
	for b in cdm kmem; do
		[ ! -f "$dir/$b.log" ] || sed -n 's/^watch,//p' "$dir/$b.log"
	done
} >"$watch_csv"

if [ -n "$logs" ]; then
	echo
	echo "notes from the guests:"
	# shellcheck disable=SC2086
	cat $logs | sed -n 's/^note /  /p'
	echo
	# shellcheck disable=SC2086
	cat $logs | awk -F'[ ,]' -v csv="$csv" '
	$1 == "oracle" {
		k = $2 "/" $3; oracle[k] = $4 / $5; order[n++] = k
		for (i = 6; i <= NF; i++) if ($i ~ /^high_kb=/) high[k] = substr($i, 9)
	}
	# the hot-set watch: the same score, sampled every few tens of ms,
	# and node 0'"'"'s free memory
	$1 == "watch" {
		k = $3; watched[k] = 1
		if ($5 != "" && $5 >= 0 && (k in high) && (!(k in low) || $5 - high[k] < low[k]))
			low[k] = $5 - high[k]
		if ($4 >= 0.95 * oracle[k]) {
			if (!(k in wt95)) wt95[k] = $2
			if (!(k in wheld)) wheld[k] = $2
		} else
			delete wheld[k]
	}
	$1 == "result" {
		k = $2 "/" $3; res[k] = 1
		for (i = 4; i <= NF; i++) { split($i, kv, "="); v[k, kv[1]] = kv[2] }
	}
	END {
		while ((getline line < csv) > 0) {
			split(line, f, ",")
			k = f[2]
			if (!(k in oracle)) continue
			last[k] = f[3]; bytes[k] = f[4]; coldslow[k] = f[5]
			if (f[3] >= 0.95 * oracle[k]) {
				if (!(k in t95)) t95[k] = f[1]
				if (!(k in held)) held[k] = f[1]
			} else
				delete held[k]
		}
		printf "%-16s %6s %8s %8s %7s %10s %10s %11s %9s %9s %9s %8s %8s\n", "contender/online", "oracle",
			"t95 s", "held s", "final", "cold slow", "moved MiB", "vmstat MiB", "promoted", "demoted", "own MiB",
			"low MiB", "scanned"
		for (i = 0; i < n; i++) {
			k = order[i]
			if (!(k in res)) { printf "%-16s %6.2f  (no result: see the log)\n", k, oracle[k]; continue }
			own = v[k, "own_bytes"]
			if (k in watched) {	# the finer clock of the watch decides
				delete t95[k]
				delete held[k]
				if (k in wt95) t95[k] = wt95[k]
				if (k in wheld) held[k] = wheld[k]
			}
			printf "%-16s %6.2f %8s %8s %7.3f %10.3f %10.1f %11.1f %9d %9d %9s %8s %8s\n", k, oracle[k],
				(k in t95) ? t95[k] : "never", (k in held) ? held[k] : "never", last[k], coldslow[k],
				v[k, "moved_pages"] * 4096 / 1048576, v[k, "migrated_pages"] * 4096 / 1048576,
				v[k, "pgpromote_success"], v[k, "pgdemote"],
				own ~ /^[0-9]+$/ ? sprintf("%.1f", own / 1048576) : own,
				(k in low) ? sprintf("%.1f", low[k] / 1024) : "?",
				((k, "reclaim_scanned") in v) ? v[k, "reclaim_scanned"] : "?"
		}
		print "t95: first sample with score >= 0.95 x oracle (score = hot pages on node 0 / hot pages),"
		print "  seconds from the command that started the contender; held: first sample from which"
		print "  the score stayed >= 0.95 x oracle to the end; both from the hot-set watch (samples"
		print "  every PLACEMENT_WATCH_MS, placement-watch.csv) where the guest ran it, else from the csv"
		print "moved MiB: pages migrated for any reason but compaction (trace event mm_migrate_pages) x 4 KiB,"
		print "  every contender alike; vmstat MiB: pgmigrate_success delta x 4 KiB (compaction included);"
		print "promoted, demoted: pgpromote_success, pgdemote_* deltas (pages; kernel tiering only);"
		print "own MiB: the contender'"'"'s own count (cdmd: cdmctl status promoted+demoted; damos: sz_applied)"
		print "cold slow: fraction of the cold set on the slow node at the end"
		print "low MiB: node 0'"'"'s lowest MemFree in the run less its high watermark (negative: below it;"
		print "  cdmd'"'"'s fast_free_mb is that watermark); scanned: pages scanned by reclaim (kswapd, direct,"
		print "  khugepaged) from the contender'"'"'s start to the end of the run"
	}'
fi

if [ -f "$dir/overhead.log" ] && grep -q '^overhead window' "$dir/overhead.log"; then
	echo
	grep '^overhead' "$dir/overhead.log" | sed 's/^/  /'
	awk '
	$1 == "overhead" && $2 ~ /^window_cs=/ {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		cpu = v["cdmd_ticks"] / v["hz"] / (v["window_cs"] / 100) * 100
		kd = v["kdamond_ticks"] / v["hz"] / (v["window_cs"] / 100) * 100
		printf "cdmd managing %d MiB (numa2, settled, %d ms rounds), over %.0f s: CPU %.2f%% of one CPU (target <= 2%%: %s), VmRSS %.1f MiB, VmHWM %.1f MiB (target <= 16 MiB: %s)\n",
			v["managed_kb"] / 1024, v["interval_ms"], v["window_cs"] / 100, cpu, cpu <= 2 ? "met" : "NOT met",
			v["rss_kb"] / 1024, v["hwm_kb"] / 1024, v["hwm_kb"] <= 16384 ? "met" : "NOT met"
		printf "  its DAMON kdamond (kernel thread, pid %s) over the same window: CPU %.2f%% of one CPU (not in the figure above)\n",
			v["kdamond_pid"], kd
		print "  emulated (TCG): CPU time of emulated instructions; a ratio of the window, not hardware cost"
	}' "$dir/overhead.log"
fi

t95_logs=$(ls "$dir"/t95.*.log 2>/dev/null || true)
if [ -n "$t95_logs" ]; then
	echo
	echo "t95 over fresh boots ($t95_secs s runs, the hot-set watch every $watch_ms ms):"
	# shellcheck disable=SC2086
	awk -F'[ ,]' '
	function show(v) { return v >= NEVER ? "never" : sprintf("%.2f", v) }
	# insertion sort of a[k, 1..m]: a few boots
	function sort_boots(a, k, m,    i, j, x) {
		for (i = 2; i <= m; i++)
			for (j = i; j > 1 && a[k, j] < a[k, j - 1]; j--) { x = a[k, j]; a[k, j] = a[k, j - 1]; a[k, j - 1] = x }
	}
	BEGIN { NEVER = 1e9 }
	# a boot that never reached 95% counts as later than any that did
	function close_boot() { if (k != "") { t[k, ++nt[k]] = got; lows[k, nt[k]] = lowest } }
	FNR == 1 { close_boot(); k = "" }
	$1 == "oracle" {
		k = $2 "/" $3; oracle = $4 / $5; got = NEVER; lowest = NEVER; high = ""
		for (i = 6; i <= NF; i++) if ($i ~ /^high_kb=/) high = substr($i, 9)
		if (!(k in nt)) { nt[k] = 0; order[n++] = k }
	}
	# node 0'"'"'s lowest free memory above its high watermark until t95
	$1 == "watch" && k != "" && got == NEVER && high != "" && $5 != "" && $5 >= 0 &&
	    ($5 - high) / 1024 < lowest { lowest = ($5 - high) / 1024 }
	$1 == "watch" && k != "" && got == NEVER && $4 >= 0.95 * oracle { got = $2 + 0 }
	END {
		close_boot()
		printf "%-16s %6s %8s %8s %8s %8s %6s  %s\n", "contender/online", "boots", "median", "min", "max",
			"low MiB", "<high", "t95 s of each boot"
		for (i = 0; i < n; i++) {
			k = order[i]; m = nt[k]; list = ""; below = 0
			sort_boots(t, k, m)
			sort_boots(lows, k, m)
			for (a = 1; a <= m; a++) { list = list " " show(t[k, a]); if (lows[k, a] < 0) below++ }
			med = m % 2 ? t[k, (m + 1) / 2] : (t[k, m / 2] + t[k, m / 2 + 1]) / 2
			lowmed = m % 2 ? lows[k, (m + 1) / 2] : (lows[k, m / 2] + lows[k, m / 2 + 1]) / 2
			printf "%-16s %6d %8s %8s %8s %8s %6s %s\n", k, m, show(med), show(t[k, 1]), show(t[k, m]),
				(lowmed >= NEVER ? "?" : sprintf("%.1f", lowmed)), below "/" m, list
			split(k, kk, "/"); medof[kk[1], kk[2]] = med; machines[kk[2]] = 1; who[kk[1]] = 1
		}
		for (mc in machines) {
			if (!(("cdmd", mc) in medof)) continue
			c = medof["cdmd", mc]; verdict = c < NEVER ? "met" : "NOT met"; beat = ""
			for (o in who)
				if (o != "cdmd" && ((o, mc) in medof) && medof[o, mc] < NEVER && medof[o, mc] <= c) {
					verdict = "NOT met"; beat = beat " " o " " show(medof[o, mc])
				}
			printf "cdmd sooner than every contender on %s (medians): %s%s\n", mc, verdict,
				beat == "" ? "" : " (not sooner than" beat ")"
		}
		print "low MiB: median over the boots of node 0'"'"'s lowest MemFree less its high watermark until"
		print "  t95 (the whole run if never; negative: below it); <high: boots in which it went below."
		print "  cdmd'"'"'s fast_free_mb is that watermark, room counted with the free pages on node 0'"'"'s"
		print "  per-CPU lists and MemFree kept above the low watermark (daemon/zoneinfo.h); DAMOS has no bound"
	}' $t95_logs
fi

if command -v gnuplot >/dev/null && [ "$(wc -l <"$csv")" -gt 1 ]; then
	names=$(tail -n +2 "$csv" | cut -d, -f2 | awk '!s[$0]++' | tr '\n' ' ')
	score_csv=$csv
	[ "$(wc -l <"$watch_csv")" -le 1 ] || score_csv=$watch_csv
	term="pngcairo size 1000,900"
	gnuplot -e 'set terminal pngcairo' 2>/dev/null || term="png size 1000,900"
	gnuplot <<EOF
set terminal $term
set output "$dir/placement.png"
set datafile separator ","
set key outside right
set grid
set multiplot layout 2,1 title "cdm placement: hot $hot MiB starts on the CXL node, cold $cold MiB on node 0 (QEMU TCG, emulated time)"
set ylabel "score (hot pages on node 0)"
set yrange [0:1.05]
plot for [c in "$names"] "$score_csv" using 1:(strcol(2) eq c ? \$3 : NaN) with lines title c
set ylabel "MiB migrated (not compaction)"
set xlabel "seconds"
set yrange [0:*]
plot for [c in "$names"] "$csv" using 1:(strcol(2) eq c ? \$4 / 1048576 : NaN) with linespoints title c
unset multiplot
EOF
fi
echo
echo "csv: $csv $watch_csv"
[ ! -f "$dir/placement.png" ] || echo "plot: $dir/placement.png"
echo "guest logs: $(ls "$dir"/*.log | tr '\n' ' ')"
echo "wall clock: $((SECONDS - start)) s"
