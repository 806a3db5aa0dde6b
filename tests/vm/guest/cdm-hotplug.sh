#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cdm-hotplug.sh: device memory hot-added as a CDM node, on the cxl
# topology with node 0 = 1 GiB (vm-run --memory 0=1G).
#
# The CXL region's dax device is released and its range handed to
# cdm_add_memory() by tests/kernel/cdm_test_hotplug.ko, the way a driver
# adds its device's memory: hostile arguments, the node state, ZONE_MOVABLE,
# explicit access, isolation under pressure, removal refused while the
# pages in use do not fit elsewhere (-EBUSY, nothing lost), removal that
# migrates them, and a second cycle. Then the baseline: the same range
# onlined by daxctl as an ordinary node, where the same pressure spills.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/holder.sh"
. "$CDM_TOP/tests/lib/meminfo.sh"
. "$CDM_TOP/tests/lib/kmsg.sh"
. "$CDM_TOP/tests/lib/topo.sh"
p=/sys/module/cdm_test_hotplug/parameters
sysnode=/sys/devices/system/node
memory=/sys/devices/system/memory

# setp PARAM VALUE: write a parameter of the test driver
setp() { write_file "$p/$1" "$2"; }

# pressure NODE: default anonymous memory 256 MiB past node 0's free
# memory (zram swap takes what does not fit); prints how much NODE's
# AnonPages grew (kB) and how many of the hog's pages are there
pressure() {
	modprobe zram 2>/dev/null
	if ! [ -e /sys/block/zram0 ] || ! { echo 3G >/sys/block/zram0/disksize &&
		mkswap /dev/zram0 >/dev/null && swapon /dev/zram0; }; then
		bail_out "cannot set up swap on zram"
	fi
	_anon0=$(node_kb "$1" AnonPages)
	hold hog default - $(( ($(node_kb 0 MemFree) >> 10) + 256 )) >/dev/null
	_hog=$held_pid
	grep -q '^content ok' /tmp/hog.start || echo "hog failed: $(cat /tmp/hog.start)" >&2
	_hog1=$(count "$(cat /tmp/hog.start)" "$1")
	echo $(($(node_kb "$1" AnonPages) - _anon0)) "$_hog1"
	kill $_hog
	wait $_hog 2>/dev/null
	swapoff /dev/zram0
	echo 1 >/sys/block/zram0/reset
}

. "$CDM_TOP/tests/lib/devdax.sh"
devdax_setup
block=$((0x$(cat $memory/block_size_bytes)))
res=$(cat $d/resource)
end=$(( (res + $(cat $d/size)) / block * block ))
start=$(( (res + block - 1) / block * block ))
len=$((end - start))
diag "$dax: node $node, $(printf '%#x' "$res")+$(cat $d/size), memory blocks $(printf '%#x' $start)+$(printf '%#x' $len) of $((block >> 20)) MiB"

check "daxctl releases $dax" daxctl disable-device "$dax"
check "the test driver loads" modprobe cdm_test_hotplug
kmsg_mark
is "$(cat $p/online)" 0 "nothing is added before online=1"

# Hostile arguments: refused with an errno and a kernel message naming the
# node or range, nothing left behind.
is "$(setp online 1)" "Invalid argument" "no node given: EINVAL"
check "  ... the kernel names the node" logged "cdm: node -1 does not exist"
setp start $start >/dev/null
setp size $len >/dev/null
setp nid 0 >/dev/null
is "$(setp online 1)" "Invalid argument" "node 0 has CPUs: EINVAL"
check "  ... the kernel says why" logged "cdm: node 0 has CPUs"
setp nid 99 >/dev/null
is "$(setp online 1)" "Invalid argument" "node 99: EINVAL"
check "  ... the kernel names it" logged "cdm: node 99 does not exist"
setp nid "$node" >/dev/null
setp start $((start + 4096)) >/dev/null
is "$(setp online 1)" "Invalid argument" "a start inside a memory block: EINVAL"
check "  ... the kernel names the range" logged "is not made of"
setp start $start >/dev/null
setp size 0 >/dev/null
is "$(setp online 1)" "Invalid argument" "size 0: EINVAL"
setp start 0 >/dev/null
setp size $block >/dev/null
is "$(setp online 1)" "File exists" "a range that is already System RAM: EEXIST"
check "  ... the kernel names node and range" logged "cdm: node $node: adding 0x0+"
is "$(cat $sysnode/has_coherent_device)" "" "after the failures no node is marked CDM"
check "  ... and node $node has no memory" no_memory "$node"
is "$(setp online 0)" "No such file or directory" "removing what was never added: ENOENT"
is "$(setp online maybe)" "Invalid argument" "online=maybe: EINVAL"

