/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The policy engine: from a process's regions (how often each was used,
 * where its pages are) to the ranges to move, for a target's policy.
 * It makes no system call and reads no clock: the daemon hands it the
 * time, the free memory of the nodes and what the tracker saw, and the
 * host tests hand it synthetic traces.
 *
 * Tiering moves hot regions (promote_accesses or more) to a fast node
 * and cold ones (demote_accesses or fewer for cold_age_s at least) to a
 * slow node; regions in between stay where they are (the hysteresis). Limits, each counted
 * when it holds a move back:
 *  - min_residency_s: a range moved less than this long ago stays;
 *  - pingpong_window_s: a range moved twice within the window does not
 *    move a third time until the older move leaves the window, so no
 *    page ever moves more than twice in any window of that length;
 *  - rate_mb_s: a token bucket of bytes holding at most one second's
 *    worth (or one interval's, when intervals are longer), so that over
 *    any T seconds at most rate_mb_s * (T + 1) MiB are planned;
 *  - fast_free_mb: promotions stop where a fast node would be left with
 *    less free memory than this; on a target with one fast node, the
 *    room the plan's demotions make there counts, and such a promotion
 *    is placed right after the demotion batch that makes its room;
 *  - a slow node without room for the bytes takes no more.
 * A move is cut into batches that move about 4 MiB each, or less where
 * the daemon says a node takes less in the time it gives a batch (by the
 * estimate: a range mostly in place already is not cut by its length), so
 * that no single batch holds the round for long.
 * Bind moves every page outside the target's nodes onto them, at the
 * same rate limit.
 *
 * An application's hint (libcdm's cdm_hint(), hints.h) beats the
 * tracker: HOT is promoted and COLD demoted whatever the accesses; NODE
 * moves the range onto its node as bind does (a CDMD_BIND move with the
 * hint NODE), first of all candidates, held by the same limits (and by
 * fast_free_mb on a fast node). A NODE hint counts only for a node of the
 * target (tiering: fast or slow; bind: its nodes); any other is passed
 * over as no hint, so a process cannot take its pages where the
 * configuration does not send them. Under bind, HOT and COLD change
 * nothing.
 */
#ifndef CDMD_POLICY_H
#define CDMD_POLICY_H

#include <stdint.h>
#include <stddef.h>

#include "config.h"

/* the most one batch of a move is planned to move (bytes) */
#define CDMD_MAX_BATCH		(4u << 20)

/* An application's hint for a range (libcdm): it beats the tracker */
enum cdmd_hint {
	CDMD_HINT_NONE,
	CDMD_HINT_HOT,
	CDMD_HINT_COLD,
	CDMD_HINT_NODE,			/* the range belongs on hint_node */
};

/* A region as the policy sees it: the tracker's counts and where its
 * present pages are, estimated from samples (bytes) */
struct cdmd_policy_region {
	uint64_t start, end;
	unsigned int accesses, age;	/* cdmd_region's */
	uint64_t age_ms;		/* the age in ms: how long the accesses stayed so */
	enum cdmd_hint hint;
	int hint_node;			/* CDMD_HINT_NODE's node */
	uint64_t present;		/* bytes of pages in memory */
	uint64_t on_fast;		/* of them on the fast nodes (bind: its nodes) */
	uint64_t on_slow;		/* on the slow nodes (bind: 0) */
	uint64_t on_hint_node;		/* on hint_node (CDMD_HINT_NODE) */
};

enum cdmd_move_kind {
	CDMD_PROMOTE,			/* to a fast node */
	CDMD_DEMOTE,			/* to a slow node */
	CDMD_BIND,			/* onto the bind nodes, or (hint NODE)
					 * onto the hinted node */
};

/* One range to move, and the numbers that decided it */
struct cdmd_move {
	uint64_t start, end;
	enum cdmd_move_kind kind;
	int to_node;
	uint64_t bytes;			/* estimated bytes that move */
	unsigned int accesses, age;	/* of the region */
	enum cdmd_hint hint;
};

/* Why a move was held back */
enum cdmd_held {
	CDMD_HELD_RESIDENCY,		/* moved less than min_residency_s ago */
	CDMD_HELD_PINGPONG,		/* moved twice within pingpong_window_s */
	CDMD_HELD_RATE,			/* rate_mb_s spent for now */
	CDMD_HELD_WATERMARK,		/* a fast node would fall below fast_free_mb */
	CDMD_HELD_FULL,			/* no slow (bind: target) node has room */
	CDMD_HELD_UNMOVABLE,		/* a move there found nothing it could take */
	CDMD_HELD_NR,
};
const char *cdmd_held_name(enum cdmd_held why);

struct cdmd_policy_stats {
	uint64_t held[CDMD_HELD_NR];		/* times a range was held back */
	uint64_t held_bytes[CDMD_HELD_NR];	/* estimated bytes held back */
};

