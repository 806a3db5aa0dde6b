// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The policy engine (daemon/policy.c) driven by synthetic access traces
 * on a simulated process: 64 MiB of 4 KiB pages whose node the
 * simulation keeps, one region per 2 MiB as a tracker would report it,
 * node 0 fast and node 1 slow. Every interval the test plans, applies
 * the moves page by page, records them, and checks the promises of
 * policy.h against what the pages went through: the hysteresis, the
 * order, the rate limit over every stretch of time, the fast node's
 * watermark, the minimum residency and the ping-pong bound (no page
 * moves three times within a window: checked on every page, and shown
 * to catch a policy without the bound).
 */
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy.h"
#include "tracker.h"

#define MIB		(1024ULL * 1024)
#define PAGE		4096ULL
#define GRANULE		(2 * MIB)
#define NR_GRANULES	32
#define PAGES_PER_G	(GRANULE / PAGE)
#define NR_PAGES	(NR_GRANULES * PAGES_PER_G)
#define BASE		0x7f0000000000ULL

struct sim {
	struct cdmd_target t;
	int node[NR_PAGES];
	int64_t moved_at[NR_PAGES][2];	/* the page's last two moves */
	unsigned int moves[NR_PAGES];
	unsigned int violations;	/* a third move within the window */
	uint64_t capacity[2], other_use[2];
	struct cdmd_history history;
	struct cdmd_rate rate;
	struct cdmd_policy_stats stats;
	uint64_t moved_bytes;
	struct cdmd_move first;		/* the first move planned */
	uint64_t age_ms;		/* every region's age_ms */
	size_t nr_planned;
	/* the kinds of the first plan with moves, in order */
	enum cdmd_move_kind order[NR_GRANULES * 2];
	size_t nr_order;
	/* the fast node's watermark, held after each promotion (not step) */
	bool watermark_each_move;
};

static void sim_init(struct sim *s, enum cdmd_policy policy)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->t.policy = policy;
	cdm_nodeset_add(&s->t.fast_nodes, 0);
	cdm_nodeset_add(&s->t.slow_nodes, 1);
	cdm_nodeset_add(&s->t.nodes, 1);
	s->t.promote_accesses = 5;
	s->t.demote_accesses = 1;
	s->t.min_residency_s = 0;
	s->t.rate_mb_s = 100000;
	s->t.fast_free_mb = 0;
	s->t.pingpong_window_s = 60;
	s->capacity[0] = s->capacity[1] = 1024 * MIB;
	s->rate.last_ms = CDMD_NEVER;
	for (i = 0; i < NR_PAGES; i++)
		s->moved_at[i][0] = s->moved_at[i][1] = CDMD_NEVER;
}

static void place_granule(struct sim *s, int g, int node)
{
	size_t i;

	for (i = 0; i < PAGES_PER_G; i++)
		s->node[g * PAGES_PER_G + i] = node;
}

static uint64_t node_used(const struct sim *s, int node)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < NR_PAGES; i++)
		n += s->node[i] == node;
	return n * PAGE + s->other_use[node];
}

static int granule_node(const struct sim *s, int g)
{
	return s->node[g * PAGES_PER_G];
}

/* accesses of granule @g in interval @k */
typedef unsigned int (*trace_fn)(int g, int k);

/*
 * One interval at @now_ms: regions from the trace and the pages' nodes,
 * a plan, the moves applied to the pages. Returns the bytes moved.
 */
static uint64_t sim_step(struct sim *s, trace_fn trace, int k, int64_t now_ms,
			 const enum cdmd_hint *hints)
{
	struct cdmd_policy_region regions[NR_GRANULES];
	uint64_t node_free[CDM_MAX_NODES] = { 0 };
	int64_t keep = (int64_t)(s->t.min_residency_s > s->t.pingpong_window_s ?
				 s->t.min_residency_s : s->t.pingpong_window_s) * 1000;
	struct cdmd_move *moves;
	uint64_t total = 0;
	size_t nr, i;
	int g;

	for (g = 0; g < NR_GRANULES; g++) {
		struct cdmd_policy_region *r = &regions[g];
		size_t p;

		memset(r, 0, sizeof(*r));
		r->start = BASE + g * GRANULE;
		r->end = r->start + GRANULE;
		r->accesses = trace(g, k);
		r->age_ms = s->age_ms;
		r->hint = hints ? hints[g] : CDMD_HINT_NONE;
		r->present = GRANULE;
		for (p = g * PAGES_PER_G; p < (g + 1) * PAGES_PER_G; p++) {
			if (s->node[p] == 0)
				r->on_fast += PAGE;
			else if (s->t.policy == CDMD_POLICY_TIERING)
				r->on_slow += PAGE;
		}
		if (s->t.policy == CDMD_POLICY_BIND)	/* on_fast: on its nodes */
			r->on_fast = GRANULE - r->on_fast;
	}
	node_free[0] = s->capacity[0] - node_used(s, 0);
	node_free[1] = s->capacity[1] - node_used(s, 1);
	assert_int_equal(cdmd_policy_plan(&s->t, now_ms, regions, NR_GRANULES, &s->history,
					  &s->rate, node_free, NULL, &moves, &nr, &s->stats), 0);
	if (nr && !s->nr_planned) {
		s->first = moves[0];
		for (i = 0; i < nr && i < NR_GRANULES * 2; i++)
			s->order[s->nr_order++] = moves[i].kind;
	}
	s->nr_planned += nr;
	for (i = 0; i < nr; i++) {
		const struct cdmd_move *m = &moves[i];
		uint64_t a, moved = 0;

		assert_true(m->start >= BASE && m->end <= BASE + NR_PAGES * PAGE);
		assert_true(m->start < m->end);
		assert_int_equal(m->start % PAGE, 0);
		assert_int_equal(m->end % PAGE, 0);
		for (a = m->start; a < m->end; a += PAGE) {
			size_t p = (a - BASE) / PAGE;

			if (s->node[p] == m->to_node)
				continue;
			if (s->moved_at[p][1] != CDMD_NEVER &&
			    now_ms - s->moved_at[p][1] < (int64_t)s->t.pingpong_window_s * 1000)
				s->violations++;
			s->moved_at[p][1] = s->moved_at[p][0];
			s->moved_at[p][0] = now_ms;
			s->node[p] = m->to_node;
			s->moves[p]++;
			moved += PAGE;
		}
		cdmd_rate_settle(&s->rate, m->bytes, moved);
		assert_int_equal(cdmd_history_record_move(&s->history, m, moved > 0, now_ms, keep),
				 0);
		if (s->watermark_each_move && m->kind == CDMD_PROMOTE)
			assert_true(s->capacity[0] - node_used(s, 0) >= s->t.fast_free_mb * MIB);
		total += moved;
	}
	free(moves);
	s->moved_bytes += total;
	return total;
}

