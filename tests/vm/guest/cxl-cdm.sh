#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cxl-cdm.sh: the cxl_cdm driver (kernel/drivers/cxl-cdm) onlines a CXL
# region's dax device as a coherent device memory node and takes it back,
# on the cxl topology with node 0 = 1 GiB (vm-run --memory 0=1G).
#
# Hostile module parameters and sysfs writes; a device is bound only when
# named; the node it makes (CDM, no CPUs, ZONE_MOVABLE, a slower tier, the
# driver's System RAM in iomem); explicit access; offline refused with a
# page that will not migrate (EBUSY, nothing lost, still online) and done
# with 64 MiB in use (moved to node 0, intact); online again; unbind that
# takes the memory back; unbind with a page that will not migrate, which
# cannot fail: the memory stays online and the module pinned.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/holder.sh"
. "$CDM_TOP/tests/lib/meminfo.sh"
. "$CDM_TOP/tests/lib/kmsg.sh"
. "$CDM_TOP/tests/lib/topo.sh"
drivers=/sys/bus/dax/drivers
param=/sys/module/cxl_cdm/parameters
sysnode=/sys/devices/system/node
memory=/sys/devices/system/memory


. "$CDM_TOP/tests/lib/devdax.sh"
devdax_setup
online=$d/cxl_cdm/online
diag "$dax: node $node, $(cat $d/size) bytes"
kmsg_mark

# Module parameters: a bad value refuses the load and names the parameter.
is "$(modprobe cxl_cdm remove_timeout_ms=0 2>&1 >/dev/null | sed 's/.*: //')" "Invalid argument" \
	"modprobe cxl_cdm remove_timeout_ms=0: EINVAL"
check "  ... the kernel names the parameter" logged "remove_timeout_ms must be"
check "the driver loads" modprobe cxl_cdm
for bad in 0 -1 3600001 abc ""; do
	is "$(write_file $param/remove_timeout_ms "$bad")" "Invalid argument" "remove_timeout_ms='$bad': EINVAL"
done
is "$(cat $param/remove_timeout_ms)" 60000 "  ... the default stays (60000 ms)"

# Bound only when named: loading it takes no device from device_dax.
is "$(driver_of "$dax")" device_dax "$dax stays with device_dax when cxl_cdm loads"
is "$(write_file $drivers/device_dax/unbind "$dax")" ok "device_dax lets $dax go"
is "$(write_file $drivers/cxl_cdm/bind "$dax")" "No such device" "binding $dax to cxl_cdm without naming it: ENODEV"
is "$(write_file $drivers/cxl_cdm/new_id "$dax")" ok "naming $dax in cxl_cdm's new_id binds it"
is "$(driver_of "$dax")" cxl_cdm "  ... $dax is cxl_cdm's"
check "  ... the kernel says how much went online" logged "MiB online on coherent device memory node $node"

# The node it made.
is "$(cat $sysnode/has_coherent_device)" "$node" "has_coherent_device lists node $node"
check "has_memory lists node $node" has_memory "$node"
is "$(cat $sysnode/node$node/cpulist)" "" "node $node has no CPUs"
total=$(node_kb "$node" MemTotal)
cmp_ok "$total" -ge $(( $(cat $d/size) * 9 / 10 >> 10 )) "node $node holds the device's memory ($total kB)"
is "$(zone_pages "$node" present Normal)" 0 "  ... none of it in ZONE_NORMAL"
cmp_ok "$(zone_pages "$node" present Movable)" -gt 0 "  ... all of it in ZONE_MOVABLE"
check "/proc/iomem: System RAM (cxl_cdm) under $dax" sh -c "grep -A1 ' : $dax\$' /proc/iomem | grep -q 'System RAM (cxl_cdm)'"
tier0=$(tier_of 0) tier=$(tier_of "$node")
cmp_ok "$tier" -gt "$tier0" "node $node is a slower memory tier ($tier) than node 0 ($tier0)"
is "$(cat $online)" 1 "$dax/cxl_cdm/online reads 1"
for bad in maybe 2 "" 10 yes -1 0x1; do
	is "$(write_file $online "$bad")" "Invalid argument" "online='$bad': EINVAL"
