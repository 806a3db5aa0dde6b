#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdm-explicit.sh [stock]: on numa3 (node 0 has the CPUs, nodes 1 and 2
# are CPU-less, 1 GiB each), every explicit request gets from a CDM node
# exactly what it gets from an ordinary CPU-less node, while default
# allocations never see a CDM node. Run with cdm_nodes=1,2 on the
# project's kernel and, as the reference, on the same kernel without
# cdm_nodes= and on the stock kernel ("stock": no test module there).
# Only what default allocations get differs between the runs; the script
# reads has_coherent_device to know which run it is.
#
# Page locations are read back from the kernel (move_pages status, the
# test module's per-node counts), content is re-checked where data moves.
# Requests that a kernel cannot serve end in an OOM kill, SIGBUS or an
# endless fault retry: every workload is killable and those that can
# hang run under a timeout, so a failure costs one result, not the run.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/kmsg.sh"
. "$CDM_TOP/tests/lib/holder.sh"
. "$CDM_TOP/tests/lib/meminfo.sh"
. "$CDM_TOP/tests/lib/shelter.sh"	# in_open: a workload the OOM killer may kill
kernel=${1:-project}
bin=$CDM_TOP/build/tests/vm
sysnode=/sys/devices/system/node
cg=/sys/fs/cgroup

cdm=$(cat $sysnode/has_coherent_device 2>/dev/null)
diag "kernel $(uname -r), has_coherent_device: '${cdm-absent}'"
for n in 0 1 2; do
	diag "fallback order for node $n: $(dmesg | sed -n "s/.*Fallback order for Node $n: //p" | tail -n 1)"
done

# The test's shell outlives the OOM kills below; what in_open and hold
# start inherits nothing of this (oom_score_adj 0).
echo -1000 >/proc/$$/oom_score_adj

# Node 1 is filled to 8 MiB above its high watermark below: keep that
# room out of the per-CPU lists (meminfo.sh).
pcp_lists_small

# zone_kb NODE FIELD: zone_pages (meminfo.sh) of all NODE's zones, in kB
zone_kb() { echo $(( $(zone_pages "$1" "$2") * 4 )); }

# place CMD...: run CMD killable and for 60 s at most; print what it
# printed and "exit N" (137: OOM-killed, 143: timed out, 135: SIGBUS)
place() {
	in_open timeout 60 "$@" 2>&1
	echo "exit $?"
}

# all_on NODE REPORT DESC: every one of the $pages pages of REPORT is on
# NODE; otherwise the report is the diagnosis
all_on() {
	if [ "$(count "$2" "$1")" = "$pages" ]; then
		pass "$3"
	else
		fail "$3" "want all $pages pages on node $1, got:" "$2"
	fi
}

mib=16
pages=$((mib * 256))

# 1. Nearest first: a mask with node 0 and a CDM node fills node 0, where
# every CPU of numa3 is, first; a CDM node is only further away, as any
# CPU-less node.
for mode in bind preferred-many; do
	all_on 0 "$(place "$bin/policy-alloc" $mode 0,1 $mib)" "$mode 0,1: all $pages pages on node 0, the nearest"
done

# 2. Two CDM nodes at the same distance: the lower id first, then the
# other once it is full. A holder bound to node 1 fills it up to 8 MiB
# above its high watermark (its page tables and arrays take ~5 MiB more).
all_on 1 "$(place "$bin/policy-alloc" bind 1,2 $mib)" "bind 1,2: all $pages pages on node 1 (nodes 1, 2 equally far)"
fill=$(( ($(node_kb 1 MemFree) - $(zone_kb 1 high)) / 1024 - 8 ))
hold fill bind 1 $fill
fill_pid=$held_pid
is "$(count "$(cat /tmp/fill.start)" 1)" $((fill * 256)) "a holder bound to node 1 fills it with $fill MiB"
# All node 1 can still give: its free pages and its per-CPU lists.
room1=$(( ($(node_kb 1 MemFree) + $(zone_kb 1 count:)) / 4 ))
more=$((256 * 256))
out=$(place "$bin/policy-alloc" bind 1,2 256)
n1=$(count "$out" 1) n2=$(count "$out" 2)
diag "node 1 had room for $((room1 >> 8)) MiB; the task got $((n1 >> 8)) MiB there, $((n2 >> 8)) MiB on node 2"
is "$(echo "$out" | sed -n 's/^exit //p')" 0 "bind 1,2 with node 1 full: 256 MiB more, and the task is not OOM-killed"
is $((n1 + n2)) "$more" "  ... all its $more pages on node 1 or 2"
cmp_ok "$n2" -ge $((more - room1)) "  ... what node 1 had no room for on node 2 ($n2 pages)"
check "  ... the holder filling node 1 is still there" kill -0 $fill_pid
kill $fill_pid 2>/dev/null
wait $fill_pid 2>/dev/null

