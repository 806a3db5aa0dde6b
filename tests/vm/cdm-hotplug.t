#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Device memory hot-added as a CDM node with cdm_add_memory() (the CXL
# region's range, handed over by tests/kernel/cdm_test_hotplug.ko) and
# removed with cdm_remove_memory(); the same range onlined by daxctl as an
# ordinary node is the baseline that shows the isolation test can fail.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
vm_tap --topology cxl --memory 0=1G -- "$CDM_GUEST_TOP/tests/vm/guest/cdm-hotplug.sh"
done_testing
