#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdm-copy-offload.sh MIB ROUNDS: the migration copy-offload hook with the
# test engine of tests/kernel/cdm_test_copy.ko: registration, MIB MiB
# moved between node 0 and node 1 ROUNDS times with every byte checked,
# counters that add up to the kernel's own pgmigrate_success, fallbacks
# when the engine fails part-way, declined batches, and proof that pages
# the engine copied were not copied again by the CPU (mark=1).
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/meminfo.sh"
bin=$CDM_TOP/build/tests/vm
c=/sys/kernel/mm/cdm
p=/sys/module/cdm_test_copy/parameters
mib=$1 rounds=$2

counter() { cat $c/$1; }
field() { echo "$1" | awk -v k="$2" '$1 == k { print $2 }'; }
snapshot() { e0=$(counter engine_copied_folios) c0=$(counter cpu_copied_folios) f0=$(counter fallback_folios) m0=$(vmstat pgmigrate_success); }
deltas() { de=$(( $(counter engine_copied_folios) - e0 )) dc=$(( $(counter cpu_copied_folios) - c0 )) df=$(( $(counter fallback_folios) - f0 )) dm=$(( $(vmstat pgmigrate_success) - m0 )); }

is "$(cat $c/copy_engine)" none "without an engine, copy_engine is none"
check "the test engine registers" modprobe cdm_test_copy
is "$(cat $c/copy_engine)" cdm-test-memcpy "copy_engine names the registered engine"
is "$(cat $p/second_register)" -16 "a second engine is refused with -EBUSY"

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
is "$(field "$out" intact)" 4096 "declined batches: all pages intact"

check "the test engine unloads" rmmod cdm_test_copy
is "$(cat $c/copy_engine)" none "after unregistering, copy_engine is none again"
snapshot
out=$("$bin/copy-offload-check" 16 1)
deltas
is "$de/$dc/$df" 0/0/0 "without an engine the hook counts nothing"
is "$(field "$out" intact)" 4096 "without an engine: all pages intact"
done_testing 23
