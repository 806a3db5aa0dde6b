// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Device-private pools: the character devices of the cdm_private driver
 * (kernel/drivers/cxl-cdm/), one per pool, listed in
 * <sysfs>/class/cdm_private. Their pages are not on any NUMA node: the
 * CPU sees them as swap-like entries in the page tables, move_pages(2)
 * cannot place them, and only the driver's ioctls move pages there and
 * back (uapi/linux/cdm_private.h).
 *
 * libcdm moves the pages a process has, never creates any: the driver
 * gives an untouched page of a range a zeroed device page, so
 * cdm_pool_migrate() passes it only the runs of present pages (to the
 * device) or of swap-like entries (back), as the pagemap shows them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/cdm_private.h>

#include "private.h"

#define POOL_PREFIX	"cdm_private"
#define POOL_CHUNK	16384		/* pagemap entries read at a time */

struct cdm_pool {
	struct cdm_ctx *ctx;
	struct cdm_pool *next;		/* atomic: a scan inserts, in id order */
	int id;
	bool present;			/* atomic: listed by the last scan */
	char name[32];			/* cdm_privateN */
	char devpath[48];		/* /dev/cdm_privateN */
	struct cdm_private_info info;	/* the last update's, under topology_lock */
	struct cdm_private_stats stats;
};

/* "cdm_privateN", N decimal without leading zeros, below CDM_MAX_POOLS:
 * N, or -1 */
static int pool_id(const char *name)
{
	const char *p = name + strlen(POOL_PREFIX);
	long id = 0;

	if (strncmp(name, POOL_PREFIX, strlen(POOL_PREFIX)) || !*p ||
	    (p[0] == '0' && p[1]))
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		id = id * 10 + (*p - '0');
		if (id >= CDM_MAX_POOLS)
			return -1;
	}
	return id;
}

static struct cdm_pool *pool_new(struct cdm_ctx *ctx, int id)
{
	struct cdm_pool *pool = calloc(1, sizeof(*pool));

	if (!pool)
		return NULL;
	pool->ctx = ctx;
	pool->id = id;
	snprintf(pool->name, sizeof(pool->name), POOL_PREFIX "%d", id);
	snprintf(pool->devpath, sizeof(pool->devpath), "/dev/" POOL_PREFIX "%d", id);
	return pool;
}

/* Insert a pool for each id listed that the context has none for yet,
 * keeping the list in id order; called under topology_lock */
static int pools_add(struct cdm_ctx *ctx, const bool *listed)
{
	struct cdm_pool **link, *pool;
	int id;

	for (id = 0; id < CDM_MAX_POOLS; id++) {
		if (!listed[id])
			continue;
		link = &ctx->pools;
		while (*link && (*link)->id < id)
			link = &(*link)->next;
		if (*link && (*link)->id == id)
			continue;
		pool = pool_new(ctx, id);
		if (!pool)
			return cdm__fail(ctx, ENOMEM, POOL_PREFIX "%d: out of memory", id);
		pool->next = *link;
		__atomic_store_n(link, pool, __ATOMIC_RELEASE);
	}
	return 0;
}

/*
 * List <sysfs>/class/cdm_private again: 0 (also when there is no such
 * directory: no pools), or -errno with a message.
 */
static int pools_scan(struct cdm_ctx *ctx)
{
	bool listed[CDM_MAX_POOLS] = { false };
	struct cdm_pool *pool;
	struct dirent *d;
	char dir[PATH_MAX];
	int rc, id;
	DIR *dp;

	rc = cdm__sysfs_path(ctx, dir, sizeof(dir), "/class/cdm_private");
	if (rc)
		return cdm__fail(ctx, -rc, "device-private pools: sysfs path too long");
	dp = opendir(dir);
	if (!dp && errno != ENOENT)
		return cdm__fail(ctx, errno, "device-private pools: reading %s: %s", dir,
				 strerror(errno));
	while (dp && (d = readdir(dp))) {
		id = pool_id(d->d_name);
		if (id >= 0)
			listed[id] = true;
	}
	if (dp)
		closedir(dp);
	pthread_mutex_lock(&ctx->topology_lock);
	rc = pools_add(ctx, listed);
	for (pool = ctx->pools; pool; pool = pool->next)
		__atomic_store_n(&pool->present, listed[pool->id], __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ctx->topology_lock);
	return rc;
}

