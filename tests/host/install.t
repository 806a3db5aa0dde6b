#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make install and make uninstall (install.mk) into a staging tree, as a
# Debian package would: exactly the expected files with their modes and
# the soname links; no rpath in what is installed; libcdm.pc builds and
# links a program against the installed library, shared and static; the
# unit names the real paths; an administrator's configuration survives
# install and uninstall; uninstall leaves nothing else behind.
. "$(dirname "$0")/../lib/tap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
export LC_ALL=C
umask 022
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stage=$tmp/stage
version=$(sed -n 's/^LIBCDM_VERSION := *//p' "$top/lib/libcdm/Makefile.inc")
major=${version%%.*}
[ -n "$version" ] || bail_out "no LIBCDM_VERSION in lib/libcdm/Makefile.inc"
arch=$(${CC:-cc} -print-multiarch 2>/dev/null)
arch=${arch:-x86_64-linux-gnu}

# mk ARGS: make in the tree, free of the flags and jobserver of a make
# that runs this test, and of install directories set in the environment
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u PREFIX -u BINDIR -u SBINDIR -u LIBDIR \
		-u INCLUDEDIR -u MANDIR -u SYSCONFDIR -u UNITDIR -u PKGCONFIGDIR \
		make -s -C "$top" --no-print-directory "$@" 2>&1
}
# listing DIR: "PATH TYPE MODE [LINK TARGET]" for everything below DIR
listing() {
	(cd "$1" && find . -mindepth 1 -printf '%P %y %m %l\n') | sed 's/ $//' | sort
}
# expected LIBDIR [EXTRA...]: the tree for PREFIX=/usr, LIBDIR relative
# to the stage, with the directories of every file
expected() {
	local lib=$1 page
	shift
	{
		printf '%s\n' "usr/bin/cdmctl f 755" "usr/sbin/cdmd f 755" \
			"$lib/libcdm.so.$version f 644" \
			"$lib/libcdm.so.$major l 777 libcdm.so.$version" \
			"$lib/libcdm.so l 777 libcdm.so.$major" "$lib/libcdm.a f 644" \
			"$lib/pkgconfig/libcdm.pc f 644" "usr/include/libcdm.h f 644" \
			"usr/share/man/man5/cdmd.conf.5 f 644" "usr/share/man/man8/cdmd.8 f 644" \
			"usr/lib/systemd/system/cdmd.service f 644" "etc/cdm/cdmd.conf f 644" \
			"usr/lib/udev/rules.d/90-cdm-cxl.rules f 644" "$@"
		for page in "$top"/daemon/cdmctl/*.1; do
			echo "usr/share/man/man1/${page##*/} f 644"
		done
	} | awk '{ print; n = split($1, p, "/"); d = p[1]
		for (i = 1; i < n; i++) { print d " d 755"; d = d "/" p[i + 1] } }' | sort -u
}
# tree_is DIR WANT DESC
tree_is() {
	local got

	got=$(listing "$1")
	if [ "$got" = "$2" ]; then
		pass "$3"
	else
		fail "$3" "$(diff <(printf '%s\n' "$2") <(printf '%s\n' "$got"))"
	fi
}
# no_rpath FILE: readelf -d lists neither RPATH nor RUNPATH
no_rpath() {
	local dyn

	dyn=$(readelf -d "$1") || return
	grep -q NEEDED <<<"$dyn" || { echo "no dynamic section: $1"; return 1; }
	! grep -E 'RPATH|RUNPATH' <<<"$dyn"
}
has_rpath() {
	readelf -d "$1" | grep -E 'RPATH|RUNPATH'
}
# unsubstituted FILE: the @NAME@ markers make install left in FILE
unsubstituted() {
	grep -n '@[A-Z_]*@' "$1" && return 1
	return 0
}
# pc ARGS: pkg-config on the staged libcdm.pc alone
pc() {
	PKG_CONFIG_SYSROOT_DIR=$stage PKG_CONFIG_PATH=$stage/$lib/pkgconfig \
		PKG_CONFIG_LIBDIR=$stage/$lib/pkgconfig pkg-config "$@" libcdm
}

# 1. PREFIX=/usr
lib=usr/lib
out=$(mk install DESTDIR="$stage" PREFIX=/usr) || { diag "$out"; bail_out "make install failed"; }
tree_is "$stage" "$(expected "$lib")" \
	"install: the expected files, modes and soname links, nothing else"
