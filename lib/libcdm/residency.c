// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Residency: where the pages of a range (or of a whole process) are, in
 * chunks of 16384 pages so memory use stays flat. Each chunk's pagemap
 * entries (pagemap.c) say which pages are present, swapped or neither;
 * a present page's node comes from one source for the whole update: its
 * PFN (CDM_RESIDENCY_PAGEMAP, needs CAP_SYS_ADMIN; a range walk), or
 * move_pages(2) in query mode asked about the present pages
 * (CDM_RESIDENCY_MOVE_PAGES; a VMA lookup per page, open to any caller
 * that may move the process's pages). The zero page is the zero page
 * either way (its PFN, or -EFAULT), so the counts do not depend on the
 * caller's privileges. bench/ times both.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

#define QUERY_CHUNK 16384
#define MAX_ERRORS 64

struct cdm_residency {
	struct cdm_ctx *ctx;
	pid_t pid;
	uint64_t start, end;		/* end == 0: whole address space */
	unsigned long long pages[CDM_MAX_NODES];
	unsigned long long total, zero_page, swapped, not_present, errors;
	unsigned long long pool_pages[CDM_MAX_POOLS];	/* device-private */
	struct {
		uint64_t addr;
		int err;
	} error[MAX_ERRORS];		/* the first errors */
	int max_node;
	enum cdm_residency_source source, used;
};

CDM_EXPORT int cdm_residency_new(struct cdm_ctx *ctx, pid_t pid,
				 struct cdm_residency **res)
{
	struct cdm_residency *r;
	int rc;

	if (!ctx || !res)
		return -EINVAL;
	cdm__clear_error(ctx);
	rc = cdm__check_pid(ctx, pid);
	if (rc)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r)
		return cdm__fail(ctx, ENOMEM, "pid %d: out of memory", pid);
	r->ctx = cdm_ref(ctx);
	r->pid = pid ? pid : getpid();	/* messages name a real pid */
	r->max_node = -1;
	*res = r;
	return 0;
}

CDM_EXPORT int cdm_residency_set_range(struct cdm_residency *res, uint64_t start,
				       uint64_t end)
{
	return cdm__set_range(res->ctx, &res->start, &res->end, start, end);
}

CDM_EXPORT int cdm_residency_set_source(struct cdm_residency *res,
					enum cdm_residency_source source)
{
	if ((unsigned int)source > CDM_RESIDENCY_PAGEMAP)
		return cdm__fail(res->ctx, EINVAL, "residency source %d: unknown", source);
	res->source = source;
	return 0;
}

static void reset_counts(struct cdm_residency *res)
{
	memset(res->pages, 0, sizeof(res->pages));
	memset(res->pool_pages, 0, sizeof(res->pool_pages));
	res->total = res->zero_page = res->swapped = res->not_present = res->errors = 0;
	res->max_node = -1;
}

/* @place: a node, a cdm_page_place, or -errno */
static void count(struct cdm_residency *res, uint64_t addr, int place)
{
	res->total++;
	if (place >= CDM_MAX_NODES)
		place = -ERANGE;
	if (place <= CDM_PAGE_POOL && place > CDM_PAGE_POOL - CDM_MAX_POOLS) {
		res->pool_pages[CDM_PAGE_POOL - place]++;
		return;
	}
	if (place >= 0) {
		res->pages[place]++;
		if (place > res->max_node)
			res->max_node = place;
		return;
	}
	switch (place) {
	case CDM_PAGE_NOT_PRESENT:
		res->not_present++;
		break;
	case CDM_PAGE_SWAPPED:
		res->swapped++;
		break;
	case CDM_PAGE_ZERO:
		res->zero_page++;
		break;
	default:
		if (res->errors < MAX_ERRORS) {
			res->error[res->errors].addr = addr;
			res->error[res->errors].err = -place;
		}
		res->errors++;
	}
}

struct query_buf {
	struct cdm_pagemap pm;
	uint64_t *entries;
	int *place;
	void **pages;			/* move_pages: the present pages */
	int *status;
	unsigned int *index;		/* their index in the chunk */
	uint64_t fail_addr;		/* where the pagemap source failed */
	struct cdm_pool_query pools;	/* which swap-like entries are device pages */
};

/* Source PAGEMAP: 0, or -errno (no message) with q->fail_addr */
static int chunk_by_pfn(struct query_buf *q, uint64_t addr, unsigned long n)
{
	unsigned long i;
	int rc;

	q->fail_addr = addr;
	rc = cdm__pagemap_read(&q->pm, addr, n, q->entries);
	for (i = 0; !rc && i < n; i++) {
		rc = cdm__pagemap_place(&q->pm, q->entries[i], &q->place[i]);
		if (rc)
			q->fail_addr = addr + i * cdm__page_size();
	}
	return rc;
}

static int pagemap_error(struct cdm_residency *res, uint64_t addr, int rc)
{
	if (rc == -ESRCH)
		return cdm__pid_error(res->ctx, res->pid, ESRCH, "page query");
	return cdm__fail(res->ctx, -rc, "pid %d: pagemap at 0x%" PRIx64 ": %s", res->pid, addr,
			 rc == -EPERM ? "PFNs hidden (needs CAP_SYS_ADMIN)" : strerror(-rc));
}