void cdm__pools_free(struct cdm_ctx *ctx)
{
	struct cdm_pool *pool, *next;

	for (pool = ctx->pools; pool; pool = next) {
		next = pool->next;
		free(pool);
	}
	ctx->pools = NULL;
}

static struct cdm_pool *next_present(struct cdm_pool *pool)
{
	while (pool && !__atomic_load_n(&pool->present, __ATOMIC_ACQUIRE))
		pool = __atomic_load_n(&pool->next, __ATOMIC_ACQUIRE);
	return pool;
}

CDM_EXPORT struct cdm_pool *cdm_pool_get_first(struct cdm_ctx *ctx)
{
	if (!ctx)
		return NULL;
	cdm__clear_error(ctx);
	if (pools_scan(ctx))
		return NULL;
	return next_present(__atomic_load_n(&ctx->pools, __ATOMIC_ACQUIRE));
}

CDM_EXPORT struct cdm_pool *cdm_pool_get_next(struct cdm_pool *pool)
{
	return pool ? next_present(__atomic_load_n(&pool->next, __ATOMIC_ACQUIRE)) : NULL;
}

/* the id that @name gives a pool, or -1 */
static int name_id(const char *name)
{
	return pool_id(strncmp(name, "/dev/", 5) ? name : name + 5);
}

CDM_EXPORT int cdm_pool_check_name(struct cdm_ctx *ctx, const char *name)
{
	if (name && name_id(name) >= 0)
		return 0;
	if (!ctx)
		return -EINVAL;
	if (!name)
		return cdm__fail(ctx, EINVAL, "pool: NULL name");
	return cdm__fail(ctx, EINVAL, "pool '%.64s': not a pool name (" POOL_PREFIX "N, N 0-%d)",
			 name, CDM_MAX_POOLS - 1);
}

CDM_EXPORT int cdm_pool_get_by_name(struct cdm_ctx *ctx, const char *name,
				    struct cdm_pool **poolp)
{
	struct cdm_pool *pool;
	int id, rc;

	if (!ctx)
		return -EINVAL;
	cdm__clear_error(ctx);
	if (!poolp)
		return cdm__fail(ctx, EINVAL, "pool: NULL pointer for the pool");
	rc = cdm_pool_check_name(ctx, name);
	if (rc)
		return rc;
	id = name_id(name);
	rc = pools_scan(ctx);
	if (rc)
		return rc;
	for (pool = __atomic_load_n(&ctx->pools, __ATOMIC_ACQUIRE); pool;
	     pool = __atomic_load_n(&pool->next, __ATOMIC_ACQUIRE)) {
		if (pool->id == id && __atomic_load_n(&pool->present, __ATOMIC_ACQUIRE)) {
			*poolp = pool;
			return 0;
		}
	}
	return cdm__fail(ctx, ENODEV, POOL_PREFIX "%d: no such pool (is cdm_private loaded, with "
			 "pools=%d or more?)", id, id + 1);
}

CDM_EXPORT struct cdm_ctx *cdm_pool_get_ctx(struct cdm_pool *pool)
{
	return pool->ctx;
}

CDM_EXPORT int cdm_pool_get_id(struct cdm_pool *pool)
{
	return pool->id;
}

CDM_EXPORT const char *cdm_pool_get_name(struct cdm_pool *pool)
{
	return pool->name;
}

CDM_EXPORT const char *cdm_pool_get_devpath(struct cdm_pool *pool)
{
	return pool->devpath;
}

int cdm__pool_open(struct cdm_pool *pool)
{
	int fd = open(pool->devpath, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
	case ENXIO:
	case ENODEV:
		return cdm__fail(pool->ctx, ENODEV, "%s: %s: no such device (pool gone?)",
				 pool->name, pool->devpath);
	case EACCES:
	case EPERM:
		return cdm__fail(pool->ctx, EACCES, "%s: opening %s not permitted (needs root)",
				 pool->name, pool->devpath);
	default:
		return cdm__fail(pool->ctx, errno, "%s: opening %s: %s", pool->name,
				 pool->devpath, strerror(errno));
	}
}

