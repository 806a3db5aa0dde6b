// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Idle page tracking (Documentation/admin-guide/mm/idle_page_tracking.rst),
 * for kernels without DAMON or when someone else runs it: a page marked
 * idle through /sys/kernel/mm/page_idle/bitmap stays idle until it is
 * used; /proc/PID/pagemap gives the page frame behind an address and
 * /proc/kpageflags what that frame is (both to root only).
 *
 * The cost grows with the regions, not with the bytes: each private
 * writable mapping of the process is cut into regions of 2 MiB at least
 * (larger ones for larger processes: ~1000 regions in all), and in each
 * interval IDLE_SAMPLES pages of each region are looked at, one at a
 * random place in each eighth of it. At the end of an interval those
 * that were used are counted, and new ones are picked and marked idle
 * for the next. One look per interval cannot tell how often a page was
 * used, only whether: a region's accesses are CDMD_SAMPLES times the
 * share of its sampled pages that were used, which for a region used
 * all over is the same as DAMON's count and for one used nowhere is 0.
 *
 * There is no clock of our own: an interval ends when the regions of the
 * process are asked for at least an interval (less an eighth, for the
 * caller's timer) after its samples were marked; asked sooner, the last
 * interval's regions are given again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracker-private.h"

#define IDLE_BITMAP	"/sys/kernel/mm/page_idle/bitmap"
#define KPAGEFLAGS	"/proc/kpageflags"
#define PAGE		4096ULL
#define IDLE_SAMPLES	8			/* pages looked at per region and interval */
#define MIN_REGION	(2ULL << 20)
#define MAX_REGIONS	1000ULL
/*
 * A region's age grows while its accesses stay within one sampled page's
 * worth of the last interval's (CDMD_SAMPLES / IDLE_SAMPLES, rounded
 * up): a difference that small is sampling noise, not a change of use.
 */
#define AGE_BAND	((CDMD_SAMPLES + IDLE_SAMPLES - 1) / IDLE_SAMPLES)

#define PM_PRESENT	(1ULL << 63)
#define PM_SWAP		(1ULL << 62)
#define PM_PFN_MASK	((1ULL << 55) - 1)
/* include/uapi/linux/kernel-page-flags.h */
#define KPF_LRU		(1ULL << 5)
#define KPF_TAIL	(1ULL << 16)
#define KPF_ZERO_PAGE	(1ULL << 24)
#define MAX_FOLIO_ORDER	20		/* how far a head is looked for */

struct idle_region {
	uint64_t start, end;
	unsigned int accesses, age;
	bool counted;			/* accesses holds an interval's count */
	uint64_t addr[IDLE_SAMPLES];
	uint64_t pfn[IDLE_SAMPLES];	/* the page there; 0: none to look at */
	uint64_t head[IDLE_SAMPLES];	/* the frame marked idle for it */
};

struct idle_proc {
	int dir;			/* /proc/PID: its files, never a later process's */
	int pagemap;
	struct idle_region *regions;	/* of the interval running */
	size_t nr;
	uint64_t marked_ms;		/* when that interval began */
	struct cdmd_region *last;	/* the last interval's; NULL before the first */
	size_t nr_last;
};

struct idle {
	int bitmap;
	int kpageflags;
	uint64_t rand;			/* xorshift64 state */
};

static uint64_t next_rand(struct idle *id)
{
	id->rand ^= id->rand << 13;
	id->rand ^= id->rand >> 7;
	id->rand ^= id->rand << 17;
	return id->rand;
}

/* The page frame at @addr in @pagemap, or 0: none there, swapped out */
static uint64_t pfn_at(int pagemap, uint64_t addr)
{
	uint64_t e;

	if (pread(pagemap, &e, sizeof(e), addr / PAGE * sizeof(e)) != sizeof(e))
		return 0;
	return (e & PM_PRESENT) && !(e & PM_SWAP) ? e & PM_PFN_MASK : 0;
}

static bool page_flags(const struct idle *id, uint64_t pfn, uint64_t *flags)
{
	return pread(id->kpageflags, flags, sizeof(*flags), pfn * sizeof(*flags)) == sizeof(*flags);
}

/*
 * The frame whose idle flag stands for the page at @pfn: the head of its
 * folio, as the bitmap ignores tail frames (mm/page_idle.c,
 * page_idle_get_folio()). Folios are naturally aligned: clearing the
 * low bits of @pfn one by one meets the head before leaving the folio.
 * 0 for pages it does not track: the zero pages, and pages off the LRU
 * (their bits read 0, as if used).
 */
static uint64_t head_of(const struct idle *id, uint64_t pfn)
{
	uint64_t flags;
	int order;

	if (!page_flags(id, pfn, &flags) || (flags & KPF_ZERO_PAGE) || !(flags & KPF_LRU))
		return 0;
	for (order = 1; (flags & KPF_TAIL) && order <= MAX_FOLIO_ORDER; order++) {
		pfn &= ~((1ULL << order) - 1);
		if (!page_flags(id, pfn, &flags))
			return 0;
	}
	return flags & KPF_TAIL ? 0 : pfn;
}

/*
 * The bitmap is read and written in 64-bit words, a bit per page frame.
 * A write marks the frames whose bits are set and leaves the others; a
 * read says 1 for frames still idle.
 */
static bool mark_idle(const struct idle *id, uint64_t pfn)
{
	uint64_t word = 1ULL << (pfn % 64);

	return pwrite(id->bitmap, &word, sizeof(word), pfn / 64 * sizeof(word)) == sizeof(word);
}

/* 1 still idle, 0 used, -1 cannot tell */
static int still_idle(const struct idle *id, uint64_t pfn)
{
	uint64_t word;

	if (pread(id->bitmap, &word, sizeof(word), pfn / 64 * sizeof(word)) != sizeof(word))
		return -1;
	return (word >> (pfn % 64)) & 1;
}

/* Pick the samples of @r for the next interval and mark them idle */
static void mark_samples(struct idle *id, struct idle_proc *ip, struct idle_region *r)
{
	uint64_t pages = (r->end - r->start) / PAGE, s;

	for (s = 0; s < IDLE_SAMPLES; s++) {
		uint64_t lo = pages * s / IDLE_SAMPLES, hi = pages * (s + 1) / IDLE_SAMPLES;

		if (hi <= lo)
			hi = lo + 1;	/* a region of fewer pages than samples */
		r->addr[s] = r->start + (lo + next_rand(id) % (hi - lo)) * PAGE;
		r->pfn[s] = pfn_at(ip->pagemap, r->addr[s]);
		r->head[s] = r->pfn[s] ? head_of(id, r->pfn[s]) : 0;
		if (!r->head[s] || !mark_idle(id, r->head[s]))
			r->pfn[s] = 0;
	}
}

/* The accesses of the interval that ends now, for each region */
static void count_samples(const struct idle *id, const struct idle_proc *ip, struct idle_region *r)
{
	unsigned int seen = 0, used = 0, acc;
	int s, idle;

	for (s = 0; s < IDLE_SAMPLES; s++) {
		/* a page moved or gone meanwhile says nothing of this interval */
		if (!r->pfn[s] || pfn_at(ip->pagemap, r->addr[s]) != r->pfn[s])
			continue;
		idle = still_idle(id, r->head[s]);
		if (idle < 0)
			continue;
		seen++;
		used += !idle;
	}
	/* no page to look at: nothing there was used */
	acc = seen ? (CDMD_SAMPLES * used + seen / 2) / seen : 0;
	if (r->counted && (acc > r->accesses ? acc - r->accesses : r->accesses - acc) <= AGE_BAND)
		r->age++;
	else
		r->age = 0;
	r->accesses = acc;
	r->counted = true;
}

struct vma {
	uint64_t start, end;
};

/* The private writable mappings of the process, from its maps file */
static int read_vmas(const struct idle_proc *ip, struct vma **vmas, size_t *nr)
{
	struct vma *v = NULL, *bigger;
	size_t n = 0, cap = 0;
	unsigned long long s, e;
	char line[512], perms[8];
	int fd, rc = 0;
	bool bol;
	FILE *f;

	fd = openat(ip->dir, "maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	for (bol = true; fgets(line, sizeof(line), f); bol = strchr(line, '\n')) {
		/* a line longer than the buffer (a long path) goes on in the next one */
		if (!bol || sscanf(line, "%llx-%llx %7s", &s, &e, perms) != 3 || strlen(perms) != 4)
			continue;
		if (perms[1] != 'w' || perms[3] != 'p' || e <= s)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			bigger = realloc(v, cap * sizeof(*v));
			if (!bigger) {
				rc = -ENOMEM;
				break;
			}
			v = bigger;
		}
		v[n++] = (struct vma){ s, e };
	}
	fclose(f);
	if (rc) {
		free(v);
		return rc;
	}
	*vmas = v;
	*nr = n;
	return 0;
}

