#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdmd-procs.sh: cdmd finds its targets' processes through the kernel's
# process events (daemon/procwatch.c), and walks /proc only when they
# call for it. A target matches comm "pwtarget". Checks:
#   - cdmd says so at start, and `cdmctl status` says "events";
#   - quiet: over 3 s of 100 ms rounds, the targets are scanned a few
#     times at most (this script's own sleep and cdmctl fork and exit),
#     while a walk every round would scan as often as it has rounds;
#   - a process that execs a binary called pwtarget and one that renames
#     itself pwtarget (/proc/PID/comm) are managed within a second; a
#     killed one is gone from the targets within a second;
#   - in a network namespace of its own, where the kernel sends no
#     process events, cdmd says so, status says "walk", and it scans
#     every round, finding the same processes.
. "$CDM_TOP/tests/lib/tap.sh"
cdmd=$CDM_TOP/build/bin/cdmd
conf=/tmp/cdmd-procs.conf
log=/tmp/cdmd-procs.log

json() { "$CDM_TOP/build/tests/vm/libcdm/jsonget" "$@"; }
status() { cdmctl status --json 2>/dev/null | json "$@"; }
# the pids cdmd manages, one per line, sorted
managed() {
	cdmctl targets --json 2>/dev/null | json targets.0.processes |
		tr -d '[] ' | tr , '\n' | grep . | sort -n
}
# wait up to 10 x 0.1 s for pid $1 to be managed (yes) or not (no)
wait_managed() {
	i=0
	while [ $i -lt 10 ]; do
		if managed | grep -qx "$1"; then
			[ "$2" = yes ] && return 0
		else
			[ "$2" = no ] && return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

cat >$conf <<EOC
[cdmd]
interval_ms = 100
metrics_port = 9478

[target pw]
match = comm:pwtarget
policy = bind
nodes = 0
EOC
cp "$CDM_TOP/build/tests/vm/hotcold" /tmp/pwtarget
ip link set lo up	# the metrics listen on loopback

run_cdmd() {	# [unshare -n]: cdmd, its log in $log
	"$@" "$cdmd" -c $conf --verbose 2>$log &
	cdmd_pid=$!
	i=0
	while [ $i -lt 50 ] && ! cdmctl status >/dev/null 2>&1; do
		sleep 0.1
		i=$((i + 1))
	done
}
stop_cdmd() {
	kill -TERM $cdmd_pid
	wait $cdmd_pid
}

# ---- with process events ----
run_cdmd
has "cdmd says it scans on process events" "$(cat $log)" "process events: the targets are scanned when"
is "$(status processes_found_by)" events "cdmctl status: processes found by events"

s0=$(status target_scans) r0=$(status rounds)
sleep 3
s1=$(status target_scans) r1=$(status rounds)
diag "quiet 3 s: $((r1 - r0)) rounds, $((s1 - s0)) scans"
cmp_ok $((r1 - r0)) -ge 15 "cdmd ran rounds in the quiet 3 s"
cmp_ok $((s1 - s0)) -le 4 "quiet: the targets scanned 4 times at most in $((r1 - r0)) rounds"
# the metrics page is rendered once a round: at most a round behind
m=$(wget -q -O - http://127.0.0.1:9478/metrics | sed -n 's/^cdmd_target_scans_total //p')
s2=$(status target_scans)
cmp_ok "${m:-none}" -ge $s1 "metrics: cdmd_target_scans_total ${m:-none}, status $s1-$s2"
cmp_ok "${m:-0}" -le $s2 "  ... no more than status says"

/tmp/pwtarget 1 1 0 0 >/dev/null &
exec_pid=$!
check "a process that execs pwtarget is managed within a second" wait_managed $exec_pid yes
sh -c 'printf pwtarget >/proc/$$/comm; while :; do sleep 0.2; done' &
renamed_pid=$!
check "a process renamed pwtarget is managed within a second" wait_managed $renamed_pid yes
kill $exec_pid
wait $exec_pid 2>/dev/null
check "a killed target leaves the targets within a second" wait_managed $exec_pid no
is "$(managed)" "$renamed_pid" "cdmctl targets lists the renamed process alone"
s2=$(status target_scans)
cmp_ok $((s2 - s1)) -ge 3 "the start, the rename and the exit each brought a scan ($((s2 - s1)))"
stop_cdmd

# ---- without them: a network namespace of its own ----
# (its loopback is down: no metrics there)
sed -i '/^metrics_port/d' $conf
if unshare -n true 2>/dev/null; then
	run_cdmd unshare -n
	has "without process events cdmd says it scans every round" "$(cat $log)" \
		"the targets are scanned every round"
	is "$(status processes_found_by)" walk "cdmctl status: processes found by walking /proc"
	is "$(managed)" "$renamed_pid" "the walk finds the renamed process"
	s0=$(status target_scans) r0=$(status rounds)
	sleep 2
	s1=$(status target_scans) r1=$(status rounds)
	diag "2 s walking: $((r1 - r0)) rounds, $((s1 - s0)) scans"
	cmp_ok $((s1 - s0)) -ge $((r1 - r0 - 1)) "walking: a scan every round"
	stop_cdmd
else
	skip "cdmd without process events" "unshare -n: no network namespaces in this kernel"
fi
kill $renamed_pid 2>/dev/null
grep -iE "error|warning" $log | head -n 5 | while read -r l; do diag "cdmd: $l"; done
done_testing