static unsigned int trace_middling(int g, int k)
{
	return 2 + (g + k) % 3;		/* 2, 3, 4: between demote (1) and promote (5) */
}

static unsigned int trace_five(int g, int k)
{
	return 5;
}

/* accesses between the thresholds move nothing, however they change;
 * at the promotion threshold they do */
static void hysteresis(void **state)
{
	struct sim s;
	int k, g;

	sim_init(&s, CDMD_POLICY_TIERING);
	for (g = 0; g < NR_GRANULES; g++)
		place_granule(&s, g, g % 2);
	for (k = 0; k < 100; k++)
		sim_step(&s, trace_middling, k, k * 1000, NULL);
	assert_int_equal(s.moved_bytes, 0);
	assert_int_equal(s.nr_planned, 0);
	sim_step(&s, trace_five, 100, 100 * 1000, NULL);
	assert_int_equal(s.moved_bytes, NR_GRANULES / 2 * GRANULE);
	for (g = 0; g < NR_GRANULES; g++)
		assert_int_equal(granule_node(&s, g), 0);
	cdmd_history_free(&s.history);
}

/* granule g's accesses: the first 8 hot (20 down to 13), the rest cold */
static unsigned int trace_graded(int g, int k)
{
	return g < 8 ? 20 - g : 0;
}

/* hot memory ends up on the fast node and cold on the slow, the hottest
 * first when the rate lets only one granule move */
static void hot_up_cold_down(void **state)
{
	struct sim s;
	int k, g;

	sim_init(&s, CDMD_POLICY_TIERING);
	for (g = 0; g < NR_GRANULES; g++)
		place_granule(&s, g, g < 8 ? 1 : 0);
	s.t.rate_mb_s = 2;		/* one granule a second */
	for (k = 0; k < 40; k++)
		sim_step(&s, trace_graded, k, k * 1000, NULL);
	assert_int_equal(s.first.kind, CDMD_PROMOTE);
	assert_int_equal(s.first.start, BASE);		/* granule 0: 20 accesses */
	assert_int_equal(s.first.accesses, 20);
	assert_int_equal(s.first.to_node, 0);
	for (g = 0; g < NR_GRANULES; g++)
		assert_int_equal(granule_node(&s, g), g < 8 ? 0 : 1);
	assert_true(s.stats.held[CDMD_HELD_RATE] > 0);
	cdmd_history_free(&s.history);
}

static unsigned int trace_hot(int g, int k)
{
	return 20;
}

/* planned bytes over every stretch of time stay within the rate plus one
 * second's burst, and the rate is used: moves keep coming */
static void rate_limit(void **state)
{
	const int interval_ms = 250, steps = 60;
	uint64_t moved[61] = { 0 };
	struct sim s;
	int k, j;

	sim_init(&s, CDMD_POLICY_TIERING);
	for (k = 0; k < NR_GRANULES; k++)
		place_granule(&s, k, 1);
	s.t.rate_mb_s = 8;
	for (k = 0; k < steps; k++)
		moved[k + 1] = moved[k] + sim_step(&s, trace_hot, k, (int64_t)k * interval_ms, NULL);
	for (k = 0; k <= steps; k++)
		for (j = k + 1; j <= steps; j++) {
			/* moves of steps k..j-1 happened within (j-1-k) intervals */
			uint64_t span_ms = (uint64_t)(j - 1 - k) * interval_ms;

			assert_true(moved[j] - moved[k] <= 8 * MIB * (span_ms + 1000) / 1000);
		}
	/* 15 s at 8 MiB/s: 120 MiB plus the first second's tokens, of 64 */
	assert_int_equal(moved[steps], NR_GRANULES * GRANULE);
	assert_true(moved[steps / 2] >= 8 * MIB * (steps / 2 - 1) * interval_ms / 1000);
	assert_true(s.stats.held[CDMD_HELD_RATE] > 0);
	cdmd_history_free(&s.history);

	/* a quiet stretch saves up no more than a second's worth */
	sim_init(&s, CDMD_POLICY_TIERING);
	for (k = 0; k < NR_GRANULES; k++)
		place_granule(&s, k, 1);
	s.t.rate_mb_s = 8;
	for (k = 0; k < 30; k++)
		sim_step(&s, trace_middling, k, (int64_t)k * 1000, NULL);
	assert_int_equal(s.moved_bytes, 0);
	assert_int_equal(sim_step(&s, trace_hot, 30, 30 * 1000, NULL), 8 * MIB);
	cdmd_history_free(&s.history);
}

/* promotion stops where the fast node would drop below fast_free_mb,
 * and says so */
static void watermark(void **state)
{
	struct sim s;
	int k;

	sim_init(&s, CDMD_POLICY_TIERING);
	for (k = 0; k < NR_GRANULES; k++)
		place_granule(&s, k, 1);
	s.capacity[0] = 100 * MIB;
	s.t.fast_free_mb = 64;
	for (k = 0; k < 10; k++) {
		sim_step(&s, trace_hot, k, k * 1000, NULL);
		assert_true(s.capacity[0] - node_used(&s, 0) >= 64 * MIB);
	}
	assert_int_equal(node_used(&s, 0), 36 * MIB);
	assert_true(s.stats.held[CDMD_HELD_WATERMARK] >= 9);
	assert_true(s.stats.held_bytes[CDMD_HELD_WATERMARK] > 0);
	cdmd_history_free(&s.history);
}

static unsigned int trace_8_hot(int g, int k)
{
	return g < 8 ? 20 : 0;
}

/*
 * The fast node 16 MiB below its watermark, its cold pages enough to make
 * room: in one plan the cold granules go down and the hot ones up, each
 * promotion right after the demotion that made its room: the first after
 * nine of the sixteen (18 MiB), not after all of them. The watermark
 * holds after every promotion. Without the room: held, as before.
 */
