#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/kernel-series turns kernel/patches into a git history on the
# pristine files and back: the round trip gives the same patches byte for
# byte, and bad use is refused with a message.
. "$(dirname "$0")/../lib/tap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
ks=$top/scripts/kernel-series
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

out=$("$ks" 2>&1)
is "$?" 2 "no arguments: usage, exit 2"
check "  ... the message shows the usage" sh -c "echo '$out' | grep -q 'usage: kernel-series'"
mkdir "$tmp/plain"
out=$("$ks" export "$tmp/plain" "$tmp/out" 2>&1)
is "$?" 1 "export from a directory init did not make: exit 1"
check "  ... the message names it" sh -c "echo '$out' | grep -qF '$tmp/plain is not a tree made by kernel-series init'"

tarball=${CDM_KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
if [ ! -r "$tarball" ]; then
	skip "round trip" "no $tarball: scripts/install-deps installs it"
	done_testing 5
fi
n=$(grep -vc '^#' "$top/kernel/patches/series")
check "init applies the $n patches on the pristine files" "$ks" init "$tmp/tree"
is "$(git -C "$tmp/tree" rev-list --count base..HEAD)" "$n" "  ... one commit per patch"
check "export writes them back unchanged" "$ks" export "$tmp/tree" "$tmp/out"
check "  ... byte for byte, series file included" \
	sh -c "cd '$tmp/out' && for f in *.patch series; do cmp -s \"\$f\" '$top/kernel/patches/'\"\$f\" || exit 1; done"
# A new patch may touch a file no patch touched yet: init puts it in base.
check "init with an extra file (mm/vmscan.c)" "$ks" init "$tmp/tree2" mm/vmscan.c
is "$(git -C "$tmp/tree2" ls-tree --name-only base mm/ | grep -c '^mm/vmscan.c$')" 1 \
	"  ... it is in base"
is "$(git -C "$tmp/tree2" diff --stat base HEAD -- mm/vmscan.c)" "" "  ... and no patch changes it"
check "  ... mm/cdm.c is created by the series, not in base" \
	sh -c "! git -C '$tmp/tree2' cat-file -e base:mm/cdm.c 2>/dev/null && test -f '$tmp/tree2/mm/cdm.c'"
done_testing 12
