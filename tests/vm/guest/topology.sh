#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# topology.sh TOPOLOGY: check that the guest has the machine its
# configs/qemu/TOPOLOGY.topo describes: every node with its CPUs and memory,
# HMAT attributes, and, for a CXL device onlined by vm-run --cxl-online,
# the CPU-less node behind it in a slower memory tier than node 0.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/topo.sh"

topo=$CDM_TOP/configs/qemu/$1.topo
sysnode=/sys/devices/system/node
[ -f "$topo" ] || bail_out "no topology file $topo"

has_node() { in_list "$(cat $sysnode/$1)" "$2"; }

node_mib() { awk '/MemTotal/ { print int($4 / 1024) }' "$sysnode/node$1/meminfo"; }

cpu_nodes=""
max_node=0
while read -r id cpus mem; do
	[ "$cpus" != - ] || cpus=
	[ "$id" -le "$max_node" ] || max_node=$id
	check "node $id exists" test -d "$sysnode/node$id"
	is "$(cat "$sysnode/node$id/cpulist")" "$cpus" "node $id has cpulist '$cpus'"
	if [ -n "$cpus" ]; then
		cpu_nodes="$cpu_nodes${cpu_nodes:+,}$id"
		check "node $id is in has_cpu" has_node has_cpu "$id"
	else
		if has_node has_cpu "$id"; then
			fail "node $id is CPU-less (not in has_cpu)" "has_cpu: $(cat $sysnode/has_cpu)"
		else
			pass "node $id is CPU-less (not in has_cpu)"
		fi
	fi
	check "node $id is in has_memory" has_node has_memory "$id"
	want=$(mib "$mem")
	got=$(node_mib "$id")
	# The kernel keeps a few percent for itself (memmap, reserved ranges).
	cmp_ok "$got" -ge $((want * 85 / 100)) "node $id has ~$mem (MemTotal ${got} MiB >= 85%)"
	cmp_ok "$got" -le "$want" "node $id has no more than $mem"
done <<NODES
$(topo_nodes "$topo")
NODES
is "$(expand "$(cat $sysnode/has_cpu)")" "$(expand "$cpu_nodes")" "has_cpu lists exactly the nodes with CPUs"

# HMAT: access0 attributes of each target as seen from its initiator.
# A here-document, not a pipe: the loop must count its results here.
while read -r _ a b c d; do
	[ -n "$a" ] || continue
	eval "$a $b $c $d"	# initiator= target= latency= bandwidth=
	acc=$sysnode/node$target/access0/initiators
	check "node $target: node $initiator is its access0 initiator" test -e "$acc/node$initiator"
	is "$(cat "$acc/read_latency" 2>/dev/null)" "$latency" "node $target: HMAT read_latency $latency ns"
	is "$(cat "$acc/write_latency" 2>/dev/null)" "$latency" "node $target: HMAT write_latency $latency ns"
	# QEMU takes bytes/s, the kernel reports MiB/s.
	bw=$(( $(mib "$bandwidth") ))
	is "$(cat "$acc/read_bandwidth" 2>/dev/null)" "$bw" "node $target: HMAT read_bandwidth $bandwidth/s"
done <<HMAT
$(grep '^hmat ' "$topo")
HMAT

# CXL: each cxl-type3 line is a memdev with that capacity, onlined by
# vm-run --cxl-online as a region, a dax device and a CPU-less node of its
# own, in a slower memory tier than node 0.
ncxl=0
while read -r k kind size; do
	[ -n "$k" ] || continue
	ncxl=$((ncxl + 1))
	want=$(mib "$size")
	memdev=$(cxl_memdev_of "$k")
	is "$(($(cat "$cxl_sys/$memdev/$kind/size" 2>/dev/null || echo 0) >> 20))" "$want" \
		"CXL device $k ($memdev, serial $((k + 1))): $size of $kind capacity"
	region=$(cxl_region_of "$memdev")
	is "$(cat "$cxl_sys/$region/commit" 2>/dev/null)" 1 "CXL device $k: $region decodes $memdev, committed"
	is "$(cat "$cxl_sys/$region/mode" 2>/dev/null)" "$kind" "CXL device $k: $region is a $kind region"
	check "cxl list shows $memdev and $region" sh -c \
		"cxl list -M -m $memdev | grep -q '\"memdev\":\"$memdev\"' && cxl list -R -r $region | grep -q '\"decode_state\":\"commit\"'"
	dax=$(cxl_dax_of "$region")
	node=$(cat "/sys/bus/dax/devices/$dax/target_node" 2>/dev/null || echo -1)
	cmp_ok "$node" -gt "$max_node" "CXL device $k: $dax is on a node after the topology's ($node)"
	check "daxctl list shows $dax as system-ram on node $node" sh -c \
		"daxctl list -d $dax | grep -q '\"mode\":\"system-ram\"' && daxctl list -d $dax | grep -q '\"target_node\":$node,'"
	is "$(cat "$sysnode/node$node/cpulist" 2>/dev/null)" "" "CXL node $node is CPU-less"
	check "CXL node $node is in has_memory" has_node has_memory "$node"
	# pmem loses its namespace's metadata and the memory blocks that do not
	# fit whole after it: 384 of 512 MiB (PLATFORM.md).
	min_pct=85
	[ "$kind" = ram ] || min_pct=70
	got=$(node_mib "$node")
	cmp_ok "$got" -ge $((want * min_pct / 100)) "CXL node $node has ~$size (MemTotal $got MiB >= $min_pct%)"
	cmp_ok "$got" -le "$want" "CXL node $node has no more than $size"
	t0=$(tier_of 0) tc=$(tier_of "$node")
	diag "memory tiers: node 0 in memory_tier$t0, node $node in memory_tier$tc"
	cmp_ok "${tc:-0}" -gt "${t0:-0}" "CXL node $node is in a slower memory tier than node 0"
done <<CXL
$(topo_cxl "$topo")
CXL
nodes=$(expand "$(cat $sysnode/has_memory)" | wc -w)
is "$nodes" $((max_node + 1 + ncxl)) "has_memory lists the topology's $((max_node + 1)) nodes and $ncxl CXL nodes"

# 6 results per node line, 4 per hmat line, 11 per CXL device, 2 more.
done_testing $(( $(topo_nodes "$topo" | wc -l) * 6 + $(grep -c '^hmat ' "$topo") * 4 + ncxl * 11 + 2 ))
