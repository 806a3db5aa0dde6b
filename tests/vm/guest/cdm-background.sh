#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdm-background.sh cdm|stock            (numa2)
# cdm-background.sh demotion cdm|baseline (cxl --cxl-online, --memory 0=512M)
#
# Background mechanisms that pick a node themselves do not move pages into
# a CDM node unless a policy asks for it, and a task bound to the CDM node
# keeps working under them: the default hugetlb pool, huge page collapse
# (MADV_COLLAPSE makes khugepaged's choice synchronously), NUMA balancing
# in both modes, and reclaim demotion. "stock" and "baseline" runs show
# the same mechanisms moving pages into node 1 where nothing prevents it.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/holder.sh"
. "$CDM_TOP/tests/lib/meminfo.sh"
. "$CDM_TOP/tests/lib/shelter.sh"
bin=$CDM_TOP/build/tests/vm
sysnode=/sys/devices/system/node


numa_balancing() {	# numa_balancing MODE FROM A_MIB B_MIB: see below
	nb=$1 from=$2 a_mib=$3 b_mib=$4
	# The default scan delay (1 s) and period (up to 60 s) are too slow
	# for a test; both kernels have the debugfs knobs (CONFIG_SCHED_DEBUG).
	dbg=/sys/kernel/debug/sched/numa_balancing
	if [ -d $dbg ]; then
		echo 0 >$dbg/scan_delay_ms
		echo 10 >$dbg/scan_period_min_ms
		echo 100 >$dbg/scan_period_max_ms
	else
		fail "$dbg exists (CONFIG_SCHED_DEBUG)"
	fi
	echo "$nb" >/proc/sys/kernel/numa_balancing
	faults=$(vmstat numa_hint_faults)
	migrated=$(vmstat numa_pages_migrated)
	# Task a: A_MIB of default-policy memory, moved from node 0 to node
	# FROM by migrate_pages(2) (numactl's migratepages): an explicit
	# placement, which NUMA balancing undoes where nothing prevents it -
	# it moves remote pages towards the task's CPUs (node 0) and, in
	# tiering mode, promotes them out of a lower tier. Task b: B_MIB
	# bound to node 1, used throughout.
	hold a POLICY_ALLOC_TOUCH=1 default - "$a_mib"
	a=$held_pid
	# (from the workloads' cgroup: migrate_pages(2) keeps to the caller's
	# cpuset, and a sheltered shell's holds only the CPU nodes)
	in_open migratepages $a 0 "$from"
	# task a keeps touching its pages: a few can be busy when
	# migrate_pages(2) comes (47 of 4096 once); the placement this test
	# starts from is all of them on node $from, so move what is left
	_try=1
	while [ "$(report a $a | awk '$1 == "node" && $2 == 0 { print $3 }')" -gt 0 ] 2>/dev/null &&
	      [ $_try -lt 5 ]; do
		in_open migratepages $a 0 "$from"
		_try=$((_try + 1))
	done
	diag "numa_balancing=$nb: task a after migratepages ($_try calls): $(report a $a | grep ^node | tr '\n' ' ')"
	hold b POLICY_ALLOC_TOUCH=1 bind 1 "$b_mib"
	b=$held_pid
	sleep 10
	# Freeze both, then compare node 1's anonymous memory with what the
	# two tasks' numa_maps say they hold there. Stopped tasks neither scan
	# nor take hinting faults, so their pages stay put. NUMA balancing
	# itself stays on from boot (numa_balancing=enable): switching it on
	# or off patches kernel text, which multi-threaded TCG now and then
	# lets another vCPU execute half-written.
	kill -STOP $a $b
	anon1=$(node_kb 1 AnonPages)
	# task a's hinting faults on memory of node 1 (the scheduler's per-node
	# statistics: "numa_faults node=1 task_private=P task_shared=S ...")
	a_faults=$(awk '$1 == "numa_faults" && $2 == "node=1" {
		for (i = 3; i <= NF; i++) if ($i ~ /^task_/) { split($i, kv, "="); s += kv[2] } }
		END { print s + 0 }' /proc/$a/sched)
	held1=$(cat /proc/$a/numa_maps /proc/$b/numa_maps | grep anon= | tr ' ' '\n' |
		sed -n 's/^N1=//p' | awk '{ s += $1 } END { print s * 4 }')
	kill -CONT $a $b
	report a $a >/dev/null
	report b $b >/dev/null
	kill $a $b
	faults=$(( $(vmstat numa_hint_faults) - faults ))
	migrated=$(( $(vmstat numa_pages_migrated) - migrated ))
	a1=$(count "$(cat /tmp/a)" 1)
	diag "numa_balancing=$nb: task a's pages: $(grep ^node /tmp/a | tr '\n' ' '); $faults hinting faults ($a_faults by task a on node 1's memory at the end), $migrated pages migrated"
	if [ "$mode" = cdm ]; then
		is "$a1" $((a_mib * 256)) \
			"numa_balancing=$nb: task a's $a_mib MiB moved to CDM node 1 stay there"
		is "$a_faults/$migrated" 0/0 \
			"numa_balancing=$nb: task a's pages on CDM node 1 are not scanned (no hinting fault on them), no page migrated"
	else
		cmp_ok "$faults" -gt 0 "numa_balancing=$nb: the kernel scanned (NUMA hinting faults taken)"
		cmp_ok "$migrated" -gt 0 \
			"numa_balancing=$nb: it moved task a's pages out of node 1 towards its CPUs ($((a_mib * 256 - a1)) pages)"
	fi
	cmp_ok $(( $(count "$(cat /tmp/a)" 0) + a1 )) -eq $((a_mib * 256)) \
		"numa_balancing=$nb: task a's pages are all on node 0 or 1"
	is "$(count "$(cat /tmp/b)" 1)" $((b_mib * 256)) \
		"numa_balancing=$nb: the task bound to node 1 keeps its $b_mib MiB there"
	if [ "$mode" = cdm ]; then
		is "$anon1" "$held1" \
			"numa_balancing=$nb: CDM node 1's anonymous memory is all the two tasks' ($held1 kB), nothing moved in"
	else
		diag "numa_balancing=$nb: node 1 (not CDM) holds $anon1 kB of anonymous memory, the tasks $held1 kB"
	fi
	is "$(sed -n 's/^content //p' /tmp/a)/$(sed -n 's/^content //p' /tmp/b)" ok/ok \
		"numa_balancing=$nb: both tasks' memory is intact"
}

