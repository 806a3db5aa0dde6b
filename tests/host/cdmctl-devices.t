#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdmctl devices, and migrate --to/--from POOL, over fake sysfs trees
# (CDM_SYSFS_ROOT): no cdm_private class is "no device-private pools",
# exit 0, JSON pools []; pools listed whose /dev/cdm_privateN is missing
# (as on any host) are exit 1 with the device named. With the driver's
# devices played by tests/host/cdmctl/fakepool.c (LD_PRELOAD: open and
# ioctl), the table and JSON show each pool's counters, and a migration
# to a pool and back reports what the driver moved: exit 0 also when
# some pages stayed, 3 when the pool filled up after some moved, 1 when
# none did. Hostile pool names and options a pool does not take are
# usage errors (exit 2, nothing on stdout); a pool that is not there is
# exit 1 with libcdm's message. Runs on the host without root. (The
# driver itself: tests/vm/cdm-private.t, which does not run cdmctl.)
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/json.sh"
. "$(dirname "$0")/../lib/fakesys.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cdmctl=$top/build/bin/cdmctl
fakepool=$top/build/tests/host/cdmctl/fakepool.so
[ -x "$cdmctl" ] || bail_out "$cdmctl not built (make all)"
[ -f "$fakepool" ] || bail_out "$fakepool not built (make all)"

root=$(mktemp -d)
# a process to move: 8 MiB written (present, anonymous), then asleep
perl -e '$x = "a" x (8 << 20); sleep 60' & victim=$!
trap 'kill $victim 2>/dev/null; rm -rf "$root"' EXIT
export CDM_SYSFS_ROOT=$root
fakesys_init "$root" 0-1 0
fakesys_node 0 0-3 8192 "10 21"
fakesys_node 1 "" 8192 "21 10"

# run ARGS...: cdmctl; sets out, err, rc
run() {
	out=$("$cdmctl" "$@" 2>"$root/err") && rc=0 || rc=$?
	err=$(cat "$root/err")
}
# fake ARGS...: the same with the pools of FAKEPOOL_IDS played
fake() {
	: >"$root/calls"
	out=$(LD_PRELOAD=$fakepool FAKEPOOL_LOG=$root/calls "$cdmctl" "$@" 2>"$root/err") &&
		rc=0 || rc=$?
	err=$(cat "$root/err")
}
# calls WHAT: the driver calls made (to_device, to_ram); done WHAT: pages
# they moved; asked WHAT: pages they were given
calls() { grep -c "^$1 " "$root/calls"; }
done_pages() { awk -v w="$1" '$1 == w && $3 != "-" { s += $3 } END { print s + 0 }' "$root/calls"; }
asked() { awk -v w="$1" '$1 == w { s += $2 } END { print s + 0 }' "$root/calls"; }

# ---- no cdm_private loaded: no class directory ----
run devices
is "$rc" 0 "devices without cdm_private: exit 0"
is "$out" "no device-private pools (is cdm_private loaded?)" "devices without cdm_private: says so"
is "$err" "" "devices without cdm_private: nothing on stderr"
run devices --json
is "$rc" 0 "devices --json without cdm_private: exit 0"
is "$(json '$j->{result} . " " . ref($j->{pools}) . " " . scalar @{$j->{pools}}')" "ok ARRAY 0" \
	"devices --json without cdm_private: result ok, pools []"
run residency --pid $victim --json
is "$rc" 0 "residency --json without cdm_private: exit 0"
is "$(json 'ref($j->{pools}) . " " . scalar @{$j->{pools}}')" "ARRAY 0" \
	"residency --json without cdm_private: pools []"
run migrate --pid $victim --to cdm_private0 --json
is "$rc" 1 "migrate --to cdm_private0 without cdm_private: exit 1"
is "$(json '$j->{result} . " " . $j->{to} . " " . $j->{error}{errno}')" "error cdm_private0 19" \
	"migrate --to cdm_private0 without cdm_private: JSON error, ENODEV"
has "migrate --to cdm_private0 without cdm_private: the message names the pool" \
	"$err" "cdmctl migrate: cdm_private0: no such pool"

# ---- pools 0 and 3 listed in sysfs, as the driver makes them ----
for id in 0 3; do
	d=$root/class/cdm_private/cdm_private$id
	mkdir -p "$d"
	echo "240:$id" >"$d/dev"
	printf 'MAJOR=240\nMINOR=%d\nDEVNAME=cdm_private%d\n' $id $id >"$d/uevent"
done

