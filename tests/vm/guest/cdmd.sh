#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdmd.sh TRACKER [stock]: cdmd at work on a process (tests/vm/hotcold) whose
# 32 MiB hot set starts on the slow node 1 and whose 96 MiB cold set
# starts on the fast node 0: the exact opposite of where they belong.
#   - before cdmd runs, the report shows them so (the check below can
#     fail: without cdmd nothing moves);
#   - cdmd (tiering, node 0 fast, node 1 slow; TRACKER damon, idle or
#     auto)
#     brings at least 90% of the hot pages to node 0 and 90% of the cold
#     ones to node 1 within 180 s, every page's content intact, and logs
#     each batch: target, pid, range, the accesses that decided, nodes;
#   - cdmctl status, targets, top and explain answer from the control
#     socket (mode 0600) with what the test sees: the tracker, the
#     process, the hot set ranked above the cold set, the batches moved;
#     pause stops moves (pages moved back by hand stay), resume starts
#     them again; the Prometheus page counts the bytes moved;
#   - an application's hint beats the tracker: hotcold tells cdmd through
#     libcdm (cdm_hint) that its hot set is cold, and cdmd moves it to
#     node 1 although it is in use;
#   - a configuration with a problem on SIGHUP is refused, naming its
#     line, and cdmd keeps running; a good one is taken;
#   - it says at start whether the kernel isolates device memory: only
#     on Debian's stock kernel ("stock") does it say it does not;
#   - isolate_cpusets: on the stock kernel every top-level cgroup but the
#     one holding the target (work.slice) is kept to node 0 (cpuset.mems,
#     and a process's Mems_allowed_list there), and all is given back at
#     the stop; the project's kernel isolates by itself: nothing touched;
#   - killed by SIGKILL, cdmd leaves its kdamond on, its trace instance and
#     its socket behind; the next cdmd turns the kdamond off, says so, uses
#     DAMON and answers on the socket (damon runs); on the stock kernel it
#     takes over the cpusets the killed one changed (/run/cdmd/cpusets) and
#     gives back at its stop what was before both;
#   - SIGTERM stops it with exit 0, and DAMON is given back (no kdamond
#     left on, no trace instance).
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/hotcold.sh"
tracker=${1:-damon}
kernel=${2:-cdm}
cdmd=$CDM_TOP/build/bin/cdmd
conf=/tmp/cdmd.conf
log=/tmp/cdmd.log
out=/tmp/hotcold.out
damon=/sys/kernel/mm/damon/admin/kdamonds
trace_instance=/sys/kernel/tracing/instances/cdmd	# DAMON's regions (damon-trace.c)
hot_mib=32 cold_mib=96
hot_pages=$((hot_mib * 256)) cold_pages=$((cold_mib * 256))

write_conf() {	# write_conf [EXTRA LINE]
	cat > $conf <<EOF
[cdmd]
interval_ms = 500
tracker = $tracker
metrics_port = 9477
isolate_cpusets = yes

[target hc]
match = comm:hotcold
policy = tiering
fast_nodes = 0
slow_nodes = 1
promote_accesses = 4
demote_accesses = 1
min_residency_s = 2
rate_mb_s = 64
fast_free_mb = 64
pingpong_window_s = 30
$1
EOF
}

kdamonds_on() {
	grep -l '^on' $damon/*/state 2>/dev/null | wc -l
}

ip link set lo up	# the metrics listen on loopback
# NUMA balancing would move the hot pages to node 0 itself on the stock
# kernel (the project's keeps it off CDM nodes): cdmd's work is measured
echo 0 > /proc/sys/kernel/numa_balancing 2>/dev/null
hotcold_start $hot_mib $cold_mib 1 0
# cgroups: hc in work.slice, a sleeper in other.slice
cg=/sys/fs/cgroup
grep -q "^cgroup2 $cg " /proc/mounts || mount -t cgroup2 none $cg
mkdir -p $cg/work.slice $cg/other.slice
echo $hc > $cg/work.slice/cgroup.procs
sh -c "echo \$\$ > $cg/other.slice/cgroup.procs; exec sleep 1000" &
sleeper=$!
mems_allowed() { sed -n 's/^Mems_allowed_list:[[:space:]]*//p' /proc/$1/status; }
r=$(report)
is "$(pages "$r" hot 1):$(pages "$r" cold 0)" "$hot_pages:$cold_pages" \
	"before cdmd: the hot set on node 1, the cold set on node 0 (what cdmd must undo)"

write_conf
check "cdmd --check accepts the configuration" "$cdmd" --check -c $conf
cdmd_start=$(date +%s)
"$cdmd" -c $conf 2> $log &
cdmd_pid=$!
sleep 2
used=$(sed -n 's/.*tracking accesses with \([a-z]*\),.*/\1/p' $log)
case "$tracker:$used" in
damon:damon | idle:idle | auto:damon | auto:idle) pass "tracker $tracker: cdmd tracks with $used" ;;
*) fail "tracker $tracker: cdmd tracks with $tracker" "$(cat $log)" ;;
esac
if [ "$used" = damon ]; then
	cmp_ok "$(kdamonds_on)" -ge 1 "  ... a kdamond of cdmd's is on"
