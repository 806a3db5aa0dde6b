// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Residency: how many pages of a range (or of a whole process) sit on
 * each node, from move_pages(2) in query mode (nodes == NULL), in chunks
 * of 16384 pages so memory use stays flat. One update of a 1 GiB process
 * is 16 syscalls; the benchmark (bench/) measures it.
 */
#include <errno.h>
#include <inttypes.h>
#include <numaif.h>
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
	int rc = cdm__check_range(res->ctx, start, end);

	if (rc)
		return rc;
	res->start = start;
	res->end = end;
	return 0;
}

static int query_vma(struct cdm_residency *res, const struct cdm_vma *vma,
		     void **pages, int *status)
{
	long ps = cdm__page_size();
	uint64_t addr = vma->start;
	unsigned long n, i;

	while (addr < vma->end) {
		n = (vma->end - addr) / ps;
		if (n > QUERY_CHUNK)
			n = QUERY_CHUNK;
		for (i = 0; i < n; i++)
			pages[i] = (void *)(uintptr_t)(addr + i * ps);
		if (move_pages(res->pid, n, pages, NULL, status, 0))
			return cdm__pid_error(res->ctx, res->pid, errno, "page query");
		for (i = 0; i < n; i++) {
			if (status[i] >= 0 && status[i] < CDM_MAX_NODES) {
				res->pages[status[i]]++;
				if (status[i] > res->max_node)
					res->max_node = status[i];
			} else {
				res->not_present++;
			}
		}
		res->total += n;
		addr += n * ps;
	}
	return 0;
}

CDM_EXPORT int cdm_residency_update(struct cdm_residency *res)
{
	struct cdm_vma *vmas;
	void **pages;
	int *status;
	size_t nr, i;
	int rc;

	cdm__clear_error(res->ctx);
	memset(res->pages, 0, sizeof(res->pages));
	res->total = res->not_present = 0;
	res->max_node = -1;
	rc = cdm__collect_ranges(res->ctx, res->pid, res->start, res->end, &vmas, &nr);
	if (rc)
		return rc;
	pages = malloc(QUERY_CHUNK * sizeof(*pages));
	status = malloc(QUERY_CHUNK * sizeof(*status));
	if (!pages || !status)
		rc = cdm__fail(res->ctx, ENOMEM, "pid %d: out of memory", res->pid);
	for (i = 0; !rc && i < nr; i++)
		rc = query_vma(res, &vmas[i], pages, status);
	free(pages);
	free(status);
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
