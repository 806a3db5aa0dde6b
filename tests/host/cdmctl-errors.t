#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdmctl when things go wrong: a migration stopped half-way (by a fake
# move_pages(2), tests/host/cdmctl/fakemove.c, over a live process of
# ours) reports what it moved so far, in JSON too, and exits 3 when some
# pages moved and some did not, 1 when none moved; every failure with
# --json prints {"result":"error","error":{"errno":N,"message":...}};
# bad input moves nothing and prints no JSON. Runs on the host without
# root, on a fake sysfs tree.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/json.sh"
. "$(dirname "$0")/../lib/fakesys.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cdmctl=$top/build/bin/cdmctl
fakemove=$top/build/tests/host/cdmctl/fakemove.so
[ -x "$cdmctl" ] || bail_out "$cdmctl not built (make all)"
[ -f "$fakemove" ] || bail_out "$fakemove not built (make all)"

root=$(mktemp -d)
sleep 60 & victim=$!
trap 'kill $victim 2>/dev/null; rm -rf "$root"' EXIT
export CDM_SYSFS_ROOT=$root
fakesys_init "$root" 0-1 0
fakesys_node 0 0-3 8192 "10 21"
fakesys_node 1 "" 8192 "21 10"

calls=$root/calls
# fake FAIL_AT ERRNO ARGS...: cdmctl under fakemove; sets out, err, rc
fake() {
	local at=$1 errno=$2

	shift 2
	: >"$calls"
	out=$(LD_PRELOAD=$fakemove FAKEMOVE_FAIL_AT=$at FAKEMOVE_ERRNO=$errno \
		FAKEMOVE_LOG=$calls "$cdmctl" "$@" 2>"$root/err") && rc=0 || rc=$?
	err=$(cat "$root/err")
}
moves() { grep -c '^move' "$calls"; }
# moved_before N: the pages the fake moved in its calls before the Nth
moved_before() { awk -v n="$1" '$1 == "move" && ++i < n { sum += $2 } END { print sum + 0 }' "$calls"; }

# at|errno|exit|result|error.errno|message (on stderr and in the JSON)
while IFS='|' read -r at errno want result eno msg; do
	[ -n "$at" ] || continue
	msg=${msg//PID/$victim}
	what="migrate, move call $at fails with $errno"
	[ "$at" != 0 ] || what="migrate, no call fails"
	fake "$at" "$errno" migrate --pid $victim --to 1 --batch 512 --json
	is "$rc" "$want" "$what: exit $want"
	is "$(json '$j->{result}')" "$result" "$what: result '$result'"
	is "$(json '$j->{error}{errno} // "<absent>"')" "$eno" "$what: error.errno $eno"
	is "$(json '$j->{error}{message} // "<absent>"')" "$msg" "$what: error.message"
	case $want in
	0) is "$err" "" "$what: nothing on stderr" ;;
	*) is "$err" "cdmctl migrate: $msg" "$what: message on stderr names the object" ;;
	esac
	# the counts of what was done before the failure
	case $result in
	ok) check "$what: every page moved" perl -e 'exit !($ARGV[0] > 0 && $ARGV[0] == $ARGV[1])' \
		"$(json '$j->{moved}')" "$(json '$j->{pages}')" ;;
	partial) is "$(json '$j->{moved}')" "$(moved_before "$at")" \
		"$what: moved counts the pages of the $((at - 1)) calls before" ;;
	error) is "$(json '$j->{moved}')" 0 "$what: no page moved" ;;
	esac
done <<'TABLE'
0|ESRCH|0|ok|<absent>|<absent>
3|ESRCH|3|partial|3|pid PID: no such process
1|ESRCH|1|error|3|pid PID: no such process
2|EPERM|3|partial|1|pid PID: moving pages not permitted (needs ptrace read access: same user and dumpable, or CAP_SYS_PTRACE)
3|ENOMEM|3|partial|28|node 1: full
1|ENOMEM|1|error|28|node 1: full
TABLE

# busy pages: the run goes on to the end and says how many stayed
fake 3 EBUSY migrate --pid $victim --to 1 --batch 512 --json
is "$rc" 3 "migrate, pages busy from move call 3: exit 3"
is "$(json '$j->{result} . " " . $j->{error}{errno}')" "partial 11" "busy pages: result partial, EAGAIN"
check "busy pages: moved + busy = pages" perl -e 'exit !($ARGV[0] > 0 && $ARGV[1] > 0 &&
	$ARGV[0] + $ARGV[1] == $ARGV[2])' "$(json '$j->{moved}')" "$(json '$j->{busy}')" "$(json '$j->{pages}')"
fake 1 EBUSY migrate --pid $victim --to 1 --batch 512 --json
is "$rc" 1 "migrate, every page busy: exit 1"
is "$(json '$j->{result} . " " . $j->{moved}')" "error 0" "every page busy: result error, none moved"

# the text summary says the same, and the exit status too
fake 3 ESRCH migrate --pid $victim --to 1 --batch 512
is "$rc" 3 "migrate (text) stopped half-way: exit 3"
case "$out" in
"pid $victim -> node 1: "*" moved "*) pass "migrate (text) stopped half-way: summary of what moved" ;;
*) fail "migrate (text) stopped half-way: summary of what moved" "$out" ;;
esac

# --from: only pages on those nodes (the fake has them all on node 0)
fake 0 ESRCH migrate --pid $victim --to 1 --from 0 --method move_pages --batch 512 --json
is "$rc" 0 "migrate --from 0: exit 0"
is "$(json '$j->{from} . " " . $j->{skipped} . " " . $j->{method}')" "0 0 move_pages" \
	"migrate --from 0: JSON names the source nodes, none skipped, the method used"
