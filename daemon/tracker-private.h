/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Between tracker.c and its backends (damon.c, idle.c): tracker.c keeps
 * the set of tracked processes and works out at each watch which ones
 * came and went; a backend takes up and drops one process at a time and
 * reads its regions.
 */
#ifndef CDMD_TRACKER_PRIVATE_H
#define CDMD_TRACKER_PRIVATE_H

#include <stdint.h>

#include "sysfs.h"
#include "tracker.h"

/* A tracked process; @priv is its backend's, set by ->add() */
struct cdmd_tracked {
	pid_t pid;
	unsigned long long start_time;	/* as in struct cdmd_proc */
	void *priv;
};

struct cdmd_tracker_ops {
	const char *name;
	/* set up t->backend: 0, or -errno with a line on @err */
	int (*open)(struct cdmd_tracker *t, FILE *err);
	/* track @p from now on: 0, -ESRCH when it exited meanwhile (no
	 * message), other -errno with a line on @err */
	int (*add)(struct cdmd_tracker *t, struct cdmd_tracked *p, FILE *err);
	/* stop tracking @p (it may have exited) and free @p->priv */
	void (*drop)(struct cdmd_tracker *t, struct cdmd_tracked *p);
	/* cdmd_tracker_regions() for @p */
	int (*regions)(struct cdmd_tracker *t, struct cdmd_tracked *p,
		       struct cdmd_region **regions, size_t *nr, FILE *err);
	/* give back what t->backend holds; every process is dropped already */
	void (*close)(struct cdmd_tracker *t);
};

struct cdmd_tracker {
	const struct cdmd_tracker_ops *ops;
	unsigned int interval_ms;
	struct cdmd_tracked *procs;	/* by pid, ascending */
	size_t nr;
	void *backend;
};

extern const struct cdmd_tracker_ops cdmd_damon_ops, cdmd_idle_ops;

/* CLOCK_MONOTONIC in milliseconds: intervals are measured on it */
uint64_t cdmd_now_ms(void);

#endif
