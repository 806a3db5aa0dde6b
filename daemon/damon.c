// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * DAMON through its sysfs interface, /sys/kernel/mm/damon/admin
 * (Documentation/admin-guide/mm/damon/usage.rst; the semantics below are
 * those of mm/damon/sysfs.c and sysfs-schemes.c in Linux 6.12).
 *
 * One kdamond per tracked process. Its regions come from the
 * damon_aggregated trace event (damon-trace.c): one read of a trace pipe
 * a round for all processes. Without tracefs they are read from sysfs,
 * through a DAMOS scheme with the action "stat" whose access pattern
 * matches every region: writing "update_schemes_tried_regions" to the
 * kdamond's state file fills schemes/0/tried_regions/N/{start,end,
 * nr_accesses,age}, four files a region a round. Those directories say
 * nothing of the target a region belongs to, and a kdamond runs one
 * context (sysfs.c refuses "on" unless nr_contexts is 1), so several
 * processes in one context would need one scheme per target, each with
 * a "target" filter: every region is then tested by every scheme, a cost
 * that grows with the square of the processes. A kdamond per process
 * needs nothing of the kind, and a process that exits stops its own
 * kdamond (kdamond_need_stop(): no valid target left) without touching
 * the others.
 *
 * The scheme is applied at every sampling interval (apply_interval_us =
 * sample_us), not once per aggregation: an update request is served
 * after the next application of the scheme, and the writer of "state"
 * polls for that every 100 ms, so reading a process costs about 100 ms
 * instead of up to a whole interval (the kdamonds run in step: reading N
 * processes one after the other would take N intervals). What a tried
 * region shows is nr_accesses_bp / 10000, DAMON's moving sum of the
 * accesses over the last aggregation interval (core.c,
 * damon_update_region_access_rate()), so it is a whole interval's count
 * at any moment: 0..CDMD_SAMPLES with aggr_us / sample_us = CDMD_SAMPLES,
 * as the trace event's nr_accesses at the end of an interval.
 *
 * Writing nr_kdamonds rebuilds every kdamond directory and fails with
 * EBUSY while any kdamond runs. The kdamonds are kept as a pool that
 * doubles when full: a new process takes a free kdamond that is off
 * (configured anew and turned on alone); only a full pool makes every
 * kdamond of ours stop, the pool grow and them start again, which costs
 * each process one interval without regions (-EAGAIN).
 *
 * The kdamonds cdmd turned on are listed in a file (OWNERS_FILE), with
 * cdmd's pid and start time: a cdmd killed by SIGKILL leaves them on,
 * and the next cdmd turns off those its dead predecessor listed, instead
 * of taking them for someone else's and going without DAMON.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "damon-trace.h"
#include "sysfs.h"
#include "tracker-private.h"

#define DAMON_ADMIN	"/sys/kernel/mm/damon/admin"
#define KDAMONDS	DAMON_ADMIN "/kdamonds"
#define CTX		"contexts/0/"
#define SCHEME		CTX "schemes/0/"
/*
 * At most 1000 regions, DAMON's default: it bounds the cost (a page
 * checked per region and sample) and the sysfs files read per interval
 * (4 per region), and is still fine enough to set apart a hot range of a
 * few MiB in tens of GiB. At least 50: DAMON merges neighbours with
 * similar counts only up to a size of the process's over min_nr_regions
 * (damon_merge_regions_of()'s sz_limit), so this bounds how much of a
 * cold range one region can join to a hot one next to it. With DAMON's
 * default of 10 a 64 MiB process's cold 56 MiB read 1.4 (trace) and up
 * to 3.0 (sysfs) accesses of 20 in cdmd-tracker.t, beside a hot range's
 * 6 to 11.
 */
#define MIN_REGIONS		"50"
#define MAX_REGIONS		"1000"
#define POOL_MIN	4
/* the kdamonds cdmd turned on; CDMD_KDAMONDS_FILE replaces it (tests) */
#define OWNERS_FILE	"/run/cdmd/kdamonds"
/* most files take damon_sysfs_lock with a trylock: EBUSY while another
 * writer, or a kdamond filling tried_regions, holds it for a moment */
#define BUSY_TRIES	50
#define BUSY_WAIT_US	10000

struct kdamond {
	pid_t pid;		/* the process it tracks; 0 free; -1 someone else's */
	pid_t kthread;		/* its kernel thread, the events' task */
	uint64_t on_ms;		/* when it was turned on */
};

