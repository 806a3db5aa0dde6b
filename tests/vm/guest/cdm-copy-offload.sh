#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdm-copy-offload.sh MIB ROUNDS RACE_MIB RACE_ROUNDS: the migration
# copy-offload hook with the test engine of tests/kernel/cdm_test_copy.ko
# on numa3 (node 1 CDM): registration, MIB MiB moved between node 0 and
# node 1 ROUNDS times with every byte checked, counters that add up to the
# kernel's own pgmigrate_success, fallbacks when the engine fails
# part-way, declined batches, proof that pages the engine copied were not
# copied again by the CPU (mark=1), writers racing the migrations of
# anonymous, shmem and THP folios (no write may be lost), an engine
# offered only the node pairs it serves, and unloading it while
# migrations run.
#
# cdm-copy-offload.sh async cdm|debug (booted with numa_balancing=enable):
# NUMA balancing migrates in MIGRATE_ASYNC, where an engine must not
# sleep; it is offered those batches, and on the debug kernel an engine
# that may sleep there (sleep_in_async=1) is reported.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/meminfo.sh"
bin=$CDM_TOP/build/tests/vm
c=/sys/kernel/mm/cdm
p=/sys/module/cdm_test_copy/parameters
mib=$1 rounds=$2 race_mib=$3 race_rounds=$4 race_min=$5

counter() { cat $c/$1; }

# balance NAME: a 16 MiB task placed on node 2 (an ordinary CPU-less
# node) and left to NUMA balancing for 10 s, which moves its pages to its
# CPUs' node 0 in MIGRATE_ASYNC; prints its last report
balance() {
	hold "$1" POLICY_ALLOC_TOUCH=1 POLICY_ALLOC_THEN_DEFAULT=1 bind 2 16
	sleep 10
	report "$1" $held_pid
	kill $held_pid
	wait $held_pid 2>/dev/null
}

if [ "$1" = async ]; then
	. "$CDM_TOP/tests/lib/holder.sh"
	dbg=/sys/kernel/debug/sched/numa_balancing
	echo 0 >$dbg/scan_delay_ms
	echo 10 >$dbg/scan_period_min_ms
	echo 100 >$dbg/scan_period_max_ms
	check "the test engine registers" modprobe cdm_test_copy
	a0=$(cat $p/async_batches)
	out=$(balance a)
	async=$(( $(cat $p/async_batches) - a0 ))
	diag "NUMA balancing: $async async batches offered; task a: $(echo "$out" | grep ^node | tr '\n' ' ')"
	cmp_ok "$async" -gt 0 "NUMA balancing's MIGRATE_ASYNC batches (node 2 to 0) are offered to the engine ($async)"
	cmp_ok "$(count "$out" 0)" -gt 0 "  ... and the task's pages moved towards its CPUs"
	is "$(echo "$out" | sed -n 's/^content //p')" ok "  ... with their content intact"
	if [ "$2" = debug ]; then
		echo 1 >$p/sleep_in_async
		out=$(balance b)
		echo 0 >$p/sleep_in_async
		check "the debug kernel reports an engine that may sleep in MIGRATE_ASYNC" \
			sh -c 'dmesg | grep -q "BUG: sleeping function called from invalid context"'
		is "$(echo "$out" | sed -n 's/^content //p')" ok "  ... whose copies are still right"
	else
		skip "an engine that may sleep in MIGRATE_ASYNC is reported" "only by debug kernels (CONFIG_DEBUG_ATOMIC_SLEEP)"
		skip "  ... whose copies are still right" "only checked on debug kernels"
	fi
	check "the test engine unloads" rmmod cdm_test_copy
	done_testing 7
fi

field() { echo "$1" | awk -v k="$2" '$1 == k { print $2 }'; }
snapshot() { e0=$(counter engine_copied_folios) c0=$(counter cpu_copied_folios) f0=$(counter fallback_folios) d0=$(counter declined_folios) m0=$(vmstat pgmigrate_success); }
deltas() { de=$(( $(counter engine_copied_folios) - e0 )) dc=$(( $(counter cpu_copied_folios) - c0 )) df=$(( $(counter fallback_folios) - f0 )) dd=$(( $(counter declined_folios) - d0 )) dm=$(( $(vmstat pgmigrate_success) - m0 )); }

is "$(cat $c/copy_engines)" "" "without an engine, copy_engines is empty"
check "the test engine registers" modprobe cdm_test_copy
is "$(cat $c/copy_engines)" "cdm-test-memcpy 0-2" "copy_engines names the registered engine and its nodes"
is "$(cat $p/second_register)" -16 "a second engine for the same nodes is refused with -EBUSY"

