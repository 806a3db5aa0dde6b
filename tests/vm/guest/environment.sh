#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# environment.sh: the guest vm-run promises: tools on PATH, filesystems
# mounted, the running kernel's modules installed and loadable.
. "$CDM_TOP/tests/lib/tap.sh"

# 15 results on every kernel, 3 or 1 kernel-specific, 1 with a share.
expected=15
is "$(id -u)" 0 "the command runs as root"
# Each tool runs with its libraries found: a harmless invocation per tool.
check "busybox runs" busybox true
check "numactl runs" numactl --show
check "migratepages runs" sh -c 'migratepages 2>&1 | grep -q usage'
check "cxl runs" cxl list
check "ndctl runs" ndctl list
check "daxctl runs" daxctl list
check "kmod runs (what daxctl loads modules through)" kmod --version
for fs in "debugfs /sys/kernel/debug" "tracefs /sys/kernel/tracing" "cgroup2 /sys/fs/cgroup" "proc /proc" "sysfs /sys"; do
	set -- $fs
	check "$1 is mounted at $2" sh -c "awk '\$2 == \"$2\" && \$3 == \"$1\"' /proc/mounts | grep -q ."
done
mods=/lib/modules/$(uname -r)
check "$mods/modules.builtin exists" test -s "$mods/modules.builtin"
check "$mods is depmod'ed (modules.dep.bin)" test -s "$mods/modules.dep.bin"
case "$(uname -r)" in
*-cdm)
	check "modprobe test_hmm loads the running kernel's module" modprobe test_hmm
	check "test_hmm gives /dev/hmm_dmirror0" test -c /dev/hmm_dmirror0
	check "the project's kernel has DEVICE_PRIVATE" sh -c "zcat /proc/config.gz | grep -qx CONFIG_DEVICE_PRIVATE=y"
	expected=$((expected + 3)) ;;
*)
	check "modprobe kmem (dax/kmem) from the stock kernel's modules" modprobe kmem
	expected=$((expected + 1)) ;;
esac
if [ -d /mnt/share ] && grep -q ' /mnt/share 9p ' /proc/mounts; then
	check "the 9p share is writable" sh -c 'echo guest >/mnt/share/from-guest'
	expected=$((expected + 1))
fi

done_testing $expected
