# SPDX-License-Identifier: GPL-2.0-or-later
#
# Guest side (busybox sh): configs/qemu/*.topo and sysfs node lists.
#
#   topo_nodes FILE   one "ID CPUS MEM" line per node line of FILE
#                     (CPUS "-" for a CPU-less node, MEM as written: 2G)
#   mib SIZE          a size with M or G suffix, in MiB
#   expand LIST       a node list "0-1,3" as " 0 1 3 "
#   in_list LIST ID   whether node ID is in node list LIST
#   has_memory ID     whether node ID is in has_memory (a node list, so
#                     "0-2" holds 1, which a word match would miss)
#   no_memory ID      the opposite
#   cpuless_memory_node
#                     the last node with memory and no CPUs (a CXL node
#                     online), or nothing
#   tier_of ID        the memory tier (number) holding node ID, or <absent>

topo_nodes() {
	while read -r _kind _id _rest; do
		[ "$_kind" = node ] || continue
		_cpus=- _mem=
		for _kv in $_rest; do
			case "$_kv" in
			cpus=*) _cpus=${_kv#cpus=} ;;
			mem=*) _mem=${_kv#mem=} ;;
			esac
		done
		echo "$_id $_cpus $_mem"
	done <"$1"
}

mib() {
	case "$1" in
	*G) echo $((${1%G} * 1024)) ;;
	*M) echo "${1%M}" ;;
	esac
}

expand() {
	printf ' '
	echo "$1" | tr ',' '\n' | while IFS=- read -r _a _b; do
		[ -n "$_a" ] && seq "$_a" "${_b:-$_a}"
	done | tr '\n' ' '
}

in_list() {
	case "$(expand "$1")" in
	*" $2 "*) return 0 ;;
	esac
	return 1
}

tier_of() {
	for _t in /sys/devices/virtual/memory_tiering/memory_tier*; do
		[ -e "$_t/nodelist" ] || continue
		if in_list "$(cat "$_t/nodelist")" "$1"; then
			echo "${_t##*memory_tier}"
			return
		fi
	done
	echo "<absent>"
}

# CXL devices of a topology and what the guest made of them
# (vm-run --cxl-online, scripts/vm/cxl-online):
#
#   topo_cxl FILE         one "K KIND SIZE" line per cxl-type3 line of FILE
#                         (K from 0, KIND ram or pmem, SIZE as written)
#   cxl_memdev_of K       the memdev of the K-th cxl-type3 line (serial K+1)
#   cxl_region_of MEMDEV  the region decoding MEMDEV's memory
#   cxl_dax_of REGION     the dax device on REGION (directly for ram, through
#                         an nvdimm namespace for pmem)

cxl_sys=/sys/bus/cxl/devices

topo_cxl() {
	_k=0
	while read -r _kind _rest; do
		[ "$_kind" = cxl-type3 ] || continue
		for _kv in $_rest; do
			case "$_kv" in
			ram=*) echo "$_k ram ${_kv#ram=}" ;;
			pmem=*) echo "$_k pmem ${_kv#pmem=}" ;;
			esac
		done
		_k=$((_k + 1))
	done <"$1"
}

cxl_memdev_of() {
	for _m in $cxl_sys/mem*; do
		[ "$(($(cat "$_m/serial" 2>/dev/null || echo -1)))" -eq $(($1 + 1)) ] || continue
		echo "${_m##*/}"
		return 0
	done
	echo "<absent>"
}

cxl_region_of() {
	for _r in $cxl_sys/region*; do
		_ed=$(cat "$_r/target0" 2>/dev/null) || continue
		[ -n "$_ed" ] || continue
		# decoderX.Y belongs to endpointX, whose uport is the memdev
		_ep=$cxl_sys/endpoint${_ed#decoder}
		_ep=${_ep%.*}
		if [ "$(basename "$(readlink -f "$_ep/uport")")" = "$1" ]; then
			echo "${_r##*/}"
			return 0
		fi
	done
	echo "<absent>"
}

cxl_dax_of() {
	for _d in /sys/bus/dax/devices/dax*; do
		case "$(readlink -f "$_d")" in
		*/"$1"/*) echo "${_d##*/}"; return 0 ;;
		esac
	done
	echo "<absent>"
}

has_memory() {
	in_list "$(cat /sys/devices/system/node/has_memory)" "$1"
}

no_memory() {
	! has_memory "$1"
}

cpuless_memory_node() {
	_found=
	for _n in $(expand "$(cat /sys/devices/system/node/has_memory)"); do
		[ -n "$(tr -d '\n' </sys/devices/system/node/node$_n/cpulist 2>/dev/null)" ] || _found=$_n
	done
	echo "$_found"
}
