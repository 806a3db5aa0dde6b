/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cdmd's state, shared by the round (cdmd.c) and the answers to control
 * requests (requests.c).
 */
#ifndef CDMD_H
#define CDMD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <libcdm.h>

#include "config.h"
#include "control.h"
#include "cpusets.h"
#include "hints.h"
#include "metrics.h"
#include "migrate.h"
#include "policy.h"
#include "procwatch.h"
#include "targets.h"
#include "tracker.h"

/* errno values counted apart in a target's failed moves */
#define CDMD_ERRNO_MAX		134

/* the decisions cdmd remembers for "cdmctl explain" */
#define CDMD_EXPLAIN_MAX	256

/* A process being managed, and the moves of its pages lately */
struct managed {
	pid_t pid;
	unsigned long long start_time;
	int target;
	struct cdmd_history history;
	/* the last round's regions and where their pages were ("top") */
	struct cdmd_policy_region *regions;
	size_t nr_regions;
};

/* What a target's management came to since the start (or reload) */
struct target_totals {
	uint64_t promoted, demoted, bound;	/* bytes moved */
	uint64_t batches, failed_batches;
	uint64_t failed_by_errno[CDMD_ERRNO_MAX];
	struct cdmd_policy_stats held;
};

/* One batch cdmd moved, and why */
struct cdmd_decision {
	int64_t when;			/* seconds since the epoch */
	int target;
	pid_t pid;
	struct cdmd_move move;
	struct cdmd_move_result result;
};

struct cdmd {
	const char *config_path;
	struct cdm_ctx *ctx;
	struct cdmd_config *cfg;
	struct cdmd_tracker *tracker;
	struct cdmd_scan scan;		/* the last scan's, kept while no walk is due */
	/* process events, which say when a walk of /proc is due (NULL: a
	 * walk every round); rescan: the next round walks whatever they say */
	struct cdmd_procwatch *procwatch;
	bool rescan;
	uint64_t target_scans;		/* scans since the start */
	struct managed *procs;
	size_t nr_procs;
	struct cdmd_rate rates[CDMD_MAX_TARGETS];
	struct target_totals totals[CDMD_MAX_TARGETS];
	uint64_t node_free[CDM_MAX_NODES];
	/* the free pages on a node's per-CPU lists, counted this round
	 * (0: not read, the node had room enough; zoneinfo.h) */
	uint64_t node_cpu_lists[CDM_MAX_NODES];
	bool zoneinfo_failed;		/* said once */
	/* how fast moves onto each node went (bytes/s, 0: none measured),
	 * and so the most a batch moves there (policy.h) */
	uint64_t node_speed[CDM_MAX_NODES], node_batch[CDM_MAX_NODES];
	int64_t round_deadline_ms;	/* no batch starts after it... */
	bool round_moved;		/* ...once one has run this round */
	char has_memory[256];		/* the node list of the last topology read */
	uint64_t rounds;
	int64_t started_ms, last_round_ms;	/* cdmd_now() at start, a round's length */
	int64_t longest_round_ms;		/* the longest round since start */
	bool isolated;			/* the kernel has CDM nodes */
	bool paused[CDMD_MAX_TARGETS];
	struct cdmd_decision explain[CDMD_EXPLAIN_MAX];	/* a ring */
	size_t explain_next, explain_nr;
	const char *socket_path;
	struct cdmd_control *control;
	const char *hint_socket_path;
	struct cdmd_hints hints;	/* applications' hints (hints.h) */
	struct cdmd_metrics *metrics;	/* NULL: metrics_port 0 */
	struct cdmd_cpusets cpusets;	/* isolate_cpusets: what cdmd changed */
	int timerfd, sigfd;
	int pid_fd;			/* the pid file, locked while cdmd runs */
	bool stop;
};

/* CLOCK_MONOTONIC, in ms */
int64_t cdmd_now(void);
/* Read the configuration again (SIGHUP, cdmctl reload): 0, or -errno
 * with the configuration running as it was and the first problem in
 * @why */
int cdmd_reload(struct cdmd *d, char *why, size_t len);
/* Whether process events tell when the targets are scanned; else every
 * round is scanned */
bool cdmd_scans_on_events(const struct cdmd *d);
extern const char *const cdmd_move_kind_names[];

/* requests.c: the answer to a control request, and the metrics page */
json_object *cdmd_answer(const struct cdmd_request *req, uid_t peer, void *cdmd);
int cdmd_render_metrics(struct cdmd *d, struct cdmd_metrics_text *text);

#endif
