// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdmd: keeps each managed process's pages on the node where they
 * belong, by how much they are used (tiering) or by rule (bind).
 *
 * Every interval_ms one round, top to bottom:
 *   1. targets   which processes the configuration names (targets.c),
 *                found anew when process events say one may have come,
 *                gone or been renamed (procwatch.c), else every round
 *   2. tracker   what each of them used in the interval (tracker.c),
 *                cut where the process's own hints begin and end (hints.c)
 *   3. placement where those regions' pages are now (migrate.c)
 *   4. policy    what to move, and what holds moves back (policy.c)
 *   5. migrate   move it through libcdm, record it, log why (migrate.c)
 * A round moves for about one interval at most: batches are sized by how
 * fast moves onto their node went so far, and none starts once the
 * interval is spent (the rest of the plan is made again next round, from
 * fresh counts), so a slow node cannot hold the sockets and the tracker
 * up for longer than a batch.
 * Between rounds it sleeps in poll(2) on a timerfd and a signalfd:
 * SIGHUP reloads the configuration (a file with problems is refused and
 * the running one stays), SIGTERM and SIGINT stop it, after giving back
 * the tracker's kernel state. The control socket and the hint socket
 * are served from the same poll(2), never blocking it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "cdmd.h"
#include "config.h"
#include "control.h"
#include "hints.h"
#include "log.h"
#include "migrate.h"
#include "policy.h"
#include "procwatch.h"
#include "sysfs.h"
#include "targets.h"
#include "tracker.h"
#include "zoneinfo.h"

#define DEFAULT_CONFIG	"/etc/cdm/cdmd.conf"
#define CGROUP_ROOT	"/sys/fs/cgroup"
#define CPUSETS_JOURNAL	"/run/cdmd/cpusets"
#define PID_FILE	"/run/cdmd/cdmd.pid"
#define NODE_SYSFS	"/sys/devices/system/node"
#define PROC_ZONEINFO	"/proc/zoneinfo"
#define MIB		(1024.0 * 1024.0)
/* a batch moves no less than this, however slow its node: each one costs
 * a look at the process's memory map besides its pages */
#define BATCH_MIN	(256u << 10)
/* a round moves for at least this long, however short the interval: a
 * batch costs a look at the memory map, too many of them cost throughput */
#define ROUND_MIN_MS	1000
/* a range where a move found nothing it could take is tried again after
 * this long: its pages may have become the process's own by then */
#define UNMOVABLE_RETRY_MS	60000

int64_t cdmd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The parts write their problems to a FILE; this one collects them, and
 * cdmd logs each line at the priority the caller chooses.
 */
struct errlog {
	FILE *f;
	char *buf;
	size_t len;
};

static FILE *errlog_open(struct errlog *e)
{
	e->buf = NULL;
	e->f = open_memstream(&e->buf, &e->len);
	return e->f ? e->f : stderr;
}

