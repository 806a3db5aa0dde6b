#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# copy-engine-guest.sh MIB REPS: the guest side of bench/copy-engine.sh,
# on the cxl topology. For each way of copying, MIB MiB of 4 KiB pages and
# of THP moved from node 0 to the CXL node onlined by cxl_cdm and back
# (bench/move-bench, REPS each); one line per case:
#   CASE KIND to_ms MEDIAN back_ms MEDIAN misplaced N corrupt N dma N cpu N
# where dma and cpu are the folios the engine copied each way.
. "$CDM_TOP/tests/lib/tap.sh"
. "$CDM_TOP/tests/lib/devdax.sh"
mib=$1 reps=$2
copy=/sys/module/cxl_cdm/copy
param=/sys/module/cxl_cdm/parameters
devdax_setup
echo madvise >/sys/kernel/mm/transparent_hugepage/enabled

# run CASE: both kinds with the engine as it is set up now
run() {
	for kind in 4k thp; do
		d0=$(cat $copy/dma_folios) c0=$(cat $copy/cpu_folios)
		out=$(in_open "$CDM_TOP/build/bench/move-bench" "$mib" "$node" "$reps" $kind)
		echo "$1 $kind $out dma $(($(cat $copy/dma_folios) - d0)) cpu $(($(cat $copy/cpu_folios) - c0))"
	done
}

# thresholds on (the defaults) or off (every batch offered)
thresholds() {
	if [ "$1" = off ]; then
		echo 0 >$param/min_folio_kb
		echo 0 >$param/min_batch_kb
	else
		echo 64 >$param/min_folio_kb
		echo 256 >$param/min_batch_kb
	fi
}

cdm_bind || bail_out "cxl_cdm does not take $dax"
echo 1048576 >$param/min_folio_kb
run core-cpu-copy
thresholds on
run cpu-engine
thresholds off
run cpu-engine-no-threshold
cdm_release || bail_out "cxl_cdm does not let $dax go"
modprobe cdm_test_dma channels=4 || bail_out "no test DMA provider"
for n in 1 2 4; do
	cdm_bind dma_channels=$n || bail_out "cxl_cdm does not take $dax"
	run dma-$n
	thresholds off
	run dma-$n-no-threshold
	cdm_release || bail_out "cxl_cdm does not let $dax go"
done