static void make_room(void **state)
{
	struct sim s;
	size_t i;
	int g;

	sim_init(&s, CDMD_POLICY_TIERING);
	for (g = 0; g < NR_GRANULES; g++)
		place_granule(&s, g, g < 8 || g >= 24 ? 1 : 0);
	s.capacity[0] = 100 * MIB;
	s.other_use[0] = 20 * MIB;	/* 48 MiB free: 16 below the watermark */
	s.t.fast_free_mb = 64;
	s.watermark_each_move = true;
	sim_step(&s, trace_8_hot, 0, 0, NULL);
	for (g = 0; g < NR_GRANULES; g++)
		assert_int_equal(granule_node(&s, g), g < 8 ? 0 : 1);
	assert_int_equal(s.moved_bytes, 24 * GRANULE);
	assert_int_equal(s.nr_order, 24);
	for (i = 0; i < s.nr_order; i++)	/* D x 9, then P D ... P */
		assert_int_equal(s.order[i], i < 9 || (i - 9) % 2 ? CDMD_DEMOTE : CDMD_PROMOTE);
	assert_int_equal(s.stats.held[CDMD_HELD_WATERMARK], 0);
	cdmd_history_free(&s.history);

	/* no cold pages on the fast node: nothing makes room, held */
	sim_init(&s, CDMD_POLICY_TIERING);
	for (g = 0; g < NR_GRANULES; g++)
		place_granule(&s, g, 1);
	s.capacity[0] = 100 * MIB;
	s.other_use[0] = 52 * MIB;
	s.t.fast_free_mb = 64;
	sim_step(&s, trace_8_hot, 0, 0, NULL);
	assert_int_equal(s.moved_bytes, 0);
	assert_int_equal(s.stats.held[CDMD_HELD_WATERMARK], 8);
	cdmd_history_free(&s.history);
}

/* plan one region alone, with nothing moved before and no rate spent;
 * return the number of moves */
static size_t plan_region(struct sim *s, const struct cdmd_policy_region *r,
			  uint64_t *node_free, const uint64_t *node_batch,
			  struct cdmd_move **moves)
{
	struct cdmd_policy_stats stats = { 0 };
	struct cdmd_history h = { 0 };
	struct cdmd_rate rate = { .last_ms = CDMD_NEVER };
	size_t nr;

	assert_int_equal(cdmd_policy_plan(&s->t, 0, r, 1, &h, &rate, node_free, node_batch,
					  moves, &nr, &stats), 0);
	return nr;
}

/* the moves cover r whole, in order, each at most max_len long, and
 * together move want_bytes */
static void assert_batches(const struct cdmd_move *moves, size_t nr,
			   const struct cdmd_policy_region *r, uint64_t max_len,
			   uint64_t want_bytes)
{
	uint64_t bytes = 0;
	size_t i;

	for (i = 0; i < nr; i++) {
		assert_int_equal(moves[i].start, i ? moves[i - 1].end : r->start);
		assert_true(moves[i].end - moves[i].start <= max_len);
		bytes += moves[i].bytes;
	}
	assert_int_equal(moves[nr - 1].end, r->end);
	assert_int_equal(bytes, want_bytes);
}

/* a long range moves as batches of at most 4 MiB, in order, whole; one
 * mostly in place already as few batches as what moves needs */
static void batches(void **state)
{
	struct cdmd_policy_region r = {
		.start = BASE, .end = BASE + 64 * MIB + 12 * PAGE, .accesses = 0,
		.present = 64 * MIB + 12 * PAGE, .on_fast = 64 * MIB + 12 * PAGE,
	};
	uint64_t node_free[CDM_MAX_NODES] = { 1024 * MIB, 1024 * MIB };
	struct cdmd_move *moves;
	struct sim s;
	size_t nr, i;

	sim_init(&s, CDMD_POLICY_TIERING);
	nr = plan_region(&s, &r, node_free, NULL, &moves);
	assert_int_equal(nr, 17);
	for (i = 0; i < nr; i++)
		assert_int_equal(moves[i].kind, CDMD_DEMOTE);
	assert_batches(moves, nr, &r, 4 * MIB, r.present);
	free(moves);

	/* 256 MiB of which 1/16 (16 MiB) on the fast node: four batches */
	r.end = BASE + 256 * MIB;
	r.present = 256 * MIB;
	r.on_fast = 16 * MIB;
	r.on_slow = 240 * MIB;
	nr = plan_region(&s, &r, node_free, NULL, &moves);
	assert_int_equal(nr, 4);
	assert_batches(moves, nr, &r, 256 * MIB, 16 * MIB);
	free(moves);
}

/* a node the daemon measured as slow takes batches of its own size: 8 MiB
 * to the slow node 1 at 512 KiB a batch, 16 of them, whole and in order;
 * a batch size above 4 MiB is no batch size */
static void batches_by_node(void **state)
{
	struct cdmd_policy_region r = {
		.start = BASE, .end = BASE + 8 * MIB, .accesses = 0,
		.present = 8 * MIB, .on_fast = 8 * MIB,
	};
	uint64_t node_free[CDM_MAX_NODES] = { 1024 * MIB, 1024 * MIB };
	uint64_t node_batch[CDM_MAX_NODES] = { 0, 512 * 1024 };
	struct cdmd_move *moves;
	struct sim s;
	size_t nr, i;

	sim_init(&s, CDMD_POLICY_TIERING);
	nr = plan_region(&s, &r, node_free, node_batch, &moves);
	assert_int_equal(nr, 16);
	for (i = 0; i < nr; i++)
		assert_int_equal(moves[i].to_node, 1);
	assert_batches(moves, nr, &r, 512 * 1024, r.present);
	free(moves);

	node_batch[1] = 64 * MIB;
	node_free[1] = 1024 * MIB;
	nr = plan_region(&s, &r, node_free, node_batch, &moves);
	assert_int_equal(nr, 2);
	free(moves);
}

/*
 * A plan cut in 256 KiB batches while the node's speed was unknown, run
 * once the node takes 1 MiB a batch: four batches of a move run as one;
 * a move's last batches as far as they go; the next move (another
 * region, another node or kind) never joins; a batch over the size runs
 * alone; a size of 0 joins nothing.
 */
