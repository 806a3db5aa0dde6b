#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdmctl online and offline over a fake sysfs tree of dax devices and
# drivers (CDM_SYSFS_ROOT; driver attributes are plain files that keep
# what was written last, so the steps show): hostile device names are
# usage errors (exit 2, no JSON, nothing written); a device that does not
# exist, kmem's device, a bind the probe refuses and an offline the kernel
# refuses with EBUSY (a write(2) put in front with LD_PRELOAD,
# tests/host/cdmctl/fakewrite.c) are failures (exit 1) whose message, on
# stderr and in the JSON error object, names the device and the cause;
# online and offline twice succeed twice, the second saying nothing was
# done. Runs on the host without root. The real driver:
# tests/vm/cdmctl-online.t.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/json.sh"
. "$(dirname "$0")/../lib/fakesys.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cdmctl=$top/build/bin/cdmctl
fakewrite=$top/build/tests/host/cdmctl/fakewrite.so
[ -x "$cdmctl" ] || bail_out "$cdmctl not built (make all)"
[ -f "$fakewrite" ] || bail_out "$fakewrite not built (make all)"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
export CDM_SYSFS_ROOT=$root
# node names in the tree, not the host's /run
export CDM_NODE_NAMES=$root/run/cdm/node-names
fakesys_init "$root" 0,2 0
fakesys_node 0 0-3 1024 "10 20"
fakesys_node 2 "" 1024 "20 10"
drivers=$root/bus/dax/drivers
devices=$root/bus/dax/devices

# clear: every driver attribute emptied
clear() {
	local d a

	for d in device_dax kmem cxl_cdm; do
		mkdir -p "$drivers/$d"
		for a in new_id remove_id bind unbind; do : >"$drivers/$d/$a"; done
	done
}
# writes: "cxl_cdm/new_id=dax0.0 ...", what was written since clear
writes() {
	local d a out=

	for d in device_dax kmem cxl_cdm; do
		for a in new_id remove_id bind unbind; do
			[ -s "$drivers/$d/$a" ] && out="$out${out:+ }$d/$a=$(cat "$drivers/$d/$a")"
		done
	done
	echo "$out"
}
# device DEV NODE DRIVER
device() {
	mkdir -p "$devices/$1"
	echo "$2" >"$devices/$1/target_node"
	rm -f "$devices/$1/driver"
	ln -s "../../../../bus/dax/drivers/$3" "$devices/$1/driver"
}
# run [ENV=VALUE...] ARGS...: cdmctl; sets out, err, rc
run() {
	local envs=()

	while [[ "$1" == *=* ]]; do envs+=("$1"); shift; done
	out=$(env "${envs[@]}" "$cdmctl" "$@" 2>"$root/err") && rc=0 || rc=$?
	err=$(cat "$root/err")
}

clear
device dax0.0 2 device_dax
device dax1.0 2 cxl_cdm
mkdir -p "$devices/dax1.0/cxl_cdm"
echo 1 >"$devices/dax1.0/cxl_cdm/online"
device dax2.0 2 kmem
online=$devices/dax1.0/cxl_cdm/online

# hostile names: usage errors naming them, before anything is looked at
long=dax0.0$(printf 'x%.0s' {1..300})
while IFS='|' read -r name shown; do
	name=$(printf '%b.' "$name")	# the dot keeps a trailing newline
	name=${name%.}
	for cmd in online offline; do
		run $cmd "$name" --json
		is "$rc" 2 "$cmd '$shown': exit 2"
		is "$out" "" "$cmd '$shown': no JSON"
		is "$err" "cdmctl $cmd: '$shown': not a dax device name (daxN.M)
see 'cdmctl $cmd --help'" "$cmd '$shown': the message names it"
	done
done <<TABLE
|
dax|dax
dax0|dax0
dax0.0/../x|dax0.0/../x
../dax0.0|../dax0.0
dax0.0\\n|dax0.0?
dax00.0|dax00.0
dax0.0.0|dax0.0.0
dax2147483648.0|dax2147483648.0
$long|${long:0:40}...
TABLE
is "$(writes)" "" "no driver file written for a hostile name"

# command lines
while IFS='|' read -r args msg; do
	eval "set -- $args"
	run "$@"
	is "$rc" 2 "cdmctl $args: exit 2"
	case "$err" in
	*"$msg"*) pass "cdmctl $args: says '$msg'" ;;
	*) fail "cdmctl $args: says '$msg'" "stderr: $err" ;;
	esac