/* log what was collected; the first line also into @first (NULL: no) */
static void errlog_close(struct errlog *e, int priority, char *first, size_t len)
{
	char *line, *save;

	if (!e->f)
		return;
	fclose(e->f);
	for (line = strtok_r(e->buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cdmd_log(priority, "%s", line);
		if (first && len) {
			snprintf(first, len, "%s", line);
			first = NULL;
		}
	}
	free(e->buf);
}

/* ---- configuration ---- */

const char *const cdmd_move_kind_names[] = {
	[CDMD_PROMOTE] = "promote", [CDMD_DEMOTE] = "demote", [CDMD_BIND] = "bind",
};

static int open_tracker(struct cdmd *d, const struct cdmd_config *cfg,
			struct cdmd_tracker **tracker)
{
	struct errlog e;
	int err;

	err = cdmd_tracker_open(cfg->tracker, cfg->interval_ms, errlog_open(&e), tracker);
	errlog_close(&e, LOG_ERR, NULL, 0);
	if (!err)
		log_notice("tracking accesses with %s, %u samples per %u ms",
			   cdmd_tracker_name(*tracker), CDMD_SAMPLES, cfg->interval_ms);
	return err;
}

static int arm_timer(struct cdmd *d)
{
	unsigned int ms = d->cfg->interval_ms;
	struct itimerspec its = {
		.it_interval = { ms / 1000, ms % 1000 * 1000000L },
	};

	/* the first round at once: a process is tracked from the round that
	 * finds it, and its first regions come an interval after that */
	its.it_value.tv_nsec = 1;
	return timerfd_settime(d->timerfd, 0, &its, NULL) ? -errno : 0;
}

static void forget_processes(struct cdmd *d)
{
	size_t i;

	for (i = 0; i < d->nr_procs; i++) {
		cdmd_history_free(&d->procs[i].history);
		free(d->procs[i].regions);
	}
	free(d->procs);
	d->procs = NULL;
	d->nr_procs = 0;
}

/* The metrics endpoint of metrics_port, or none for 0 */
static int start_metrics(struct cdmd *d)
{
	struct errlog e;
	int err;

	cdmd_metrics_stop(d->metrics);
	d->metrics = NULL;
	if (!d->cfg->metrics_port)
		return 0;
	err = cdmd_metrics_start(d->cfg->metrics_port, errlog_open(&e), &d->metrics);
	errlog_close(&e, LOG_ERR, NULL, 0);
	if (!err)
		log_notice("metrics at http://127.0.0.1:%u/metrics", d->cfg->metrics_port);
	return err;
}

/*
 * Moves onto a node outside cdmd's own cpuset fail: the kernel allocates
 * the pages a move puts there as cdmd's (__GFP_HARDWALL), refuses them
 * with ENOMEM, and the move reads as a full node. Said once per load of
 * the configuration, for each target with such nodes (libcdm knows the
 * cpuset, and that a fake machine has none).
 */
static void check_own_cpuset(struct cdm_ctx *ctx, const struct cdmd_config *cfg)
{
	char missing[256], allowed[256];
	struct cdm_nodeset mems, memory, want;
	int i, node;

	if (cdm_get_allowed_nodes(ctx, &mems) || cdm_get_memory_nodes(ctx, &memory)) {
		log_warn("cdmd's own cpuset: %s", cdm_get_last_error(ctx));
		return;
	}
	for (i = 0; i < cfg->nr_targets; i++) {
		const struct cdmd_target *t = &cfg->targets[i];

		memset(&want, 0, sizeof(want));
		if (t->policy == CDMD_POLICY_BIND) {
			want = t->nodes;
		} else {
			cdm_nodeset_foreach(&t->fast_nodes, node)
				cdm_nodeset_add(&want, node);
			cdm_nodeset_foreach(&t->slow_nodes, node)
				cdm_nodeset_add(&want, node);
		}
		cdm_nodeset_foreach(&want, node)	/* a node without memory is not the cpuset's doing */
			if (cdm_nodeset_has(&mems, node) || !cdm_nodeset_has(&memory, node))
				cdm_nodeset_del(&want, node);
		if (!cdm_nodeset_weight(&want))
			continue;
		cdm_nodeset_format(&want, missing, sizeof(missing));
		cdm_nodeset_format(&mems, allowed, sizeof(allowed));
		log_warn("target %s: node %s outside cdmd's own cpuset (Mems_allowed %s): moves there "
			 "fail as if the node were full; run cdmd where it may use every node it manages",
			 t->name, missing, allowed);
	}
}

/*
 * cdmd's own memory on the nodes with CPUs. Where device memory is onlined
 * as ordinary CPU-less nodes (Debian's kernel, kmem), a node 0 below its
 * low watermark sends default allocations there: the daemon that is to
 * keep hot memory fast would run from slow memory. (Under QEMU, which
 * emulates every access to CXL memory, 180-250 of its pages there made its
 * start take 3-4.5 s: bench/placement.sh.) Preferred, not bound: with the
 * fast nodes truly full cdmd still gets memory. The pages placed before
 * (the loader's, the topology's) are moved once. A policy cdmd was
 * started with (numactl) is the administrator's: kept.
 */
static void keep_own_memory_fast(struct cdm_ctx *ctx)
{
	struct cdm_nodeset slow, fast;
	struct cdm_migration *mig = NULL;
	enum cdm_policy policy;
	char fast_list[256];
	int node, to, err;

	if (cdm_get_thread_policy(ctx, &policy, NULL, NULL) || policy != CDM_POLICY_DEFAULT ||
	    cdm_get_memory_nodes(ctx, &slow) || cdmd_cpu_nodes(ctx, &fast))
		return;
	cdm_nodeset_foreach(&fast, node)
		cdm_nodeset_del(&slow, node);
	if (!cdm_nodeset_weight(&slow))
		return;		/* every node with memory has CPUs: nothing to keep apart */
	to = cdm_nodeset_next(&fast, -1);
	cdm_nodeset_format(&fast, fast_list, sizeof(fast_list));
	err = cdm_set_thread_policy(ctx, CDM_POLICY_PREFERRED_MANY, &fast, 0);
	if (err == -EOPNOTSUPP) {	/* before Linux 5.15: the first of them */
		cdm_nodeset_zero(&fast);
		cdm_nodeset_add(&fast, to);
		cdm_nodeset_format(&fast, fast_list, sizeof(fast_list));
		err = cdm_set_thread_policy(ctx, CDM_POLICY_PREFERRED, &fast, 0);
	}
	if (err) {
		log_warn("its own memory: preferring nodes %s: %s", fast_list, cdm_get_last_error(ctx));
		return;
	}
	err = cdm_migration_new(ctx, 0, to, &mig);
	if (!err)
		err = cdm_migration_set_from_nodes(mig, &slow);
	if (!err)
		err = cdm_migration_run(mig);
	if (mig && cdm_migration_get_moved(mig))
		log_notice("its own memory: %llu pages on nodes without CPUs moved to node %d; "
			   "nodes %s preferred from now on", cdm_migration_get_moved(mig), to,
			   fast_list);
	else
		log_debug("its own memory: nodes %s preferred", fast_list);
	if (err)
		log_warn("its own memory: moving it to node %d: %s", to, cdm_get_last_error(ctx));
	cdm_migration_free(mig);
}

/*
 * SIGHUP or cdmctl reload: a new configuration replaces the running one
 * only when it loads as a whole, and its tracker opens when it needs
 * another. Targets start afresh (totals, rates, histories, pauses):
 * their index may mean another target now.
 */
int cdmd_reload(struct cdmd *d, char *why, size_t len)
{
	struct cdmd_tracker *tracker = NULL;
	struct cdmd_config *cfg;
	unsigned int port;
	struct errlog e;
	int err, i;

	snprintf(why, len, "%s", "");
	err = cdmd_config_load(d->ctx, d->config_path, errlog_open(&e), &cfg);
	errlog_close(&e, LOG_ERR, why, len);
	if (err) {
		log_err("%s: not reloaded (%s); the configuration loaded before stays",
			d->config_path, strerror(-err));
		return err;
	}
	if (cfg->tracker != d->cfg->tracker || cfg->interval_ms != d->cfg->interval_ms) {
		cdmd_tracker_close(d->tracker);
		d->tracker = NULL;
		err = open_tracker(d, cfg, &tracker);
		if (err) {
			snprintf(why, len, "%s: its tracker did not start (%s)", d->config_path,
				 strerror(-err));
			log_err("%s: not reloaded: its tracker did not start; going on with the one before",
				d->config_path);
			cdmd_config_free(cfg);
			if (open_tracker(d, d->cfg, &d->tracker)) {
				log_err("the tracker before did not start again either: stopping");
				d->stop = true;
			}
			return err;
		}
		d->tracker = tracker;
	}
	port = d->cfg->metrics_port;
	cdmd_config_free(d->cfg);
	d->cfg = cfg;
	if (cfg->metrics_port != port && start_metrics(d))
		log_err("metrics: port %u did not open; cdmd goes on without metrics",
			cfg->metrics_port);
	forget_processes(d);
	memset(d->totals, 0, sizeof(d->totals));
	memset(d->paused, 0, sizeof(d->paused));
	d->explain_nr = 0;
	d->rescan = true;	/* the targets may name other processes */
	for (i = 0; i < CDMD_MAX_TARGETS; i++)
		d->rates[i] = (struct cdmd_rate){ .last_ms = CDMD_NEVER };
	if (arm_timer(d))
		log_err("interval of %u ms: %s", cfg->interval_ms, strerror(errno));
	check_own_cpuset(d->ctx, cfg);
	log_notice("%s: reloaded, %d targets", d->config_path, cfg->nr_targets);
	return 0;
}

/* ---- a round ---- */

/* The processes of the new scan, keeping the history of those that were
 * already managed (same pid, start time and target) */
static int carry_processes(struct cdmd *d)
{
	struct managed *procs = calloc(d->scan.nr ? d->scan.nr : 1, sizeof(*procs));
	size_t i, j = 0;

	if (!procs)
		return -ENOMEM;
	for (i = 0; i < d->scan.nr; i++) {
		const struct cdmd_proc *p = &d->scan.procs[i];

		procs[i] = (struct managed){ .pid = p->pid, .start_time = p->start_time,
					    .target = p->target };
		while (j < d->nr_procs && d->procs[j].pid < p->pid)
			j++;
		if (j < d->nr_procs && d->procs[j].pid == p->pid &&
		    d->procs[j].start_time == p->start_time && d->procs[j].target == p->target) {
			procs[i].history = d->procs[j].history;
			memset(&d->procs[j].history, 0, sizeof(d->procs[j].history));
		}
	}
	forget_processes(d);
	d->procs = procs;
	d->nr_procs = d->scan.nr;
	return 0;
}

/*
 * The nodes' free memory, for the watermark and the slow reserve: one
 * meminfo file per node. The topology is read again only when the nodes
 * with memory change (a node onlined or offlined): a refresh reads every
 * node's files, a cost each round would pay for what happens a few times
 * in a machine's life.
 */
/*
 * Where a tiering target's promotions could be held by its fast_free_mb,
 * the free pages on that node's per-CPU lists count as well, as far as
 * promoting into them keeps MemFree above the low watermark (zoneinfo.h):
 * without them, the room a demotion makes does not show. /proc/zoneinfo
 * is read only in such rounds: it is long on a machine of many CPUs.
 */
static void count_cpu_lists(struct cdmd *d, int64_t budget_ms)
{
	uint64_t keep[CDM_MAX_NODES], round_bytes[CDM_MAX_NODES] = { 0 };
	struct cdmd_zoneinfo *zi = NULL;
	int i, node, err;

	memset(keep, 0xff, sizeof(keep));
	memset(d->node_cpu_lists, 0, sizeof(d->node_cpu_lists));
	for (i = 0; i < d->cfg->nr_targets; i++) {
		const struct cdmd_target *t = &d->cfg->targets[i];

		if (t->policy != CDMD_POLICY_TIERING || d->paused[i])
			continue;
		cdm_nodeset_foreach(&t->fast_nodes, node) {
			uint64_t mb = (uint64_t)t->fast_free_mb << 20;
			uint64_t most = (uint64_t)t->rate_mb_s * (1 << 20) * budget_ms / 1000;

			if (mb < keep[node])
				keep[node] = mb;
			if (most > round_bytes[node])
				round_bytes[node] = most;
		}
	}
	for (node = 0; node < CDM_MAX_NODES; node++) {
		if (keep[node] == UINT64_MAX || d->node_free[node] >= keep[node] + round_bytes[node])
			continue;
		if (!zi) {
			zi = malloc(sizeof(*zi));
			if (!zi)
				return;
			err = cdmd_read_zoneinfo(PROC_ZONEINFO, sysconf(_SC_PAGESIZE), zi);
			if (err) {
				if (!d->zoneinfo_failed)
					log_warn("reading %s: %s: free pages on per-CPU lists not counted",
						 PROC_ZONEINFO, strerror(-err));
				d->zoneinfo_failed = true;
				break;
			}
		}
		if (!zi->seen[node])
			continue;
		d->node_cpu_lists[node] = zi->cpu_lists[node];
		d->node_free[node] = cdmd_free_with_cpu_lists(d->node_free[node], zi->cpu_lists[node],
							      zi->low[node], keep[node]);
	}
	free(zi);
}

static void read_node_free(struct cdmd *d, int64_t budget_ms)
{
	char has_memory[sizeof(d->has_memory)];
	struct cdm_node *node;
	unsigned long long bytes;
	int err;

	memset(d->node_free, 0, sizeof(d->node_free));
	err = cdmd_read_line(NODE_SYSFS "/has_memory", has_memory, sizeof(has_memory));
	if (err || strcmp(has_memory, d->has_memory)) {
		if (cdm_refresh(d->ctx))
			log_warn("reading the nodes: %s", cdm_get_last_error(d->ctx));
		else
			memcpy(d->has_memory, has_memory, sizeof(has_memory));
	}
	cdm_node_foreach(d->ctx, node)
		if (!cdm_node_get_mem_free(node, &bytes))
			d->node_free[cdm_node_get_id(node)] = bytes;
	count_cpu_lists(d, budget_ms);
}

/* 1536 KiB -> "1.5 MiB", 8 KiB -> "8 KiB" */
static const char *format_bytes(uint64_t bytes, char *buf, size_t len)
{
	if (bytes >= 1024 * 1024)
		snprintf(buf, len, "%.1f MiB", bytes / MIB);
	else
		snprintf(buf, len, "%" PRIu64 " KiB", bytes / 1024);
	return buf;
}

static void log_move(const struct cdmd_target *t, pid_t pid, const struct cdmd_move *m,
		     const struct cdmd_move_result *res)
{
	const struct cdmd_copy_counters *c = &res->copied;
	char how[128] = "", shared[64] = "", size[32];

	/* the counters move only when a copy engine is registered */
	if (c->present && c->engine + c->cpu + c->fallback + c->declined)
		snprintf(how, sizeof(how), ", folios copied by an engine %" PRIu64 ", by the CPU %"
			 PRIu64 " (handed back %" PRIu64 ", declined %" PRIu64 ")",
			 c->engine, c->cpu, c->fallback, c->declined);
	if (res->shared)
		snprintf(shared, sizeof(shared), ", %llu shared with other processes", res->shared);
	cdmd_log(res->err && res->err != -EAGAIN ? LOG_WARNING : LOG_INFO,
		 "%s: pid %d: %s 0x%" PRIx64 "-0x%" PRIx64 " (%s, accesses %u/%d, age %u%s)"
		 " to node %d: %llu pages moved, %llu there already, %llu not moved%s%s%s%s",
		 t->name, pid, cdmd_move_kind_names[m->kind], m->start, m->end,
		 format_bytes(m->bytes, size, sizeof(size)), m->accesses, CDMD_SAMPLES, m->age,
		 m->hint == CDMD_HINT_HOT ? ", hinted hot" :
		 m->hint == CDMD_HINT_COLD ? ", hinted cold" :
		 m->hint == CDMD_HINT_NODE ? ", hinted to this node" : "",
		 m->to_node, res->moved, res->already, res->failed, shared, how,
		 res->err ? ": " : "", res->err ? res->message : "");
}

/* Keep the decision for "cdmctl explain", the oldest making room */
static void remember(struct cdmd *d, const struct managed *p, const struct cdmd_move *m,
		     const struct cdmd_move_result *res)
{
	struct cdmd_decision *dec = &d->explain[d->explain_next];

	dec->when = time(NULL);
	dec->target = p->target;
	dec->pid = p->pid;
	dec->move = *m;
	dec->result = *res;
	d->explain_next = (d->explain_next + 1) % CDMD_EXPLAIN_MAX;
	if (d->explain_nr < CDMD_EXPLAIN_MAX)
		d->explain_nr++;
}

/* @res added to @sum, the batches of one move so far */
static void add_result(struct cdmd_move_result *sum, const struct cdmd_move_result *res)
{
	sum->moved += res->moved;
	sum->already += res->already;
	sum->failed += res->failed;
	sum->shared += res->shared;
	sum->copied.present = res->copied.present;
	sum->copied.engine += res->copied.engine;
	sum->copied.cpu += res->copied.cpu;
	sum->copied.fallback += res->copied.fallback;
	sum->copied.declined += res->copied.declined;
	if (res->err && !sum->err) {
		sum->err = res->err;
		memcpy(sum->message, res->message, sizeof(sum->message));
	}
}

/* How long a round moves: its interval, and at least ROUND_MIN_MS */
static int64_t round_budget(const struct cdmd *d)
{
	return d->cfg->interval_ms > ROUND_MIN_MS ? d->cfg->interval_ms : ROUND_MIN_MS;
}

/* The batch of @node: what moves there in half a round at the measured
 * speed, between BATCH_MIN (also until a speed is known) and the policy's
 * CDMD_MAX_BATCH */
static void size_batch(struct cdmd *d, int node)
{
	uint64_t b = d->node_speed[node] * (uint64_t)round_budget(d) / 2000;

	d->node_batch[node] = b < BATCH_MIN ? BATCH_MIN : b > CDMD_MAX_BATCH ? CDMD_MAX_BATCH : b;
}

/* A batch onto @node moved @bytes in @ms: the node's speed, averaged
 * over the last few batches so that one odd batch does not swing it,
 * and its batch size from now on */
static void measure_speed(struct cdmd *d, int node, uint64_t bytes, int64_t ms)
{
	uint64_t speed;

	if (node < 0 || node >= CDM_MAX_NODES || bytes < BATCH_MIN / 4 || ms < 1)
		return;
	speed = bytes * 1000 / (uint64_t)ms;
	d->node_speed[node] = d->node_speed[node] ?
			      (3 * d->node_speed[node] + speed) / 4 : speed;
	size_batch(d, node);
}

/* Carry out the plan for one process; false when it is gone. Once the
 * round's time is spent no further batch starts: what was planned and
 * not tried goes back to the rate. */
static bool carry_out(struct cdmd *d, struct managed *p, const struct cdmd_move *moves,
		      size_t nr, const struct cdm_range *mapped, size_t nr_mapped)
{
	const struct cdmd_target *t = &d->cfg->targets[p->target];
	struct target_totals *tot = &d->totals[p->target];
	int64_t keep = (int64_t)(t->min_residency_s > t->pingpong_window_s ?
				 t->min_residency_s : t->pingpong_window_s) * 1000;
	struct cdmd_move_result res, sum = { 0 };
	struct cdmd_move whole = { 0 };
	bool open = false;		/* @whole has batches in @sum */
	size_t i, joined;
	int err, node;

	for (i = 0; i < nr; i += joined) {
		struct cdmd_move batch;
		const struct cdmd_move *m = &batch;
		uint64_t bytes;
		int64_t t0 = cdmd_now();

		/* the plan was cut with the batch sizes known when the round
		 * began; the first batch onto a node of unknown speed has
		 * measured it since */
		node = moves[i].to_node;
		joined = cdmd_join_batches(moves, nr, i, node >= 0 && node < CDM_MAX_NODES ?
					   d->node_batch[node] : 0, &batch);
		if (d->round_moved && t0 >= d->round_deadline_ms) {
			if (open) {
				log_move(t, p->pid, &whole, &sum);
				remember(d, p, &whole, &sum);
			}
			log_debug("%s: pid %d: the round's time is spent: %zu batches wait for the next",
				  t->name, p->pid, nr - i);
			for (; i < nr; i++)
				cdmd_rate_settle(&d->rates[p->target], moves[i].bytes, 0);
			return true;
		}
		d->round_moved = true;
		err = cdmd_migrate(d->ctx, p->pid, t, m, &res);
		log_debug("%s: pid %d: batch %#" PRIx64 "-%#" PRIx64 " to node %d: %llu"
			  " pages moved in %" PRId64 " ms", t->name, p->pid, m->start, m->end,
			  m->to_node, res.moved, cdmd_now() - t0);
		if (!err)
			measure_speed(d, m->to_node, res.moved * (uint64_t)sysconf(_SC_PAGESIZE),
				      cdmd_now() - t0);
		if (err && open) {	/* the batches before it, said */
			log_move(t, p->pid, &whole, &sum);
			remember(d, p, &whole, &sum);
			open = false;
		}
		if (err) {
			log_debug("%s: pid %d: %s to node %d not tried: %s", t->name, p->pid,
				  cdmd_move_kind_names[m->kind], m->to_node,
				  res.message[0] ? res.message : strerror(-err));
			cdmd_rate_settle(&d->rates[p->target], m->bytes, 0);
			continue;
		}
		tot->batches++;
		bytes = res.moved * (uint64_t)sysconf(_SC_PAGESIZE);
		*(m->kind == CDMD_PROMOTE ? &tot->promoted :
		  m->kind == CDMD_DEMOTE ? &tot->demoted : &tot->bound) += bytes;
		cdmd_rate_settle(&d->rates[p->target], m->bytes, bytes);
		/* a range tried counts as moved, even when nothing did: the
		 * estimate that chose it stays the same for a while, and
		 * trying it again every round would only cost. One where the
		 * move found nothing it could take, pages other processes map
		 * too or none at all (the shared zero page, which the estimate
		 * sees on node 0), waits longer; one whose pages were where
		 * they belong already (an estimate behind the times) does not.
		 * Pages other processes map too are a mapping's (a shared
		 * library's text): its whole mapping waits, or the tracker's
		 * next cut of it brings up a piece not tried yet. One that
		 * moved pages and left none it could take may move the same
		 * way again at once: a process faulting its memory in still
		 * puts pages there (cdmd_history_record_move()) */
		err = cdmd_history_record_move(&p->history, m, res.moved && !res.err && !res.failed &&
					       !res.shared, cdmd_now(), keep);
		if (!err && !res.moved && !res.failed && !res.err && (res.shared || !res.already)) {
			struct cdm_range hold = { m->start, m->end };

			if (res.shared)
				cdmd_enclosing_range(mapped, nr_mapped, m->start, m->end, &hold);
			err = cdmd_history_hold(&p->history, hold.start, hold.end, cdmd_now(),
						cdmd_now() + UNMOVABLE_RETRY_MS, keep);
		}
		if (err)
			log_err("%s: pid %d: out of memory recording a move", t->name, p->pid);
		if (res.err && res.err != -EAGAIN) {
			tot->failed_batches++;
			if (-res.err < CDMD_ERRNO_MAX)
				tot->failed_by_errno[-res.err]++;
		}
		if (!open) {
			whole = *m;
			memset(&sum, 0, sizeof(sum));
			open = true;
		} else {
			whole.end = m->end;
			whole.bytes += m->bytes;
		}
		add_result(&sum, &res);
		if (!res.err && i + joined < nr && cdmd_same_move(m, &moves[i + joined]))
			continue;	/* its next batch */
		log_move(t, p->pid, &whole, &sum);
		remember(d, p, &whole, &sum);
		open = false;
		if (res.err == -ESRCH)
			return false;
		if (res.err == -ENOSPC)	/* full: nothing more goes there this round */
			d->node_free[m->to_node] = 0;
	}
	return true;
}

static void manage(struct cdmd *d, struct managed *p)
{
	const struct cdmd_target *t = &d->cfg->targets[p->target];
	struct cdmd_policy_region *placed = NULL;
	struct cdmd_region *regions = NULL, *pieces = NULL, *clipped;
	struct cdm_range *mapped = NULL;
	struct cdmd_move *moves = NULL;
	size_t nr = 0, nr_moves = 0, nr_mapped = 0, nr_clipped, i;
	struct errlog e;
	int err;

	err = cdmd_tracker_regions(d->tracker, p->pid, &regions, &nr, errlog_open(&e));
	errlog_close(&e, LOG_WARNING, NULL, 0);
	if (err)		/* -EAGAIN: no interval yet; -ENOENT: it exited */
		goto out;
	/* only where a move can find pages: the regions span gaps */
	err = cdm_get_movable_ranges(d->ctx, p->pid, 0, 0, &mapped, &nr_mapped);
	if (err) {
		if (err != -ESRCH)
			log_warn("%s: pid %d: its mappings: %s", t->name, p->pid,
				 cdm_get_last_error(d->ctx));
		else
			cdmd_hints_forget(&d->hints, p->pid);
		goto out;
	}
	err = cdmd_clip_regions(regions, nr, mapped, nr_mapped, &clipped, &nr_clipped);
	if (err) {
		log_err("%s: pid %d: out of memory for %zu regions", t->name, p->pid, nr);
		goto out;
	}
	free(regions);
	regions = clipped;
	nr = nr_clipped;
	/* the process's hints beat the tracker: each piece has one */
	err = cdmd_hints_split(&d->hints, p->pid, regions, nr, &pieces, &placed, &nr);
	if (err) {
		log_err("%s: pid %d: out of memory for %zu regions", t->name, p->pid, nr);
		goto out;
	}
	err = cdmd_sample_placement(p->pid, t, d->rounds, pieces, nr, placed);
	if (err) {
		if (err != -ESRCH)
			log_warn("%s: pid %d: where its pages are: %s", t->name, p->pid,
				 strerror(-err));
		else
			cdmd_hints_forget(&d->hints, p->pid);
		goto out;
	}
	for (i = 0; i < nr; i++)	/* the tracker counts age in intervals */
		placed[i].age_ms = (uint64_t)placed[i].age * d->cfg->interval_ms;
	free(p->regions);
	p->regions = placed;
	p->nr_regions = nr;
	placed = NULL;
	if (d->paused[p->target])
		goto out;
	err = cdmd_policy_plan(t, cdmd_now(), p->regions, nr, &p->history, &d->rates[p->target],
			       d->node_free, d->node_batch, &moves, &nr_moves,
			       &d->totals[p->target].held);
	if (err) {
		log_err("%s: pid %d: planning: %s", t->name, p->pid, strerror(-err));
		goto out;
	}
	log_debug("%s: pid %d: %zu regions, %zu batches planned", t->name, p->pid, nr, nr_moves);
	carry_out(d, p, moves, nr_moves, mapped, nr_mapped);
out:
	free(moves);
	free(placed);
	free(pieces);
	free(mapped);
	free(regions);
}

/* where cpusets.c writes down what isolate_cpusets changed */
static const char *cpusets_journal(void)
{
	return cdmd_path_env("CDMD_CPUSETS_FILE", CPUSETS_JOURNAL);
}

/* the directory @path goes in, made when there is none (systemd's
 * RuntimeDirectory= makes /run/cdmd itself); @what names the file */
static int make_parent_dir(const char *what, const char *path)
{
	char *dir = strdup(path), *slash;
	int err = 0;

	if (!dir) {
		log_err("%s %s: out of memory", what, path);
		return -ENOMEM;
	}
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST) {
			err = -errno;
			log_err("%s %s: making %s: %s", what, path, dir, strerror(-err));
		}
	}
	free(dir);
	return err;
}

