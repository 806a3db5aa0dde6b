#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdm-isolation.sh cdm|stock: push default allocations well past node 0's
# size and count what lands on node 1, from node 1's own meminfo and the
# hog's numa_maps. Node 0 has 1 GiB (vm-run --memory 0=1G); swap on zram
# gives reclaim somewhere to go instead of the OOM killer.
#   cdm:   node 1 is coherent device memory: nothing may land there.
#   stock: the baseline; default allocations spill into node 1, which
#          also shows that this test sees a leak when there is one.
# Phases add up: tmpfs fills node 0, then anonymous memory, page cache
# and slab are allocated on top of it. On stock, tmpfs and anonymous
# memory always spill (asserted: the test sees a leak when there is one);
# clean page cache and slab may be reclaimed first, so their baseline is
# only reported.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/holder.sh"
. "$CDM_TOP/tests/lib/meminfo.sh"
bin=$CDM_TOP/build/tests/vm
mode=$1

leak() {	# leak WHAT KB [reported]: node 1's growth in one kind of memory
	diag "$mode: node 1 $1 grew by $2 kB"
	if [ "$mode" = cdm ]; then
		# <= 0: node 1 may also give back slab it held from boot (the
		# debug kernel's node-local slab caches shrink under pressure).
		cmp_ok "$2" -le 0 "$1 pushed past node 0 puts nothing on CDM node 1 (grew by $2 kB)"
	elif [ -z "$3" ]; then
		cmp_ok "$2" -gt 0 "stock baseline: $1 spills into node 1 ($2 kB)"
	fi
}

modprobe zram 2>/dev/null
echo 6G >/sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null && swapon /dev/zram0 ||
	bail_out "cannot set up swap on zram"
# The test's own shell must survive whatever reclaim does.
echo -1000 >/proc/$$/oom_score_adj

shmem0=$(node_kb 1 Shmem) anon0=$(node_kb 1 AnonPages) file0=$(node_kb 1 FilePages) slab0=$(node_kb 1 Slab)
diag "node 1 before: Shmem $shmem0 AnonPages $anon0 FilePages $file0 Slab $slab0 kB"

mkdir -p /mnt/tmpfs && mount -t tmpfs -o size=4G tmpfs /mnt/tmpfs
dd if=/dev/zero of=/mnt/tmpfs/fill bs=1M count=1400 2>/dev/null
check "tmpfs: 1400 MiB written" test "$(stat -c %s /mnt/tmpfs/fill)" -eq $((1400 << 20))
leak "tmpfs (1400 MiB)" $(( $(node_kb 1 Shmem) - shmem0 ))

hold hog default - 768
hog=$held_pid
check "anon: the hog faulted in 768 MiB" grep -q '^content ok' /tmp/hog.start
leak "anonymous memory (768 MiB)" $(( $(node_kb 1 AnonPages) - anon0 ))
hog_n1=$(tr ' ' '\n' </proc/$hog/numa_maps | sed -n 's/^N1=//p' | awk '{ s += $1 } END { print s + 0 }')
if [ "$mode" = cdm ]; then
	is "$hog_n1" 0 "anon: the hog's numa_maps show no page on node 1"
else
	cmp_ok "$hog_n1" -gt 0 "stock baseline: the hog's numa_maps show pages on node 1 ($hog_n1)"
fi

# Buffered reads of a block device fill the page cache; an unwritten
# zram device reads as zeros without holding memory of its own.
dev=zram$(cat /sys/class/zram-control/hot_add)
echo 1G >/sys/block/$dev/disksize
dd if=/dev/$dev of=/dev/null bs=1M count=1024 2>/dev/null
leak "page cache (1 GiB read)" $(( $(node_kb 1 FilePages) - file0 - ($(node_kb 1 Shmem) - shmem0) )) reported

mkdir -p /tmp/neg
"$bin/negdentries" /tmp/neg 300000 >/dev/null
leak "slab (300000 dentries)" $(( $(node_kb 1 Slab) - slab0 )) reported

kill $hog
# 5 results; on cdm also page cache and slab, which stock only reports.
done_testing $([ "$mode" = cdm ] && echo 7 || echo 5)