/*
 * The regions of the next interval from the mappings as they are now.
 * A region that is the same range as one of the interval that ended
 * keeps its count and age (both lists are in address order).
 */
static int new_layout(struct idle *id, struct idle_proc *ip)
{
	struct idle_region *r, *old = ip->regions;
	uint64_t total = 0, size, len, n, k;
	size_t nr_vmas, i, j = 0, nr = 0, o = 0;
	struct vma *v;
	int rc;

	rc = read_vmas(ip, &v, &nr_vmas);
	if (rc)
		return rc;
	if (!nr_vmas) {
		free(v);
		return -ESRCH;		/* a process has mappings until it exits */
	}
	for (i = 0; i < nr_vmas; i++)
		total += v[i].end - v[i].start;
	size = (total / MAX_REGIONS + PAGE - 1) / PAGE * PAGE;
	if (size < MIN_REGION)
		size = MIN_REGION;
	/* each mapping in equal regions of @size at least; one when smaller */
	for (i = 0; i < nr_vmas; i++) {
		n = (v[i].end - v[i].start) / size;
		nr += n ? n : 1;
	}
	r = calloc(nr, sizeof(*r));
	if (!r) {
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < nr_vmas; i++) {
		len = (v[i].end - v[i].start) / PAGE;
		n = len * PAGE / size;
		if (!n)
			n = 1;
		for (k = 0; k < n; k++, j++) {
			r[j].start = v[i].start + len * k / n * PAGE;
			r[j].end = v[i].start + len * (k + 1) / n * PAGE;
			while (o < ip->nr && old[o].start < r[j].start)
				o++;
			if (o < ip->nr && old[o].start == r[j].start && old[o].end == r[j].end) {
				r[j].accesses = old[o].accesses;
				r[j].age = old[o].age;
				r[j].counted = old[o].counted;
			}
			mark_samples(id, ip, &r[j]);
		}
	}
	free(v);
	free(old);
	ip->regions = r;
	ip->nr = nr;
	ip->marked_ms = cdmd_now_ms();
	return 0;
}

