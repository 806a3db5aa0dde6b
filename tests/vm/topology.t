#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Each topology has the nodes, CPUs, memory, HMAT attributes and (cxl)
# memory tiers its configs/qemu/*.topo claims, on both kernels.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"

for kernel in cdm stock; do
	for topo in numa2 numa3; do
		diag "topology $topo, kernel $kernel"
		vm_tap --topology $topo --kernel $kernel -- "$CDM_GUEST_TOP/tests/vm/guest/topology.sh" $topo
	done
done
diag "topology cxl --cxl-online, kernel cdm"
vm_tap --topology cxl --cxl-online -- "$CDM_GUEST_TOP/tests/vm/guest/topology.sh" cxl
skip "topology cxl on the stock kernel" \
	"Debian's kernel lacks CONFIG_CXL_REGION_INVALIDATION_TEST: region commit fails in a VM"
done_testing
