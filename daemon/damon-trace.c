// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * DAMON's regions from its damon_aggregated tracepoint, in a tracefs
 * instance of cdmd's own (Documentation/trace/ftrace.rst, "Instances").
 *
 * At the end of every aggregation interval a kdamond emits one event
 * per region of its target (mm/damon/core.c, kdamond_reset_aggregated()):
 *
 *   kdamond.0-93 [001] ..... 45.123456: damon_aggregated: target_id=0
 *     nr_regions=12 140737-140999: 3 7       (start-end: nr_accesses age)
 *
 * Reading them from trace_pipe costs a read(2) for every process's
 * regions, where the sysfs files cost an update request (served after the
 * next scheme application, up to 100 ms later) and four files per region.
 * The events of one aggregation come out in a row, in address order,
 * within microseconds; a set is taken whole or not at all: it must hold
 * nr_regions events of one kdamond, each starting above the last, all
 * within half an interval (the next set comes an interval later). A set broken by lost events (the ring
 * buffer overran: "[LOST n EVENTS]") is dropped, the buffer doubled up to
 * a bound, and the next aggregation brings a whole one.
 *
 * The kdamonds are told apart by their kernel thread's pid (the events'
 * task), which kdamonds/N/pid gives once one is on.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "damon-trace.h"
#include "sysfs.h"

#define TRACEFS		"/sys/kernel/tracing"
#define INSTANCE	"cdmd"
#define EVENT		"events/damon/damon_aggregated/enable"
/* per CPU: about 1100 events of 56 bytes; doubled on loss up to 16x */
#define BUFFER_KB	64
#define BUFFER_KB_MAX	1024
#define READ_BYTES	65536

struct trace_set {
	pid_t kthread;
	struct cdmd_region *done;	/* the last whole set, NULL: none yet */
	size_t nr_done, done_cap;
	struct cdmd_region *part;	/* the set being read */
	size_t nr_part, want, cap;
	double first_ts;		/* trace clock, seconds */
};

struct damon_trace {
	char dir[256];			/* the instance */
	int pipe;
	unsigned int interval_ms, buffer_kb;
	struct trace_set *sets;
	size_t nr_sets;
	char *buf;			/* READ_BYTES, and a line cut in two */
	size_t kept;
	unsigned long long lost;	/* events the ring buffer overwrote */
};

static int instance_write(struct damon_trace *tr, const char *file, const char *value)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tr->dir, file);
	return cdmd_write_str(path, value);
}

static int set_buffer(struct damon_trace *tr, unsigned int kb)
{
	char v[16];
	int rc;

	snprintf(v, sizeof(v), "%u", kb);
	rc = instance_write(tr, "buffer_size_kb", v);
	if (!rc)
		tr->buffer_kb = kb;
	return rc;
}

