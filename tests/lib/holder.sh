# SPDX-License-Identifier: GPL-2.0-or-later
#
# Guest side (busybox sh): helpers around tests/vm/policy-alloc, which
# places memory by a policy and reports where the kernel put it
# ("node ID COUNT" lines, then "content ok|corrupt").
#
#   count REPORT NODE       pages a report puts on NODE
#   hold NAME [VAR=VAL...] ARGS...
#                           start "policy-alloc ARGS..." keeping its memory
#                           (VAR=VAL: more POLICY_ALLOC_* settings); waits
#                           until it placed and checked it, or died (the
#                           OOM killer), sets held_pid; its first report is
#                           /tmp/NAME.start.
#   report NAME PID         ask that holder for a fresh report, print it
#
# Reports come back within 300 s or are empty (the test then fails on
# them): faulting in hundreds of MiB under swap on the debug kernel, or on
# a CXL node, whose every access QEMU emulates, takes minutes. A holder
# that is gone gives an empty report at once.

count() {
	echo "$1" | awk -v n="$2" '$1 == "node" && $2 == n { c = $3 } END { print c + 0 }'
}

# holder_alive PID: PID has not exited (an exited child stays a zombie
# until the shell reaps it)
holder_alive() {
	case "$(sed -n 's/^State:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)" in
	"" | Z* | X*) return 1 ;;
	esac
}

holder_wait() {	# holder_wait FILE PID: until FILE has its content line or PID is gone
	_i=0
	while ! grep -q '^content' "$1" 2>/dev/null && [ $_i -lt 3000 ]; do
		holder_alive "$2" || break
		sleep 0.1
		_i=$((_i + 1))
	done
}

hold() {
	_name=$1 _env=
	shift
	while case "$1" in *=*) true ;; *) false ;; esac; do
		_env="$_env $1"
		shift
	done
	rm -f "/tmp/$_name" "/tmp/$_name.start"
	# The holder may be OOM-killed even where the test's shell may not.
	# shellcheck disable=SC2086 # VAR=VAL words, no spaces in them
	# Under shelter (shelter.sh) it runs in the cgroup with every node.
	env POLICY_ALLOC_HOLD="/tmp/$_name" $_env sh -c \
		'echo 0 >/proc/self/oom_score_adj &&
		{ [ -z "$CDM_OPEN_CGROUP" ] || echo $$ >"$CDM_OPEN_CGROUP/cgroup.procs"; } &&
		exec "$0" "$@"' \
		"$CDM_TOP/build/tests/vm/policy-alloc" "$@" >"/tmp/$_name.start" 2>&1 &
	held_pid=$!
	holder_wait "/tmp/$_name.start" "$held_pid"
}

report() {
	rm -f "/tmp/$1"
	kill -USR1 "$2"
	holder_wait "/tmp/$1" "$2"
	cat "/tmp/$1" 2>/dev/null
}