# 3. A full CDM node ends in a memory-policy OOM: a task bound to node 1
# alone that wants more than node 1 has is the one killed. A holder bound
# to node 0, bigger than node 1, would be the victim of a global OOM.
size1=$(( $(node_kb 1 MemTotal) / 1024 ))
hold big0 bind 0 $((size1 + 64))
big0_pid=$held_pid
log_lines=$(dmesg | wc -l)
# not in_open: its pid must be the task's (sh execs it)
sh -c 'echo 0 >/proc/self/oom_score_adj && exec "$@"' sh \
	"$bin/policy-alloc" bind 1 $((size1 + 512)) >/dev/null 2>&1 &
pid=$!
wait $pid
is "$?" 137 "bind 1, $((size1 + 512)) MiB (node 1 has $size1 MiB): the task is killed (SIGKILL)"
dmesg | tail -n +$((log_lines + 1)) >/tmp/oom.log
check "  ... by the OOM killer (Killed process $pid)" grep -q "Killed process $pid " /tmp/oom.log
check "  ... in a memory-policy OOM (constraint=CONSTRAINT_MEMORY_POLICY,nodemask=1)" \
	grep -q "constraint=CONSTRAINT_MEMORY_POLICY,nodemask=1,.*,pid=$pid," /tmp/oom.log
is "$(grep -c 'Killed process' /tmp/oom.log)" 1 "  ... which killed nothing else"
check "  ... the holder on node 0 survives" kill -0 $big0_pid
kill $big0_pid 2>/dev/null
wait $big0_pid 2>/dev/null

# 4. cpusets (cgroup v2). A cpuset whose mems are CDM nodes only is an
# explicit request for them, for default-policy tasks too.
echo +cpuset >$cg/cgroup.subtree_control
cpuset() {	# cpuset NAME MEMS: a child cgroup of the root with those mems
	mkdir -p "$cg/$1" && echo "$2" >"$cg/$1/cpuset.mems"
}
in_cpuset() {	# in_cpuset NAME CMD...: place CMD in that cgroup
	(CDM_OPEN_CGROUP=$cg/$1 && export CDM_OPEN_CGROUP && shift && place "$@")
}
cpuset cdm-mems-1 1
all_on 1 "$(in_cpuset cdm-mems-1 "$bin/policy-alloc" default - $mib)" \
	"cpuset.mems=1: a default task gets all $pages pages on node 1"
cpuset cdm-mems-1-2 1-2
all_on 1 "$(in_cpuset cdm-mems-1-2 "$bin/policy-alloc" default - $mib)" \
	"cpuset.mems=1-2: a default task gets all $pages pages on node 1"
cpuset cdm-mems-0-1 0-1
all_on 0 "$(in_cpuset cdm-mems-0-1 "$bin/policy-alloc" default - $mib)" \
	"cpuset.mems=0-1: a default task gets all $pages pages on node 0"
# Shrinking mems migrates the tasks' pages (always on in cgroup v2).
cpuset cdm-shrink 0-1
hold shrink CDM_OPEN_CGROUP=$cg/cdm-shrink bind 1 $mib
shrink_pid=$held_pid
all_on 1 "$(cat /tmp/shrink.start)" "cpuset.mems=0-1: a task bound to node 1 has its $pages pages there"
echo 0 >$cg/cdm-shrink/cpuset.mems
out=$(report shrink $shrink_pid)
all_on 0 "$out" "cpuset.mems 0-1 -> 0: its pages move to node 0"
is "$(echo "$out" | sed -n 's/^content //p')" ok "cpuset.mems 0-1 -> 0: content intact"
kill $shrink_pid
wait $shrink_pid 2>/dev/null
# The cgroups stay: removing the last cpuset flips the cpusets_enabled()
# static key back, and runtime text patching is what multi-threaded TCG
# now and then executes half-written (the guest is discarded anyway).

