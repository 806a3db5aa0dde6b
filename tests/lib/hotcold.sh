# SPDX-License-Identifier: GPL-2.0-or-later
# Talking to tests/vm/hotcold from a guest script: $hc is its pid, $out
# the file its stdout goes to.
#   hotcold_start ARGS  start hotcold ARGS (sets $hc), and wait up to
#                       120 s for it to be ready
#   report [HUP [S]]    its report after its current pass (HUP: with the
#                       content of every page checked), printed; waits
#                       up to S seconds (60)
#   pages REPORT SET N  how many pages of SET (hot, cold) the report has on
#                       node N

hotcold_start() {
	: >$out
	"$CDM_TOP/build/tests/vm/hotcold" "$@" >$out &
	hc=$!
	_i=0
	while ! grep -q '^ready' $out && [ $_i -lt 1200 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

report() {
	_n=$(grep -c '^end' $out)
	kill -"${1:-USR1}" $hc
	_i=0
	while [ "$(grep -c '^end' $out)" -le "$_n" ] && [ $_i -lt $((${2:-60} * 10)) ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	awk -v n="$_n" '/^end/ { c++; next } c == n' $out
}

pages() {
	echo "$1" | awk -v s="$2" -v n="$3" '$1 == s && $3 == n { c = $4 } END { print c + 0 }'
}
