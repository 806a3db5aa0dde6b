#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdmd-instance.sh: one cdmd at a time. What cdmd drives is the machine's
# (DAMON's kdamonds, its tracefs instance, the list of kdamonds it owns,
# the cgroups it isolates), whatever socket it answers on. A cdmd waits
# for its targets with its kdamonds off; a second one started then took
# them as left over, set the trace instance up anew, failed on the control
# socket, and on its way out gave the kdamonds back (nr_kdamonds 0),
# deleted the owners list and turned the trace event off: the first cdmd
# ran on and tracked nothing. With its own sockets the second ran beside
# the first. Checks, with cdmd A waiting for comm hotcold:
#   - a second cdmd, same sockets, exits 1 within 20 s, naming A's pid
#     and the pid file; so does one with sockets of its own;
#   - A's kdamonds, owners list and trace event are as they were;
#   - A still works: hotcold's hot set, started on node 1 while A is
#     paused, stays there for 2 s (nothing else moves it: NUMA balancing
#     is off), and reaches node 0 once A resumes (>= 90% within 60 s),
#     every page's content intact;
#   - the pid file holds A's pid while it runs and is gone once A has
#     stopped (SIGTERM, exit 0); a cdmd started after it runs.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/hotcold.sh"
cdmd=$CDM_TOP/build/bin/cdmd
conf=/tmp/cdmd-instance.conf
out=/tmp/hotcold.out
pidfile=/run/cdmd/cdmd.pid
damon=/sys/kernel/mm/damon/admin/kdamonds
event=/sys/kernel/tracing/instances/cdmd/events/damon/damon_aggregated/enable
hot_mib=8 cold_mib=8
hot_pages=$((hot_mib * 256))

cat >$conf <<EOC
[cdmd]
interval_ms = 200
tracker = damon

[target hc]
match = comm:hotcold
policy = tiering
fast_nodes = 0
slow_nodes = 1
promote_accesses = 1
demote_accesses = 0
min_residency_s = 2
EOC

# wait up to 10 s for a cdmd to answer on socket $1
answers() {
	_i=0
	while [ $_i -lt 100 ]; do
		cdmctl status --socket "$1" >/dev/null 2>&1 && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}
# the machine's state cdmd A set up: kdamond directories, owners list,
# trace event
state() {
	echo "nr_kdamonds $(cat $damon/nr_kdamonds 2>&1)" \
	     "owners $(cat /run/cdmd/kdamonds 2>/dev/null | wc -l)" \
	     "event $(cat $event 2>&1)"
}
# a second cdmd with ARGS, its output in OUT: its exit status, or
# "running" when it still runs after 20 s (then stopped)
second() {	# OUT ARGS...
	_out=$1
	shift
	"$cdmd" "$@" >$_out 2>&1 &
	_p=$!
	_i=0
	while kill -0 $_p 2>/dev/null && [ $_i -lt 200 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if kill -0 $_p 2>/dev/null; then
		kill -TERM $_p
		wait $_p
		echo running
	else
		wait $_p
		echo $?
	fi
}

# NUMA balancing would move the hot set to node 0 by itself
echo 0 >/proc/sys/kernel/numa_balancing 2>/dev/null

"$cdmd" -c $conf 2>/tmp/cdmd-a.log &
a=$!
check "cdmd A answers on the control socket" answers /run/cdmd/cdmd.sock
before=$(state)
diag "with A running: $before"

# ---- a second cdmd ----
is "$(second /tmp/cdmd-b.out -c $conf)" 1 "a second cdmd with the same sockets exits 1"
has "  ... naming the running cdmd's pid" "$(cat /tmp/cdmd-b.out)" "pid $a"
has "  ... and the pid file" "$(cat /tmp/cdmd-b.out)" "$pidfile"
is "$(second /tmp/cdmd-c.out -c $conf --socket /tmp/c.sock --hint-socket /tmp/c-hints.sock)" 1 \
	"a second cdmd with sockets of its own exits 1"
has "  ... naming the running cdmd's pid" "$(cat /tmp/cdmd-c.out)" "pid $a"
is "$(state)" "$before" "A's kdamonds, owners list and trace event are as they were"
check "A still answers" cdmctl status

# ---- A still works ----
check "A pauses" cdmctl pause
hotcold_start $hot_mib $cold_mib 1 0
is "$(pages "$(report)" hot 1)" $hot_pages "hotcold's hot set starts on node 1"
sleep 2
is "$(pages "$(report)" hot 1)" $hot_pages "  ... and stays there for 2 s while A is paused"
check "A resumes" cdmctl resume
start=$(date +%s) hot0=0
while [ $(($(date +%s) - start)) -lt 60 ]; do
	r=$(report)
	hot0=$(pages "$r" hot 0)
	[ $((hot0 * 100)) -ge $((hot_pages * 95)) ] && break
	sleep 1
done
cmp_ok $((hot0 * 100)) -ge $((hot_pages * 90)) \
	"A brings the hot set to node 0: $hot0 of $hot_pages pages after $(($(date +%s) - start)) s"
r=$(report HUP)
is "$(echo "$r" | sed -n 's/^content //p')" ok "every page's content intact"
kill $hc 2>/dev/null
wait $hc 2>/dev/null

# ---- the pid file ----
is "$(cat $pidfile 2>&1)" "$a" "the pid file holds A's pid"
kill -TERM $a
wait $a
is "$?" 0 "A stops on SIGTERM with exit 0"
check "the pid file is gone once A has stopped" test ! -e $pidfile
"$cdmd" -c $conf 2>/tmp/cdmd-d.log &
d=$!
check "a cdmd started after A answers" answers /run/cdmd/cdmd.sock
is "$(cat $pidfile 2>&1)" "$d" "  ... and holds the pid file"
kill -TERM $d
wait $d
is "$?" 0 "  ... and stops with exit 0"
if grep -qi 'error' /tmp/cdmd-a.log; then
	fail "A logged no error" "$(grep -i error /tmp/cdmd-a.log | head -n 5)"
else
	pass "A logged no error"
fi
done_testing
