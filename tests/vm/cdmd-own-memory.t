#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdmd keeps its own memory on the nodes with CPUs when a full node 0
# would send it to a CPU-less node (tests/vm/guest/cdmd-own-memory.sh).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
diag "project kernel, numa2: node 1 CPU-less, ordinary memory"
vm_tap --topology numa2 -- "$CDM_GUEST_TOP/tests/vm/guest/cdmd-own-memory.sh"
done_testing
