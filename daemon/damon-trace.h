/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DAMON's regions from its damon_aggregated tracepoint (damon-trace.c),
 * for damon.c: one read of a trace pipe a round for every kdamond.
 */
#ifndef CDMD_DAMON_TRACE_H
#define CDMD_DAMON_TRACE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "tracker-private.h"

struct damon_trace;

/* cdmd's tracefs instance with the event on: 0, -ENOENT when tracefs
 * or the event is absent (nothing said), or -errno with a line on @err.
 * CDMD_TRACEFS replaces /sys/kernel/tracing (tests). */
int cdmd_damon_trace_open(struct damon_trace **tr, unsigned int interval_ms, FILE *err);
void cdmd_damon_trace_close(struct damon_trace *tr);
/* Keep the sets of the kdamond whose kernel thread is @kthread */
int cdmd_damon_trace_watch(struct damon_trace *tr, pid_t kthread);
void cdmd_damon_trace_unwatch(struct damon_trace *tr, pid_t kthread);
/* Read every event there is: 0, or -errno with a line on @err */
int cdmd_damon_trace_drain(struct damon_trace *tr, FILE *err);
/* Wait up to @ms for events to read */
void cdmd_damon_trace_wait(struct damon_trace *tr, uint64_t ms);
/* A copy of @kthread's last whole set (the caller frees it): 0, -EAGAIN
 * when none came yet, -ENOMEM */
int cdmd_damon_trace_regions(struct damon_trace *tr, pid_t kthread,
			     struct cdmd_region **regions, size_t *nr);

#endif
