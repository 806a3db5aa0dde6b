#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/vm-run behaves as documented: exit status, separate and lossless
# stdout/stderr, argument quoting, --share, --memory, kernel reports (123),
# timeout (124) and a guest that does not boot (125). Usage errors (2) are
# in tests/host.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
vmrun=$cdm_top/scripts/vm-run
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The guest's stderr without vm-run's own lines (e.g. a boot retry notice).
guest_err() { grep -v -e '^vm-run' -e '^  | ' "$1"; }

"$vmrun" -- sh -c 'echo to-stdout; echo to-stderr >&2; exit 7' >"$tmp/out" 2>"$tmp/err"
is "$?" 7 "the command's exit status is vm-run's"
is "$(cat "$tmp/out")" to-stdout "stdout arrives on stdout only"
is "$(guest_err "$tmp/err")" to-stderr "stderr arrives on stderr only"
check "a failure without a kernel complaint shows no console lines" \
	sh -c "! grep -q 'the guest kernel said' '$tmp/err'"

"$vmrun" -- printf '%s|' "a b" "it's" '$HOME' '*' >"$tmp/out"
is "$(cat "$tmp/out")" "a b|it's|\$HOME|*|" "arguments reach the guest unchanged (spaces, quotes, \$, globs)"

# 4 MiB of random bytes, their checksum computed in the guest on stderr.
"$vmrun" -- sh -c 'head -c 4194304 /dev/urandom >/tmp/r; sha1sum </tmp/r >&2; cat /tmp/r' \
	>"$tmp/bytes" 2>"$tmp/err"
is "$(sha1sum <"$tmp/bytes")" "$(guest_err "$tmp/err")" "4 MiB of binary stdout arrive byte for byte"

echo host >"$tmp/from-host"
"$vmrun" --share "$tmp" -- sh -c 'cat /mnt/share/from-host >/mnt/share/copy; echo guest >/mnt/share/new'
is "$(cat "$tmp/copy" 2>/dev/null)/$(cat "$tmp/new" 2>/dev/null)" host/guest "--share: the guest reads and writes the host directory"

mib=$("$vmrun" --memory 1=1G -- awk '/MemTotal/ { print int($4 / 1024) }' /sys/devices/system/node/node1/meminfo)
cmp_ok "${mib:-0}" -ge 870 "--memory 1=1G: node 1 has about 1 GiB ($mib MiB)"
cmp_ok "${mib:-0}" -le 1024 "--memory 1=1G: node 1 has no more than 1 GiB"

start=$SECONDS
"$vmrun" --timeout 15 -- sleep 600 2>"$tmp/err"
rc=$?
is "$rc" 124 "a command running past --timeout gives 124"
cmp_ok $((SECONDS - start)) -lt 60 "the timeout stops the guest promptly ($((SECONDS - start)) s)"
check "the timeout message names the command" grep -q "timeout: 'sleep 600'" "$tmp/err"

# No init in the initramfs at rdinit=: the kernel panics, the guest never
# runs the command.
"$vmrun" --append rdinit=/does-not-exist -- true 2>"$tmp/err"
is "$?" 125 "a guest that does not boot gives 125"
check "and vm-run shows the console's last lines" grep -q '  | ' "$tmp/err"
check "and what the kernel complained about" grep -q "the guest kernel said:" "$tmp/err"

# A kernel report while the command runs fails the command whatever its
# own status (123), and vm-run shows the report; a test that provokes one
# on purpose says so beforehand and gets its own status back.
"$vmrun" -- sh -c 'echo "WARNING: CPU: 0 PID: 1 at mm/cdm.c:1 from the test" >/dev/kmsg; exit 0' 2>"$tmp/err"
is "$?" 123 "a kernel WARNING while the command runs: exit 123, although the command exited 0"
check "and vm-run shows the report" grep -q "reported a problem.*|.*WARNING: CPU: 0 PID: 1 at mm/cdm.c:1 from the test" \
	<(tr '\n' '|' <"$tmp/err")
