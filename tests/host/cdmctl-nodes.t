#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdmctl nodes over fake sysfs trees (CDM_SYSFS_ROOT): a 4-node machine
# with CDM state, memory tiers and HMAT is reported field by field in the
# table and in JSON; absent attributes are absent keys; a broken tree is
# exit 1 with the file named.
. "$(dirname "$0")/../lib/tap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cdmctl=$top/build/bin/cdmctl
[ -x "$cdmctl" ] || { echo "Bail out! $cdmctl not built (make all)"; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
export CDM_SYSFS_ROOT=$root
n=$root/devices/system/node

# node ID CPUS MIB DISTANCES
node() {
	mkdir -p "$n/node$1"
	echo "$2" >"$n/node$1/cpulist"
	printf 'Node %d MemTotal:       %8d kB\nNode %d MemFree:        %8d kB\n' \
		"$1" $(($3 * 1024)) "$1" $(($3 * 512)) >"$n/node$1/meminfo"
	echo "$4" >"$n/node$1/distance"
}
hmat() {	# NODE INITIATOR BW LAT
	a=$n/node$1/access0/initiators
	mkdir -p "$a"
	for f in read_bandwidth write_bandwidth; do echo "$3" >"$a/$f"; done
	for f in read_latency write_latency; do echo "$4" >"$a/$f"; done
	ln -s ../../../node$2 "$a/node$2"
}
mkdir -p "$n"
echo 0-3 >"$n/online"
echo 0-3 >"$n/has_memory"
echo 0-1 >"$n/has_cpu"
echo 2-3 >"$n/has_coherent_device"
node 0 0-3 8192 "10 21 31 41"
node 1 4-7 8192 "21 10 41 31"
node 2 "" 16384 "31 41 10 51"
node 3 "" 1024 "41 31 51 10"
hmat 0 0 40960 10
hmat 2 0 10240 80
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

json=$("$cdmctl" nodes --json) && rc=0 || rc=$?
is "$rc" 0 "nodes --json: exit 0"
# node|key|expected (perl prints absent keys as <absent>)
while IFS='|' read -r id key want; do
	got=$(perl -MJSON::PP -e '
		my ($id, $key) = @ARGV;
		my ($n) = grep { $_->{node} == $id } @{decode_json(join "", <STDIN>)};
		my $v = $n->{$key};
		print !exists $n->{$key} ? "<absent>" : ref $v eq "HASH" ?
			join(",", map { "$_:$v->{$_}" } sort keys %$v) :
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
0|read_bandwidth|40960
0|read_latency|10
0|initiators|0
0|dax|<absent>
0|region|<absent>
1|read_bandwidth|<absent>
1|write_latency|<absent>
1|initiators|<absent>
2|cpus|
2|cpuless|true
2|cdm|yes
2|tier|22
2|size|17179869184
2|write_bandwidth|10240
2|write_latency|80
2|distance|0:31,1:41,2:10,3:51
3|cdm|yes
3|tier|4
TABLE

human=$("$cdmctl" nodes --json --human)
check "nodes --json --human: sizes with units" perl -MJSON::PP -e '
	my @n = @{decode_json(join "", <STDIN>)}; exit !($n[3]{size} eq "1.00 GiB")' <<<"$human"

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
