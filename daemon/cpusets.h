/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * isolate_cpusets (cdmd.conf(5)): on a kernel without coherent device
 * memory nodes, nothing keeps default allocations off the CPU-less
 * nodes. cdmd then does what configs/cgroup-cpuset.md tells an
 * administrator to do by hand: every top-level cgroup v2 cgroup's
 * cpuset.mems lists the nodes with CPUs, but those that hold a managed
 * process. It remembers what it changed and puts it back when it stops.
 */
#ifndef CDMD_CPUSETS_H
#define CDMD_CPUSETS_H

#include <stdbool.h>
#include <stdio.h>

#include <libcdm.h>

#include "targets.h"

/* A top-level cgroup as cdmd last found it */
struct cdmd_cpuset {
	char *path;		/* <root>/<name> */
	char *old;		/* its cpuset.mems before cdmd wrote it, as read,
				 * "" when it inherited all; NULL: untouched */
	bool held;		/* it holds a target's process (said once) */
	bool seen;		/* found by the walk of this call */
	bool fell_back;		/* "" given back was refused (ENOSPC): it has
				 * the root's nodes, old stays "" */
	int said;		/* the -errno last said about it, 0: none */
};

/* Zeroed before the first cdmd_cpusets_take_over() or _apply() */
struct cdmd_cpusets {
	char *root;		/* the cgroup v2 root of the first apply */
	struct cdmd_cpuset *cgroups;
	size_t nr, cap;
	bool enabled;		/* cdmd wrote +cpuset to the root's subtree_control */
	int said;		/* the -errno last said about the root, 0: none */
	char *journal;		/* where what cdmd changed is written down; NULL: nowhere */
	int journal_said;	/* the -errno last said about writing it, 0: none */
};

/*
 * What cdmd changed is also written down in the file @journal (cdmd's pid
 * and start time, the root, whether it enabled the controller, and each
 * cgroup's cpuset.mems before), anew after each apply that wrote
 * something and removed by a restore: a cdmd killed by SIGKILL cannot
 * give the values back, and the next one would find the cgroups on the
 * fast nodes and take that for how they were. When @journal exists and
 * the cdmd that wrote it is gone (its pid has another start time under
 * @proc_root, or none), what it changed becomes @st's own: a restore
 * gives it back, an apply keeps it. One that names a root other than
 * @cgroup_root, a cgroup name with a '/', or a value that is not a node
 * list, is not taken (said on @err, and removed). A journal of a cdmd that runs is
 * left alone, and @st keeps none. Returns how many cgroups were taken
 * over, or -errno with a line on @err.
 */
int cdmd_cpusets_take_over(struct cdmd_cpusets *st, const char *journal,
			   const char *cgroup_root, const char *proc_root, FILE *err);

/*
 * One round's work, cheap enough for every interval: the cpuset
 * controller enabled in @cgroup_root's cgroup.subtree_control (by cdmd,
 * remembered, when it was not), then each direct child of @cgroup_root
 * (system.slice, user.slice, init.scope, ...) whose cpuset.mems is not
 * @fast gets @fast, its value before kept the first time. A child that
 * holds a process of @scan (its /proc/PID/cgroup, read under
 * @proc_root, names it) is left alone, said once on @err, and gets back
 * what cdmd took from it. Cgroups that appear are handled, those gone
 * forgotten. A cgroup that cannot be read or written gets one line on
 * @err naming its file and the errno, said again only when the errno
 * changes; the others go on.
 * Returns how many cgroups it wrote to (the root counts for +cpuset),
 * 0 when all was as it should be, or -errno with a line on @err (once)
 * when nothing could be done: @fast empty, no cpuset controller, the
 * root unreadable, out of memory.
 */
int cdmd_cpusets_apply(struct cdmd_cpusets *st, const char *cgroup_root,
		       const struct cdm_nodeset *fast, const struct cdmd_scan *scan,
		       const char *proc_root, FILE *err);

/*
 * Every cpuset.mems cdmd changed back to its value before. An empty one
 * (it inherited the root's, all memory nodes) is written empty; the
 * kernel refuses that to a cgroup with processes (ENOSPC), which then
 * gets the root's cpuset.mems.effective, all nodes, written out. Then
 * -cpuset at the root if cdmd enabled it and no top-level cgroup uses
 * the controller for something else: the cpuset files go away and with
 * them what the fallback wrote. What cannot be done is said on @err.
 * The journal is removed. @st is freed and zeroed but for the journal's
 * path; apply may start over.
 */
void cdmd_cpusets_restore(struct cdmd_cpusets *st, FILE *err);

/* @st freed and zeroed, nothing given back, the journal file left as it is */
void cdmd_cpusets_free(struct cdmd_cpusets *st);

#endif