static void join_batches(void **state)
{
	struct cdmd_policy_region a = {
		.start = BASE, .end = BASE + 2560 * 1024, .accesses = 0,
		.present = 2560 * 1024, .on_fast = 2560 * 1024,
	}, b = {
		.start = BASE + 2560 * 1024, .end = BASE + 3 * MIB, .accesses = 0, .age = 9,
		.present = 512 * 1024, .on_fast = 512 * 1024,
	};
	uint64_t node_free[CDM_MAX_NODES] = { 1024 * MIB, 1024 * MIB };
	uint64_t node_batch[CDM_MAX_NODES] = { 0, 256 * 1024 };
	struct cdmd_move *ma, *mb, moves[16], joined;
	size_t na, nb, n, i;
	struct sim s;

	sim_init(&s, CDMD_POLICY_TIERING);
	na = plan_region(&s, &a, node_free, node_batch, &ma);
	nb = plan_region(&s, &b, node_free, node_batch, &mb);
	assert_int_equal(na, 10);
	assert_int_equal(nb, 2);
	memcpy(moves, ma, na * sizeof(*ma));
	memcpy(moves + na, mb, nb * sizeof(*mb));
	n = na + nb;
	free(ma);
	free(mb);
	for (i = 1; i < na; i++)
		assert_true(cdmd_same_move(&moves[i - 1], &moves[i]));
	assert_false(cdmd_same_move(&moves[na - 1], &moves[na]));	/* another region */

	/* 10 batches of a: 4 + 4 + 2; then b's 2 as one */
	assert_int_equal(cdmd_join_batches(moves, n, 0, MIB, &joined), 4);
	assert_int_equal(joined.start, moves[0].start);
	assert_int_equal(joined.end, moves[3].end);
	assert_int_equal(joined.bytes, MIB);
	assert_int_equal(joined.kind, moves[0].kind);
	assert_int_equal(joined.to_node, 1);
	assert_int_equal(cdmd_join_batches(moves, n, 4, MIB, &joined), 4);
	assert_int_equal(cdmd_join_batches(moves, n, 8, MIB, &joined), 2);
	assert_int_equal(joined.end, a.end);
	assert_int_equal(cdmd_join_batches(moves, n, 10, MIB, &joined), 2);
	assert_int_equal(joined.start, b.start);
	assert_int_equal(joined.end, b.end);

	/* a batch bigger than the size runs alone; size 0 joins nothing */
	assert_int_equal(cdmd_join_batches(moves, n, 0, 100 * 1024, &joined), 1);
	assert_int_equal(joined.end, moves[0].end);
	assert_int_equal(cdmd_join_batches(moves, n, 0, 0, &joined), 1);
	assert_int_equal(cdmd_join_batches(moves, n, n - 1, 64 * MIB, &joined), 1);

	/* another node or kind after it: not the same move */
	moves[1].to_node = 0;
	assert_int_equal(cdmd_join_batches(moves, n, 0, 64 * MIB, &joined), 1);
	moves[1].to_node = 1;
	moves[2].kind = moves[2].kind == CDMD_PROMOTE ? CDMD_DEMOTE : CDMD_PROMOTE;
	assert_int_equal(cdmd_join_batches(moves, n, 0, 64 * MIB, &joined), 2);
}

/* a region cdmd demoted half of before (its residency over): with the
 * rate for a quarter of what is left, the half never moved goes first */
static void unmoved_first(void **state)
{
	struct cdmd_policy_region r = {
		.start = BASE, .end = BASE + 64 * MIB, .accesses = 0,
		.present = 64 * MIB, .on_fast = 32 * MIB, .on_slow = 32 * MIB,
	};
	uint64_t node_free[CDM_MAX_NODES] = { 1024 * MIB, 1024 * MIB };
	struct cdmd_policy_stats stats = { 0 };
	struct cdmd_history h = { 0 };
	struct cdmd_rate rate = { .last_ms = CDMD_NEVER };
	struct cdmd_move *moves;
	struct sim s;
	size_t nr, i;

	sim_init(&s, CDMD_POLICY_TIERING);
	s.t.min_residency_s = 10;
	s.t.rate_mb_s = 8;
	assert_int_equal(cdmd_history_record(&h, BASE, BASE + 32 * MIB, 0, 60000), 0);
	assert_int_equal(cdmd_policy_plan(&s.t, 20000, &r, 1, &h, &rate, node_free, NULL,
					  &moves, &nr, &stats), 0);
	assert_true(nr > 0);
	for (i = 0; i < nr; i++) {
		assert_int_equal(moves[i].kind, CDMD_DEMOTE);
		assert_true(moves[i].start >= BASE + 32 * MIB);
	}
	assert_int_equal(stats.held[CDMD_HELD_RESIDENCY], 0);
	assert_true(stats.held[CDMD_HELD_RATE] > 0);
	free(moves);

	/* within its residency the moved half is held, the rest planned */
	rate = (struct cdmd_rate){ .last_ms = CDMD_NEVER };
	memset(&stats, 0, sizeof(stats));
	assert_int_equal(cdmd_policy_plan(&s.t, 5000, &r, 1, &h, &rate, node_free, NULL,
					  &moves, &nr, &stats), 0);
	assert_true(nr > 0);
	assert_true(moves[0].start >= BASE + 32 * MIB);
	assert_int_equal(stats.held[CDMD_HELD_RESIDENCY], 1);
	assert_int_equal(stats.held_bytes[CDMD_HELD_RESIDENCY], 16 * MIB);
	free(moves);
	cdmd_history_free(&h);
}

/* plan one region at @now_ms; returns the number of moves, all of @kind */
static size_t plan_one(struct sim *s, const struct cdmd_policy_region *r, int64_t now_ms,
		       const struct cdmd_history *h, enum cdmd_move_kind kind,
		       struct cdmd_policy_stats *stats)
{
	uint64_t node_free[CDM_MAX_NODES] = { 1024 * MIB, 1024 * MIB };
	struct cdmd_rate rate = { .last_ms = CDMD_NEVER };
	struct cdmd_move *moves;
	size_t nr, i;

	memset(stats, 0, sizeof(*stats));
	assert_int_equal(cdmd_policy_plan(&s->t, now_ms, r, 1, h, &rate, node_free, NULL,
					  &moves, &nr, stats), 0);
	for (i = 0; i < nr; i++)
		assert_int_equal(moves[i].kind, kind);
	free(moves);
	return nr;
}

/*
 * A range promoted whole while its process still faulted pages in on the
 * slow node (its policy put them there) is promoted again at once: what
 * is on the slow node now came after the move. Not when the move left
 * pages behind (they failed: trying again each round would only cost),
 * not the other way within the residency, and the ping-pong bound still
 * counts the first move.
 */
