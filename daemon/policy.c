// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The policy engine (policy.h): candidates from the regions, in the order
 * that matters most (the hottest first up, the coldest first down), cut
 * where the history holds part of them back, then placed while the rate
 * and the nodes' room allow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "tracker.h"

#define MIB			(1024ULL * 1024)
/* a slow (or bind) node keeps this much free: move_pages(2) to a node at
 * its watermarks makes the kernel reclaim there, page by page */
#define CDMD_SLOW_RESERVE	(16 * MIB)
/* a move is cut into batches that move about this much: one batch
 * blocks the round (and cdmctl) while it copies, and a promotion waiting
 * for room follows the first batches of demotion that make it */
/* the rate's refill counts at most this much time: no overflow, and an
 * idle minute does not buy a burst of a minute's worth */
#define RATE_MAX_REFILL_MS	60000

static const char *const held_names[CDMD_HELD_NR] = {
	[CDMD_HELD_RESIDENCY] = "min_residency",
	[CDMD_HELD_PINGPONG] = "pingpong",
	[CDMD_HELD_RATE] = "rate",
	[CDMD_HELD_WATERMARK] = "watermark",
	[CDMD_HELD_FULL] = "full",
	[CDMD_HELD_UNMOVABLE] = "unmovable",
};

const char *cdmd_held_name(enum cdmd_held why)
{
	return (unsigned int)why < CDMD_HELD_NR ? held_names[why] : "unknown";
}

static uint64_t page_size(void)
{
	static uint64_t size;

	if (!size)
		size = (uint64_t)sysconf(_SC_PAGESIZE);
	return size;
}

/* ---- the history of moves ---- */

