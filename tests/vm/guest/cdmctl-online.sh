#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdmctl-online.sh: cdmctl online and offline on the real cxl_cdm driver
# (kernel/drivers/cxl-cdm), on the cxl topology with node 0 = 1 GiB
# (vm-run --memory 0=1G), the CXL region's dax device held by device_dax
# (scripts/vm/cxl-online --mode=devdax), cxl_cdm not loaded.
#
# Hostile names change nothing; online loads cxl_cdm and makes the node a
# CDM node (checked in sysfs: the driver link, target_node,
# cxl_cdm/online, has_coherent_device) that "cdmctl nodes" shows held by
# cxl_cdm; online again does nothing and says so; offline with a page
# that will not migrate is EBUSY naming the device and node, nothing
# lost; offline, twice; online through cxl_cdm/online; --release gives
# the device back to device_dax and online takes it again; kmem's device
# is refused, naming daxctl, and taken with --from-kmem, the pages a
# process had on it moved to node 0 intact.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/holder.sh"
. "$CDM_TOP/tests/lib/kmsg.sh"
. "$CDM_TOP/tests/lib/topo.sh"
sysnode=/sys/devices/system/node
get() { "$CDM_TOP/build/tests/vm/libcdm/jsonget" "$@"; }

. "$CDM_TOP/tests/lib/devdax.sh"
devdax_setup
online=$d/cxl_cdm/online
diag "$dax: node $node, $(cat $d/size) bytes"
rmmod cxl_cdm 2>/dev/null
is "$(driver_of "$dax")" device_dax "$dax is device_dax's, cxl_cdm not loaded"

# Hostile names: usage errors, nothing done.
for bad in "" dax dax0 "$dax/../x" "../$dax" "${dax}x" "dax00.0" \
	"$(printf 'dax0.0\nx')" "$(head -c 300 /dev/zero | tr '\0' x)"; do
	out=$(cdmctl online "$bad" --json 2>/tmp/err)
	is "$?:$out" "2:" "online '$(echo "$bad" | head -c 20)': exit 2, no JSON"
done
check "  ... cxl_cdm still not loaded" sh -c '! [ -d /sys/bus/dax/drivers/cxl_cdm ]'
is "$(driver_of "$dax")" device_dax "  ... $dax still device_dax's"
out=$(cdmctl online dax99.0 --json 2>/dev/null)
is "$?:$(echo "$out" | get error.errno)" "1:19" "online dax99.0: exit 1, ENODEV"

# Online: cxl_cdm loaded, the device bound, its node a CDM node.
kmsg_mark
out=$(cdmctl online "$dax" --json)
is "$?" 0 "cdmctl online $dax: exit 0"
is "$(echo "$out" | get result device node online changed)" "ok
$dax
$node
true
true" "  ... JSON: ok, $dax, node $node, online, changed"
check "  ... loaded cxl_cdm" test -d /sys/bus/dax/drivers/cxl_cdm
is "$(driver_of "$dax")" cxl_cdm "  ... $dax is cxl_cdm's"
is "$(cat $online)" 1 "  ... $dax/cxl_cdm/online reads 1"
is "$(cat $d/target_node)" "$node" "  ... target_node still $node"
is "$(cat $sysnode/has_coherent_device)" "$node" "  ... has_coherent_device lists node $node"
check "  ... node $node has memory" has_memory "$node"
check "  ... the kernel says how much went online" logged "MiB online on coherent device memory node $node"
json=$(cdmctl nodes --json "$node")
is "$(echo "$json" | get 0.cdm 0.backing.# 0.backing.0.dax 0.backing.0.driver)" "yes
1
$dax
cxl_cdm" "cdmctl nodes --json: node $node is CDM, backed by $dax, driver cxl_cdm"
is "$(cdmctl nodes "$node" | awk 'NR == 2 { print $(NF - 1) }')" cxl_cdm \
	"cdmctl nodes: the DRIVER column says cxl_cdm"