static void refill(void **state)
{
	struct cdmd_policy_region hot = {
		.start = BASE, .end = BASE + 8 * MIB, .accesses = 20,
		.present = 8 * MIB, .on_fast = 6 * MIB, .on_slow = 2 * MIB,
	}, cold = hot;
	struct cdmd_move promote = { .start = BASE, .end = BASE + 8 * MIB, .kind = CDMD_PROMOTE,
				     .to_node = 0 };
	struct cdmd_move demote = promote;
	struct cdmd_policy_stats stats;
	struct cdmd_history h = { 0 };
	struct sim s;

	sim_init(&s, CDMD_POLICY_TIERING);
	s.t.min_residency_s = 2;
	s.t.pingpong_window_s = 10;
	cold.accesses = 0;
	cold.age = 100;
	cold.age_ms = 100000;
	cold.on_fast = 8 * MIB;
	cold.on_slow = 0;
	demote.kind = CDMD_DEMOTE;
	demote.to_node = 1;

	/* left pages behind: held for the residency, as any move */
	assert_int_equal(cdmd_history_record_move(&h, &promote, false, 1000, 10000), 0);
	assert_int_equal(plan_one(&s, &hot, 1500, &h, CDMD_PROMOTE, &stats), 0);
	assert_int_equal(stats.held[CDMD_HELD_RESIDENCY], 1);
	cdmd_history_free(&h);

	/* left none: the same way again at once, not the other way */
	assert_int_equal(cdmd_history_record_move(&h, &promote, true, 1000, 10000), 0);
	assert_true(plan_one(&s, &hot, 1500, &h, CDMD_PROMOTE, &stats) > 0);
	assert_int_equal(stats.held[CDMD_HELD_RESIDENCY], 0);
	assert_int_equal(plan_one(&s, &cold, 1500, &h, CDMD_DEMOTE, &stats), 0);
	assert_int_equal(stats.held[CDMD_HELD_RESIDENCY], 1);

	/* moved again at 1500: the residency counts from then, and a page
	 * moved at 1000 may move once more (its second move), not twice */
	assert_int_equal(cdmd_history_record_move(&h, &promote, true, 1500, 10000), 0);
	assert_int_equal(plan_one(&s, &cold, 3000, &h, CDMD_DEMOTE, &stats), 0);
	assert_int_equal(stats.held[CDMD_HELD_RESIDENCY], 1);
	assert_true(plan_one(&s, &cold, 3600, &h, CDMD_DEMOTE, &stats) > 0);
	assert_int_equal(cdmd_history_record_move(&h, &demote, true, 3600, 10000), 0);
	assert_int_equal(plan_one(&s, &hot, 6000, &h, CDMD_PROMOTE, &stats), 0);
	assert_int_equal(stats.held[CDMD_HELD_PINGPONG], 1);
	assert_true(plan_one(&s, &hot, 11500, &h, CDMD_PROMOTE, &stats) > 0);
	cdmd_history_free(&h);
}

static unsigned int trace_hot_then_cold(int g, int k)
{
	return k == 0 ? 20 : 0;
}

/* a page moved stays for min_residency_s, then may go */
static void min_residency(void **state)
{
	struct sim s;
	int k;

	sim_init(&s, CDMD_POLICY_TIERING);
	for (k = 0; k < NR_GRANULES; k++)
		place_granule(&s, k, 1);
	s.t.min_residency_s = 10;
	sim_step(&s, trace_hot_then_cold, 0, 0, NULL);
	assert_int_equal(node_used(&s, 0), NR_GRANULES * GRANULE);
	for (k = 1; k < 10; k++) {
		sim_step(&s, trace_hot_then_cold, k, k * 1000, NULL);
		assert_int_equal(node_used(&s, 0), NR_GRANULES * GRANULE);
	}
	assert_int_equal(s.stats.held[CDMD_HELD_RESIDENCY], 9 * NR_GRANULES);
	sim_step(&s, trace_hot_then_cold, 10, 10 * 1000, NULL);
	assert_int_equal(node_used(&s, 1), NR_GRANULES * GRANULE);
	cdmd_history_free(&s.history);
}

static unsigned int trace_cold(int g, int k)
{
	return 0;
}

/* a region cold for less than cold_age_s stays (a region the tracker has
 * just cut from a hot one counts few accesses at first); once its age
 * says it has been cold that long, it goes; a hint needs no age */
static void cold_age(void **state)
{
	enum cdmd_hint h[NR_GRANULES] = { 0 };
	struct sim s;
	int k;

	sim_init(&s, CDMD_POLICY_TIERING);
	for (k = 0; k < NR_GRANULES; k++)
		place_granule(&s, k, 0);
	s.t.cold_age_s = 5;
	s.age_ms = 4999;
	for (k = 0; k < 5; k++)
		sim_step(&s, trace_cold, k, k * 1000, NULL);
	assert_int_equal(s.moved_bytes, 0);
	h[3] = CDMD_HINT_COLD;
	sim_step(&s, trace_cold, 5, 5000, h);
	assert_int_equal(s.moved_bytes, GRANULE);
	s.age_ms = 5000;
	sim_step(&s, trace_cold, 6, 6000, NULL);
	assert_int_equal(node_used(&s, 1), NR_GRANULES * GRANULE);
	cdmd_history_free(&s.history);
}

/* hot and cold by turns, every granule in its own phase */
static unsigned int trace_oscillating(int g, int k)
{
	return ((k + g) / 3) % 2 ? 20 : 0;
}

static void run_oscillating(struct sim *s, int seconds)
{
	int k;

	for (k = 0; k < NR_GRANULES; k++)
		place_granule(s, k, k % 2);
	for (k = 0; k < seconds; k++)
		sim_step(s, trace_oscillating, k, k * 1000, NULL);
}

/* under an oscillating trace no page moves a third time within the
 * window, the bound is counted when it holds, and pages still move */
static void pingpong_bound(void **state)
{
	unsigned int most = 0;
	struct sim *s = malloc(sizeof(*s));
	size_t p;

	assert_non_null(s);
	sim_init(s, CDMD_POLICY_TIERING);
	run_oscillating(s, 600);
	assert_int_equal(s->violations, 0);
	assert_true(s->stats.held[CDMD_HELD_PINGPONG] > 0);
	for (p = 0; p < NR_PAGES; p++)
		most = s->moves[p] > most ? s->moves[p] : most;
	/* at most 2 per 60 s window: 20 in 600 s at the very most */
	assert_true(most <= 20);
	assert_true(most >= 10);
	cdmd_history_free(&s->history);

	/* the same checker on a policy whose window is too short to matter
	 * here (1 s; the trace turns every 3 s): more than 20 moves of a page
	 * in 600 s put three in one of its ten 60 s windows, which the
	 * checks above must tell from the bounded run */
	sim_init(s, CDMD_POLICY_TIERING);
	s->t.pingpong_window_s = 1;
	run_oscillating(s, 600);
	most = 0;
	for (p = 0; p < NR_PAGES; p++)
		most = s->moves[p] > most ? s->moves[p] : most;
	assert_true(most > 20);
	cdmd_history_free(&s->history);
	free(s);
}

