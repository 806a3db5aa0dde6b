# SPDX-License-Identifier: GPL-2.0-or-later
#
# Guest side (busybox sh): keep the test's own shells off CXL memory.
#
# QEMU 10.0.2's TCG emulates a CXL memory window as MMIO and crashes the
# whole guest (SIGSEGV in its FXSAVE/XSAVE helpers) when a signal frame
# spans a RAM page below a CXL page (configs/qemu/README). busybox sh handles
# SIGCHLD, so a shell whose older stack pages were demoted, or swapped
# back in, onto a CXL node can bring the guest down at its next child's
# exit. Tests that push ordinary memory onto a CXL node (the non-CDM
# baselines) call shelter first:
#
#   shelter        /init and the calling shell move to a cgroup that
#                  allocates only from the nodes with CPUs (cpuset.mems)
#                  and that reclaim, hence demotion, leaves alone
#                  (memory.min); the test's workloads start in a sibling
#                  cgroup with every node, placed as the test intends
#                  (hold, from holder.sh, and in_open do that).
#   in_open CMD... run CMD in that sibling cgroup, killable by the OOM
#                  killer (oom_score_adj 0) like hold's holders
#
# Without shelter, in_open and hold run CMD where the caller is.

shelter() {
	_cg=/sys/fs/cgroup
	echo "+cpuset +memory" >$_cg/cgroup.subtree_control || return 1
	mkdir -p $_cg/cdm-harness $_cg/cdm-open || return 1
	cat /sys/devices/system/node/has_cpu >$_cg/cdm-harness/cpuset.mems &&
		echo max >$_cg/cdm-harness/memory.min &&
		echo 1 >$_cg/cdm-harness/cgroup.procs &&
		echo $$ >$_cg/cdm-harness/cgroup.procs || return 1
	CDM_OPEN_CGROUP=$_cg/cdm-open
	export CDM_OPEN_CGROUP
}

in_open() {
	# The workload may be OOM-killed even where the test's shell may not.
	sh -c 'echo 0 >/proc/self/oom_score_adj || exit 125
		[ -z "$CDM_OPEN_CGROUP" ] || echo $$ >"$CDM_OPEN_CGROUP/cgroup.procs" || exit 125
		exec "$@"' sh "$@"
}
