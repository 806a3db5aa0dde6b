#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdmctl status, targets, top, explain, reload, pause and resume against
# a stand-in for cdmd's control socket (tests/host/cdmctl/fakecdmd.c):
# it answers each request with the reply the test wrote for its command
# and logs what cdmctl sent. Checked: the text and JSON output of every
# command for replies as cdmd's requests.c builds them (exit 0), the
# request each sends (command, count, target); cdmd's errors (exit 1,
# its message; with --json the error object); no daemon, a socket
# nobody listens at, one cdmctl may not open, a daemon that never
# answers (the time limit of CDMCTL_TIMEOUT_MS), that closes, or that
# answers no reply (exit 1); hostile arguments, options a command does
# not take, bad CDMCTL_SOCKET and CDMCTL_TIMEOUT_MS (exit 2, nothing
# sent: the log stays empty). Runs on the
# host without root or cdmd, in a few seconds. (cdmd end to end: the VM
# tests.)
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/json.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cdmctl=$top/build/bin/cdmctl
fakecdmd=$top/build/tests/host/cdmctl/fakecdmd
[ -x "$cdmctl" ] || bail_out "$cdmctl not built (make all)"
[ -x "$fakecdmd" ] || bail_out "$fakecdmd not built (make all)"

dir=$(mktemp -d)
sock=$dir/cdmd.sock
server=$("$fakecdmd" "$sock" "$dir") || bail_out "fakecdmd did not start"
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
# explain prints local times
export TZ=UTC
unset CDMCTL_TIMEOUT_MS CDMCTL_SOCKET

# run ARGS...: cdmctl, with an empty log; sets out, err, rc, sent (the
# requests the server got, a line each)
run() {
	: >"$dir/log"
	out=$("$cdmctl" "$@" 2>"$dir/err") && rc=0 || rc=$?
	err=$(cat "$dir/err")
	sent=$(cat "$dir/log")
}
# ask CMD ARGS...: run CMD at the fake daemon's socket
ask() {
	local cmd=$1

	shift
	run "$cmd" --socket "$sock" "$@"
}
# reply CMD DATA: the server answers CMD with "ok" and the object DATA;
# reply_raw CMD TEXT: with TEXT as the frame's body (or silent, close)
reply() { printf '{"version": 1, "result": "ok", "data": %s}\n' "$2" >"$dir/$1"; }
reply_raw() { printf '%s\n' "$2" >"$dir/$1"; }
# ok DESC: exit 0, nothing on stderr
ok() {
	is "$rc" 0 "$1: exit 0"
	is "$err" "" "$1: nothing on stderr"
}

# ---- status ----
reply status '{"cdmd": "1.0.0", "libcdm": "1.0.0", "config": "/etc/cdm/cdmd.conf",
	"tracker": "damon", "processes_found_by": "events", "interval_ms": 1000, "uptime_s": 93784,
	"rounds": 93780, "last_round_ms": 12, "longest_round_ms": 2104, "target_scans": 14,
	"isolation": true, "paused": false, "targets": 2,
	"processes": 3, "promoted_bytes": 1610612736, "demoted_bytes": 268435456,
	"bound_bytes": 4294967296, "nodes": [
		{"node": 0, "free_bytes": 12884901888, "total_bytes": 17179869184},
		{"node": 2, "free_bytes": 3221225472, "total_bytes": 8589934592}]}'
ask status
ok "status"
is "$sent" '{"version":1,"command":"status"}' "status: sends the status request"
is "$out" "cdmd:         1.0.0 (libcdm 1.0.0)
config:       /etc/cdm/cdmd.conf
tracker:      damon
interval:     1000 ms
uptime:       1d 02h 03m 04s
rounds:       93780, the last took 12 ms, the longest 2104 ms
isolation:    yes
paused:       no
targets:      2, with 3 processes
target scans: 14, on process events
moved:        promoted 1.50 GiB, demoted 256.00 MiB, bound 4.00 GiB
node 0:       12.00 GiB free of 16.00 GiB
node 2:       3.00 GiB free of 8.00 GiB" "status: the summary"
ask status --json
ok "status --json"
is "$(json 'join " ", map { $_ // "-" } @$j{qw(result cdmd config tracker uptime_s)}')" \
	"ok 1.0.0 /etc/cdm/cdmd.conf damon 93784" "status --json: result ok, the daemon's values"
