#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The cxl_cdm driver onlines a CXL region's dax device as a coherent
# device memory node and takes it back (tests/vm/guest/cxl-cdm.sh), and
# vm-run --cxl-online=cdm onlines every CXL expander through it (cxl2:
# two CDM nodes, a bind mask naming both uses both).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
vm_tap --topology cxl --memory 0=1G -- "$CDM_GUEST_TOP/tests/vm/guest/cxl-cdm.sh"

# QEMU emulates CXL memory access by access: small allocations.
out=$("$cdm_top/scripts/vm-run" --topology cxl2 --cxl-online=cdm -- sh -c '
	where() { "$CDM_TOP/build/tests/vm/policy-alloc" "$@" | awk "\$1 == \"node\" && \$3 > 0 { printf \"%s:%s \", \$2, \$3 }"; echo; }
	cat /sys/devices/system/node/has_coherent_device
	for d in /sys/bus/dax/devices/dax*; do basename "$(readlink -f $d/driver)"; done | sort -u
	where interleave 1,2 16
	where bind 2 16
	where default - 16')
is "$(echo "$out" | sed -n 1p)" "1-2" "cxl2 --cxl-online=cdm: nodes 1 and 2 are CDM"
is "$(echo "$out" | sed -n 2p)" "cxl_cdm" "  ... both dax devices are cxl_cdm's"
is "$(echo "$out" | sed -n 3p)" "1:2048 2:2048 " "  ... MPOL_INTERLEAVE over 1,2: 16 MiB split between both"
is "$(echo "$out" | sed -n 4p)" "2:4096 " "  ... MPOL_BIND to node 2: all there"
is "$(echo "$out" | sed -n 5p)" "0:4096 " "  ... a default allocation: all on node 0"
done_testing