static const char *pid_file(void)
{
	return cdmd_path_env("CDMD_PID_FILE", PID_FILE);
}

/*
 * One cdmd at a time. What it drives is the machine's (DAMON's kdamonds,
 * the tracefs instance, the list of kdamonds it owns, the cgroups),
 * whatever sockets it answers on: a second cdmd would take the first's
 * idle kdamonds and trace instance for leftovers and tear them down on
 * its way out. The pid file stays locked (flock) while cdmd runs, so the
 * lock ends with the process however it ends, and a cdmd that finds it
 * locked leaves before it touches any of that. At a stop the file is
 * removed while still locked: a cdmd that opened it just before locks a
 * file no longer there, finds another or none at the path, and opens
 * that instead.
 */
static int lock_pid_file(struct cdmd *d)
{
	const char *path = pid_file();
	struct stat locked, named;
	char buf[32];
	int fd, err, tries;
	ssize_t n;

	err = make_parent_dir("pid file", path);
	if (err)
		return err;
	for (tries = 0;; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0) {
			log_err("pid file %s: %s", path, strerror(errno));
			return -errno;
		}
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			err = -errno;
			if (err == -EWOULDBLOCK) {
				n = pread(fd, buf, sizeof(buf) - 1, 0);
				buf[n > 0 ? n : 0] = '\0';
				buf[strcspn(buf, "\n")] = '\0';
				log_err("another cdmd is running (pid %s, %s): one cdmd at a time "
					"drives DAMON, its trace instance and the cgroups",
					buf[0] ? buf : "?", path);
			} else {
				log_err("pid file %s: locking it: %s", path, strerror(-err));
			}
			close(fd);
			return err;
		}
		if (!fstat(fd, &locked) && !stat(path, &named) && locked.st_dev == named.st_dev &&
		    locked.st_ino == named.st_ino)
			break;
		close(fd);
		if (tries == 3) {
			log_err("pid file %s: replaced again and again while cdmd locked it", path);
			return -EAGAIN;
		}
	}
	n = snprintf(buf, sizeof(buf), "%d\n", getpid());
	errno = 0;	/* a short write sets none */
	if (ftruncate(fd, 0) || pwrite(fd, buf, n, 0) != n) {
		err = errno ? -errno : -EIO;
		log_err("pid file %s: writing it: %s", path, strerror(-err));
		close(fd);
		return err;
	}
	d->pid_fd = fd;
	return 0;
}