else
	is "$(kdamonds_on)" 0 "  ... no kdamond is on"
fi
notice=$(grep -c 'this kernel has no coherent device memory nodes' $log)
if [ "$kernel" = stock ]; then
	is "$notice" 1 "on the stock kernel cdmd says that device memory is not isolated"
else
	is "$notice" 0 "on the project's kernel cdmd does not say that isolation is absent"
fi

if [ "$kernel" = stock ]; then
	is "$(cat $cg/other.slice/cpuset.mems 2>&1):$(mems_allowed $sleeper)" "0:0" \
		"isolate_cpusets: other.slice kept to node 0, its process's Mems_allowed_list 0"
	is "$(cat $cg/work.slice/cpuset.mems 2>&1):$(mems_allowed $hc)" ":0-1" \
		"  ... work.slice, which holds the target, left alone"
	if grep -q "work.slice.*left alone" $log; then
		pass "  ... and cdmd said why"
	else
		fail "  ... and cdmd said why" "$(grep cpuset $log)"
	fi
else
	is "$(grep -c cpuset $cg/cgroup.subtree_control):$(mems_allowed $sleeper)" "0:0-1" \
		"isolate_cpusets: nothing to do on the project's kernel, nothing touched"
fi

hot0=0 cold1=0
while [ $(($(date +%s) - cdmd_start)) -lt 180 ]; do
	sleep 5
	r=$(report)
	hot0=$(pages "$r" hot 0) cold1=$(pages "$r" cold 1)
	diag "$(($(date +%s) - cdmd_start)) s: hot on node 0 $hot0/$hot_pages, cold on node 1 $cold1/$cold_pages"
	[ $((hot0 * 100)) -ge $((hot_pages * 95)) ] && [ $((cold1 * 100)) -ge $((cold_pages * 95)) ] && break
done
took=$(($(date +%s) - cdmd_start))
cmp_ok $((hot0 * 100)) -ge $((hot_pages * 90)) "hot set on node 0: $hot0 of $hot_pages pages after $took s"
cmp_ok $((cold1 * 100)) -ge $((cold_pages * 90)) "cold set on node 1: $cold1 of $cold_pages pages"
r=$(report HUP)
is "$(echo "$r" | sed -n 's/^content //p')" ok "every page's content intact"
promote=$(grep -c "hc: pid $hc: promote 0x.*(.* accesses [0-9]*/20, age [0-9]*) to node 0: [0-9]* pages moved" $log)
demote=$(grep -c "hc: pid $hc: demote 0x.*accesses [01]/20.* to node 1: [0-9]* pages moved" $log)
cmp_ok "$promote" -ge 1 "the log explains promotions ($promote batches: range, accesses, node)"
cmp_ok "$demote" -ge 1 "the log explains demotions ($demote batches)"
is "$(grep -c 'error' $log)" 0 "no errors logged"

# ---- the control socket and the metrics ----
get() { "$CDM_TOP/build/tests/vm/libcdm/jsonget" "$@"; }
sock=/run/cdmd/cdmd.sock
is "$(stat -c '%a %U %F' $sock)" "600 root socket" "the control socket: $sock, root's, mode 0600"
json=$(cdmctl status --json)
is "$?:$(echo "$json" | get result tracker targets processes isolation | tr '\n' ' ')" \
	"0:ok $used 1 1 $([ "$kernel" = stock ] && echo false || echo true) " \
	"cdmctl status: the tracker, 1 target, 1 process, isolation as the kernel has it"
