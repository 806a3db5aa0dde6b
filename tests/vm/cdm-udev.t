#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# configs/udev/90-cdm-cxl.rules under a real systemd-udevd: CXL ram
# regions that kmem holds become CDM nodes, whether assembled before udev
# started (replayed by udevadm trigger, as at boot) or while it runs; a
# device_dax device is left alone (tests/vm/guest/cdm-udev.sh).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
vm_tap --topology cxl2 -- "$CDM_GUEST_TOP/tests/vm/guest/cdm-udev.sh"
done_testing
