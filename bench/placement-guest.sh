#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# placement-guest.sh tier SECONDS HOT_MIB COLD_MIB CONTENDER...
# placement-guest.sh overhead SECONDS HOT_MIB COLD_MIB [INTERVAL_MS]
# The guest side of bench/placement.sh.
#
# tier: on a machine with one CPU-less slow node (the CXL memory, as a
# CDM node or as a kmem node), run tests/vm/hotcold once per contender
# with its hot set on the slow node and its cold set on node 0, node 0
# held (hugetlb pages, which nothing reclaims, demotes or migrates) so
# that, once the workload is placed, it has half the hot set free above
# its high watermark: the hot set fits on node 0 only once the cold set
# has left. Then start the contender and sample, every PLACEMENT_SAMPLE_MS
# (environment, default 500) for SECONDS,
# the hot pages on node 0 (bench/placement-nodes: move_pages(2) status, no access to the pages
# themselves) and the pages migrated (/proc/vmstat pgmigrate_success).
# Contenders:
#   none    no management (NUMA balancing off, demotion off)
#   cdmd    build/bin/cdmd, policy tiering, fast node 0, slow the CXL node
#   damos   one paddr kdamond, schemes migrate_hot (to node 0) and
#           migrate_cold (to the CXL node), a memcg filter on the
#           workload's cgroup
#   nb2     kernel.numa_balancing=2 (tiering mode) with
#           /sys/kernel/mm/numa/demotion_enabled=1
# Prints "csv,T,CONTENDER,SCORE,BYTES,COLD_SLOW" samples (T: seconds
# since the command that started the contender),
# "watch,T,CONTENDER,SCORE,NODE0_FREE_KB" samples of the hot set alone and
# node 0's MemFree every PLACEMENT_WATCH_MS (default 50; by
# bench/placement-nodes --watch, which needs no fork per sample: the
# fine-grained clock for t95, and how far below its high watermark a
# contender's promotions took node 0), "oracle ..." and "result ..." lines
# (reclaim_scanned, alloc_stalls: pages scanned by reclaim and allocation
# stalls from the contender's start to the end of the run; in the running
# order that includes the workload's own start), and "note ..." lines
# with what was seen; "cdmdlog"
# lines hold cdmd's log. PLACEMENT_VERBOSE=1 runs cdmd with --verbose
# (each batch and round); PLACEMENT_DEBUG=1 also asks cdmd for its status
# and top regions at each sample ("debug" lines; the requests perturb).
# PLACEMENT_CDMD=PATH runs another cdmd build (an older one, to compare).
# PLACEMENT_PROMOTE_ACCESSES and PLACEMENT_DEMOTE_ACCESSES set cdmd's
# promote_accesses and demote_accesses in tier runs (1 and 0: the DAMOS schemes'
# thresholds, so that the two differ in how they act, not in what they
# call hot; with 4 and 1, one cdm boot in five saw the hot set below 4
# accesses for its first seconds and promoted nothing).
#
# overhead: numa2; hotcold with HOT_MIB on node 1 and COLD_MIB on node 0
# (about 1 GiB); cdmd manages it (INTERVAL_MS rounds, 500); once it has
# settled (both sets 95% in place, nothing moved for 4 s; or after 2 x
# SECONDS s), cdmd's CPU time and RSS over a window of SECONDS s. Prints
# "overhead ..." lines.
mode=$1 secs=$2 hot_mib=$3 cold_mib=$4
shift 4
hotcold=$CDM_TOP/build/tests/vm/hotcold
cdmd=${PLACEMENT_CDMD:-$CDM_TOP/build/bin/cdmd}	# another build, to compare
damon=/sys/kernel/mm/damon/admin/kdamonds
node0=/sys/devices/system/node/node0
hp=$node0/hugepages/hugepages-2048kB/nr_hugepages
cg=/sys/fs/cgroup
hot_pages=$((hot_mib * 256)) cold_pages=$((cold_mib * 256))
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
watch_ms=${PLACEMENT_WATCH_MS:-50}

