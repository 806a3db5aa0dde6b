# SPDX-License-Identifier: GPL-2.0-or-later
#
# Host side of VM tests (bash). Source after tap.sh:
#
#   vm_tap [VM-RUN OPTIONS] -- GUEST-CMD [ARGS...]
#
# boots a guest with scripts/vm-run, relays the TAP results the guest
# command prints into this test's stream (its plan is dropped; done_testing
# prints the combined one) and fails once more when the guest exits non-zero
# without reporting a failure itself, e.g. when it did not boot.
#
# The guest sees the repository's tests/, configs/ and build/ under /cdm
# (CDM_TOP), so guest commands name files as "$CDM_TOP/tests/...".

cdm_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CDM_GUEST_TOP=/cdm

vm_tap() {
	local line rc=0 failed_before=$tap_failed results_before=$tap_run
	while IFS= read -r line; do
		case "$line" in
		"cdm-vm-run-exit "*) rc=${line#cdm-vm-run-exit } ;;
		"ok"|"ok "*) pass "${line#ok*- }" ;;
		"not ok"|"not ok "*)
			tap_run=$((tap_run + 1)) tap_failed=$((tap_failed + 1))
			printf 'not ok - %s\n' "${line#not ok*- }" ;;
		[0-9]*..[0-9]*) ;;
		"#"*) printf '%s\n' "$line" ;;
		*) printf '# %s\n' "$line" ;;
		esac
	done < <("$cdm_top/scripts/vm-run" "$@"; echo "cdm-vm-run-exit $?")
	# Skip lines came through pass() with their directive intact.
	if [ "$rc" -ne 0 ] && [ "$tap_failed" -eq "$failed_before" ]; then
		fail "vm-run $* exited $rc"
	elif [ "$tap_run" -eq "$results_before" ]; then
		fail "vm-run $* reported no results"
	fi
}
