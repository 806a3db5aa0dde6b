#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Each topology has the nodes, CPUs, memory, HMAT attributes and (CXL)
# devices, regions, dax devices and memory tiers its configs/qemu/*.topo
# claims, on both kernels (CXL machines on the project's), and
# "cdmctl nodes --json" reports the same machine field by field
# (libcdm-nodes.sh, run in the same boot).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
g=$CDM_GUEST_TOP/tests/vm/guest

both() {	# both TOPOLOGY: the guest command running both checks
	echo "$g/topology.sh $1; rc=\$?; $g/libcdm-nodes.sh $1 || exit 1; exit \$rc"
}

for kernel in cdm stock; do
	for topo in numa2 numa3; do
		diag "topology $topo, kernel $kernel"
		vm_tap --topology $topo --kernel $kernel -- sh -c "$(both $topo)"
	done
done
for topo in cxl cxl2 cxl-pmem; do
	diag "topology $topo --cxl-online, kernel cdm"
	vm_tap --topology $topo --cxl-online -- sh -c "$(both $topo)"
done
skip "CXL topologies on the stock kernel" \
	"Debian's kernel lacks CONFIG_CXL_REGION_INVALIDATION_TEST: region commit fails in a VM"
done_testing