note() { echo "note $*"; }
# centiseconds since boot: into $now without a fork; printed
read_now() {
	read -r up _ </proc/uptime
	now=$((${up%.*} * 100 + 1${up#*.} - 100))	# "1" + "05": not octal
}
now_cs() { read_now; echo $now; }
vmstat() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' /proc/vmstat; }
node0_free_kb() { awk '$3 == "MemFree:" { print $4 }' $node0/meminfo; }
# node 0's pages on per-CPU free lists, all zones, in kB: free, but not
# in MemFree nor in the watermark checks
node0_pcp_kb() {
	awk '$1 == "Node" { n = $2 } n == "0," && $1 == "count:" { s += $2 } END { print s * 4 }' /proc/zoneinfo
}
# node 0's high watermarks, all zones, in kB
node0_high_kb() {
	awk '$1 == "Node" { n = $2 } n == "0," && $1 == "high" { s += $2 } END { print s * 4 }' /proc/zoneinfo
}
slow_node() {	# the first node with memory and no CPUs
	for n in $(sed 's/,/ /g' /sys/devices/system/node/has_memory); do
		case "$n" in *-*) n=${n#*-} ;; esac
		[ -s /sys/devices/system/node/node$n/cpulist ] &&
			[ -n "$(tr -d '\n' </sys/devices/system/node/node$n/cpulist)" ] && continue
		echo "$n"
		return
	done
}

# hold node 0 so that it has TARGET_KB free: more or fewer hugetlb pages
# Hold node 0 at TARGET_KB free, to the nearest huge page (+-1 MiB): every
# contender must meet the same room. Freed pages reach the free count
# lazily (per-CPU lists), so each step is read again after a pause.
hold_node0() {
	target=$1
	i=0
	while [ $i -lt 8 ]; do
		free=$(node0_free_kb) nr=$(cat $hp)
		d=$((free - target))
		if [ $d -ge 0 ]; then
			delta=$(((d + 1024) / 2048))
		else
			delta=$(((d - 1024) / 2048))
		fi
		[ $delta -eq 0 ] && break
		new=$((nr + delta))
		[ $new -ge 0 ] || new=0
		echo $new >$hp
		sleep 0.3
		i=$((i + 1))
	done
}

# start hotcold in the benchmark's cgroup; sets hc, hot_start, hot_end,
# cold_start, cold_end
start_hotcold() {	# HOT_NODE COLD_NODE
	out=/tmp/hotcold.out
	: >$out
	if [ -d $cg/placement ]; then
		sh -c "echo \$\$ > $cg/placement/cgroup.procs; exec $hotcold $hot_mib $cold_mib $1 $2" >$out &
	else
		$hotcold $hot_mib $cold_mib "$1" "$2" >$out &
	fi
	hc=$!
	_t=$(now_cs)
	while ! grep -q '^ready' $out && [ $(($(now_cs) - _t)) -lt 12000 ]; do
		kill -0 $hc 2>/dev/null || break
		sleep 0.2
	done
	if ! grep -q '^ready' $out; then
		# what it waits for, then give up on this contender
		note "hotcold not ready after $((($(now_cs) - _t) / 100)) s: $(grep -E '^(State|VmRSS)' /proc/$hc/status 2>/dev/null | tr '\n\t' '  ') wchan $(cat /proc/$hc/wchan 2>/dev/null); node 0 free $(($(node0_free_kb) / 1024)) MiB, node $1 $(awk '$3 == "MemFree:" { print $4 / 1024 " MiB free" }' /sys/devices/system/node/node$1/meminfo)"
		cat /proc/$hc/stack 2>/dev/null | head -n 12 | sed 's/^/note   stack: /'
		dmesg | tail -n 8 | sed 's/^/note   dmesg: /'
		kill -9 $hc 2>/dev/null
		wait $hc 2>/dev/null
		return 1
	fi
	set -- $(sed -n 's/^hot \(0x[0-9a-f]* 0x[0-9a-f]*\)$/\1/p' $out)
	hot_start=$(($1)) hot_end=$(($2))
	set -- $(sed -n 's/^cold \(0x[0-9a-f]* 0x[0-9a-f]*\)$/\1/p' $out)
	cold_start=$(($1)) cold_end=$(($2))
}

# where hotcold's pages are: sets h0 (hot pages on node 0), hslow (hot on
# the slow node), c0, cslow; move_pages(2) status, no access to the
# pages themselves (/proc/PID/numa_maps counts per VMA, and hotcold's
# two sets may merge into one)
sample_nodes() {
	set -- $($CDM_TOP/build/bench/placement-nodes $hc $hot_start $hot_end $cold_start $cold_end)
	# nodes N0..N7 none X, twice
	h0=$2
	eval "hslow=\${$((2 + slow))}"
	shift 11
	c0=$2
	eval "cslow=\${$((2 + slow))}"
}

stop_hotcold() {
	kill $hc 2>/dev/null
	wait $hc 2>/dev/null
}

sysctl_tiering() {	# NUMA_BALANCING DEMOTION
	echo "$1" >/proc/sys/kernel/numa_balancing
	echo "$2" >/sys/kernel/mm/numa/demotion_enabled
}

damon_off() {
	[ -d $damon ] || return 0
	for s in $damon/*/state; do
		[ -e "$s" ] && echo off >"$s" 2>/dev/null
	done
	echo 0 >$damon/nr_kdamonds 2>/dev/null
}

# the physical range of a node's memory blocks: "START END"
node_range() {
	bs=$((0x$(cat /sys/devices/system/memory/block_size_bytes)))
	ls -d /sys/devices/system/node/node$1/memory[0-9]* | sed 's/.*memory//' | sort -n |
		sed -n '1p;$p' | tr '\n' ' ' | {
		read -r lo hi
		echo $((lo * bs)) $(((hi + 1) * bs))
	}
}

# what an administrator works out before setting DAMOS up, before the
# clock: the physical ranges of node 0 and the slow node
damos_prepare() {
	damon_off
	damos_ranges="$(node_range 0) $(node_range $slow)"
	set -- $damos_ranges
	note "damos: paddr regions node 0 $(printf '%#x-%#x' $1 $2), node $slow $(printf '%#x-%#x' $3 $4)"
}

# DAMOS's own setup, on the clock: sysfs writes (shell builtins)
damos_on() {
	echo 1 >$damon/nr_kdamonds || return 1
	k=$damon/0
	echo 1 >$k/contexts/nr_contexts
	c=$k/contexts/0
	echo paddr >$c/operations || return 1
	# default attributes: sample 5 ms, aggregation 100 ms, update 1 s
	echo 1 >$c/targets/nr_targets
	echo 2 >$c/targets/0/regions/nr_regions
	set -- $damos_ranges
	echo $1 >$c/targets/0/regions/0/start
	echo $2 >$c/targets/0/regions/0/end
	echo $3 >$c/targets/0/regions/1/start
	echo $4 >$c/targets/0/regions/1/end
	echo 2 >$c/schemes/nr_schemes
	# scheme 0: migrate_hot to node 0: accessed in >= 1 of the 20
	# samples of an aggregation interval; scheme 1: migrate_cold to the
	# slow node: no access for >= 20 intervals (2 s, cdmd's
	# min_residency_s). sz, nr_accesses and age: min AND max.
	for i in 0 1; do
		s=$c/schemes/$i
		echo 4096 >$s/access_pattern/sz/min
		echo 1099511627776 >$s/access_pattern/sz/max
	done
	s=$c/schemes/0
	echo migrate_hot >$s/action || return 1
	echo 0 >$s/target_nid
	echo 1 >$s/access_pattern/nr_accesses/min
	echo 4294967295 >$s/access_pattern/nr_accesses/max
	echo 0 >$s/access_pattern/age/min
	echo 4294967295 >$s/access_pattern/age/max
	s=$c/schemes/1
	echo migrate_cold >$s/action || return 1
	echo $slow >$s/target_nid
	echo 0 >$s/access_pattern/nr_accesses/min
	echo 0 >$s/access_pattern/nr_accesses/max
	echo 20 >$s/access_pattern/age/min
	echo 4294967295 >$s/access_pattern/age/max
	# only the workload's pages: a memcg filter (matching N: what is
	# not in the cgroup is filtered out), else anonymous pages only
	for i in 0 1; do
		f=$c/schemes/$i/filters
		echo 1 >$f/nr_filters
		if [ -d $cg/placement ] && echo memcg >$f/0/type 2>/dev/null &&
		   echo /placement >$f/0/memcg_path 2>/dev/null; then
			damos_filter=memcg
		else
			echo anon >$f/0/type
			damos_filter=anon
		fi
		echo N >$f/0/matching
	done
	echo on >$k/state || return 1
	note "damos: filter $damos_filter (only the workload's pages)"
}

damos_stats() {	# "tried_bytes/applied_bytes" per scheme
	echo update_schemes_stats >$damon/0/state 2>/dev/null
	for i in 0 1; do
		st=$damon/0/contexts/0/schemes/$i/stats
		printf '%s:%s/%s ' "$(cat $damon/0/contexts/0/schemes/$i/action)" \
			"$(cat $st/sz_tried)" "$(cat $st/sz_applied)"
	done
}

cdmd_conf() {	# FAST_FREE_MB INTERVAL_MS PROMOTE_ACCESSES DEMOTE_ACCESSES
	cat >/tmp/cdmd.conf <<EOF
[cdmd]
interval_ms = $2

[target bench]
match = comm:hotcold
policy = tiering
fast_nodes = 0
slow_nodes = $slow
promote_accesses = $3
demote_accesses = $4
min_residency_s = 2
# cold after 2 s without an access, as DAMOS's migrate_cold scheme here
cold_age_s = 2
rate_mb_s = 64
fast_free_mb = $1
EOF
}

# Before the clock: the log reader (its lines stamped with centiseconds
# since boot), and the process that becomes cdmd, forked and waiting on
# /tmp/cdmd.go to exec it. On kmem the harness is sheltered on node 0
# (tests/lib/shelter.sh) and cdmd must not be, or its moves to the CXL
# node fail as if it were full (the kernel allocates them as cdmd's,
# within its cpuset): it is moved out (in_open) here too, off the clock.
cdmd_prepare() {
	verbose=
	[ -z "${PLACEMENT_DEBUG:-}${PLACEMENT_VERBOSE:-}" ] || verbose=--verbose
	rm -f /tmp/cdmd.fifo /tmp/cdmd.go
	mkfifo /tmp/cdmd.fifo /tmp/cdmd.go
	(while IFS= read -r l; do echo "$(now_cs) $l"; done </tmp/cdmd.fifo >/tmp/cdmd.log) &
	# its pid is cdmd's: $! is not when in_open (a function) runs it
	rm -f /tmp/cdmd.pid
	set -- sh -c 'echo $$ >/tmp/cdmd.pid && read -r _ </tmp/cdmd.go && exec "$@"' sh \
		"$cdmd" -c /tmp/cdmd.conf $verbose
	if [ -n "${CDM_OPEN_CGROUP:-}" ]; then
		in_open "$@" 2>/tmp/cdmd.fifo &
	else
		"$@" 2>/tmp/cdmd.fifo &
	fi
	cdmd_job=$!
	_i=0
	until [ -s /tmp/cdmd.pid ] || [ $_i -ge 100 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	cdmd_pid=$(cat /tmp/cdmd.pid 2>/dev/null)
	[ -n "$cdmd_pid" ] || note "cdmd: its launcher did not start"
}
# on the clock: cdmd's exec
cdmd_start() {
	echo go >/tmp/cdmd.go
}
# PLACEMENT_DEBUG: what held cdmd's moves back and its hottest regions,
# at each sample (a few control requests per sample: it perturbs)
debug_cdmd() {	# ELAPSED_CS
	cdmctl status --json 2>&1 | tr -d ' \n' | sed 's/.*"held"/held/; s/}}}.*/}}}/; s/^/debug '"$1"' /'
	echo
	cdmctl top --count 6 2>&1 | sed "s/^/debug $1 /"
	echo "debug $1 node 0: MemFree $(node0_free_kb) kB, on per-CPU lists $(node0_pcp_kb) kB, high watermark $(node0_high_kb) kB"
}
cdmd_bytes() {	# promoted+demoted, as cdmd counts them
	for i in 1 2 3 4 5; do
		json=$(cdmctl status --json 2>/tmp/cdmctl.err)
		p=$(echo "$json" | $CDM_TOP/build/tests/vm/libcdm/jsonget promoted_bytes 2>/dev/null)
		d=$(echo "$json" | $CDM_TOP/build/tests/vm/libcdm/jsonget demoted_bytes 2>/dev/null)
		case "$p$d" in ''|*[!0-9]*) ;; *) break ;; esac
		echo "cdmctl status --json (try $i): $(tr '\n' ' ' </tmp/cdmctl.err | head -c 300)" >>/tmp/cdmctl.fail
		p= d=
		sleep 2
	done
	[ -n "$p" ] || { echo "? (cdmctl status did not answer: $(tail -n 1 /tmp/cdmctl.fail))"; return; }
	echo "$((${p:-0} + ${d:-0})) promoted $p demoted $d"
}
cdmd_stop() {
	kill -TERM $cdmd_pid 2>/dev/null
	# the job is cdmd, or on kmem the subshell that waits for it
	wait $cdmd_job 2>/dev/null
}
# page migrations by reason, from the mm_migrate_pages trace event:
# vmstat's pgmigrate_success also counts compaction (kcompactd, the
# hugetlb holder, high-order allocations), which is no contender's work
tr=/sys/kernel/tracing
# the buffer, 8 MiB a CPU of node 0's memory, once before node 0 is held:
# made at each run's start it took that much of the room the hold had
# left above node 0's high watermark (14 MiB in a kmem boot, after the
# oracle was read), and cdmd, which keeps to that watermark, had none
trace_setup() {
	[ -e $tr/trace ] || mount -t tracefs nodev $tr 2>/dev/null
	[ -e $tr/events/migrate/mm_migrate_pages/enable ] || return 0
	echo 8192 >$tr/buffer_size_kb
}
trace_start() {
	[ -e $tr/events/migrate/mm_migrate_pages/enable ] || { tracing=; return; }
	tracing=1
	echo 0 >$tr/tracing_on
	echo >$tr/trace
	echo 1 >$tr/events/migrate/mm_migrate_pages/enable
	echo 1 >$tr/tracing_on
}
# "REASON=PAGES ..." (succeeded pages, per reason) so far
trace_reasons() {
	[ -n "$tracing" ] || { echo "notrace=0"; return; }
	awk '/mm_migrate_pages:/ {
		n = 0; r = "?"
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^nr_succeeded=/) { sub(/^nr_succeeded=/, "", $i); n = $i }
			if ($i ~ /^reason=/) { sub(/^reason=/, "", $i); r = $i }
		}
		s[r] += n; any = 1
	} END { for (r in s) printf "%s=%d ", r, s[r]; if (!any) printf "none=0" }' $tr/trace
}
# pages migrated for any reason but compaction so far
trace_pages() {
	trace_reasons | tr ' ' '\n' | awk -F= '$1 != "compaction" && NF == 2 { s += $2 } END { print s + 0 }'
}
trace_stop() {
	[ -n "$tracing" ] || return 0
	echo 0 >$tr/tracing_on
	echo 0 >$tr/events/migrate/mm_migrate_pages/enable
	grep -q 'entries-in-buffer/entries-written: \([0-9]*\)/\1 ' $tr/trace ||
		echo "note the trace buffer overflowed: $(grep entries-in-buffer $tr/trace)"
}