struct damon {
	struct kdamond *kd;
	int nr;			/* kdamonds/nr_kdamonds */
	struct damon_trace *trace;	/* NULL: the regions from sysfs */
};

static const char *owners_file(void)
{
	return cdmd_path_env("CDMD_KDAMONDS_FILE", OWNERS_FILE);
}

/* "PID START_TIME" of this cdmd, then the indices of its kdamonds that
 * are on; written whole (a new file renamed over the old) after every
 * change, removed when none is left */
static void record_owned(const struct damon *d)
{
	char tmp[PATH_MAX], *slash;
	unsigned long long start = 0;
	int i, any = 0;
	FILE *f;

	for (i = 0; i < d->nr; i++)
		any |= d->kd[i].pid > 0;
	if (!any) {
		unlink(owners_file());
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s", owners_file());
	slash = strrchr(tmp, '/');
	if (slash && slash != tmp) {
		*slash = '\0';
		mkdir(tmp, 0755);
	}
	snprintf(tmp, sizeof(tmp), "%s.new", owners_file());
	f = fopen(tmp, "we");
	if (!f)
		return;
	cdmd_proc_start_time("/proc", getpid(), &start);
	fprintf(f, "%d %llu\n", getpid(), start);
	for (i = 0; i < d->nr; i++)
		if (d->kd[i].pid > 0)
			fprintf(f, "%d\n", i);
	if (fclose(f) || rename(tmp, owners_file()))
		unlink(tmp);
}

static void kd_path(char *buf, size_t size, int i, const char *file)
{
	snprintf(buf, size, KDAMONDS "/%d/%s", i, file);
}

static int write_busy(const char *path, const char *value)
{
	int rc, tries = 0;

	while ((rc = cdmd_write_str(path, value)) == -EBUSY && ++tries < BUSY_TRIES)
		usleep(BUSY_WAIT_US);
	return rc;
}

static int kd_write(int i, const char *file, const char *value)
{
	char path[256];

	kd_path(path, sizeof(path), i, file);
	return write_busy(path, value);
}

/* 1 when kdamond @i runs, 0 when it is off, or -errno */
static int kd_on(int i)
{
	char path[256], state[8];
	int rc, tries = 0;

	kd_path(path, sizeof(path), i, "state");
	while ((rc = cdmd_read_line(path, state, sizeof(state))) == -EBUSY && ++tries < BUSY_TRIES)
		usleep(BUSY_WAIT_US);
	return rc ? rc : !strcmp(state, "on");
}

static void kd_off(int i)
{
	if (kd_on(i) == 1)
		kd_write(i, "state", "off");
}

/*
 * Kdamonds a cdmd that is gone left on (SIGKILL): turned off, each said
 * on @err. Those of a cdmd that still runs stay, and so do all others.
 */
static void reclaim_leftovers(FILE *err)
{
	unsigned long long start, now_start;
	int pid, i;
	FILE *f;

	f = fopen(owners_file(), "re");
	if (!f)
		return;
	if (fscanf(f, "%d %llu", &pid, &start) == 2 && pid > 0 &&
	    (cdmd_proc_start_time("/proc", pid, &now_start) || now_start != start)) {
		while (fscanf(f, "%d", &i) == 1)
			if (i >= 0 && kd_on(i) == 1) {
				kd_off(i);
				fprintf(err, "damon: kdamond %d was left on by cdmd %d, which is "
					"gone: turned off\n", i, pid);
			}
		unlink(owners_file());
	}
	fclose(f);
}

/*
 * Configure kdamond @i (off) for @pid and turn it on. nr_contexts,
 * nr_targets and nr_schemes rebuild their directories, so nothing of an
 * earlier user of the kdamond is left. A new scheme's access pattern is
 * 0..0 in each range and matches nothing: every minimum and maximum is
 * set. 0, -ESRCH when @pid exited, or -errno with a line on @err.
 */
static int kd_start(struct cdmd_tracker *t, int i, pid_t pid, FILE *err)
{
	struct damon *d = t->backend;
	unsigned long long aggr_us = t->interval_ms * 1000ULL;
	char sample[24], aggr[24], target[16];
	const struct {
		const char *file, *value;
	} steps[] = {
		{ "contexts/nr_contexts", "1" },
		{ CTX "operations", "vaddr" },
		{ CTX "monitoring_attrs/intervals/sample_us", sample },
		{ CTX "monitoring_attrs/intervals/aggr_us", aggr },
		/* the process's mappings are looked at again once an interval */
		{ CTX "monitoring_attrs/intervals/update_us", aggr },
		{ CTX "monitoring_attrs/nr_regions/min", MIN_REGIONS },
		{ CTX "monitoring_attrs/nr_regions/max", MAX_REGIONS },
		{ CTX "targets/nr_targets", "1" },
		{ CTX "targets/0/pid_target", target },
		{ CTX "schemes/nr_schemes", d->trace ? "0" : "1" },
		{ SCHEME "action", "stat" },
		{ SCHEME "apply_interval_us", sample },
		{ SCHEME "access_pattern/sz/min", "0" },
		{ SCHEME "access_pattern/sz/max", "18446744073709551615" },
		{ SCHEME "access_pattern/nr_accesses/min", "0" },
		{ SCHEME "access_pattern/nr_accesses/max", "4294967295" },
		{ SCHEME "access_pattern/age/min", "0" },
		{ SCHEME "access_pattern/age/max", "4294967295" },
		{ "state", "on" },
	};
	char path[256];
	uint64_t kthread = 0;
	size_t s;
	int rc;

	snprintf(sample, sizeof(sample), "%llu", aggr_us / CDMD_SAMPLES);
	snprintf(aggr, sizeof(aggr), "%llu", aggr_us);
	snprintf(target, sizeof(target), "%d", pid);
	for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		/* the scheme serves the regions from sysfs only */
		if (d->trace && !strncmp(steps[s].file, SCHEME, strlen(SCHEME)))
			continue;
		rc = kd_write(i, steps[s].file, steps[s].value);
		if (!rc)
			continue;
		/* "on" fails with EINVAL when the pid names no process */
		if (kill(pid, 0) && errno == ESRCH)
			return -ESRCH;
		fprintf(err, "pid %d: damon: kdamonds/%d/%s: %s\n", pid, i, steps[s].file,
			strerror(-rc));
		return rc;
	}
	if (d->trace) {
		kd_path(path, sizeof(path), i, "pid");
		rc = cdmd_read_u64(path, &kthread);
		if (!rc)
			rc = cdmd_damon_trace_watch(d->trace, kthread);
		if (rc) {
			fprintf(err, "pid %d: damon: kdamonds/%d/pid: %s\n", pid, i, strerror(-rc));
			kd_off(i);
			return rc;
		}
	}
	d->kd[i] = (struct kdamond){ .pid = pid, .kthread = kthread, .on_ms = cdmd_now_ms() };
	record_owned(d);
	return 0;
}

