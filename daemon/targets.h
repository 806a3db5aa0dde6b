/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which processes each target of the configuration names, found anew at
 * every scan so that processes that start or exit are picked up without
 * a restart.
 */
#ifndef CDMD_TARGETS_H
#define CDMD_TARGETS_H

#include <sys/types.h>

#include "config.h"

/* A process as cdmd knows it: a pid, and its start time, so that a pid
 * the kernel hands to a new process is never taken for the old one */
struct cdmd_proc {
	pid_t pid;
	unsigned long long start_time;	/* /proc/PID/stat field 22, clock ticks */
	int target;			/* index in the configuration's targets */
};

struct cdmd_scan {
	struct cdmd_proc *procs;	/* by pid, ascending */
	size_t nr, cap;
	unsigned int gone;		/* processes that exited while being read */
};

/*
 * Every process of @cfg's targets: the user processes whose command
 * name, or the pid, a target's match names, or that belong to its cgroup
 * or a cgroup below it. A process is the first matching target's
 * (configuration order); kernel threads and @self are nobody's.
 * @proc_root is "/proc"; a cgroup match's path is read under
 * @cgroup_root in place of /sys/fs/cgroup (tests). A cgroup directory
 * that does not exist yet matches nothing. 0, or -errno with "message"
 * on @err when /proc cannot be read at all.
 */
int cdmd_targets_scan(const struct cdmd_config *cfg, const char *proc_root,
		      const char *cgroup_root, pid_t self, struct cdmd_scan *scan, FILE *err);
/*
 * Drop from @scan the processes that are gone since it was made: those
 * whose /proc/PID/stat no longer reads, or shows another start time (a
 * pid reused). The number dropped. What the next scan would drop too,
 * at one read per process of @scan rather than a walk of all /proc.
 */
size_t cdmd_scan_recheck(struct cdmd_scan *scan, const char *proc_root);
/* /proc/PID/stat's start time of @pid: 0, -ENOENT when it is gone */
int cdmd_proc_start_time(const char *proc_root, pid_t pid, unsigned long long *start_time);
/* the process @pid of the last scan, or NULL */
const struct cdmd_proc *cdmd_scan_find(const struct cdmd_scan *scan, pid_t pid);
void cdmd_scan_free(struct cdmd_scan *scan);

#endif
