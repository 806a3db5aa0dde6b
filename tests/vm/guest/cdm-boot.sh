#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdm-boot.sh: right after boot on numa3, the kernel memory on node 1,
# the demotion targets and the accounting of device memory (dirty limit,
# commit limit, default_memory_kb). With cdm_nodes=1 node 1 is all ZONE_MOVABLE and
# holds no slab, kernel stacks, page tables, vmalloc pages, page cache or
# shmem: boot-time interleaving and kernel allocations aimed at the node
# went to node 0. Node 1's memory tier lies between node 0's and node 2's
# (HMAT); reclaim on node 0 demotes past it to node 2. Without
# cdm_nodes= (the reference run, same kernel) node 1 holds some kernel
# memory and is node 0's demotion target, which shows the checks can see
# what they look for.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/meminfo.sh"
cdm=$(cat /sys/devices/system/node/has_coherent_device 2>/dev/null)
diag "kernel $(uname -r), has_coherent_device: '$cdm'"

# vmalloc_kb NODE: pages of vmalloc areas on NODE (/proc/vmallocinfo N<node>=)
vmalloc_kb() {
	awk -v k="N$1=" '{ for (i = 1; i <= NF; i++) if (index($i, k) == 1)
		s += substr($i, length(k) + 1) } END { print s * 4 + 0 }' /proc/vmallocinfo
}

fields="Slab KernelStack PageTables FilePages Shmem"
report="" total=0
for f in $fields; do
	kb=$(node_kb 1 $f)
	report="$report $f=$kb"
	total=$((total + kb))
done
vm=$(vmalloc_kb 1)
report="$report vmalloc=$vm"
total=$((total + vm))
diag "node 1 after boot (kB):$report"
diag "node 1 zones (present pages): DMA32 $(zone_pages 1 present DMA32) Normal $(zone_pages 1 present Normal) Movable $(zone_pages 1 present Movable)"
demotion=$(dmesg | sed -n 's/.*Demotion targets for Node 0: //p' | tail -n 1)
diag "demotion targets of node 0: $demotion"

# Accounting: the dirty limit is a share of what page cache can use, free
# and file pages of the ordinary nodes (0 and 2 in both runs); MemTotal
# splits into /sys/kernel/mm/cdm/default_memory_kb and device_memory_kb.
ratio=$(cat /proc/sys/vm/dirty_ratio)
usable=$(( $(node_kb 0 MemFree) + $(node_kb 0 FilePages) + $(node_kb 2 MemFree) + $(node_kb 2 FilePages) ))
thresh=$(( $(vmstat nr_dirty_threshold) * 4 ))
bound=$(( usable * ratio / 100 + 1024 ))
diag "dirty threshold $thresh kB; $ratio% of nodes 0 and 2's free and file pages: $((usable * ratio / 100)) kB"
mem0=$(node_kb 0 MemTotal) mem1=$(node_kb 1 MemTotal) mem2=$(node_kb 2 MemTotal)
cdmsys=/sys/kernel/mm/cdm
# CommitLimit, what strict overcommit promises: overcommit_ratio% of the
# memory (in pages, as the kernel counts) plus swap (none here).
commit_limit=$(awk '$1 == "CommitLimit:" { print $2 }' /proc/meminfo)
ocratio=$(cat /proc/sys/vm/overcommit_ratio)
commit_of() { echo $(( $1 / 4 * ocratio / 100 * 4 )); }
diag "CommitLimit $commit_limit kB, overcommit_ratio $ocratio%"

if [ -n "$cdm" ]; then
	cmp_ok "$thresh" -le "$bound" "cdm_nodes=1: the dirty threshold counts no CDM memory ($thresh kB)"
	is "$(cat $cdmsys/default_memory_kb) $(cat $cdmsys/device_memory_kb)" "$((mem0 + mem2)) $mem1" \
		"cdm_nodes=1: default_memory_kb is nodes 0 and 2's MemTotal, device_memory_kb node 1's"
	is "$commit_limit" "$(commit_of $((mem0 + mem2)))" \
		"cdm_nodes=1: CommitLimit is $ocratio% of nodes 0 and 2's memory, no promise from CDM memory"
	for f in $fields; do
		is "$(node_kb 1 $f)" 0 "cdm_nodes=1: node 1 $f is 0 kB after boot"
	done
	is "$vm" 0 "cdm_nodes=1: no vmalloc page on node 1 after boot"
	is "$(zone_pages 1 present DMA32)/$(zone_pages 1 present Normal)" "0/0" "cdm_nodes=1: node 1 has no DMA32 or Normal memory"
	cmp_ok "$(($(zone_pages 1 present Movable) * 4))" -ge "$(node_kb 1 MemTotal)" "cdm_nodes=1: node 1's memory is ZONE_MOVABLE"
	is "$(cat /sys/devices/system/node/has_normal_memory)" 0,2 "cdm_nodes=1: has_normal_memory lists nodes 0 and 2"
	is "$demotion" "preferred: 2, fallback: 2" "cdm_nodes=1: node 0 demotes to node 2, past CDM node 1's tier"
	done_testing 13
fi
cmp_ok "$thresh" -gt "$bound" "reference: the dirty threshold counts node 1 too ($thresh kB)"
is "$(cat $cdmsys/default_memory_kb) $(cat $cdmsys/device_memory_kb)" "$((mem0 + mem1 + mem2)) 0" \
	"reference: default_memory_kb is all MemTotal, device_memory_kb 0"
is "$commit_limit" "$(commit_of $((mem0 + mem1 + mem2)))" "reference: CommitLimit is $ocratio% of all memory"
cmp_ok "$total" -gt 0 "reference: node 1 holds kernel memory after boot ($total kB)"
is "$demotion" "preferred: 1, fallback: 1-2" "reference: node 0 demotes to node 1, the next tier"
done_testing 5