# no /dev/cdm_privateN on the host: exit 1, the device named
run devices
is "$rc" 1 "devices, pools listed but no device file: exit 1"
is "$out" "" "devices, no device file: no half table on stdout"
has "devices, no device file: the message names /dev/cdm_private0" "$err" \
	"cdmctl devices: cdm_private0: /dev/cdm_private0"
run devices --json
is "$rc" 1 "devices --json, no device file: exit 1"
is "$(json '$j->{result} . " " . $j->{error}{errno}')" "error 19" \
	"devices --json, no device file: result error, ENODEV"
has "devices --json, no device file: error.message names the device" \
	"$(json '$j->{error}{message}')" "/dev/cdm_private0"
run migrate --pid $victim --to cdm_private0
is "$rc" 1 "migrate --to a pool without its device file: exit 1"
has "migrate --to a pool without its device file: the message names it" "$err" \
	"cdmctl migrate: cdm_private0: /dev/cdm_private0"

# ---- the driver played: counters of pool N are 1000 * (N + 1) + 1..7 ----
export FAKEPOOL_IDS=0,3
fake devices
is "$rc" 0 "devices: exit 0"
is "$(wc -l <<<"$out")" 3 "devices: a header and a line per pool"
is "$(awk 'NR == 1' <<<"$out" | xargs)" \
	"NAME DEVICE CAPACITY ALLOCATED USED ON-DEVICE TO-DEVICE TO-RAM CPU-FAULTS FAILED" \
	"devices: the header"
# NAME DEVICE CAPACITY(2 words) ALLOCATED(2) USED(2) ON TO-DEV TO-RAM FAULTS FAILED
is "$(awk '$1 == "cdm_private0"' <<<"$out" | xargs)" \
	"cdm_private0 /dev/cdm_private0 1.00 GiB 256.00 MiB 4.00 MiB 1001 1002 1003 1004 3018" \
	"devices: pool 0's line (FAILED = busy + nomem + other)"
is "$(awk '$1 == "cdm_private3"' <<<"$out" | xargs)" \
	"cdm_private3 /dev/cdm_private3 4.00 GiB 1.00 GiB 16.00 MiB 4001 4002 4003 4004 12018" \
	"devices: pool 3's line"
fake devices --json
is "$rc" 0 "devices --json: exit 0"
is "$(json '$j->{result} . " " . join(",", map { $_->{pool} } @{$j->{pools}})')" \
	"ok cdm_private0,cdm_private3" "devices --json: result ok, both pools in order"
# pool index|key|value
while IFS='|' read -r i key want; do
	[ -n "$i" ] || continue
	is "$(json "\$j->{pools}[$i]{$key} // '<absent>'")" "$want" "devices --json: pools[$i].$key = $want"
done <<'TABLE'
0|device|/dev/cdm_private0
0|capacity|1073741824
0|allocated|268435456
0|used|4194304
0|pages_on_device|1001
0|to_device|1002
0|to_ram|1003
0|cpu_faults|1004
0|fail_busy|1005
0|fail_nomem|1006
0|fail_other|1007
1|device|/dev/cdm_private3
1|capacity|4294967296
1|fail_other|4007
TABLE
# a pool that cannot be read fails the command: not root, another ABI
FAKEPOOL_OPEN_ERRNO=13 fake devices --json
is "$rc" 1 "devices --json, opening needs root: exit 1"
is "$(json '$j->{result} . " " . $j->{error}{errno}')" "error 13" "devices --json, not root: EACCES"
has "devices, not root: the message says why" "$err" "cdm_private0: opening /dev/cdm_private0"
FAKEPOOL_ABI=2 fake devices
is "$rc" 1 "devices, a driver of another ABI version: exit 1"
has "devices, another ABI: the message says which" "$err" "cdm_private0: driver ABI version 2"
# residency asks the pools about swapped-looking pages: none on the host
fake residency --pid $victim --json
is "$rc:$(json 'scalar @{$j->{pools}}')" "0:0" "residency --json with pools: exit 0, no pool holds pages"
fake residency --pid $victim
is "$(grep -c cdm_private <<<"$out")" 0 "residency with pools: no pool row without pages"

# ---- migrate to a pool and back ----
fake migrate --pid $victim --to cdm_private3
is "$rc" 0 "migrate --to cdm_private3: exit 0"
cmp_ok "$(calls to_device)" -gt 0 "migrate --to cdm_private3: the driver was asked (TO_DEVICE)"
n=$(asked to_device)
cmp_ok "$n" -ge 2048 "migrate --to cdm_private3: the 8 MiB written are among the pages asked about"
is "$out" "pid $victim -> cdm_private3: $n pages: $n moved" "migrate --to cdm_private3: the summary"
is "$err" "" "migrate --to cdm_private3: nothing on stderr"

