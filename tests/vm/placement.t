#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# numactl --membind and move_pages(2) place pages on the CPU-less node of
# numa2, verified by the kernel's page locations and content checksums.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"

for kernel in cdm stock; do
	diag "kernel $kernel"
	vm_tap --topology numa2 --kernel $kernel -- "$CDM_GUEST_TOP/tests/vm/guest/placement.sh"
done
done_testing
