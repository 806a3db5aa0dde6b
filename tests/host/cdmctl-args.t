#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdmctl's command line: every bad argument is exit 2 with a message that
# names it, --help (and "cdmctl help CMD") is exit 0 on stdout, --version
# names cdmctl's and libcdm's versions, operation failures are exit 1 with
# the library's message. Runs on the host without root.
. "$(dirname "$0")/../lib/tap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cdmctl=$top/build/bin/cdmctl
[ -x "$cdmctl" ] || { echo "Bail out! $cdmctl not built (make all)"; exit 1; }

# run ARGS...: sets out, err, rc
run() {
	out=$("$cdmctl" "$@" 2>/tmp/cdmctl-args.$$) && rc=0 || rc=$?
	err=$(cat /tmp/cdmctl-args.$$)
}
trap 'rm -f /tmp/cdmctl-args.$$' EXIT

# args | exit | stderr substring
while IFS='|' read -r args want msg; do
	[ -n "$args" ] || continue
	eval "set -- $args"
	run "$@"
	is "$rc" "$want" "cdmctl $args: exit $want"
	case "$err" in
	*"$msg"*) pass "cdmctl $args: says '$msg'" ;;
	*) fail "cdmctl $args: says '$msg'" "stderr: $err" ;;
	esac
done <<'TABLE'
|2|usage: cdmctl COMMAND
frobnicate|2|unknown command 'frobnicate'
nodes --bogus|2|unknown option '--bogus'
nodes extra|2|node list 'extra'
nodes 1 extra|2|unexpected argument 'extra'
help frobnicate|2|unknown command 'frobnicate'
help nodes extra|2|cdmctl help: unexpected argument 'extra'
residency|2|--pid is required
residency --pid|2|option '--pid' needs a value
residency --pid 0|2|--pid '0': not a process id
residency --pid -3|2|--pid '-3': not a process id
residency --pid 12x|2|--pid '12x': not a process id
residency --pid 99999999999|2|not a process id
residency --pid 1 --to 0|2|unknown option '--to'
residency --pid 1 --range 5|2|--range '5': not START-END
residency --pid 1 --range 0x1000-|2|not START-END
residency --pid 1 --range -0x1000|2|not START-END
residency --pid 1 --range 0x1000-0xzz|2|not START-END
residency --pid 1 --range "$(printf 'A%.0s' {1..300})-1"|2|not START-END
migrate --pid 1|2|--to is required
migrate --to 0|2|--pid is required
migrate --pid 1 --to x|2|--to 'x': not a node number
migrate --pid 1 --to -1|2|not a node number
migrate --pid 1 --to 1024|2|not a node number
migrate --pid 1 --to 0 --threads 0|2|--threads '0': not 1-64
migrate --pid 1 --to 0 --threads 65|2|not 1-64
migrate --pid 1 --to 0 --batch 0|2|--batch '0'
migrate --pid 1 --to 0 stray|2|unexpected argument 'stray'
migrate --pid 1 --to 0 --method|2|option '--method' needs a value
migrate --pid 1 --to 0 --method move|2|--method 'move': not auto, move_pages or migrate_pages
migrate --pid 1 --to 0 --from|2|option '--from' needs a value
migrate --pid 1 --to 0 --from 1000|2|--from: node list '1000'
migrate --pid 1 --to 0 --from 0-x|2|--from: node list '0-x'
migrate --pid 99999999 --to 0|1|pid 99999999: no such process
residency --pid 99999999|1|pid 99999999: no such process
migrate --pid $$ --to 1000|1|node 1000: not online
migrate --pid $$ --to 0 --range 0x2000-0x1000|1|range 0x2000-0x1000: empty
migrate --pid $$ --to 0 --range 0x1001-0x2000|1|range 0x1001-0x2000: not page aligned
residency --pid $$ --range 0x1000-0x2000|1|range 0x1000-0x2000: not mapped
TABLE

for cmd in nodes devices residency migrate online offline; do
	run $cmd --help
	is "$rc" 0 "cdmctl $cmd --help: exit 0"
	case "$out" in
	"usage: cdmctl $cmd"*) pass "cdmctl $cmd --help: usage on stdout" ;;
	*) fail "cdmctl $cmd --help: usage on stdout" "$out" ;;
	esac
	check "cdmctl-$cmd.1 exists and renders" sh -c \
		"man -l '$top/daemon/cdmctl/cdmctl-$cmd.1' 2>/dev/null | grep -q 'cdmctl $cmd' || \
		 grep -q '^.TH CDMCTL-' '$top/daemon/cdmctl/cdmctl-$cmd.1'"