fake migrate --pid $victim --to /dev/cdm_private3 --json
is "$rc" 0 "migrate --to /dev/cdm_private3 --json: exit 0"
is "$(json 'join " ", map { $j->{$_} // "<absent>" } qw(result to from pages moved)')" \
	"ok cdm_private3 <absent> $(asked to_device) $(done_pages to_device)" \
	"migrate --json: result ok, to the pool's name, pages and moved as the driver counted"

# the driver moved some pages only: still a success, saying how many stayed
FAKEPOOL_DONE=0 fake migrate --pid $victim --to cdm_private0
is "$rc" 0 "migrate --to a pool that moved nothing: exit 0 (the call succeeded)"
n=$(asked to_device)
is "$out" "pid $victim -> cdm_private0: $n pages: 0 moved, $n did not move (already in place, or failed: see the fail counters of cdmctl devices)" \
	"migrate --to a pool that moved nothing: says how many did not move and where to look"

# the pool full: at the first call nothing moved (exit 1), later partial
FAKEPOOL_FAIL_AT=1 fake migrate --pid $victim --to cdm_private0 --json
is "$rc" 1 "migrate, pool full at once: exit 1"
is "$(json 'join " ", map { $j->{$_} // "<absent>" } qw(result pages moved)') $(json '$j->{error}{errno}')" \
	"error <absent> <absent> 12" "migrate, pool full at once: result error, ENOMEM, no counts"
is "$err" "cdmctl migrate: cdm_private0: pool full (0 pages of pid $victim moved before)" \
	"migrate, pool full at once: the message names the pool"
FAKEPOOL_FAIL_AT=2 fake migrate --pid $victim --to cdm_private0 --json
is "$rc" 3 "migrate, pool full at the second call: exit 3 (partial)"
is "$(json '$j->{result} . " " . $j->{error}{errno} . " " . $j->{moved}')" \
	"partial 12 $(done_pages to_device)" \
	"migrate, pool full at the second call: result partial, ENOMEM, moved what the first call did"
FAKEPOOL_FAIL_AT=1 FAKEPOOL_ERRNO=28 fake migrate --pid $victim --to cdm_private0
is "$rc" 1 "migrate, the pool cannot grow: exit 1"
has "migrate, the pool cannot grow: says why" "$err" "cdm_private0: the pool cannot grow"
is "$out" "" "migrate, failed: no summary on stdout"

# a range: only its pages are asked about (the largest private anonymous
# mapping: perl's 8 MiB); "START-END PAGES"
set -- $(PAGESIZE=$(getconf PAGESIZE) perl -ne 'my ($s, $e, $p, $name) = /^(\w+)-(\w+) (\S+) \S+ \S+ \S+\s*(.*)$/;
	next unless $p eq "rw-p" && $name eq "";
	($best, $r) = (hex($e) - hex($s), "0x$s-0x$e") if hex($e) - hex($s) > $best;
	END { printf "%s %d\n", $r, $best / $ENV{PAGESIZE} }' "/proc/$victim/maps")
range=$1 range_pages=$2
fake migrate --pid $victim --to cdm_private0 --range "$range" --json
is "$rc" 0 "migrate --to cdm_private0 --range (perl's 8 MiB mapping): exit 0"
is "$(json '$j->{range}')" "$range" "migrate --range --json: the range"
is "$(json '$j->{pages}')" "$(asked to_device)" "migrate --range --json: pages as asked of the driver"
check "migrate --range: pages of the range asked about, none outside it" \
	test "$(asked to_device)" -gt 0 -a "$(asked to_device)" -le "$range_pages"

# back: nothing is on the (fake) device, so no call and nothing moved
fake migrate --pid $victim --from cdm_private0 --json
is "$rc" 0 "migrate --from cdm_private0 --json: exit 0"
is "$(json 'join " ", map { $j->{$_} // "<absent>" } qw(result from to pages moved)')" \
	"ok cdm_private0 <absent> 0 0" "migrate --from cdm_private0 --json: from the pool, no target, nothing moved"
is "$(calls to_device)" 0 "migrate --from: never asks the driver to move pages to the device"
fake migrate --pid $victim --from /dev/cdm_private3
is "$rc:$out" "0:cdm_private3 -> pid $victim memory: 0 pages: 0 moved" "migrate --from (text): the summary"
fake migrate --pid 99999999 --to cdm_private0
is "$rc:$err" "1:cdmctl migrate: pid 99999999: no such process" "migrate --to a pool, no such process: exit 1"

# ---- bad input: exit 2 and nothing on stdout, or exit 1 for a pool that
# is not there; no driver call either way ----
# args|exit|stderr substring
while IFS='|' read -r args want msg; do
	[ -n "$args" ] || continue
	eval "set -- $args"
	fake "$@" --json
	is "$rc" "$want" "cdmctl $args: exit $want"
	has "cdmctl $args: says '$msg'" "$err" "$msg"
	is "$(wc -l <"$root/calls")" 0 "cdmctl $args: the driver moved nothing"
	case $want in
	2) is "$out" "" "cdmctl $args: nothing on stdout" ;;
	*) is "$(json '$j->{result}')" error "cdmctl $args: JSON result error" ;;
	esac