done <<'TABLE'
online|cdmctl online: DAXDEV is required
offline --release|cdmctl offline: DAXDEV is required
online dax0.0 dax1.0|unexpected argument 'dax1.0'
online --release dax0.0|unknown option '--release'
offline --from-kmem dax2.0|unknown option '--from-kmem'
offline dax1.0 --node-name x|unknown option '--node-name'
online dax1.0 --node-name|option '--node-name' needs a value
online dax1.0 --node-name 0|--node-name: '0': not a node name
online dax1.0 --node-name ../x|--node-name: '../x': not a node name
offline --bogus dax0.0|unknown option '--bogus'
TABLE

# failures: exit 1, the message on stderr and in the JSON error object
while IFS='|' read -r args env eno msg; do
	eval "set -- $args"
	# shellcheck disable=SC2086
	run $env "$@" --json
	is "$rc" 1 "cdmctl $args: exit 1"
	is "$(json '$j->{result} . " " . $j->{device} . " " . $j->{error}{errno}')" \
		"error ${2} $eno" "cdmctl $args: JSON error object, errno $eno"
	case "$(json '$j->{error}{message}')" in
	"$msg"*) pass "cdmctl $args: JSON message '$msg'" ;;
	*) fail "cdmctl $args: JSON message '$msg'" "$out" ;;
	esac
	case "$err" in
	"cdmctl $1: $msg"*) pass "cdmctl $args: stderr says it" ;;
	*) fail "cdmctl $args: stderr says it" "$err" ;;
	esac
