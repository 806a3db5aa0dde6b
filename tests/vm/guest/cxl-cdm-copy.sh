#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cxl-cdm-copy.sh MIB ROUNDS: the cxl_cdm copy engine (cxl_cdm_copy.c) on
# the cxl topology. MIB MiB of THP move to the CXL node and back ROUNDS
# times (copy-offload-check, every byte checked) and writers race THP
# migrations (copy-offload-race thp: no write lost):
#   - with no DMA channel: the CPU engine copies (copy/path "cpu");
#   - through the software DMA provider (tests/kernel/cdm_test_dma.ko)
#     with 1, 2 and 4 channels: the DMA path copies, every channel used;
#   - with the provider failing descriptors (after scribbling over their
#     destination) and hanging one: the core copies what DMA did not,
#     nothing is lost, failures and timeouts are counted;
#   - 4 KiB folios: declined by cost, the core copies them.
# And the module parameters' hostile values. CXL memory is emulated
# access by access: small sizes.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/kmsg.sh"
mib=${1:-16} rounds=${2:-2}
bin=$CDM_TOP/build/tests/vm
param=/sys/module/cxl_cdm/parameters
copy=/sys/module/cxl_cdm/copy
core=/sys/kernel/mm/cdm
dmaparam=/sys/module/cdm_test_dma/parameters

. "$CDM_TOP/tests/lib/devdax.sh"
devdax_setup
diag "$dax: node $node"
echo madvise >/sys/kernel/mm/transparent_hugepage/enabled

counter() { cat "$copy/$1"; }
core_counter() { cat "$core/$1"; }

# thp_roundtrip LABEL: MIB MiB of THP to the node and back ROUNDS times
thp_roundtrip() {
	diag "$(date +%s): $1"
	out=$(COPY_CHECK_THP=1 in_open "$bin/copy-offload-check" "$mib" "$rounds" "$node")
	is "$(echo "$out" | sed -n 's/^misplaced //p')" 0 "$1: $mib MiB of THP moved to node $node and back $rounds times, all placed"
	is "$(echo "$out" | sed -n 's/^intact //p')" $((mib * 256)) "  ... every page intact"
}

# race LABEL: writers racing THP migrations lose nothing
race() {
	out=$(in_open "$bin/copy-offload-race" thp "$mib" 1)
	cmp_ok "$(echo "$out" | sed -n 's/^writes //p')" -gt 0 "$1: writers raced THP migrations"
	is "$(echo "$out" | sed -n 's/^lost //p')" 0 "  ... no write lost"
}

# Hostile values: a load refused, a write refused, the parameter named.
kmsg_mark
for bad in "dma_channels=65" "min_folio_kb=abc" "dma_timeout_ms=0" "cpu_threads=65" "min_batch_kb=1048577"; do
	is "$(modprobe cxl_cdm "$bad" 2>&1 >/dev/null | sed 's/.*: //')" "Invalid argument" "modprobe cxl_cdm $bad: EINVAL"
	check "  ... the kernel names the parameter" logged "${bad%%=*} must be"
done
for bad in 0 17; do
	is "$(modprobe cdm_test_dma channels=$bad 2>&1 >/dev/null | sed 's/.*: //')" "Invalid argument" \
		"the test DMA provider refuses channels=$bad"
	check "  ... and says why" logged "channels=$bad: must be 1 to 16"
done

# No DMA channel: the CPU engine.
check "cxl_cdm loads and takes $dax" cdm_bind
is "$(counter path)" cpu "no DMA provider: the engine copies on the CPUs"
is "$(counter channels)" 0 "  ... with no channel"
check "  ... and is registered for node $node" grep -q "^cxl_cdm-cpu-node$node $node\$" $core/copy_engines
for p in dma_timeout_ms min_folio_kb min_batch_kb cpu_threads; do
	for bad in -1 abc "" 99999999999; do
		is "$(write_file $param/$p "$bad")" "Invalid argument" "$p='$bad': EINVAL"
	done
done
is "$(cat $param/min_folio_kb) $(cat $param/min_batch_kb) $(cat $param/dma_timeout_ms) $(cat $param/cpu_threads)" \
	"64 256 10000 0" "  ... the defaults stay (64 KiB, 256 KiB, 10000 ms, 0)"
