# SPDX-License-Identifier: GPL-2.0-or-later
#
# Guest side (busybox sh): a CXL expander's memory as a dax device, for
# the tests that online it themselves (cxl_cdm, cdmctl online, hotplug).
#
#   devdax_setup   keeps the calling shell from the OOM killer and off
#                  CXL memory (shelter.sh), makes one CXL ram region a
#                  devdax device (scripts/vm/cxl-online --mode=devdax)
#                  and sets dax (daxX.Y), d (its sysfs directory) and
#                  node (its target node); bails out if a step fails
#   driver_of DAX  the driver DAX is bound to (cxl_cdm, device_dax, kmem)
#   cdm_bind [MODPROBE ARGS]
#                  loads cxl_cdm and moves $dax from device_dax to it
#   cdm_release    moves $dax back to device_dax (its memory goes
#                  offline) and unloads cxl_cdm

. "$CDM_TOP/tests/lib/shelter.sh"

devdax_setup() {
	echo -1000 >/proc/$$/oom_score_adj
	shelter || bail_out "cannot shelter the test's shells in a cgroup (shelter.sh)"
	dax=$(/cdm/scripts/vm/cxl-online --mode=devdax) ||
		bail_out "no CXL dax device (scripts/vm/cxl-online --mode=devdax)"
	d=/sys/bus/dax/devices/$dax
	node=$(cat $d/target_node)
}

driver_of() {
	basename "$(readlink -f "/sys/bus/dax/devices/$1/driver")"
}

cdm_bind() {
	modprobe cxl_cdm "$@" || return 1
	echo "$dax" >/sys/bus/dax/drivers/cxl_cdm/new_id 2>/dev/null
	[ "$(driver_of "$dax")" = cxl_cdm ] || {
		echo "$dax" >/sys/bus/dax/drivers/device_dax/unbind &&
			echo "$dax" >/sys/bus/dax/drivers/cxl_cdm/bind
	}
}

cdm_release() {
	echo "$dax" >/sys/bus/dax/drivers/cxl_cdm/unbind && rmmod cxl_cdm &&
		echo "$dax" >/sys/bus/dax/drivers/device_dax/bind
}