is "$(cdmctl nodes 0 | awk 'NR == 2 { print $(NF - 1) }')" - "  ... and '-' for node 0 (boot memory)"

out=$(cdmctl online "$dax")
is "$?:$out" "0:$dax: already online as CDM node $node (cxl_cdm); nothing done" \
	"online again: exit 0, nothing done, says so"
out=$(cdmctl online "$dax" --node-name cxl-a)
is "$?:$out" "0:$dax: online as CDM node $node named cxl-a (cxl_cdm)" \
	"online --node-name cxl-a: exit 0, the node named"
is "$(cdmctl nodes "$node" | awk 'NR == 2 { print $(NF - 2) }')" cxl-a "  ... cdmctl nodes shows the name"
is "$(cat /run/cdm/node-names/node$node)" cxl-a "  ... kept in /run/cdm/node-names/node$node"

# A page that cannot migrate (a pipe holds it): EBUSY, nothing lost.
echo 10000 >/sys/module/cxl_cdm/parameters/remove_timeout_ms
hold pin POLICY_ALLOC_PIN=1 POLICY_ALLOC_THEN_DEFAULT=1 bind "$node" 4
pin=$held_pid
is "$(count "$(cat /tmp/pin.start)" "$node")" 1024 "a process holds 4 MiB on node $node, its first page in a pipe"
out=$(timeout 120 cdmctl offline "$dax" --json 2>/tmp/err)
is "$?" 1 "cdmctl offline with a page that will not migrate: exit 1"
is "$(echo "$out" | get error.errno)" 16 "  ... EBUSY"
case "$(echo "$out" | get error.message)" in
"$dax: node $node: pages in use could not move"*"nothing lost"*) pass "  ... the message names $dax and node $node, nothing lost" ;;
*) fail "  ... the message names $dax and node $node, nothing lost" "$out" ;;
esac
is "$(cat $online)" 1 "  ... $dax stays online"
check "  ... node $node keeps its memory" has_memory "$node"
out=$(report pin $pin)
is "$(echo "$out" | sed -n 's/^content //p')" ok "  ... the pinned process's content is intact"
kill $pin
wait $pin 2>/dev/null

# Offline, twice; online again through cxl_cdm/online.
out=$(cdmctl offline "$dax")
is "$?:$out" "0:$dax: offline, none of its memory in node $node" "cdmctl offline: exit 0, says so"
is "$(cat $online)" 0 "  ... cxl_cdm/online reads 0"
check "  ... node $node has no memory" no_memory "$node"
check "  ... and no name any more" test ! -e /run/cdm/node-names/node$node
is "$(driver_of "$dax")" cxl_cdm "  ... $dax stays cxl_cdm's"
out=$(cdmctl offline "$dax" --json)
is "$?:$(echo "$out" | get online changed)" "0:false
false" "offline again: exit 0, not changed"
out=$(cdmctl online "$dax" --json)
is "$?:$(echo "$out" | get changed)" "0:true" "cdmctl online (cxl_cdm's, offline): exit 0, changed"
is "$(cat $online)" 1 "  ... cxl_cdm/online reads 1"
check "  ... node $node has memory again" has_memory "$node"

# --release: back to device_dax; online takes it again.
out=$(cdmctl offline --release "$dax")
is "$?:$out" "0:$dax: offline, none of its memory in node $node; given back to device_dax" \
	"cdmctl offline --release: exit 0"
is "$(driver_of "$dax")" device_dax "  ... $dax is device_dax's"
check "  ... node $node has no memory" no_memory "$node"
out=$(cdmctl offline --release "$dax")
is "$?:$out" "0:$dax: already offline and not cxl_cdm's; nothing done" "  ... again: nothing done"
out=$(cdmctl online "$dax")
is "$?:$out" "0:$dax: online as CDM node $node (cxl_cdm)" "cdmctl online after a release: exit 0"
is "$(driver_of "$dax"):$(cat $online)" "cxl_cdm:1" "  ... cxl_cdm's, online"
out=$(cdmctl offline --release "$dax")
is "$?:$(driver_of "$dax")" "0:device_dax" "cdmctl offline --release: device_dax's again"