# pages scanned by reclaim (kswapd, direct, khugepaged) and allocation
# stalls so far: whether anything drove a node into reclaim
reclaim_scanned() { awk '$1 ~ /^pgscan_(kswapd|direct|khugepaged)$/ { s += $2 } END { print s + 0 }' /proc/vmstat; }
alloc_stalls() { awk '$1 ~ /^allocstall_/ { s += $2 } END { print s + 0 }' /proc/vmstat; }

cpu_ticks() { awk '{ print $14 + $15 }' /proc/$1/stat 2>/dev/null || echo 0; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' /proc/$1/status; }

cgroup_setup() {
	grep -q "^cgroup2 $cg " /proc/mounts || mount -t cgroup2 none $cg 2>/dev/null
	echo +memory >$cg/cgroup.subtree_control 2>/dev/null
	mkdir -p $cg/placement 2>/dev/null
	[ -e $cg/placement/memory.current ] || note "no memory cgroup: DAMOS filters anonymous pages instead"
}

# the counters and the trace of migrations, from before the contender acts
count_migrations() {
	m0=$(vmstat pgmigrate_success)
	p0=$(vmstat pgpromote_success)
	d0=$(($(vmstat pgdemote_kswapd) + $(vmstat pgdemote_direct) + $(vmstat pgdemote_khugepaged)))
	n0=$(vmstat numa_pages_migrated)
	r0=$(reclaim_scanned) s0=$(alloc_stalls) k0=$(dmesg | wc -l)
	trace_start
}

# what an administrator has ready before a contender starts (cdmd's
# configuration file, DAMOS's node ranges) and the harness's log reader
# are off the clock
prepare_contender() {
	own="-"
	case "$who" in
	cdmd)
		# DAMON sampled as DAMOS's kdamond is (5 ms samples, 100 ms
		# aggregation)
		cdmd_conf $fast_free_mb 100 ${PLACEMENT_PROMOTE_ACCESSES:-1} \
			${PLACEMENT_DEMOTE_ACCESSES:-0}
		cdmd_prepare ;;
	damos)
		damos_prepare ;;
	esac
}