/* kdamond @i, on for one of ours, turned off */
static void kd_stop(struct damon *d, int i)
{
	kd_off(i);
	if (d->trace)
		cdmd_damon_trace_unwatch(d->trace, d->kd[i].kthread);
}

/*
 * Twice the kdamonds: ours stop, nr_kdamonds is written (every directory
 * is made anew, empty) and ours start again with their processes. When
 * the resize is refused (someone else's kdamond runs) ours start again
 * as they were. A process that exited meanwhile loses its kdamond: its
 * regions are -ENOENT from then on.
 */
static int pool_grow(struct cdmd_tracker *t, FILE *err)
{
	struct damon *d = t->backend;
	int i, n = d->nr < POOL_MIN ? POOL_MIN : d->nr * 2, old = d->nr, rc;
	struct kdamond *kd;
	char nr[16];

	kd = realloc(d->kd, n * sizeof(*kd));
	if (!kd) {
		fprintf(err, "damon: out of memory\n");
		return -ENOMEM;
	}
	d->kd = kd;
	for (i = 0; i < old; i++)
		if (kd[i].pid > 0)
			kd_stop(d, i);
	snprintf(nr, sizeof(nr), "%d", n);
	rc = write_busy(KDAMONDS "/nr_kdamonds", nr);
	if (rc == -EBUSY)
		fprintf(err, "damon: %s/nr_kdamonds: a kdamond of someone else runs, "
			"no room for more processes\n", KDAMONDS);
	else if (rc)
		fprintf(err, "damon: %s/nr_kdamonds: %s\n", KDAMONDS, strerror(-rc));
	if (!rc) {
		memset(kd + old, 0, (n - old) * sizeof(*kd));
		d->nr = n;
	}
	for (i = 0; i < old; i++) {
		if (kd[i].pid == -1 && !rc)
			kd[i].pid = 0;		/* its directory is a new one */
		if (kd[i].pid > 0 && kd_start(t, i, kd[i].pid, err))
			kd[i].pid = 0;
	}
	return rc;
}

