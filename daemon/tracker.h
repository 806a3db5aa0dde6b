/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Access tracking: which regions of a process's address space were used
 * in the last interval. DAMON (its sysfs interface) where the kernel has
 * it, idle page tracking otherwise. A region is a range of a process's
 * virtual addresses whose pages were used about equally often; the cost
 * of tracking grows with the number of regions, not with the bytes.
 */
#ifndef CDMD_TRACKER_H
#define CDMD_TRACKER_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "config.h"
#include "targets.h"

/* Accesses are counted out of this many samples per interval: a region
 * whose pages were used whenever a sample looked has CDMD_SAMPLES */
#define CDMD_SAMPLES	20

struct cdmd_region {
	uint64_t start, end;		/* page aligned, end exclusive */
	unsigned int accesses;		/* 0..CDMD_SAMPLES, of the last interval */
	unsigned int age;		/* intervals its access count stayed so */
};

struct cdmd_tracker;

/*
 * Start tracking with @kind (CDMD_TRACKER_AUTO: DAMON when the kernel
 * has its sysfs interface and no one else's kdamond runs, else idle
 * pages) sampling CDMD_SAMPLES times per @interval_ms. 0, or -errno with
 * one line on @err naming the cause: -ENOENT the kernel has no such
 * tracker, -EBUSY DAMON is in use by someone else, -EPERM not root.
 */
int cdmd_tracker_open(enum cdmd_tracker_kind kind, unsigned int interval_ms,
		      FILE *err, struct cdmd_tracker **tracker);
/* "damon" or "idle" */
const char *cdmd_tracker_name(const struct cdmd_tracker *tracker);
/*
 * Track exactly the processes of @scan from now on: new ones are added,
 * those that exited (or whose pid now names another process: the start
 * time differs) are dropped. 0, or -errno with a line on @err; a process
 * that cannot be tracked (it exited meanwhile) is left out, not an error.
 */
int cdmd_tracker_watch(struct cdmd_tracker *tracker, const struct cdmd_scan *scan,
		       FILE *err);
/*
 * The regions of @pid (a process of the last cdmd_tracker_watch()) as of
 * the last interval that ended, in address order, in *@regions (the
 * caller frees it) and their number in *@nr: 0, -ENOENT for a pid not
 * tracked, -EAGAIN when no interval has ended since it was added, other
 * -errno with a line on @err.
 */
int cdmd_tracker_regions(struct cdmd_tracker *tracker, pid_t pid,
			 struct cdmd_region **regions, size_t *nr, FILE *err);
/* Stop tracking and give back what it holds in the kernel (DAMON's
 * kdamonds turned off and removed); NULL is fine. */
void cdmd_tracker_close(struct cdmd_tracker *tracker);

#endif
