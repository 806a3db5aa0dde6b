#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdmd's command line, on a fake machine (CDM_SYSFS_ROOT: node 0 with
# CPUs, node 1 without): --help and cdmd(8) name the same options,
# --version, usage errors (exit 2), and --check, which reads a
# configuration and reports every problem as FILE:LINE (exit 1) or none
# (exit 0) without starting anything. The pid file (CDMD_PID_FILE): a
# cdmd that cannot lock it, or finds it locked by another, exits 1 before
# it touches anything, saying why.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/fakesys.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cdmd=$top/build/bin/cdmd
man=$top/daemon/cdmd.8
[ -x "$cdmd" ] || bail_out "$cdmd not built (make all)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fakesys_init "$tmp/sys" 0-1 0
fakesys_node 0 0-1 1024 "10 20"
fakesys_node 1 "" 1024 "20 10"
export CDM_SYSFS_ROOT=$tmp/sys

help=$("$cdmd" --help)
is "$?" 0 "cdmd --help: exit 0"
# the long options of --help and of the man page's OPTIONS section
help_opts=$(echo "$help" | grep -o -- '--[a-z][a-z-]*' | sort -u)
man_opts=$(sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$man" | sed 's/\\-/-/g' |
	grep -o -- '--[a-z][a-z-]*' | sort -u)
is "$man_opts" "$help_opts" "cdmd(8) OPTIONS names the options of --help"
for opt in $help_opts; do
	short=$(echo "$help" | sed -n "s/^  \(-[a-zA-Z]\), $opt\b.*/\1/p")
	if sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$man" | sed 's/\\-/-/g' |
	   grep -q -- "^\.BR $short \", \" $opt"; then
		pass "cdmd(8): $short, $opt as --help has it"
	else
		fail "cdmd(8): $short, $opt as --help has it"
	fi
done

out=$("$cdmd" --version)
if [[ $out =~ ^cdmd\ [0-9]+\.[0-9]+\.[0-9]+\ \(libcdm\ [0-9]+\.[0-9]+\.[0-9]+\)$ ]]; then
	pass "cdmd --version: '$out'"
else
	fail "cdmd --version: cdmd X.Y.Z (libcdm X.Y.Z)" "got: $out"
fi

usage() {	# usage DESC ARGS...: exit 2, a message and the usage on stderr
	local desc=$1 err
	shift
	err=$("$cdmd" "$@" 2>&1 >/dev/null)
	is "$?" 2 "$desc: exit 2"
	case "$err" in
	*"usage: cdmd"*) pass "  ... and the usage on stderr" ;;
	*) fail "  ... and the usage on stderr" "got: $err" ;;
	esac
}
usage "an unknown option" --frobnicate
usage "an argument" stray
usage "--config without a file" --config
usage "-s without a path" -s

cat > "$tmp/good.conf" <<CONF
[cdmd]
interval_ms = 500

[target db]
match = comm:postgres
policy = tiering
slow_nodes = 1
CONF
out=$("$cdmd" --check -c "$tmp/good.conf" 2>&1)
is "$?:$out" "0:$tmp/good.conf: 1 targets, no problems" "--check: a good configuration, exit 0"

cat > "$tmp/bad.conf" <<CONF
[cdmd]
interval_ms = 5

[target db]
match = comm:postgres
policy = tiering
slow_nodes = 7
bogus = 1
CONF
out=$("$cdmd" --check -c "$tmp/bad.conf" 2>&1)
is "$?" 1 "--check: a configuration with problems, exit 1"
for want in "$tmp/bad.conf:2: " "$tmp/bad.conf:7: " "$tmp/bad.conf:8: "; do
	case "$out" in
	*"$want"*) pass "  ... names ${want%: }" ;;
	*) fail "  ... names ${want%: }" "got: $out" ;;
	esac
done
out=$("$cdmd" --check -c "$tmp/none.conf" 2>&1)
is "$?" 1 "--check: no such file, exit 1"
case "$out" in
*"$tmp/none.conf: No such file or directory"*) pass "  ... naming the file" ;;
*) fail "  ... naming the file" "got: $out" ;;
esac

# ---- the pid file: only the ways a start ends there (a cdmd that got
# the lock would go on to the host's DAMON) ----
mkdir "$tmp/dir.pid"
out=$(CDMD_PID_FILE=$tmp/dir.pid "$cdmd" -c "$tmp/good.conf" 2>&1)
is "$?" 1 "pid file a directory: exit 1"
has "  ... naming it and why" "$out" "pid file $tmp/dir.pid: Is a directory"
ln -s "$tmp/elsewhere" "$tmp/link.pid"
out=$(CDMD_PID_FILE=$tmp/link.pid "$cdmd" -c "$tmp/good.conf" 2>&1)
is "$?" 1 "pid file a symbolic link: exit 1 (not followed)"
has "  ... naming it" "$out" "pid file $tmp/link.pid: "
check "  ... and nothing made where it points" test ! -e "$tmp/elsewhere"
out=$(CDMD_PID_FILE=$tmp/sub/dir/cdmd.pid "$cdmd" -c "$tmp/good.conf" 2>&1)
is "$?" 1 "pid file in a directory that cannot be made: exit 1"
has "  ... naming the directory" "$out" "making $tmp/sub/dir: No such file or directory"
echo 4242 >"$tmp/held.pid"
flock "$tmp/held.pid" sleep 30 >/dev/null 2>&1 &
holder=$!
i=0
until ! flock -n "$tmp/held.pid" true || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
out=$(CDMD_PID_FILE=$tmp/held.pid "$cdmd" -c "$tmp/good.conf" 2>&1)
is "$?" 1 "pid file locked by another: exit 1"
has "  ... naming the other's pid and the file" "$out" "another cdmd is running (pid 4242, $tmp/held.pid)"
is "$(cat "$tmp/held.pid")" 4242 "  ... and the file is as it was"
pkill -P $holder sleep 2>/dev/null	# flock(1)'s child holds the lock
wait $holder 2>/dev/null
done_testing