done
is "$(write_file $online 1)" ok "online=1 when online: nothing to do"

# Explicit access lands there.
hold dev POLICY_ALLOC_THEN_DEFAULT=1 bind "$node" 64
dev=$held_pid
is "$(count "$(cat /tmp/dev.start)" "$node")" 16384 "MPOL_BIND to node $node: all 16384 pages there"

# A page that cannot migrate (a pipe holds it): offline gives up after the
# timeout, the write gets EBUSY, nothing is lost, the node stays.
hold pin POLICY_ALLOC_PIN=1 POLICY_ALLOC_THEN_DEFAULT=1 bind "$node" 4
pin=$held_pid
is "$(count "$(cat /tmp/pin.start)" "$node")" 1024 "a process with 4 MiB on node $node holds its first page in a pipe"
echo 10000 >$param/remove_timeout_ms
kmsg_mark
is "$(timeout 120 sh -c "echo 0 >$online" 2>&1 | sed 's/.*: //')" "Device or resource busy" \
	"online=0 with a page that will not migrate: EBUSY"
check "  ... the kernel names the device and the node" logged "$dax: cannot go offline, node $node keeps the memory"
is "$(cat $online)" 1 "  ... $dax stays online"
check "  ... node $node keeps its memory" has_memory "$node"
out=$(report pin $pin)
is "$(echo "$out" | sed -n 's/^content //p')" ok "  ... the pinned process's content is intact"
out=$(report dev $dev)
is "$(echo "$out" | sed -n 's/^content //p')" ok "  ... so is the other process's"
kill $pin
wait $pin 2>/dev/null

# Offline with 64 MiB in use: it moves to node 0, intact.
is "$(write_file $online 0)" ok "online=0 with 64 MiB in use on node $node"
out=$(report dev $dev)
is "$(count "$out" 0)" 16384 "  ... the pages moved to node 0"
is "$(echo "$out" | sed -n 's/^content //p')" ok "  ... their content is intact"
is "$(cat $online)" 0 "  ... online reads 0"
check "  ... node $node has no memory" no_memory "$node"
check "  ... nor iomem the driver's System RAM" sh -c "! grep -q 'System RAM (cxl_cdm)' /proc/iomem"
is "$(driver_of "$dax")" cxl_cdm "  ... $dax stays bound"
kill $dev
wait $dev 2>/dev/null

# Online again, then unbind takes the memory back.
is "$(write_file $online 1)" ok "online=1 again"
is "$(cat $sysnode/has_coherent_device)" "$node" "  ... node $node is CDM again"
is "$(write_file $drivers/cxl_cdm/unbind "$dax")" ok "unbinding $dax from cxl_cdm"
check "  ... takes the memory back" no_memory "$node"
check "the driver unloads" rmmod cxl_cdm

# Unbind with a page that will not migrate cannot fail: the memory stays
# online, the node keeps working, and the module stays loaded.
check "the driver loads again" modprobe cxl_cdm remove_timeout_ms=5000
is "$(write_file $drivers/cxl_cdm/new_id "$dax")" ok "$dax bound again"
hold pin POLICY_ALLOC_PIN=1 POLICY_ALLOC_THEN_DEFAULT=1 bind "$node" 4
pin=$held_pid
kmsg_mark
is "$(write_file $drivers/cxl_cdm/unbind "$dax")" ok "unbinding $dax with a page that will not migrate"
check "  ... the kernel says the memory stays online" logged "stay online on node $node until reboot"
check "  ... node $node keeps its memory" has_memory "$node"
out=$(report pin $pin)
is "$(echo "$out" | sed -n 's/^content //p')" ok "  ... the pinned process's content is intact"
check "  ... the module cannot be unloaded" sh -c "! rmmod cxl_cdm 2>/dev/null"
kill $pin
wait $pin 2>/dev/null
done_testing
