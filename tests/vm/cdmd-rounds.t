#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdmd's rounds on a slow node (tests/vm/guest/cdmd-rounds.sh): moving to
# emulated CXL memory, about 1 MiB/s under QEMU, cdmd still answers its
# control socket within a few seconds, rounds stay short, and the moves
# go on to the end with every page intact.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
diag "project kernel, the CXL memory onlined as a CDM node"
vm_tap --topology cxl --cxl-online=cdm -- "$CDM_GUEST_TOP/tests/vm/guest/cdmd-rounds.sh"
done_testing
