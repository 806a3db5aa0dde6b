#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# placement.sh: explicit placement on the CPU-less node 1 of numa2 works
# and is verified from the kernel's own accounting:
#  - numactl --membind=1 puts every page of a process on node 1, read back
#    through move_pages(2) status and through numa_maps;
#  - move_pages(2) moves 64 MiB from node 0 to node 1 and back with every
#    page reported on its new node and the content unchanged, for 4 KiB
#    pages and for transparent huge pages.
. "$CDM_TOP/tests/lib/tap.sh"

helpers=$CDM_TOP/build/tests/vm
mib=32
pages=$((mib * 256))

for node in 1 0; do
	out=$(numactl --membind=$node "$helpers/pagenodes" $mib 2>&1)
	is "$(echo "$out" | awk -v n=$node '$1 == "node" && $2 == n { print $3 }')" "$pages" \
		"numactl --membind=$node: move_pages status puts all $pages pages on node $node"
	is "$(echo "$out" | awk '$1 == "node" { n++ } END { print n + 0 }')" 1 \
		"numactl --membind=$node: no page on any other node"
	is "$(echo "$out" | sed -n 's/.* \(N[0-9]*=[0-9]*\).*/\1/p')" "N$node=$pages" \
		"numactl --membind=$node: numa_maps shows N$node=$pages and no other node"
	check "numactl --membind=$node: numa_maps shows the bind policy" \
		sh -c "echo '$out' | grep -q 'bind:$node'"
done

"$helpers/move-pages-roundtrip" 4k 64 0 1
"$helpers/move-pages-roundtrip" thp 64 0 1

done_testing 8	# 4 per --membind node; the move-pages-roundtrip runs plan their own