# the contender's own first step, which sets t0 (the clock of
# contender-first runs): cdmd's exec (its start, DAMON set up, the first
# round), DAMOS's first sysfs write, the sysctl
start_contender() {
	read_now
	t0=$now
	case "$who" in
	none) ;;
	cdmd) cdmd_start ;;
	damos)
		damos_on || note "damos: the sysfs setup failed: $(ls $damon/0/contexts/0/schemes/0 2>&1 | tr '\n' ' ')" ;;
	nb2)
		sysctl_tiering 2 1
		note "nb2: numa_balancing=$(cat /proc/sys/kernel/numa_balancing) demotion_enabled=$(cat /sys/kernel/mm/numa/demotion_enabled) promote_rate_limit_MBps=$(cat /proc/sys/kernel/numa_balancing_promote_rate_limit_MBps 2>/dev/null) hot_threshold_ms=$(cat /sys/kernel/debug/sched/numa_balancing/hot_threshold_ms 2>/dev/null || echo '?')" ;;
	esac
	t_setup=$(($(now_cs) - t0))
	note "$who/$tag: started in $((t_setup / 100)).$((t_setup % 100 / 10)) s"
}

stop_contender() {
	case "$who" in
	cdmd) cdmd_stop ;;
	damos) damon_off ;;
	nb2) sysctl_tiering 0 0 ;;
	esac
}

