#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdm-access.sh: on numa2, explicit requests for node 1 get node 1.
# Run with node 1 marked CDM (cdm_nodes=1) on the project's kernel, and on
# the stock kernel as the reference: every explicit path must behave the
# same on both. Page locations are read back from the kernel (move_pages
# status, numa_maps, per-node hugetlb counters), content is re-checked.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/holder.sh"
bin=$CDM_TOP/build/tests/vm
sysnode=/sys/devices/system/node

cdm=$(cat $sysnode/has_coherent_device 2>/dev/null)
diag "kernel $(uname -r), has_coherent_device: '${cdm-absent}'"

mib=16
pages=$((mib * 256))
for spec in "bind 1" "preferred 1" "preferred-many 1" "interleave 1" "weighted-interleave 1"; do
	set -- $spec
	out=$("$bin/policy-alloc" $1 $2 $mib 2>&1)
	is "$(count "$out" 1)" "$pages" "$1 $2: all $pages pages on node 1"
done
for mode in bind preferred-many; do
	out=$("$bin/policy-alloc" $mode 0,1 $mib 2>&1)
	is $(( $(count "$out" 0) + $(count "$out" 1) )) "$pages" "$mode 0,1: every page on node 0 or 1"
done
for mode in interleave weighted-interleave; do
	out=$("$bin/policy-alloc" $mode 0,1 $mib 2>&1)
	n0=$(count "$out" 0) n1=$(count "$out" 1)
	cmp_ok "$n1" -ge $((pages * 4 / 10)) "$mode 0,1: node 1 gets its share ($n1 of $pages)"
	cmp_ok "$n0" -ge $((pages * 4 / 10)) "$mode 0,1: node 0 gets its share ($n0 of $pages)"
done
out=$("$bin/policy-alloc" default - $mib 2>&1)
is "$(count "$out" 0)" "$pages" "default policy: all pages on node 0"

out=$(numactl --membind=1 "$bin/pagenodes" $mib 2>&1)
is "$(echo "$out" | sed -n 's/.* \(N[0-9]*=[0-9]*\).*/\1/p')" "N1=$pages" "numactl --membind=1: numa_maps shows N1=$pages"
out=$(numactl --preferred=1 "$bin/pagenodes" $mib 2>&1)
is "$(count "$out" 1)" "$pages" "numactl --preferred=1: all pages on node 1"
out=$(numactl --interleave=1 "$bin/pagenodes" $mib 2>&1)
is "$(count "$out" 1)" "$pages" "numactl --interleave=1: all pages on node 1"

# __GFP_THISNODE: a per-node hugetlb pool is allocated with it.
hp=$sysnode/node1/hugepages/hugepages-2048kB/nr_hugepages
echo 8 >"$hp"
is "$(cat "$hp")" 8 "node 1 nr_hugepages=8 (__GFP_THISNODE allocations on node 1)"
echo 0 >"$hp"

# move_pages(2) both ways, 4 KiB and THP, content checked.
"$bin/move-pages-roundtrip" 4k 32 0 1
"$bin/move-pages-roundtrip" thp 32 0 1

# migrate_pages(2) through numactl's migratepages, both ways.
hold held default - $mib
pid=$held_pid
is "$(count "$(cat /tmp/held.start)" 0)" "$pages" "migrate_pages: the process starts with its $pages pages on node 0"
migratepages $pid 0 1
out=$(report held $pid)
is "$(count "$out" 1)" "$pages" "migrate_pages 0 -> 1: all pages on node 1"
is "$(echo "$out" | sed -n 's/^content //p')" ok "migrate_pages 0 -> 1: content intact"
migratepages $pid 1 0
out=$(report held $pid)
is "$(count "$out" 0)" "$pages" "migrate_pages 1 -> 0: all pages back on node 0"
is "$(echo "$out" | sed -n 's/^content //p')" ok "migrate_pages 1 -> 0: content intact"
kill $pid

# cpuset.mems: a cpuset without node 1 cannot bind there; with it, it can,
# and default allocations still stay on node 0.
cg=/sys/fs/cgroup
echo +cpuset >$cg/cgroup.subtree_control
mkdir -p $cg/cdm-test
echo 0 >$cg/cdm-test/cpuset.mems
out=$(sh -c "echo \$\$ >$cg/cdm-test/cgroup.procs; exec $bin/policy-alloc bind 1 $mib" 2>&1)
rc=$?
is "$rc" 3 "cpuset.mems=0: binding to node 1 is refused"
check "cpuset.mems=0: the refusal is EINVAL from set_mempolicy" sh -c "echo '$out' | grep -q 'Invalid argument'"
echo 0-1 >$cg/cdm-test/cpuset.mems
out=$(sh -c "echo \$\$ >$cg/cdm-test/cgroup.procs; exec $bin/policy-alloc bind 1 $mib" 2>&1)
is "$(count "$out" 1)" "$pages" "cpuset.mems=0-1: binding to node 1 puts all pages there"
out=$(sh -c "echo \$\$ >$cg/cdm-test/cgroup.procs; exec $bin/policy-alloc default - $mib" 2>&1)
is "$(count "$out" 0)" "$pages" "cpuset.mems=0-1: default allocations stay on node 0"
# The cgroup stays: removing the last cpuset flips the cpusets_enabled()
# static key back, and runtime text patching is what multi-threaded TCG
# now and then executes half-written (the guest is discarded anyway).

done_testing 25	# move-pages-roundtrip plans its own