CDM_EXPORT int cdm_pool_update(struct cdm_pool *pool)
{
	struct cdm_private_info info = { .size = sizeof(info) };
	struct cdm_private_stats stats = { .size = sizeof(stats) };
	struct cdm_ctx *ctx = pool->ctx;
	int fd, rc = 0;

	cdm__clear_error(ctx);
	fd = cdm__pool_open(pool);
	if (fd < 0)
		return fd;
	if (ioctl(fd, CDM_PRIVATE_IOC_INFO, &info) || ioctl(fd, CDM_PRIVATE_IOC_STATS, &stats))
		rc = cdm__fail(ctx, errno, "%s: reading the pool's counters: %s", pool->name,
			       strerror(errno));
	else if (info.abi_version != CDM_PRIVATE_ABI_VERSION)
		rc = cdm__fail(ctx, EPROTO, "%s: driver ABI version %u, libcdm knows %d",
			       pool->name, info.abi_version, CDM_PRIVATE_ABI_VERSION);
	close(fd);
	if (rc)
		return rc;
	pthread_mutex_lock(&ctx->topology_lock);
	pool->info = info;
	pool->stats = stats;
	pthread_mutex_unlock(&ctx->topology_lock);
	return 0;
}

/* One counter of the last update, read whole */
#define POOL_GETTER(name, field)						\
CDM_EXPORT unsigned long long cdm_pool_get_##name(struct cdm_pool *pool)	\
{										\
	unsigned long long v;							\
										\
	pthread_mutex_lock(&pool->ctx->topology_lock);				\
	v = pool->field;							\
	pthread_mutex_unlock(&pool->ctx->topology_lock);			\
	return v;								\
}

POOL_GETTER(capacity, info.capacity)
POOL_GETTER(allocated, info.allocated)
POOL_GETTER(used, info.used)
POOL_GETTER(pages_on_device, stats.pages_on_device)
POOL_GETTER(to_device, stats.to_device)
POOL_GETTER(to_ram, stats.to_ram)
POOL_GETTER(cpu_faults, stats.cpu_faults)
POOL_GETTER(fail_busy, stats.fail_busy)
POOL_GETTER(fail_nomem, stats.fail_nomem)
POOL_GETTER(fail_other, stats.fail_other)

/* The pidfd the driver acts on for @pid (-1 for the caller itself, which
 * needs none), or -errno with a message */
static int pool_pidfd(struct cdm_ctx *ctx, pid_t pid)
{
	int fd;

	if (!pid || pid == getpid())
		return -1;
	fd = syscall(SYS_pidfd_open, pid, 0);
	if (fd >= 0)
		return fd;
	if (errno == ESRCH || errno == EINVAL)
		return cdm__fail(ctx, ESRCH, "pid %d: no such process", pid);
	return cdm__fail(ctx, errno, "pid %d: pidfd_open: %s", pid, strerror(errno));
}

struct pool_run {
	struct cdm_pool *pool;
	pid_t pid;
	int fd, pidfd;
	unsigned long cmd;
	unsigned long long pages, moved;
};

/* The driver's answer for one run of pages, as an errno with a message */
static int run_error(struct pool_run *r, uint64_t addr, uint64_t len, int err)
{
	struct cdm_ctx *ctx = r->pool->ctx;
	pid_t pid = r->pid ? r->pid : getpid();

	switch (err) {
	case ENOMEM:
		return cdm__fail(ctx, ENOMEM, "%s: pool full (%llu pages of pid %d moved before)",
				 r->pool->name, r->moved, pid);
	case ENOSPC:
		return cdm__fail(ctx, ENOSPC, "%s: the pool cannot grow: no free physical "
				 "address range for its struct pages", r->pool->name);
	case EPERM:
		return cdm__fail(ctx, EPERM, "%s: pid %d: moving its pages not permitted "
				 CDM_PTRACE_NEEDS, r->pool->name, pid);
	case ESRCH:
		return cdm__fail(ctx, ESRCH, "pid %d: no such process", pid);
	case EFAULT:
		return cdm__fail(ctx, EFAULT, "pid %d: range 0x%" PRIx64 "-0x%" PRIx64
				 ": not mapped", pid, addr, addr + len);
	case EINVAL:
		return cdm__fail(ctx, EINVAL, "%s: pid %d: range 0x%" PRIx64 "-0x%" PRIx64
				 " holds a mapping the device cannot take (I/O, PFN, hugetlb "
				 "or DAX)", r->pool->name, pid, addr, addr + len);
	default:
		return cdm__fail(ctx, err, "%s: pid %d: range 0x%" PRIx64 "-0x%" PRIx64 ": %s",
				 r->pool->name, pid, addr, addr + len, strerror(err));
	}
}