is "$(json 'join " ", $j->{isolation} ? "true" : "false", $j->{nodes}[1]{node},
	$j->{nodes}[1]{free_bytes}, $j->{nodes}[1]{total_bytes}')" "true 2 3221225472 8589934592" \
	"status --json: booleans, nodes with bytes"
is "$(json 'scalar keys %$j')" 20 "status --json: the daemon's 19 keys and result"
reply status '{}'
ask status
is "$rc" 0 "status, a reply without the keys: exit 0"
is "$(sed -n '1p;3p;9,10p' <<<"$out")" "cdmd:         - (libcdm -)
tracker:      -
targets:      0, with 0 processes
target scans: 0, -" "status, a reply without the keys: '-' and 0"
reply status '{"processes_found_by": "walk", "target_scans": 93780}'
ask status
is "$(sed -n 10p <<<"$out")" "target scans: 93780, every round" \
	"status: targets scanned every round, without process events"
# a newer cdmd's keys: left out of the text, in the JSON
reply status '{"cdmd": "1.1.0", "frobs": 3}'
ask status --json
is "$(json '$j->{cdmd} . " " . $j->{frobs}')" "1.1.0 3" "status --json: keys cdmctl does not know pass"

# ---- targets ----
reply targets '{"targets": [
	{"name": "db", "policy": "tiering", "match": "comm:postgres", "fast_nodes": "0",
	 "slow_nodes": "2", "paused": false, "processes": [1234, 1240], "regions": 48,
	 "promoted_bytes": 1610612736, "demoted_bytes": 268435456, "bound_bytes": 0,
	 "batches": 120, "failed_batches": 2, "held": {
		"min_residency": {"times": 14, "bytes": 58720256},
		"pingpong": {"times": 0, "bytes": 0},
		"rate": {"times": 3, "bytes": 12582912},
		"watermark": {"times": 0, "bytes": 0},
		"full": {"times": 0, "bytes": 0}}},
	{"name": "batch", "policy": "bind", "match": "cgroup:/sys/fs/cgroup/batch.slice", "nodes": "2-3",
	 "paused": true, "processes": [], "regions": 0, "promoted_bytes": 0,
	 "demoted_bytes": 0, "bound_bytes": 4294967296, "batches": 8, "failed_batches": 0,
	 "held": {"min_residency": {"times": 0, "bytes": 0}, "pingpong": {"times": 0, "bytes": 0},
		"rate": {"times": 0, "bytes": 0}, "watermark": {"times": 0, "bytes": 0},
		"full": {"times": 0, "bytes": 0}}}]}'
ask targets
ok "targets"
is "$sent" '{"version":1,"command":"targets"}' "targets: sends the targets request"
is "$out" "target db
  policy:     tiering
  match:      comm:postgres
  nodes:      fast 0, slow 2
  paused:     no
  processes:  1234 1240
  regions:    48
  moved:      promoted 1.50 GiB, demoted 256.00 MiB
  batches:    120, 2 failed
  held back:  min_residency 14 times (56.00 MiB), rate 3 times (12.00 MiB)

target batch
  policy:     bind
  match:      cgroup:/sys/fs/cgroup/batch.slice
  nodes:      2-3
  paused:     yes
  processes:  none
  regions:    0
  moved:      bound 4.00 GiB
  batches:    8, 0 failed
  held back:  none" "targets: a block per target, held-back reasons that count"
ask targets --json
ok "targets --json"
is "$(json 'join " ", $j->{result}, map { $_->{name} } @{$j->{targets}}')" "ok db batch" \
	"targets --json: result ok, the targets in order"
is "$(json 'join " ", map { "$_=$j->{targets}[0]{held}{$_}{times}" } sort keys %{$j->{targets}[0]{held}}')" \
	"full=0 min_residency=14 pingpong=0 rate=3 watermark=0" "targets --json: every held-back reason"
