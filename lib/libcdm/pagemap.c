// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /proc/PID/pagemap for residency: 8 bytes per page, bit 63 present,
 * bit 62 a swap entry, the page frame number (PFN) in bits 0-54, which
 * reads as 0 without CAP_SYS_ADMIN. Two things turn a PFN into residency:
 *
 *  - its node, from the memory blocks each node lists in sysfs
 *    (nodeN/memoryM, block_size_bytes). They are read for each update
 *    from sysfs's node directories, not from the context's topology (read
 *    once): memory hot-added by kmem onlining a CXL region may come with
 *    a node the context has never seen. A PFN in no known block has the
 *    blocks read again, once per such block;
 *  - the zero page, which move_pages(2) answers -EFAULT for: its PFNs are
 *    learnt from the calling process itself, where a private read-only
 *    mapping read but never written maps it (8 pages: MIPS, s390 and
 *    LoongArch colour it by address), and a PMD-sized block of one that
 *    may take the huge zero page. Learnt once per context (struct
 *    cdm_ctx): the small zero page is the kernel's for good; the huge one
 *    the kernel frees when nothing maps it, and may allocate again at
 *    another PFN, so the block that found it stays mapped until the
 *    context is freed (a child forked meanwhile inherits it, and holds it
 *    too). What a probe did not find is probed for at the next update.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "private.h"

#define PM_MMAP_EXCLUSIVE	(1ULL << 56)	/* never the zero page's */
#define ZERO_PROBE_PAGES	8
#define NO_NODE_SLOTS	(sizeof(((struct cdm_pfnmap *)0)->no_node) / sizeof(uint64_t))

void cdm__set_pagemap(struct cdm_ctx *ctx, const struct cdm_pagemap_seam *seam)
{
	ctx->pagemap_seam = seam;
}

int cdm__pagemap_open(struct cdm_ctx *ctx, pid_t pid, struct cdm_pagemap *pm)
{
	char path[64];

	memset(pm, 0, sizeof(*pm));
	pm->ctx = ctx;
	pm->pid = pid;
	pm->fd = -1;
	if (ctx->pagemap_seam)
		return ctx->pagemap_seam->read(ctx, pid, 0, 0, NULL);
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/pagemap");
	pm->fd = open(path, O_RDONLY | O_CLOEXEC);
	return pm->fd < 0 ? -errno : 0;
}