static int run_move(struct pool_run *r, uint64_t addr, unsigned long npages)
{
	struct cdm_private_range range = {
		.size = sizeof(range),
		.addr = addr,
		.npages = npages,
	};

	if (r->pidfd >= 0) {
		range.flags = CDM_PRIVATE_F_PIDFD;
		range.pidfd = r->pidfd;
	}
	r->pages += npages;
	if (ioctl(r->fd, r->cmd, &range))
		return -errno;
	r->moved += range.done;
	return 0;
}

/* Does the page of pagemap @entry take part: present (to the device), or
 * a swap-like entry, as device pages are (back) */
static bool run_wants(const struct pool_run *r, uint64_t entry)
{
	return r->cmd == CDM_PRIVATE_IOC_TO_RAM ? entry & CDM_PM_SWAP : entry & CDM_PM_PRESENT;
}

/*
 * The runs of pages of [@start, @end) that take part, one ioctl each:
 * 0, or -errno without a message, with *@fail_addr where it failed (the
 * caller names the range).
 */
static int run_range(struct pool_run *r, struct cdm_pagemap *pm, uint64_t *entries,
		     uint64_t start, uint64_t end, uint64_t *fail_addr)
{
	long ps = cdm__page_size();
	unsigned long n, i, first;
	uint64_t addr;
	int rc;

	for (addr = start; addr < end; addr += n * ps) {
		n = (end - addr) / ps;
		if (n > POOL_CHUNK)
			n = POOL_CHUNK;
		*fail_addr = addr;
		rc = cdm__pagemap_read(pm, addr, n, entries);
		if (rc)
			return rc;
		for (i = 0; i < n; i = first) {
			while (i < n && !run_wants(r, entries[i]))
				i++;
			for (first = i; first < n && run_wants(r, entries[first]); first++)
				;
			if (first == i)
				break;
			*fail_addr = addr + i * ps;
			rc = run_move(r, addr + i * ps, first - i);
			if (rc)
				return rc;
		}
	}
	return 0;
}

CDM_EXPORT int cdm_pool_migrate(struct cdm_pool *pool, pid_t pid, uint64_t start, uint64_t end,
				unsigned int flags, unsigned long long *pages,
				unsigned long long *moved)
{
	struct cdm_ctx *ctx = pool->ctx;
	struct pool_run r = { .pool = pool, .pid = pid, .fd = -1, .pidfd = -1 };
	struct cdm_pagemap pm = { .fd = -1 };
	struct cdm_vma *vmas = NULL;
	uint64_t *entries = NULL, fail_addr = 0;
	size_t nr = 0, v;
	int rc;

	cdm__clear_error(ctx);
	if (flags & ~CDM_POOL_TO_RAM)
		return cdm__fail(ctx, EINVAL, "%s: unknown flags 0x%x", pool->name,
				 flags & ~CDM_POOL_TO_RAM);
	r.cmd = flags & CDM_POOL_TO_RAM ? CDM_PRIVATE_IOC_TO_RAM : CDM_PRIVATE_IOC_TO_DEVICE;
	if (start || end) {
		rc = cdm__check_range(ctx, start, end);
		if (rc)
			return rc;
	}
	rc = cdm__check_pid(ctx, pid);
	if (rc)
		return rc;
	r.fd = cdm__pool_open(pool);
	if (r.fd < 0) {
		rc = r.fd;
		goto out;
	}
	r.pidfd = pool_pidfd(ctx, pid);
	if (r.pidfd < -1) {
		rc = r.pidfd;
		goto out;
	}
	/* after the pidfd: from now on the pid cannot name another process */
	rc = cdm__collect_ranges(ctx, pid, start, end, &vmas, &nr);
	if (rc)
		goto out;
	rc = cdm__pagemap_open(ctx, pid, &pm);
	if (rc) {
		rc = rc == -EACCES ? cdm__fail(ctx, EPERM, "%s: pid %d: reading its pagemap not "
					       "permitted " CDM_PTRACE_NEEDS, pool->name,
					       pid ? pid : getpid()) :
		     cdm__pid_error(ctx, pid ? pid : getpid(), -rc, "reading the pagemap");
		goto out;
	}
	entries = malloc(POOL_CHUNK * sizeof(*entries));
	if (!entries) {
		rc = cdm__fail(ctx, ENOMEM, "%s: out of memory", pool->name);
		goto out;
	}
	for (v = 0; v < nr; v++) {
		/* a whole process: its private anonymous memory alone */
		if (!end && !vmas[v].anon)
			continue;
		rc = run_range(&r, &pm, entries, vmas[v].start, vmas[v].end, &fail_addr);
		/* a mapping of the process's gone meanwhile is no error of ours */
		if (!end && rc == -EFAULT)
			rc = 0;
		if (rc) {
			rc = run_error(&r, fail_addr, vmas[v].end - fail_addr, -rc);
			break;
		}
	}
out:
	cdm__pagemap_close(&pm);
	free(entries);
	free(vmas);
	if (r.pidfd >= 0)
		close(r.pidfd);
	if (r.fd >= 0)
		close(r.fd);
	if (pages)
		*pages = r.pages;
	if (moved)
		*moved = r.moved;
	return rc;
}

