#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdmctl nodes over fake sysfs trees (CDM_SYSFS_ROOT): a 4-node machine
# with CDM state, memory tiers, HMAT and memory blocks is reported field by
# field in the table and in JSON (HMAT per access class, backings as an
# array); absent attributes are absent keys, and "-" in the table; a node
# list selects the nodes shown; a broken tree is exit 1 with the file named.
# (Several backings per node, dax devices and CXL regions come from
# libdaxctl and libcxl, which read the real /sys: tests/host/libcdm/backing.c
# plays them, with the drivers holding them; here every backing is plain
# RAM, of no driver: no driver key, "-" in the DRIVER column.)
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/fakesys.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cdmctl=$top/build/bin/cdmctl
[ -x "$cdmctl" ] || { echo "Bail out! $cdmctl not built (make all)"; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
export CDM_SYSFS_ROOT=$root
fakesys_init "$root" 0-3 0-1
n=$fakesys_nodes
echo 2-3 >"$n/has_coherent_device"
fakesys_node 0 0-3 8192 "10 21 31 41"
fakesys_node 1 4-7 8192 "21 10 41 31"
fakesys_node 2 "" 16384 "31 41 10 51"
fakesys_node 3 "" 1024 "41 31 51 10"
# node 0: access0; node 1: no HMAT; node 2: access0 and access1 (CPUs);
# node 3: latencies only (the kernel shows 0 for the bandwidths)
fakesys_hmat 0 0 0 40960 40960 10 10
fakesys_hmat 2 0 0 10240 10240 80 80
fakesys_hmat 2 1 1 8192 4096 100 120
fakesys_hmat 3 0 1 0 0 150 150
# memory blocks: node 0 8 GiB, node 2 16 GiB and an offline block (not
# counted); none in nodes 1 and 3 (no backing told)
fakesys_blocks 0 0 64
fakesys_blocks 2 64 128
fakesys_blocks 2 192 1 0
for t in 4:0-1,3 22:2; do
	mkdir -p "$root/devices/virtual/memory_tiering/memory_tier${t%%:*}"
	echo "${t#*:}" >"$root/devices/virtual/memory_tiering/memory_tier${t%%:*}/nodelist"
done

out=$("$cdmctl" nodes) && rc=0 || rc=$?
is "$rc" 0 "nodes: exit 0"
is "$(echo "$out" | wc -l)" 5 "nodes: a header and 4 lines"
# NODE CPUS CDM TIER SIZE(2 words) FREE(2 words) BW(2)/- LAT(2)/- BACKING
line() { echo "$out" | awk -v id="$1" '$1 == id'; }
is "$(line 0 | awk '{ print $2, $3, $4, $5 $6, $7 $8 }')" "0-3 no 4 8.00GiB 4.00GiB" "nodes: node 0 line"
is "$(line 1 | awk '{ print $2, $3, $4, $9, $10 }')" "4-7 no 4 - -" "nodes: node 1 line (no HMAT)"
is "$(line 2 | awk '{ print $2, $3, $4, $5 $6, $9 $10, $11 $12 }')" "cpuless yes 22 16.00GiB 10240MiB/s 80ns" \
	"nodes: node 2 line (cpuless, cdm, tier 22, HMAT)"
is "$(line 3 | awk '{ print $2, $3, $4, $5 $6 }')" "cpuless yes 4 1.00GiB" "nodes: node 3 line"
is "$(line 3 | awk '{ print $9, $10 $11 }')" "- 150ns" "nodes: node 3 line: no bandwidth is '-', not 0"
is "$(line 0 | awk '{ print $NF }')" "ram" "nodes: node 0 backed by plain RAM"
is "$(line 1 | awk '{ print $NF }')" "-" "nodes: node 1 line: no backing is '-'"
is "$(line 0 | awk '{ print $(NF - 1) }')" "-" "nodes: node 0 line: no driver holds plain RAM ('-')"
is "$(echo "$out" | awk 'NR == 1 { print $(NF - 1), $NF }')" "DRIVER BACKING" \
	"nodes: the header names the DRIVER and BACKING columns"

json=$("$cdmctl" nodes --json) && rc=0 || rc=$?
is "$rc" 0 "nodes --json: exit 0"
# node|key|expected (perl prints absent keys as <absent>)
while IFS='|' read -r id key want; do
	got=$(perl -MJSON::PP -e '
		my ($id, $key) = @ARGV;
		my ($n) = grep { $_->{node} == $id } @{decode_json(join "", <STDIN>)};
		my $v = $n->{$key};
		my $kv = sub { my $h = shift; join(",", map { "$_:$h->{$_}" } sort keys %$h) };
		print !exists $n->{$key} ? "<absent>" : ref $v eq "HASH" ? $kv->($v) :
			ref $v eq "ARRAY" ? join(";", map { $kv->($_) } @$v) :
			JSON::PP::is_bool($v) ? ($v ? "true" : "false") : $v' "$id" "$key" <<<"$json")
	is "$got" "$want" "nodes --json: node $id $key = $want"
done <<'TABLE'
0|cpus|0-3
0|cpuless|false
0|cdm|no
0|tier|4
0|size|8589934592
0|free|4294967296
0|distance|0:10,1:21,2:31,3:41
0|access0|initiators:0,read_bandwidth:40960,read_latency:10,write_bandwidth:40960,write_latency:10
0|access1|<absent>
0|read_bandwidth|<absent>
0|initiators|<absent>
0|dax|<absent>
0|region|<absent>
0|backing|kind:ram,size:8589934592
0|driver|<absent>
1|backing|<absent>
2|backing|kind:ram,size:17179869184
1|access0|<absent>
1|access1|<absent>
2|cpus|
2|cpuless|true
2|cdm|yes
2|tier|22
2|size|17179869184
2|access0|initiators:0,read_bandwidth:10240,read_latency:80,write_bandwidth:10240,write_latency:80
2|access1|initiators:1,read_bandwidth:8192,read_latency:100,write_bandwidth:4096,write_latency:120
2|write_latency|<absent>
2|distance|0:31,1:41,2:10,3:51
3|access0|initiators:1,read_latency:150,write_latency:150
3|cdm|yes
3|tier|4
TABLE

# a node list selects nodes: positional or --nodes, numactl syntax
# args|node ids shown (JSON, then the table)
while IFS='|' read -r args want; do
	[ -n "$args" ] || continue
	eval "set -- $args"
	got=$("$cdmctl" nodes --json "$@" 2>&1 | perl -MJSON::PP -e '
		my $j = eval { decode_json(join "", <STDIN>) };
		print ref $j eq "ARRAY" ? join ",", map { $_->{node} } @$j : "<not a JSON array>"')
	is "$got" "$want" "nodes --json $args: nodes $want"
	got=$("$cdmctl" nodes "$@" 2>&1 | awk 'NR > 1 { printf "%s%s", (NR > 2 ? "," : ""), $1 }')
	is "$got" "$want" "nodes $args: lines of nodes $want"
done <<'TABLE'
1,3|1,3
3,1|1,3
--nodes 1,3|1,3
-n 2|2
--nodes=0-1|0,1
1-3|1,2,3
'!0'|1,2,3
'!0-1,3'|2
all|0,1,2,3
TABLE
# refused lists (malformed, or naming a node that is not online): exit 2,
# a message naming the list and the node, nothing on stdout, no JSON
while IFS='|' read -r args msg; do
	[ -n "$args" ] || continue
	eval "set -- $args"
	out=$("$cdmctl" nodes "$@" 2>"$root/err") && rc=0 || rc=$?
	is "$rc" 2 "nodes $args: exit 2"
	is "$out" "" "nodes $args: nothing on stdout"
	# shellcheck disable=SC2254
	case "$(cat "$root/err")" in
	*$msg*) pass "nodes $args: says '$msg'" ;;
	*) fail "nodes $args: says '$msg'" "stderr: $(cat "$root/err")" ;;
	esac
done <<'TABLE'
1,x|cdmctl nodes: node list '1,x'
--nodes 3-1|cdmctl nodes: node list '3-1'
--nodes|option '--nodes' needs a value
1 --nodes 2|cdmctl nodes: node list given twice ('1' and '2')
1 2|unexpected argument '2'
5|cdmctl nodes: node list '5': node 5*not online
1,7|cdmctl nodes: node list '1,7': node 7*not online
1,7 --json|cdmctl nodes: node list '1,7': node 7*not online
TABLE

human=$("$cdmctl" nodes --json --human)
check "nodes --json --human: sizes with units" perl -MJSON::PP -e '
	my @n = @{decode_json(join "", <STDIN>)}; exit !($n[3]{size} eq "1.00 GiB")' <<<"$human"
check "nodes --json --human: backing sizes with units" perl -MJSON::PP -e '
	my @n = @{decode_json(join "", <STDIN>)}; exit !($n[2]{backing}[0]{size} eq "16.00 GiB")' <<<"$human"

# stock kernel: no has_coherent_device, no tiers -> "unknown", no tier key
rm "$n/has_coherent_device"
rm -r "$root/devices/virtual/memory_tiering"
json=$("$cdmctl" nodes --json)
check "without has_coherent_device every node is cdm 'unknown'" perl -MJSON::PP -e '
	my @n = @{decode_json(join "", <STDIN>)};
	exit !(@n == 4 && !grep { $_->{cdm} ne "unknown" || exists $_->{tier} } @n)' <<<"$json"

# broken trees: exit 1, message names the file
echo "0-3,x" >"$n/has_memory"
err=$("$cdmctl" nodes 2>&1 >/dev/null) && rc=0 || rc=$?
is "$rc" 1 "nodes on a malformed has_memory: exit 1"
is "$err" "cdmctl nodes: $n/has_memory: malformed node list '0-3,x'" "nodes: message names the file"
echo 0-3 >"$n/has_memory"
rm "$n/node2/meminfo"
err=$("$cdmctl" nodes --json 2>&1 >/dev/null) && rc=0 || rc=$?
is "$rc" 1 "nodes --json with node2/meminfo missing: exit 1"
is "$err" "cdmctl nodes: node 2: $n/node2/meminfo: No such file or directory" \
	"nodes: message names node and file"
CDM_SYSFS_ROOT=/nonexistent "$cdmctl" nodes >/dev/null 2>&1 && rc=0 || rc=$?
is "$rc" 1 "nodes with no sysfs at all: exit 1"

done_testing