# kmem's device: refused, naming daxctl.
if daxctl reconfigure-device --mode=system-ram "$dax" >/dev/null 2>&1; then
	out=$(cdmctl online "$dax" 2>&1)
	is "$?" 1 "cdmctl online of kmem's $dax: exit 1"
	case "$out" in
	*"$dax: held by kmem as system RAM"*"daxctl reconfigure-device --mode=devdax -f $dax"*)
		pass "  ... names daxctl reconfigure-device" ;;
	*) fail "  ... names daxctl reconfigure-device" "$out" ;;
	esac
	is "$(driver_of "$dax")" kmem "  ... $dax stays kmem's"

	# --from-kmem with a page that cannot move (a pipe holds it): the
	# kernel retries the offline until cdmctl gives up, after cxl_cdm's
	# remove_timeout_ms (10 s, set above): EBUSY, nothing lost.
	hold pinkmem POLICY_ALLOC_PIN=1 POLICY_ALLOC_THEN_DEFAULT=1 bind "$node" 4
	out=$(timeout 120 cdmctl online --from-kmem "$dax" --json)
	is "$?:$(echo "$out" | get error.errno)" "1:16" \
		"cdmctl online --from-kmem with a page that will not move: exit 1, EBUSY"
	case "$(echo "$out" | get error.message)" in
	"$dax: held by kmem: "*"could not go offline within 10000 ms"*"nothing lost") pass "  ... the message names $dax, the wait, nothing lost" ;;
	*) fail "  ... the message names $dax, the wait, nothing lost" "$out" ;;
	esac
	is "$(driver_of "$dax")" kmem "  ... $dax stays kmem's"
	check "  ... node $node keeps its memory online" has_memory "$node"
	rep=$(report pinkmem "$held_pid")
	is "$(echo "$rep" | grep '^content')" "content ok" "  ... the pinned process's content is intact"
	kill "$held_pid"
	wait "$held_pid" 2>/dev/null

	# --from-kmem: its memory offline (the pages in use move to node
	# 0), the device to device_dax, then to cxl_cdm. 8 MiB of a
	# process's on the node first, as system RAM.
	hold onkmem bind "$node" 8
	is "$(count "$(cat /tmp/onkmem.start)" "$node")" 2048 \
		"  ... a process holds 2048 pages on node $node (system RAM)"
	out=$(cdmctl online --from-kmem "$dax" --json)
	is "$?" 0 "cdmctl online --from-kmem of kmem's $dax: exit 0"
	is "$(echo "$out" | get result node changed taken_from_kmem)" "ok
$node
true
true" "  ... JSON: ok, node $node, changed, taken from kmem"
	is "$(driver_of "$dax"):$(cat $online)" "cxl_cdm:1" "  ... cxl_cdm's, online"
	is "$(cat $sysnode/has_coherent_device)" "$node" "  ... node $node is a CDM node"
	rep=$(report onkmem "$held_pid")
	is "$(count "$rep" 0):$(count "$rep" "$node")" "2048:0" \
		"  ... the process's pages moved to node 0 when the memory went offline"
	is "$(echo "$rep" | grep '^content')" "content ok" "  ... their content intact"
	kill "$held_pid"
	wait "$held_pid" 2>/dev/null
	out=$(cdmctl online --from-kmem "$dax")
	is "$?:$out" "0:$dax: already online as CDM node $node (cxl_cdm); nothing done" \
		"  ... again: nothing done"
	cdmctl offline --release "$dax" >/dev/null
	is "$(driver_of "$dax")" device_dax "  ... released to device_dax"
else
	skip "cdmctl online of kmem's device" "daxctl reconfigure-device --mode=system-ram failed"
fi
done_testing
