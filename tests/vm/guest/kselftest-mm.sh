#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# kselftest-mm.sh: the kernel's own mm selftests that touch page migration
# and NUMA, built by scripts/kselftest-build, their TAP results relayed
# with the selftest's name in front.
#   migration  move_pages(2) of anon, shared, THP and hugetlb memory
#              between the first two nodes while other threads touch it
#              (needs 3 CPUs: numa2-4cpu)
#   hmm-tests  migrate_vma to and from device-private memory of the
#              test_hmm driver (needs CONFIG_TEST_HMM, absent on stock)
. "$CDM_TOP/tests/lib/tap.sh"
k=$CDM_TOP/build/kselftest/mm

relay() {	# relay NAME: prefix NAME to the result lines of a selftest
	sed -e "s/^ok [0-9]* /ok - $1: /" -e "s/^not ok [0-9]* /not ok - $1: /"
}

diag "kernel $(uname -r), has_coherent_device: '$(cat /sys/devices/system/node/has_coherent_device 2>/dev/null || echo absent)'"
# The hugetlb tests migrate huge pages from the default pool.
echo 8 >/proc/sys/vm/nr_hugepages
"$k/migration" 2>&1 | relay migration

if modprobe test_hmm 2>/dev/null; then
	# Debian's default THP mode; with "always" three device-exclusive
	# tests fail on 6.12 with and without cdm (-EBUSY on a THP).
	echo madvise >/sys/kernel/mm/transparent_hugepage/enabled
	"$k/hmm-tests" 2>&1 | relay hmm-tests
	own=0
else
	skip "hmm-tests" "kernel $(uname -r) has no test_hmm module (CONFIG_TEST_HMM)"
	own=1
fi
# The selftests print their own plans; this script only its skip.
done_testing $own
