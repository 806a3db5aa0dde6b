#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdmd-systemd.sh [stock]: cdmd through configs/cdmd.service exactly as make
# install lays it down (build/tests/vm/cdmd-systemd/root, copied into /),
# under systemd as PID 1 (vm-run --init=systemd), its hardening in force.
# A tiering target on tests/vm/hotcold, whose hot set starts on the slow
# node 1 and cold set on the fast node 0.
#  0. systemctl enable and disable ([Install]).
#  1. systemctl start returns once cdmd sent READY=1 (Type=notify): active
#     (running), its STATUS= line in StatusText; the sandbox is applied
#     (capabilities, no new privileges, mount namespace, memory.max).
#  2. cdmd works in it: cdmctl answers on /run/cdmd/cdmd.sock, the metrics
#     on loopback, and hotcold's pages move (read back with move_pages(2)).
#  3. systemctl reload: taken and logged; a bad configuration is refused
#     and the old one keeps running.
#  4. SIGKILL: Restart=on-failure starts a new cdmd, which turns off the
#     kdamond the killed one left on and works; so does a cdmd started
#     after a stop by SIGKILL (what the killed one left in /run/cdmd
#     lasts beyond the stop).
#  5. WATCHDOG=1 arrives (the watchdog timestamp moves), the service is
#     never killed by the watchdog.
#  6. systemctl stop: result success, no kdamond left on, /run/cdmd empty.
#  7. the journal holds cdmd's lines at their priorities, and no line of
#     an error beyond the bad reload's.
#  8. on the stock kernel, isolate_cpusets: a cgroup kept off node 1 stays
#     so across a SIGKILL and restart (the new cdmd takes over the killed
#     one's record of the old values), and gets its old value back at
#     the stop.
#  9. tracker = idle: on the project's kernel cdmd tracks with idle page
#     tracking inside the sandbox and a new hotcold's pages move, with no
#     warning; on the stock kernel (no idle page tracking) the unit fails
#     to start and the journal says why.
# On the project's kernel (no seccomp, no BPF) systemd skips
# SystemCallFilter=, MemoryDenyWriteExecute=, the Restrict*= and the IP
# firewall; on Debian's stock kernel ("stock") they are in force.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/hotcold.sh"
kernel=${1:-cdm}
root=$CDM_TOP/build/tests/vm/cdmd-systemd/root
unit=/usr/lib/systemd/system/cdmd.service
conf=/etc/cdm/cdmd.conf
out=/tmp/hotcold.out
damon=/sys/kernel/mm/damon/admin/kdamonds
hot_mib=8 cold_mib=8
hot_pages=$((hot_mib * 256)) cold_pages=$((cold_mib * 256))