# 5. A home node (set_mempolicy_home_node) is where a bind or
# preferred-many range starts looking, in the range's nodes.
for spec in "bind 1,2 2 2" "bind 1 0 1" "preferred-many 0,1 1 1"; do
	set -- $spec	# MODE NODES HOME, then the node the pages belong on
	all_on "$4" "$(place "$bin/explicit-alloc" home "$1" "$2" "$3" $mib)" \
		"mbind $1 $2, home node $3: all $pages pages on node $4"
done

# 6. hugetlb: a pool on a CDM node serves the tasks that ask for the
# node. With it the only pool, a default task's MAP_HUGETLB reservation
# must not count it (the fault could not use it: SIGBUS); on an ordinary
# node it is the pool.
hp=hugepages/hugepages-2048kB/nr_hugepages
echo 8 >$sysnode/node1/$hp
is "$(cat $sysnode/node1/$hp) $(cat /proc/sys/vm/nr_hugepages)" "8 8" \
	"node 1 nr_hugepages=8, the whole pool"
out=$(place "$bin/explicit-alloc" hugetlb default - 4)
status=$(echo "$out" | sed -n 's/^exit //p')
if [ -n "$cdm" ]; then
	is "$status $(echo "$out" | sed -n 's/^mmap errno //p')" "4 ENOMEM" \
		"default task, 4 MiB MAP_HUGETLB: mmap fails with ENOMEM (no reservation from a CDM pool)"
else
	is "$status $(count "$out" 1)" "0 2" "default task, 4 MiB MAP_HUGETLB: both huge pages from node 1's pool"
fi
out=$(place "$bin/explicit-alloc" hugetlb bind 1 4)
is "$(count "$out" 1)" 2 "bound to node 1, 4 MiB MAP_HUGETLB: both huge pages on node 1"
echo 0 >$sysnode/node1/$hp
is "$(cat /proc/sys/vm/nr_hugepages)" 0 "the huge page pools are empty again"

# Surplus pages (nr_overcommit_hugepages, the pools empty): a default
# task that maps huge pages one at a time, up to more than node 0 holds,
# gets surplus pages from node 0 until it is full, then ENOMEM (and
# gives 16 MiB back before it goes on, for the kernel's own needs): a CDM
# node's surplus page would be reserved for it as if node 0's free pages
# backed it, and a fault (its own or another task's) would find no page
# it may use (SIGBUS). A task bound to node 1 gets them there. On the
# references nodes 1 and 2 take over from node 0, which shows the check
# catches surplus pages there.
surplus_of() { echo "$1" | sed -n "s/^surplus node $2 //p" | grep . || echo 0; }
node0_mib=$(( $(sed -n 's/.*MemTotal: *\([0-9]*\) kB/\1/p' $sysnode/node0/meminfo) / 1024 ))
big=$(( (node0_mib + 64) / 2 * 2 ))	# MiB, whole 2 MiB pages
echo 2048 >/proc/sys/vm/nr_overcommit_hugepages
out=$(place "$bin/explicit-alloc" surplus default - $big)
mapped=$(echo "$out" | sed -n 's/^mapped //p')
kept=$(echo "$out" | sed -n 's/^kept //p')
what="default task, 2 MiB MAP_HUGETLB mappings up to $big MiB (node 0 has $node0_mib MiB)"
diag "$what: $mapped mapped, $kept kept; $(echo "$out" | sed -n 's/^surplus //p;s/^mmap errno //p;s/^exit //p' | tr '\n' ' ')"
if [ -n "$cdm" ]; then
	is "$(echo "$out" | sed -n 's/^mmap errno //p') $(surplus_of "$out" 1) $(surplus_of "$out" 2)" "ENOMEM 0 0" \
		"$what: ENOMEM once node 0 is full, no surplus page from a CDM node"
	is "$(echo "$out" | sed -n 's/^exit //p') $(count "$out" 0) $(echo "$out" | sed -n 's/^content //p')" "0 $kept ok" \
		"$what: all $kept pages kept fault in on node 0, content intact"