done
run --help
is "$rc" 0 "cdmctl --help: exit 0"
usage=$out
run help
is "$rc:$out" "0:$usage" "cdmctl help: exit 0, the same text as cdmctl --help"

# cdmctl help CMD is cdmctl CMD --help
for cmd in nodes devices residency migrate online offline; do
	run $cmd --help
	want=$out
	run help $cmd
	is "$rc" 0 "cdmctl help $cmd: exit 0"
	is "$out" "$want" "cdmctl help $cmd: the text of cdmctl $cmd --help"
done

# --version: cdmctl's, then the library's as libcdm says it at run time
libcdm_version=$(sed -n 's/^LIBCDM_VERSION := *//p' "$top/lib/libcdm/Makefile.inc")
run --version
is "$rc" 0 "cdmctl --version: exit 0"
case "$out" in
"cdmctl "[0-9]*.[0-9]*.[0-9]*"
libcdm $libcdm_version") pass "cdmctl --version: cdmctl X.Y.Z, libcdm $libcdm_version" ;;
*) fail "cdmctl --version: cdmctl X.Y.Z, libcdm $libcdm_version" "$out" ;;
esac
check "libcdm.so exports cdm_get_version in LIBCDM_1" sh -c \
	"objdump -T '$top/build/lib/libcdm.so.1' | grep -Eq 'LIBCDM_1 +cdm_get_version\$'"

# residency and a same-node migrate of a live process of ours
sleep 30 & sleeper=$!
# counted once it has exec'd and sleeps: before, its memory may be the
# shell's or, in the middle of execve, not there yet (all absent)
for _ in $(seq 50); do
	[ "$(cat /proc/$sleeper/comm 2>/dev/null) $(cut -d' ' -f3 /proc/$sleeper/stat 2>/dev/null)" = "sleep S" ] && break
	sleep 0.1
done
run residency --pid $sleeper --json
is "$rc" 0 "residency --json of a live process: exit 0"
check "residency --json: valid JSON with pages >= present > 0" perl -MJSON::PP -e '
	my $j = decode_json(join "", <STDIN>);
	exit !($j->{pages} >= $j->{present} && $j->{present} > 0 && @{$j->{nodes}} >= 1)' <<<"$out"
check "residency --json: every page counted once (present + zero_page + swapped + not_present + errors = pages)" \
	perl -MJSON::PP -e '
	my $j = decode_json(join "", <STDIN>);
	my $on_nodes = 0; $on_nodes += $_->{pages} for @{$j->{nodes}};
	exit !($on_nodes == $j->{present} && $j->{present} + $j->{zero_page} + $j->{swapped} +
	       $j->{not_present} + $j->{errors} == $j->{pages})' <<<"$out"
run migrate --pid $sleeper --to 0 --json
is "$rc" 0 "migrate to the node the pages are on: exit 0"
check "migrate --json: nothing moved, all present pages already there" perl -MJSON::PP -e '
	my $j = decode_json(join "", <STDIN>);
	exit !($j->{result} eq "ok" && $j->{moved} == 0 && $j->{already} > 0 &&
	       $j->{already} + $j->{not_present} == $j->{pages})' <<<"$out"
is "$err" "" "migrate piped: no progress output"
if command -v script >/dev/null; then
	tty_out=$(script -qec "$cdmctl migrate --pid $sleeper --to 0" /dev/null)
	case "$tty_out" in
	*"migrating: 100%"*) pass "migrate on a terminal shows progress" ;;
	*) fail "migrate on a terminal shows progress" "$tty_out" ;;
	esac
	tty_out=$(script -qec "$cdmctl migrate --quiet --pid $sleeper --to 0" /dev/null)
	case "$tty_out" in
	*migrating:*) fail "migrate --quiet on a terminal: no progress" "$tty_out" ;;
	*) pass "migrate --quiet on a terminal: no progress" ;;
	esac
else
	skip "migrate progress on a terminal" "no script(1)"
fi
kill $sleeper
wait $sleeper 2>/dev/null

done_testing