/* removed while locked (see lock_pid_file()); the lock goes with the
 * descriptor */
static void unlock_pid_file(struct cdmd *d)
{
	if (d->pid_fd < 0)
		return;
	if (unlink(pid_file()))
		log_warn("pid file %s: removing it: %s", pid_file(), strerror(errno));
	close(d->pid_fd);
	d->pid_fd = -1;
}

/*
 * isolate_cpusets, on a kernel without CDM nodes: every top-level cgroup
 * but those holding a target's process kept to the nodes with CPUs
 * (cpusets.c), checked every round as cgroups come and go; what cdmd
 * changed is given back when the key is switched off or cdmd stops.
 */
static void isolate_cpusets(struct cdmd *d)
{
	struct cdm_nodeset fast;
	struct errlog e;
	int changed;

	if (d->cfg->isolate_cpusets && !d->isolated && !cdmd_cpu_nodes(d->ctx, &fast)) {
		changed = cdmd_cpusets_apply(&d->cpusets, CGROUP_ROOT, &fast, &d->scan, "/proc",
					     errlog_open(&e));
		errlog_close(&e, LOG_WARNING, NULL, 0);
		if (changed > 0)
			log_notice("isolate_cpusets: %d cgroups kept off the CPU-less nodes",
				   changed);
	} else if (d->cpusets.root) {
		cdmd_cpusets_restore(&d->cpusets, errlog_open(&e));
		errlog_close(&e, LOG_WARNING, NULL, 0);
		log_notice("isolate_cpusets: the cgroups' cpuset.mems given back");
	}
}