if [ "$1" = demotion ]; then
	mode=$2
	shelter || bail_out "cannot shelter the test's shells in a cgroup (shelter.sh)"
	modprobe zram 2>/dev/null
	echo 4G >/sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null && swapon /dev/zram0
	echo -1000 >/proc/$$/oom_score_adj
	echo 1 >/sys/kernel/mm/numa/demotion_enabled
	before=$(( $(vmstat pgdemote_kswapd) + $(vmstat pgdemote_direct) ))
	# Bound to node 0, so only reclaim (demotion) can move it to node 1;
	# 64 MiB more than node 0 has free is enough to make reclaim run.
	hog=$(( $(node_kb 0 MemFree) / 1024 + 64 ))
	out=$(in_open "$bin/policy-alloc" bind 0 $hog 2>&1)
	demoted=$(( $(vmstat pgdemote_kswapd) + $(vmstat pgdemote_direct) - before ))
	anon1=$(node_kb 1 AnonPages)
	diag "$mode: $demoted pages demoted, node 1 AnonPages $anon1 kB"
	if [ "$mode" = cdm ]; then
		is "$demoted" 0 "demotion: no page demoted into CDM node 1 under reclaim"
		is "$anon1" 0 "demotion: node 1 holds no anonymous memory"
	else
		cmp_ok "$demoted" -gt 0 "baseline: reclaim demotes into the slower CXL node 1"
	fi
	echo 0 >/sys/kernel/mm/numa/demotion_enabled
	# What reclaim swapped out comes back before NUMA balancing runs: on
	# a small node 0 (the debug kernel's KASAN shadow takes an eighth) it
	# would otherwise keep swapping task a's promoted pages out.
	swapoff /dev/zram0
	# Tiering mode scans only memory outside the top tier: the CXL node,
	# whose every access QEMU emulates: small tasks (16 + 8 MiB).
	numa_balancing 2 1 16 8
	# 2 or 1 on demotion, 5 from numa_balancing (+1 on a CDM node)
	done_testing $([ "$mode" = cdm ] && echo 8 || echo 6)