soname=$(readelf -d "$stage/$lib/libcdm.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
is "$soname" "libcdm.so.$major" "the library's SONAME is the name of its link"
# readelf sees the rpath of the build tree's binaries: the checks below can fail
if [ -x "$top/build/bin/cdmctl" ]; then
	check "readelf finds the rpath of build/bin/cdmctl" has_rpath "$top/build/bin/cdmctl"
else
	skip "readelf finds the rpath of build/bin/cdmctl" "not built"
fi
for f in usr/sbin/cdmd usr/bin/cdmctl "$lib/libcdm.so.$version"; do
	check "$f: no RPATH or RUNPATH" no_rpath "$stage/$f"
done
for tool in sbin/cdmd bin/cdmctl; do
	name=${tool#*/}
	if [ -x "$top/build/bin/$name" ]; then
		is "$(LD_LIBRARY_PATH=$stage/$lib "$stage/usr/$tool" --version 2>&1)" \
			"$("$top/build/bin/$name" --version 2>&1)" \
			"the installed $name runs on the installed libcdm: --version as build/bin's"
	else
		skip "the installed $name runs on the installed libcdm" "build/bin/$name not built"
	fi
done

is "$(pc --cflags --libs | xargs)" "-I$stage/usr/include -L$stage/$lib -lcdm" \
	"libcdm.pc: the staged include and library directories"
cat >"$tmp/version.c" <<'EOF'
#include <stdio.h>
#include <libcdm.h>

int main(void)
{
	puts(cdm_get_version());
	return 0;
}
EOF
# shellcheck disable=SC2046 # the flags are words
if out=$(${CC:-cc} -o "$tmp/version" "$tmp/version.c" $(pc --cflags --libs) 2>&1); then
	is "$(LD_LIBRARY_PATH=$stage/$lib "$tmp/version" 2>&1)" "$version" \
		"a program built with pkg-config's flags prints cdm_get_version()"
	check "... on the installed libcdm" grep -q "=> $stage/$lib/libcdm.so.$major " \
		<(LD_LIBRARY_PATH=$stage/$lib ldd "$tmp/version")
else
	fail "a program built with pkg-config's flags prints cdm_get_version()" "$out"
	fail "... on the installed libcdm"
fi
# shellcheck disable=SC2046
if out=$(${CC:-cc} -o "$tmp/version-static" "$tmp/version.c" $(pc --cflags) \
		"$stage/$lib/libcdm.a" $(pc --static --libs-only-l | sed 's/-lcdm\b//') 2>&1); then
	is "$("$tmp/version-static" 2>&1)" "$version" \
		"libcdm.a and Libs.private link it statically"
else
	fail "libcdm.a and Libs.private link it statically" "$out"
fi

unit=$stage/usr/lib/systemd/system/cdmd.service
check "the unit starts /usr/sbin/cdmd with /etc/cdm/cdmd.conf" \
	grep -qx 'ExecStart=/usr/sbin/cdmd --config /etc/cdm/cdmd.conf' "$unit"
check "the unit's condition is /etc/cdm/cdmd.conf" \
	grep -qx 'ConditionPathExists=/etc/cdm/cdmd.conf' "$unit"
check "no @NAME@ left in the unit" unsubstituted "$unit"
if command -v systemd-analyze >/dev/null; then
	# the binary must exist where ExecStart says: the staged one
	sed "s|^ExecStart=/usr/sbin/|ExecStart=$stage/usr/sbin/|" "$unit" >"$tmp/cdmd.service"
	check "systemd-analyze verify accepts the unit" \
		systemd-analyze verify --man=no "$tmp/cdmd.service"
else
	skip "systemd-analyze verify accepts the unit" "no systemd-analyze"
fi

rules=$stage/usr/lib/udev/rules.d/90-cdm-cxl.rules
check "the udev rule runs /usr/bin/cdmctl" grep -q 'RUN+="/usr/bin/cdmctl online --from-kmem \$kernel"' "$rules"
check "no @NAME@ left in the udev rule" unsubstituted "$rules"

# 2. an administrator's configuration: kept by install and uninstall
conf=$stage/etc/cdm/cdmd.conf
echo "interval_ms = 2000" >>"$conf"
cp "$conf" "$tmp/changed.conf"
out=$(mk install DESTDIR="$stage" PREFIX=/usr) || { diag "$out"; bail_out "make install failed"; }
check "install keeps a changed cdmd.conf" cmp "$tmp/changed.conf" "$conf"
check "... and installs the example beside it" cmp "$top/configs/cdmd.conf" "$conf.example"
check "... and says so" grep -q "keeping $conf.*cdmd.conf.example" <<<"$out"
tree_is "$stage" "$(expected "$lib" "etc/cdm/cdmd.conf.example f 644")" \
	"install again: the same tree and the example"
out=$(mk uninstall DESTDIR="$stage" PREFIX=/usr) || { diag "$out"; bail_out "make uninstall failed"; }
tree_is "$stage" "$(printf '%s\n' "etc d 755" "etc/cdm d 755" "etc/cdm/cdmd.conf f 644")" \
	"uninstall leaves the changed cdmd.conf alone"
check "... unchanged" cmp "$tmp/changed.conf" "$conf"
check "... and says so" grep -q "keeping $conf" <<<"$out"

# 3. LIBDIR multiarch, twice over an unchanged configuration; then nothing
rm -rf "$stage"
mkdir "$stage"
lib=usr/lib/$arch
for i in 1 2; do
	out=$(mk install DESTDIR="$stage" PREFIX=/usr LIBDIR="/$lib") ||
		{ diag "$out"; bail_out "make install failed"; }
done
tree_is "$stage" "$(expected "$lib")" \
	"LIBDIR=/$lib, installed twice: the library there, no example"
is "$(pc --variable=libdir)" "$stage/$lib" "libcdm.pc: libdir is LIBDIR"
is "$(grep '^libdir=' "$stage/$lib/pkgconfig/libcdm.pc")" "libdir=\${prefix}/lib/$arch" \
	"libcdm.pc: libdir below \${prefix}"
out=$(mk uninstall DESTDIR="$stage" PREFIX=/usr LIBDIR="/$lib") ||
	{ diag "$out"; bail_out "make uninstall failed"; }
tree_is "$stage" "" "uninstall of an unchanged configuration: an empty tree"
check "... and DESTDIR itself stays" test -d "$stage"

done_testing
