#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdmd-score.sh (cxl --cxl-online=cdm --memory 0=512M): cdmd, with its
# default policy, against the oracle. A process (tests/vm/hotcold) keeps
# an 8 MiB hot set in use and never touches its 56 MiB cold set; all of
# it starts on the CXL node, and node 0 has room above cdmd's fast_free_mb
# for the hot set, not for all of it. The score is the share of the
# process's accesses that fall on node-0 pages: hotcold touches every hot
# page once a pass and no cold page, so it is the share of the hot set on
# node 0, read back from the kernel (move_pages(2), tests/vm/page-moves)
# every 250 ms. The oracle is the best a placement could do in that room:
# min(hot set, room) / hot set. Checks:
#   - before cdmd, the score is 0 (the check below can fail: without cdmd
#     nothing moves);
#   - the score reaches 0.9 of the oracle within 40 of cdmd's 500 ms
#     intervals, and holds there to the end of a 30 s watch;
#   - the cold set stays on the CXL node;
#   - the ping-pong bound: no page moves more than twice in the watch,
#     which lies within one pingpong_window_s (60 s, the default). Every
#     page's node is sampled every 250 ms, and cdmd keeps a moved page in
#     place for min_residency_s (10 s), so no move goes unseen unless that
#     rule breaks too; the same sampler, watching pages moved three times
#     by hand, counts three moves (the check can fail);
#   - every page's content is intact.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/hotcold.sh"
. "$CDM_TOP/tests/lib/meminfo.sh"
. "$CDM_TOP/tests/lib/topo.sh"
cdmd=$CDM_TOP/build/bin/cdmd
moves=$CDM_TOP/build/tests/vm/page-moves
conf=/tmp/cdmd.conf
log=/tmp/cdmd.log
out=/tmp/hotcold.out
watch=/tmp/page-moves.out
hot_mib=8 cold_mib=56
hot_pages=$((hot_mib * 256)) cold_pages=$((cold_mib * 256))
interval_ms=500 sample_ms=250 watch_s=30 within=40

slow=$(cpuless_memory_node)
[ -n "$slow" ] || bail_out "no CPU-less node with memory (the CXL memory is not online)"
diag "the CXL memory is node $slow"
echo 0 > /proc/sys/kernel/numa_balancing 2>/dev/null

# Written on node 0 and moved by the kernel: hotcold writing 64 MiB of
# patterns into emulated CXL memory itself would take minutes.
hotcold_start $hot_mib $cold_mib 0 0
hot_range=$(sed -n 's/^hot \(0x[0-9a-f]*\) \(0x[0-9a-f]*\)$/\1-\2/p' $out)
cold_range=$(sed -n 's/^cold \(0x[0-9a-f]*\) \(0x[0-9a-f]*\)$/\1-\2/p' $out)
[ -n "$hot_range" ] && [ -n "$cold_range" ] || bail_out "hotcold did not start: $(cat $out)"
for range in $hot_range $cold_range; do
	cdmctl migrate --quiet --pid $hc --to $slow --range $range >/dev/null ||
		bail_out "cdmctl migrate --pid $hc --to $slow --range $range failed"
done
r=$(report)
is "$(pages "$r" hot $slow):$(pages "$r" cold $slow)" "$hot_pages:$cold_pages" \
	"before cdmd: all of hotcold's memory on the CXL node $slow (score 0)"

# node 0's room: its free memory above fast_free_mb, enough for the hot
# set and 24 MiB more (cdmd's own memory comes out of it), not for both sets
set -- $(node_squeeze 0 $((hot_mib + 40)))
free_mib=$2 high_mib=$3
fast_free_mb=$((free_mib - hot_mib - 24))
[ $fast_free_mb -gt $high_mib ] || fast_free_mb=$((high_mib + 1))
room_pages=$(( ($(node_kb 0 MemFree) / 1024 - fast_free_mb) * 256 ))
oracle_pages=$((room_pages < hot_pages ? room_pages : hot_pages))
[ $oracle_pages -gt 0 ] || oracle_pages=0
diag "node 0: $free_mib MiB free, high watermark $high_mib MiB, fast_free_mb $fast_free_mb: room for $room_pages pages; oracle $oracle_pages of $hot_pages hot pages on node 0"
cmp_ok $room_pages -ge $hot_pages "node 0 has room for the hot set ($room_pages pages for $hot_pages)"
cmp_ok $room_pages -lt $((hot_pages + cold_pages)) "  ... not for all of it ($((hot_pages + cold_pages)) pages)"

