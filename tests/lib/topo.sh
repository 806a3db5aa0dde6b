# SPDX-License-Identifier: GPL-2.0-or-later
#
# Guest side (busybox sh): configs/qemu/*.topo and sysfs node lists.
#
#   topo_nodes FILE   one "ID CPUS MEM" line per node line of FILE
#                     (CPUS "-" for a CPU-less node, MEM as written: 2G)
#   mib SIZE          a size with M or G suffix, in MiB
#   expand LIST       a node list "0-1,3" as " 0 1 3 "
#   in_list LIST ID   whether node ID is in node list LIST
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