/* index of the first range that ends after @addr (nr when none) */
static size_t first_after(const struct cdmd_history *h, uint64_t addr)
{
	size_t lo = 0, hi = h->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->ranges[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int reserve(struct cdmd_history *h, size_t more)
{
	struct cdmd_moved_range *r;
	size_t cap;

	if (h->nr + more <= h->cap)
		return 0;
	cap = h->cap ? h->cap * 2 : 16;
	while (cap < h->nr + more)
		cap *= 2;
	r = realloc(h->ranges, cap * sizeof(*r));
	if (!r)
		return -ENOMEM;
	h->ranges = r;
	h->cap = cap;
	return 0;
}

/* Split the range holding @addr (if one does, not at its start) in two
 * at @addr; room for it was reserved */
static void split_at(struct cdmd_history *h, uint64_t addr)
{
	size_t i = first_after(h, addr);
	struct cdmd_moved_range *r = &h->ranges[i];

	if (i == h->nr || r->start >= addr)
		return;
	memmove(r + 1, r, (h->nr - i) * sizeof(*r));
	h->nr++;
	r[0].end = addr;
	r[1].start = addr;
}

static void insert_at(struct cdmd_history *h, size_t i, uint64_t start, uint64_t end,
		      int64_t last_ms, int64_t retry_ms)
{
	struct cdmd_moved_range *r = &h->ranges[i];

	memmove(r + 1, r, (h->nr - i) * sizeof(*r));
	h->nr++;
	*r = (struct cdmd_moved_range){ start, end, last_ms, CDMD_NEVER, retry_ms, -1, false };
}

/* Forget what is older than @keep_ms and merge neighbours with the same
 * times, so the history grows with the moves of the window only */
static void compact(struct cdmd_history *h, int64_t now_ms, int64_t keep_ms)
{
	size_t i, n = 0;

	for (i = 0; i < h->nr; i++) {
		struct cdmd_moved_range *r = &h->ranges[i], *prev = n ? &h->ranges[n - 1] : NULL;

		if ((r->last_ms == CDMD_NEVER || now_ms - r->last_ms >= keep_ms) &&
		    (r->retry_ms == CDMD_NEVER || now_ms >= r->retry_ms))
			continue;
		if (prev && prev->end == r->start && prev->last_ms == r->last_ms &&
		    prev->prev_ms == r->prev_ms && prev->retry_ms == r->retry_ms &&
		    prev->last_kind == r->last_kind && prev->left_none == r->left_none) {
			prev->end = r->end;
			continue;
		}
		h->ranges[n++] = *r;
	}
	h->nr = n;
}

static void set_kind(struct cdmd_moved_range *r, int kind, bool left_none)
{
	r->last_kind = kind;
	r->left_none = left_none;
}

/* A move of @kind over @r takes only pages that came after its last move:
 * one the same way that left none behind */
static bool refill(const struct cdmd_moved_range *r, int kind)
{
	return kind >= 0 && r->last_ms != CDMD_NEVER && r->left_none && r->last_kind == kind;
}

/*
 * Over [@start, @end): a move at @now_ms of @kind (-1: not known) that
 * @left_none (@hold_ms CDMD_NEVER: the last two move times shift, any
 * hold ends; a move the same way as a range's last that left none shifts
 * only the later time), or a hold until @hold_ms (the move times stay; a
 * part with none gets none)
 */
static int history_mark(struct cdmd_history *h, uint64_t start, uint64_t end, int64_t now_ms,
			int64_t hold_ms, int64_t keep_ms, int kind, bool left_none)
{
	bool moved = hold_ms == CDMD_NEVER;
	size_t i, holes = 0;
	uint64_t pos;

	if (start >= end)
		return 0;
	/* the most ranges this can add: two splits and a hole before each
	 * range it covers, plus one after the last */
	for (i = first_after(h, start); i < h->nr && h->ranges[i].start < end; i++)
		holes++;
	if (reserve(h, 2 + 2 * holes + 1))
		return -ENOMEM;
	split_at(h, start);
	split_at(h, end);
	pos = start;
	i = first_after(h, start);
	while (pos < end) {
		struct cdmd_moved_range *r = &h->ranges[i];

		if (i == h->nr || r->start >= end) {
			insert_at(h, i, pos, end, moved ? now_ms : CDMD_NEVER, hold_ms);
			if (moved)
				set_kind(&h->ranges[i], kind, left_none);
			break;
		}
		if (r->start > pos) {
			insert_at(h, i, pos, r->start, moved ? now_ms : CDMD_NEVER, hold_ms);
			if (moved)
				set_kind(r, kind, left_none);
			i++;
			r = &h->ranges[i];
		}
		if (moved) {
			if (!refill(r, kind))
				r->prev_ms = r->last_ms;
			r->last_ms = now_ms;
			set_kind(r, kind, left_none);
		}
		r->retry_ms = hold_ms;
		pos = r->end;
		i++;
	}
	compact(h, now_ms, keep_ms);
	return 0;
}

int cdmd_history_record(struct cdmd_history *h, uint64_t start, uint64_t end,
			int64_t now_ms, int64_t keep_ms)
{
	return history_mark(h, start, end, now_ms, CDMD_NEVER, keep_ms, -1, false);
}

int cdmd_history_record_move(struct cdmd_history *h, const struct cdmd_move *m,
			     bool left_none, int64_t now_ms, int64_t keep_ms)
{
	return history_mark(h, m->start, m->end, now_ms, CDMD_NEVER, keep_ms, (int)m->kind,
			    left_none);
}

int cdmd_history_hold(struct cdmd_history *h, uint64_t start, uint64_t end, int64_t now_ms,
		      int64_t retry_ms, int64_t keep_ms)
{
	return history_mark(h, start, end, now_ms, retry_ms, keep_ms, -1, false);
}

void cdmd_history_free(struct cdmd_history *h)
{
	free(h->ranges);
	memset(h, 0, sizeof(*h));
}

/* What holds the range @r back from a move of @kind at @now_ms, or -1:
 * nothing */
static int held_by(const struct cdmd_moved_range *r, const struct cdmd_target *t,
		   int64_t now_ms, int kind)
{
	if (r->retry_ms != CDMD_NEVER && now_ms < r->retry_ms)
		return CDMD_HELD_UNMOVABLE;
	if (refill(r, kind))
		return -1;
	if (r->last_ms != CDMD_NEVER && now_ms - r->last_ms < (int64_t)t->min_residency_s * 1000)
		return CDMD_HELD_RESIDENCY;
	if (r->prev_ms != CDMD_NEVER &&
	    now_ms - r->prev_ms < (int64_t)t->pingpong_window_s * 1000)
		return CDMD_HELD_PINGPONG;
	return -1;
}

/* The stretch of [@pos, @end) from @pos that the history treats alike:
 * its end in *@seg_end, whether cdmd moved it before in *@moved, and
 * what holds it back from a move of @kind (-1: nothing) */
static int segment(const struct cdmd_history *h, const struct cdmd_target *t, int64_t now_ms,
		   int kind, uint64_t pos, uint64_t end, uint64_t *seg_end, bool *moved)
{
	size_t i = first_after(h, pos);
	const struct cdmd_moved_range *r;

	*moved = false;
	if (i == h->nr || h->ranges[i].start >= end) {
		*seg_end = end;
		return -1;
	}
	r = &h->ranges[i];
	if (r->start > pos) {
		*seg_end = r->start;
		return -1;
	}
	*seg_end = r->end < end ? r->end : end;
	*moved = true;
	return held_by(r, t, now_ms, kind);
}

/* ---- the rate limit ---- */

static void rate_refill(struct cdmd_rate *rate, const struct cdmd_target *t, int64_t now_ms)
{
	int64_t per_s = (int64_t)t->rate_mb_s * MIB, dt, cap;

	if (rate->last_ms == CDMD_NEVER) {
		rate->tokens = per_s;
		rate->last_ms = now_ms;
		return;
	}
	dt = now_ms - rate->last_ms;
	if (dt < 0)
		dt = 0;
	if (dt > RATE_MAX_REFILL_MS)
		dt = RATE_MAX_REFILL_MS;
	cap = per_s * (dt > 1000 ? dt : 1000) / 1000;
	rate->tokens += per_s * dt / 1000;
	if (rate->tokens > cap)
		rate->tokens = cap;
	rate->last_ms = now_ms;
}

void cdmd_rate_settle(struct cdmd_rate *rate, uint64_t planned, uint64_t moved)
{
	rate->tokens += (int64_t)planned - (int64_t)moved;
}

/* ---- planning ---- */

/* a promotion the fast node's watermark held back, tried again once the
 * plan's demotions have made room */
struct waiting {
	const struct candidate *c;
	uint64_t start, end;
};

struct plan {
	const struct cdmd_target *t;
	int64_t now_ms;
	const struct cdmd_history *history;
	struct cdmd_rate *rate;
	uint64_t *node_free;
	const uint64_t *node_batch;	/* NULL: CDMD_MAX_BATCH everywhere */
	struct cdmd_move *moves;
	size_t nr, cap;
	struct cdmd_policy_stats *stats;
	/* the one fast node demotions make room on, or -1 (several: which
	 * one a demotion empties is not known) */
	int fast_node;
	uint64_t made_room;		/* bytes the demotions planned free there */
	bool first_pass;		/* promotions held by the watermark wait */
	struct waiting *waiting;
	size_t nr_waiting, cap_waiting;
};

struct candidate {
	const struct cdmd_policy_region *region;
	enum cdmd_move_kind kind;
	enum cdmd_hint hint;		/* the region's, NONE for a NODE hint passed over */
	int hint_node;			/* a NODE hint's node, -1: none */
	uint64_t movable;		/* estimated bytes not yet where they go */
};

static void hold(struct plan *p, enum cdmd_held why, uint64_t bytes)
{
	p->stats->held[why]++;
	p->stats->held_bytes[why] += bytes;
}

/* the estimated bytes that move of @len bytes of candidate @c */
static uint64_t estimate(const struct candidate *c, uint64_t len)
{
	uint64_t region_len = c->region->end - c->region->start;

	return (uint64_t)((unsigned __int128)c->movable * len / region_len);
}

/* the node of @set with the most room above @keep, or -1 */
static int roomiest(const struct cdm_nodeset *set, const uint64_t *node_free, uint64_t keep,
		    uint64_t *room)
{
	int node, best = -1;

	*room = 0;
	cdm_nodeset_foreach(set, node) {
		if (node_free[node] > keep && node_free[node] - keep > *room) {
			*room = node_free[node] - keep;
			best = node;
		}
	}
	return best;
}

static int emit(struct plan *p, const struct candidate *c, uint64_t start, uint64_t end,
		int node, uint64_t bytes)
{
	struct cdmd_move *m;

	if (p->nr == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;

		m = realloc(p->moves, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		p->moves = m;
		p->cap = cap;
	}
	p->moves[p->nr++] = (struct cdmd_move){
		.start = start, .end = end, .kind = c->kind, .to_node = node, .bytes = bytes,
		.accesses = c->region->accesses, .age = c->region->age, .hint = c->hint,
	};
	p->rate->tokens -= bytes;
	p->node_free[node] -= bytes;
	if (c->kind == CDMD_DEMOTE && p->fast_node >= 0) {
		p->node_free[p->fast_node] += bytes;
		p->made_room += bytes;
	}
	return 0;
}

/*
 * [@start, @end) onto @node as batches that move about CDMD_MAX_BATCH
 * each, or the node's smaller batch size (what the daemon measured moving
 * there in part of a round): a range mostly in place already is cut by
 * what moves, not by its length, as each batch costs a look at the whole
 * process (libcdm reads its memory map) besides the range's pages.
 */
static int emit_batches(struct plan *p, const struct candidate *c, uint64_t start, uint64_t end,
			int node, uint64_t bytes)
{
	uint64_t most = p->node_batch && p->node_batch[node] &&
			p->node_batch[node] < CDMD_MAX_BATCH ? p->node_batch[node] : CDMD_MAX_BATCH;
	uint64_t pieces = (bytes + most - 1) / most, piece, part;
	int err;

	if (pieces <= 1)
		return emit(p, c, start, end, node, bytes);
	piece = (end - start + pieces - 1) / pieces;
	piece += (page_size() - piece % page_size()) % page_size();
	while (end - start > piece) {
		part = estimate(c, piece);
		part = part < bytes ? part : bytes;
		err = emit(p, c, start, start + piece, node, part);
		if (err)
			return err;
		start += piece;
		bytes -= part;
	}
	return emit(p, c, start, end, node, bytes);
}

/* A promotion the watermark holds back in the first pass, on a single
 * fast node: it waits for the room the demotions will make */
static bool may_wait(const struct plan *p, const struct candidate *c, enum cdmd_held limit)
{
	return p->first_pass && limit == CDMD_HELD_WATERMARK && c->kind == CDMD_PROMOTE &&
	       c->hint_node < 0 && p->fast_node >= 0;
}

/* Keep a promotion the watermark held back for the second pass */
static int wait_for_room(struct plan *p, const struct candidate *c, uint64_t start, uint64_t end)
{
	struct waiting *w;

	if (p->nr_waiting == p->cap_waiting) {
		size_t cap = p->cap_waiting ? p->cap_waiting * 2 : 8;

		w = realloc(p->waiting, cap * sizeof(*w));
		if (!w)
			return -ENOMEM;
		p->waiting = w;
		p->cap_waiting = cap;
	}
	p->waiting[p->nr_waiting++] = (struct waiting){ c, start, end };
	return 0;
}

/* Where @c goes: the nodes, the free memory each keeps, and what holds
 * the move back when none has room. A NODE hint: its node alone (@one),
 * a fast node keeping its watermark. */
static const struct cdm_nodeset *destination(const struct plan *p, const struct candidate *c,
					     struct cdm_nodeset *one, uint64_t *keep,
					     enum cdmd_held *limit)
{
	bool fast = c->kind == CDMD_PROMOTE;
	const struct cdm_nodeset *set;

	if (c->hint_node >= 0) {
		cdm_nodeset_zero(one);
		cdm_nodeset_add(one, c->hint_node);
		fast = p->t->policy == CDMD_POLICY_TIERING &&
		       cdm_nodeset_has(&p->t->fast_nodes, c->hint_node);
		set = one;
	} else {
		set = c->kind == CDMD_PROMOTE ? &p->t->fast_nodes :
		      c->kind == CDMD_DEMOTE ? &p->t->slow_nodes : &p->t->nodes;
	}
	*keep = fast ? (uint64_t)p->t->fast_free_mb * MIB : CDMD_SLOW_RESERVE;
	*limit = fast ? CDMD_HELD_WATERMARK : CDMD_HELD_FULL;
	return set;
}

/* Move as much of [@start, @end) of @c as the rate and the room allow;
 * the rest is held back, counted by what stopped it */
static int place(struct plan *p, const struct candidate *c, uint64_t start, uint64_t end)
{
	const struct cdm_nodeset *set;
	uint64_t bytes = estimate(c, end - start), room, allow, len;
	struct cdm_nodeset one;
	enum cdmd_held limit;
	uint64_t keep;
	int node, err;

	if (!bytes)
		return 0;
	set = destination(p, c, &one, &keep, &limit);
	node = roomiest(set, p->node_free, keep, &room);
	if (node < 0) {
		if (may_wait(p, c, limit))
			return wait_for_room(p, c, start, end);
		hold(p, limit, bytes);
		return 0;
	}
	if (p->rate->tokens <= 0) {
		hold(p, CDMD_HELD_RATE, bytes);
		return 0;
	}
	allow = bytes;
	if ((uint64_t)p->rate->tokens < allow) {
		allow = (uint64_t)p->rate->tokens;
		limit = CDMD_HELD_RATE;
	}
	if (room < allow)
		allow = room;
	len = end - start;
	if (allow < bytes) {
		len = (uint64_t)((unsigned __int128)len * allow / bytes);
		len -= len % page_size();
		if (may_wait(p, c, limit)) {
			err = wait_for_room(p, c, start + len, end);
			if (err)
				return err;
		} else {
			hold(p, limit, bytes - estimate(c, len));
		}
		if (!len)
			return 0;
		bytes = estimate(c, len);
	}
	return emit_batches(p, c, start, start + len, node, bytes);
}

/*
 * Cut @c where the history holds parts back, and place the rest: first
 * the stretches cdmd never moved, then those it moved before and may
 * move again. The region's counts are samples spread over all of it,
 * but where it was moved before is where its pages mostly went already:
 * taken in address order, a part of the region that a rate or a room
 * cuts short would be planned over those stretches, round after round,
 * and move nothing.
 */
static int plan_candidate(struct plan *p, const struct candidate *c)
{
	uint64_t pos, end = c->region->end, seg_end;
	uint64_t piece;			/* start of the stretch to place */
	bool moved, second;
	int why, err;

	for (second = false; ; second = true) {
		for (pos = piece = c->region->start; pos < end; pos = seg_end) {
			why = segment(p->history, p->t, p->now_ms, (int)c->kind, pos, end,
				      &seg_end, &moved);
			if (why < 0 && moved == second)
				continue;
			if (piece < pos) {
				err = place(p, c, piece, pos);
				if (err)
					return err;
			}
			if (why >= 0 && !second)
				hold(p, why, estimate(c, seg_end - pos));
			piece = seg_end;
		}
		if (piece < end) {
			err = place(p, c, piece, end);
			if (err)
				return err;
		}
		if (second)
			return 0;
	}
}

/* Hints first; then promotions by accesses, most first, demotions by
 * accesses, fewest first; among equals, the longest so (age) first */
static int heat(const struct candidate *c)
{
	if (c->region->hint == CDMD_HINT_HOT)
		return CDMD_SAMPLES + 1;
	if (c->region->hint == CDMD_HINT_COLD)
		return -1;
	return (int)c->region->accesses;
}

static int candidate_cmp(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	int hx = heat(x), hy = heat(y);

	if ((x->hint_node >= 0) != (y->hint_node >= 0))
		return x->hint_node >= 0 ? -1 : 1;	/* hinted to a node first */
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;	/* promotions first */
	if (hx != hy)
		return (x->kind == CDMD_DEMOTE) == (hx < hy) ? -1 : 1;
	if (x->region->age != y->region->age)
		return x->region->age > y->region->age ? -1 : 1;
	return x->region->start < y->region->start ? -1 : 1;
}

/* The node @r is hinted onto, when it is one of @t's; else -1 */
static int hinted_node(const struct cdmd_target *t, const struct cdmd_policy_region *r)
{
	int node = r->hint_node;

	if (r->hint != CDMD_HINT_NODE || node < 0 || node >= CDM_MAX_NODES)
		return -1;
	if (t->policy == CDMD_POLICY_BIND)
		return cdm_nodeset_has(&t->nodes, node) ? node : -1;
	return cdm_nodeset_has(&t->fast_nodes, node) ||
	       cdm_nodeset_has(&t->slow_nodes, node) ? node : -1;
}

/* What @r is a candidate for, if anything: 0 and *@c, or -1 */
static int classify(const struct cdmd_target *t, const struct cdmd_policy_region *r,
		    struct candidate *c)
{
	/* a NODE hint the target cannot follow reads as none */
	enum cdmd_hint hint = r->hint == CDMD_HINT_NODE ? CDMD_HINT_NONE : r->hint;
	bool hot, cold;

	c->region = r;
	c->hint_node = hinted_node(t, r);
	c->hint = c->hint_node >= 0 ? CDMD_HINT_NODE : hint;
	if (c->hint_node >= 0) {
		c->kind = CDMD_BIND;
		c->movable = r->present > r->on_hint_node ? r->present - r->on_hint_node : 0;
		return c->movable ? 0 : -1;
	}
	if (t->policy == CDMD_POLICY_BIND) {
		c->kind = CDMD_BIND;
		c->movable = r->present > r->on_fast ? r->present - r->on_fast : 0;
		return c->movable ? 0 : -1;
	}
	hot = hint == CDMD_HINT_HOT ||
	      (hint == CDMD_HINT_NONE && r->accesses >= t->promote_accesses);
	cold = hint == CDMD_HINT_COLD ||
	       (hint == CDMD_HINT_NONE && r->accesses <= t->demote_accesses &&
		r->age_ms >= (uint64_t)t->cold_age_s * 1000);
	if (hot) {
		c->kind = CDMD_PROMOTE;
		c->movable = r->present > r->on_fast ? r->present - r->on_fast : 0;
	} else if (cold) {
		c->kind = CDMD_DEMOTE;
		c->movable = r->present > r->on_slow ? r->present - r->on_slow : 0;
	} else {
		return -1;
	}
	return c->movable ? 0 : -1;
}

/* the only fast node of a tiering target, or -1 */
static int single_fast_node(const struct cdmd_target *t)
{
	int node;

	if (t->policy != CDMD_POLICY_TIERING || cdm_nodeset_weight(&t->fast_nodes) != 1)
		return -1;
	cdm_nodeset_foreach(&t->fast_nodes, node)
		return node;
	return -1;
}

/*
 * The promotions that waited for room, placed with the room the
 * demotions made, each right after the demotion batch from which on the
 * fast node has room for it: a batch of promotions then follows the
 * first batches of demotion rather than all of them. @room_before is the
 * fast node's free memory above its watermark before the demotions,
 * negative below it.
 */
static int second_pass(struct plan *p, size_t nr_first, int64_t room_before)
{
	struct cdmd_move *first, *order;
	int64_t made = 0, need = 0;	/* demoted so far; promoted so far */
	size_t i, next, n = 0;
	int err = 0;

	p->first_pass = false;
	for (i = 0; i < p->nr_waiting && !err; i++)
		err = place(p, p->waiting[i].c, p->waiting[i].start, p->waiting[i].end);
	if (err || p->nr == nr_first)
		return err;
	/* the first pass's moves, each promotion after enough room is made */
	order = malloc(p->cap * sizeof(*order));
	if (!order)
		return -ENOMEM;
	first = p->moves;
	next = nr_first;
	for (i = 0; i <= nr_first; i++) {
		while (next < p->nr && made + room_before >= need + (int64_t)first[next].bytes) {
			need += first[next].bytes;
			order[n++] = first[next++];
		}
		if (i == nr_first)
			break;
		if (first[i].kind == CDMD_DEMOTE)
			made += first[i].bytes;
		order[n++] = first[i];
	}
	while (next < p->nr)
		order[n++] = first[next++];
	free(p->moves);
	p->moves = order;
	return 0;
}

int cdmd_policy_plan(const struct cdmd_target *target, int64_t now_ms,
		     const struct cdmd_policy_region *regions, size_t nr,
		     const struct cdmd_history *history, struct cdmd_rate *rate,
		     uint64_t *node_free, const uint64_t *node_batch, struct cdmd_move **moves,
		     size_t *nr_moves, struct cdmd_policy_stats *stats)
{
	struct plan p = {
		.t = target, .now_ms = now_ms, .history = history, .rate = rate,
		.node_free = node_free, .node_batch = node_batch, .stats = stats, .first_pass = true,
		.fast_node = single_fast_node(target),
	};
	struct candidate *cands;
	uint64_t keep = (uint64_t)target->fast_free_mb * MIB;
	size_t i, nr_cands = 0;
	int err = 0;

	*moves = NULL;
	*nr_moves = 0;
	rate_refill(rate, target, now_ms);
	cands = calloc(nr ? nr : 1, sizeof(*cands));
	if (!cands)
		return -ENOMEM;
	for (i = 0; i < nr; i++)
		if (regions[i].end > regions[i].start &&
		    !classify(target, &regions[i], &cands[nr_cands]))
			nr_cands++;
	qsort(cands, nr_cands, sizeof(*cands), candidate_cmp);
	for (i = 0; i < nr_cands && !err; i++)
		err = plan_candidate(&p, &cands[i]);
	if (!err && p.nr_waiting) {
		/* the fast node's room above its watermark before the demotions */
		err = second_pass(&p, p.nr, (int64_t)(node_free[p.fast_node] - p.made_room) -
					    (int64_t)keep);
	}
	free(p.waiting);
	free(cands);
	if (err) {
		free(p.moves);
		return err;
	}
	*moves = p.moves;
	*nr_moves = p.nr;
	return 0;
}

bool cdmd_same_move(const struct cdmd_move *m, const struct cdmd_move *next)
{
	return next->start == m->end && next->kind == m->kind && next->to_node == m->to_node &&
	       next->accesses == m->accesses && next->age == m->age && next->hint == m->hint;
}

size_t cdmd_join_batches(const struct cdmd_move *moves, size_t nr, size_t i, uint64_t most,
			 struct cdmd_move *joined)
{
	size_t n = 1;

	*joined = moves[i];
	while (i + n < nr && cdmd_same_move(&moves[i + n - 1], &moves[i + n]) &&
	       joined->bytes + moves[i + n].bytes <= most) {
		joined->end = moves[i + n].end;
		joined->bytes += moves[i + n].bytes;
		n++;
	}
	return n;
}