bool cdmd_scans_on_events(const struct cdmd *d)
{
	int i;

	if (!d->procwatch)
		return false;
	/* a write to cgroup.procs moves a process into a cgroup, and sends
	 * no event: a cgroup target's processes are looked for every round */
	for (i = 0; i < d->cfg->nr_targets; i++)
		if (d->cfg->targets[i].match == CDMD_MATCH_CGROUP)
			return false;
	return true;
}

/*
 * Whether the targets' scan is due this round: every round unless
 * process events tell; else at the first round, after a reload or a
 * scan that failed, and when an event since the last round may change
 * what the scan finds. The events are read whatever the answer, so that
 * those the coming scan sees are not taken for news next round.
 */
static bool scan_due(struct cdmd *d)
{
	bool due = d->rescan || !cdmd_scans_on_events(d);

	if (d->procwatch && cdmd_procwatch_drain(d->procwatch))
		due = true;
	d->rescan = false;
	return due;
}

/*
 * The targets' processes: a scan when one is due; else the last scan's,
 * less those that are gone. An exit is an event, but the scan it brings
 * may find the process still there, until its parent reaps it, and a
 * process whose leader exited first ends with the exit of a thread:
 * neither end is an event. 0, or -errno when the scan failed.
 */
static int find_processes(struct cdmd *d, char *status, size_t len)
{
	struct errlog e;
	int err;

	if (!scan_due(d)) {
		cdmd_scan_recheck(&d->scan, "/proc");
		return 0;
	}
	d->target_scans++;
	err = cdmd_targets_scan(d->cfg, "/proc", CGROUP_ROOT, getpid(), &d->scan, errlog_open(&e));
	errlog_close(&e, LOG_ERR, status, len);
	d->rescan = err != 0;	/* what it found may be part of it */
	return err;
}

