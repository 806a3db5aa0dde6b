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
# json EXPR: perl expression over $j (the decoded output); prints its value
json() {
	perl -MJSON::PP -e 'my $j = eval { decode_json(join "", <STDIN>) };
		print defined $j ? eval($ARGV[0]) // "<undef>" : "<not JSON>"' "$1" <<<"$out"
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
