#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdmd-tracker.sh: cdmd's access tracker (daemon/tracker.c) on the
# project's kernel, through tests/vm/cdmd/track:
#   - with DAMON (its regions from the damon_aggregated trace event, and
#     from sysfs without tracefs) and with idle page tracking, a process
#     that keeps 8 of its 64 MiB hot is seen so: the hot range covered,
#     hot by bytes on average, the rest cold; regions in order, aligned, apart; a process
#     that exits or is not watched is -ENOENT; more processes than
#     kdamonds at first; DAMON's kdamonds and trace instance all gone
#     after close;
#   - DAMON in use by someone else (a kdamond turned on here by hand):
#     open(damon) is -EBUSY and says why, auto takes idle pages, and the
#     other kdamond is left running.
. "$CDM_TOP/tests/lib/tap.sh"
track=$CDM_TOP/build/tests/vm/cdmd/track
kd=/sys/kernel/mm/damon/admin/kdamonds

for backend in damon damon-sysfs idle; do
	start=$(date +%s)
	case $backend in
	damon-sysfs) CDMD_TRACEFS=/nonexistent "$track" damon ;;	# no tracefs
	*) "$track" $backend ;;
	esac
	is "$?" 0 "track $backend: exit 0"
	diag "track $backend took $(($(date +%s) - start)) s"
done

# someone else's kdamond, on a process of its own
sleep 600 &
other=$!
echo 1 >$kd/nr_kdamonds &&
	echo 1 >$kd/0/contexts/nr_contexts &&
	echo vaddr >$kd/0/contexts/0/operations &&
	echo 1 >$kd/0/contexts/0/targets/nr_targets &&
	echo $other >$kd/0/contexts/0/targets/0/pid_target &&
	echo on >$kd/0/state
is "$(cat $kd/0/state)" on "someone else's kdamond runs (on pid $other)"
"$track" busy
is "$?" 0 "track busy: exit 0"
is "$(cat $kd/nr_kdamonds):$(cat $kd/0/state)" 1:on "  ... that kdamond is left running"
echo off >$kd/0/state
echo 0 >$kd/nr_kdamonds
kill $other
wait $other 2>/dev/null
done_testing
