#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdmd against the oracle (tests/vm/guest/cdmd-score.sh): a workload that
# starts entirely on the CXL node, node 0 with room for its hot set only;
# cdmd's default policy brings the hot set to node 0 within a bounded
# number of intervals, keeps the cold set on the CXL node, and moves no
# page more than twice (the ping-pong bound), page locations read back
# from the kernel.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
diag "project kernel, the CXL memory onlined as a CDM node, node 0 512 MiB"
vm_tap --topology cxl --cxl-online=cdm --memory 0=512M -- "$CDM_GUEST_TOP/tests/vm/guest/cdmd-score.sh"
done_testing
