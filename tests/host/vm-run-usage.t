#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/vm-run rejects bad usage with exit 2 and a message that names the
# bad value and the valid ones, before it boots anything.
. "$(dirname "$0")/../lib/tap.sh"
vmrun=$(cd "$(dirname "$0")/../.." && pwd)/scripts/vm-run

usage_error() {	# usage_error DESC PATTERN ARGS...
	local desc=$1 pattern=$2 err rc
	shift 2
	err=$("$vmrun" "$@" 2>&1 >/dev/null)
	rc=$?
	is "$rc" 2 "$desc: exit 2"
	if echo "$err" | grep -qE -- "$pattern"; then
		pass "$desc: message matches /$pattern/"
	else
		fail "$desc: message matches /$pattern/" "got: $err"
	fi
}

usage_error "unknown topology" "unknown topology 'nope' \(valid: cxl-pmem cxl-rp2 cxl cxl2 numa2-4cpu numa2 numa3\)" --topology nope -- true
usage_error "unknown kernel" "unknown kernel 'vanilla' \(valid: cdm debug stock pristine\)" --kernel vanilla -- true
usage_error "unknown option" "unknown option '--frobnicate'" --frobnicate -- true
usage_error "missing command" "no command given" --topology numa2
usage_error "option without its argument" "option --timeout needs an argument" --timeout
usage_error "non-numeric timeout" "--timeout 'soon' is not a positive number" --timeout soon -- true
usage_error "zero timeout" "--timeout '0' is not a positive number" --timeout 0 -- true
usage_error "missing share directory" "--share '/nonexistent/dir' is not a directory" --share /nonexistent/dir -- true
usage_error "memory for a node the topology lacks" "node '5' is not in topology numa2 \(nodes: 0 1\)" --memory 5=1G -- true
usage_error "memory that is not a size" "'lots' is not a size" --memory 1=lots -- true
usage_error "memory without a node" "'2G' is not ID=SIZE" --memory 2G -- true
usage_error "--cxl-online without a CXL device" "topology numa2 has no CXL device" --topology numa2 --cxl-online -- true
usage_error "--cxl-online with an unknown mode" "unknown --cxl-online mode 'pmem' \(valid: system-ram devdax cdm\)" --topology cxl --cxl-online=pmem -- true
usage_error "--allow-kernel-report that is no regex" "--allow-kernel-report 'WARN\(' is not an extended regular expression" --allow-kernel-report 'WARN(' -- true
usage_error "unknown --init" "unknown --init 'sysvinit' \(valid: busybox systemd\)" --init=sysvinit -- true

# A QEMU older than the CXL machines need is refused before anything
# boots, with the way to get a newer one.
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
printf '#!/bin/sh\necho "QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)"\n' >"$fake/qemu-system-x86_64"
chmod +x "$fake/qemu-system-x86_64"
err=$(PATH=$fake:$PATH "$vmrun" --topology cxl -- true 2>&1)
is "$?" 125 "QEMU 7.2: vm-run refuses (exit 125)"
check "and says which QEMU it needs and how to get it" \
	grep -q "QEMU 7.2.19 is older than 10.0: run scripts/install-deps .*bookworm-backports" <<<"$err"

out=$("$vmrun" --help)
is "$?" 0 "--help exits 0"
check "--help lists the topologies" grep -q 'Topologies: cxl-pmem cxl-rp2 cxl cxl2 numa2-4cpu numa2 numa3' <<<"$out"
out=$("$vmrun" --list-topologies)
is "$(echo "$out" | awk '{ print $1 }' | tr '\n' ' ')" "cxl-pmem cxl-rp2 cxl cxl2 numa2-4cpu numa2 numa3 " "--list-topologies names every configs/qemu/*.topo"

done_testing