check "migrate --from 0: every page moved" perl -e 'exit !($ARGV[0] > 0 && $ARGV[0] == $ARGV[1])' \
	"$(json '$j->{moved}')" "$(json '$j->{pages}')"
fake 0 ESRCH migrate --pid $victim --to 1 --from 1 --json
is "$rc" 1 "migrate --from the target node: exit 1"
is "$(json '$j->{error}{message}')" "pid $victim: source node 1: is the target, node 1" \
	"migrate --from the target node: the message names the node"
is "$(moves)" 0 "migrate --from the target node: no page moved"

# --shared asks the kernel for MPOL_MF_MOVE_ALL, and only then
fake 0 ESRCH migrate --pid $victim --to 1 --method move_pages --batch 512
check "migrate without --shared: no call asks to move shared pages" \
	sh -c "[ \$(grep -c '^move.* all\$' '$calls') = 0 ] && grep -q '^move' '$calls'"
fake 0 ESRCH migrate --pid $victim --to 1 --shared --method move_pages --batch 512 --json
is "$rc" 0 "migrate --shared with CAP_SYS_NICE: exit 0"
check "migrate --shared: every move call asks to move shared pages" \
	sh -c "grep -q '^move' '$calls' && ! grep '^move' '$calls' | grep -qv ' all\$'"
out=$(LD_PRELOAD=$fakemove FAKEMOVE_NO_CAP_SYS_NICE=1 FAKEMOVE_LOG=$calls \
	"$cdmctl" migrate --pid $victim --to 1 --shared --json 2>"$root/err") && rc=0 || rc=$?
is "$rc" 1 "migrate --shared without CAP_SYS_NICE: exit 1"
is "$(json '$j->{error}{errno} . " " . $j->{error}{message}')" \
	"1 pid $victim: moving shared pages needs CAP_SYS_NICE" \
	"migrate --shared without CAP_SYS_NICE: EPERM, and why"

# SIGTERM (or SIGINT) stops a migration after the chunks under way; the
# summary counts them. The process has 32 MiB in one mapping: 16 calls.
perl -e '$x = "a" x (32 << 20); sleep 60' & big=$!
trap 'kill $victim $big 2>/dev/null; rm -rf "$root"' EXIT
sleep 0.5
: >"$calls"
LD_PRELOAD=$fakemove FAKEMOVE_SLEEP_MS=300 FAKEMOVE_LOG=$calls \
	"$cdmctl" migrate --pid $big --to 1 --method move_pages --batch 512 --json \
	>"$root/out" 2>"$root/err" &
cdmctl_pid=$!
for i in $(seq 100); do [ "$(moves)" -ge 2 ] && break; sleep 0.1; done
kill -TERM $cdmctl_pid
wait $cdmctl_pid && rc=0 || rc=$?
out=$(cat "$root/out")
is "$rc" 3 "migrate stopped by SIGTERM: exit 3 (partial)"
is "$(json '$j->{result} . " " . $j->{error}{errno}')" "partial 125" \
	"migrate stopped by SIGTERM: result partial, ECANCELED"
is "$(json '$j->{moved}')" "$(moved_before 1000)" \
	"migrate stopped by SIGTERM: moved counts every call made"
# (pages counts the chunks done too: compare with the 32 MiB)
check "migrate stopped by SIGTERM: it stopped short of the 32 MiB" \
	perl -e 'exit !($ARGV[0] > 0 && $ARGV[0] < 8192)' "$(json '$j->{moved}')"

# failures before anything runs: JSON error object, exit 1, nothing moved
while IFS='|' read -r args eno msg; do
	[ -n "$args" ] || continue
	eval "set -- $args"
	fake 1 ESRCH "$@"
	is "$rc" 1 "cdmctl $args: exit 1"
	is "$(json '$j->{result} . " " . $j->{error}{errno} . " " . $j->{error}{message}')" \
		"error $eno $msg" "cdmctl $args: JSON error object"
	is "$err" "cdmctl ${args%% *}: $msg" "cdmctl $args: message on stderr"
	is "$(moves)" 0 "cdmctl $args: no page moved"
done <<'TABLE'
migrate --pid 99999999 --to 1 --json|3|pid 99999999: no such process
migrate --pid $victim --to 7 --json|19|node 7: not online
migrate --pid $victim --to 1 --range 0x1001-0x2000 --json|22|range 0x1001-0x2000: not page aligned
residency --pid 99999999 --json|3|pid 99999999: no such process
TABLE
CDM_SYSFS_ROOT=$root/none fake 0 ESRCH nodes --json
is "$rc" 1 "nodes --json without a sysfs tree: exit 1"
is "$(json '$j->{result} . " " . $j->{error}{errno}')" "error 2" "nodes --json without a sysfs tree: JSON error, ENOENT"
check "nodes --json without a sysfs tree: message names the file" \
	grep -q "$root/none/devices/system/node/online" <<<"$(json '$j->{error}{message}')"

# bad input: exit 2, no JSON, the process never asked about
for args in "--to 1 --threads 0" "--to x" "--to 1 --range 5" "--to 1 stray"; do
	fake 0 ESRCH migrate --pid $victim $args --json
	is "$rc" 2 "migrate $args --json: exit 2"
	is "$out" "" "migrate $args --json: nothing on stdout"
	is "$(wc -l <"$calls")" 0 "migrate $args --json: move_pages never called"
done

done_testing