/* The place of a page the query found on no node, from its entry now */
static int recheck(uint64_t entry, int status)
{
	if (!(entry & CDM_PM_PRESENT))
		return entry & CDM_PM_SWAP ? CDM_PAGE_SWAPPED : CDM_PAGE_NOT_PRESENT;
	return status == -EFAULT ? CDM_PAGE_ZERO : -ENXIO;
}

/*
 * Source MOVE_PAGES: the query is asked about the present pages only.
 * It says a node, -EFAULT for the zero page, -ENOENT for a page that is
 * on no node (device memory) or was swapped out or unmapped since the
 * pagemap was read: the pagemap, read again, tells which. 0 or -errno
 * with a message.
 */
static int chunk_by_query(struct cdm_residency *res, struct query_buf *q, uint64_t addr,
			  unsigned long n)
{
	long ps = cdm__page_size(), rc;
	unsigned long i, j, m = 0;
	bool again = false;

	rc = cdm__pagemap_read(&q->pm, addr, n, q->entries);
	if (rc)
		return pagemap_error(res, addr, rc);
	for (i = 0; i < n; i++) {
		if (!(q->entries[i] & CDM_PM_PRESENT)) {
			q->place[i] = recheck(q->entries[i], 0);
			continue;
		}
		q->index[m] = i;
		q->pages[m++] = (void *)(uintptr_t)(addr + i * ps);
	}
	if (m) {
		rc = cdm__move_pages(res->ctx, res->pid, m, q->pages, NULL, q->status, 0);
		if (rc < 0)
			return cdm__pid_error(res->ctx, res->pid, -rc, "page query");
	}
	for (j = 0; j < m; j++) {
		q->place[q->index[j]] = q->status[j];
		again |= q->status[j] == -ENOENT;
	}
	if (again) {
		rc = cdm__pagemap_read(&q->pm, addr, n, q->entries);
		if (rc)
			return pagemap_error(res, addr, rc);
	}
	for (j = 0; j < m; j++) {
		i = q->index[j];
		if (q->place[i] == -EFAULT && !again)
			q->place[i] = CDM_PAGE_ZERO;
		else if (q->place[i] == -EFAULT || q->place[i] == -ENOENT)
			q->place[i] = recheck(q->entries[i], q->place[i]);
	}
	return 0;
}

static int walk(struct cdm_residency *res, struct query_buf *q, const struct cdm_vma *vmas,
		size_t nr)
{
	long ps = cdm__page_size();
	unsigned long n, i;
	uint64_t addr;
	size_t v;
	int rc;

	for (v = 0; v < nr; v++) {
		for (addr = vmas[v].start; addr < vmas[v].end; addr += n * ps) {
			n = (vmas[v].end - addr) / ps;
			if (n > QUERY_CHUNK)
				n = QUERY_CHUNK;
			if (res->used == CDM_RESIDENCY_PAGEMAP)
				rc = chunk_by_pfn(q, addr, n);
			else
				rc = chunk_by_query(res, q, addr, n);
			if (rc)
				return rc;
			cdm__pool_query_place(&q->pools, addr, n, q->place);
			for (i = 0; i < n; i++)
				count(res, addr + i * ps, q->place[i]);
		}
	}
	return 0;
}

/* The pagemap source failed part-way: AUTO counts everything again with
 * move_pages, never a mix of the two; PAGEMAP says where and why. */
static int pagemap_failed(struct cdm_residency *res, struct query_buf *q,
			  const struct cdm_vma *vmas, size_t nr, int rc)
{
	if (rc == -ESRCH || res->source == CDM_RESIDENCY_PAGEMAP)
		return pagemap_error(res, q->fail_addr, rc);
	cdm_info(res->ctx, "pid %d: pagemap at 0x%" PRIx64 ": %s: counting again with move_pages",
		 res->pid, q->fail_addr, strerror(-rc));
	reset_counts(res);
	res->used = CDM_RESIDENCY_MOVE_PAGES;
	return walk(res, q, vmas, nr);
}

/* The pagemap, which both sources read, and the source of this update */
static int open_pagemap(struct cdm_residency *res, struct query_buf *q)
{
	int rc = cdm__pagemap_open(res->ctx, res->pid, &q->pm);

	if (rc == -EACCES)	/* procfs's ptrace check */
		return cdm__fail(res->ctx, EACCES, "pid %d: reading /proc/%d/pagemap not permitted "
				 CDM_PTRACE_NEEDS, res->pid, res->pid);
	if (rc)
		return cdm__fail(res->ctx, -rc, "pid %d: reading /proc/%d/pagemap: %s", res->pid,
				 res->pid, strerror(-rc));
	res->used = CDM_RESIDENCY_MOVE_PAGES;
	if (res->source == CDM_RESIDENCY_MOVE_PAGES)
		return 0;
	rc = cdm__pagemap_use_pfns(&q->pm);
	if (!rc) {
		res->used = CDM_RESIDENCY_PAGEMAP;
		return 0;
	}
	if (res->source == CDM_RESIDENCY_PAGEMAP || rc == -ENOMEM)
		return cdm__fail(res->ctx, -rc, "pid %d: pagemap: %s", res->pid,
				 rc == -EPERM ? "PFNs hidden (needs CAP_SYS_ADMIN)" :
				 rc == -ENOENT ? "no memory blocks in sysfs" : strerror(-rc));
	cdm_dbg(res->ctx, "pid %d: no nodes from PFNs (%s): move_pages", res->pid, strerror(-rc));
	return 0;
}

