#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdm-nodes.sh WANT [DMESG-PATTERN]: the coherent device memory node state
# and what it does to fallback and demotion, read back from the kernel.
#   WANT           expected content of has_coherent_device ("" for none)
#   DMESG-PATTERN  a message the boot must have logged (bad cdm_nodes=)
# Fallback orders and demotion targets come from the kernel log, which
# prints them each time zonelists or tiers are rebuilt (the last counts).
. "$CDM_TOP/tests/lib/tap.sh"
sysnode=/sys/devices/system/node
want=$1

expand() {
	echo "$1" | tr ',' '\n' | while IFS=- read -r a b; do
		[ -n "$a" ] && seq "$a" "${b:-$a}"
	done | tr '\n' ' ' | sed 's/ $//'
}

is "$(cat $sysnode/has_coherent_device)" "$want" "has_coherent_device is '$want'"
logcheck=0
if [ -n "$2" ]; then
	check "the kernel log says: $2" sh -c "dmesg | grep -q '$2'"
	logcheck=1
fi

cdm_nodes=" $(expand "$want") "
memory_nodes=$(expand "$(cat $sysnode/has_memory)")
for n in $(expand "$want"); do
	case " $memory_nodes " in
	*" $n "*) pass "CDM node $n is still listed in has_memory (numactl/libnuma see it)" ;;
	*)
		if [ -d "$sysnode/node$n" ]; then
			pass "CDM node $n exists (it has no memory yet)"
		else
			fail "CDM node $n exists"
		fi ;;
	esac
done

dmesg >/tmp/dmesg
for n in $memory_nodes; do
	order=$(sed -n "s/.*Fallback order for Node $n: //p" /tmp/dmesg | tail -n 1 | sed 's/ *$//')
	[ -n "$order" ] || { fail "node $n: the kernel logged its fallback order"; continue; }
	leaked=""
	for m in $order; do
		[ "$m" = "$n" ] && continue
		case "$cdm_nodes" in *" $m "*) leaked="$leaked $m" ;; esac
	done
	is "$leaked" "" "node $n: fallback order '$order' holds no other CDM node"
	is "${order%% *}" "$n" "node $n: its fallback order starts with itself"
	missing=""
	for m in $memory_nodes; do
		case "$cdm_nodes" in *" $m "*) continue ;; esac
		case " $order " in *" $m "*) ;; *) missing="$missing $m" ;; esac
	done
	is "$missing" "" "node $n: fallback order '$order' still has every ordinary node"
done

ndemote=0
for n in $memory_nodes; do
	line=$(sed -n "s/.*Demotion targets for Node $n: //p" /tmp/dmesg | tail -n 1)
	[ -n "$line" ] || continue
	ndemote=$((ndemote + 1))
	leaked=""
	for m in $(expand "$(echo "$line" | sed -n 's/preferred: \([^,]*\),.*/\1/p')"); do
		case "$cdm_nodes" in *" $m "*) leaked="$leaked $m" ;; esac
	done
	is "$leaked" "" "node $n: no CDM node among its demotion targets ('$line')"
done

# 1, +1 for a log message, 1 per CDM node, 3 per node with memory (counted
# from each node's own meminfo, not from has_memory), 1 per demotion line.
with_memory=0
for m in $sysnode/node*/meminfo; do
	[ "$(awk '/MemTotal/ { print $4 }' "$m")" -gt 0 ] && with_memory=$((with_memory + 1))
done
done_testing $((1 + logcheck + $(expand "$want" | wc -w) + 3 * with_memory + ndemote))
