# SPDX-License-Identifier: GPL-2.0-or-later
# Memory counters for guest scripts, read after folding in the per-CPU
# deltas (stat_refresh) so that they are exact at the moment of reading.
#
#   node_kb NODE FIELD   a field of /sys/devices/system/node/nodeNODE/meminfo, in kB
#   vmstat NAME          a counter of /proc/vmstat
#   zone_pages NODE FIELD [ZONE]
#                        a /proc/zoneinfo field (in pages) of NODE's zone
#                        ZONE, or summed over all its zones: "present",
#                        "high" (watermark), "count:" (per-CPU lists)

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

vmstat() {
	echo 1 >/proc/sys/vm/stat_refresh
	awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat
}
