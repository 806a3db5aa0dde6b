# SPDX-License-Identifier: GPL-2.0-or-later
#
# TAP for POSIX sh: bash on the host, busybox sh in the guest.
# Results are unnumbered ("ok - ..."), which TAP allows, so the results of
# several guests can be relayed into one stream; done_testing prints the
# plan at the end and exits non-zero when something failed.
#
#   pass DESC / fail DESC [DIAG...]
#   check DESC CMD [ARGS...]     ok when CMD exits 0 (its output becomes diag)
#   is GOT WANT DESC             string equality
#   cmp_ok A OP B DESC           numeric comparison: -eq -ne -lt -le -gt -ge
#   has DESC TEXT PART           TEXT holds the string PART
#   skip DESC REASON             counted as ok, marked SKIP with the reason
#   diag MSG...                  "# MSG" on stdout
#   bail_out REASON              "Bail out! REASON", exit 1: the script
#                                cannot go on (its harness fails it)
#   done_testing [EXPECTED]      plan, then exit status; with EXPECTED, a
#                                script that ran another number of results
#                                (a loop that ran too few times, a block
#                                skipped) fails once more, saying so

tap_run=0
tap_failed=0

diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

pass() {
	tap_run=$((tap_run + 1))
	printf 'ok - %s\n' "$1"
}

fail() {
	tap_run=$((tap_run + 1))
	tap_failed=$((tap_failed + 1))
	printf 'not ok - %s\n' "$1"
	shift
	[ $# -eq 0 ] || diag "$@"
}

check() {
	_desc=$1
	shift
	if _out=$("$@" 2>&1); then
		pass "$_desc"
	else
		fail "$_desc" "command failed (exit $?): $*" "$_out"
	fi
}

is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3" "got:  '$1'" "want: '$2'"
	fi
}

cmp_ok() {
	if [ "$1" "$2" "$3" ] 2>/dev/null; then
		pass "$4"
	else
		fail "$4" "want: $1 $2 $3"
	fi
}

has() {
	case "$2" in
	*"$3"*) pass "$1" ;;
	*) fail "$1" "want: '$3'" "got:  '$2'" ;;
	esac
}

skip() {
	tap_run=$((tap_run + 1))
	printf 'ok - %s # SKIP %s\n' "$1" "$2"
}

bail_out() {
	printf 'Bail out! %s\n' "$*"
	exit 1
}

done_testing() {
	if [ $# -gt 0 ] && [ "$tap_run" -ne "$1" ]; then
		fail "ran $tap_run results, expected $1"
	fi
	printf '1..%d\n' "$tap_run"
	[ "$tap_failed" -eq 0 ]
	exit
}
