#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdm_private.ko, pools of device-private memory (tests/vm/guest/
# cdm-private.sh): hostile module parameters; the selftests
# (tests/kselftest/cdm-private-tests.c), one result per test; 4 threads
# migrating while the CPU rewrites pages for 60 s (cdm-private-stress.c,
# on 4 CPUs); rmmod with pages on the device; no kernel report. The debug
# kernel runs the same, in more time.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
timeout=900
[ "${CDM_TEST_KERNEL:-cdm}" != debug ] || timeout=2400
vm_tap --topology numa2-4cpu --timeout $timeout -- "$CDM_GUEST_TOP/tests/vm/guest/cdm-private.sh" 60
done_testing