/* bind: every page outside the nodes moves onto them, once */
static void bind(void **state)
{
	struct sim s;
	int k, g;

	sim_init(&s, CDMD_POLICY_BIND);
	for (g = 0; g < NR_GRANULES; g++)
		place_granule(&s, g, g % 2);
	s.t.rate_mb_s = 16;
	for (k = 0; k < 5; k++)
		sim_step(&s, trace_hot, k, k * 1000, NULL);
	assert_int_equal(node_used(&s, 1), NR_GRANULES * GRANULE);
	assert_int_equal(s.moved_bytes, NR_GRANULES / 2 * GRANULE);
	assert_int_equal(s.first.kind, CDMD_BIND);
	sim_step(&s, trace_hot, 5, 5 * 1000, NULL);
	assert_int_equal(s.moved_bytes, NR_GRANULES / 2 * GRANULE);
	cdmd_history_free(&s.history);
}

static unsigned int trace_inverse(int g, int k)
{
	return g < 8 ? 0 : 20;
}

/* a hint beats the tracker both ways */
static void hints(void **state)
{
	enum cdmd_hint h[NR_GRANULES] = { 0 };
	struct sim s;
	int g;

	sim_init(&s, CDMD_POLICY_TIERING);
	for (g = 0; g < NR_GRANULES; g++)
		place_granule(&s, g, g < 8 ? 1 : 0);
	for (g = 0; g < NR_GRANULES; g++)
		h[g] = g < 8 ? CDMD_HINT_HOT : CDMD_HINT_COLD;
	/* the tracker says the opposite: granules 0-7 cold, the rest hot */
	sim_step(&s, trace_inverse, 0, 0, h);
	for (g = 0; g < NR_GRANULES; g++)
		assert_int_equal(granule_node(&s, g), g < 8 ? 0 : 1);
	cdmd_history_free(&s.history);
}

/* A plan's surroundings for tests of a few hand-made regions: node 0
 * fast, 1 and 2 slow (1 has more room), or bind to 1 and 2 */
struct plan_env {
	struct sim s;
	uint64_t node_free[CDM_MAX_NODES];
	struct cdmd_history h;
	struct cdmd_policy_stats st;
};

static void env_init(struct plan_env *e, enum cdmd_policy policy)
{
	memset(e, 0, sizeof(*e));
	sim_init(&e->s, policy);
	cdm_nodeset_add(policy == CDMD_POLICY_BIND ? &e->s.t.nodes : &e->s.t.slow_nodes, 2);
	e->node_free[0] = e->node_free[1] = 1024 * MIB;
	e->node_free[2] = 512 * MIB;
}

/* One plan of @r at @now_ms, with a full rate: the number of moves,
 * the moves in *@moves (the caller frees them) */
static size_t plan_once(struct plan_env *e, const struct cdmd_policy_region *r, size_t n,
			int64_t now_ms, struct cdmd_move **moves)
{
	struct cdmd_rate rate = { .last_ms = CDMD_NEVER };
	size_t nr;

	assert_int_equal(cdmd_policy_plan(&e->s.t, now_ms, r, n, &e->h, &rate, e->node_free, NULL,
					  moves, &nr, &e->st), 0);
	return nr;
}

/* a region of 2 MiB at granule @g, all present, none where it belongs */
static struct cdmd_policy_region hinted(int g, unsigned int accesses, enum cdmd_hint hint,
					int node)
{
	return (struct cdmd_policy_region){
		.start = BASE + g * GRANULE, .end = BASE + (g + 1) * GRANULE,
		.accesses = accesses, .hint = hint, .hint_node = node, .present = GRANULE,
	};
}

/* NODE hints, tiering: the range goes to its node (a bind move, first of
 * all), a node not the target's reads as no hint, one already there
 * stays; held by the rate, the fast node's watermark, a full node and
 * the history like any move */
static void node_hints_tiering(void **state)
{
	struct cdmd_policy_region r[4];
	struct plan_env e;
	struct cdmd_move *m;
	size_t nr;

	env_init(&e, CDMD_POLICY_TIERING);
	r[0] = hinted(0, 0, CDMD_HINT_HOT, -1);		/* promoted */
	r[1] = hinted(1, 20, CDMD_HINT_NODE, 2);	/* hot, but belongs on 2 */
	r[2] = hinted(2, 20, CDMD_HINT_NODE, 2);	/* already on 2 */
	r[2].on_hint_node = GRANULE;
	r[3] = hinted(3, 0, CDMD_HINT_NODE, 5);		/* node 5 not the target's */
	nr = plan_once(&e, r, 4, 0, &m);
	assert_int_equal(nr, 3);
	assert_int_equal(m[0].start, r[1].start);	/* the NODE hint first */
	assert_int_equal(m[0].kind, CDMD_BIND);
	assert_int_equal(m[0].to_node, 2);
	assert_int_equal(m[0].hint, CDMD_HINT_NODE);
	assert_int_equal(m[0].bytes, GRANULE);
	assert_int_equal(m[1].start, r[0].start);
	assert_int_equal(m[1].kind, CDMD_PROMOTE);
	assert_int_equal(m[2].start, r[3].start);	/* demoted as unhinted */
	assert_int_equal(m[2].kind, CDMD_DEMOTE);
	assert_int_equal(m[2].to_node, 1);		/* the roomiest slow node */
	assert_int_equal(m[2].hint, CDMD_HINT_NONE);
	assert_int_equal(e.node_free[2], 510 * MIB);
	free(m);

	/* half of it there already: half the bytes estimated */
	r[1].on_hint_node = GRANULE / 2;
	nr = plan_once(&e, &r[1], 1, 0, &m);
	assert_int_equal(nr, 1);
	assert_int_equal(m[0].bytes, GRANULE / 2);
	free(m);
	r[1].on_hint_node = 0;

	/* the rate: 2 MiB a second, all of it for the NODE hint */
	e.s.t.rate_mb_s = 2;
	nr = plan_once(&e, r, 4, 0, &m);
	assert_int_equal(nr, 1);
	assert_int_equal(m[0].to_node, 2);
	assert_int_equal(e.st.held[CDMD_HELD_RATE], 2);
	free(m);
	e.s.t.rate_mb_s = 100000;

	/* onto a fast node: its watermark holds */
	r[1] = hinted(1, 0, CDMD_HINT_NODE, 0);
	e.s.t.fast_free_mb = 2048;
	nr = plan_once(&e, &r[1], 1, 0, &m);
	assert_int_equal(nr, 0);
	assert_int_equal(e.st.held[CDMD_HELD_WATERMARK], 1);
	free(m);
	e.s.t.fast_free_mb = 0;
	nr = plan_once(&e, &r[1], 1, 0, &m);
	assert_int_equal(nr, 1);
	assert_int_equal(m[0].to_node, 0);
	free(m);

	/* a slow node without room */
	r[1] = hinted(1, 20, CDMD_HINT_NODE, 2);
	e.node_free[2] = 8 * MIB;
	nr = plan_once(&e, &r[1], 1, 0, &m);
	assert_int_equal(nr, 0);
	assert_int_equal(e.st.held[CDMD_HELD_FULL], 1);
	free(m);
	e.node_free[2] = 512 * MIB;

	/* moved a moment ago: min_residency holds it */
	e.s.t.min_residency_s = 10;
	assert_int_equal(cdmd_history_record(&e.h, r[1].start, r[1].end, 0, 60000), 0);
	nr = plan_once(&e, &r[1], 1, 1000, &m);
	assert_int_equal(nr, 0);
	assert_int_equal(e.st.held[CDMD_HELD_RESIDENCY], 1);
	free(m);
	nr = plan_once(&e, &r[1], 1, 11000, &m);
	assert_int_equal(nr, 1);
	free(m);
	cdmd_history_free(&e.h);
}

