#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdmd-own-memory.sh: cdmd keeps its own memory on the nodes with CPUs.
# numa2 (node 1 CPU-less, onlined as ordinary memory), node 0 held by
# hugetlb pages between its min and low watermarks, where the kernel
# sends default allocations to node 1 (kswapd may lift it just above low
# meanwhile; an allocation brings it back):
#   - the condition holds: a default allocation lands on node 1 (so the
#     checks below can fail);
#   - cdmd started with the default policy prefers node 0 from main() on
#     and moves what it got on node 1 before to node 0 (read back from
#     its numa_maps while it runs); where node 0, held this tight, takes
#     only part, it says why;
#   - cdmd started under an explicit policy (numactl --preferred=1)
#     keeps it: the administrator's choice.
# CDMD=PATH runs another cdmd build (an older one: the baseline).
. "$CDM_TOP/tests/lib/tap.sh"
cdmd=${CDMD:-$CDM_TOP/build/bin/cdmd}
conf=/tmp/cdmd-own.conf
log=/tmp/cdmd-own.log
node0=/sys/devices/system/node/node0
hp=$node0/hugepages/hugepages-2048kB/nr_hugepages

free_kb() { awk '$3 == "MemFree:" { print $4 }' $node0/meminfo; }
# node 0's watermark W (min, low, high), all zones, in kB
wmark_kb() {
	awk -v w="$1" '$1 == "Node" { n = $2 } n == "0," && $1 == w { s += $2 } END { print s * 4 }' \
		/proc/zoneinfo
}
# pages process PID maps on node N (numa_maps, every mapping)
pages_on() {
	tr ' ' '\n' </proc/$1/numa_maps | awk -F= -v k="N$2" '$1 == k { s += $2 } END { print s + 0 }'
}
# hold node 0's free memory at TARGET_KB with 2 MiB hugetlb pages
hold_node0() {
	i=0
	while [ $i -lt 10 ]; do
		d=$(($(free_kb) - $1))
		delta=$(((d + (d < 0 ? -1024 : 1024)) / 2048))
		[ $delta -eq 0 ] && return 0
		n=$(($(cat $hp) + delta))
		echo $((n < 0 ? 0 : n)) >$hp
		sleep 0.3
		i=$((i + 1))
	done
}
start_cdmd() {	# [WRAPPER...]: sets pid once its socket answers
	: >$log
	"$@" "$cdmd" -c $conf --verbose 2>$log &
	pid=$!
	i=0
	until cdmctl status >/dev/null 2>&1 || [ $i -ge 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
stop_cdmd() {
	kill -TERM $pid
	wait $pid
}

cat >$conf <<EOF
[cdmd]
interval_ms = 500

[target none]
match = comm:no-such-process
policy = tiering
fast_nodes = 0
slow_nodes = 1
EOF
echo 0 >/proc/sys/kernel/numa_balancing 2>/dev/null
min=$(wmark_kb min) low=$(wmark_kb low)
# Where free memory settles depends on kswapd and what else runs: held
# 2 MiB tighter at a time until a default allocation of 2 MiB (freed at
# once) puts pages on node 1, never closer than 6 MiB to min
target=$(((min + low) / 2))
tightened=0
while :; do
	hold_node0 $target
	r=$("$CDM_TOP/build/tests/vm/policy-alloc" default - 2)
	on1=$(echo "$r" | awk '$1 == "node" && $2 == 1 { print $3 }')
	[ "${on1:-0}" -eq 0 ] && [ $tightened -lt 8 ] && [ $target -gt $((min + 8192)) ] || break
	target=$((target - 2048))
	tightened=$((tightened + 1))
done
diag "node 0 held at $(free_kb) kB free (min $min, low $low), tightened $tightened times"
cmp_ok "${on1:-0}" -gt 0 "node 0 held near its low watermark: a default allocation lands on node 1 (${on1:-0} of 512 pages)"

start_cdmd
sleep 1
if grep -q '^[0-9a-f]* prefer (many):0 ' /proc/$pid/numa_maps; then
	pass "cdmd, default policy: prefers the node with CPUs from main() on (prefer (many):0)"
else
	fail "cdmd, default policy: prefers the node with CPUs from main() on (prefer (many):0)" \
		"$(head -n 3 /proc/$pid/numa_maps)"
fi
grep 'its own memory' $log | sed 's/^/cdmd said: /' | while read -r l; do diag "$l"; done
# What it got on node 1 before main() moves to node 0 where node 0 takes
# it; node 0 held this near its watermarks may take only part: then cdmd
# says how it went (libcdm's message). Either way nothing stays on node
# 1 unsaid.
n1=$(pages_on $pid 1) n0=$(pages_on $pid 0)
moved=$(sed -n 's/.*its own memory: \([0-9]*\) pages on nodes without CPUs moved to node 0; nodes 0 preferred.*/\1/p' $log)
why=$(sed -n 's/.*warning: its own memory: moving it to node 0: //p' $log)
if [ "$n1" = 0 ]; then
	pass "  ... none of its pages on node 1 ($n0 on node 0; ${moved:-none} moved there at start)"
elif [ -n "$why" ]; then
	pass "  ... $n1 pages on node 1 (node 0 held full), and it said why: $why"
else
	fail "  ... none of its pages on node 1 unsaid" "$n1 on node 1: $(grep 'N1=' /proc/$pid/numa_maps)"
fi
stop_cdmd
is "$?" 0 "  ... and stops with exit 0"

start_cdmd numactl --preferred=1
sleep 1
is "$(sed -n 's/^[0-9a-f]* \(prefer[^ ]*\).*/\1/p' /proc/$pid/numa_maps | sort -u | tr '\n' ' ')" \
	"prefer:1 " "cdmd under numactl --preferred=1 keeps that policy"
is "$(grep -c 'its own memory' $log)" 0 "  ... and moves nothing of its own"
stop_cdmd
echo 0 >$hp
done_testing
