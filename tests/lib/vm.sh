# SPDX-License-Identifier: GPL-2.0-or-later
#
# Host side of VM tests (bash). Source after tap.sh:
#
#   vm_tap [VM-RUN OPTIONS] -- GUEST-CMD [ARGS...]
#
# boots a guest with scripts/vm-run and relays the TAP results the guest
# command prints into this test's stream (its plan is dropped; done_testing
# prints the combined one). The guest's run fails once more when
#  - it printed "Bail out!" (relayed as a failure, never as a comment),
#  - it printed no plan, or plans (one per guest script or program) that
#    do not add up to the results it printed: something stopped early,
#  - vm-run exited non-zero without the guest reporting a failure itself:
#    the guest did not boot, its kernel reported a problem (123), or the
#    command failed silently.
#
# CDM_VM_RUN replaces scripts/vm-run (tests/host/vm-tap.t).
#
# The guest sees the repository's tests/, configs/ and build/ under /cdm
# (CDM_TOP), so guest commands name files as "$CDM_TOP/tests/...".

cdm_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CDM_GUEST_TOP=/cdm

vm_tap() {
	local line rc=0 failed_before=$tap_failed results_before=$tap_run
	local plan="" bailed=""
	while IFS= read -r line; do
		case "$line" in
		"cdm-vm-run-exit "*) rc=${line#cdm-vm-run-exit } ;;
		"ok"|"ok "*) pass "${line#ok*- }" ;;
		"not ok"|"not ok "*)
			tap_run=$((tap_run + 1)) tap_failed=$((tap_failed + 1))
			printf 'not ok - %s\n' "${line#not ok*- }" ;;
		"Bail out!"*)
			bailed=${line#Bail out!}
			fail "the guest bailed out:${bailed:- (no reason given)}" ;;
		1..[0-9]*) plan=$((${plan:-0} + ${line#1..})) ;;	# one per guest script
		"#"*) printf '%s\n' "$line" ;;
		*) printf '# %s\n' "$line" ;;
		esac
	done < <("${CDM_VM_RUN:-$cdm_top/scripts/vm-run}" "$@"; echo "cdm-vm-run-exit $?")
	local ran=$((tap_run - results_before))
	[ -z "$bailed" ] || ran=$((ran - 1))
	# Skip lines came through pass() with their directive intact.
	if [ "$rc" -eq 123 ]; then
		fail "the guest kernel reported a problem (vm-run exit 123; report above)"
	elif [ "$rc" -ne 0 ] && [ "$tap_failed" -eq "$failed_before" ]; then
		fail "vm-run $* exited $rc"
	elif [ "$ran" -eq 0 ] && [ -z "$bailed" ]; then
		fail "vm-run $* reported no results"
	elif [ -z "$plan" ] && [ -z "$bailed" ]; then
		fail "the guest printed no plan after its $ran results (it stopped early)"
	elif [ -n "$plan" ] && [ "$plan" -ne "$ran" ]; then
		fail "the guest planned $plan results and printed $ran"
	fi
}