# The real range, added while the auto-online policy says "online_kernel"
# (as memhp_default_state= or a udev rule might): the range must still come
# online wholly in ZONE_MOVABLE, with no window in which kernel memory -
# the node's kswapd and kcompactd stacks - lands on it.
setp start $start >/dev/null
setp size $len >/dev/null
auto_online=$(cat $memory/auto_online_blocks)
echo online_kernel >$memory/auto_online_blocks
is "$(setp online 1)" ok "cdm_add_memory(node $node, $(printf '%#x' $start), $((len >> 20)) MiB) with auto_online_blocks=online_kernel"
echo "$auto_online" >$memory/auto_online_blocks
check "  ... the kernel reports it" logged "cdm: node $node: $((len >> 20)) MiB of device memory online"
is "$(cat $sysnode/has_coherent_device)" "$node" "has_coherent_device lists node $node"
check "has_memory lists node $node too (numactl sees it)" has_memory "$node"
total=$(node_kb "$node" MemTotal)
cmp_ok "$total" -eq $((len >> 10)) "node $node has the $((len >> 20)) MiB ($total kB)"
bad=0
b=$((start / block))
while [ $b -lt $((end / block)) ]; do
	[ "$(cat $memory/memory$b/state)" = online ] && [ "$(cat $memory/memory$b/valid_zones)" = Movable ] ||
		{ bad=$((bad + 1)); diag "memory$b: $(cat $memory/memory$b/state) $(cat $memory/memory$b/valid_zones)"; }
	b=$((b + 1))
done
is "$bad" 0 "all $((len / block)) memory blocks online in ZONE_MOVABLE"
is "$(node_kb "$node" KernelStack)" 0 "  ... no kernel stack on node $node (its kswapd and kcompactd run from node 0's memory)"
is "$(zone_pages "$node" present Normal)" 0 "  ... node $node has no ZONE_NORMAL pages"
check "/proc/iomem shows the driver's System RAM" grep -q "System RAM (cdm_test_hotplug)" /proc/iomem
tier0=$(tier_of 0) tier=$(tier_of "$node")
diag "memory tiers: node 0 in memory_tier$tier0, node $node in memory_tier$tier"
cmp_ok "${tier:-0}" -gt "$tier0" "node $node is a slower memory tier than node 0 (its CDAT performance), not part of DRAM's"
is "$(setp online 1)" "File exists" "adding it twice: EEXIST"
is "$(setp remove_probe "$node 0 $(printf %x $block)")" "Invalid argument" \
	"removing node 0's first memory block as node $node's: EINVAL"
check "  ... the kernel says the range is not the node's" logged "is not one cdm_add_memory() added to this node"
is "$(setp remove_probe "$node $(printf '%x %x' $start $((len + block)))")" "Invalid argument" \
	"removing more than was added: EINVAL"
is "$(setp remove_probe "0 $(printf '%x %x' $start $len)")" "Invalid argument" \
	"removing it as node 0's (not CDM): EINVAL"
is "$(node_kb "$node" MemTotal)" "$total" "  ... node $node keeps all its memory"
is "$(setp nid 0)" "Device or resource busy" "the range cannot change while added: EBUSY"
check "the driver cannot be unloaded while its memory is added" sh -c "! rmmod cdm_test_hotplug 2>/dev/null"

# Explicit access: memory bound to the node lands there. QEMU emulates
# CXL memory access by access, so the test keeps it small.
hold dev POLICY_ALLOC_THEN_DEFAULT=1 bind "$node" 64
dev=$held_pid
is "$(count "$(cat /tmp/dev.start)" "$node")" 16384 "MPOL_BIND to node $node: all 16384 pages there"

# Removal while the pages do not fit into node 0: -EBUSY, nothing lost.
# The kernel counts as room what node 0 has free above its high watermarks
# plus what reclaim could free (its file pages; there is no swap yet):
# node_squeeze (meminfo.sh) takes it down to about 40 MiB, well short of
# the 64 MiB node 1 uses.
set -- $(node_squeeze 0 40)
diag "node 0: $1 huge pages reserved, $2 MiB free, high watermarks $3 MiB, file pages $4 MiB"
cmp_ok $(($2 - $3 + $4)) -lt 64 \
	"node 0's room (free above the high watermarks + file pages) is less than the 64 MiB node $node uses"
