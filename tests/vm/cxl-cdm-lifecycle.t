#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The cxl_cdm driver's life cycle (tests/vm/guest/cxl-cdm-lifecycle.sh):
# offline refused, for want of room on node 0, with nothing lost; 50
# rounds of load, bind, unbind and unload while another process migrates
# its pages to the CDM node and back; default allocations past node 0
# kept off the CDM node, where the same memory onlined by kmem takes them.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
timeout=1500
[ "${CDM_TEST_KERNEL:-cdm}" != debug ] || timeout=3000
vm_tap --topology cxl --memory 0=1G --timeout $timeout -- \
	"$CDM_GUEST_TOP/tests/vm/guest/cxl-cdm-lifecycle.sh" 50
done_testing