pages=$((mib * 256))
snapshot
out=$("$bin/copy-offload-check" $mib $rounds)
deltas
diag "$mib MiB x $rounds round trips: engine $de, cpu $dc, fallback $df, pgmigrate_success $dm"
is "$(field "$out" misplaced)" 0 "every page reported on its target node, every move"
is "$(field "$out" intact)" $pages "all $pages pages intact after $rounds round trips"
is "$(field "$out" moved)" "$dm" "the kernel counted every page moved (pgmigrate_success)"
cmp_ok "$de" -ge $((dm * 9 / 10)) "the engine copied (nearly) all of them ($de of $dm)"
is $((de + dc)) "$dm" "engine + cpu copies add up to the pages migrated"
is "$df" 0 "no fallback while the engine works"

echo 3 >$p/fail_every
snapshot
out=$("$bin/copy-offload-check" 32 2)
deltas
diag "fail_every=3: engine $de, cpu $dc, fallback $df, pgmigrate_success $dm"
is "$(field "$out" intact)" 8192 "fail_every=3: all pages intact"
cmp_ok "$df" -gt 0 "fail_every=3: the CPU copied what the engine failed ($df folios)"
is $((de + dc)) "$dm" "fail_every=3: engine + cpu copies add up"
echo 0 >$p/fail_every

echo 1 >$p/mark
snapshot
out=$("$bin/copy-offload-check" 16 0)
deltas
# A folio whose move is retried (-EAGAIN) is copied again by the CPU, so
# a few engine copies may end up as plain copies; none may go the other way.
marked=$(field "$out" marked)
diag "mark=1: engine $de, cpu $dc; $marked pages carry the engine's mark"
cmp_ok "$marked" -le "$de" "mark=1: only pages the engine copied carry its mark"
cmp_ok "$marked" -ge $((de * 9 / 10)) "mark=1: the CPU did not copy them again (marks survive on $marked of $de)"
is $((marked + $(field "$out" intact))) 4096 "mark=1: every other page is a plain, intact copy"
is "$(field "$out" corrupt)" 0 "mark=1: no page is corrupt"
echo 0 >$p/mark

echo 100000 >$p/decline_below
snapshot
out=$("$bin/copy-offload-check" 16 1)
deltas
is "$de/$df" 0/0 "a declined batch is copied by the CPU without counting a fallback"
is "$dd" "$dm" "declined_folios counts every folio of the declined batches"
is "$(field "$out" intact)" 4096 "declined batches: all pages intact"
echo 0 >$p/decline_below

# Writers that hold references while they write (process_vm_writev pins,
# /proc/self/mem) race the migrations; a slow engine (hold_us) and a
# writer stalled between pinning and writing make the window wide. No
# write may be lost: the engine copies only folios nobody else holds.
echo 2000 >$p/hold_us
for kind in shmem anon thp; do
	snapshot
	out=$("$bin/copy-offload-race" $kind $race_mib $race_rounds)
	deltas
	diag "race $kind: $(echo $out), engine $de, cpu $dc, pgmigrate_success $dm"
	is "$(field "$out" lost)" 0 "race $kind: no write lost in $(field "$out" regions) regions ($(field "$out" writes) writes, $dm folio migrations)"
	cmp_ok "$de" -gt 0 "race $kind: the engine copied while the writers wrote ($de folios)"
	raced=$((${raced:-0} + dm))
done
cmp_ok "$raced" -ge "$race_min" "the races migrated $raced folios (at least $race_min)"
echo 0 >$p/hold_us

# Unloading the engine while migrations run: it waits for the copy in
# flight, the rest are copied by the CPU, nothing is lost.
"$bin/copy-offload-check" 64 4 >/tmp/unload.out &
sleep 2
check "the test engine unloads while migrations run" rmmod cdm_test_copy
wait $!
is "$(field "$(cat /tmp/unload.out)" intact)" 16384 "unloaded mid-run: all pages intact"

# An engine serves the migrations from or to its own nodes only.
check "the test engine registers for node 1 only" modprobe cdm_test_copy nodes=1
is "$(cat $c/copy_engines)" "cdm-test-memcpy 1" "copy_engines shows node 1"
b0=$(cat $p/batches)
snapshot
out=$("$bin/copy-offload-check" 16 1 2)
deltas
is "$(cat $p/batches)/$de" "$b0/0" "moves between nodes 0 and 2 are not offered to node 1's engine"
is "$(field "$out" intact)" 4096 "0 <-> 2 without an engine: all pages intact"
snapshot
out=$("$bin/copy-offload-check" 16 1 1)
deltas
is "$de" "$dm" "moves between nodes 0 and 1 are all copied by node 1's engine"

check "the test engine unloads" rmmod cdm_test_copy
is "$(cat $c/copy_engines)" "" "after unregistering, copy_engines is empty again"
snapshot
out=$("$bin/copy-offload-check" 16 1)
deltas
is "$de/$dc/$df" 0/0/0 "without an engine the hook counts nothing"
is "$(field "$out" intact)" 4096 "without an engine: all pages intact"
done_testing 38
