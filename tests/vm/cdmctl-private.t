#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdmctl devices, migrate --to/--from a device-private pool and residency
# of its pages, on the real cdm_private driver (tests/vm/guest/
# cdmctl-private.sh): counts from the driver, libcdm and numa_maps agree,
# the content survives, hostile requests are refused with the cause.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
vm_tap -- "$CDM_GUEST_TOP/tests/vm/guest/cdmctl-private.sh"
done_testing
