#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The guest environment vm-run promises, on both kernels.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"

share=$(mktemp -d)
trap 'rm -rf "$share"' EXIT
for kernel in cdm stock; do
	diag "kernel $kernel"
	rm -f "$share/from-guest"
	vm_tap --kernel $kernel --share "$share" -- "$CDM_GUEST_TOP/tests/vm/guest/environment.sh"
	is "$(cat "$share/from-guest" 2>/dev/null)" guest "$kernel: a file the guest wrote to /mnt/share is on the host"
done
done_testing
