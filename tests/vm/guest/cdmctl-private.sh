#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdmctl-private.sh: the verbs of a CDM node for a device-private pool of
# cdm_private.ko, through libcdm and cdmctl, on a process that holds
# 64 MiB of patterned pages (policy-alloc):
#   - cdmctl devices lists the pool, empty;
#   - cdmctl migrate --to cdm_private0 moves every private anonymous page
#     the process has there: the driver's counters, libcdm's residency
#     and the process's numa_maps agree on how many, and none of the
#     process's pages is left on a node but its file and shared ones;
#   - cdmctl migrate --from cdm_private0 brings them back, the pages on
#     node 0 again, the content intact;
#   - a range: only its pages move; untouched pages of it stay untouched
#     (libcdm hands the driver present pages only);
#   - CPU faults bring pages back on their own (the content check reads
#     every page), and the driver counts them;
#   - hostile pools, ranges and pids: the exit code and a message naming
#     the pool or the process, nothing moved.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/holder.sh"
get() { "$CDM_TOP/build/tests/vm/libcdm/jsonget" "$@"; }
mod=cdm_private
mib=64
pages=$((mib * 256))

rmmod $mod 2>/dev/null
out=$(cdmctl devices)
is "$?:$out" "0:no device-private pools (is cdm_private loaded?)" \
	"cdmctl devices without $mod: exit 0, says there is none"
check "$mod loads (one pool of 256 MiB)" modprobe $mod
json=$(cdmctl devices --json)
is "$?" 0 "cdmctl devices --json: exit 0"
is "$(echo "$json" | get pools.# pools.0.pool pools.0.device pools.0.capacity \
	pools.0.pages_on_device | tr '\n' ' ')" "1 cdm_private0 /dev/cdm_private0 268435456 0 " \
	"  ... one pool, cdm_private0, 256 MiB, empty"

hold p default - $mib
pid=$held_pid
is "$(count "$(cat /tmp/p.start)" 0)" $pages "a process holds $pages pages on node 0"

# anon_pages: the process's anonymous pages on any node, in its mappings
# of no file (numa_maps counts pages in system memory only; smaps would
# count device-private ones too)
anon_pages() {
	awk '!/file=/ { for (i = 1; i <= NF; i++) if ($i ~ /^anon=/) n += substr($i, 6) }
		END { print n + 0 }' /proc/$pid/numa_maps
}
# contains TEXT PATTERN DESC: TEXT has PATTERN (grep -F)
contains() {
	if echo "$1" | grep -qF -- "$2"; then pass "$3"; else fail "$3" "got: $1"; fi
}
# residency --json: "pools.0.pages", "nodes.0.pages", ...
residency() { cdmctl residency --pid $pid --json | get "$@"; }
devices() { cdmctl devices --json | get "$@"; }

before=$(anon_pages)
json=$(cdmctl migrate --pid $pid --to cdm_private0 --json)
is "$?:$(echo "$json" | get result to)" "0:ok
cdm_private0" "cdmctl migrate --pid $pid --to cdm_private0: exit 0, result ok"
moved=$(echo "$json" | get moved)
asked=$(echo "$json" | get pages)
diag "asked $asked pages, moved $moved; $before anonymous pages before"
cmp_ok "$moved" -ge $pages "  ... moved at least its $pages pages ($moved)"
is "$moved" "$asked" "  ... every page it asked about moved"
is "$asked" "$before" "  ... and it asked about the pages the process has, no untouched one"

is "$(devices pools.0.pages_on_device)" "$moved" "cdmctl devices: $moved pages on the device"
is "$(devices pools.0.used)" $((moved * 4096)) "  ... used: $((moved * 4096)) bytes"
is "$(residency pools.# pools.0.pool pools.0.pages | tr '\n' ' ')" "1 cdm_private0 $moved " \
	"cdmctl residency: $moved pages on cdm_private0"
is "$(residency swapped)" 0 "  ... none of them counted as swapped"
is "$(anon_pages)" 0 "numa_maps: no anonymous page of the process on a node"
is "$(cdmctl residency --pid $pid | awk '$1 == "cdm_private0" { print $2 }')" "$moved" \
	"cdmctl residency (table): a cdm_private0 row of $moved pages"

