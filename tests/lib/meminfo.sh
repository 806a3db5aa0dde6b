# SPDX-License-Identifier: GPL-2.0-or-later
# Memory counters for guest scripts, read after folding in the per-CPU
# deltas (stat_refresh) so that they are exact at the moment of reading.
#
#   node_kb NODE FIELD   a field of /sys/devices/system/node/nodeNODE/meminfo, in kB
#   vmstat NAME          a counter of /proc/vmstat

node_kb() {
	echo 1 >/proc/sys/vm/stat_refresh
	awk -v k="$2:" '$3 == k { print $4 }' /sys/devices/system/node/node$1/meminfo
}

vmstat() {
	echo 1 >/proc/sys/vm/stat_refresh
	awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat
}