for report in "BUG: KASAN: slab-use-after-free in cdm_test" "INFO: task sh:1 blocked for more than 120 seconds." \
	"kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)" \
	"rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:"; do
	"$vmrun" -- sh -c "echo '$report' >/dev/kmsg" 2>"$tmp/err"
	rc=$?
	is "$rc" 123 "'$report' fails the command (123)"
	[ "$rc" = 123 ] || diag "vm-run said:" "$(tail -n 20 "$tmp/err")"
done
# A stall while the command runs stops the guest once the kernel had time
# to print its dumps, not at the timeout (a lost vCPU timer once held CI
# for 900 s).
start=$SECONDS
"$vmrun" -- sh -c "echo 'rcu: INFO: rcu_sched detected stalls on CPUs/tasks:' >/dev/kmsg; sleep 600" 2>"$tmp/err"
is "$?" 123 "an RCU stall while the command runs: 123"
cmp_ok $((SECONDS - start)) -lt 120 "and the guest is stopped promptly ($((SECONDS - start)) s, the command sleeps 600 s)"

# QEMU killed by a signal before the command started (CI once saw QEMU
# abort while the guest enumerated PCI): vm-run says what QEMU said and
# boots again. A qemu-system-x86_64 first in PATH aborts its first boot.
mkdir "$tmp/bin"
cat >"$tmp/bin/qemu-system-x86_64" <<EOF
#!/bin/sh
real=\$(PATH=$PATH command -v qemu-system-x86_64)
if [ "\$1" != --version ] && mkdir "$tmp/aborted" 2>/dev/null; then
	echo "qemu-system-x86_64: hw/test.c:1: injected: Assertion '0' failed." >&2
	kill -ABRT \$\$
fi
exec "\$real" "\$@"
EOF
chmod +x "$tmp/bin/qemu-system-x86_64"
PATH=$tmp/bin:$PATH "$vmrun" -- sh -c 'echo ran' >"$tmp/out" 2>"$tmp/err"
is "$?" 0 "QEMU aborting at boot: the guest is booted again and the command runs"
is "$(cat "$tmp/out")" ran "and the command ran once"
check "vm-run says what QEMU said" grep -q "qemu: .*injected: Assertion" "$tmp/err"
check "and names the signal" grep -q "QEMU died of signal 6 while the guest booted; booting it again" "$tmp/err"

# A CPU whose timers do not fire at boot (the QEMU TCG fault): init finds
# it before the command starts, vm-run boots twice more, then gives up
# with 125. The injection makes CPU 1's sleeper never wake.
start=$SECONDS
"$vmrun" --append cdm_vm.test_dead_timer=1 -- sh -c 'echo ran' >"$tmp/out" 2>"$tmp/err"
is "$?" 125 "a CPU without timer interrupts at every boot: 125"
is "$(cat "$tmp/out")" "" "and the command never ran"
is "$(grep -c "stalled while booting.*booting it again" "$tmp/err")" 2 "vm-run booted the guest twice more"
check "and says which CPU init found" grep -q "CPU 1 did not wake a task sleeping on it" "$tmp/err"
cmp_ok $((SECONDS - start)) -lt 240 "and gives up promptly ($((SECONDS - start)) s)"

"$vmrun" --allow-kernel-report 'from the test' -- \
	sh -c 'echo "WARNING: CPU: 0 PID: 1 at mm/cdm.c:1 from the test" >/dev/kmsg; exit 6' 2>"$tmp/err"
is "$?" 6 "--allow-kernel-report matching the WARNING: the command's own status"
check "and vm-run still repeats the kernel's words" grep -q "WARNING: CPU: 0 PID: 1 at mm/cdm.c:1 from the test" "$tmp/err"
"$vmrun" --allow-kernel-report 'from the test' -- \
	sh -c 'echo "WARNING: from the test" >/dev/kmsg; echo "BUG: unexpected" >/dev/kmsg' 2>"$tmp/err"
rc=$?
is "$rc" 123 "--allow-kernel-report excuses only the reports it matches"
# any other status (125: the guest did not boot, once in a make check):
# what vm-run said
[ "$rc" = 123 ] || diag "vm-run said: $(tail -n 12 "$tmp/err")"
check "and the report shown is the unexcused one" grep -q "reported a problem" "$tmp/err"

done_testing
