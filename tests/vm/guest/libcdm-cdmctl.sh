#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# libcdm-cdmctl.sh: cdmctl residency and migrate on a live process of
# numa2 (memtest hold: 32 MiB on node 0 with a known pattern). The JSON
# summaries are checked against the holder's own view of its pages
# afterwards (raw move_pages query and a word-by-word pattern check), and
# a non-root caller is refused.
. "$CDM_TOP/tests/lib/tap.sh"

bin=$CDM_TOP/build/tests/vm/libcdm
get() { "$bin/jsonget" "$@"; }
pages=$((32 * 256))
echo 0 >/proc/sys/kernel/numa_balancing	# see memtest.c

fifo=/tmp/holder.out
rm -f $fifo
"$bin/memtest" hold 32 >$fifo &
holder=$!
for _ in $(seq 50); do [ -s $fifo ] && break; sleep 0.1; done
range=$(head -n1 $fifo)
case "$range" in
0x*-0x*) pass "holder $holder has 32 MiB at $range" ;;
*) bail_out "holder did not start: '$range'" ;;
esac

res=$(cdmctl residency --pid $holder --range "$range" --json)
is "$?" 0 "residency --range: exit 0"
is "$(echo "$res" | get pages nodes.0.node nodes.0.pages nodes.#)" "$pages
0
$pages
1" "residency: all $pages pages on node 0"
is "$(echo "$res" | get source)" pagemap "residency as root reads pagemap"
res_mp=$(su -s /bin/sh nobody -c "$CDM_TOP/build/bin/cdmctl residency --pid \$\$ --json")
is "$(echo "$res_mp" | get source)" move_pages "residency as nobody (PFNs hidden) falls back to move_pages"

out=$(cdmctl migrate --pid $holder --to 1 --range "$range" --threads 2 --json 2>/tmp/err)
is "$?" 0 "migrate --to 1 --threads 2: exit 0"
is "$(cat /tmp/err)" "" "migrate piped: nothing on stderr (no progress)"
is "$(echo "$out" | get result pages moved already failed busy)" "ok
$pages
$pages
0
0
0" "migrate --json: ok, $pages pages moved, none failed"

res=$(cdmctl residency --pid $holder --range "$range" --json)
is "$(echo "$res" | get nodes.0.node nodes.0.pages nodes.#)" "1
$pages
1" "residency after migrate: all $pages pages on node 1"
table=$(cdmctl residency --pid $holder --range "$range")
is "$(echo "$table" | awk '$1 == 1 { print $2, $5 }')" "$pages 100.0%" "residency table: node 1 holds 100%"

out=$(cdmctl migrate --pid $holder --to 1 --range "$range" --json)
is "$(echo "$out" | get moved already)" "0
$pages" "migrating again to node 1 is a no-op: all already there"

# Back with migrate_pages(2): the whole process, from node 1 (auto picks
# it; root has CAP_SYS_NICE, so only with --shared), then to node 1 again
# with move_pages(2) from node 0 over the range.
out=$(cdmctl migrate --pid $holder --to 0 --from 1 --shared --json)
is "$?" 0 "migrate --to 0 --from 1 --shared (whole process): exit 0"
is "$(echo "$out" | get result method moved from)" "ok
migrate_pages
$pages
1" "migrate --from 1: auto took migrate_pages, moved the $pages pages that were on node 1"
res=$(cdmctl residency --pid $holder --range "$range" --json)
is "$(echo "$res" | get nodes.0.node nodes.0.pages nodes.#)" "0
$pages
1" "residency after migrate_pages: all $pages pages on node 0"
err=$(cdmctl migrate --pid $holder --to 1 --method migrate_pages 2>&1 >/dev/null)
is "$?" 1 "migrate --method migrate_pages by root without --shared: exit 1"
case "$err" in
*"pid $holder: migrate_pages(2) would move shared pages too"*) pass "and the message says why" ;;
*) fail "and the message says why" "$err" ;;
esac
out=$(cdmctl migrate --pid $holder --to 1 --from 0 --range "$range" --json)
is "$(echo "$out" | get result method moved skipped)" "ok
move_pages
$pages
0" "migrate --from 0 --range: move_pages moved all $pages pages, none skipped"

# not root: refused, nothing moved
err=$(su -s /bin/sh nobody -c \
	"$CDM_TOP/build/bin/cdmctl migrate --pid $holder --to 0 --range $range" 2>&1 >/dev/null)
is "$?" 1 "nobody migrating root's process: exit 1"
case "$err" in
*"pid $holder: "*"not permitted"*) pass "nobody: message says pid $holder, not permitted" ;;
*) fail "nobody: message says pid $holder, not permitted" "$err" ;;
esac

# the holder checks its own pages: all on node 1 and intact
kill -USR1 $holder
wait $holder
is "$(sed -n 2p $fifo)" "node0=0 node1=$pages bad=0" "holder: all pages on node 1, content intact"

# the process is gone now
err=$(cdmctl migrate --pid $holder --to 0 2>&1)
is "$?" 1 "migrate of the exited holder: exit 1"
is "$err" "cdmctl migrate: pid $holder: no such process" "exited holder: no such process"
done_testing 22