moved=$(echo "$json" | get promoted_bytes)
cmp_ok "${moved:-0}" -ge $((hot_mib * 1024 * 1024 * 9 / 10)) "  ... promoted bytes: $moved"
json=$(cdmctl targets --json)
is "$(echo "$json" | get targets.# targets.0.name targets.0.processes.0 | tr '\n' ' ')" "1 hc $hc " \
	"cdmctl targets: hc with the process"
# The hot set ranks above the cold set among the hottest regions: the
# stack and libc's data are as hot as the hot set (20 of 20 samples), so
# which region comes first is not cdmd's to promise, and with few hot
# regions the five hottest reach into the cold set.
json=$(cdmctl top --count 5 --json)
hot_start=$(sed -n 's/^hot \(0x[0-9a-f]*\) .*/\1/p' $out) hot_end=$(sed -n 's/^hot 0x[0-9a-f]* //p' $out)
cold_start=$(sed -n 's/^cold \(0x[0-9a-f]*\) .*/\1/p' $out) cold_end=$(sed -n 's/^cold 0x[0-9a-f]* //p' $out)
n=$(echo "$json" | get regions.#) first_hot= first_cold= i=0
case "$n" in [0-9]*) ;; *) n=0 ;; esac
while [ $i -lt $n ]; do
	s=$(echo "$json" | get regions.$i.start) e=$(echo "$json" | get regions.$i.end)
	# overlapping the hot set; lying wholly in the cold set
	[ -z "$first_hot" ] && [ $((s)) -lt $((hot_end)) ] && [ $((e)) -gt $((hot_start)) ] &&
		first_hot=$i
	[ -z "$first_cold" ] && [ $((s)) -ge $((cold_start)) ] && [ $((e)) -le $((cold_end)) ] &&
		first_cold=$i
	i=$((i + 1))
done
if [ -n "$first_hot" ] && { [ -z "$first_cold" ] || [ "$first_hot" -lt "$first_cold" ]; }; then
	pass "cdmctl top: the hot set ranks above the cold set (places $first_hot and ${first_cold:-none} of $n)"
else
	fail "cdmctl top: the hot set ranks above the cold set" \
		"top: $json" "hot: $hot_start-$hot_end cold: $cold_start-$cold_end"
fi
json=$(cdmctl explain --count 2 --json)
is "$(echo "$json" | get result decisions.# decisions.0.target decisions.0.pid | tr '\n' ' ')" \
	"ok 2 hc $hc " "cdmctl explain: the last decisions, for hc's process"
