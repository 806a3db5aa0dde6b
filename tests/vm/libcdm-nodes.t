#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# "cdmctl nodes --json" reports what each topology config describes, field
# by field (CPUs, sizes, HMAT, tiers, CDM state, CXL backing). The plain
# numa2, numa3 and cxl machines on both kernels are checked in the same
# boots as their topology (topology.t); here, CDM nodes from cdm_nodes=,
# and a node that two CXL regions back.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"

diag "topology numa3, kernel cdm, cdm_nodes=1-2: nodes 1 and 2 are CDM, node 0 is not"
vm_tap --topology numa3 --append cdm_nodes=1-2 -- \
	"$CDM_GUEST_TOP/tests/vm/guest/libcdm-nodes.sh" numa3 1-2

diag "topology cxl-rp2, kernel cdm: one expander split into two regions, one node with two backings"
vm_tap --topology cxl-rp2 -- "$CDM_GUEST_TOP/tests/vm/guest/libcdm-backings.sh"
done_testing
