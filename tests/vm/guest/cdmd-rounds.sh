#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdmd-rounds.sh: cdmd demotes a process's 128 MiB cold set from node 0
# to the CXL node, where QEMU emulates every access (moves of about
# 17 MB/s), with a rate limit that lets a round plan all of it at once.
# Checks:
#   - while it moves, `cdmctl status` answers within 3 s, five times in a
#     row, and no round since cdmd started lasted over 3 s (its
#     longest_round_ms): a round moves for about an interval (1 s at
#     least), then serves its sockets (before, one round carried out the
#     whole plan, and status waited 8.3 s for it here);
#   - the cold set keeps moving between those answers, and all of it
#     reaches the CXL node within 120 s (but for pages next to the hot
#     set, see below); moved back to node 0, every page's content is
#     intact.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/hotcold.sh"
. "$CDM_TOP/tests/lib/topo.sh"
cdmd=$CDM_TOP/build/bin/cdmd
conf=/tmp/cdmd.conf
log=/tmp/cdmd.log
out=/tmp/hotcold.out
hot_mib=1 cold_mib=128
cold_pages=$((cold_mib * 256))

now_cs() {
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}" | sed 's/^0*//; s/^$/0/'
}
json() {	# KEY: from the JSON on stdin
	"$CDM_TOP/build/tests/vm/libcdm/jsonget" "$1"
}

slow=$(cpuless_memory_node)
[ -n "$slow" ] || bail_out "no CPU-less node with memory (the CXL memory is not online)"
diag "the CXL memory is node $slow"

echo 0 > /proc/sys/kernel/numa_balancing 2>/dev/null
hotcold_start $hot_mib $cold_mib 0 0
r=$(report)
is "$(pages "$r" cold 0)" $cold_pages "before cdmd: the cold set on node 0"

cat > $conf <<EOC
[cdmd]
interval_ms = 100

[target hc]
match = comm:hotcold
policy = tiering
fast_nodes = 0
slow_nodes = $slow
promote_accesses = 20
demote_accesses = 1
cold_age_s = 0
min_residency_s = 0
rate_mb_s = 1024
fast_free_mb = 0
EOC
"$cdmd" -c $conf 2> $log &
cdmd_pid=$!

# wait for the first cold pages on the CXL node (the log says a move
# once it is over, too late for the checks that follow)
i=0 first=0
while [ $first -eq 0 ] && [ $i -lt 300 ]; do
	sleep 0.1
	first=$(pages "$(report)" cold $slow)
	i=$((i + 1))
done
cmp_ok $first -gt 0 "cdmd demotes the cold set to node $slow"
worst=0 longest=0 answered=0
for k in 1 2 3 4 5; do
	t0=$(now_cs)
	st=$(cdmctl status --json 2>&1)
	t=$(($(now_cs) - t0))
	[ $t -le $worst ] || worst=$t
	ms=$(echo "$st" | json longest_round_ms 2>/dev/null)
	case "$ms" in
	''|*[!0-9]*) diag "status $k: $st" ;;
	*) answered=$((answered + 1)); [ "$ms" -le $longest ] || longest=$ms ;;
	esac
	sleep 0.5
done
last=$(pages "$(report)" cold $slow)
is $answered 5 "cdmctl status answered 5 times of 5 while cdmd moved"
cmp_ok $worst -le 300 "  ... each within 3 s (slowest $((worst * 10)) ms)"
cmp_ok $longest -le 3000 "  ... and no round since cdmd started lasted over 3 s (longest $longest ms)"
cmp_ok $last -gt $first "  ... while the cold set kept moving ($first, then $last of $cold_pages pages on node $slow)"

i=0
while [ "$(pages "$(report)" cold $slow)" -lt $cold_pages ] && [ $i -lt 120 ]; do
	sleep 1
	i=$((i + 1))
done
r=$(report)
# DAMON's regions can join the first cold pages to the hot set's last
# ones next to them (seen: cold page 0, twice in 4 runs), which are used
n=$(pages "$r" cold $slow)
left=$(echo "$r" | awk -v n=$slow '$1 == "cold" && $2 == "run" && $4 != n {
	split($3, a, "-"); if (a[1] > 15 || a[2] > 15) far = 1; c += a[2] - a[1] + 1 }
	END { print far ? "far" : c + 0 }')
is "$left" $((cold_pages - n)) "all of the cold set reached node $slow but $left of its first 16 pages, next to the hot set (after $i s)"
[ $n -eq $cold_pages ] || echo "$r" | grep ' run ' | sed 's/^/# /'

kill -TERM $cdmd_pid
wait $cdmd_pid
is $? 0 "cdmd stops on SIGTERM with exit 0"
grep -E 'demote|warning|error' $log | tail -n 5 | sed 's/^/# /'

# The content, read back on node 0: hotcold reads 128 MiB on the CXL
# node at a few hundred KiB/s, the kernel copies them back at ~17 MB/s
migratepages $hc $slow 0
r=$(report HUP)
is "$(pages "$r" cold 0)" $cold_pages "the cold set moved back to node 0 (migratepages)"
is "$(echo "$r" | sed -n 's/^content //p')" ok "  ... every page's content intact"
kill $hc 2>/dev/null
done_testing