done <<'TABLE'
migrate --pid $victim --to cdm_private|2|--to 'cdm_private': not a pool name
migrate --pid $victim --to cdm_private99999999999|2|--to 'cdm_private99999999999': not a pool name
migrate --pid $victim --to cdm_private64|2|not a pool name (cdm_privateN or /dev/cdm_privateN, N 0-63)
migrate --pid $victim --to cdm_private01|2|--to 'cdm_private01': not a pool name
migrate --pid $victim --to cdm_private-1|2|--to 'cdm_private-1': not a pool name
migrate --pid $victim --to cdm_private+1|2|--to 'cdm_private+1': not a pool name
migrate --pid $victim --to "cdm_private 1"|2|not a pool name
migrate --pid $victim --to cdm_private0x1|2|--to 'cdm_private0x1': not a pool name
migrate --pid $victim --to /dev/../etc/passwd|2|--to '/dev/../etc/passwd': not a pool name
migrate --pid $victim --to /dev/cdm_private0/|2|not a pool name
migrate --pid $victim --to /dev/|2|not a pool name
migrate --pid $victim --to ''|2|--to '': not a node number
migrate --pid $victim --to cdm_private0 --threads 2|2|--threads: not with a pool (cdm_private0)
migrate --pid $victim --to cdm_private0 --batch 512|2|--batch: not with a pool (cdm_private0)
migrate --pid $victim --to cdm_private0 --method move_pages|2|--method: not with a pool
migrate --pid $victim --to cdm_private0 --shared|2|--shared: not with a pool (cdm_private0): a pool takes private anonymous memory only
migrate --pid $victim --to cdm_private0 --from 0|2|--from 0: with --to cdm_private0, every private anonymous page
migrate --pid $victim --from cdm_private0 --to 1|2|--to: with --from cdm_private0, pages come back where the process's memory policy puts them; move them on with another cdmctl migrate
migrate --pid $victim --to 1 --from cdm_private0|2|--to: with --from cdm_private0, pages come back
migrate --pid $victim --from cdm_private0 --shared|2|--shared: not with a pool (cdm_private0)
migrate --pid $victim --from cdm_private0 --threads 4|2|--threads: not with a pool (cdm_private0)
migrate --pid $victim --to cdm_private0 --from cdm_private3|2|never straight to another pool
migrate --pid $victim --from cdm_private|2|--from 'cdm_private': not a pool name
migrate --pid $victim --from /dev/null|2|--from '/dev/null': not a pool name
migrate --from cdm_private0|2|--pid is required
migrate --pid $victim --to cdm_private0 --range 5|2|--range '5': not START-END
residency --pid $victim --to cdm_private0|2|unknown option '--to'
devices --bogus|2|unknown option '--bogus'
devices cdm_private0|2|unexpected argument 'cdm_private0'
migrate --pid $victim --to cdm_private5|1|cdmctl migrate: cdm_private5: no such pool
migrate --pid $victim --to /dev/cdm_private63|1|cdmctl migrate: cdm_private63: no such pool
migrate --pid $victim --from cdm_private7|1|cdmctl migrate: cdm_private7: no such pool
migrate --pid $victim --to cdm_private0 --range 0x2000-0x1000|1|range 0x2000-0x1000: empty
migrate --pid $victim --to cdm_private0 --range 0-0|1|range 0x0-0x0: empty
TABLE
# not found: ENODEV in the JSON, the name as given
fake migrate --pid $victim --to /dev/cdm_private5 --json
is "$(json '$j->{to} . " " . $j->{error}{errno}')" "/dev/cdm_private5 19" \
	"migrate --to a pool not there --json: to as given, ENODEV"

done_testing