done <<'TABLE'
online dax9.9||19|dax9.9: no such dax device (
offline dax9.9||19|dax9.9: no such dax device (
online dax2.0||16|dax2.0: held by kmem as system RAM: give it to device_dax first with 'daxctl reconfigure-device --mode=devdax -f dax2.0'
offline dax2.0||16|dax2.0: held by kmem as system RAM, not by cxl_cdm: 'daxctl offline-memory dax2.0'
online dax2.0 --from-kmem||95|dax2.0: held by kmem: taking it from kmem goes through libdaxctl, on the real /sys only
online dax9.9 --from-kmem||19|dax9.9: no such dax device (
TABLE
is "$(writes)" "" "no driver file written for a failure found first"

# offline refused by the kernel: EBUSY, the device and node named, still online
run LD_PRELOAD="$fakewrite" FAKEWRITE_PATH=/cxl_cdm/online offline dax1.0 --json
is "$rc" 1 "offline with pages that cannot move (EBUSY): exit 1"
is "$(json '$j->{error}{errno} . " " . $j->{error}{message}')" \
	"16 dax1.0: node 2: pages in use could not move to other nodes: nothing lost, the memory stays online (the kernel log says why)" \
	"offline EBUSY: JSON says the pages could not move, naming device and node, nothing lost"
is "$err" "cdmctl offline: dax1.0: node 2: pages in use could not move to other nodes: nothing lost, the memory stays online (the kernel log says why)" \
	"offline EBUSY: stderr says the same"
# (the open truncated the fake's file, as it would not sysfs's attribute)
echo 1 >"$online"
run LD_PRELOAD="$fakewrite" FAKEWRITE_PATH=/cxl_cdm/online FAKEWRITE_ERRNO=13 offline dax1.0
is "$rc:$err" "1:cdmctl offline: dax1.0: node 2: cannot go offline: Permission denied (needs root)" \
	"offline refused the write (EACCES): exit 1, needs root"
echo 1 >"$online"

# online: from device_dax in the README's steps; again: nothing done
run online dax0.0
is "$rc:$out" "0:dax0.0: online as CDM node 2 (cxl_cdm)" "online dax0.0 (device_dax's): exit 0, says so"
is "$(writes)" "device_dax/unbind=dax0.0 cxl_cdm/new_id=dax0.0 cxl_cdm/bind=dax0.0" \
	"  ... named in cxl_cdm's new_id, unbound from device_dax, bound to cxl_cdm"
clear
run online dax1.0
is "$rc:$out" "0:dax1.0: already online as CDM node 2 (cxl_cdm); nothing done" \
	"online dax1.0 (online already): exit 0, nothing done"
run online dax1.0 --json
is "$rc:$(json 'join " ", $j->{result}, $j->{device}, $j->{node}, $j->{online} ? "online" : "offline", $j->{changed} ? "changed" : "unchanged"')" \
	"0:ok dax1.0 2 online unchanged" "online dax1.0 --json: ok, node 2, online, not changed"
is "$(writes)" "" "  ... nothing written"

# --node-name: the node named; the same name again changes nothing; a
# name another node has fails, the memory online all the same
run online dax1.0 --node-name hbm0 --json
is "$rc:$(json 'join " ", $j->{result}, $j->{node}, $j->{changed} ? "changed" : "unchanged", $j->{name}')" \
	"0:ok 2 changed hbm0" "online dax1.0 --node-name hbm0: node 2 named, a change"
is "$(cat "$CDM_NODE_NAMES/node2")" hbm0 "  ... $CDM_NODE_NAMES/node2 holds it"
is "$("$cdmctl" nodes 2 | awk 'NR == 2 { print $(NF - 2) }')" hbm0 "  ... cdmctl nodes shows it"
out=$("$cdmctl" nodes --json 2)
is "$(json '$j->[0]{name}')" hbm0 "  ... and in JSON"
run online dax1.0 --node-name hbm0
is "$rc:$out" "0:dax1.0: already online as CDM node 2 named hbm0 (cxl_cdm); nothing done" \
	"  ... again: nothing done"
echo hbm1 >"$CDM_NODE_NAMES/node0"
run online dax1.0 --node-name hbm1 --json
is "$rc:$(json '$j->{error}{errno} . " " . $j->{error}{message}')" \
	"1:17 dax1.0: online as CDM node 2, but not named 'hbm1': node 2: 'hbm1' names node 0 already" \
	"  ... a name node 0 has: exit 1, EEXIST, said"
is "$(cat "$CDM_NODE_NAMES/node2")" hbm0 "  ... node 2 keeps its name"
rm -f "$CDM_NODE_NAMES/node0"
is "$(writes)" "" "  ... no driver file written"

# a bind the probe refuses: its errno, the device given back
run LD_PRELOAD="$fakewrite" FAKEWRITE_PATH=/cxl_cdm/bind FAKEWRITE_ERRNO=22 online dax0.0 --json
is "$rc" 1 "online, cxl_cdm's probe refuses (EINVAL): exit 1"
is "$(json '$j->{error}{errno} . " " . $j->{error}{message}')" \
	"22 dax0.0: cxl_cdm refused it: Invalid argument (the kernel log says why); given back to device_dax" \
	"  ... the probe's errno, the device named and given back"
clear

# offline, twice; then released to device_dax
run offline dax1.0
is "$rc:$out" "0:dax1.0: offline, none of its memory in node 2" "offline dax1.0: exit 0, says so"
is "$(cat "$online")" 0 "  ... cxl_cdm/online written 0"
run offline dax1.0 --json
is "$rc:$(json 'join " ", $j->{result}, $j->{online} ? "online" : "offline", $j->{changed} ? "changed" : "unchanged"')" \
	"0:ok offline unchanged" "offline dax1.0 again --json: ok, offline, not changed"
run offline dax1.0 --release
is "$rc:$out" "0:dax1.0: offline, none of its memory in node 2; given back to device_dax" \
	"offline --release: exit 0, given back"
is "$(writes)" "device_dax/new_id=dax1.0 device_dax/bind=dax1.0 cxl_cdm/remove_id=dax1.0 cxl_cdm/unbind=dax1.0" \
	"  ... named in device_dax's new_id, unbound from cxl_cdm, removed from its new_id, bound to device_dax"
clear
run offline dax0.0 --release
is "$rc:$out" "0:dax0.0: already offline and not cxl_cdm's; nothing done" \
	"offline --release of device_dax's device: nothing done"

# cxl_cdm not loaded: said, and no modprobe under a fake tree
mv "$drivers/cxl_cdm" "$root/cxl_cdm.away"
run online dax0.0
is "$rc" 1 "online without cxl_cdm loaded: exit 1"
case "$err" in
"cdmctl online: dax0.0: driver cxl_cdm not loaded (no $drivers/cxl_cdm)") pass "  ... says the driver is not loaded" ;;
*) fail "  ... says the driver is not loaded" "$err" ;;
esac
mv "$root/cxl_cdm.away" "$drivers/cxl_cdm"
is "$(writes)" "" "  ... nothing written"

done_testing