is "$(setp online 0)" "Device or resource busy" "removal with node 0 full: EBUSY"
check "  ... the kernel says how much does not fit" logged "MiB in use, room for"
check "  ... node $node stays online" has_memory "$node"
out=$(report dev $dev)
is "$(count "$out" "$node")" 16384 "  ... the pages stay on node $node"
is "$(echo "$out" | sed -n 's/^content //p')" ok "  ... their content is intact"
node_unsqueeze 0

# Isolation: default allocations do not spill into the hot-added node.
set -- $(pressure "$node")
diag "cdm: node $node AnonPages grew by $1 kB, the hog has $2 pages there"
is "$1" 0 "default anonymous memory 256 MiB past node 0's free memory put 0 kB on node $node"
is "$2" 0 "  ... the hog's pages: none on node $node (move_pages)"

# A page that cannot migrate (a pipe holds it): removal gives up after the
# driver's timeout with EBUSY, where offlining alone retries until a
# signal, and a driver's remove() in a kworker, which gets none, would
# hang for ever. The outer timeout only keeps the test from hanging.
hold pin POLICY_ALLOC_PIN=1 POLICY_ALLOC_THEN_DEFAULT=1 bind "$node" 4
pin=$held_pid
is "$(count "$(cat /tmp/pin.start)" "$node")" 1024 "a process with 4 MiB on node $node holds its first page in a pipe"
setp remove_timeout_ms 10000 >/dev/null
t0=$(date +%s)
out=$( { timeout 120 sh -c "echo 0 >$p/online"; } 2>&1)
took=$(($(date +%s) - t0))
is "${out##*: }" "Device or resource busy" "removal with a page that will not migrate: EBUSY"
# Not a timing test: a write still hanging at the guard's 120 s is
# "never" (the kernel's own "gave up after" line is checked next); under a
# loaded host, TCG has taken 46 s to return after the 10 s timeout.
cmp_ok "$took" -lt 120 "  ... after the 10 s timeout, not never ($took s, the guard kills at 120 s)"
check "  ... the kernel says it gave up" logged "gave up after 10000 ms"
check "  ... node $node stays online" has_memory "$node"
is "$(cat $p/online)" 1 "  ... the range stays added"
out=$(report pin $pin)
is "$(echo "$out" | sed -n 's/^content //p')" ok "  ... the pinned process's content is intact"
out=$(report dev $dev)
diag "after the failed removal the 64 MiB process has $(count "$out" 0) pages on node 0, $(count "$out" "$node") on node $node"
is "$(echo "$out" | sed -n 's/^content //p')" ok "  ... so is the other process's"
kill $pin
wait $pin 2>/dev/null
setp remove_timeout_ms 600000 >/dev/null

# Removal migrates what is in use to node 0.
is "$(setp online 0)" ok "cdm_remove_memory() with 64 MiB in use on the node"
out=$(report dev $dev)
is "$(count "$out" 0)" 16384 "  ... the pages moved to node 0"
is "$(echo "$out" | sed -n 's/^content //p')" ok "  ... their content is intact"
is "$(cat $sysnode/has_coherent_device)" "" "  ... node $node is no longer CDM"
check "  ... nor in has_memory" no_memory "$node"
check "  ... nor in /proc/iomem" sh -c "! grep -q 'System RAM (cdm_test_hotplug)' /proc/iomem"
kill $dev

# A second cycle, then the driver unloads.
is "$(setp online 1)" ok "added again"
is "$(cat $sysnode/has_coherent_device)" "$node" "  ... node $node is CDM again"
is "$(setp online 0)" ok "removed again"
check "the driver unloads" rmmod cdm_test_hotplug

# Baseline: the same range onlined by daxctl (kmem) as an ordinary node.
check "daxctl gets $dax back" daxctl enable-device "$dax"
check "daxctl onlines $dax as an ordinary node" daxctl reconfigure-device --mode=system-ram "$dax" -f
set -- $(pressure "$node")
diag "kmem baseline: node $node AnonPages grew by $1 kB, the hog has $2 pages there"
cmp_ok "$1" -gt 0 "kmem baseline: default allocations spill into a hot-added ordinary node ($1 kB)"
done_testing 66	# no result is conditional
