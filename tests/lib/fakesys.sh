# SPDX-License-Identifier: GPL-2.0-or-later
#
# A fake sysfs node tree for host tests of libcdm's users (cdmctl): point
# CDM_SYSFS_ROOT at the directory and libcdm reads the machine from it.
#
#   fakesys_init ROOT ONLINE HAS_CPU     the node lists (has_memory = online)
#   fakesys_node ID CPUS MIB DISTANCES   a node: cpulist, meminfo (half of
#                                        it free), distance
#   fakesys_hmat ID ACCESS INITIATOR READ_BW WRITE_BW READ_LAT WRITE_LAT
#                                        nodeID/accessN as the kernel shows
#                                        it: all four files, 0 for a value
#                                        the firmware does not give
#   fakesys_blocks ID FIRST COUNT [ONLINE]
#                                        memory blocks FIRST.. (128 MiB
#                                        each) in node ID: memoryM/online
#                                        (1, or ONLINE) and nodeID/memoryM

fakesys_init() {
	fakesys_nodes=$1/devices/system/node
	mkdir -p "$fakesys_nodes"
	echo "$2" >"$fakesys_nodes/online"
	echo "$2" >"$fakesys_nodes/has_memory"
	echo "$3" >"$fakesys_nodes/has_cpu"
}

fakesys_node() {
	mkdir -p "$fakesys_nodes/node$1"
	echo "$2" >"$fakesys_nodes/node$1/cpulist"
	printf 'Node %d MemTotal:       %8d kB\nNode %d MemFree:        %8d kB\n' \
		"$1" $(($3 * 1024)) "$1" $(($3 * 512)) >"$fakesys_nodes/node$1/meminfo"
	echo "$4" >"$fakesys_nodes/node$1/distance"
}

fakesys_hmat() {
	_a=$fakesys_nodes/node$1/access$2/initiators
	mkdir -p "$_a"
	echo "$4" >"$_a/read_bandwidth"
	echo "$5" >"$_a/write_bandwidth"
	echo "$6" >"$_a/read_latency"
	echo "$7" >"$_a/write_latency"
	ln -s "../../../node$3" "$_a/node$3"
}

fakesys_blocks() {
	_m=${fakesys_nodes%/node}/memory
	mkdir -p "$_m"
	[ -e "$_m/block_size_bytes" ] || echo 8000000 >"$_m/block_size_bytes"
	for _b in $(seq "$2" $(($2 + $3 - 1))); do
		mkdir -p "$_m/memory$_b"
		echo "${4:-1}" >"$_m/memory$_b/online"
		ln -s "../../memory/memory$_b" "$fakesys_nodes/node$1/memory$_b"
	done
}