/* NODE hints, bind: one of the bind nodes chosen by the hint, not by
 * room; a node outside them is no hint; HOT and COLD change nothing */
static void node_hints_bind(void **state)
{
	struct cdmd_policy_region r[3];
	struct plan_env e;
	struct cdmd_move *m;
	size_t nr;

	env_init(&e, CDMD_POLICY_BIND);			/* bind to 1 and 2 */
	r[0] = hinted(0, 0, CDMD_HINT_NODE, 2);
	r[0].on_fast = GRANULE;				/* on a bind node: 1 */
	r[1] = hinted(1, 0, CDMD_HINT_NODE, 0);		/* 0 is no bind node */
	r[2] = hinted(2, 20, CDMD_HINT_COLD, -1);
	nr = plan_once(&e, r, 3, 0, &m);
	assert_int_equal(nr, 3);
	assert_int_equal(m[0].start, r[0].start);
	assert_int_equal(m[0].to_node, 2);
	assert_int_equal(m[0].hint, CDMD_HINT_NODE);
	assert_int_equal(m[0].kind, CDMD_BIND);
	assert_int_equal(m[1].start, r[1].start);
	assert_int_equal(m[1].to_node, 1);		/* the roomiest bind node */
	assert_int_equal(m[1].hint, CDMD_HINT_NONE);
	assert_int_equal(m[2].kind, CDMD_BIND);
	assert_int_equal(m[2].to_node, 1);
	free(m);
	cdmd_history_free(&e.h);
}

/* a slow node without room takes nothing, and that is counted */
static void slow_full(void **state)
{
	struct sim s;
	int g;

	sim_init(&s, CDMD_POLICY_TIERING);
	for (g = 0; g < NR_GRANULES; g++)
		place_granule(&s, g, 0);
	s.capacity[1] = 32 * MIB;
	s.other_use[1] = 20 * MIB;	/* 12 MiB free, less than the reserve */
	sim_step(&s, trace_hot_then_cold, 1, 1000, NULL);
	assert_int_equal(s.moved_bytes, 0);
	assert_int_equal(s.stats.held[CDMD_HELD_FULL], NR_GRANULES);
	assert_int_equal(s.stats.held_bytes[CDMD_HELD_FULL], NR_GRANULES * GRANULE);
	/* room for 4 MiB above the reserve: two granules, no more */
	s.other_use[1] = 12 * MIB;
	sim_step(&s, trace_hot_then_cold, 2, 2000, NULL);
	assert_int_equal(s.moved_bytes, 4 * MIB);
	cdmd_history_free(&s.history);
}

/* the history: splits, times and forgetting */
static void history(void **state)
{
	struct cdmd_history h = { 0 };
	const int64_t keep = 60000;

	assert_int_equal(cdmd_history_record(&h, 0x10000, 0x20000, 1000, keep), 0);
	assert_int_equal(cdmd_history_record(&h, 0x18000, 0x30000, 2000, keep), 0);
	assert_int_equal(h.nr, 3);
	assert_int_equal(h.ranges[0].start, 0x10000);
	assert_int_equal(h.ranges[0].end, 0x18000);
	assert_true(h.ranges[0].last_ms == 1000 && h.ranges[0].prev_ms == CDMD_NEVER);
	assert_int_equal(h.ranges[1].start, 0x18000);
	assert_int_equal(h.ranges[1].end, 0x20000);
	assert_true(h.ranges[1].last_ms == 2000 && h.ranges[1].prev_ms == 1000);
	assert_int_equal(h.ranges[2].start, 0x20000);
	assert_int_equal(h.ranges[2].end, 0x30000);
	assert_true(h.ranges[2].last_ms == 2000 && h.ranges[2].prev_ms == CDMD_NEVER);
	/* covering all of it and a hole: one range of the same times again */
	assert_int_equal(cdmd_history_record(&h, 0x40000, 0x50000, 3000, keep), 0);
	assert_int_equal(cdmd_history_record(&h, 0x0, 0x60000, 4000, keep), 0);
	/* 0-10 new, 10-18, 18-30 (its two parts had the same times), 30-40
	 * new, 40-50, 50-60 new */
	assert_int_equal(h.nr, 6);
	assert_int_equal(h.ranges[0].start, 0);
	assert_true(h.ranges[0].last_ms == 4000 && h.ranges[0].prev_ms == CDMD_NEVER);
	assert_true(h.ranges[2].start == 0x18000 && h.ranges[2].end == 0x30000);
	assert_true(h.ranges[2].last_ms == 4000 && h.ranges[2].prev_ms == 2000);
	assert_true(h.ranges[4].last_ms == 4000 && h.ranges[4].prev_ms == 3000);
	assert_int_equal(h.ranges[5].end, 0x60000);
	/* an empty range changes nothing; old moves are forgotten */
	assert_int_equal(cdmd_history_record(&h, 0x5000, 0x5000, 5000, keep), 0);
	assert_int_equal(h.nr, 6);
	assert_int_equal(cdmd_history_record(&h, 0x100000, 0x101000, 64001, keep), 0);
	assert_int_equal(h.nr, 1);
	assert_int_equal(h.ranges[0].start, 0x100000);
	cdmd_history_free(&h);
	assert_null(h.ranges);
}

