#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# "cdmctl nodes --json" reports what each topology config describes, field
# by field (CPUs, sizes, HMAT, tiers, CDM state, CXL backing).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"

for topo in numa2 numa3; do
	for kernel in cdm stock; do
		diag "topology $topo, kernel $kernel"
		vm_tap --topology $topo --kernel $kernel -- \
			"$CDM_GUEST_TOP/tests/vm/guest/libcdm-nodes.sh" $topo
	done
done
diag "topology numa3, kernel cdm, cdm_nodes=1-2: nodes 1 and 2 are CDM, node 0 is not"
vm_tap --topology numa3 --append cdm_nodes=1-2 -- \
	"$CDM_GUEST_TOP/tests/vm/guest/libcdm-nodes.sh" numa3 1-2
diag "topology cxl --cxl-online, kernel cdm"
vm_tap --topology cxl --cxl-online -- "$CDM_GUEST_TOP/tests/vm/guest/libcdm-nodes.sh" cxl
done_testing
