/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where a process's regions are (a few pages of each asked of the
 * kernel), and moving the ranges the policy chose through libcdm.
 */
#ifndef CDMD_MIGRATE_H
#define CDMD_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <libcdm.h>

#include "config.h"
#include "policy.h"
#include "tracker.h"

/* pages of a region whose node is asked each interval: the estimate of
 * where a region's pages are costs the same for 4 KiB and for 1 GiB */
#define CDMD_PLACEMENT_SAMPLES	16

/*
 * The policy's view of @pid's @regions: for each, the bytes present and
 * on @target's fast (tiering) or bind nodes and slow nodes, estimated
 * from CDMD_PLACEMENT_SAMPLES pages spread over it, asked in one
 * move_pages(2) call. @out has @nr entries, whose hint and hint_node the
 * caller set (cdmd_hints_split()) and are kept: a NODE hint's pages on
 * its node are counted too (on_hint_node). 0, or -errno (-ESRCH: the
 * process is gone).
 * Sample j is a page in the j-th of SAMPLES equal parts of the region, at
 * an offset into its part that @seq (the round) changes: a few pages left
 * behind between fixed samples would stay unseen for as long as the
 * region keeps its bounds, and never move.
 */
int cdmd_sample_placement(pid_t pid, const struct cdmd_target *target, uint64_t seq,
			  const struct cdmd_region *regions, size_t nr,
			  struct cdmd_policy_region *out);

/*
 * @regions (address order, as the tracker gives them) cut to @ranges
 * (address order: cdm_get_movable_ranges()): each part of a region
 * inside a range, with the region's counts, into *@out (malloc'd; NULL
 * when none) and *@nr_out. A DAMON region spans the gaps between
 * mappings (its first regions cover the whole heap area, stack area and
 * the room between them): sampled whole, most of its samples fall where
 * no page can be, and a move cut from it by address may hold no mapping
 * at all. 0, or -ENOMEM.
 */
int cdmd_clip_regions(const struct cdmd_region *regions, size_t nr,
		      const struct cdm_range *ranges, size_t nr_ranges,
		      struct cdmd_region **out, size_t *nr_out);
/* The range of @ranges (in address order, apart) that holds all of
 * [@start, @end), into *@out: true; false when none does */
bool cdmd_enclosing_range(const struct cdm_range *ranges, size_t nr, uint64_t start,
			  uint64_t end, struct cdm_range *out);

/* The kernel's copy counters (/sys/kernel/mm/cdm, the project's kernel):
 * folios copied by a copy engine, by the CPU, handed back by an engine,
 * declined by one */
struct cdmd_copy_counters {
	bool present;			/* false: a kernel without them */
	uint64_t engine, cpu, fallback, declined;
};
void cdmd_copy_counters_read(struct cdmd_copy_counters *c);
/* @after - @before into @delta */
void cdmd_copy_counters_delta(const struct cdmd_copy_counters *before,
			      const struct cdmd_copy_counters *after,
			      struct cdmd_copy_counters *delta);

/* What became of one move */
struct cdmd_move_result {
	int err;			/* cdm_migration_run()'s, 0 when all moved */
	char message[256];		/* libcdm's, when err */
	unsigned long long moved, already, failed;	/* pages */
	/* pages other processes map too: moved only with MOVE_ALL, which
	 * cdmd does not ask for (another process's memory is not its target's) */
	unsigned long long shared;
	struct cdmd_copy_counters copied;	/* counter deltas while it ran */
};

/*
 * Move @m of @pid for @target: the pages of the range that are not yet
 * where @m's kind sends them (the source nodes: every node with memory
 * outside the destination's set) to @m->to_node. 0 with @res filled in
 * when something was tried (res->err tells how it went), -errno when it
 * could not even start.
 */
int cdmd_migrate(struct cdm_ctx *ctx, pid_t pid, const struct cdmd_target *target,
		 const struct cdmd_move *m, struct cdmd_move_result *res);

#endif