/*
 * A range where a move found nothing it could take (shared pages) is held
 * until its retry time, beyond the history's keep, while the neighbour
 * moved in the same round is held by its residency only; then it is
 * planned again.
 */
static void unmovable(void **state)
{
	struct cdmd_policy_region r = {
		.start = BASE, .end = BASE + 8 * MIB, .accesses = 0,
		.present = 8 * MIB, .on_fast = 8 * MIB,
	};
	uint64_t node_free[CDM_MAX_NODES] = { 1024 * MIB, 1024 * MIB };
	struct cdmd_policy_stats stats = { 0 };
	struct cdmd_history h = { 0 };
	struct cdmd_rate rate;
	struct cdmd_move *moves;
	struct sim s;
	size_t nr, i;

	sim_init(&s, CDMD_POLICY_TIERING);
	s.t.min_residency_s = 2;
	s.t.pingpong_window_s = 0;
	/* the lower half moved at 1 s; the upper, in the same round, found
	 * nothing: held until 61 s */
	assert_int_equal(cdmd_history_record(&h, BASE, BASE + 4 * MIB, 1000, 2000), 0);
	assert_int_equal(cdmd_history_hold(&h, BASE + 4 * MIB, BASE + 8 * MIB, 1000, 61000, 2000),
			 0);
	assert_int_equal(h.nr, 2);
	assert_true(h.ranges[0].retry_ms == CDMD_NEVER && h.ranges[1].retry_ms == 61000);
	/* the hold is no move: the upper half has no move time */
	assert_true(h.ranges[1].last_ms == CDMD_NEVER && h.ranges[1].prev_ms == CDMD_NEVER);
	/* at 30 s: the lower half planned, the upper held as unmovable */
	rate = (struct cdmd_rate){ .last_ms = CDMD_NEVER };
	assert_int_equal(cdmd_policy_plan(&s.t, 30000, &r, 1, &h, &rate, node_free, NULL,
					  &moves, &nr, &stats), 0);
	assert_true(nr > 0);
	for (i = 0; i < nr; i++)
		assert_true(moves[i].end <= BASE + 4 * MIB);
	assert_int_equal(stats.held[CDMD_HELD_UNMOVABLE], 1);
	assert_int_equal(stats.held_bytes[CDMD_HELD_UNMOVABLE], 4 * MIB);
	assert_string_equal(cdmd_held_name(CDMD_HELD_UNMOVABLE), "unmovable");
	free(moves);
	/* a record of another range at 30 s forgets the lower half (older
	 * than keep), not the held one */
	assert_int_equal(cdmd_history_record(&h, BASE + 64 * MIB, BASE + 65 * MIB, 30000, 2000), 0);
	assert_int_equal(h.nr, 2);
	assert_int_equal(h.ranges[0].start, BASE + 4 * MIB);
	/* at 61 s: planned again, whole */
	rate = (struct cdmd_rate){ .last_ms = CDMD_NEVER };
	memset(&stats, 0, sizeof(stats));
	assert_int_equal(cdmd_policy_plan(&s.t, 61000, &r, 1, &h, &rate, node_free, NULL,
					  &moves, &nr, &stats), 0);
	assert_int_equal(moves[0].start, BASE);
	assert_int_equal(moves[nr - 1].end, BASE + 8 * MIB);
	assert_int_equal(stats.held[CDMD_HELD_UNMOVABLE], 0);
	free(moves);
	/* a move that then takes pages there ends the hold */
	assert_int_equal(cdmd_history_hold(&h, BASE, BASE + 8 * MIB, 62000, 122000, 2000), 0);
	assert_int_equal(cdmd_history_record(&h, BASE, BASE + 8 * MIB, 63000, 2000), 0);
	for (i = 0; i < h.nr; i++) {
		assert_true(h.ranges[i].retry_ms == CDMD_NEVER);
		/* one move since the history forgot the others: the ping-pong
		 * bound sees one, not the hold as a second */
		assert_true(h.ranges[i].last_ms == 63000 && h.ranges[i].prev_ms == CDMD_NEVER);
	}
	cdmd_history_free(&h);
}

/* no regions, empty regions: no moves, no crash */
static void nothing(void **state)
{
	struct cdmd_policy_region r = { .start = 0x2000, .end = 0x1000, .accesses = 20,
					.present = 0x1000 };
	uint64_t node_free[CDM_MAX_NODES] = { [0] = 1ULL << 30, [1] = 1ULL << 30 };
	struct cdmd_rate rate = { .last_ms = CDMD_NEVER };
	struct cdmd_policy_stats st = { 0 };
	struct cdmd_history h = { 0 };
	struct cdmd_move *moves;
	struct sim s;
	size_t nr;

	sim_init(&s, CDMD_POLICY_TIERING);
	assert_int_equal(cdmd_policy_plan(&s.t, 0, NULL, 0, &h, &rate, node_free, NULL,
					  &moves, &nr, &st), 0);
	assert_int_equal(nr, 0);
	free(moves);
	assert_int_equal(cdmd_policy_plan(&s.t, 0, &r, 1, &h, &rate, node_free, NULL,
					  &moves, &nr, &st), 0);
	assert_int_equal(nr, 0);
	free(moves);
	assert_string_equal(cdmd_held_name(CDMD_HELD_PINGPONG), "pingpong");
	assert_string_equal(cdmd_held_name(CDMD_HELD_NR), "unknown");
	cdmd_history_free(&s.history);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hysteresis),
		cmocka_unit_test(hot_up_cold_down),
		cmocka_unit_test(rate_limit),
		cmocka_unit_test(watermark),
		cmocka_unit_test(make_room),
		cmocka_unit_test(batches),
		cmocka_unit_test(batches_by_node),
		cmocka_unit_test(join_batches),
		cmocka_unit_test(unmoved_first),
		cmocka_unit_test(min_residency),
		cmocka_unit_test(refill),
		cmocka_unit_test(cold_age),
		cmocka_unit_test(pingpong_bound),
		cmocka_unit_test(bind),
		cmocka_unit_test(hints),
		cmocka_unit_test(node_hints_tiering),
		cmocka_unit_test(node_hints_bind),
		cmocka_unit_test(slow_full),
		cmocka_unit_test(history),
		cmocka_unit_test(unmovable),
		cmocka_unit_test(nothing),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("cdmd policy", tests, NULL, NULL);
}