int cdmd_damon_trace_open(struct damon_trace **out, unsigned int interval_ms, FILE *err)
{
	const char *root = cdmd_path_env("CDMD_TRACEFS", TRACEFS);
	struct damon_trace *tr;
	char path[512];
	int rc;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/events/damon/damon_aggregated", root);
	if (access(path, F_OK))
		return -ENOENT;		/* no tracefs there, or no DAMON events */
	tr = calloc(1, sizeof(*tr));
	if (tr)
		tr->buf = malloc(READ_BYTES + 1);
	if (!tr || !tr->buf) {
		free(tr);
		fprintf(err, "damon: out of memory\n");
		return -ENOMEM;
	}
	tr->pipe = -1;
	tr->interval_ms = interval_ms;
	snprintf(tr->dir, sizeof(tr->dir), "%s/instances/" INSTANCE, root);
	/* one a killed cdmd left is taken over: what it holds is stale */
	if (mkdir(tr->dir, 0700) && errno != EEXIST) {
		rc = -errno;
		fprintf(err, "damon: %s: %s\n", tr->dir, strerror(-rc));
		goto fail;
	}
	rc = instance_write(tr, EVENT, "0");
	if (!rc)
		rc = set_buffer(tr, BUFFER_KB);
	if (!rc)
		rc = instance_write(tr, EVENT, "1");
	if (rc) {
		fprintf(err, "damon: %s: the damon_aggregated event: %s\n", tr->dir,
			strerror(-rc));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/trace_pipe", tr->dir);
	tr->pipe = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (tr->pipe < 0) {
		rc = -errno;
		fprintf(err, "damon: %s: %s\n", path, strerror(-rc));
		goto fail;
	}
	*out = tr;
	return 0;
fail:
	cdmd_damon_trace_close(tr);
	return rc;
}

static void forget_set(struct trace_set *s)
{
	free(s->done);
	free(s->part);
}

void cdmd_damon_trace_close(struct damon_trace *tr)
{
	size_t i;

	if (!tr)
		return;
	if (tr->pipe >= 0)
		close(tr->pipe);
	instance_write(tr, EVENT, "0");
	rmdir(tr->dir);		/* EBUSY while someone reads it: left for the next cdmd */
	for (i = 0; i < tr->nr_sets; i++)
		forget_set(&tr->sets[i]);
	free(tr->sets);
	free(tr->buf);
	free(tr);
}

static struct trace_set *find_set(struct damon_trace *tr, pid_t kthread)
{
	size_t i;

	for (i = 0; i < tr->nr_sets; i++)
		if (tr->sets[i].kthread == kthread)
			return &tr->sets[i];
	return NULL;
}

int cdmd_damon_trace_watch(struct damon_trace *tr, pid_t kthread)
{
	struct trace_set *s = find_set(tr, kthread), *more;

	if (s)
		return 0;
	more = realloc(tr->sets, (tr->nr_sets + 1) * sizeof(*more));
	if (!more)
		return -ENOMEM;
	tr->sets = more;
	tr->sets[tr->nr_sets++] = (struct trace_set){ .kthread = kthread };
	return 0;
}

void cdmd_damon_trace_unwatch(struct damon_trace *tr, pid_t kthread)
{
	struct trace_set *s = find_set(tr, kthread);

	if (!s)
		return;
	forget_set(s);
	*s = tr->sets[--tr->nr_sets];
}

/* every set being read is broken: events were lost in between */
static void break_sets(struct damon_trace *tr)
{
	size_t i;

	for (i = 0; i < tr->nr_sets; i++)
		tr->sets[i].nr_part = tr->sets[i].want = 0;
}

/* One event of @s's kdamond: on to the set being read, which is done
 * when it holds nr_regions; one that does not follow is a new set */
static void add_event(struct damon_trace *tr, struct trace_set *s, double ts,
		      unsigned int nr_regions, const struct cdmd_region *r)
{
	struct cdmd_region *bigger, *swap;
	size_t cap;

	if (s->nr_part && (r->start < s->part[s->nr_part - 1].end || s->want != nr_regions ||
			   ts - s->first_ts > tr->interval_ms / 2000.0))
		s->nr_part = 0;
	if (!s->nr_part) {
		s->want = nr_regions;
		s->first_ts = ts;
	}
	if (s->nr_part == s->cap) {
		cap = s->cap ? s->cap * 2 : 64;
		bigger = realloc(s->part, cap * sizeof(*bigger));
		if (!bigger) {
			s->nr_part = 0;		/* this set is lost; the next may fit */
			return;
		}
		s->part = bigger;
		s->cap = cap;
	}
	s->part[s->nr_part++] = *r;
	if (s->nr_part < s->want)
		return;
	/* whole: it becomes the set to give; the old one's array is reused */
	swap = s->done;
	s->done = s->part;
	s->part = swap;
	cap = s->done_cap;
	s->done_cap = s->cap;
	s->cap = cap;
	s->nr_done = s->nr_part;
	s->nr_part = 0;
	s->want = 0;
}

/*
 * "<task>-<pid> [cpu] <flags> <ts>: damon_aggregated: target_id=T
 * nr_regions=N S-E: A G"; "CPU:c [LOST n EVENTS]" when the buffer overran
 */
static void parse_line(struct damon_trace *tr, char *line)
{
	unsigned long target;
	unsigned int nr_regions, accesses, age;
	uint64_t start, end;
	unsigned long long lost;
	char *ev, *dash, *tsp;
	struct trace_set *s;
	double ts;
	pid_t pid;

	if (strstr(line, "[LOST ")) {
		if (sscanf(strstr(line, "[LOST "), "[LOST %llu", &lost) == 1)
			tr->lost += lost;
		break_sets(tr);
		return;
	}
	ev = strstr(line, ": damon_aggregated: ");
	if (!ev)
		return;
	*ev = '\0';
	tsp = strrchr(line, ' ');
	line += strspn(line, " ");
	dash = strchr(line, ' ');
	if (!tsp || !dash)
		return;
	*dash = '\0';
	dash = strrchr(line, '-');
	if (!dash)
		return;
	pid = atoi(dash + 1);
	s = find_set(tr, pid);
	if (!s)
		return;			/* someone else's kdamond */
	ts = strtod(tsp + 1, NULL);
	if (sscanf(ev + strlen(": damon_aggregated: "),
		   "target_id=%lu nr_regions=%u %" SCNu64 "-%" SCNu64 ": %u %u", &target,
		   &nr_regions, &start, &end, &accesses, &age) != 6 || target || !nr_regions)
		return;
	add_event(tr, s, ts, nr_regions, &(struct cdmd_region){
		.start = start, .end = end,
		.accesses = accesses > CDMD_SAMPLES ? CDMD_SAMPLES : accesses, .age = age });
}

int cdmd_damon_trace_drain(struct damon_trace *tr, FILE *err)
{
	unsigned long long lost = tr->lost;
	char *line, *nl;
	ssize_t n;

	for (;;) {
		n = read(tr->pipe, tr->buf + tr->kept, READ_BYTES - tr->kept);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		n += tr->kept;
		tr->buf[n] = '\0';
		for (line = tr->buf; (nl = strchr(line, '\n')); line = nl + 1) {
			*nl = '\0';
			parse_line(tr, line);
		}
		/* a line cut by the read waits for its end; one longer than
		 * the buffer is no event of ours */
		tr->kept = tr->buf + n - line;
		if (tr->kept == READ_BYTES)
			tr->kept = 0;
		memmove(tr->buf, line, tr->kept);
	}
	if (n < 0 && errno != EAGAIN) {
		fprintf(err, "damon: %s/trace_pipe: %s\n", tr->dir, strerror(errno));
		return -errno;
	}
	if (tr->lost > lost && tr->buffer_kb < BUFFER_KB_MAX &&
	    !set_buffer(tr, tr->buffer_kb * 2))
		fprintf(err, "damon: %llu events lost: the trace buffer is now %u KiB per CPU\n",
			tr->lost - lost, tr->buffer_kb);
	return 0;
}

void cdmd_damon_trace_wait(struct damon_trace *tr, uint64_t ms)
{
	struct pollfd pfd = { .fd = tr->pipe, .events = POLLIN };

	poll(&pfd, 1, ms > INT_MAX ? INT_MAX : (int)ms);
}

int cdmd_damon_trace_regions(struct damon_trace *tr, pid_t kthread,
			     struct cdmd_region **regions, size_t *nr)
{
	struct trace_set *s = find_set(tr, kthread);
	struct cdmd_region *r;

	if (!s || !s->done)
		return -EAGAIN;
	r = malloc(s->nr_done * sizeof(*r));
	if (!r)
		return -ENOMEM;
	memcpy(r, s->done, s->nr_done * sizeof(*r));
	*regions = r;
	*nr = s->nr_done;
	return 0;
}