prop() { systemctl show -p "$1" --value cdmd; }
# SIGKILL to cdmd's main process; never to "0", this process group, when
# it has none
kill_main() { [ "${1:-0}" -gt 0 ] && kill -9 "$1"; }
kdamonds_on() { grep -l '^on' $damon/*/state 2>/dev/null | wc -l; }
# wait_until SECONDS CMD...: CMD tried every 0.5 s until it succeeds
wait_until() {
	_end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt $_end ] || return 1
		sleep 0.5
	done
}
# cdmd's own lines in the journal: all, or those at PRIORITY alone
journal() { journalctl -q --no-pager -u cdmd -t cdmd -o cat ${1:+-p $1..$1}; }
write_conf() {	# write_conf [EXTRA LINE]
	cat >$conf <<EOF
[cdmd]
interval_ms = 500
tracker = damon
metrics_port = 9477

[target hc]
match = comm:hotcold
policy = tiering
fast_nodes = 0
slow_nodes = 1
promote_accesses = 4
demote_accesses = 1
min_residency_s = 2
rate_mb_s = 64
$1
EOF
}

[ -f "$root$unit" ] || bail_out "no staged install in $root (make all stages it)"
cp -a "$root/." /
systemctl daemon-reload
is "$(systemctl show -p FragmentPath --value cdmd):$(cmp "$root$unit" $unit && echo same)" "$unit:same" \
	"systemd has cdmd.service from make install's tree"
is "$(prop ExecStart | sed -n 's/.*argv\[\]=\([^;]*\) ;.*/\1/p')" "/usr/sbin/cdmd --config $conf" \
	"  ... its ExecStart the installed cdmd, the installed configuration"
write_conf
ip link set lo up	# the metrics listen on loopback
echo 0 >/proc/sys/kernel/numa_balancing 2>/dev/null
hotcold_start $hot_mib $cold_mib 1 0
r=$(report)
is "$(pages "$r" hot 1):$(pages "$r" cold 0)" "$hot_pages:$cold_pages" \
	"before cdmd: the hot set on node 1, the cold set on node 0"

# 0. the README's "systemctl enable --now cdmd": [Install] WantedBy=
check "systemctl enable cdmd" systemctl enable cdmd
is "$(systemctl is-enabled cdmd):$(readlink /etc/systemd/system/multi-user.target.wants/cdmd.service)" \
	"enabled:$unit" "  ... enabled, wanted by multi-user.target"
check "systemctl disable cdmd" systemctl disable cdmd
is "$(systemctl is-enabled cdmd)" disabled "  ... disabled again"

# 1. start
start=$(date +%s)
check "systemctl start cdmd" systemctl start cdmd
# cdmd opens its sockets before it sends READY=1: Type=notify's start
# returns after that, any other Type's at once
check "  ... returns with the control socket already there" test -S /run/cdmd/cdmd.sock
is "$(prop ActiveState)/$(prop SubState)" active/running \
	"  ... active (running) when start returns: READY=1 arrived"
pid=$(prop MainPID)
running() { [ "$(prop StatusText)" = "1 processes of 1 targets, tracker damon" ]; }
if wait_until 10 running; then
	pass "  ... StatusText is cdmd's STATUS= line: $(prop StatusText)"
else
	fail "  ... StatusText is cdmd's STATUS= line" "StatusText: $(prop StatusText)"
fi
caps=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/$pid/status)
# CAP_CHOWN 0, CAP_DAC_READ_SEARCH 2, CAP_NET_ADMIN 12, CAP_SYS_PTRACE 19,
# CAP_SYS_ADMIN 21, CAP_SYS_NICE 23
is "$caps" 0000000000a81005 "the sandbox: cdmd's bounding set the unit's six capabilities"
is "$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' /proc/$pid/status)" 1 "  ... no new privileges"
if [ "$(readlink /proc/$pid/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ]; then
	pass "  ... a mount namespace of its own (ProtectSystem, PrivateTmp, PrivateMounts)"
else
	fail "  ... a mount namespace of its own (ProtectSystem, PrivateTmp, PrivateMounts)"
fi
is "$(cat /sys/fs/cgroup/system.slice/cdmd.service/memory.max 2>&1)" $((64 << 20)) \
	"  ... memory.max 64 MiB"
seccomp=$(sed -n 's/^Seccomp:[[:space:]]*//p' /proc/$pid/status)
if [ "$kernel" = stock ]; then
	is "$seccomp" 2 "  ... seccomp filters (SystemCallFilter=, MemoryDenyWriteExecute=, Restrict*=)"
	is "$(journalctl -q --no-pager | grep -c 'does not support BPF/cgroup firewalling')" 0 \
		"  ... the IP firewall (IPAddressDeny=) in force"
else
	is "$seccomp" "" "  ... no seccomp on the project's kernel (systemd skips the filters)"
fi

# 2. at work
get() { "$CDM_TOP/build/tests/vm/libcdm/jsonget" "$@"; }
json=$(cdmctl status --json)
is "$?:$(echo "$json" | get result tracker targets processes | tr '\n' ' ')" "0:ok damon 1 1 " \
	"cdmctl status answers on /run/cdmd/cdmd.sock: tracker damon, 1 target, 1 process"
# both kernels have CONFIG_PROC_EVENTS; the unit gives CAP_NET_ADMIN and
# AF_NETLINK for them
is "$(echo "$json" | get processes_found_by)" events \
	"  ... it finds its targets by process events inside the sandbox"
moved() {
	r=$(report)
	[ $(($(pages "$r" hot 0) * 100)) -ge $((hot_pages * 90)) ] &&
		[ $(($(pages "$r" cold 1) * 100)) -ge $((cold_pages * 90)) ]
}
wait_until 60 moved
cmp_ok $(($(pages "$r" hot 0) * 100)) -ge $((hot_pages * 90)) \
	"hot set on node 0: $(pages "$r" hot 0) of $hot_pages pages after $(($(date +%s) - start)) s"
cmp_ok $(($(pages "$r" cold 1) * 100)) -ge $((cold_pages * 90)) \
	"cold set on node 1: $(pages "$r" cold 1) of $cold_pages pages"
page=$(wget -q -O - http://127.0.0.1:9477/metrics)
if echo "$page" | grep -q '^cdmd_up 1$'; then
	pass "metrics on loopback (IPAddressAllow=localhost): cdmd_up 1"
else
	fail "metrics on loopback (IPAddressAllow=localhost): cdmd_up 1" "$(echo "$page" | head -5)"
fi

# 5. the watchdog (before the reload, which notifies too)
is "$(prop WatchdogUSec)" 3min "WatchdogSec: 3 min"
w1=$(prop WatchdogTimestampMonotonic)
sleep 1.5
w2=$(prop WatchdogTimestampMonotonic)
cmp_ok "$w2" -gt "${w1:-0}" "  ... WATCHDOG=1 arrives: the watchdog timestamp moves ($w1 -> $w2)"

# 3. reload
check "systemctl reload cdmd" systemctl reload cdmd
reloaded() { journal notice | grep -q "$conf: reloaded, 1 targets"; }
check "  ... cdmd logs the reload" wait_until 10 reloaded
write_conf "bogus_key = 1"
systemctl reload cdmd
refused() { journal err | grep -q "$conf: not reloaded"; }
check "a bad configuration on reload: refused, logged as an error" wait_until 10 refused
is "$(prop ActiveState)/$(prop SubState):$(prop MainPID)" "active/running:$pid" \
	"  ... and the same cdmd runs on"
write_conf
systemctl reload cdmd

# 4. SIGKILL
cmp_ok "$(kdamonds_on)" -ge 1 "cdmd's kdamond is on"
kill_main "$pid"
restarted() { p=$(prop MainPID); [ "$p" != 0 ] && [ "$p" != "$pid" ] && running; }
if wait_until 20 restarted; then
	pass "SIGKILL: Restart=on-failure starts a new cdmd (pid $pid, then $(prop MainPID))"
else
	fail "SIGKILL: Restart=on-failure starts a new cdmd" "$(systemctl status --no-pager cdmd)"
fi
is "$(prop NRestarts):$(prop ActiveState)/$(prop SubState)" 1:active/running "  ... NRestarts 1, active (running)"
if journal | grep -q "kdamond [0-9]* was left on by cdmd $pid, which is gone: turned off"; then
	pass "  ... it turns off the kdamond the killed cdmd left on"
else
	fail "  ... it turns off the kdamond the killed cdmd left on" "$(journal | tail -8)"
fi
json=$(cdmctl status --json)
is "$?:$(echo "$json" | get result tracker processes | tr '\n' ' ')" "0:ok damon 1 " \
	"  ... and answers on the socket, tracking with DAMON"
is "$(kdamonds_on)" 1 "  ... one kdamond on, the new cdmd's"
# A stop by SIGKILL (a drop-in for the test): no restart in between
dropin=/run/systemd/system/cdmd.service.d
mkdir -p $dropin
printf '[Service]\nKillSignal=SIGKILL\n' >$dropin/sigkill.conf
systemctl daemon-reload
pid=$(prop MainPID)
systemctl stop cdmd
rm -r $dropin
systemctl daemon-reload
is "$(prop ActiveState):$(prop Result):$(kdamonds_on)" failed:signal:1 \
	"systemctl stop by SIGKILL: failed (signal), the kdamond left on"
check "  ... systemctl start" systemctl start cdmd
if journal | grep -q "kdamond [0-9]* was left on by cdmd $pid, which is gone: turned off"; then
	pass "  ... the new cdmd turns off the kdamond the killed one left on"
else
	fail "  ... the new cdmd turns off the kdamond the killed one left on" "$(journal | tail -8)"
fi
is "$(prop ActiveState)/$(prop SubState)" active/running "  ... and runs"

# 6. stop
peak=$(cat /sys/fs/cgroup/system.slice/cdmd.service/memory.peak 2>/dev/null)
diag "cdmd's cgroup: memory.peak $((${peak:-0} >> 10)) KiB of MemoryMax= 64 MiB"
check "systemctl stop cdmd" systemctl stop cdmd
is "$(prop Result):$(prop ExecMainStatus):$(prop ActiveState)" success:0:inactive \
	"  ... result success, exit 0, inactive"
is "$(kdamonds_on)" 0 "  ... no kdamond left on"
is "$(ls -A /run/cdmd 2>&1 | tr '\n' ' ')" "" "  ... /run/cdmd kept (RuntimeDirectoryPreserve=), empty"
watchdog=$(journalctl -q --no-pager -u cdmd | grep -ci watchdog)
is "$watchdog" 0 "the watchdog never fired"

# 7. the journal
# The journal's priority is the one cdmd gave each line ("<N>" on stderr)
is "$(journal notice | grep -c "^$conf: 1 targets, every 500 ms$")" 3 \
	"the journal: cdmd's 3 starts at notice"
cmp_ok "$(journal info | grep -c "^hc: pid $hc: promote .* pages moved")" -ge 1 \
	"  ... its moves at info"
is "$(journal err | grep -c "^$conf: not reloaded")" 1 "  ... the refused reload at error"
# What else is a warning or worse: the bad reload's line, and the
# kdamonds of the killed cdmds turned off; nothing the sandbox refused
# (an EPERM of SystemCallFilter=, an EACCES of ProtectSystem=)
others=$(journalctl -q --no-pager -u cdmd -t cdmd -o cat -p warning | grep -v -e "^$conf:" \
	-e "^damon: kdamond [0-9]* was left on by cdmd [0-9]*, which is gone: turned off$")
is "$others" "" "  ... no other warning or error"
is "$(journalctl -q --no-pager -u cdmd -t cdmd -o cat | grep -c '^<[0-7]>')" 0 \
	"  ... every line at a priority of its own (no '<N>' left in the text)"
# 8. isolate_cpusets (the stock kernel): the cpuset.mems a killed cdmd
# wrote are given back by the cdmd after it, which finds the killed one's
# record of the old values (/run/cdmd/cpusets) kept across the restart
if [ "$kernel" = stock ]; then
	cg=/sys/fs/cgroup
	mems_allowed() { sed -n 's/^Mems_allowed_list:[[:space:]]*//p' /proc/$1/status; }
	mkdir -p $cg/other.slice
	sleep 1000 &
	sleeper=$!
	echo $sleeper >$cg/other.slice/cgroup.procs
	ctl0=$(grep -c cpuset $cg/cgroup.subtree_control)
	write_conf
	sed -i '/^\[cdmd\]$/a isolate_cpusets = yes' $conf
	check "isolate_cpusets: systemctl start cdmd" systemctl start cdmd
	kept() { [ "$(mems_allowed $sleeper)" = 0 ]; }
	check "  ... other.slice kept to node 0 (its process's Mems_allowed_list 0)" wait_until 10 kept
	pid=$(prop MainPID)
	kill_main "$pid"
	if wait_until 20 restarted; then
		pass "  ... SIGKILL: a new cdmd (pid $pid, then $(prop MainPID))"
	else
		fail "  ... SIGKILL: a new cdmd" "$(systemctl status --no-pager cdmd)"
	fi
	if journal | grep -q "cdmd $pid, which is gone, changed the cpuset.mems of"; then
		pass "  ... which takes over the killed cdmd's record of the old values"
	else
		fail "  ... which takes over the killed cdmd's record of the old values" \
			"$(journal | grep -i cpuset | tail -5)"
	fi
	is "$(mems_allowed $sleeper)" 0 "  ... and keeps other.slice to node 0"
	check "  ... systemctl stop cdmd" systemctl stop cdmd
	is "$(mems_allowed $sleeper):$(grep -c cpuset $cg/cgroup.subtree_control)" "0-1:$ctl0" \
		"  ... stop: other.slice's process may use node 1 again, the controller as before ($ctl0)"
	kill $sleeper
	wait $sleeper 2>/dev/null
	rmdir $cg/other.slice
fi

# 9. tracker = idle inside the sandbox: it writes page_idle's bitmap
# under /sys/kernel/mm and reads the process's pagemap (frame numbers:
# CAP_SYS_ADMIN, CAP_DAC_READ_SEARCH) and /proc/kpageflags. Debian's
# kernel has no idle page tracking: there the unit must fail to start,
# saying why.
kill $hc
wait $hc 2>/dev/null
write_conf
sed -i 's/^tracker = damon$/tracker = idle/' $conf
warnings() { journal | wc -l; journalctl -q --no-pager -u cdmd -t cdmd -o cat -p warning | wc -l; }
if [ -e /sys/kernel/mm/page_idle/bitmap ]; then
	hotcold_start $hot_mib $cold_mib 1 0
	r=$(report)
	is "$(pages "$r" hot 1):$(pages "$r" cold 0)" "$hot_pages:$cold_pages" \
		"tracker = idle: a new hotcold, its hot set on node 1, its cold set on node 0"
	set -- $(warnings)
	lines0=$1 warnings0=$2
	start=$(date +%s)
	check "  ... systemctl start cdmd" systemctl start cdmd
	json=$(cdmctl status --json)
	is "$?:$(echo "$json" | get result tracker processes | tr '\n' ' ')" "0:ok idle 1 " \
		"  ... cdmctl status: tracker idle, 1 process"
	wait_until 120 moved
	cmp_ok $(($(pages "$r" hot 0) * 100)) -ge $((hot_pages * 90)) \
		"  ... hot set on node 0: $(pages "$r" hot 0) of $hot_pages pages after $(($(date +%s) - start)) s"
	cmp_ok $(($(pages "$r" cold 1) * 100)) -ge $((cold_pages * 90)) \
		"  ... cold set on node 1: $(pages "$r" cold 1) of $cold_pages pages"
	check "  ... systemctl stop cdmd" systemctl stop cdmd
	is "$(prop Result):$(prop ExecMainStatus)" success:0 "  ... stopped: result success, exit 0"
	set -- $(warnings)
	if [ "$2" = "$warnings0" ]; then
		pass "  ... no warning or error from cdmd meanwhile"
	else
		fail "  ... no warning or error from cdmd meanwhile" "$(journal | tail -n +$((lines0 + 1)))"
	fi
else
	if systemctl start cdmd 2>/dev/null; then
		fail "tracker = idle, no idle page tracking: the unit fails to start" "it started"
	else
		pass "tracker = idle, no idle page tracking: the unit fails to start"
	fi
	absent() { journal err | grep -q "page_idle/bitmap: the kernel has no idle page tracking"; }
	check "  ... and the journal says why, at error" wait_until 10 absent
	systemctl stop cdmd
	systemctl reset-failed cdmd 2>/dev/null
	is "$(kdamonds_on)" 0 "  ... no kdamond left on"
fi

kill $hc 2>/dev/null	# (gone already where section 9 started none)
diag "cdmd's journal, the first 10 and the last 6 lines:"
journalctl -q --no-pager -u cdmd -o short-monotonic | head -10 | sed 's/^/# /'
journalctl -q --no-pager -u cdmd -o short-monotonic | tail -6 | sed 's/^/# /'
done_testing
