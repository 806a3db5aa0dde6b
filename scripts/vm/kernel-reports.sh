# SPDX-License-Identifier: GPL-2.0-or-later
# The first line of each kind of report the kernel prints when something
# is wrong, as one grep -E pattern: kernel_report_re. KASAN's reports
# begin "BUG: KASAN:", lockdep's "WARNING:". Sourced (POSIX sh) by
# scripts/vm-run, which fails a command during which one appears on the
# console, and by tests/lib/kmsg.sh, whose kmsg_reports looks for them in
# the guest's log.
kernel_report_re='WARNING:|BUG:|Oops|kernel BUG at|general protection fault|Kernel panic'
kernel_report_re="$kernel_report_re|Bad page state|INFO: task .* blocked for more than|hard LOCKUP"
kernel_report_re="$kernel_report_re|UBSAN:|kmemleak: [0-9]+ new suspected memory leak"
