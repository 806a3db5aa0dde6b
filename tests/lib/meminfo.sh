# SPDX-License-Identifier: GPL-2.0-or-later
# Memory counters for guest scripts, read after folding in the per-CPU
# deltas (stat_refresh) so that they are exact at the moment of reading.
#
#   node_kb NODE FIELD   a field of /sys/devices/system/node/nodeNODE/meminfo, in kB
#   node_numastat NODE FIELD
#                        a counter of nodeNODE/numastat, in pages: numa_hit
#                        (allocated there, the node asked for) plus
#                        numa_miss (there, another node asked for) is every
#                        page allocated from NODE
#   vmstat NAME          a counter of /proc/vmstat
#   zone_pages NODE FIELD [ZONE]
#                        a /proc/zoneinfo field (in pages) of NODE's zone
#                        ZONE, or summed over all its zones: "present",
#                        "high" (watermark), "count:" (per-CPU lists)
#
# Room for the pages of a CDM node that goes offline: the cdm core
# (cdm_room_elsewhere(), kernel/patches/*cdm-hot-add*) counts what the
# ordinary nodes have free above their high watermarks plus what reclaim
# can free (file pages; anonymous ones only with swap), and refuses at
# once when the pages in use do not fit. Tests take that room away:
#
#   node_squeeze NODE ROOM
#                        drops the caches and puts NODE's free memory into
#                        its 2 MiB huge page pool until that room (with no
#                        swap) is about ROOM MiB, but never leaves less than
#                        4 MiB free above the high watermarks; prints
#                        "POOL FREE HIGH FILE": the huge pages reserved,
#                        then NODE's free memory, high watermarks and file
#                        pages in MiB, as they are afterwards
#   node_unsqueeze NODE  empties NODE's huge page pool again
#   pcp_lists_small      shrinks every per-CPU free list to 4 batches and
#                        stops its auto-tuning, for tests that fill a node
#                        to within a few MiB (below)
#
# A pool fails softly where a process filling the node would meet the OOM
# killer. And not below the high watermarks: THP "always" raises
# min_free_kbytes (43 MiB of min watermark on a 1 GiB node), and below the
# min watermark even a fork meets the OOM killer.
#
# Nor can a process filling a node count on the pages that per-CPU lists
# hold: 6.12 lets each CPU keep up to 1/8 of a CPU-less node's pages there
# (high_max, auto-tuned), out of MemFree, and refills a list in batches of
# up to 8 MiB. The allocator checks the watermarks before it takes a page
# from a list, and drains the lists only after a direct reclaim that freed
# something: on a node of anonymous pages without swap nothing is freed,
# so the OOM killer comes with megabytes still on the lists.
# cdm-explicit.t filled node 1 to 8 MiB above its high watermark and saw
# its holder OOM-killed one run in five; pcp_lists_small sets
# vm.percpu_pagelist_high_fraction so high that every list is 4 batches
# (~1 MiB) at most.

node_kb() {
	echo 1 >/proc/sys/vm/stat_refresh
	awk -v k="$2:" '$3 == k { print $4 }' /sys/devices/system/node/node$1/meminfo
}

zone_pages() {
	echo 1 >/proc/sys/vm/stat_refresh
	awk -v n="$1," -v f="$2" -v z="${3:-}" '
		$1 == "Node" { on = $2 == n && (z == "" || $4 == z) }
		on && $1 == f { s += $2 }
		END { print s + 0 }' /proc/zoneinfo
}

node_numastat() {
	echo 1 >/proc/sys/vm/stat_refresh
	awk -v k="$2" '$1 == k { print $2 }' /sys/devices/system/node/node$1/numastat
}

vmstat() {
	echo 1 >/proc/sys/vm/stat_refresh
	awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat
}

node_file_mib() {	# node_file_mib NODE: NODE's file pages, in MiB
	echo $(( ($(node_kb "$1" 'Active(file)') + $(node_kb "$1" 'Inactive(file)')) >> 10 ))
}

node_squeeze() {
	_pool=/sys/devices/system/node/node$1/hugepages/hugepages-2048kB/nr_hugepages
	echo 3 >/proc/sys/vm/drop_caches
	_high=$(( $(zone_pages "$1" high) / 256 ))
	_above=$(($2 - $(node_file_mib "$1")))
	[ $_above -ge 4 ] || _above=4
	_target=$((_high + _above))
	# Each write takes what it can; memory freed meanwhile is taken by the next.
	_i=0
	while [ $(( $(node_kb "$1" MemFree) >> 10 )) -gt $((_target + 4)) ] && [ $_i -lt 10 ]; do
		echo $(( $(cat "$_pool") + ( ($(node_kb "$1" MemFree) >> 10) - _target) / 2 )) >"$_pool"
		_i=$((_i + 1))
	done
	echo "$(cat "$_pool") $(( $(node_kb "$1" MemFree) >> 10 )) $_high $(node_file_mib "$1")"
}

pcp_lists_small() {
	echo 1000000000 >/proc/sys/vm/percpu_pagelist_high_fraction
}

node_unsqueeze() {
	echo 0 >/sys/devices/system/node/node$1/hugepages/hugepages-2048kB/nr_hugepages
}