/* End the interval running: count, keep the result, start the next one */
static int end_interval(struct idle *id, struct idle_proc *ip)
{
	struct cdmd_region *last;
	size_t i;

	last = malloc((ip->nr ? ip->nr : 1) * sizeof(*last));
	if (!last)
		return -ENOMEM;
	for (i = 0; i < ip->nr; i++) {
		count_samples(id, ip, &ip->regions[i]);
		last[i] = (struct cdmd_region){
			.start = ip->regions[i].start,
			.end = ip->regions[i].end,
			.accesses = ip->regions[i].accesses,
			.age = ip->regions[i].age,
		};
	}
	free(ip->last);
	ip->last = last;
	ip->nr_last = ip->nr;
	return new_layout(id, ip);
}

static void free_proc(struct idle_proc *ip)
{
	if (ip->pagemap >= 0)
		close(ip->pagemap);
	if (ip->dir >= 0)
		close(ip->dir);
	free(ip->regions);
	free(ip->last);
	free(ip);
}

static int idle_add(struct cdmd_tracker *t, struct cdmd_tracked *p, FILE *err)
{
	struct idle_proc *ip;
	char path[32];
	int rc;

	ip = calloc(1, sizeof(*ip));
	if (!ip) {
		fprintf(err, "pid %d: idle: out of memory\n", p->pid);
		return -ENOMEM;
	}
	snprintf(path, sizeof(path), "/proc/%d", p->pid);
	ip->dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ip->pagemap = ip->dir < 0 ? -1 : openat(ip->dir, "pagemap", O_RDONLY | O_CLOEXEC);
	rc = ip->pagemap < 0 ? -errno : new_layout(t->backend, ip);
	if (rc) {
		free_proc(ip);
		if (rc == -ENOENT || rc == -ESRCH)
			return -ESRCH;
		fprintf(err, "pid %d: idle: %s\n", p->pid, strerror(-rc));
		return rc;
	}
	p->priv = ip;
	return 0;
}

