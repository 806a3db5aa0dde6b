#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdm-udev.sh: configs/udev/90-cdm-cxl.rules (its @BINDIR@ the build's)
# under systemd-udevd, on the cxl2 topology (two expanders, mem0 and mem1,
# 512 MiB each), the project's kernel (kmem built in, hot-added memory
# left offline).
#
#  1. Before udevd starts: mem0's region, kmem's (scripts/vm/cxl-online
#     --mode=kernel), its memory put online as system RAM and 8 MiB of a
#     process's on it. "udevadm trigger --action=add" (what a boot does
#     once udevd runs) makes it a CDM node: the process's pages moved to
#     node 0, intact.
#  2. While udevd runs: mem1's region, kmem's as the kernel binds it,
#     becomes CDM.
#  3. mem0's released to device_dax, then every dax device replayed
#     again: the rule takes only kmem's devices; mem1's changes nothing.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/holder.sh"
. "$CDM_TOP/tests/lib/devdax.sh"
. "$CDM_TOP/tests/lib/topo.sh"
sysnode=/sys/devices/system/node
rules=/etc/udev/rules.d/90-cdm-cxl.rules

echo -1000 >/proc/$$/oom_score_adj
shelter || bail_out "cannot shelter the test's shells in a cgroup (shelter.sh)"
mkdir -p /etc/udev/rules.d /run/udev
sed "s|@BINDIR@|$CDM_TOP/build/bin|g" "$CDM_TOP/configs/udev/90-cdm-cxl.rules" >$rules
check "the rule names the build's cdmctl" grep -q "RUN+=\"$CDM_TOP/build/bin/cdmctl online --from-kmem" $rules

# 1. assembled before udev started
dax0=$(/cdm/scripts/vm/cxl-online --mode=kernel mem0) ||
	bail_out "no region on mem0 (scripts/vm/cxl-online --mode=kernel)"
node0=$(cat /sys/bus/dax/devices/$dax0/target_node)
is "$(driver_of "$dax0")" kmem "mem0's $dax0 (node $node0): the kernel gave it to kmem"
daxctl online-memory "$dax0" >/dev/null 2>&1
check "  ... its memory online as system RAM" has_memory "$node0"
hold before bind "$node0" 8
is "$(count "$(cat /tmp/before.start)" "$node0")" 2048 "  ... a process holds 2048 pages on node $node0"

ln -sf /usr/bin/udevadm /tmp/systemd-udevd
/tmp/systemd-udevd --daemon --resolve-names=never 2>/tmp/udevd.err ||
	bail_out "systemd-udevd did not start: $(cat /tmp/udevd.err)"
check "systemd-udevd runs" udevadm control --ping --timeout=30
udevadm trigger --subsystem-match=dax --action=add
udevadm settle --timeout=120
is "$(driver_of "$dax0"):$(cat /sys/bus/dax/devices/$dax0/cxl_cdm/online 2>&1)" "cxl_cdm:1" \
	"udevadm trigger (add): $dax0 taken from kmem, online as CDM"
is "$(cat $sysnode/has_coherent_device)" "$node0" "  ... node $node0 is a CDM node"
rep=$(report before "$held_pid")
is "$(count "$rep" 0):$(count "$rep" "$node0")" "2048:0" \
	"  ... the process's pages moved to node 0 as the memory went offline"
is "$(echo "$rep" | grep '^content')" "content ok" "  ... their content intact"
kill "$held_pid"
wait "$held_pid" 2>/dev/null

# 2. assembled while udevd runs: the kernel binds kmem, the rule follows
dax1=$(/cdm/scripts/vm/cxl-online --mode=kernel mem1) ||
	bail_out "no region on mem1 (scripts/vm/cxl-online --mode=kernel)"
udevadm settle --timeout=120
node1=$(cat /sys/bus/dax/devices/$dax1/target_node)
is "$(driver_of "$dax1"):$(cat /sys/bus/dax/devices/$dax1/cxl_cdm/online 2>&1)" "cxl_cdm:1" \
	"mem1's $dax1, assembled while udevd runs: taken from kmem at its bind, online as CDM"
is "$(cat $sysnode/has_coherent_device)" "$(echo "$node0 $node1" | tr ' ' '\n' | sort -n |
	tr '\n' ' ' | awk '{ print ($2 == $1 + 1) ? $1 "-" $2 : $1 "," $2 }')" \
	"  ... nodes $node0 and $node1 are CDM nodes"

# 3. device_dax's device: left alone
cdmctl offline --release "$dax0" >/dev/null 2>&1
is "$(driver_of "$dax0")" device_dax "$dax0 released to device_dax"
udevadm trigger --subsystem-match=dax --action=add
udevadm settle --timeout=120
is "$(driver_of "$dax0")" device_dax "udevadm trigger (add) again: $dax0 stays device_dax's"
is "$(driver_of "$dax1"):$(cat /sys/bus/dax/devices/$dax1/cxl_cdm/online 2>&1)" "cxl_cdm:1" \
	"  ... $dax1 stays cxl_cdm's, online"
udevadm control --exit
done_testing
