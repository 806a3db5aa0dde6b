// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * track BACKEND: cdmd's access tracker (daemon/tracker.c with damon.c or
 * idle.c) on a process of known behaviour, in TAP. BACKEND is damon or
 * idle; "busy" checks instead that DAMON in use by someone else (a
 * kdamond the caller turned on) is refused and auto falls back to idle.
 *
 * The process maps 64 MiB (2 MiB aligned, PROT_NONE pages either side so
 * the mapping stays a mapping of its own), writes all of it once, then
 * rewrites its first 8 MiB over and over: after some intervals the
 * tracker must find those 8 MiB hot (at least a quarter of the samples,
 * on average by bytes) and the other 56 MiB cold (at most 1).
 *
 * After each pass the process flushes its TLB. x86 sets a page table
 * entry's accessed bit only when it loads the entry into the TLB, and
 * Linux clears those bits without a flush (DAMON's mkold, idle pages'
 * marking): a page that stays in the TLB looks unused. A real CPU's TLB
 * holds a few thousand entries and loses them to other work all the
 * time; QEMU's TCG holds the whole hot set (millions of entries) until
 * the guest flushes, which a process alone on a vCPU never does.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tracker.h"

#include "../../lib/tap.h"

#define INTERVAL_MS	500
#define INTERVALS	6
#define MIB		(1ULL << 20)
#define HOT		(8 * MIB)
#define SIZE		(64 * MIB)
#define SLEEPERS	5
#define FLUSH_PAGES	64
#define KDAMONDS	"/sys/kernel/mm/damon/admin/kdamonds"
#define TRACE_INSTANCE	"/sys/kernel/tracing/instances/cdmd"

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The child: maps, writes, tells the parent where, keeps the hot part hot */
static pid_t spawn_worker(uint64_t *base)
{
	int fds[2];
	pid_t pid;
	char *area, *p, *scratch;
	uint64_t addr = 0;
	unsigned char v = 1;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid) {
		close(fds[1]);
		if (pid > 0 && read(fds[0], &addr, sizeof(addr)) != sizeof(addr))
			pid = -1;
		close(fds[0]);
		*base = addr;
		return pid;
	}
	area = mmap(NULL, SIZE + 4 * MIB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		_exit(1);
	p = (char *)(((uintptr_t)area + 2 * MIB) & ~(2 * MIB - 1));
	scratch = mmap(NULL, FLUSH_PAGES * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (scratch == MAP_FAILED || mprotect(p, SIZE, PROT_READ | PROT_WRITE))
		_exit(1);
	memset(p, 0xaa, SIZE);
	addr = (uintptr_t)p;
	if (write(fds[1], &addr, sizeof(addr)) != sizeof(addr))
		_exit(1);
	close(fds[1]);
	for (;;) {
		memset(p, v++, HOT);
		/* more pages than x86's tlb_single_page_flush_ceiling (33):
		 * the whole TLB is flushed */
		memset(scratch, v, FLUSH_PAGES * 4096);
		madvise(scratch, FLUSH_PAGES * 4096, MADV_DONTNEED);
	}
}

static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();

	if (!pid) {
		pause();
		_exit(0);
	}
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* A scan of exactly @pids, through targets.c as cdmd makes it (start times and all) */
static int scan_of(const pid_t *pids, int n, struct cdmd_scan *scan)
{
	static struct cdmd_config cfg;
	int i;

	memset(&cfg, 0, sizeof(cfg));
	for (i = 0; i < n; i++) {
		snprintf(cfg.targets[i].name, sizeof(cfg.targets[i].name), "p%d", i);
		cfg.targets[i].match = CDMD_MATCH_PID;
		cfg.targets[i].pid = pids[i];
	}
	cfg.nr_targets = n;
	return cdmd_targets_scan(&cfg, "/proc", "/sys/fs/cgroup", getpid(), scan, stderr);
}

/* Accesses over [a, b) by bytes, and how many of its bytes the regions cover */
static double average(const struct cdmd_region *r, size_t n, uint64_t a, uint64_t b,
		      uint64_t *covered)
{
	double sum = 0;
	uint64_t lo, hi;
	size_t i;

	*covered = 0;
	for (i = 0; i < n; i++) {
		lo = r[i].start > a ? r[i].start : a;
		hi = r[i].end < b ? r[i].end : b;
		if (lo >= hi)
			continue;
		*covered += hi - lo;
		sum += (double)(hi - lo) * r[i].accesses;
	}
	return *covered ? sum / *covered : 0;
}

static int well_formed(const struct cdmd_region *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (r[i].start % 4096 || r[i].end % 4096 || r[i].start >= r[i].end ||
		    r[i].accesses > CDMD_SAMPLES || (i && r[i].start < r[i - 1].end)) {
			diag("region %zu: %#llx-%#llx accesses %u", i,
			     (unsigned long long)r[i].start, (unsigned long long)r[i].end,
			     r[i].accesses);
			return 0;
		}
	}
	return 1;
}