run_tier() {
	slow=$(slow_node)
	[ -n "$slow" ] || { echo "placement-guest: no CPU-less node with memory" >&2; exit 1; }
	cdm_nodes=$(cat /sys/devices/system/node/has_coherent_device 2>/dev/null)
	online=kmem
	case ",$cdm_nodes," in *",$slow,"*) online=cdm ;; esac
	# on a kmem node ordinary memory spills onto the CXL memory, where
	# a shell's signal frame crashes QEMU 10.0.2: the harness's shells
	# stay on node 0 (tests/lib/shelter.sh); the workload does not
	if [ $online = kmem ]; then
		. "$CDM_TOP/tests/lib/shelter.sh"
		shelter || note "kmem: shelter failed: the harness's shells may land on node $slow"
	fi
	# PLACEMENT_ORDER: "contender" (default) starts each contender on
	# the placed workload, the clock at its first step; "running" starts
	# the workload under a contender that has run for 2 s, the clock at
	# the workload's start, its results tagged ONLINE:running
	order=${PLACEMENT_ORDER:-contender} tag=$online
	case "$order" in
	contender) ;;
	running) tag=$online:running ;;
	*) echo "placement-guest: PLACEMENT_ORDER '$order': contender or running" >&2; exit 2 ;;
	esac
	echo "machine online=$online order=$order slow=$slow kernel=$(uname -r) cdm_nodes=${cdm_nodes:-none}"
	for t in /sys/devices/virtual/memory_tiering/memory_tier*; do
		note "$online: ${t##*/}: nodes $(cat $t/nodelist)"
	done
	cgroup_setup
	trace_setup
	high_kb=$(node0_high_kb)
	fast_free_mb=$(((high_kb + 1023) / 1024))
	target_kb=$(((cold_mib + hot_mib / 2) * 1024 + high_kb))
	for who in "$@"; do
		case "$who" in
		none|cdmd|damos|nb2) ;;
		*) echo "placement-guest: unknown contender $who" >&2; continue ;;
		esac
		sysctl_tiering 0 0
		damon_off
		hold_node0 $target_kb
		if [ "$order" = running ]; then
			# the contender runs, settled, before the workload starts
			prepare_contender
			count_migrations
			sleep 0.2
			start_contender
			sleep 2
		fi
		read_now
		t_start=$now
		start_hotcold $slow 0 || {
			echo "result $who $tag failed hotcold"
			[ "$order" = contender ] || { stop_contender; trace_stop; }
			continue
		}
		t_place=$(($(now_cs) - t_start))
		if [ "$order" = contender ]; then
			# the kernel hands memory back lazily: hold node 0
			# again, now that the cold set is on it, at half the
			# hot set above its high watermark
			sleep 1
			hold_node0 $((high_kb + hot_mib * 512))
		fi
		sample_nodes
		free_kb=$(node0_free_kb)
		# the oracle: as many hot pages on node 0 as fit above its
		# high watermark with the cold set gone (and, the contender
		# running, those it has put there already)
		room=$(((free_kb + (c0 + h0) * 4 - high_kb) / 4))
		oracle_pages=$hot_pages
		[ $room -ge $hot_pages ] || oracle_pages=$room
		echo "oracle $who $tag $oracle_pages $hot_pages node0_free_kb=$free_kb high_kb=$high_kb hugetlb_2m=$(cat $hp)"
		note "$who/$tag: hotcold placed in $((t_place / 100)).$((t_place % 100 / 10)) s: hot on node 0 $h0, on node $slow $hslow; cold on node 0 $c0, on node $slow $cslow; node 0 free $(( $(node0_free_kb) / 1024 )) MiB"
		# the hot set's pages on node 0 every PLACEMENT_WATCH_MS, by
		# one process started before the clock (no fork per sample)
		$CDM_TOP/build/bench/placement-nodes --watch $watch_ms $hc 0 $hot_start $hot_end >/tmp/watch.out &
		watch_pid=$!
		if [ "$order" = contender ]; then
			prepare_contender
			count_migrations
			sleep 0.2
			start_contender
		else
			# the clock started with the workload
			t0=$t_start
		fi
		next=0 sample_cs=$((${PLACEMENT_SAMPLE_MS:-500} / 10))
		[ $sample_cs -gt 0 ] || sample_cs=50
		while :; do
			read_now
			el=$((now - t0))
			if [ $el -ge $next ]; then
				sample_nodes
				m=$(trace_pages)
				echo "csv,$((el / 100)).$((el % 100 / 10)),$who/$tag,$(awk -v a=$h0 -v b=$hot_pages 'BEGIN { printf "%.4f", a / b }'),$((m * 4096)),$(awk -v a=$cslow -v b=$cold_pages 'BEGIN { printf "%.4f", a / b }')"
				[ -z "${PLACEMENT_DEBUG:-}" ] || [ "$who" != cdmd ] || debug_cdmd $el
				next=$((next + sample_cs))
				[ $el -lt $((secs * 100)) ] || break
			fi
			sleep 0.2
		done
		note "$who/$tag: the hot-set watch used $(cpu_ticks $watch_pid) CPU ticks (of $hz a second) in $(grep -c '^watch' /tmp/watch.out) samples"
		kill $watch_pid 2>/dev/null
		wait $watch_pid 2>/dev/null
		awk -v t0=$t0 -v k="$who/$tag" -v n=$hot_pages '$1 == "watch" && $2 >= t0 * 10 {
			printf "watch,%.2f,%s,%.4f,%d\n", ($2 - t0 * 10) / 1000, k, $3 / n, $4 }' /tmp/watch.out
		case "$who" in
		cdmd)
			cb=$(cdmd_bytes)
			own=$(echo "$cb" | awk '{ print $1 }')
			note "cdmd/$tag: $(echo "$cb" | cut -d' ' -f2-) (bytes, cdmctl status); $(grep -c ' promote ' /tmp/cdmd.log) promote and $(grep -c ' demote ' /tmp/cdmd.log) demote batches logged, $(grep -ci error /tmp/cdmd.log) error lines"
			grep -iE 'error|fail|cannot' /tmp/cdmd.log | head -n 5 | sed "s/^/note cdmd\/$tag log: /"
			grep -E ' (promote|demote) ' /tmp/cdmd.log | tail -n 3 | sed "s/^/note cdmd\/$tag log: /"
			# the whole log, for bench/placement.sh's guest log file
			awk -v t0=$t0 -v o=$tag '{ $1 = sprintf("%.1f", ($1 - t0) / 100); print "cdmdlog " o ": " $0 }' /tmp/cdmd.log ;;
		damos)
			if [ "$(cat $damon/0/state 2>/dev/null)" = on ]; then
				st=$(damos_stats)
				own=$(echo "$st" | tr ' /' '\n\n' | awk 'NR % 2 == 0 && NF { s += $1 } END { print s + 0 }')
				note "damos/$tag: sz_tried/sz_applied bytes per scheme: $st"
			else
				note "damos/$tag: the kdamond is not on"
			fi ;;
		esac
		stop_contender
		reasons=$(trace_reasons)
		tp=$(trace_pages)
		trace_stop
		m=$(($(vmstat pgmigrate_success) - m0))
		p=$(($(vmstat pgpromote_success) - p0))
		d=$(($(vmstat pgdemote_kswapd) + $(vmstat pgdemote_direct) + $(vmstat pgdemote_khugepaged) - d0))
		n=$(($(vmstat numa_pages_migrated) - n0))
		r=$(($(reclaim_scanned) - r0)) s=$(($(alloc_stalls) - s0))
		# a workload the OOM killer took scores 0 from then on: said
		# (vm-run counts an OOM kill as no kernel report)
		kill -0 $hc 2>/dev/null ||
			note "$who/$tag: the workload (hotcold, pid $hc) was gone before the run's end"
		dmesg | tail -n +$((k0 + 1)) | grep -E 'invoked oom-killer|Killed process' | head -n 4 |
			sed "s/^/note $who\/$tag: kernel: /"
		sample_nodes
		note "$who/$tag: pages migrated by reason (mm_migrate_pages): $reasons"
		# DAMON sees accesses only to pages on an LRU list
		note "$who/$tag: hot pages on LRU lists: $($CDM_TOP/build/bench/placement-nodes --flags $hc $hot_start $hot_end | sed 's/^flags //' | tr '\n' ';')"
		echo "result $who $tag moved_pages=$tp migrated_pages=$m pgpromote_success=$p pgdemote=$d numa_pages_migrated=$n reclaim_scanned=$r alloc_stalls=$s own_bytes=$own hot0=$h0 hot_slow=$hslow cold0=$c0 cold_slow=$cslow"
		stop_hotcold
	done
}

