#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdm-boot.sh: right after boot, the kernel memory on node 1 of numa2.
# With cdm_nodes=1 node 1 is all ZONE_MOVABLE and holds no slab, kernel
# stacks, page tables, vmalloc pages, page cache or shmem: boot-time
# interleaving and kernel allocations aimed at the node went to node 0.
# Without cdm_nodes= (the reference run, same kernel) node 1 holds some
# of them, which shows the checks can see what they look for.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/meminfo.sh"
cdm=$(cat /sys/devices/system/node/has_coherent_device 2>/dev/null)
diag "kernel $(uname -r), has_coherent_device: '$cdm'"

# zone_pages NODE ZONE: present pages of a zone in /proc/zoneinfo
zone_pages() {
	awk -v n="$1," -v z="$2" '$1 == "Node" { on = $2 == n && $4 == z }
		on && $1 == "present" { print $2; exit }' /proc/zoneinfo
}
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
diag "node 1 zones (present pages): DMA32 $(zone_pages 1 DMA32) Normal $(zone_pages 1 Normal) Movable $(zone_pages 1 Movable)"

if [ -n "$cdm" ]; then
	for f in $fields; do
		is "$(node_kb 1 $f)" 0 "cdm_nodes=1: node 1 $f is 0 kB after boot"
	done
	is "$vm" 0 "cdm_nodes=1: no vmalloc page on node 1 after boot"
	is "$(zone_pages 1 DMA32)/$(zone_pages 1 Normal)" "0/0" "cdm_nodes=1: node 1 has no DMA32 or Normal memory"
	cmp_ok "$(zone_pages 1 Movable)" -ge $((1800 * 256)) "cdm_nodes=1: node 1's memory is ZONE_MOVABLE"
	is "$(cat /sys/devices/system/node/has_normal_memory)" 0 "cdm_nodes=1: has_normal_memory lists node 0 only"
	done_testing 9
fi
cmp_ok "$total" -gt 0 "reference: node 1 holds kernel memory after boot ($total kB)"
done_testing 1