json=$(cdmctl migrate --pid $pid --to cdm_private0 --json)
is "$?:$(echo "$json" | get moved)" "0:0" "migrating again: exit 0, nothing moved (all there)"

json=$(cdmctl migrate --pid $pid --from cdm_private0 --json)
is "$?:$(echo "$json" | get result moved)" "0:ok
$moved" "cdmctl migrate --from cdm_private0: exit 0, all $moved pages back"
is "$(devices pools.0.pages_on_device)" 0 "  ... the device is empty"
is "$(residency pools.#)" 0 "  ... residency: no pool holds pages"
is "$(residency nodes.0.node)" 0 "  ... they are on node 0"
cmp_ok "$(anon_pages)" -ge "$before" "  ... numa_maps: $(anon_pages) anonymous pages on nodes again"
r=$(report p $pid)
is "$(count "$r" 0):$(echo "$r" | grep '^content')" "$pages:content ok" \
	"  ... the $pages pages of the holder on node 0, content intact"

# A range: the second half of the holder's 64 MiB mapping (the only
# mapping of exactly that size), then a never-touched one.
range=$(while read -r r _ _ _ _ name; do
	s=$((0x${r%-*})) e=$((0x${r#*-}))
	if [ $((e - s)) -eq $((mib << 20)) ] && [ -z "$name" ]; then
		printf '0x%x-0x%x\n' $((s + (mib << 19))) $e
		break
	fi
done </proc/$pid/maps)
diag "range: $range"
json=$(cdmctl migrate --pid $pid --to cdm_private0 --range "$range" --json)
is "$?:$(echo "$json" | get moved)" "0:$((pages / 2))" \
	"cdmctl migrate --range (half the buffer): exit 0, $((pages / 2)) pages moved"
is "$(cdmctl residency --pid $pid --range "$range" --json | get pools.0.pages)" $((pages / 2)) \
	"  ... residency of that range: all on cdm_private0"
faults=$(devices pools.0.cpu_faults)
# the holder's report asks where its pages are, then reads them all
r=$(report p $pid)
is "$(count "$r" 0)" $((pages / 2)) "  ... the holder finds $((pages / 2)) of its pages on node 0"
is "$(echo "$r" | grep '^content')" "content ok" "  ... reads them all: content intact"
is "$(count "$(report p $pid)" 0)" $pages "  ... and then all $pages pages are on node 0"
cmp_ok "$(( $(devices pools.0.cpu_faults) - faults ))" -ge $((pages / 2)) \
	"  ... each of them brought back by a CPU fault ($(devices pools.0.cpu_faults) - $faults)"
is "$(devices pools.0.pages_on_device)" 0 "  ... the device is empty"

# Hostile requests: an exit code, a message naming what is wrong.
for bad in cdm_private cdm_private64 cdm_private01 /dev/../cdm_private0 "cdm_private0 " \
	/dev/null "$(head -c 300 /dev/zero | tr '\0' x)"; do
	cdmctl migrate --pid $pid --to "$bad" >/dev/null 2>/tmp/err
	is "$?" 2 "migrate --to '$(echo "$bad" | cut -c1-20)': usage error (exit 2)"
done
out=$(cdmctl migrate --pid $pid --to cdm_private5 2>&1)
is "$?" 1 "migrate --to cdm_private5 (no such pool): exit 1"
contains "$out" "cdm_private5: no such pool" "  ... says so"
out=$(cdmctl migrate --pid $pid --to cdm_private0 --range 0x1000-0x3000 2>&1)
is "$?" 1 "migrate --range over nothing mapped: exit 1"
contains "$out" "not mapped" "  ... says the range is not mapped"
out=$(cdmctl migrate --pid $pid --to cdm_private0 --range 0x1001-0x3000 2>&1)
is "$?" 1 "migrate --range not page aligned: exit 1"
contains "$out" "not page aligned" "  ... says so"
sleep 30 &
gone=$!
kill $gone
wait $gone 2>/dev/null
out=$(cdmctl migrate --pid $gone --to cdm_private0 2>&1)
is "$?" 1 "migrate a process that is gone: exit 1"
contains "$out" "pid $gone: no such process" "  ... says so"
is "$(devices pools.0.pages_on_device)" 0 "nothing moved meanwhile"

kill $pid
wait $pid 2>/dev/null
check "rmmod $mod" rmmod $mod
done_testing
