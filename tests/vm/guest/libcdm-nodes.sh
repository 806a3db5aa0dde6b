#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# libcdm-nodes.sh TOPOLOGY [CDM-NODES]: "cdmctl nodes --json" reports the machine that
# configs/qemu/TOPOLOGY.topo describes, field by field: every node with its
# CPUs (or cpuless) and size, the HMAT attributes, the CDM state as the
# kernel publishes it (or "unknown" when it does not), memory tiers, and
# for the CXL machine the dax device, region and memdev behind the CPU-less
# node. The table form is checked for the same node lines.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/topo.sh"

topo=$CDM_TOP/configs/qemu/$1.topo
sysnode=/sys/devices/system/node
jsonget=$CDM_TOP/build/tests/vm/libcdm/jsonget
[ -f "$topo" ] || { echo "Bail out! no topology file $topo"; exit 1; }

json=$(cdmctl nodes --json) || { echo "Bail out! cdmctl nodes --json failed"; exit 1; }
table=$(cdmctl nodes)
get() { echo "$json" | "$jsonget" "$@"; }
if [ -e $sysnode/has_coherent_device ]; then
	cdm_list=$(cat $sysnode/has_coherent_device)
	diag "kernel publishes has_coherent_device: '$cdm_list'"
	# booted with cdm_nodes=LIST: the kernel must say exactly that
	[ $# -lt 2 ] || is "$cdm_list" "$2" "has_coherent_device lists the cdm_nodes= nodes '$2'"
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
	is "$(get $((index - 1)).dax)" "<absent>" "node $id: no dax device (plain RAM)"
done <<NODES
$(topo_nodes "$topo")
NODES

grep '^hmat ' "$topo" | while read -r _ a b c d; do
	eval "$a $b $c $d"	# initiator= target= latency= bandwidth=
	is "$(get "$target.read_latency")" "$latency" "node $target: read_latency $latency ns (HMAT)"
	is "$(get "$target.write_latency")" "$latency" "node $target: write_latency $latency ns"
	is "$(get "$target.read_bandwidth")" "$(mib "$bandwidth")" "node $target: read_bandwidth $bandwidth/s in MiB/s"
	is "$(get "$target.initiators")" "$initiator" "node $target: initiator node $initiator"
done
grep -q '^hmat ' "$topo" || is "$(get 0.read_latency)" "<absent>" "no HMAT: no read_latency key"

if grep -q '^cxl-type3' "$topo"; then
	cxl=$((max_node + 1))
	pmem=$(sed -n 's/^cxl-type3 .*pmem=\([0-9]*[MG]\).*/\1/p' "$topo")
	# the pmem minus namespace/devdax metadata, onlined in whole 128 MiB
	# memory blocks: 384 of 512 MiB (PLATFORM.md)
	check_node "$cxl" "" "$(mib "$pmem")" 50
	dax_size=$(daxctl list -d dax0.0 | sed -n 's/.*"size":\([0-9]*\).*/\1/p')
	cmp_ok "$(get $cxl.size)" -le "${dax_size:-0}" "CXL node $cxl: size <= dax0.0 size ${dax_size:-?}"
	is "$(get $cxl.dax)" dax0.0 "CXL node $cxl: dax device dax0.0"
	is "$(get $cxl.region)" region0 "CXL node $cxl: CXL region region0"
	is "$(get $cxl.memdevs.#)" 1 "CXL node $cxl: one memdev"
	is "$(get $cxl.memdevs.0)" mem0 "CXL node $cxl: memdev mem0"
	t0=$(get 0.tier) tc=$(get $cxl.tier)
	cmp_ok "$tc" -gt "$t0" "CXL node $cxl: tier $tc slower than node 0's $t0"
	is "$(echo "$table" | awk -v id=$cxl '$1 == id { print $2, $NF }')" "cpuless dax0.0/region0" \
		"CXL node $cxl: table shows cpuless and dax0.0/region0"
	is "$(get 0.dax)" "<absent>" "node 0: no dax device"
fi
is "$(get '#')" "$index" "JSON lists exactly the $index nodes of the machine"

done_testing
