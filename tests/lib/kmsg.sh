# SPDX-License-Identifier: GPL-2.0-or-later
#
# Guest side (busybox sh): what the kernel says, in its log and to a
# write.
#
#   kmsg_mark        remember where the kernel log ends now
#   logged TEXT      the kernel logged TEXT since the last mark (or the
#                    last call), which then moves to the log's end
#   write_file FILE VALUE
#                    write VALUE to FILE (sysfs, debugfs); prints "ok" or
#                    the error the write got ("Invalid argument")
#   kmsg_lines       how many lines the kernel log has now
#   kmsg_reports LINES
#                    the lines after the first LINES of the kernel log
#                    that start a report of a kernel problem (WARNING,
#                    BUG, KASAN, Oops, Bad page state, UBSAN, ...), the
#                    lines scripts/vm-run looks for
#                    (scripts/vm/kernel-reports.sh); nothing when none

kmsg_mark() {
	log_lines=$(dmesg | wc -l)
}

logged() {
	_new=$(dmesg | tail -n +$((${log_lines:-0} + 1)))
	log_lines=$(dmesg | wc -l)
	echo "$_new" | grep -qF "$1"
}

write_file() {
	if _out=$( { echo "$2" >"$1"; } 2>&1); then
		echo ok
	else
		echo "${_out##*: }"
	fi
}

kmsg_lines() {
	dmesg | wc -l
}

# shellcheck source=../../scripts/vm/kernel-reports.sh
. "$CDM_TOP/scripts/vm/kernel-reports.sh"

kmsg_reports() {
	dmesg | tail -n +$((${1:-0} + 1)) | grep -E "$kernel_report_re"
}