static int damon_add(struct cdmd_tracker *t, struct cdmd_tracked *p, FILE *err)
{
	struct damon *d = t->backend;
	int i, rc;

	for (i = 0;; i++) {
		if (i == d->nr) {
			rc = pool_grow(t, err);
			if (rc)
				return rc;
		}
		if (d->kd[i].pid)
			continue;
		/* free to us, but turned on by someone meanwhile? */
		rc = kd_on(i);
		if (rc < 0) {
			fprintf(err, "pid %d: damon: kdamonds/%d/state: %s\n", p->pid, i,
				strerror(-rc));
			return rc;
		}
		if (rc) {
			d->kd[i].pid = -1;
			continue;
		}
		break;
	}
	rc = kd_start(t, i, p->pid, err);
	if (rc)
		return rc;
	/* an index, not a pointer: pool_grow() moves the array */
	p->priv = (void *)(uintptr_t)(i + 1);
	return 0;
}

static int kd_of(const struct cdmd_tracked *p)
{
	return (int)(uintptr_t)p->priv - 1;
}

static void damon_drop(struct cdmd_tracker *t, struct cdmd_tracked *p)
{
	struct damon *d = t->backend;
	int i = kd_of(p);

	if (d->kd[i].pid != p->pid)
		return;		/* its kdamond went with a pool_grow() */
	kd_stop(d, i);
	d->kd[i].pid = 0;
	record_owned(d);
}

/* tried region @n, its files read relative to the tried_regions directory */
static int read_region(int dir, size_t n, struct cdmd_region *r)
{
	static const char *const files[] = { "start", "end", "nr_accesses", "age" };
	uint64_t v[4];
	char file[64];
	int f, rc;

	for (f = 0; f < 4; f++) {
		snprintf(file, sizeof(file), "%zu/%s", n, files[f]);
		rc = cdmd_read_u64_at(dir, file, &v[f]);
		if (rc)
			return rc;
	}
	r->start = v[0];
	r->end = v[1];
	/* nr_accesses_bp / 10000 of a moving sum: CDMD_SAMPLES at most */
	r->accesses = v[2] > CDMD_SAMPLES ? CDMD_SAMPLES : v[2];
	r->age = v[3] > UINT32_MAX ? UINT32_MAX : v[3];
	return 0;
}

static int cmp_region(const void *a, const void *b)
{
	const struct cdmd_region *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/*
 * Kdamond @i's last set from the trace. Its first comes an interval after
 * it was turned on, later under load: waited for up to half an interval,
 * as the sysfs way waits for its update. A process that
 * is gone is -ENOENT; its kdamond stops by itself.
 */
static int traced_regions(struct cdmd_tracker *t, int i, pid_t pid,
			  struct cdmd_region **regions, size_t *nr, FILE *err)
{
	struct damon *d = t->backend;
	uint64_t until = d->kd[i].on_ms + t->interval_ms + t->interval_ms / 2;
	int rc;

	if (kill(pid, 0) && errno == ESRCH)
		return -ENOENT;
	for (;;) {
		rc = cdmd_damon_trace_drain(d->trace, err);
		if (!rc)
			rc = cdmd_damon_trace_regions(d->trace, d->kd[i].kthread, regions, nr);
		if (rc != -EAGAIN || cdmd_now_ms() >= until)
			return rc;
		cdmd_damon_trace_wait(d->trace, until - cdmd_now_ms());
	}
}

static int damon_regions(struct cdmd_tracker *t, struct cdmd_tracked *p,
			 struct cdmd_region **regions, size_t *nr, FILE *err)
{
	struct damon *d = t->backend;
	struct cdmd_region *r = NULL, *bigger;
	size_t n = 0, cap = 0;
	char path[256];
	int i = kd_of(p), dir, rc;

	if (d->kd[i].pid != p->pid)
		return -ENOENT;
	/* the trace's first set is waited for (traced_regions()) by a round
	 * that comes a little before it, as the next round comes an
	 * interval after the one that turned the kdamond on */
	if (d->trace && cdmd_now_ms() - d->kd[i].on_ms >= t->interval_ms / 2)
		return traced_regions(t, i, p->pid, regions, nr, err);
	if (d->trace || cdmd_now_ms() - d->kd[i].on_ms < t->interval_ms)
		return -EAGAIN;
	rc = kd_write(i, "state", "update_schemes_tried_regions");
	/*
	 * EINVAL: the kdamond is not running. It stops itself when its
	 * process exits; a request it had not served when that happened
	 * returns 0 with what it collected. Either way: off means gone.
	 */
	if ((!rc || rc == -EINVAL) && kd_on(i) == 0)
		return -ENOENT;
	if (rc) {
		fprintf(err, "pid %d: damon: kdamonds/%d/state: update_schemes_tried_regions: %s\n",
			p->pid, i, strerror(-rc));
		return rc;
	}
	kd_path(path, sizeof(path), i, SCHEME "tried_regions");
	dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		rc = -errno;
		fprintf(err, "pid %d: damon: %s: %s\n", p->pid, path, strerror(-rc));
		return rc;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			bigger = realloc(r, cap * sizeof(*r));
			if (!bigger) {
				rc = -ENOMEM;
				break;
			}
			r = bigger;
		}
		rc = read_region(dir, n, &r[n]);
		if (rc)
			break;
		n++;
	}
	close(dir);
	if (rc == -ENOENT)
		rc = n ? 0 : -EAGAIN;	/* past the last one; none before the first interval */
	else
		fprintf(err, "pid %d: damon: kdamonds/%d/%stried_regions/%zu: %s\n", p->pid, i,
			SCHEME, n, strerror(-rc));
	if (rc) {
		free(r);
		return rc;
	}
	/* DAMON keeps a target's regions in address order; cheap to be sure */
	qsort(r, n, sizeof(*r), cmp_region);
	*regions = r;
	*nr = n;
	return 0;
}