/* One round; its outcome for systemd's status line in @status */
static void round_once(struct cdmd *d, char *status, size_t len)
{
	int64_t start = cdmd_now(), budget;
	struct errlog e;
	size_t i;
	int node, err;

	if (find_processes(d, status, len))
		return;
	isolate_cpusets(d);
	err = cdmd_tracker_watch(d->tracker, &d->scan, errlog_open(&e));
	errlog_close(&e, LOG_WARNING, status, len);
	if (err)
		return;
	if (carry_processes(d)) {
		snprintf(status, len, "out of memory for %zu processes", d->scan.nr);
		log_err("%s", status);
		return;
	}
	cdmd_hints_prune(&d->hints, &d->scan);
	budget = round_budget(d);
	for (node = 0; node < CDM_MAX_NODES; node++)	/* the interval may have changed */
		size_batch(d, node);
	read_node_free(d, budget);
	d->round_deadline_ms = start + budget;
	d->round_moved = false;
	/* each round begins with the next process, so that one whose moves
	 * spend the round's time does not keep the others waiting */
	for (i = 0; i < d->nr_procs; i++)
		manage(d, &d->procs[(i + d->rounds) % d->nr_procs]);
	d->rounds++;
	d->last_round_ms = cdmd_now() - start;
	log_debug("round %" PRIu64 ": %" PRId64 " ms", d->rounds, d->last_round_ms);
	if (d->last_round_ms > d->longest_round_ms)
		d->longest_round_ms = d->last_round_ms;
	snprintf(status, len, "%zu processes of %d targets, tracker %s", d->nr_procs,
		 d->cfg->nr_targets, cdmd_tracker_name(d->tracker));
}

