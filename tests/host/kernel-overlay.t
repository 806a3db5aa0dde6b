#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/kernel-overlay keeps a kernel tree equal to pristine + the
# project's kernel/ tree, rewriting only files whose content changes (so
# kbuild rebuilds exactly what changed) and never leaving a stale file.
# Runs on a small fake tree, no kernel needed.
. "$(dirname "$0")/../lib/tap.sh"
overlay=$(cd "$(dirname "$0")/../.." && pwd)/scripts/kernel-overlay
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tree=$tmp/linux kdir=$tmp/kernel

mkdir -p "$tree/mm" "$tree/include/linux" "$kdir/mm" "$kdir/patches" "$tmp/a/mm" "$tmp/b/mm"
printf 'obj-y += page_alloc.o\nobj-y += migrate.o\n' >"$tree/mm/Makefile"
printf 'int page_alloc;\n' >"$tree/mm/page_alloc.c"
printf '#define NODE_STATES 1\n' >"$tree/include/linux/nodemask.h"
cp -a "$tree" "$tmp/pristine"
printf '// SPDX-License-Identifier: GPL-2.0\nint cdm;\n' >"$kdir/mm/cdm.c"

mkpatch() {	# mkpatch NAME NEWLINE: a patch appending NEWLINE to mm/Makefile
	cp "$tmp/pristine/mm/Makefile" "$tmp/a/mm/Makefile"
	{ cat "$tmp/pristine/mm/Makefile"; echo "$2"; } >"$tmp/b/mm/Makefile"
	(cd "$tmp" && diff -u a/mm/Makefile b/mm/Makefile) >"$kdir/patches/$1"
}
mtime() { stat -c %Y.%y "$tree/$1"; }

mkpatch 0001-cdm.patch 'obj-$(CONFIG_CDM) += cdm.o'
echo 0001-cdm.patch >"$kdir/patches/series"
"$overlay" --kernel-dir "$kdir" "$tree" >"$tmp/log" 2>&1
is "$?" 0 "first overlay succeeds"
check "kernel/mm files are copied into mm/" cmp "$kdir/mm/cdm.c" "$tree/mm/cdm.c"
check "the series is applied" grep -qx 'obj-$(CONFIG_CDM) += cdm.o' "$tree/mm/Makefile"
check "files outside the overlay are untouched" cmp "$tmp/pristine/mm/page_alloc.c" "$tree/mm/page_alloc.c"

sleep 1.1
before_make=$(mtime mm/Makefile) before_cdm=$(mtime mm/cdm.c)
"$overlay" --kernel-dir "$kdir" "$tree" >"$tmp/log" 2>&1
check "an unchanged overlay reports 0 files changed" grep -q '1 patches, 0 files changed' "$tmp/log"
is "$(mtime mm/Makefile) $(mtime mm/cdm.c)" "$before_make $before_cdm" "an unchanged overlay keeps every mtime"

mkpatch 0001-cdm.patch 'obj-$(CONFIG_CDM) += cdm.o cdm_copy.o'
printf '// SPDX-License-Identifier: GPL-2.0\nint cdm = 1;\n' >"$kdir/mm/cdm.c"
"$overlay" --kernel-dir "$kdir" "$tree" >"$tmp/log" 2>&1
check "a changed patch shows up in the tree" grep -qx 'obj-$(CONFIG_CDM) += cdm.o cdm_copy.o' "$tree/mm/Makefile"
check "a changed kernel/mm file shows up in the tree" cmp "$kdir/mm/cdm.c" "$tree/mm/cdm.c"
is "$(grep -c CONFIG_CDM "$tree/mm/Makefile")" 1 "the old version of the patch is gone"

printf 'this is not a patch for mm/Makefile\n--- a/mm/Makefile\n+++ b/mm/Makefile\n@@ -1,1 +1,1 @@\n-obj-y += nothing.o\n+obj-y += broken.o\n' \
	>"$kdir/patches/0002-broken.patch"
echo 0002-broken.patch >>"$kdir/patches/series"
cp -a "$tree" "$tmp/before-broken"
"$overlay" --kernel-dir "$kdir" "$tree" >"$tmp/log" 2>&1
is "$?" 1 "a patch that does not apply fails the overlay"
check "the error names the patch" grep -q 'patches/0002-broken.patch does not apply' "$tmp/log"
check "and the tree is left exactly as it was" diff -r "$tmp/before-broken" "$tree"

echo 0001-cdm.patch >"$kdir/patches/series"
echo nonexistent.patch >>"$kdir/patches/series"
"$overlay" --kernel-dir "$kdir" "$tree" >"$tmp/log" 2>&1
is "$?" 1 "a series naming a missing patch fails"
check "the error names it" grep -q 'series names nonexistent.patch, which does not exist' "$tmp/log"

: >"$kdir/patches/series"
rm "$kdir/mm/cdm.c"
"$overlay" --kernel-dir "$kdir" "$tree" >"$tmp/log" 2>&1
check "dropping the patch restores the pristine file" cmp "$tmp/pristine/mm/Makefile" "$tree/mm/Makefile"
check "dropping a kernel/mm file removes it from the tree" test ! -e "$tree/mm/cdm.c"
check "the whole tree is pristine again" diff -r -x .cdm "$tmp/pristine" "$tree"

done_testing
