#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdmd at work (tests/vm/guest/cdmd.sh): a process's hot set brought to
# the fast node and its cold set to the CDM node by usage, as DAMON sees
# it (or idle page tracking), every page intact; reloads, a refused
# configuration, a clean stop; on Debian's stock kernel too, which has no
# CDM nodes: there cdmd tiers CPU-less nodes and says they are not
# isolated.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
diag "project kernel, node 1 a CDM node, DAMON"
vm_tap --append cdm_nodes=1 -- "$CDM_GUEST_TOP/tests/vm/guest/cdmd.sh" damon
diag "project kernel, node 1 a CDM node, idle page tracking"
vm_tap --append cdm_nodes=1 -- "$CDM_GUEST_TOP/tests/vm/guest/cdmd.sh" idle
diag "Debian's stock kernel, node 1 CPU-less, tracker auto"
vm_tap --kernel stock -- "$CDM_GUEST_TOP/tests/vm/guest/cdmd.sh" auto stock
done_testing