/* A round, and systemd told that cdmd lives: the watchdog is for a
 * daemon that hangs; one whose rounds fail says why in its status */
static void round_and_notify(struct cdmd *d)
{
	struct cdmd_metrics_text page = { 0 };
	char status[256] = "";

	round_once(d, status, sizeof(status));
	sd_notifyf(0, "WATCHDOG=1\nSTATUS=%s", status);
	if (d->metrics) {
		if (!cdmd_render_metrics(d, &page))
			cdmd_metrics_publish(d->metrics, page.buf, page.len);
		else
			log_err("metrics: out of memory rendering the page");
		cdmd_metrics_text_free(&page);
	}
}

/* ---- start and the loop ---- */

/* On a kernel without coherent device memory nodes nothing keeps default
 * allocations off device memory: say so once */
static void report_kernel(struct cdmd *d)
{
	struct cdm_node *node;
	bool unknown = false;

	cdm_node_foreach(d->ctx, node)
		if (cdm_node_get_cdm_state(node) == CDM_NODE_STATE_UNKNOWN)
			unknown = true;
	d->isolated = !unknown;
	if (unknown)
		log_notice("this kernel has no coherent device memory nodes: CPU-less nodes are "
			   "managed as memory tiers, without isolation from default allocations");
}

static int setup_fds(struct cdmd *d)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->sigfd < 0 || d->timerfd < 0 || arm_timer(d)) {
		log_err("setting up signals and the interval's timer: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static void handle_signals(struct cdmd *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			char why[256];

			sd_notify(0, "RELOADING=1");
			cdmd_reload(d, why, sizeof(why));
			sd_notify(0, "READY=1");
		} else {
			log_notice("signal %u: stopping", si.ssi_signo);
			d->stop = true;
		}
	}
}

/* A process of the last scan: one whose hints cdmd takes (a process
 * that started since is taken from the next round on) */
static bool is_managed(pid_t pid, void *data)
{
	const struct cdmd *d = data;

	return cdmd_scan_find(&d->scan, pid) != NULL;
}

/* signals, the interval's timer, the hint socket and the control
 * socket's connections */
static int loop(struct cdmd *d)
{
	struct pollfd fds[3 + CDMD_CONTROL_POLLFDS];
	uint64_t expirations;
	int n;

	while (!d->stop) {
		fds[0] = (struct pollfd){ .fd = d->sigfd, .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = d->timerfd, .events = POLLIN };
		fds[2] = (struct pollfd){ .fd = cdmd_hints_fd(&d->hints), .events = POLLIN };
		n = cdmd_control_pollfds(d->control, fds + 3);
		if (poll(fds, 3 + n, cdmd_control_timeout(d->control, cdmd_now())) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			return -errno;
		}
		if (fds[0].revents & POLLIN)
			handle_signals(d);
		if (fds[2].revents)
			cdmd_hints_serve(&d->hints, is_managed, d);
		cdmd_control_serve(d->control, fds + 3, n, cdmd_now());
		if (!d->stop && (fds[1].revents & POLLIN) &&
		    read(d->timerfd, &expirations, sizeof(expirations)) > 0)
			round_and_notify(d);
	}
	return 0;
}

