// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Placement estimates and moves (migrate.h). The estimate asks the kernel
 * for the node of a few pages per region in one move_pages(2) call with
 * no target nodes (a query, which moves nothing); the move is libcdm's
 * migration of a range from the source nodes, so pages already where
 * they belong are never touched and the counts are the kernel's.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "migrate.h"
#include "sysfs.h"

#define CDM_SYSFS	"/sys/kernel/mm/cdm"

static long query_pages(pid_t pid, unsigned long count, void **pages, int *status)
{
	return syscall(SYS_move_pages, pid, count, pages, NULL, status, 0);
}

/* @seq's offset into a sample's part, in 1/2^32: the golden ratio's
 * multiples modulo 1, which spread evenly over [0, 1) whatever the run */
static uint64_t sample_offset(uint64_t seq)
{
	return (seq * 0x9e3779b97f4a7c15ull) >> 32;
}

int cdmd_sample_placement(pid_t pid, const struct cdmd_target *target, uint64_t seq,
			  const struct cdmd_region *regions, size_t nr,
			  struct cdmd_policy_region *out)
{
	const struct cdm_nodeset *inside = target->policy == CDMD_POLICY_BIND ?
					   &target->nodes : &target->fast_nodes;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	size_t i, j, n = 0, total = nr * CDMD_PLACEMENT_SAMPLES;
	void **pages;
	int *status, err = 0;

	if (!nr)
		return 0;
	pages = calloc(total, sizeof(*pages));
	status = calloc(total, sizeof(*status));
	if (!pages || !status) {
		err = -ENOMEM;
		goto out;
	}
	/* sample j of a region: the page at (j + offset) / SAMPLES of it */
	for (i = 0; i < nr; i++) {
		uint64_t npages = (regions[i].end - regions[i].start) / page;
		uint64_t offset = sample_offset(seq);

		for (j = 0; j < CDMD_PLACEMENT_SAMPLES; j++) {
			uint64_t k = (uint64_t)(((unsigned __int128)j << 32 | offset) * npages /
						((unsigned __int128)CDMD_PLACEMENT_SAMPLES << 32));

			pages[n++] = (void *)(uintptr_t)(regions[i].start + k * page);
		}
	}
	if (query_pages(pid, total, pages, status) < 0) {
		err = -errno;
		goto out;
	}
	for (i = 0; i < nr; i++) {
		struct cdmd_policy_region *r = &out[i];
		uint64_t len = regions[i].end - regions[i].start;
		unsigned int present = 0, in = 0, slow = 0, hinted = 0;
		int hint_node = r->hint == CDMD_HINT_NODE ? r->hint_node : -1;
		enum cdmd_hint hint = r->hint;

		for (j = 0; j < CDMD_PLACEMENT_SAMPLES; j++) {
			int node = status[i * CDMD_PLACEMENT_SAMPLES + j];

			if (node < 0 || node >= CDM_MAX_NODES)
				continue;	/* not present, or no node (-ENOENT, -EFAULT) */
			present++;
			if (node == hint_node)
				hinted++;
			if (cdm_nodeset_has(inside, node))
				in++;
			else if (target->policy == CDMD_POLICY_TIERING &&
				 cdm_nodeset_has(&target->slow_nodes, node))
				slow++;
		}
		memset(r, 0, sizeof(*r));
		r->hint = hint;
		r->hint_node = hint_node;
		r->start = regions[i].start;
		r->end = regions[i].end;
		r->accesses = regions[i].accesses;
		r->age = regions[i].age;
		r->present = len / CDMD_PLACEMENT_SAMPLES * present;
		r->on_fast = len / CDMD_PLACEMENT_SAMPLES * in;
		r->on_slow = len / CDMD_PLACEMENT_SAMPLES * slow;
		r->on_hint_node = len / CDMD_PLACEMENT_SAMPLES * hinted;
	}
out:
	free(pages);
	free(status);
	return err;
}

int cdmd_clip_regions(const struct cdmd_region *regions, size_t nr,
		      const struct cdm_range *ranges, size_t nr_ranges,
		      struct cdmd_region **out, size_t *nr_out)
{
	struct cdmd_region *r;
	size_t i = 0, j = 0, n = 0;

