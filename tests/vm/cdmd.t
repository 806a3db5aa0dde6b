#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdmd at work (tests/vm/guest/cdmd.sh): a process's hot set brought to
# the fast node and its cold set to the CDM node by usage, as DAMON sees
# it, every page intact; reloads, a refused configuration, a clean stop.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
diag "project kernel, node 1 a CDM node, DAMON"
vm_tap --append cdm_nodes=1 -- "$CDM_GUEST_TOP/tests/vm/guest/cdmd.sh" damon
done_testing
