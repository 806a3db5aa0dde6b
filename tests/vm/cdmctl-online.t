#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdmctl online and offline on the real cxl_cdm driver: a CXL region's
# dax device, held by device_dax, onlined as a CDM node and taken back,
# with the kernel's refusals (tests/vm/guest/cdmctl-online.sh).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
vm_tap --topology cxl --memory 0=1G -- "$CDM_GUEST_TOP/tests/vm/guest/cdmctl-online.sh"
done_testing