/* ---- residency: which swap-like entries are a pool's pages ---- */

int cdm__pool_query_open(struct cdm_ctx *ctx, pid_t pid, struct cdm_pool_query *q)
{
	struct cdm_pool *pool;
	int fd;

	memset(q, 0, sizeof(*q));
	q->pidfd = -1;
	for (pool = cdm_pool_get_first(ctx); pool; pool = cdm_pool_get_next(pool)) {
		if (q->nr == CDM_MAX_POOLS)
			break;
		fd = cdm__pool_open(pool);
		if (fd < 0) {
			cdm_info(ctx, "%s: %s: its pages count as swapped", pool->name,
				 cdm_get_last_error(ctx));
			continue;
		}
		q->fd[q->nr] = fd;
		q->id[q->nr++] = pool->id;
	}
	cdm__clear_error(ctx);
	if (!q->nr)
		return 0;
	q->snap = malloc(POOL_CHUNK);
	if (!q->snap) {
		cdm__pool_query_close(q);
		return cdm__fail(ctx, ENOMEM, "device-private pools: out of memory");
	}
	q->pidfd = pool_pidfd(ctx, pid);
	if (q->pidfd < -1) {
		fd = q->pidfd;
		q->pidfd = -1;
		cdm__pool_query_close(q);
		return fd;
	}
	return 0;
}

void cdm__pool_query_place(struct cdm_pool_query *q, uint64_t addr, unsigned long n,
			   int *place)
{
	struct cdm_private_range range = { .size = sizeof(range), .addr = addr };
	unsigned long i, done;
	int p;

	for (i = 0; i < n && place[i] != CDM_PAGE_SWAPPED; i++)
		;
	if (i == n)	/* no swap-like entry: nothing a pool could hold */
		return;
	for (p = 0; p < q->nr; p++) {
		for (done = 0; done < n; done += range.npages) {
			range.addr = addr + done * cdm__page_size();
			range.npages = n - done > POOL_CHUNK ? POOL_CHUNK : n - done;
			range.buf = (uintptr_t)q->snap;
			range.flags = q->pidfd >= 0 ? CDM_PRIVATE_F_PIDFD : 0;
			range.pidfd = q->pidfd >= 0 ? q->pidfd : 0;
			/* unmapped meanwhile: those pages stay as counted */
			if (ioctl(q->fd[p], CDM_PRIVATE_IOC_SNAPSHOT, &range))
				continue;
			for (i = 0; i < range.npages; i++)
				if (place[done + i] == CDM_PAGE_SWAPPED &&
				    q->snap[i] == CDM_PRIVATE_PAGE_DEVICE)
					place[done + i] = CDM_PAGE_POOL - q->id[p];
		}
	}
}

void cdm__pool_query_close(struct cdm_pool_query *q)
{
	int p;

	for (p = 0; p < q->nr; p++)
		close(q->fd[p]);
	if (q->pidfd >= 0)
		close(q->pidfd);
	free(q->snap);
	memset(q, 0, sizeof(*q));
	q->pidfd = -1;
}