/* Process events, without which the targets are scanned every round:
 * said once, and why */
static void open_procwatch(struct cdmd *d)
{
	struct errlog e;
	int err;

	err = cdmd_procwatch_open(&d->procwatch, errlog_open(&e));
	errlog_close(&e, LOG_NOTICE, NULL, 0);
	if (!err)
		log_notice("process events: the targets are scanned when a process starts, "
			   "execs, is renamed or exits");
	else
		log_notice("the targets are scanned every round (process events need "
			   "CAP_NET_ADMIN and a kernel with CONFIG_PROC_EVENTS)");
}

/* The control socket, in a directory made for it when there is none */
static int open_control(struct cdmd *d)
{
	struct errlog e;
	int err;

	err = make_parent_dir("control socket", d->socket_path);
	if (err)
		return err;
	err = cdmd_control_open(d->socket_path, d->cfg->socket_group, cdmd_answer, d,
				errlog_open(&e), &d->control);
	errlog_close(&e, LOG_ERR, NULL, 0);
	return err;
}

/* The hint socket, in the control socket's directory by default (made
 * by open_control() or systemd) */
static int open_hints(struct cdmd *d)
{
	struct errlog e;
	int err;

	err = cdmd_hints_open(&d->hints, d->hint_socket_path, errlog_open(&e));
	errlog_close(&e, LOG_ERR, NULL, 0);
	return err;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cdmd [--config FILE] [--socket PATH] [--hint-socket PATH] [--verbose]\n"
		"            [--check]\n"
		"Keeps managed processes' pages on the nodes where they belong (cdmd(8)).\n"
		"  -c, --config FILE  the configuration (default " DEFAULT_CONFIG ")\n"
		"  -s, --socket PATH  the control socket (default " CDMD_SOCKET_PATH ")\n"
		"  -H, --hint-socket PATH\n"
		"                     applications' hints (default " CDM_HINT_SOCKET ")\n"
		"  -v, --verbose      log at the debug level too\n"
		"  -n, --check        read the configuration, report problems, exit\n"
		"  -V, --version      print the versions of cdmd and libcdm\n"
		"  -h, --help         this text\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "hint-socket", required_argument, NULL, 'H' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check", no_argument, NULL, 'n' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct cdmd d = { .config_path = DEFAULT_CONFIG, .socket_path = CDMD_SOCKET_PATH,
			  .hint_socket_path = CDM_HINT_SOCKET, .timerfd = -1, .sigfd = -1,
			  .pid_fd = -1, .rescan = true };
	int opt, err, priority = LOG_INFO;
	bool check = false;
	struct errlog e;

	while ((opt = getopt_long(argc, argv, "c:s:H:vnVh", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			d.config_path = optarg;
			break;
		case 's':
			d.socket_path = optarg;
			break;
		case 'H':
			d.hint_socket_path = optarg;
			break;
		case 'v':
			priority = LOG_DEBUG;
			break;
		case 'n':
			check = true;
			break;
		case 'V':
			printf("cdmd %s (libcdm %s)\n", CDMD_VERSION, cdm_get_version());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cdmd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	cdmd_log_init(priority);
	err = cdm_new(&d.ctx);
	if (err) {
		log_err("reading the machine's nodes: %s", strerror(-err));
		return 1;
	}
	err = cdmd_config_load(d.ctx, d.config_path, errlog_open(&e), &d.cfg);
	errlog_close(&e, LOG_ERR, NULL, 0);
	if (!err)
		check_own_cpuset(d.ctx, d.cfg);
	/* before anything of the machine's is touched */
	if (!err && !check && lock_pid_file(&d))
		err = -EBUSY;
	if (err || check) {
		if (!err)
			printf("%s: %d targets, no problems\n", d.config_path, d.cfg->nr_targets);
		cdmd_config_free(d.cfg);
		cdm_unref(d.ctx);
		return err ? 1 : 0;
	}
	keep_own_memory_fast(d.ctx);
	for (opt = 0; opt < CDMD_MAX_TARGETS; opt++)
		d.rates[opt].last_ms = CDMD_NEVER;
	report_kernel(&d);
	d.started_ms = cdmd_now();
	/* what a killed cdmd changed in the cgroups, given back (or kept,
	 * with isolate_cpusets) by the first round */
	cdmd_cpusets_take_over(&d.cpusets, cpusets_journal(), CGROUP_ROOT, "/proc", errlog_open(&e));
	errlog_close(&e, LOG_WARNING, NULL, 0);
	err = open_tracker(&d, d.cfg, &d.tracker);
	if (!err)
		open_procwatch(&d);
	if (!err)
		err = setup_fds(&d);
	if (!err)
		err = open_control(&d);
	if (!err)
		err = open_hints(&d);
	if (!err)
		err = start_metrics(&d);
	if (!err) {
		log_notice("%s: %d targets, every %u ms", d.config_path, d.cfg->nr_targets,
			   d.cfg->interval_ms);
		sd_notify(0, "READY=1");
		err = loop(&d);
	}
	sd_notify(0, "STOPPING=1");
	if (d.cpusets.root) {
		cdmd_cpusets_restore(&d.cpusets, errlog_open(&e));
		errlog_close(&e, LOG_WARNING, NULL, 0);
		log_notice("isolate_cpusets: the cgroups' cpuset.mems given back");
	}
	cdmd_cpusets_free(&d.cpusets);
	cdmd_metrics_stop(d.metrics);
	cdmd_control_close(d.control);
	cdmd_hints_close(&d.hints);
	cdmd_tracker_close(d.tracker);
	cdmd_procwatch_close(d.procwatch);
	forget_processes(&d);
	cdmd_scan_free(&d.scan);
	cdmd_config_free(d.cfg);
	cdm_unref(d.ctx);
	if (d.sigfd >= 0)
		close(d.sigfd);
	if (d.timerfd >= 0)
		close(d.timerfd);
	unlock_pid_file(&d);
	return err ? 1 : 0;
}