else
	is "$(echo "$out" | sed -n 's/^exit //p') $mapped $(( $(surplus_of "$out" 1) + $(surplus_of "$out" 2) > 0 ))" "0 $((big / 2)) 1" \
		"$what: all mapped, nodes 1 and 2 give surplus pages once node 0 is full"
	is "$(echo "$out" | sed -n 's/^total //p') $(echo "$out" | sed -n 's/^content //p')" "$kept ok" \
		"$what: all $kept pages kept fault in, content intact"
fi
out=$(place "$bin/explicit-alloc" surplus bind 1 4)
is "$(echo "$out" | sed -n 's/^exit //p') $(surplus_of "$out" 1) $(count "$out" 1)" "0 2 2" \
	"bound to node 1, 4 MiB MAP_HUGETLB: both surplus pages on node 1"
echo 0 >/proc/sys/vm/nr_overcommit_hugepages
is "$(cat /proc/sys/vm/nr_hugepages) $(cat /proc/sys/vm/nr_overcommit_hugepages)" "0 0" \
	"no huge pages left, overcommit off again"

# 7. Kernel allocations under the task's policy (tests/kernel/cdm_test_alloc.ko):
# vmalloc (bulk allocation, with a preferred-many path of its own) and slab,
# made in the context of a shell that numactl gave the policy (Debian 12's
# numactl 2.0.16 has --preferred-many).
if [ "$kernel" = stock ]; then
	skip "kernel allocations under a task's policy (13 checks)" "no test module for the stock kernel"
	done_testing 31
fi
f=/sys/kernel/debug/cdm_test_alloc/pages
n=4096
line() { echo "$1" | grep "^$2 "; }	# line REPORT vmalloc|slab
setp() { write_file $f "$1"; }	# setp VALUE: "ok" or the error the write got

check "the test module loads" modprobe cdm_test_alloc
# A CDM node's memory is all ZONE_MOVABLE (cdm_nodes= at boot as for
# hot-added device memory), which kernel memory cannot use: under a
# policy naming node 1 it comes from node 0, as on an ordinary node whose
# memory is movable; the reference's node 1 is ZONE_NORMAL and gets it.
for policy in --preferred-many=1 --membind=1; do
	out=$(numactl $policy sh -c "echo $n >$f" && cat $f)
	if [ -n "$cdm" ]; then
		is "$(line "$out" vmalloc)" "vmalloc $n 0 0" "numactl $policy: all $n vmalloc pages on node 0 (node 1 is ZONE_MOVABLE)"
		is "$(line "$out" slab)" "slab $n 0 0" "numactl $policy: all $n pages of slab objects on node 0 (node 1 is ZONE_MOVABLE)"
	else
		is "$(line "$out" vmalloc)" "vmalloc 0 $n 0" "numactl $policy: all $n vmalloc pages on node 1"
		is "$(line "$out" slab)" "slab 0 $n 0" "numactl $policy: all $n pages of slab objects on node 1"
	fi
done
out=$(sh -c "echo $n >$f" && cat $f)
for kind in vmalloc slab; do
	if [ -n "$cdm" ]; then
		is "$(line "$out" $kind)" "$kind $n 0 0" "default policy: all $n $kind pages on node 0, none on a CDM node"
	else
		is "$(line "$out" $kind | awk '{ print $2 + $3 + $4 }')" $n "default policy: $n $kind pages counted"
	fi
done
for value in 0 $((65536 + 1)) 99999999999999999999 12abc; do
	is "$(setp $value)" "Invalid argument" "writing '$value' is refused with EINVAL"
done
check "the test module unloads" rmmod cdm_test_alloc
check "  ... and takes its debugfs directory along" test ! -e /sys/kernel/debug/cdm_test_alloc

done_testing 43