static void idle_drop(struct cdmd_tracker *t, struct cdmd_tracked *p)
{
	free_proc(p->priv);
}

static int idle_regions(struct cdmd_tracker *t, struct cdmd_tracked *p,
			struct cdmd_region **regions, size_t *nr, FILE *err)
{
	struct idle_proc *ip = p->priv;
	struct cdmd_region *r;
	int rc;

	if (cdmd_now_ms() - ip->marked_ms >= t->interval_ms - t->interval_ms / 8) {
		rc = end_interval(t->backend, ip);
		if (rc == -ENOENT || rc == -ESRCH)
			return -ENOENT;		/* exited: no longer tracked */
		if (rc) {
			fprintf(err, "pid %d: idle: %s\n", p->pid, strerror(-rc));
			return rc;
		}
	}
	if (!ip->last)
		return -EAGAIN;
	r = malloc((ip->nr_last ? ip->nr_last : 1) * sizeof(*r));
	if (!r) {
		fprintf(err, "pid %d: idle: out of memory\n", p->pid);
		return -ENOMEM;
	}
	memcpy(r, ip->last, ip->nr_last * sizeof(*r));
	*regions = r;
	*nr = ip->nr_last;
	return 0;
}

/* -errno with a line on @err for a file idle_open() needs */
static int open_failed(const char *path, FILE *err)
{
	int rc = errno == EACCES ? -EPERM : -errno;

	if (rc == -ENOENT)
		fprintf(err, "idle: %s: the kernel has no idle page tracking\n", path);
	else
		fprintf(err, "idle: %s: %s%s\n", path, strerror(-rc),
			rc == -EPERM ? " (not root?)" : "");
	return rc;
}

static int idle_open(struct cdmd_tracker *t, FILE *err)
{
	struct idle *id;
	int rc;

	id = calloc(1, sizeof(*id));
	if (!id) {
		fprintf(err, "idle: out of memory\n");
		return -ENOMEM;
	}
	id->bitmap = open(IDLE_BITMAP, O_RDWR | O_CLOEXEC);
	if (id->bitmap < 0) {
		rc = open_failed(IDLE_BITMAP, err);
		free(id);
		return rc;
	}
	id->kpageflags = open(KPAGEFLAGS, O_RDONLY | O_CLOEXEC);
	if (id->kpageflags < 0) {
		rc = open_failed(KPAGEFLAGS, err);
		close(id->bitmap);
		free(id);
		return rc;
	}
	id->rand = cdmd_now_ms() | 1;
	t->backend = id;
	return 0;
}

static void idle_close(struct cdmd_tracker *t)
{
	struct idle *id = t->backend;

	close(id->bitmap);
	close(id->kpageflags);
	free(id);
}

const struct cdmd_tracker_ops cdmd_idle_ops = {
	.name = "idle",
	.open = idle_open,
	.add = idle_add,
	.drop = idle_drop,
	.regions = idle_regions,
	.close = idle_close,
};
