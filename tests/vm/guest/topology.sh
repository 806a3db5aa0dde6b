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
[ -f "$topo" ] || { echo "Bail out! no topology file $topo"; exit 1; }

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
grep '^hmat ' "$topo" | while read -r _ a b c d; do
	eval "$a $b $c $d"	# initiator= target= latency= bandwidth=
	acc=$sysnode/node$target/access0/initiators
	check "node $target: node $initiator is its access0 initiator" test -e "$acc/node$initiator"
	is "$(cat "$acc/read_latency" 2>/dev/null)" "$latency" "node $target: HMAT read_latency $latency ns"
	is "$(cat "$acc/write_latency" 2>/dev/null)" "$latency" "node $target: HMAT write_latency $latency ns"
	# QEMU takes bytes/s, the kernel reports MiB/s.
	bw=$(( $(mib "$bandwidth") ))
	is "$(cat "$acc/read_bandwidth" 2>/dev/null)" "$bw" "node $target: HMAT read_bandwidth $bandwidth/s"
done

if grep -q '^cxl-type3' "$topo"; then
	cxlnode=$((max_node + 1))
	if [ -e "$sysnode/node$cxlnode" ]; then
		check "CXL node $cxlnode is in has_memory" has_node has_memory "$cxlnode"
		is "$(cat "$sysnode/node$cxlnode/cpulist")" "" "CXL node $cxlnode is CPU-less"
		cmp_ok "$(node_mib $cxlnode)" -gt 0 "CXL node $cxlnode has memory online"
		t0=$(tier_of 0)
		tc=$(tier_of $cxlnode)
		diag "memory tiers: node 0 in memory_tier$t0, node $cxlnode in memory_tier$tc"
		cmp_ok "${tc:-0}" -gt "${t0:-0}" "CXL node $cxlnode is in a slower memory tier than node 0"
		check "cxl list shows memdev mem0" sh -c 'cxl list -M | grep -q "\"memdev\":\"mem0\""'
		check "cxl list shows a committed region" sh -c 'cxl list -R | grep -q "\"decode_state\":\"commit\""'
		check "daxctl list shows dax0.0 as system-ram on node $cxlnode" sh -c \
			"daxctl list | grep -q '\"mode\":\"system-ram\"' && daxctl list | grep -q '\"target_node\":$cxlnode'"
	else
		fail "CXL node $cxlnode exists (vm-run --cxl-online)"
	fi
fi

done_testing
