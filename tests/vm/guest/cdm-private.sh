#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdm-private.sh SECONDS: cdm_private.ko, pools of device-private memory
# (kernel/drivers/cxl-cdm/cdm_private*.c), on a machine without CXL:
#   - hostile module parameters refuse the load, the kernel names them;
#   - two pools of 64 MiB grown 16 MiB at a time (small, so that filling
#     one is quick): the selftests (tests/kselftest/cdm-private-tests.c),
#     relayed one result per test, and their exit status;
#   - the defaults (one pool of 256 MiB, 64 MiB chunks): 4 threads moving
#     pages while the CPU rewrites them for SECONDS s
#     (cdm-private-stress.c), relayed, and its exit status;
#   - rmmod refused while a process keeps pages on the device, with the
#     file open and with it closed, the pages intact (cdm-private-hold.c);
#     done once nothing holds the pool;
#   - no kernel report (WARNING, BUG, KASAN, ...) in the log meanwhile.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/kmsg.sh"
secs=${1:-60}
k=$CDM_TOP/build/kselftest/cdm
mod=cdm_private
start=$(kmsg_lines)

relay() {	# relay NAME: prefix NAME to the result lines of a selftest
	sed -e "s/^ok [0-9]* /ok - $1: /" -e "s/^not ok [0-9]* /not ok - $1: /"
}

# hold_pages FILE MIB [close]: cdm-private-hold in the background (its pid
# in held_pid, its output in FILE), back once it holds its pages
hold_pages() {
	_out=$1
	shift
	"$k/cdm-private-hold" "$@" >"$_out" 2>&1 &
	held_pid=$!
	_i=0
	while ! grep -q '^held' "$_out" && kill -0 "$held_pid" 2>/dev/null && [ $_i -lt 1200 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

# let_go: the holder reads its pages back, says how many are intact, exits
let_go() {
	kill -USR1 "$held_pid"
	wait "$held_pid"
}

# Hostile values: the load refused, the parameter named.
kmsg_mark
for bad in capacity_mb=0 pools=9 pools=0 chunk_mb=garbage chunk_mb=0; do
	is "$(modprobe $mod "$bad" 2>&1 >/dev/null | sed 's/.*: //')" "Invalid argument" \
		"modprobe $mod $bad: EINVAL"
	check "  ... the kernel names ${bad%%=*}" logged "${bad%%=*}"
	check "  ... and $mod is not loaded" test ! -d /sys/module/$mod
	rmmod $mod 2>/dev/null	# should a load have gone through after all
done

# The selftests, on two small pools.
check "$mod loads with pools=2 capacity_mb=64 chunk_mb=16" \
	modprobe $mod pools=2 capacity_mb=64 chunk_mb=16
check "  ... /dev/cdm_private0 and 1, no 2" \
	sh -c '[ -c /dev/cdm_private0 ] && [ -c /dev/cdm_private1 ] && [ ! -e /dev/cdm_private2 ]'
# The thp variants ask for huge pages with MADV_HUGEPAGE; the others
# refuse them with MADV_NOHUGEPAGE.
echo madvise >/sys/kernel/mm/transparent_hugepage/enabled
CDM_PRIVATE_CAPACITY_MB=64 CDM_PRIVATE_CHUNK_MB=16 "$k/cdm-private-tests" >/tmp/tests.out 2>&1
rc=$?
relay cdm-private-tests </tmp/tests.out
is "$rc" 0 "cdm-private-tests exits 0"
check "rmmod $mod once the tests are gone" rmmod $mod

# The stress test, with the defaults.
check "$mod loads with its defaults" modprobe $mod
check "  ... /dev/cdm_private0, no 1" sh -c '[ -c /dev/cdm_private0 ] && [ ! -e /dev/cdm_private1 ]'
"$k/cdm-private-stress" "$secs" >/tmp/stress.out 2>&1
rc=$?
relay cdm-private-stress </tmp/stress.out
is "$rc" 0 "cdm-private-stress exits 0"
is "$(sed -n 's/^# pool 0: //p' /tmp/stress.out)" "capacity 256 MiB, chunk 64 MiB" \
	"  ... on one pool of 256 MiB grown 64 MiB at a time (the defaults)"

# rmmod while a process has pages on the device (8 MiB: 2048 pages), with
# the device file open and with it closed: refused (delete_module(2)
# says EWOULDBLOCK for a module in use), the module in use, nothing lost.
for how in open closed; do
	if [ $how = open ]; then
		hold_pages /tmp/hold-$how 8
	else
		hold_pages /tmp/hold-$how 8 close
	fi
	is "$(sed -n 's/^held //p' /tmp/hold-$how)" 2048 "a process moves 8 MiB to the device (device file $how)"
	if out=$(rmmod $mod 2>&1); then
		fail "  ... rmmod $mod is refused" "rmmod went through"
		modprobe $mod	# for what follows
	else
		pass "  ... rmmod $mod is refused"
		diag "rmmod: $out"
	fi
	check "  ... the module stays, in use" sh -c "[ \"\$(cat /sys/module/$mod/refcnt)\" -gt 0 ]"
	let_go
	is "$(sed -n 's/^intact //p' /tmp/hold-$how)" 2048 "  ... its pages come back intact"
done
check "rmmod $mod once no process holds device pages" rmmod $mod
check "  ... /dev/cdm_private0 is gone" test ! -e /dev/cdm_private0

is "$(kmsg_reports "$start")" "" "the kernel reported no problem (WARNING, BUG, KASAN, ...)"
done_testing