static int nr_kdamonds_on(int *nr)
{
	char path[128], buf[16];
	FILE *f;
	int i, on = 0;

	f = fopen(KDAMONDS "/nr_kdamonds", "r");
	if (!f || fscanf(f, "%d", nr) != 1)
		*nr = -1;
	if (f)
		fclose(f);
	for (i = 0; i < *nr; i++) {
		snprintf(path, sizeof(path), KDAMONDS "/%d/state", i);
		f = fopen(path, "r");
		if (f && fgets(buf, sizeof(buf), f) && !strncmp(buf, "on", 2))
			on++;
		if (f)
			fclose(f);
	}
	return on;
}

/* DAMON is someone else's: refused with the reason, auto takes idle pages */
static int busy(void)
{
	struct cdmd_tracker *t = NULL;
	char *msg = NULL;
	size_t len = 0;
	FILE *err;
	int rc;

	err = open_memstream(&msg, &len);
	rc = cdmd_tracker_open(CDMD_TRACKER_DAMON, INTERVAL_MS, err, &t);
	fclose(err);
	ok(rc == -EBUSY, "open damon while someone else's kdamond runs: -EBUSY (got %d)", rc);
	ok(msg && strstr(msg, "in use by someone else"), "  ... saying so: %s",
	   msg ? strtok(msg, "\n") : "");
	free(msg);
	if (!rc)
		cdmd_tracker_close(t);

	msg = NULL;
	err = open_memstream(&msg, &len);
	rc = cdmd_tracker_open(CDMD_TRACKER_AUTO, INTERVAL_MS, err, &t);
	fclose(err);
	ok(!rc && !strcmp(cdmd_tracker_name(t), "idle"),
	   "open auto: falls back to idle (rc %d, %s)", rc, rc ? "-" : cdmd_tracker_name(t));
	ok(len == 0, "  ... without a message (%s)", len ? msg : "none");
	free(msg);
	if (!rc)
		cdmd_tracker_close(t);
	return done_testing();
}