cat > $conf <<EOF
[cdmd]
interval_ms = $interval_ms

[target hc]
match = comm:hotcold
policy = tiering
fast_nodes = 0
slow_nodes = $slow
fast_free_mb = $fast_free_mb
EOF
"$cdmd" -c $conf 2> $log &
cdmd_pid=$!
"$moves" $sample_ms $((watch_s * 1000 / sample_ms)) $hc 0 \
	$(echo $hot_range $cold_range | tr '-' ' ') > $watch 2>&1
grep -E 'moves|gone|page-moves' $watch | sed 's/^/# /'

# first sample at 0.9 of the oracle, and the last below it
reached=$(awk -v want=$((oracle_pages * 9)) '$1 == "sample" && $3 * 10 >= want { print $2; exit }' $watch)
below=$(awk -v want=$((oracle_pages * 9)) '$1 == "sample" && $3 * 10 < want { t = $2 } END { print t + 0 }' $watch)
last=$(awk '$1 == "sample" { s = $0 } END { print s }' $watch)
diag "score over time (ms, hot pages on node 0):$(awk '$1 == "sample" && NR % 8 == 1 { printf " %s:%s", $2, $3 }' $watch)"
cmp_ok "${reached:-999999}" -le $((within * interval_ms)) \
	"the score reaches 0.9 of the oracle within $within intervals (at ${reached:-never} ms)"
cmp_ok "$below" -le "${reached:-0}" "  ... and holds there to the end of the ${watch_s} s watch (last sample: $last)"
cold0=$(echo "$last" | awk '{ print $4 }')
cmp_ok "${cold0:-$cold_pages}" -le $((cold_pages / 10)) \
	"the cold set stays on the CXL node ($cold0 of $cold_pages pages on node 0 at the end)"
is "$(awk '$1 == "moves" { printf "%s ", $6 }' $watch)" "0 0 " \
	"ping-pong bound: no page of either set moved more than twice in the watch (the most moves of one page, hot then cold: $(awk '$1 == "moves" { printf "%s ", $4 }' $watch))"
diag "cdmd held moves back: $(cdmctl targets --json | "$CDM_TOP/build/tests/vm/libcdm/jsonget" targets.0.held 2>&1 | tr -d ' \n')"

kill -TERM $cdmd_pid
wait $cdmd_pid
is $? 0 "cdmd stops on SIGTERM with exit 0"
grep -E 'warning|error' $log | sed 's/^/# /'
diag "cdmd's moves of the workload's sets ($hot_range hot, $cold_range cold):"
grep -E ' (promote|demote) ' $log | grep -v ' 0 pages moved' | sed 's/^/# /'

# The sampler can see a page move three times: the first 256 KiB of the
# hot set, moved by hand three times, 0.5 s apart
first=${hot_range%-*}
span=$first-$(printf '0x%x' $((first + 256 * 1024)))
"$moves" 100 40 $hc 0 $(echo $span | tr '-' ' ') > $watch.hand 2>&1 &
sampler=$!
for to in $slow 0 $slow; do
	sleep 0.5
	cdmctl migrate --quiet --pid $hc --to $to --range $span >/dev/null
done
wait $sampler
is "$(awk '$1 == "moves" { print $4 "/" $6 }' $watch.hand)" 3/64 \
	"the sampler counts 3 moves for each of 64 pages moved 3 times by hand (the bound's check can fail)"

# the content, read back on node 0 (reading the CXL node is slow)
node_unsqueeze 0
cdmctl migrate --quiet --pid $hc --to 0 >/dev/null
r=$(report HUP)
is "$(pages "$r" hot 0):$(pages "$r" cold 0)" "$hot_pages:$cold_pages" "all of it moved back to node 0"
is "$(echo "$r" | sed -n 's/^content //p')" ok "  ... every page's content intact"
kill $hc 2>/dev/null
done_testing