is "$(json 'join " ", @{$j->{targets}[0]{processes}}, $j->{targets}[1]{nodes}')" "1234 1240 2-3" \
	"targets --json: processes, nodes"
reply targets '{"targets": []}'
ask targets
ok "targets, none"
is "$out" "no targets (cdmd.conf has no [target NAME])" "targets, none: says so"

# ---- top ----
reply top '{"regions": [
	{"target": "db", "pid": 1234, "start": "0x7f3a00000000", "end": "0x7f3a40000000",
	 "bytes": 1073741824, "accesses": 18, "samples": 20, "age": 3,
	 "present_bytes": 1073741824, "fast_bytes": 858993459, "slow_bytes": 214748365},
	{"target": "batch", "pid": 2345, "start": "0x55d000000000", "end": "0x55d004000000",
	 "bytes": 67108864, "accesses": 5, "samples": 20, "age": 12,
	 "present_bytes": 67108864, "on_nodes_bytes": 67108864},
	{"target": "db", "pid": 1240, "start": "0x7f3b00000000", "end": "0x7f3b00200000",
	 "bytes": 2097152, "accesses": 0, "samples": 20, "age": 40,
	 "present_bytes": 0, "fast_bytes": 0, "slow_bytes": 0}]}'
ask top
ok "top"
is "$sent" '{"version":1,"command":"top"}' "top: no count sent, the daemon's default"
is "$out" "TARGET           PID RANGE                               SIZE ACCESSES   AGE  WHERE
db              1234 0x7f3a00000000-0x7f3a40000000   1.00 GiB    18/20     3  fast 80% slow 20%
batch           2345 0x55d000000000-0x55d004000000  64.00 MiB     5/20    12  on nodes 100%
db              1240 0x7f3b00000000-0x7f3b00200000   2.00 MiB     0/20    40  not present" \
	"top: the table, tiering and bind placement"
ask top --count 5 --target db
is "$rc" 0 "top --count 5 --target db: exit 0"
is "$sent" '{"version":1,"command":"top","count":5,"target":"db"}' \
	"top --count 5 --target db: both sent"
ask top -c 1000 -t "$(printf 'A%.0s' {1..31})_"
is "$sent" "{\"version\":1,\"command\":\"top\",\"count\":1000,\"target\":\"$(printf 'A%.0s' {1..31})_\"}" \
	"top -c 1000 -t (32 bytes): the largest count and longest name sent"
ask top --count=1 --json
ok "top --count=1 --json"
is "$sent" '{"version":1,"command":"top","count":1}' "top --count=1: sent"
is "$(json 'join " ", $j->{result}, $j->{regions}[0]{start}, $j->{regions}[0]{fast_bytes},
	$j->{regions}[1]{on_nodes_bytes}')" "ok 0x7f3a00000000 858993459 67108864" \
	"top --json: result ok, regions with the daemon's keys"
reply top '{"regions": []}'
ask top
is "$out" "no regions (no process of a target, or no round yet)" "top, none: says so"

# ---- explain ----
reply explain '{"decisions": [
	{"time": 1767229296, "target": "db", "pid": 1234, "action": "promote",
	 "start": "0x7f3a00000000", "end": "0x7f3a04000000", "estimated_bytes": 67108864,
	 "accesses": 18, "samples": 20, "age": 3, "hint": "hot", "to_node": 0,
	 "moved_pages": 16384, "already_pages": 0, "not_moved_pages": 0, "result": "ok",
	 "copied": {"engine_folios": 32, "cpu_folios": 1, "fallback_folios": 0, "declined_folios": 0}},
	{"time": 1767229291, "target": "batch", "pid": 2345, "action": "bind",
	 "start": "0x55d000000000", "end": "0x55d004000000", "estimated_bytes": 67108864,
	 "accesses": 0, "samples": 20, "age": 40, "to_node": 2, "moved_pages": 12,
	 "already_pages": 4, "not_moved_pages": 16368, "shared_pages": 3, "result": "error", "errno": 12,
	 "error": "node 2: out of memory",
	 "copied": {"engine_folios": 0, "cpu_folios": 0, "fallback_folios": 0, "declined_folios": 0}}]}'