static int read_entries(int fd, uint64_t addr, unsigned long n, uint64_t *entries)
{
	size_t want = n * sizeof(uint64_t), got = 0;
	off_t off = addr / cdm__page_size() * sizeof(uint64_t);
	ssize_t r;

	while (got < want) {
		r = pread(fd, (char *)entries + got, want - got, off + got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ESRCH;	/* the process exited: empty pagemap */
		got += r;
	}
	return 0;
}

int cdm__pagemap_read(struct cdm_pagemap *pm, uint64_t addr, unsigned long n,
		      uint64_t *entries)
{
	if (pm->ctx->pagemap_seam)
		return pm->ctx->pagemap_seam->read(pm->ctx, pm->pid, addr, n, entries);
	return read_entries(pm->fd, addr, n, entries);
}

/* The zero page's PFN in a probe entry: 0 and *pfn = 0 when the entry is
 * not the zero page (an architecture that forbids it in this process
 * gives a page of its own), -EPERM when PFNs are hidden */
static int zero_pfn(uint64_t entry, uint64_t *pfn)
{
	*pfn = 0;
	if (!(entry & CDM_PM_PRESENT) || (entry & PM_MMAP_EXCLUSIVE))
		return 0;
	*pfn = entry & CDM_PM_PFN_MASK;
	return *pfn ? 0 : -EPERM;
}

/* Does a read fault in a THP-enabled block map the huge zero page (THP
 * not "never", use_zero_page 1)? Else the probe would find nothing, or
 * allocate and clear a huge page for nothing. */
static bool huge_zero_used(struct cdm_ctx *ctx)
{
	char path[PATH_MAX], buf[64];

	if (!cdm__sysfs_path(ctx, path, sizeof(path), "/kernel/mm/transparent_hugepage/enabled") &&
	    cdm__read_file(path, buf, sizeof(buf)) > 0 && strstr(buf, "[never]"))
		return false;
	return !cdm__sysfs_path(ctx, path, sizeof(path),
				"/kernel/mm/transparent_hugepage/use_zero_page") &&
	       cdm__read_file(path, buf, sizeof(buf)) > 0 && !strcmp(buf, "1");
}

static void *map_probe(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The small zero page, from @self (the caller's own pagemap) */
static int probe_small(struct cdm_pagemap *self, struct cdm_zero_pfns *zero)
{
	long ps = cdm__page_size();
	uint64_t e[ZERO_PROBE_PAGES], pfn, lo = UINT64_MAX, hi = 0;
	char *p = map_probe(ZERO_PROBE_PAGES * ps);
	int i, rc;

	if (!p)
		return -errno;
	for (i = 0; i < ZERO_PROBE_PAGES; i++)
		(void)*(volatile char *)(p + i * ps);
	rc = cdm__pagemap_read(self, (uintptr_t)p, ZERO_PROBE_PAGES, e);
	for (i = 0; !rc && i < ZERO_PROBE_PAGES; i++) {
		rc = zero_pfn(e[i], &pfn);
		if (!rc && pfn) {
			lo = pfn < lo ? pfn : lo;
			hi = pfn > hi ? pfn : hi;
		}
	}
	if (!rc && hi >= lo) {
		zero->pfn = lo;
		zero->nr = hi - lo + 1;
	}
	munmap(p, ZERO_PROBE_PAGES * ps);
	return rc;
}

/* The huge zero page, if the kernel maps it now: the block that found it
 * is kept mapped in the context (see the top of the file) */
static int probe_huge(struct cdm_pagemap *self, struct cdm_zero_pfns *zero)
{
	struct cdm_ctx *ctx = self->ctx;
	long ps = cdm__page_size(), pmd = cdm__thp_pmd_size(ctx);
	char *map, *huge;
	uint64_t e, pfn;
	int rc;

	if (!pmd || !huge_zero_used(ctx))
		return 0;
	map = map_probe(2 * pmd);
	if (!map)
		return 0;	/* no room: asked again at the next update */
	huge = (char *)(((uintptr_t)map + pmd - 1) & ~(uintptr_t)(pmd - 1));
	madvise(huge, pmd, MADV_HUGEPAGE);
	(void)*(volatile char *)huge;
	rc = cdm__pagemap_read(self, (uintptr_t)huge, 1, &e);
	if (!rc)
		rc = zero_pfn(e, &pfn);
	/* the small zero page when THP gave none (THP off, no memory) */
	if (!rc && pfn && pfn - zero->pfn >= zero->nr && !(pfn % (pmd / ps))) {
		zero->huge_pfn = pfn;
		zero->huge_nr = pmd / ps;
		ctx->huge_zero_probe = map;
		ctx->huge_zero_probe_len = 2 * pmd;
		return 0;
	}
	munmap(map, 2 * pmd);
	return rc;
}

/* What @zero does not hold yet, probed in the calling process */
static int probe_zero_pfns(struct cdm_ctx *ctx, struct cdm_zero_pfns *zero)
{
	struct cdm_pagemap self;
	int rc = cdm__pagemap_open(ctx, 0, &self);

	if (!rc && !zero->nr)
		rc = probe_small(&self, zero);
	if (!rc && !zero->huge_nr)
		rc = probe_huge(&self, zero);
	cdm__pagemap_close(&self);
	return rc;
}

/* The zero page's PFNs the context knows, into *@zero, after probing for
 * (or asking the seam about) what it does not know yet. Under zero_lock:
 * threads sharing the context probe one at a time. */
static int learn_zero_pfns(struct cdm_ctx *ctx, struct cdm_zero_pfns *zero)
{
	const struct cdm_pagemap_seam *seam = ctx->pagemap_seam;
	struct cdm_zero_pfns found;
	int rc = 0;

	pthread_mutex_lock(&ctx->zero_lock);
	if (!ctx->zero.nr || !ctx->zero.huge_nr) {
		found = ctx->zero;
		rc = seam ? seam->zero_pfns(ctx, &found) : probe_zero_pfns(ctx, &found);
		if (!rc && !ctx->zero.nr) {
			ctx->zero.pfn = found.pfn;
			ctx->zero.nr = found.nr;
		}
		if (!rc && !ctx->zero.huge_nr) {
			ctx->zero.huge_pfn = found.huge_pfn;
			ctx->zero.huge_nr = found.huge_nr;
		}
	}
	*zero = ctx->zero;
	pthread_mutex_unlock(&ctx->zero_lock);
	return rc;
}

void cdm__zero_pfns_free(struct cdm_ctx *ctx)
{
	if (ctx->huge_zero_probe)
		munmap(ctx->huge_zero_probe, ctx->huge_zero_probe_len);
	ctx->huge_zero_probe = NULL;
}

static int set_block(struct cdm_pfnmap *map, unsigned long block, int node)
{
	size_t cap = map->nr_blocks;
	int *n;

	if (block >= cap) {
		cap = block + 1 > 2 * cap ? block + 1 : 2 * cap;
		n = realloc(map->block_node, cap * sizeof(int));
		if (!n)
			return -ENOMEM;
		memset(n + map->nr_blocks, 0xff, (cap - map->nr_blocks) * sizeof(int));
		map->block_node = n;
		map->nr_blocks = cap;
	}
	map->block_node[block] = node;
	return 0;
}

struct node_blocks {
	struct cdm_pfnmap *map;
	int node;
};

static int add_block(unsigned long block, void *data)
{
	struct node_blocks *nb = data;

	return set_block(nb->map, block, nb->node);
}

/* The memory blocks of every node sysfs lists now (the no_node list is
 * kept: blocks looked for in vain stay so until the update ends) */
static int pfnmap_read(struct cdm_ctx *ctx, struct cdm_pfnmap *map)
{
	unsigned long long block_bytes;
	char path[PATH_MAX], *end;
	struct dirent *de;
	long node;
	DIR *dir;
	int rc;

	free(map->block_node);
	map->block_node = NULL;
	map->nr_blocks = 0;
	rc = cdm__memory_block_bytes(ctx, &block_bytes);
	if (rc)
		return rc;
	map->block_pages = block_bytes / cdm__page_size();

	rc = cdm__sysfs_path(ctx, path, sizeof(path), "/devices/system/node");
	dir = rc ? NULL : opendir(path);
	if (!dir)
		return rc ? rc : -errno;
	while (!rc && (de = readdir(dir))) {
		if (strncmp(de->d_name, "node", 4) || de->d_name[4] < '0' || de->d_name[4] > '9')
			continue;
		node = strtol(de->d_name + 4, &end, 10);
		if (!*end && node < CDM_MAX_NODES)
			rc = cdm__node_memory_blocks(ctx, node, add_block,
						     &(struct node_blocks){ map, node });
	}
	closedir(dir);
	if (!rc && !map->nr_blocks)
		rc = -ENOENT;
	return rc;
}

int cdm__pagemap_use_pfns(struct cdm_pagemap *pm)
{
	int rc = learn_zero_pfns(pm->ctx, &pm->zero);

	if (!rc)
		rc = pfnmap_read(pm->ctx, &pm->map);
	return rc;
}

static int block_node(const struct cdm_pfnmap *map, uint64_t block)
{
	return block < map->nr_blocks ? map->block_node[block] : -1;
}

int cdm__pagemap_place(struct cdm_pagemap *pm, uint64_t entry, int *place)
{
	uint64_t pfn = entry & CDM_PM_PFN_MASK, block;
	struct cdm_pfnmap *map = &pm->map;
	unsigned int i;
	int rc;

	if (!(entry & CDM_PM_PRESENT)) {
		*place = entry & CDM_PM_SWAP ? CDM_PAGE_SWAPPED : CDM_PAGE_NOT_PRESENT;
		return 0;
	}
	if (!pfn)
		return -EPERM;
	if (pfn - pm->zero.pfn < pm->zero.nr || pfn - pm->zero.huge_pfn < pm->zero.huge_nr) {
		*place = CDM_PAGE_ZERO;
		return 0;
	}
	block = pfn / map->block_pages;
	*place = block_node(map, block);
	if (*place >= 0)
		return 0;
	*place = -ENXIO;
	for (i = 0; i < map->nr_no_node && i < NO_NODE_SLOTS; i++)
		if (map->no_node[i] == block)
			return 0;
	/* hot-added since the blocks were read? */
	rc = pfnmap_read(pm->ctx, map);
	if (rc)
		return rc;
	if (block_node(map, block) >= 0) {
		*place = block_node(map, block);
		return 0;
	}
	/* device memory, a raw PFN mapping: remember, the oldest goes */
	map->no_node[map->nr_no_node++ % NO_NODE_SLOTS] = block;
	return 0;
}

void cdm__pagemap_close(struct cdm_pagemap *pm)
{
	if (pm->fd >= 0)
		close(pm->fd);
	pm->fd = -1;
	free(pm->map.block_node);
	pm->map.block_node = NULL;
}
