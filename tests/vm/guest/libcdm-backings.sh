#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# libcdm-backings.sh: a node backed by several CXL regions, as a node of a
# real machine can be. cxl-online --regions=2 splits the cxl machine's one
# 512 MiB expander into two 256 MiB regions (two endpoint decoders, one
# memory window: one node) and onlines both dax devices. libcdm's backing
# iterator, through "cdmctl nodes --json", must list both, in physical
# address order, each with its own region, dax device and size and the
# one memdev; the table names both.
. "$CDM_TOP/tests/lib/tap.sh"

get() { "$CDM_TOP/build/tests/vm/libcdm/jsonget" "$@"; }

if ! err=$("$CDM_TOP/scripts/vm/cxl-online" --regions=2 2>&1); then
	bail_out "cxl-online --regions=2: $err"
fi

# The dax devices, by the start of their physical range: "start dax
# region node size"
list=$(for d in /sys/bus/dax/devices/dax*; do
	dax=${d##*/}
	region=$(readlink -f "$d" | tr / '\n' | grep -x 'region[0-9]*' | tail -n 1)
	start=$(daxctl list -d "$dax" | sed -n 's/.*"start":\([0-9]*\).*/\1/p' | head -n 1)
	[ -n "$start" ] || start=$(($(cat "$d/resource" 2>/dev/null || echo -1)))
	echo "$start $dax $region $(cat "$d/target_node") $(cat "$d/size")"
done | sort -n)
is "$(echo "$list" | wc -l)" 2 "two dax devices"
node=$(echo "$list" | awk 'NR == 1 { print $4 }')
is "$(echo "$list" | awk '{ print $4 }' | sort -u | wc -l)" 1 "both on one node ($node)"
is "$(echo "$list" | awk '{ print $3 }' | sort -u | wc -l)" 2 "in two regions"

json=$(cdmctl nodes --json "$node")
is "$(echo "$json" | get 0.node 0.backing.#)" "$node
2" "node $node: cdmctl nodes --json lists two backings"
i=0
while read -r start dax region n size; do
	is "$(echo "$json" | get 0.backing.$i.kind 0.backing.$i.dax 0.backing.$i.region)" "cxl
$dax
$region" "backing $i (physical address order): cxl, $dax, $region"
	is "$(echo "$json" | get 0.backing.$i.size)" "$size" "backing $i: size $size, as the dax device says"
	is "$(echo "$json" | get 0.backing.$i.memdevs.# 0.backing.$i.memdevs.0)" "1
mem0" "backing $i: memdev mem0"
	i=$((i + 1))
done <<LIST
$list
LIST
table=$(cdmctl nodes "$node")
first=$(echo "$list" | awk 'NR == 1 { print $2 "/" $3 }')
second=$(echo "$list" | awk 'NR == 2 { print $2 "/" $3 }')
case "$table" in
*"$first,$second"*) pass "the table names both: $first,$second" ;;
*) fail "the table names both: $first,$second" "$table" ;;
esac
done_testing 11
