#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdmd-cpu-lists.sh: free pages on node 0's per-CPU lists count as room
# for promotion, as far as promoting into them keeps node 0's MemFree
# above its low watermark (daemon/zoneinfo.h).
#
# A process's 8 MiB hot set sits on node 1, nothing of it on node 0 to
# demote. cdmd first runs with fast_free_mb at its maximum (nothing may
# be promoted); a process bound to node 0 and CPU 0 then maps and frees
# 64 MiB, which the kernel keeps on CPU 0's list, out of MemFree. cdmd
# is reloaded with fast_free_mb at node 0's MemFree and lists less
# 16 MiB: with the lists there is room for the hot set. By MemFree alone
# there is room only for what the lists give back as the kernel shrinks
# them, never below the zone's low watermark split over the node's CPUs
# (here 20 MiB a CPU): cdmd before this change promoted 0 and 643 pages
# of 2048 in 30 s (two runs). Checks: the hot set reaches node 0 within
# 30 s, content intact; `cdmctl status` showed the lists; node 0's
# MemFree stayed above its low watermark. And cdmd warns when its own
# cpuset leaves out a node it manages.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/hotcold.sh"
. "$CDM_TOP/tests/lib/meminfo.sh"
cdmd=$CDM_TOP/build/bin/cdmd
conf=/tmp/cdmd.conf
log=/tmp/cdmd.log
out=/tmp/hotcold.out
hot_mib=8
hot_pages=$((hot_mib * 256))

conf() {	# FAST_FREE_MB
	cat > $conf <<EOC
[cdmd]
interval_ms = 200

[target hc]
match = comm:hotcold
policy = tiering
fast_nodes = 0
slow_nodes = 1
promote_accesses = 4
demote_accesses = 1
min_residency_s = 0
rate_mb_s = 1024
fast_free_mb = $1
EOC
}

echo 0 > /proc/sys/kernel/numa_balancing 2>/dev/null
hotcold_start $hot_mib 1 1 1
r=$(report)
is "$(pages "$r" hot 1)" $hot_pages "before cdmd: the hot set on node 1"

conf 1048576
"$cdmd" -c $conf 2> $log &
cdmd_pid=$!
i=0
while ! cdmctl status >/dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sleep 2
is "$(pages "$(report)" hot 0)" 0 "fast_free_mb at its maximum: nothing promoted"

numactl --physcpubind=0 "$CDM_TOP/build/tests/vm/policy-alloc" bind 0 64 > /dev/null
free_kb=$(node_kb 0 MemFree)
lists_kb=$(($(zone_pages 0 count:) * 4))
low_kb=$(($(zone_pages 0 low) * 4))
keep_mb=$(((free_kb + lists_kb) / 1024 - 16))
diag "node 0: MemFree $free_kb kB, on per-CPU lists $lists_kb kB, low watermark $low_kb kB; fast_free_mb = $keep_mb"
cmp_ok $lists_kb -ge $((32 * 1024)) "64 MiB mapped and freed on CPU 0: 32 MiB at least on node 0's lists"
conf $keep_mb
cdmctl reload > /dev/null
is $? 0 "cdmctl reload with fast_free_mb $keep_mb"

seen_lists=0 lowest=$free_kb
i=0
while [ "$(pages "$(report)" hot 0)" -lt $hot_pages ] && [ $i -lt 60 ]; do
	st=$(cdmctl status --json 2>/dev/null)
	l=$(echo "$st" | tr -d ' \n' | sed -n 's/.*"node":0,[^}]*"cpu_lists_bytes":\([0-9]*\).*/\1/p')
	[ "${l:-0}" -le $seen_lists ] || seen_lists=$l
	f=$(node_kb 0 MemFree)
	[ $f -ge $lowest ] || lowest=$f
	sleep 0.5
	i=$((i + 1))
done
r=$(report HUP)
# DAMON's regions can join a few pages at the hot set's ends to the
# mappings next to them (4 of 2048 once): those may stay behind
n=$(pages "$r" hot 0)
left=$(echo "$r" | awk -v last=$((hot_pages - 1)) '$1 == "hot" && $2 == "run" && $4 != 0 {
	split($3, a, "-"); if (a[2] > 15 && a[1] < last - 15) far = 1; c += a[2] - a[1] + 1 }
	END { print far ? "far" : c + 0 }')
is "$left" $((hot_pages - n)) "the hot set reached node 0 but $left pages at its ends (after $((i / 2)) s)"
[ $n -eq $hot_pages ] || echo "$r" | grep ' run ' | sed 's/^/# /'
is "$(echo "$r" | sed -n 's/^content //p')" ok "  ... every page's content intact"
cmp_ok $seen_lists -gt 0 "  ... cdmctl status showed node 0's lists ($seen_lists bytes)"
cmp_ok $lowest -ge $low_kb "  ... node 0's MemFree stayed above its low watermark (lowest $lowest kB, low $low_kb kB)"
grep -q 'held' $log && grep 'held' $log | tail -n 2 | sed 's/^/# /'

kill -TERM $cdmd_pid
wait $cdmd_pid
is $? 0 "cdmd stops on SIGTERM with exit 0"
kill $hc 2>/dev/null
grep -E 'promote|warning|error' $log | tail -n 5 | sed 's/^/# /'

# cdmd in a cpuset without node 1 cannot move pages there (the kernel
# allocates them within cdmd's cpuset): it says so when it loads the
# configuration, and is silent where it may use both nodes
cg=/sys/fs/cgroup
echo +cpuset > $cg/cgroup.subtree_control
mkdir -p $cg/narrow
echo 0 > $cg/narrow/cpuset.mems
msg=$(sh -c "echo \$\$ > $cg/narrow/cgroup.procs && exec $cdmd -c $conf --check" 2>&1)
has "cdmd --check in a cpuset of node 0: node 1 is outside it" "$msg" \
	"target hc: node 1 outside cdmd's own cpuset (Mems_allowed 0)"
msg=$("$cdmd" -c $conf --check 2>&1)
is "$msg" "$conf: 1 targets, no problems" "cdmd --check where it may use both nodes: no warning"
done_testing