ask explain --target db --count 2
ok "explain"
is "$sent" '{"version":1,"command":"explain","count":2,"target":"db"}' \
	"explain --target db --count 2: sent"
is "$out" "01:01:36 db pid 1234: promote 0x7f3a00000000-0x7f3a04000000 (64.00 MiB, accesses 18/20, age 3, hinted hot) to node 0: 16384 pages moved, 0 there already, 0 not moved, folios copied by an engine 32, by the CPU 1 (handed back 0, declined 0)
01:01:31 batch pid 2345: bind 0x55d000000000-0x55d004000000 (64.00 MiB, accesses 0/20, age 40) to node 2: 12 pages moved, 4 there already, 16368 not moved, 3 shared with other processes; error: node 2: out of memory (errno 12)" \
	"explain: a line per decision, latest first, the error and copy counters"
TZ=Asia/Kolkata ask explain
is "${out:0:8}" "06:31:36" "explain: the time is local (TZ)"
ask explain --json
ok "explain --json"
is "$(json 'join " ", $j->{result}, $j->{decisions}[0]{time}, $j->{decisions}[0]{hint},
	$j->{decisions}[1]{result}, $j->{decisions}[1]{errno}, $j->{decisions}[0]{copied}{engine_folios}')" \
	"ok 1767229296 hot error 12 32" "explain --json: decisions with the daemon's keys"
reply explain '{"decisions": []}'
ask explain
is "$out" "no moves yet" "explain, none: says so"

# ---- reload, pause, resume ----
reply reload '{"config": "/etc/cdm/cdmd.conf", "targets": 2}'
ask reload
ok "reload"
is "$sent" '{"version":1,"command":"reload"}' "reload: sent"
is "$out" "reloaded /etc/cdm/cdmd.conf: 2 targets" "reload: one line"
ask reload --json
is "$(json 'join " ", @$j{qw(result config targets)}')" "ok /etc/cdm/cdmd.conf 2" \
	"reload --json: result, config, targets"
reply_raw reload '{"version": 1, "result": "error", "errno": 22, "error": "not reloaded, the configuration before stays: /etc/cdm/cdmd.conf:12: unknown key fast_node"}'
ask reload
is "$rc" 1 "reload refused by cdmd: exit 1"
is "$out" "" "reload refused: nothing on stdout"
is "$err" "cdmctl reload: not reloaded, the configuration before stays: /etc/cdm/cdmd.conf:12: unknown key fast_node" \
	"reload refused: cdmd's message, naming file and line"
ask reload --json
is "$rc" 1 "reload --json refused: exit 1"
is "$(json 'join " ", $j->{result}, $j->{error}{errno}, $j->{error}{message}')" \
	"error 22 not reloaded, the configuration before stays: /etc/cdm/cdmd.conf:12: unknown key fast_node" \
	"reload --json refused: the error object"

reply pause '{"paused": ["db", "batch"]}'
ask pause --target db
ok "pause --target db"
is "$sent" '{"version":1,"command":"pause","target":"db"}' "pause --target db: sent"
is "$out" "paused: db batch" "pause: the targets paused now"
ask pause --json
is "$sent" '{"version":1,"command":"pause"}' "pause: no target sent, every target"
is "$(json 'join " ", $j->{result}, @{$j->{paused}}')" "ok db batch" "pause --json: paused"
reply resume '{"paused": ["batch"]}'
ask resume -t db
ok "resume -t db"
is "$sent" '{"version":1,"command":"resume","target":"db"}' "resume -t db: sent"
is "$out" "resumed db; paused: batch" "resume -t db: what stays paused"
reply resume '{"paused": []}'
ask resume
is "$out" "resumed every target; paused: none" "resume: every target"
ask resume --json
is "$(json '$j->{result} . " " . scalar @{$j->{paused}}')" "ok 0" "resume --json: paused []"