int main(int argc, char **argv)
{
	enum cdmd_tracker_kind kind;
	struct cdmd_region *r = NULL;
	struct cdmd_scan scan = { 0 };
	struct cdmd_tracker *t;
	pid_t pids[1 + 1 + SLEEPERS], worker;
	uint64_t base, covered;
	double hot = 0, cold = 0, hot_at[INTERVALS + 1] = { 0 }, cold_at[INTERVALS + 1] = { 0 };
	size_t nr = 0, i;
	int rc, n, on, nr_kd, got;
	bool traced;
	uint64_t t0;

	if (argc != 2)
		goto usage;
	if (!strcmp(argv[1], "busy"))
		return busy();
	if (!strcmp(argv[1], "damon"))
		kind = CDMD_TRACKER_DAMON;
	else if (!strcmp(argv[1], "idle"))
		kind = CDMD_TRACKER_IDLE;
	else
		goto usage;

	rc = cdmd_tracker_open(kind, INTERVAL_MS, stderr, &t);
	ok(!rc, "open %s: %d", argv[1], rc);
	if (rc)
		return done_testing();
	ok(!strcmp(cdmd_tracker_name(t), argv[1]), "its name: %s", cdmd_tracker_name(t));
	/* DAMON's regions from the trace, unless CDMD_TRACEFS hides tracefs */
	traced = kind == CDMD_TRACKER_DAMON && !getenv("CDMD_TRACEFS");
	if (kind == CDMD_TRACKER_DAMON)
		ok(!access(TRACE_INSTANCE, F_OK) == traced, "the regions from %s: %s %s",
		   traced ? "the trace" : "sysfs", TRACE_INSTANCE,
		   access(TRACE_INSTANCE, F_OK) ? "absent" : "there");

	worker = spawn_worker(&base);
	pids[0] = worker;
	pids[1] = spawn_sleeper();
	if (worker < 0 || pids[1] < 0) {
		printf("Bail out! cannot start the worker processes\n");
		return 1;
	}
	diag("worker %d: 64 MiB at %#llx, the first 8 MiB hot", worker, (unsigned long long)base);

	rc = scan_of(pids, 2, &scan);
	ok(!rc && scan.nr == 2, "a scan of the worker and a sleeper: %zu processes", scan.nr);
	rc = cdmd_tracker_watch(t, &scan, stderr);
	ok(!rc, "watch them: %d", rc);
	t0 = 0;
	rc = cdmd_tracker_regions(t, worker, &r, &nr, stderr);
	ok(rc == -EAGAIN, "regions right after the watch: -EAGAIN (got %d)", rc);
	rc = cdmd_tracker_regions(t, getpid(), &r, &nr, stderr);
	ok(rc == -ENOENT, "regions of a process not tracked: -ENOENT (got %d)", rc);

	for (n = 1; n <= INTERVALS; n++) {
		struct timespec a, b;

		sleep_ms(INTERVAL_MS);
		free(r);
		r = NULL;
		clock_gettime(CLOCK_MONOTONIC, &a);
		rc = cdmd_tracker_regions(t, worker, &r, &nr, stderr);
		clock_gettime(CLOCK_MONOTONIC, &b);
		t0 += (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
		if (rc) {
			diag("interval %d: %d", n, rc);
			nr = 0;
			continue;
		}
		hot_at[n] = average(r, nr, base, base + HOT, &covered);
		cold_at[n] = average(r, nr, base + HOT, base + SIZE, &covered);
		diag("interval %d: %zu regions, hot %.2f cold %.2f", n, nr, hot_at[n], cold_at[n]);
	}
	/*
	 * The last three intervals: one alone is noisy, the more so from the
	 * trace, which shows DAMON's regions merged at the end of an interval,
	 * where a region that reaches past the hot range's end counts its
	 * accesses over a few MiB of cold memory too.
	 */
	for (n = INTERVALS - 2; n <= INTERVALS; n++) {
		hot += hot_at[n] / 3;
		cold += cold_at[n] / 3;
	}
	diag("%s: a regions call took %llu ms on average", argv[1],
	     (unsigned long long)t0 / INTERVALS);
	ok(!rc && nr > 0, "regions after %d intervals: %d, %zu regions", INTERVALS, rc, nr);
	ok(well_formed(r, nr), "  ... in address order, page aligned, none overlapping");
	average(r, nr, base, base + HOT, &covered);
	ok(covered == HOT, "  ... covering the hot 8 MiB (%llu KiB of it)",
	   (unsigned long long)covered >> 10);
	ok(hot >= CDMD_SAMPLES / 4.0,
	   "  ... the hot 8 MiB: %.2f accesses on average, last 3 intervals (>= %.2f)",
	   hot, CDMD_SAMPLES / 4.0);
	ok(cold <= CDMD_SAMPLES / 10.0,
	   "  ... the other 56 MiB: %.2f accesses on average, last 3 intervals (<= %.2f)",
	   cold, CDMD_SAMPLES / 10.0);
	for (i = 0, got = 0; i < nr; i++)
		got = got || r[i].age > 0;
	ok(got, "  ... some region aged");
	free(r);
	r = NULL;

	rc = cdmd_tracker_watch(t, &scan, stderr);
	rc = rc ? rc : cdmd_tracker_regions(t, worker, &r, &nr, stderr);
	ok(!rc && nr, "a watch of the same processes keeps tracking them: regions at once (%d)",
	   rc);
	free(r);
	r = NULL;

	reap(worker);
	sleep_ms(INTERVAL_MS + 100);
	rc = cdmd_tracker_regions(t, worker, &r, &nr, stderr);
	ok(rc == -ENOENT, "the worker exited: its regions are -ENOENT (got %d)", rc);
	if (!rc)
		free(r);
	r = NULL;

	/* the sleeper and more: DAMON has to make room (4 kdamonds at first) */
	pids[0] = pids[1];
	for (i = 1; i <= SLEEPERS; i++)
		pids[i] = spawn_sleeper();
	rc = scan_of(pids, 1 + SLEEPERS, &scan);
	ok(!rc && scan.nr == 1 + SLEEPERS, "a scan without the worker, with %d more sleepers: %zu",
	   SLEEPERS, scan.nr);
	rc = cdmd_tracker_watch(t, &scan, stderr);
	ok(!rc, "watch them: %d", rc);
	rc = cdmd_tracker_regions(t, worker, &r, &nr, stderr);
	ok(rc == -ENOENT, "  ... the worker is not tracked: -ENOENT (got %d)", rc);
	/* new kdamonds (the pool grew): their first regions an interval on,
	 * later under load */
	sleep_ms(2 * INTERVAL_MS);
	for (i = 0, got = 0; i <= SLEEPERS; i++) {
		rc = cdmd_tracker_regions(t, pids[i], &r, &nr, stderr);
		if (!rc) {
			got += well_formed(r, nr) && nr > 0;
			free(r);
		} else {
			diag("pid %d: %d", pids[i], rc);
		}
		r = NULL;
	}
	ok(got == 1 + SLEEPERS, "  ... two intervals later each of the %d has regions (%d)",
	   1 + SLEEPERS, got);
	if (kind == CDMD_TRACKER_DAMON) {
		on = nr_kdamonds_on(&nr_kd);
		ok(on == 1 + SLEEPERS, "  ... %d kdamonds on (of %d)", on, nr_kd);
	}

	/* the children first: they hold the trace pipe they were forked with */
	for (i = 0; i <= SLEEPERS; i++)
		reap(pids[i]);
	cdmd_tracker_close(t);
	cdmd_scan_free(&scan);
	if (kind == CDMD_TRACKER_DAMON) {
		on = nr_kdamonds_on(&nr_kd);
		ok(nr_kd == 0 && on == 0, "closed: nr_kdamonds %d, %d on", nr_kd, on);
		ok(access(TRACE_INSTANCE, F_OK), "  ... and no trace instance left");
	}
	return done_testing();
usage:
	fprintf(stderr, "usage: track damon|idle|busy\n");
	return 2;
}