static int damon_open(struct cdmd_tracker *t, FILE *err)
{
	struct damon *d;
	uint64_t nr;
	int i, rc;

	if (access(DAMON_ADMIN, F_OK)) {
		fprintf(err, "damon: %s: the kernel has no DAMON sysfs interface\n", DAMON_ADMIN);
		return -ENOENT;
	}
	rc = cdmd_read_u64(KDAMONDS "/nr_kdamonds", &nr);
	if (rc == -EACCES || rc == -EPERM) {
		fprintf(err, "damon: %s/nr_kdamonds: permission denied (not root?)\n", KDAMONDS);
		return -EPERM;
	}
	if (rc) {
		fprintf(err, "damon: %s/nr_kdamonds: %s\n", KDAMONDS, strerror(-rc));
		return rc;
	}
	reclaim_leftovers(err);
	for (i = 0; i < (int)nr; i++) {
		rc = kd_on(i);
		if (rc == 1) {
			fprintf(err, "damon: kdamond %d is on: DAMON is in use by someone else\n",
				i);
			return -EBUSY;
		}
		if (rc < 0) {
			fprintf(err, "damon: kdamonds/%d/state: %s\n", i, strerror(-rc));
			return rc;
		}
	}
	d = calloc(1, sizeof(*d));
	/* directories left by someone (all off) are ours to reuse */
	if (d)
		d->kd = calloc(nr ? nr : 1, sizeof(*d->kd));
	if (!d || !d->kd) {
		free(d);
		fprintf(err, "damon: out of memory\n");
		return -ENOMEM;
	}
	d->nr = nr;
	/* without the trace (no tracefs): the regions from sysfs */
	rc = cdmd_damon_trace_open(&d->trace, t->interval_ms, err);
	if (rc && rc != -ENOENT)
		fprintf(err, "damon: reading the regions from sysfs instead of the trace\n");
	t->backend = d;
	return 0;
}

/* Every process is dropped (its kdamond off) already. */
static void damon_close(struct cdmd_tracker *t)
{
	struct damon *d = t->backend;
	int i;

	for (i = 0; i < d->nr; i++)
		if (kd_on(i))
			break;
	/* give the directories back unless someone else's kdamond runs */
	if (i == d->nr && d->nr)
		write_busy(KDAMONDS "/nr_kdamonds", "0");
	unlink(owners_file());
	cdmd_damon_trace_close(d->trace);
	free(d->kd);
	free(d);
}

const struct cdmd_tracker_ops cdmd_damon_ops = {
	.name = "damon",
	.open = damon_open,
	.add = damon_add,
	.drop = damon_drop,
	.regions = damon_regions,
	.close = damon_close,
};
