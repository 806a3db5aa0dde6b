/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Application hints (libcdm's cdm_hint()): a unix SOCK_SEQPACKET socket,
 * mode 0666, where any process may say how a range of its own memory is
 * used (hint-proto.h: one request, one reply per connection; the process
 * is the peer's, from SO_PEERCRED), and per process the hinted ranges
 * cdmd keeps: disjoint, in address order, at most CDMD_HINTS_PER_PROCESS,
 * a new hint replacing whatever it overlaps (so a hint, even a clear,
 * that cuts a range in two may find no room: -ENOSPC).
 * It is served from cdmd's poll loop without ever blocking: a client
 * whose request is not there yet waits in one of CDMD_HINTS_PENDING
 * slots (the oldest dropped for a newcomer, any dropped after
 * CDMD_HINTS_WAIT_MS); one fd, an epoll instance holding the socket and
 * the waiting clients, tells the loop when any of them has something.
 * The round splits each process's tracker regions where its hints begin
 * and end (cdmd_hints_split()), so the policy sees each piece with one
 * hint.
 */
#ifndef CDMD_HINTS_H
#define CDMD_HINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "hint-proto.h"
#include "policy.h"
#include "targets.h"
#include "tracker.h"

#define CDMD_HINTS_PER_PROCESS	256
#define CDMD_HINTS_PENDING	16
/* libcdm waits 1 s for an answer: a request later than that has no
 * one waiting for its answer */
#define CDMD_HINTS_WAIT_MS	1000

/* One hinted range: [start, end), CDMD_HINT_HOT, COLD or NODE (node) */
struct cdmd_hint_range {
	uint64_t start, end;
	enum cdmd_hint hint;
	int node;			/* CDMD_HINT_NODE's, else -1 */
};

/* A process's hints, disjoint and in address order */
struct cdmd_hinted {
	pid_t pid;
	struct cdmd_hint_range *ranges;
	size_t nr;
};

struct cdmd_hints {
	char path[108];			/* sizeof(sun_path); "": not open */
	int fd;				/* listening, when open */
	int epfd;			/* epoll: fd and the pending clients */
	struct {
		int fd;			/* -1: a free slot */
		int64_t since_ms;
		uint64_t seq;		/* the order they came in */
	} pending[CDMD_HINTS_PENDING];
	uint64_t accepted;		/* connections so far */
	struct cdmd_hinted *procs;	/* by pid, ascending */
	size_t nr, cap;
};

/*
 * Listen at @path (mode 0666). An old socket file nobody answers at is
 * replaced; one another cdmd answers at is -EADDRINUSE. 0, or -errno
 * with one line on @err naming the path.
 */
int cdmd_hints_open(struct cdmd_hints *h, const char *path, FILE *err);
/* The fd to poll for POLLIN: readable when a client connects or one
 * waiting sends (-1 when not open) */
int cdmd_hints_fd(const struct cdmd_hints *h);
/*
 * Answer the requests that have come: each from a process @managed
 * says is cdmd's (else -ESRCH), checked and stored (0, -EINVAL,
 * -ENOSPC, -ENOMEM). Never blocks.
 */
void cdmd_hints_serve(struct cdmd_hints *h, bool (*managed)(pid_t pid, void *data),
		      void *data);
/* Forget @pid's hints (it exited) */
void cdmd_hints_forget(struct cdmd_hints *h, pid_t pid);
/* Forget the hints of every process not in @scan */
void cdmd_hints_prune(struct cdmd_hints *h, const struct cdmd_scan *scan);
/* @pid's hints, NULL when none */
const struct cdmd_hinted *cdmd_hints_find(const struct cdmd_hints *h, pid_t pid);
/*
 * Store a hint of @pid for [@start, @end): HOT, COLD or NODE (on @node)
 * replacing the hints it overlaps, CDMD_HINT_NONE clearing them. 0,
 * -ENOSPC (more than CDMD_HINTS_PER_PROCESS ranges) or -ENOMEM, with the
 * hints as they were. What the socket does with a request; the tests'.
 */
int cdmd_hints_set(struct cdmd_hints *h, pid_t pid, uint64_t start, uint64_t end,
		   enum cdmd_hint hint, int node);
/*
 * @pid's tracker @regions (address order) cut where its hints begin and
 * end, so each piece lies in one hinted range or none: the pieces in
 * *@pieces (for cdmd_sample_placement()), and in *@placed the same
 * pieces as the policy takes them, with start, end, accesses, age (the
 * region's) and hint, hint_node set, the rest 0. Both in address order,
 * *@nr_out of each; the caller frees both. 0, or -ENOMEM.
 */
int cdmd_hints_split(const struct cdmd_hints *h, pid_t pid, const struct cdmd_region *regions,
		     size_t nr, struct cdmd_region **pieces, struct cdmd_policy_region **placed,
		     size_t *nr_out);
/* Stop listening, remove the socket file, forget every hint; a zeroed
 * struct cdmd_hints (never opened, or its open failed) is fine */
void cdmd_hints_close(struct cdmd_hints *h);

#endif