	*out = NULL;
	*nr_out = 0;
	if (!nr || !nr_ranges)
		return 0;
	/* each part ends a region or a range: at most nr + nr_ranges */
	r = calloc(nr + nr_ranges, sizeof(*r));
	if (!r)
		return -ENOMEM;
	while (i < nr && j < nr_ranges) {
		uint64_t lo = regions[i].start > ranges[j].start ? regions[i].start : ranges[j].start;
		uint64_t hi = regions[i].end < ranges[j].end ? regions[i].end : ranges[j].end;

		if (lo < hi) {
			r[n] = regions[i];
			r[n].start = lo;
			r[n].end = hi;
			n++;
		}
		if (regions[i].end <= ranges[j].end)
			i++;
		else
			j++;
	}
	if (!n) {
		free(r);
		return 0;
	}
	*out = r;
	*nr_out = n;
	return 0;
}

bool cdmd_enclosing_range(const struct cdm_range *ranges, size_t nr, uint64_t start,
			  uint64_t end, struct cdm_range *out)
{
	size_t lo = 0, hi = nr, mid;

	while (lo < hi) {	/* the first range that ends after @start */
		mid = lo + (hi - lo) / 2;
		if (ranges[mid].end <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == nr || ranges[lo].start > start || ranges[lo].end < end || start >= end)
		return false;
	*out = ranges[lo];
	return true;
}

static uint64_t read_counter(const char *name, bool *present)
{
	char path[128];
	uint64_t v;

	snprintf(path, sizeof(path), CDM_SYSFS "/%s", name);
	if (cdmd_read_u64(path, &v)) {
		*present = false;
		return 0;
	}
	return v;
}

void cdmd_copy_counters_read(struct cdmd_copy_counters *c)
{
	c->present = true;
	c->engine = read_counter("engine_copied_folios", &c->present);
	c->cpu = read_counter("cpu_copied_folios", &c->present);
	c->fallback = read_counter("fallback_folios", &c->present);
	c->declined = read_counter("declined_folios", &c->present);
}

void cdmd_copy_counters_delta(const struct cdmd_copy_counters *before,
			      const struct cdmd_copy_counters *after,
			      struct cdmd_copy_counters *delta)
{
	delta->present = before->present && after->present;
	delta->engine = after->engine - before->engine;
	delta->cpu = after->cpu - before->cpu;
	delta->fallback = after->fallback - before->fallback;
	delta->declined = after->declined - before->declined;
}

/* the nodes a move takes pages from: every node with memory outside the
 * set it moves them into (a NODE hint's: its node alone) */
static int source_nodes(struct cdm_ctx *ctx, const struct cdmd_target *target,
			const struct cdmd_move *m, struct cdm_nodeset *from)
{
	const struct cdm_nodeset *into;
	struct cdm_nodeset none;
	int node, err;

	switch (m->kind) {
	case CDMD_PROMOTE:
		into = &target->fast_nodes;
		break;
	case CDMD_DEMOTE:
		into = &target->slow_nodes;
		break;
	default:
		into = &target->nodes;
		break;
	}
	cdm_nodeset_zero(&none);
	if (m->hint == CDMD_HINT_NODE)
		into = &none;
	err = cdm_get_memory_nodes(ctx, from);
	if (err)
		return err;
	cdm_nodeset_foreach(into, node)
		cdm_nodeset_del(from, node);
	cdm_nodeset_del(from, m->to_node);
	return cdm_nodeset_weight(from) ? 0 : -ENOENT;
}

int cdmd_migrate(struct cdm_ctx *ctx, pid_t pid, const struct cdmd_target *target,
		 const struct cdmd_move *m, struct cdmd_move_result *res)
{
	struct cdmd_copy_counters before, after;
	struct cdm_migration *mig = NULL;
	struct cdm_nodeset from;
	int err;

	memset(res, 0, sizeof(*res));
	err = source_nodes(ctx, target, m, &from);
	if (err)
		return err;
	err = cdm_migration_new(ctx, pid, m->to_node, &mig);
	if (!err)
		err = cdm_migration_set_range(mig, m->start, m->end);
	if (!err)
		err = cdm_migration_set_from_nodes(mig, &from);
	if (err) {
		snprintf(res->message, sizeof(res->message), "%s", cdm_get_last_error(ctx));
		if (mig)
			cdm_migration_free(mig);
		return err;
	}
	cdmd_copy_counters_read(&before);
	res->err = cdm_migration_run(mig);
	cdmd_copy_counters_read(&after);
	cdmd_copy_counters_delta(&before, &after, &res->copied);
	if (res->err)
		snprintf(res->message, sizeof(res->message), "%s", cdm_get_last_error(ctx));
	res->moved = cdm_migration_get_moved(mig);
	res->already = cdm_migration_get_already(mig);
	res->failed = cdm_migration_get_failed(mig) + cdm_migration_get_busy(mig);
	res->shared = cdm_migration_get_shared(mig);
	cdm_migration_free(mig);
	return 0;
}