fi

mode=$1

# Default hugetlb pool: spread over ordinary nodes only, at boot
# (hugepages=16 on the command line) and when nr_hugepages is written.
hugetlb_pool() {	# hugetlb_pool HOW
	hp0=$(cat $sysnode/node0/hugepages/hugepages-2048kB/nr_hugepages)
	hp1=$(cat $sysnode/node1/hugepages/hugepages-2048kB/nr_hugepages)
	diag "$mode: $1 gave node 0: $hp0, node 1: $hp1"
	if [ "$mode" = cdm ]; then
		is "$hp0/$hp1" "16/0" "default hugetlb pool ($1): all 16 pages on node 0, none on CDM node 1"
	else
		cmp_ok "$hp1" -gt 0 "stock baseline: the default hugetlb pool ($1) spreads into node 1"
	fi
	echo 0 >/proc/sys/vm/nr_hugepages
}
hugetlb_pool "hugepages=16 at boot"
echo 16 >/proc/sys/vm/nr_hugepages
hugetlb_pool "nr_hugepages=16"
numactl --membind=1 sh -c 'echo 4 >/proc/sys/vm/nr_hugepages_mempolicy'
is "$(cat $sysnode/node1/hugepages/hugepages-2048kB/nr_hugepages)" 4 \
	"nr_hugepages_mempolicy under --membind=1 puts the pool on node 1"
echo 0 >$sysnode/node1/hugepages/hugepages-2048kB/nr_hugepages

# Huge page collapse of a range with 300 of 512 pages on node 1.
out=$("$bin/collapse-node" 300)
check "collapse of a mixed range succeeds with intact content" sh -c "echo '$out' | grep -q 'collapse OK' && echo '$out' | grep -q 'content ok' && ! echo '$out' | grep -q 'thp_kb 0$'"
node=$(echo "$out" | sed -n 's/^node //p')
if [ "$mode" = cdm ]; then
	is "$node" 0 "collapse does not pull node 0's pages into CDM node 1 (huge page on node 0)"
else
	is "$node" 1 "stock baseline: collapse pulls the range into node 1"
fi
out=$("$bin/collapse-node" 512)
is "$(echo "$out" | sed -n 's/^node //p')" 1 "a range entirely on node 1 collapses in place"
check "and its content is intact" sh -c "echo '$out' | grep -q 'content ok'"
# A range whose policy names node 1 asked for it: collapsed like on an
# ordinary node, onto the node with most of its pages, not onto DRAM.
for nodes in 1 0,1; do
	out=$("$bin/collapse-node" 300 bind $nodes)
	is "$(echo "$out" | sed -n 's/^node //p') $(echo "$out" | sed -n 's/^content //p')" "1 ok" \
		"a range bound to $nodes with 300 of 512 pages on node 1 collapses onto node 1, content intact"
done

# NUMA balancing moves task a's pages from node 1 to its CPUs' node 0
# where node 1 is an ordinary node; on a CDM node they stay where
# migrate_pages(2) put them, and nothing moves in.
numa_balancing 1 1 64 32

# 3 on hugetlb pools, 6 on collapse, 5 from numa_balancing (+1 on a CDM node)
done_testing $([ "$mode" = cdm ] && echo 15 || echo 14)
