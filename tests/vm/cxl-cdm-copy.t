#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The cxl_cdm copy engine: THP moved to a CXL CDM node and back and
# writers racing the moves, with the CPU engine, with 1, 2 and 4 channels
# of the software DMA provider, with descriptors failing and hanging;
# 4 KiB folios declined by cost; hostile parameters
# (tests/vm/guest/cxl-cdm-copy.sh). CXL memory is emulated access by
# access, so 8 MiB once per case; the debug kernel moves 4 MiB.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
size="8 1"
[ "${CDM_TEST_KERNEL:-cdm}" != debug ] || size="4 1"
vm_tap --topology cxl --memory 0=1G -- "$CDM_GUEST_TOP/tests/vm/guest/cxl-cdm-copy.sh" $size
done_testing
