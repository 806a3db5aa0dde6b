#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The kernel series is reviewable: every patch is in the series, signed
# off, says why, and is checkpatch --strict clean (so are the sources of
# the modules); mm/cdm.c and include/linux/cdm.h are created by the series, not copied in beside it;
# hooks outside them stay within 530 changed lines (the zonelist, gfp
# flag, cpuset and copy-offload plumbing included, and the memory hotplug
# online type, NUMA balancing and commit limit). That each patch builds is
# shown by scripts/kernel-build --each-patch (half an hour: not here).
. "$(dirname "$0")/../lib/tap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${CDM_CACHE:-$HOME/.cache/cdm}

cd "$top/kernel/patches" || exit 1
is "$(ls *.patch | LC_ALL=C sort | tr '\n' ' ')" "$(grep -v '^#' series | tr '\n' ' ')" \
	"series lists every patch in kernel/patches, in order"
changed=0
for p in *.patch; do
	check "$p: Signed-off-by" grep -q '^Signed-off-by: ' "$p"
	body=$(sed -n '/^Subject:/,/^---$/p' "$p" | sed '1,/^$/d; /^Signed-off-by/d; /^---$/d' | grep -c .)
	cmp_ok "$body" -ge 3 "$p: the message explains the change ($body lines)"
	# changed lines of the diffs, Documentation/, MAINTAINERS and the
	# files of cdm's own (mm/cdm.c, include/linux/cdm.h) aside
	n=$(awk '/^diff --git /{ indiff = 1; doc = $3 ~ /^a\/(Documentation\/|MAINTAINERS$|mm\/cdm\.c$|include\/linux\/cdm\.h$)/; next }
		indiff && !doc && /^[+-]/ && !/^(\+\+\+|---)( |$)/' "$p" | wc -l)
	changed=$((changed + n))
done
first=$(ls *.patch | head -n 1)
for f in mm/cdm.c include/linux/cdm.h; do
	check "$first creates $f" sh -c "grep -A1 '^diff --git a/$f ' '$first' | grep -q '^new file mode'"
done
check "kernel/mm and kernel/include are gone: the series is the only source" \
	sh -c "! ls -d '$top/kernel/mm' '$top/kernel/include' 2>/dev/null"
diag "hooks outside mm/cdm.c: $changed changed lines"
cmp_ok "$changed" -le 530 "hooks outside mm/cdm.c total at most 530 changed lines"

checkpatch=$(ls "$cache"/kernel/src-*/scripts/checkpatch.pl 2>/dev/null | head -n 1)
if [ -z "$checkpatch" ]; then
	skip "checkpatch --strict" "no kernel tree in $cache/kernel yet (make kernel)"
else
	for p in *.patch; do
		check "$p: checkpatch --strict clean" sh -c "'$checkpatch' --strict --no-tree -q '$p' && true"
	done
	# the out-of-tree modules: the drivers and the test modules
	for f in "$top"/kernel/drivers/*/*.[ch] "$top"/tests/kernel/*.[ch]; do
		[ -f "$f" ] || continue
		check "${f#"$top"/}: checkpatch --strict clean" \
			sh -c "'$checkpatch' --strict --no-tree -q -f '$f' && true"
	done
fi
done_testing