# ---- cdmd's errors ----
reply_raw top '{"version": 1, "result": "error", "errno": 2, "error": "no target nosuch in /etc/cdm/cdmd.conf"}'
ask top --target nosuch
is "$rc" 1 "top --target nosuch: exit 1"
is "$err" "cdmctl top: no target nosuch in /etc/cdm/cdmd.conf" "top --target nosuch: cdmd's message"
ask top --target nosuch --json
is "$(json 'join " ", $j->{result}, $j->{error}{errno}, scalar keys %$j')" "error 2 2" \
	"top --json, cdmd's error: result error, errno, nothing else"
rm "$dir/targets"
ask targets
is "$rc" 1 "cdmd's error for targets: exit 1"
is "$err" "cdmctl targets: fakecdmd: no reply for targets" "cdmd's error for targets: its message"

# ---- daemons that answer no reply ----
reply_raw status 'no JSON here'
ask status
is "$rc" 1 "a reply that is not JSON: exit 1"
is "$err" "cdmctl status: reply from cdmd: not a JSON object" "a reply that is not JSON: says so"
reply_raw status '{"version": 2, "result": "ok", "data": {}}'
ask status --json
is "$rc" 1 "a reply of protocol version 2: exit 1"
is "$(json '$j->{result} . " " . $j->{error}{errno} . " " . $j->{error}{message}')" \
	"error 71 reply from cdmd: not version 1" "a reply of version 2: EPROTO in JSON"
reply_raw status close
ask status
is "$rc" 1 "a daemon that closes: exit 1"
is "$err" "cdmctl status: cdmd closed the connection without answering" "a daemon that closes: says so"
is "$sent" '{"version":1,"command":"status"}' "a daemon that closes: it got the request"
reply_raw status silent
start=$(date +%s%N)
CDMCTL_TIMEOUT_MS=300 ask status
ms=$((($(date +%s%N) - start) / 1000000))
is "$rc" 1 "a daemon that never answers: exit 1"
is "$err" "cdmctl status: cdmd did not answer in 300 ms" "a daemon that never answers: says so"
cmp_ok "$ms" -ge 300 "a daemon that never answers: cdmctl waited CDMCTL_TIMEOUT_MS ($ms ms)"
cmp_ok "$ms" -lt 3000 "a daemon that never answers: and not much longer"

# ---- no daemon ----
run status --socket "$dir/nothing"
is "$rc" 1 "no socket: exit 1"
is "$err" "cdmctl status: cdmd is not running (no socket at $dir/nothing)" "no socket: says so"
run status --socket "$dir/nothing" --json
is "$(json '$j->{result} . " " . $j->{error}{errno}')" "error 2" "no socket, --json: ENOENT"
if [ -e /run/cdmd/cdmd.sock ]; then
	skip "the default socket is /run/cdmd/cdmd.sock" "a cdmd runs here"
else
	run status
	is "$err" "cdmctl status: cdmd is not running (no socket at /run/cdmd/cdmd.sock)" \
		"the default socket is /run/cdmd/cdmd.sock"
fi
if [ "$(id -u)" = 0 ]; then
	skip "a socket cdmctl may not open: exit 1, says so" "root opens any socket"
else
	chmod 0 "$sock"
	ask status
	chmod 0755 "$sock"
	is "$rc/$err" "1/cdmctl status: $sock: permission denied (root or the socket group)" \
		"a socket cdmctl may not open: exit 1, says so"
fi
kill "$server"
wait_for=50
while kill -0 "$server" 2>/dev/null && [ $((wait_for -= 1)) -gt 0 ]; do
	sleep 0.1
done
ask status
is "$rc" 1 "a socket nobody listens at: exit 1"
is "$err" "cdmctl status: cdmd is not running (nobody listens at $sock)" \
	"a socket nobody listens at: says so"
rm -f "$sock"
server=$("$fakecdmd" "$sock" "$dir") || bail_out "fakecdmd did not start again"
reply status '{"cdmd": "1.0.0"}'

