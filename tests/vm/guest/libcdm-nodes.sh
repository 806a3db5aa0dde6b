#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# libcdm-nodes.sh TOPOLOGY [CDM-NODES]: "cdmctl nodes --json" reports the machine that
# configs/qemu/TOPOLOGY.topo describes, field by field: every node with its
# CPUs (or cpuless) and size, the HMAT attributes, the CDM state as the
# kernel publishes it (or "unknown" when it does not), memory tiers, and
# what backs each node: plain RAM, and for the CXL machine the dax device,
# region and memdev behind the CPU-less node. The table form is checked for
# the same node lines.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/topo.sh"

topo=$CDM_TOP/configs/qemu/$1.topo
sysnode=/sys/devices/system/node
jsonget=$CDM_TOP/build/tests/vm/libcdm/jsonget
[ -f "$topo" ] || bail_out "no topology file $topo"

json=$(cdmctl nodes --json) || bail_out "cdmctl nodes --json failed"
table=$(cdmctl nodes)
cdm_checked=0
get() { echo "$json" | "$jsonget" "$@"; }
if [ -e $sysnode/has_coherent_device ]; then
	cdm_list=$(cat $sysnode/has_coherent_device)
	diag "kernel publishes has_coherent_device: '$cdm_list'"
	# booted with cdm_nodes=LIST: the kernel must say exactly that
	if [ $# -ge 2 ]; then
		is "$cdm_list" "$2" "has_coherent_device lists the cdm_nodes= nodes '$2'"
		cdm_checked=1
	fi
else
	cdm_list=""
	diag "kernel has no has_coherent_device: CDM state must be 'unknown'"
fi

want_cdm() {
	if [ ! -e $sysnode/has_coherent_device ]; then echo unknown
	elif in_list "$cdm_list" "$1"; then echo yes
	else echo no
	fi
}

index=0
check_node() {	# ID CPUS MIB [MIN-PERCENT]
	id=$1 cpus=$2 want_mib=$3 min_pct=${4:-85}
	is "$(get $index.node)" "$id" "JSON entry $index is node $id"
	is "$(get $index.cpus)" "$cpus" "node $id: cpus '$cpus'"
	is "$(get $index.cpuless)" "$([ -n "$cpus" ] && echo false || echo true)" \
		"node $id: cpuless $([ -n "$cpus" ] && echo false || echo true)"
	size=$(get $index.size)
	cmp_ok "$((size >> 20))" -ge $((want_mib * min_pct / 100)) "node $id: size >= $min_pct% of $want_mib MiB"
	is "$size" "$(awk '/MemTotal/ { print $4 * 1024 }' $sysnode/node$id/meminfo)" \
		"node $id: size is the node's MemTotal"
	cmp_ok "$((size >> 20))" -le "$want_mib" "node $id: size <= $want_mib MiB"
	free=$(get $index.free)
	cmp_ok "$free" -le "$size" "node $id: free <= size"
	cmp_ok "$free" -gt 0 "node $id: free > 0"
	is "$(get $index.cdm)" "$(want_cdm "$id")" "node $id: cdm $(want_cdm "$id")"
	is "$(get $index.tier)" "$(tier_of "$id")" "node $id: tier matches memory_tiering"
	is "$(get $index.distance.$id)" 10 "node $id: distance to itself 10"
	row=$(echo "$table" | awk -v id="$id" '$1 == id { print $2, $3 }')
	is "$row" "$([ -n "$cpus" ] && echo "$cpus" || echo cpuless) $(want_cdm "$id")" \
		"node $id: table line shows cpus and cdm state"
	index=$((index + 1))
}

max_node=0
while read -r id cpus mem; do
	[ "$cpus" != - ] || cpus=
	[ "$id" -le "$max_node" ] || max_node=$id
	check_node "$id" "$cpus" "$(mib "$mem")"
	is "$(get $((index - 1)).backing.#)/$(get $((index - 1)).backing.0.kind)" "1/ram" \
		"node $id: backed by plain RAM alone"
done <<NODES
$(topo_nodes "$topo")
NODES

# A here-document, not a pipe: the loop must count its results here.
while read -r _ a b c d; do
	[ -n "$a" ] || continue
	eval "$a $b $c $d"	# initiator= target= latency= bandwidth=
	is "$(get "$target.access0.read_latency")" "$latency" "node $target: access0 read_latency $latency ns (HMAT)"
	is "$(get "$target.access0.write_latency")" "$latency" "node $target: access0 write_latency $latency ns"
	is "$(get "$target.access0.read_bandwidth")" "$(mib "$bandwidth")" \
		"node $target: access0 read_bandwidth $bandwidth/s in MiB/s"
	is "$(get "$target.access0.initiators")" "$initiator" "node $target: access0 initiator node $initiator"
done <<HMAT
$(grep '^hmat ' "$topo")
HMAT
grep -q '^hmat ' "$topo" || is "$(get 0.access0)" "<absent>" "no HMAT: no access0 key"

# CXL devices, in the order of their nodes (the JSON's order).
ncxl=0
while IFS='|' read -r node k kind size memdev region dax; do
	[ -n "$node" ] || continue
	ncxl=$((ncxl + 1))
	# pmem loses its namespace's metadata and the memory blocks that do
	# not fit whole after it: 384 of 512 MiB (PLATFORM.md).
	min_pct=85
	[ "$kind" = ram ] || min_pct=50
	check_node "$node" "" "$(mib "$size")" $min_pct
	dax_size=$(daxctl list -d "$dax" | sed -n 's/.*"size":\([0-9]*\).*/\1/p')
	cmp_ok "$(get $node.size)" -le "${dax_size:-0}" "CXL node $node: size <= $dax size ${dax_size:-?}"
	is "$(get $node.backing.#)/$(get $node.backing.0.kind)/$(get $node.backing.0.dax)" "1/cxl/$dax" \
		"CXL node $node: one backing, dax device $dax"
	is "$(get $node.backing.0.region)" "$region" "CXL node $node: CXL region $region"
	is "$(get $node.backing.0.memdevs.#)" 1 "CXL node $node: one memdev"
	is "$(get $node.backing.0.memdevs.0)" "$memdev" "CXL node $node: memdev $memdev (device $k)"
	t0=$(get 0.tier) tc=$(get $node.tier)
	cmp_ok "$tc" -gt "$t0" "CXL node $node: tier $tc slower than node 0's $t0"
	is "$(echo "$table" | awk -v id=$node '$1 == id { print $2, $NF }')" "cpuless $dax/$region" \
		"CXL node $node: table shows cpuless and $dax/$region"
done <<CXL
$(topo_cxl "$topo" | while read -r k kind size; do
	memdev=$(cxl_memdev_of "$k")
	region=$(cxl_region_of "$memdev")
	dax=$(cxl_dax_of "$region")
	echo "$(cat "/sys/bus/dax/devices/$dax/target_node" 2>/dev/null || echo -1)|$k|$kind|$size|$memdev|$region|$dax"
done | sort -n)
CXL
[ $ncxl -eq 0 ] || is "$(get 0.backing.0.dax)" "<absent>" "node 0: no dax device"
is "$(get '#')" "$index" "JSON lists exactly the $index nodes of the machine"

# 13 results per node line, 4 per hmat line (or 1 without), 19 per CXL
# device, 1 for node 0 beside CXL devices, 1 for the count, 1 for cdm_nodes=.
nhmat=$(grep -c '^hmat ' "$topo")
done_testing $(( $(topo_nodes "$topo" | wc -l) * 13 + (nhmat > 0 ? nhmat * 4 : 1) + ncxl * 19 +
	(ncxl > 0) + 1 + cdm_checked ))
