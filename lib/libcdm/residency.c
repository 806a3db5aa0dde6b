// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Residency: how many pages of a range (or of a whole process) sit on
 * each node, in chunks of 16384 pages so memory use stays flat. Two
 * sources: /proc/PID/pagemap (one range walk per chunk; needs
 * CAP_SYS_ADMIN to see PFNs, see pagemap.c) and move_pages(2) in query
 * mode (nodes == NULL; a VMA lookup per page, works for any caller that
 * may move the process's pages). CDM_RESIDENCY_AUTO takes pagemap when
 * it can and move_pages otherwise; bench/ times both.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

#define QUERY_CHUNK 16384

struct cdm_residency {
	struct cdm_ctx *ctx;
	pid_t pid;
	uint64_t start, end;		/* end == 0: whole address space */
	unsigned long long pages[CDM_MAX_NODES];
	unsigned long long total, not_present;
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

static void count(struct cdm_residency *res, const int *node, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (node[i] >= 0 && node[i] < CDM_MAX_NODES) {
			res->pages[node[i]]++;
			if (node[i] > res->max_node)
				res->max_node = node[i];
		} else {
			res->not_present++;
		}
	}
	res->total += n;
}

struct query_buf {
	void **pages;
	uint64_t *entries;
	int *node;
	int pagemap_fd;			/* -1: use move_pages */
	struct cdm_pfnmap map;
};

static int query_vma(struct cdm_residency *res, const struct cdm_vma *vma,
		     struct query_buf *q)
{
	long ps = cdm__page_size();
	uint64_t addr = vma->start;
	unsigned long n, i;
	int rc;

	while (addr < vma->end) {
		n = (vma->end - addr) / ps;
		if (n > QUERY_CHUNK)
			n = QUERY_CHUNK;
		rc = -1;
		if (q->pagemap_fd >= 0) {
			rc = cdm__pagemap_nodes(q->pagemap_fd, &q->map, addr, n, q->entries, q->node);
			if (rc == -ESRCH)
				return cdm__pid_error(res->ctx, res->pid, ESRCH, "page query");
			if (rc && res->source == CDM_RESIDENCY_PAGEMAP)
				return cdm__fail(res->ctx, -rc, "pid %d: pagemap at 0x%" PRIx64 ": %s",
						 res->pid, addr, rc == -EPERM ?
						 "PFNs hidden (needs CAP_SYS_ADMIN)" :
						 rc == -ENXIO ? "page in no node's memory" :
						 strerror(-rc));
			if (rc == -EPERM) {	/* hidden PFNs: move_pages from now on */
				close(q->pagemap_fd);
				q->pagemap_fd = -1;
			}
		}
		if (rc) {	/* move_pages for this chunk */
			for (i = 0; i < n; i++)
				q->pages[i] = (void *)(uintptr_t)(addr + i * ps);
			rc = cdm__move_pages(res->ctx, res->pid, n, q->pages, NULL, q->node, 0);
			if (rc < 0)
				return cdm__pid_error(res->ctx, res->pid, -rc, "page query");
		}
		count(res, q->node, n);
		addr += n * ps;
	}
	return 0;
}

CDM_EXPORT int cdm_residency_set_source(struct cdm_residency *res,
					enum cdm_residency_source source)
{
	if ((unsigned int)source > CDM_RESIDENCY_PAGEMAP)
		return cdm__fail(res->ctx, EINVAL, "residency source %d: unknown", source);
	res->source = source;
	return 0;
}

CDM_EXPORT enum cdm_residency_source cdm_residency_get_source_used(struct cdm_residency *res)
{
	return res->used;
}

static int open_pagemap(struct cdm_residency *res, struct query_buf *q)
{
	char path[64];
	int rc;

	q->pagemap_fd = -1;
	if (res->source == CDM_RESIDENCY_MOVE_PAGES)
		return 0;
	rc = cdm__pfnmap_build(res->ctx, &q->map);
	if (!rc) {
		snprintf(path, sizeof(path), "/proc/%d/pagemap", res->pid);
		q->pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (q->pagemap_fd < 0)
			rc = -errno;
	}
	if (rc == -EACCES && res->source == CDM_RESIDENCY_PAGEMAP)	/* procfs's ptrace check */
		return cdm__fail(res->ctx, EACCES, "pid %d: reading /proc/%d/pagemap not permitted "
				 CDM_PTRACE_NEEDS, res->pid, res->pid);
	if (rc && res->source == CDM_RESIDENCY_PAGEMAP)
		return cdm__fail(res->ctx, -rc, "pid %d: pagemap unavailable: %s", res->pid,
				 strerror(-rc));
	if (rc)
		cdm_dbg(res->ctx, "pid %d: pagemap unavailable (%s): move_pages", res->pid,
			strerror(-rc));
	return 0;
}

CDM_EXPORT int cdm_residency_update(struct cdm_residency *res)
{
	struct query_buf q = { .pagemap_fd = -1 };
	struct cdm_vma *vmas;
	size_t nr, i;
	int rc;

	cdm__clear_error(res->ctx);
	memset(res->pages, 0, sizeof(res->pages));
	res->total = res->not_present = 0;
	res->max_node = -1;
	rc = cdm__check_access(res->ctx, res->pid, "page query");
	if (!rc)
		rc = cdm__collect_ranges(res->ctx, res->pid, res->start, res->end, &vmas, &nr);
	if (rc)
		return rc;
	rc = open_pagemap(res, &q);
	q.pages = malloc(QUERY_CHUNK * sizeof(*q.pages));
	q.entries = malloc(QUERY_CHUNK * sizeof(*q.entries));
	q.node = malloc(QUERY_CHUNK * sizeof(*q.node));
	if (!rc && (!q.pages || !q.entries || !q.node))
		rc = cdm__fail(res->ctx, ENOMEM, "pid %d: out of memory", res->pid);
	for (i = 0; !rc && i < nr; i++)
		rc = query_vma(res, &vmas[i], &q);
	res->used = q.pagemap_fd >= 0 ? CDM_RESIDENCY_PAGEMAP : CDM_RESIDENCY_MOVE_PAGES;
	if (q.pagemap_fd >= 0)
		close(q.pagemap_fd);
	cdm__pfnmap_free(&q.map);
	free(q.pages);
	free(q.entries);
	free(q.node);
	free(vmas);
	return rc;
}

CDM_EXPORT unsigned long long cdm_residency_get_pages(struct cdm_residency *res, int node)
{
	if (node < 0 || node >= CDM_MAX_NODES)
		return 0;
	return res->pages[node];
}

CDM_EXPORT unsigned long long cdm_residency_get_total(struct cdm_residency *res)
{
	return res->total;
}

CDM_EXPORT unsigned long long cdm_residency_get_not_present(struct cdm_residency *res)
{
	return res->not_present;
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