page=$(wget -q -O - http://127.0.0.1:9477/metrics)
if echo "$page" | grep -q '^cdmd_up 1$' &&
   echo "$page" | grep -q "^cdmd_promoted_bytes_total{target=\"hc\"} [1-9]"; then
	pass "metrics: cdmd_up 1 and the promoted bytes of hc"
else
	fail "metrics: cdmd_up 1 and the promoted bytes of hc" "$(echo "$page" | head -20)"
fi

# pause: hot pages moved back to node 1 by hand stay there; resume: back
json=$(cdmctl pause --json)
is "$?:$(echo "$json" | get paused.0)" "0:hc" "cdmctl pause: hc paused"
r=$(report)
before=$(pages "$r" hot 1)
check "  ... 2 MiB of the hot set moved to node 1 by hand" \
	cdmctl migrate --pid $hc --range "$hot_start-$((hot_start + 2 * 1024 * 1024))" --to 1
sleep 4
r=$(report)
is "$(pages "$r" hot 1)" $((before + 512)) "  ... paused: they stay on node 1 for 4 s"
is "$(cdmctl resume --json | get result paused.# | tr '\n' ' ')" "ok 0 " "cdmctl resume"
i=0
while [ $i -lt 30 ]; do
	sleep 2
	r=$(report)
	[ "$(pages "$r" hot 1)" -le "$before" ] && break
	i=$((i + 1))
done
cmp_ok "$(pages "$r" hot 1)" -le "$before" \
	"  ... resumed: cdmd brought them back to node 0 ($((i * 2 + 2)) s)"

# the application knows better: its hot set is cold, it says
n=$(grep -c '^hint' $out)
kill -USR2 $hc
i=0
while [ "$(grep -c '^hint' $out)" -le "$n" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
is "$(grep '^hint' $out | tail -1)" "hint 0" "cdm_hint: hotcold's hot set is cold, cdmd takes the hint"
i=0
while [ $i -lt 30 ]; do
	sleep 2
	r=$(report)
	[ $(($(pages "$r" hot 1) * 100)) -ge $((hot_pages * 90)) ] && break
	i=$((i + 1))
done
cmp_ok $(($(pages "$r" hot 1) * 100)) -ge $((hot_pages * 90)) \
	"  ... the hot set, still in use, goes to node 1: $(pages "$r" hot 1) of $hot_pages ($((i * 2 + 2)) s)"
if cdmctl explain --count 50 --json | grep -q '"hint": *"cold"'; then
	pass "  ... cdmctl explain says the hint decided"
else
	fail "  ... cdmctl explain says the hint decided" "$(cdmctl explain --count 5)"
fi

write_conf "bogus_key = 1"
kill -HUP $cdmd_pid
sleep 2
if grep -q "$conf:18: .*bogus_key" $log && grep -q 'not reloaded' $log; then
	pass "SIGHUP with an unknown key: refused, naming the line"
else
	fail "SIGHUP with an unknown key: refused, naming the line" "$(tail -5 $log)"
fi
check "  ... cdmd is still running" kill -0 $cdmd_pid
write_conf
kill -HUP $cdmd_pid
sleep 2
if grep -q "$conf: reloaded, 1 targets" $log; then
	pass "SIGHUP with a good configuration: reloaded"
else
	fail "SIGHUP with a good configuration: reloaded" "$(tail -5 $log)"
fi

kill -TERM $cdmd_pid
i=0
while kill -0 $cdmd_pid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
wait $cdmd_pid
is "$?" 0 "SIGTERM: cdmd exits 0"
is "$(kdamonds_on)" 0 "  ... no kdamond left on"
[ "$used" != damon ] || check "  ... nor its trace instance" test ! -e $trace_instance
is "$(grep -c cpuset $cg/cgroup.subtree_control):$(mems_allowed $sleeper)" "0:0-1" \
	"  ... the cpuset controller as it was, the sleeper's nodes 0-1 again"
kill $sleeper

if [ "$used" = damon ]; then
	"$cdmd" -c $conf 2> $log.killed &
	p=$!
	sleep 3
	kill -KILL $p
	wait $p 2>/dev/null
	cmp_ok "$(kdamonds_on)" -ge 1 "SIGKILL: the kdamond of the killed cdmd is still on"
	check "  ... and its socket is left behind" test -S $sock
	check "  ... and its trace instance" test -d $trace_instance
	"$cdmd" -c $conf 2> $log.next &
	p=$!
	sleep 3
	if grep -q "kdamond [0-9]* was left on by cdmd [0-9]*, which is gone: turned off" $log.next &&
	   grep -q "tracking accesses with damon" $log.next; then
		pass "  ... the next cdmd turns it off, says so, and tracks with DAMON"
	else
		fail "  ... the next cdmd turns it off, says so, and tracks with DAMON" "$(cat $log.next)"
	fi
	is "$(cdmctl status --json | get result processes | tr '\n' ' ')" "ok 1 " \
		"  ... and answers on the socket"
	kill -TERM $p
	wait $p
	is "$?:$(kdamonds_on)" "0:0" "  ... and stops cleanly"
	check "  ... taking the trace instance with it" test ! -e $trace_instance
	if [ "$kernel" = stock ]; then
		# the killed cdmd had enabled the controller and kept
		# other.slice on node 0: the next one found it so, and gives
		# back what was before the killed one, not what it found
		if grep -q "cpusets: cdmd [0-9]*, which is gone, changed the cpuset.mems of [1-9][0-9]* cgroups and enabled the controller: taken over" $log.next; then
			pass "  ... takes over the cpusets the killed cdmd changed, and says so"
		else
			fail "  ... takes over the cpusets the killed cdmd changed, and says so" "$(grep cpuset $log.next)"
		fi
		is "$(grep -c cpuset $cg/cgroup.subtree_control):$(test -e /run/cdmd/cpusets && echo journal)" "0:" 			"  ... and at its stop the cpuset controller is as it was before both, the journal gone"
	fi
fi
if grep -q 'signal 15: stopping' $log; then
	pass "  ... and logged why"
else
	fail "  ... and logged why" "$(tail -3 $log)"
fi
kill $hc
wait $hc 2>/dev/null
diag "cdmd's log: $(wc -l < $log) lines; the first 12 and the last 3:"
head -12 $log | sed 's/^/# /'
tail -3 $log | sed 's/^/# /'
done_testing