# ---- bad command lines: exit 2, the option named, nothing sent ----
long=$(printf 'a%.0s' {1..33})
longpath=/tmp/$(printf 's%.0s' {1..120})
# args | stderr substring
while IFS='|' read -r args msg; do
	[ -n "$args" ] || continue
	eval "set -- $args"
	cmd=$1
	shift
	ask "$cmd" "$@"
	is "$rc" 2 "$args: exit 2"
	has "$args: says '$msg'" "$err" "cdmctl $cmd: $msg"
	is "$out$sent" "" "$args: nothing printed, nothing sent"
done <<TABLE
top --count 0|--count '0': not 1-1000
top --count 1001|--count '1001': not 1-1000
top --count -1|--count '-1': not 1-1000
top --count 1x|--count '1x': not 1-1000
top --count 99999999999999999999|--count '99999999999999999999': not 1-1000
top --count ''|--count '': not 1-1000
top --count ' 5'|--count ' 5': not 1-1000
top --count \$'\\t5'|--count '	5': not 1-1000
top --count 0x10|--count '0x10': not 1-1000
top --count +5|--count '+5': not 1-1000
explain --count 0|--count '0': not 1-1000
explain -c 1001|--count '1001': not 1-1000
top --target a/b|--target 'a/b': not a target name (1-32 of A-Z a-z 0-9 _ -)
top --target $long|--target '$long': not a target name
top --target ''|--target '': not a target name
top --target 'a b'|--target 'a b': not a target name
explain --target 'db;ls'|--target 'db;ls': not a target name
pause --target ../db|--target '../db': not a target name
pause --target \$'d\\xc3\\xa9'|--target 'dé': not a target name
resume -t ''|--target '': not a target name
resume --target $long|--target '$long': not a target name
top --count|option '--count' needs a value
pause --target|option '--target' needs a value
status --socket|option '--socket' needs a value
status --socket ''|--socket '': not a socket path (1-107 bytes)
status --socket $longpath|--socket '$longpath': not a socket path
status --count 5|unknown option '--count'
status --target db|unknown option '--target'
targets -t db|unknown option '-t'
reload --target db|unknown option '--target'
pause --count 3|unknown option '--count'
resume -c 3|unknown option '-c'
top --bogus|unknown option '--bogus'
explain -x|unknown option '-x'
status extra|unexpected argument 'extra'
pause db|unexpected argument 'db'
TABLE
for bad in 0 -5 abc 3600001; do
	CDMCTL_TIMEOUT_MS=$bad ask status
	is "$rc/$out$sent" 2/ "CDMCTL_TIMEOUT_MS=$bad: exit 2, nothing sent"
	has "CDMCTL_TIMEOUT_MS=$bad: says so" "$err" \
		"cdmctl status: CDMCTL_TIMEOUT_MS '$bad': not 1-3600000 (milliseconds)"
done
CDMCTL_TIMEOUT_MS=3600000 ask status
is "$rc/$sent" '0/{"version":1,"command":"status"}' "CDMCTL_TIMEOUT_MS=3600000: taken"
for bad in "" "$longpath"; do
	CDMCTL_SOCKET=$bad run status
	is "$rc/$out$sent" 2/ "CDMCTL_SOCKET='${bad:0:20}': exit 2, nothing sent"
	has "CDMCTL_SOCKET='${bad:0:20}': says so" "$err" \
		"cdmctl status: CDMCTL_SOCKET '$bad': not a socket path (1-107 bytes)"
done
CDMCTL_SOCKET=$sock run status
is "$rc/$sent" '0/{"version":1,"command":"status"}' "CDMCTL_SOCKET: the socket asked"
CDMCTL_SOCKET="" ask status
is "$rc/$sent" '0/{"version":1,"command":"status"}' "--socket: before CDMCTL_SOCKET, even a bad one"

# ---- help ----
for cmd in status targets top explain reload pause resume; do
	run help "$cmd"
	help=$out
	run "$cmd" --help
	is "$rc/$sent" 0/ "$cmd --help: exit 0, nothing sent"
	is "$out" "$help" "$cmd --help: what 'cdmctl help $cmd' prints"
	has "$cmd --help: names the default socket" "$out" "else
                       /run/cdmd/cdmd.sock)"
done

done_testing