cpu0=$(counter cpu_folios)
thp_roundtrip "CPU engine"
cmp_ok "$(counter cpu_folios)" -ge $((cpu0 + mib * rounds)) "  ... the CPU engine copied the huge folios ($(counter cpu_folios))"
race "CPU engine"

# 4 KiB folios lose to the core's own copy: declined, counted.
d0=$(counter declined_small) c0=$(core_counter declined_folios)
out=$(in_open "$bin/copy-offload-check" "$mib" "$rounds" "$node")
is "$(echo "$out" | sed -n 's/^misplaced //p')" 0 "4 KiB pages: $mib MiB moved to node $node and back $rounds times, all placed"
is "$(echo "$out" | sed -n 's/^intact //p')" $((mib * 256)) "  ... every page intact"
cmp_ok "$(counter declined_small)" -gt "$d0" "  ... the engine declined their batches ($(counter declined_small))"
cmp_ok "$(core_counter declined_folios)" -ge $((c0 + mib * 256 * 2 * rounds)) \
	"  ... the core counted them declined and copied them"
check "cxl_cdm lets $dax go and unloads" cdm_release

# The software DMA provider, 1, 2 and 4 channels of it.
check "the test DMA provider loads with 4 channels" modprobe cdm_test_dma channels=4
for n in 1 2 4; do
	check "cxl_cdm takes $n DMA channels" cdm_bind dma_channels=$n
	is "$(counter path) $(counter channels)" "dma $n" "  ... copy/path dma, $n channels"
	check "  ... registered as a DMA engine for node $node" grep -q "^cxl_cdm-dma-node$node " $core/copy_engines
	d0=$(counter dma_folios) t0=$(cat $dmaparam/completed)
	thp_roundtrip "DMA, $n channels"
	cmp_ok "$(counter dma_folios)" -ge $((d0 + mib * rounds)) "  ... DMA copied the huge folios ($(counter dma_folios))"
	cmp_ok "$(cat $dmaparam/completed)" -gt "$t0" "  ... through the provider's descriptors ($(cat $dmaparam/completed))"
	i=0
	while [ $i -lt $n ]; do
		cmp_ok "$(cat $copy/channel$i/folios)" -gt 0 "  ... channel $i ($(cat $copy/channel$i/name)) copied some"
		i=$((i + 1))
	done
	is "$(counter dma_errors)" 0 "  ... no DMA error"
	# writers race once per path: CPU, DMA, failing DMA (CXL memory is slow)
	[ $n != 4 ] || race "DMA, $n channels"
	[ $n = 4 ] || check "  ... cxl_cdm unloads" cdm_release
done

# Completions out of order change nothing.
echo 1 >$dmaparam/reorder
thp_roundtrip "DMA, completions out of order"
echo 0 >$dmaparam/reorder

# Failed descriptors: their destination is scribbled over, the core copies
# them again; nothing is lost, the failures are counted.
e0=$(counter dma_errors) f0=$(core_counter fallback_folios)
echo 3 >$dmaparam/fail_every
thp_roundtrip "DMA failing every 3rd descriptor"
race "DMA failing every 3rd descriptor"
echo 0 >$dmaparam/fail_every
cmp_ok "$(counter dma_errors)" -gt "$e0" "  ... the engine counted the failures ($(counter dma_errors))"
cmp_ok "$(core_counter fallback_folios)" -gt "$f0" "  ... and the core copied what DMA did not ($(core_counter fallback_folios))"

# A hung descriptor: the batch times out, the channels are terminated,
# the core copies the rest.
echo 300 >$param/dma_timeout_ms
to0=$(counter dma_timeouts)
kmsg_mark
echo 7 >$dmaparam/stall_every
thp_roundtrip "DMA with a hung descriptor"
echo 0 >$dmaparam/stall_every
cmp_ok "$(counter dma_timeouts)" -gt "$to0" "  ... batches timed out ($(counter dma_timeouts))"
check "  ... the kernel says so" logged "no completion within 300 ms, channels terminated"

# Channels in use hold the provider.
check "the provider cannot unload while cxl_cdm holds its channels" sh -c "! rmmod cdm_test_dma 2>/dev/null"
check "cxl_cdm lets $dax go and unloads" cdm_release
check "then the provider unloads" rmmod cdm_test_dma
done_testing
