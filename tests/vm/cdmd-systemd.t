#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdmd through configs/cdmd.service as make install lays it down, under
# systemd as PID 1 (tests/vm/guest/cdmd-systemd.sh): started (READY=1),
# at work in its sandbox, reloaded, restarted after SIGKILL, watched by
# the watchdog, stopped cleanly, its lines in the journal; then with the
# idle tracker (on the stock kernel, which has none: refused, saying
# why). On the project's kernel and on Debian's stock kernel, whose
# seccomp and cgroup BPF make systemd apply the rest of the unit's
# hardening.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
diag "project kernel, node 1 a CDM node"
vm_tap --init=systemd --append cdm_nodes=1 -- "$CDM_GUEST_TOP/tests/vm/guest/cdmd-systemd.sh"
diag "Debian's stock kernel, node 1 CPU-less: seccomp and the IP firewall in force"
vm_tap --init=systemd --kernel stock -- "$CDM_GUEST_TOP/tests/vm/guest/cdmd-systemd.sh" stock
done_testing