/* The ranges of one process moved lately: the time of each range's last
 * two moves, disjoint and in address order */
struct cdmd_moved_range {
	uint64_t start, end;
	int64_t last_ms, prev_ms;	/* CDMD_NEVER: no such move */
	int64_t retry_ms;		/* held until then (cdmd_history_hold());
					 * CDMD_NEVER: not held */
	int last_kind;			/* the last move's enum cdmd_move_kind,
					 * -1: not known */
	bool left_none;			/* it left no page behind it could move */
};
#define CDMD_NEVER	INT64_MIN

struct cdmd_history {
	struct cdmd_moved_range *ranges;
	size_t nr, cap;
};

/* A target's rate limit: bytes it may still plan */
struct cdmd_rate {
	int64_t tokens;
	int64_t last_ms;		/* CDMD_NEVER before the first plan */
};

/*
 * Plan the moves of one process of @target at @now_ms (a monotonic
 * clock) from its @regions (address order). @node_free: bytes free on
 * each node (CDM_MAX_NODES entries), lowered by what the plan moves
 * there, so the plans of several processes in one interval share the
 * room. @node_batch: the most bytes one batch moves onto each node (0 or
 * a NULL array: about 4 MiB). The moves go to *@moves (the caller frees it), their number to
 * *@nr_moves; held-back moves are added to @stats. 0, or -ENOMEM.
 * The rate is charged the planned bytes (cdmd_rate_settle() corrects it
 * by what really moved); the history is not changed: the caller records
 * what it moved with cdmd_history_record().
 */
int cdmd_policy_plan(const struct cdmd_target *target, int64_t now_ms,
		     const struct cdmd_policy_region *regions, size_t nr,
		     const struct cdmd_history *history, struct cdmd_rate *rate,
		     uint64_t *node_free, const uint64_t *node_batch, struct cdmd_move **moves,
		     size_t *nr_moves, struct cdmd_policy_stats *stats);

/* @next is the batch after @m of the same move (a plan cuts a long move
 * into batches): one line in the log and one decision for both */
bool cdmd_same_move(const struct cdmd_move *m, const struct cdmd_move *next);
/*
 * The batch to run from @moves[@i] (of @nr): it and the batches of the
 * same move after it, as many as @most bytes take, into *@joined; one at
 * least, whatever its size. A plan is cut with the batch sizes known when
 * it is made; a node's size grows once a batch measured its speed, and the
 * rest of a move need not pay a batch's fixed cost (a read of the
 * process's memory map, the copy counters) every small batch. Returns how
 * many planned batches it holds.
 */
size_t cdmd_join_batches(const struct cdmd_move *moves, size_t nr, size_t i, uint64_t most,
			 struct cdmd_move *joined);

/* Record that [@start, @end) moved at @now_ms, and forget ranges whose
 * last move is older than @keep_ms (the longer of the residency time
 * and the window). 0, or -ENOMEM with the history as it was. */
int cdmd_history_record(struct cdmd_history *history, uint64_t start, uint64_t end,
			int64_t now_ms, int64_t keep_ms);
/*
 * The same for the batch @m, which moved pages and left none behind that
 * it could take when @left_none (no page failed, was busy or was shared).
 * Its range may then move the same way again within the residency time
 * and the ping-pong window: what such a move finds on a source node came
 * there after this one (a process still faulting its memory in where its
 * policy put it), so none of it moved before. The move times it records
 * keep the bound: the earlier of the two stays, the later becomes now.
 */
int cdmd_history_record_move(struct cdmd_history *history, const struct cdmd_move *m,
			     bool left_none, int64_t now_ms, int64_t keep_ms);
/*
 * No move is planned in [@start, @end) before @retry_ms
 * (CDMD_HELD_UNMOVABLE): a move there at @now_ms found nothing it could
 * take (every page mapped by other processes too, or none left on a
 * source node). The estimate that chose the range sees the same pages
 * the next round and would choose it again, and each try costs a batch.
 * The range's move times stay as they are: record the move that was
 * tried with cdmd_history_record(); a part never moved (the rest of the
 * mapping) gets no move time, so its residency and ping-pong bound are
 * untouched. A later cdmd_history_record() there ends the hold. 0, or
 * -ENOMEM with the history as it was.
 */
int cdmd_history_hold(struct cdmd_history *history, uint64_t start, uint64_t end,
		      int64_t now_ms, int64_t retry_ms, int64_t keep_ms);
void cdmd_history_free(struct cdmd_history *history);

/* A move planned at @planned bytes moved @moved: the rate pays the
 * difference (it may go below zero, delaying the next plan) */
void cdmd_rate_settle(struct cdmd_rate *rate, uint64_t planned, uint64_t moved);

#endif
