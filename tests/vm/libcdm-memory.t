#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# libcdm placement, migration and residency on real pages of numa2, with
# page locations read back from the kernel and content checked:
#  - memtest basic: policies, 4 KiB and THP migration with 1 and 2
#    threads, another process, a process killed mid-migration (-ESRCH),
#    a non-root caller (-EPERM), on the cdm and the stock kernel, and with
#    node 1 marked as coherent device memory (explicit requests still work);
#  - memtest full: node 1 shrunk to 256 MiB, 384 MiB migrated to it;
#  - cdmctl residency/migrate on a live process.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"

memtest=$CDM_GUEST_TOP/build/tests/vm/libcdm/memtest
for kernel in cdm stock; do
	diag "memtest basic, numa2, kernel $kernel"
	vm_tap --topology numa2 --kernel $kernel -- "$memtest" basic
done
diag "memtest basic, numa2, kernel cdm with node 1 a CDM node (cdm_nodes=1)"
vm_tap --topology numa2 --append cdm_nodes=1 -- "$memtest" basic
diag "memtest full: node 1 has 256 MiB, 384 MiB go there"
vm_tap --topology numa2 --memory 1=256M -- "$memtest" full 384
diag "cdmctl residency and migrate"
vm_tap --topology numa2 -- "$CDM_GUEST_TOP/tests/vm/guest/libcdm-cdmctl.sh"
done_testing
