// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Access tracking: the set of tracked processes, and the choice of a
 * backend (damon.c, idle.c). A watch compares the new scan with the
 * processes tracked so far by pid and start time, drops those that are
 * gone and adds the new ones: processes start and exit rarely compared
 * with the intervals, so a backend is asked to change only what changed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tracker-private.h"

uint64_t cdmd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int open_backend(struct cdmd_tracker *t, const struct cdmd_tracker_ops *ops, FILE *err)
{
	t->ops = ops;
	return ops->open(t, err);
}

/*
 * AUTO: DAMON first; when it is missing or busy, idle pages, and DAMON's
 * reason is told only when idle pages fail as well. What DAMON said
 * while it opened (kdamonds a killed cdmd left on, turned off) is told
 * when it is the one that runs.
 */
static int open_auto(struct cdmd_tracker *t, FILE *err)
{
	char *why = NULL;
	size_t len = 0;
	FILE *quiet;
	int rc;

	quiet = open_memstream(&why, &len);
	if (!quiet) {
		fprintf(err, "tracker: out of memory\n");
		return -ENOMEM;
	}
	rc = open_backend(t, &cdmd_damon_ops, quiet);
	fclose(quiet);
	if (!rc && len)
		fputs(why, err);
	if (rc) {
		rc = open_backend(t, &cdmd_idle_ops, err);
		if (rc)
			fputs(why, err);
	}
	free(why);
	return rc;
}

int cdmd_tracker_open(enum cdmd_tracker_kind kind, unsigned int interval_ms,
		      FILE *err, struct cdmd_tracker **tracker)
{
	struct cdmd_tracker *t;
	int rc;

	/* DAMON's sampling interval is interval_ms / CDMD_SAMPLES, in us */
	if (interval_ms == 0 || interval_ms > UINT32_MAX / 1000) {
		fprintf(err, "tracker: interval of %u ms out of range\n", interval_ms);
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		fprintf(err, "tracker: out of memory\n");
		return -ENOMEM;
	}
	t->interval_ms = interval_ms;
	switch (kind) {
	case CDMD_TRACKER_DAMON:
		rc = open_backend(t, &cdmd_damon_ops, err);
		break;
	case CDMD_TRACKER_IDLE:
		rc = open_backend(t, &cdmd_idle_ops, err);
		break;
	default:
		rc = open_auto(t, err);
		break;
	}
	if (rc) {
		free(t);
		return rc;
	}
	*tracker = t;
	return 0;
}

const char *cdmd_tracker_name(const struct cdmd_tracker *tracker)
{
	return tracker->ops->name;
}

/*
 * Drop first, then add: what the processes that left held (DAMON's
 * kdamonds) serves the new ones. Both lists are by pid, so one merge
 * finds the new processes and keeps the order.
 */
int cdmd_tracker_watch(struct cdmd_tracker *t, const struct cdmd_scan *scan, FILE *err)
{
	const struct cdmd_proc *sp;
	struct cdmd_tracked *next;
	size_t i, j, n = 0;
	int rc = 0, r;

	for (i = 0, j = 0; i < t->nr; i++) {
		sp = cdmd_scan_find(scan, t->procs[i].pid);
		if (sp && sp->start_time == t->procs[i].start_time)
			t->procs[j++] = t->procs[i];
		else
			t->ops->drop(t, &t->procs[i]);
	}
	t->nr = j;

	next = calloc(scan->nr ? scan->nr : 1, sizeof(*next));
	if (!next) {
		fprintf(err, "tracker: out of memory\n");
		return -ENOMEM;
	}
	for (i = 0, j = 0; i < scan->nr; i++) {
		sp = &scan->procs[i];
		if (j < t->nr && t->procs[j].pid == sp->pid) {
			next[n++] = t->procs[j++];
			continue;
		}
		if (rc)
			continue;	/* the backend failed: add no more */
		next[n] = (struct cdmd_tracked){ .pid = sp->pid, .start_time = sp->start_time };
		r = t->ops->add(t, &next[n], err);
		if (!r)
			n++;
		else if (r != -ESRCH)
			rc = r;
	}
	free(t->procs);
	t->procs = next;
	t->nr = n;
	return rc;
}

static int cmp_tracked(const void *a, const void *b)
{
	const struct cdmd_tracked *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

int cdmd_tracker_regions(struct cdmd_tracker *tracker, pid_t pid,
			 struct cdmd_region **regions, size_t *nr, FILE *err)
{
	struct cdmd_tracked key = { .pid = pid }, *p;

	p = tracker->nr ? bsearch(&key, tracker->procs, tracker->nr, sizeof(key), cmp_tracked) :
			  NULL;
	if (!p)
		return -ENOENT;
	return tracker->ops->regions(tracker, p, regions, nr, err);
}

void cdmd_tracker_close(struct cdmd_tracker *tracker)
{
	size_t i;

	if (!tracker)
		return;
	for (i = 0; i < tracker->nr; i++)
		tracker->ops->drop(tracker, &tracker->procs[i]);
	tracker->ops->close(tracker);
	free(tracker->procs);
	free(tracker);
}
