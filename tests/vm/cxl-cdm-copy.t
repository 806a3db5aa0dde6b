#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The cxl_cdm copy engine: THP moved to a CXL CDM node and back and
# writers racing the moves, with the CPU engine, with 1, 2 and 4 channels
# of the software DMA provider, with descriptors failing and hanging;
# 4 KiB folios declined by cost; hostile parameters
# (tests/vm/guest/cxl-cdm-copy.sh). CXL memory is emulated access by
# access, so 8 MiB once per case; the debug kernel moves 4 MiB.
# CDM_CXL_COPY_SIZE="MIB ROUNDS" sets another size: "256 10", 256 MiB
# to the node and back 10 times per case, takes about an hour here (the
# guest is given 2 s per MiB moved), far over make check's budget.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
size="8 1"
[ "${CDM_TEST_KERNEL:-cdm}" != debug ] || size="4 1"
size=${CDM_CXL_COPY_SIZE:-$size}
[[ $size =~ ^[1-9][0-9]{0,4}\ [1-9][0-9]{0,3}$ ]] ||
	bail_out "CDM_CXL_COPY_SIZE='$size': want 'MIB ROUNDS', two positive numbers"
set -- $size
timeout=$((900 + $1 * $2 * 2 * 8 * 2))
vm_tap --topology cxl --memory 0=1G --timeout $timeout -- \
	"$CDM_GUEST_TOP/tests/vm/guest/cxl-cdm-copy.sh" $size
done_testing