CDM_EXPORT int cdm_residency_update(struct cdm_residency *res)
{
	struct query_buf q = { .pm.fd = -1, .pools.pidfd = -1 };
	struct cdm_vma *vmas;
	size_t nr;
	int rc;

	cdm__clear_error(res->ctx);
	reset_counts(res);
	res->used = CDM_RESIDENCY_AUTO;
	rc = cdm__check_access(res->ctx, res->pid, "page query");
	if (!rc)
		rc = cdm__collect_ranges(res->ctx, res->pid, res->start, res->end, &vmas, &nr);
	if (rc)
		return rc;
	rc = open_pagemap(res, &q);
	q.entries = malloc(QUERY_CHUNK * sizeof(*q.entries));
	q.place = malloc(QUERY_CHUNK * sizeof(*q.place));
	q.pages = malloc(QUERY_CHUNK * sizeof(*q.pages));
	q.status = malloc(QUERY_CHUNK * sizeof(*q.status));
	q.index = malloc(QUERY_CHUNK * sizeof(*q.index));
	if (!rc && (!q.entries || !q.place || !q.pages || !q.status || !q.index))
		rc = cdm__fail(res->ctx, ENOMEM, "pid %d: out of memory", res->pid);
	if (!rc)
		rc = cdm__pool_query_open(res->ctx, res->pid, &q.pools);
	if (!rc) {
		rc = walk(res, &q, vmas, nr);
		if (rc && res->used == CDM_RESIDENCY_PAGEMAP)
			rc = pagemap_failed(res, &q, vmas, nr, rc);
	}
	cdm__pagemap_close(&q.pm);
	cdm__pool_query_close(&q.pools);
	free(q.entries);
	free(q.place);
	free(q.pages);
	free(q.status);
	free(q.index);
	free(vmas);
	return rc;
}

CDM_EXPORT enum cdm_residency_source cdm_residency_get_source_used(struct cdm_residency *res)
{
	return res->used;
}

CDM_EXPORT int cdm_residency_get_pages(struct cdm_residency *res, int node,
				       unsigned long long *pages)
{
	if (node < 0)
		return cdm__fail(res->ctx, EINVAL, "node %d: invalid node number", node);
	if (node >= CDM_MAX_NODES)
		return cdm__fail(res->ctx, ERANGE, "node %d: node number above %d",
				 node, CDM_MAX_NODES - 1);
	if (!pages)
		return cdm__fail(res->ctx, EINVAL, "node %d: residency: NULL pointer for the count",
				 node);
	*pages = res->pages[node];
	return 0;
}

CDM_EXPORT int cdm_residency_get_pool_pages(struct cdm_residency *res, struct cdm_pool *pool,
					    unsigned long long *pages)
{
	if (!pool || !pages)
		return cdm__fail(res->ctx, EINVAL, "residency: NULL %s",
				 pool ? "pointer for the count" : "pool");
	*pages = res->pool_pages[cdm_pool_get_id(pool)];
	return 0;
}

CDM_EXPORT unsigned long long cdm_residency_get_total(struct cdm_residency *res)
{
	return res->total;
}

CDM_EXPORT unsigned long long cdm_residency_get_zero_page(struct cdm_residency *res)
{
	return res->zero_page;
}

CDM_EXPORT unsigned long long cdm_residency_get_swapped(struct cdm_residency *res)
{
	return res->swapped;
}

CDM_EXPORT unsigned long long cdm_residency_get_not_present(struct cdm_residency *res)
{
	return res->not_present;
}

CDM_EXPORT unsigned long long cdm_residency_get_errors(struct cdm_residency *res)
{
	return res->errors;
}

CDM_EXPORT int cdm_residency_get_error(struct cdm_residency *res, int index,
				       uint64_t *addr, int *err)
{
	if (index < 0 || (unsigned long long)index >= res->errors || index >= MAX_ERRORS)
		return cdm__fail(res->ctx, ERANGE, "residency error %d: %llu recorded, %d kept",
				 index, res->errors, MAX_ERRORS);
	if (addr)
		*addr = res->error[index].addr;
	if (err)
		*err = res->error[index].err;
	return 0;
}

CDM_EXPORT int cdm_residency_get_max_node(struct cdm_residency *res)
{
	return res->max_node;
}

CDM_EXPORT void cdm_residency_free(struct cdm_residency *res)
{
	if (!res)
		return;
	cdm_unref(res->ctx);
	free(res);
}