run_overhead() {	# [INTERVAL_MS]
	overhead_interval_ms=${1:-500}
	slow=1
	sysctl_tiering 0 0
	echo "machine online=numa2 slow=$slow kernel=$(uname -r)"
	cgroup_setup
	start_hotcold $slow 0 || exit 1
	cdmd_conf 256 $overhead_interval_ms 4 1
	cdmd_prepare
	t0=$(now_cs)
	cdmd_start
	sleep 1
	ticks0=$(cpu_ticks $cdmd_pid)
	# settled: both sets at least 95% in place, and cdmd's bytes moved
	# the same over two samples (4 s): the window measures managing, not
	# the tail of the first moves
	settled= last=
	while [ $(($(now_cs) - t0)) -lt $((secs * 200)) ]; do
		sleep 2
		sample_nodes
		bytes=$(cdmd_bytes | awk '{ print $1 }')
		if [ $((h0 * 100)) -ge $((hot_pages * 95)) ] && [ $((cslow * 100)) -ge $((cold_pages * 95)) ] &&
		   [ "$bytes" = "$last" ]; then
			settled=$(($(now_cs) - t0))
			break
		fi
		last=$bytes
	done
	ticks1=$(cpu_ticks $cdmd_pid)
	el=$(($(now_cs) - t0))
	echo "overhead settle ${settled:-none} cs, hot0=$h0/$hot_pages cold_slow=$cslow/$cold_pages; cdmd cpu_ticks=$((ticks1 - ticks0)) over $el cs while moving; $(cdmd_bytes)"
	kd=$(cat $damon/*/pid 2>/dev/null | head -n 1)
	kd0=0
	[ -z "$kd" ] || kd0=$(cpu_ticks $kd)
	w0=$(now_cs)
	c0_=$(cpu_ticks $cdmd_pid)
	sleep "$secs"
	w1=$(now_cs)
	c1_=$(cpu_ticks $cdmd_pid)
	kd1=0
	[ -z "$kd" ] || kd1=$(cpu_ticks $kd)
	sample_nodes
	echo "overhead window_cs=$((w1 - w0)) interval_ms=$overhead_interval_ms hz=$hz cdmd_ticks=$((c1_ - c0_)) kdamond_ticks=$((kd1 - kd0)) kdamond_pid=${kd:-none} rss_kb=$(status_kb $cdmd_pid VmRSS) hwm_kb=$(status_kb $cdmd_pid VmHWM) managed_kb=$(((hot_mib + cold_mib) * 1024)) hot0=$h0 cold_slow=$cslow"
	echo "overhead tracker $(sed -n 's/.*tracking accesses with \([a-z]*\),.*/\1/p' /tmp/cdmd.log | head -n 1) log_lines $(wc -l </tmp/cdmd.log) errors $(grep -ci error /tmp/cdmd.log)"
	cdmd_stop
	stop_hotcold
}

case "$mode" in
tier) run_tier "$@" ;;
overhead) run_overhead "$@" ;;
*) echo "usage: placement-guest.sh tier|overhead SECONDS HOT_MIB COLD_MIB [CONTENDER...]" >&2; exit 2 ;;
esac
exit 0
