#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vm_tap (tests/lib/vm.sh) relays a guest's TAP and fails the guest's run
# whenever the guest or its kernel went wrong, even when every result the
# guest printed was "ok": a bail-out, a missing or short plan, a non-zero
# exit, a kernel report (vm-run exit 123). A stand-in for scripts/vm-run
# replays what a guest prints, so this needs no VM.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/vm.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fake_guest RC: a vm-run that prints stdin's lines and exits RC.
cat >"$tmp/vm-run" <<'FAKE'
#!/bin/bash
cat "$FAKE_GUEST_OUT"
exit "$FAKE_GUEST_RC"
FAKE
chmod +x "$tmp/vm-run"
export CDM_VM_RUN=$tmp/vm-run FAKE_GUEST_OUT=$tmp/guest

# relay RC LINES...: what vm_tap prints for a guest printing LINES and
# exiting RC, as "PASSED FAILED" counts.
relay() {
	local rc=$1
	shift
	printf '%s\n' "$@" >"$tmp/guest"
	FAKE_GUEST_RC=$rc bash -c '
		. "$1/tests/lib/tap.sh"; . "$1/tests/lib/vm.sh"
		vm_tap -- guest >"$2/relayed"
		echo "$((tap_run - tap_failed)) $tap_failed"' _ "$cdm_top" "$tmp"
}

is "$(relay 0 'ok - a' 'ok - b' '1..2')" "2 0" "a guest with two results and its plan: 2 passed"
grep -q '^ok - b$' "$tmp/relayed" && pass "results are relayed as they were" ||
	fail "results are relayed as they were" "$(cat "$tmp/relayed")"
is "$(relay 1 'ok - a' 'not ok - b' '1..2')" "1 1" "a guest failure is relayed, not counted twice"
is "$(relay 1 'ok - a' 'Bail out! no CXL dax device')" "1 1" "Bail out! fails the run"
check "the bail-out's reason is in the failure" grep -q '^not ok - the guest bailed out: no CXL dax device' "$tmp/relayed"
check "and is no comment" sh -c "! grep -q '^# Bail out' '$tmp/relayed'"
is "$(relay 0 'ok - a' 'ok - b')" "2 1" "a guest that printed no plan fails (it stopped early)"
is "$(relay 0 'ok - a' '1..2')" "1 1" "a plan of 2 with 1 result fails"
check "saying how many were planned" grep -q 'planned 2 results and printed 1' "$tmp/relayed"
is "$(relay 0 'ok - a' '1..1' 'ok - b' 'ok - c' '1..2')" "3 0" "two guest scripts in one boot: their plans add up"
is "$(relay 123 'ok - a' '1..1')" "1 1" "vm-run exit 123 (kernel report) fails a guest whose results all passed"
check "naming the kernel report" grep -q 'guest kernel reported a problem' "$tmp/relayed"
is "$(relay 125)" "0 1" "a guest that did not boot fails once"
is "$(relay 3 'ok - a' '1..1')" "1 1" "a guest exiting non-zero without a failed result fails"
is "$(relay 0 'ok - a # SKIP no device' '1..1')" "1 0" "a skip is relayed as a skip"
check "with its directive" grep -q '^ok - a # SKIP no device$' "$tmp/relayed"

# done_testing EXPECTED in a guest script catches a short run.
out=$(bash -c '. "$1/tests/lib/tap.sh"; pass one; pass two; done_testing 3' _ "$cdm_top")
is "$?" 1 "done_testing 3 after 2 results exits non-zero"
check "saying how many ran" grep -q '^not ok - ran 2 results, expected 3$' <<<"$out"
out=$(bash -c '. "$1/tests/lib/tap.sh"; pass one; done_testing 1' _ "$cdm_top")
is "$?:$out" "0:ok - one
1..1" "done_testing 1 after 1 result: plan 1..1, exit 0"
out=$(bash -c '. "$1/tests/lib/tap.sh"; bail_out "no memdev"; pass never' _ "$cdm_top")
is "$?:$out" "1:Bail out! no memdev" "bail_out prints Bail out! and stops the script"

done_testing
