// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The answers to control requests (protocol.h) and the metrics page
 * (metrics.h), from cdmd's state. The
 * shapes of the data objects are what cdmctl(1) and scripts read; keys
 * are only ever added. Addresses are strings ("0x7f..."): JSON numbers
 * lose precision above 2^53. Sizes are bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdmd.h"
#include "log.h"

static json_object *u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static json_object *hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_object_new_string(buf);
}

static json_object *nodes_string(const struct cdm_nodeset *set)
{
	char buf[256];

	if (cdm_nodeset_format(set, buf, sizeof(buf)) < 0)
		buf[0] = '\0';
	return json_object_new_string(buf);
}

/* the index of the target @name, -1 for none ("" is every target: -2) */
static int find_target(const struct cdmd *d, const char *name)
{
	int i;

	if (!name[0])
		return -2;
	for (i = 0; i < d->cfg->nr_targets; i++)
		if (!strcmp(d->cfg->targets[i].name, name))
			return i;
	return -1;
}

static json_object *no_target(const struct cdmd *d, const char *name)
{
	return cdmd_reply_error(-ENOENT, "no target %s in %s", name, d->config_path);
}

static json_object *status(struct cdmd *d)
{
	json_object *o = json_object_new_object(), *nodes = json_object_new_array();
	uint64_t promoted = 0, demoted = 0, bound = 0;
	bool all_paused = d->cfg->nr_targets > 0;
	struct cdm_node *node;
	int i;

	for (i = 0; i < d->cfg->nr_targets; i++) {
		promoted += d->totals[i].promoted;
		demoted += d->totals[i].demoted;
		bound += d->totals[i].bound;
		all_paused &= d->paused[i];
	}
	json_object_object_add(o, "cdmd", json_object_new_string(CDMD_VERSION));
	json_object_object_add(o, "libcdm", json_object_new_string(cdm_get_version()));
	json_object_object_add(o, "config", json_object_new_string(d->config_path));
	json_object_object_add(o, "tracker", json_object_new_string(cdmd_tracker_name(d->tracker)));
	json_object_object_add(o, "processes_found_by",
			       json_object_new_string(cdmd_scans_on_events(d) ? "events" : "walk"));
	json_object_object_add(o, "interval_ms", u64(d->cfg->interval_ms));
	json_object_object_add(o, "uptime_s", u64((cdmd_now() - d->started_ms) / 1000));
	json_object_object_add(o, "rounds", u64(d->rounds));
	json_object_object_add(o, "last_round_ms", u64(d->last_round_ms));
	json_object_object_add(o, "longest_round_ms", u64(d->longest_round_ms));
	json_object_object_add(o, "target_scans", u64(d->target_scans));
	json_object_object_add(o, "isolation", json_object_new_boolean(d->isolated));
	json_object_object_add(o, "paused", json_object_new_boolean(all_paused));
	json_object_object_add(o, "targets", u64(d->cfg->nr_targets));
	json_object_object_add(o, "processes", u64(d->nr_procs));
	json_object_object_add(o, "promoted_bytes", u64(promoted));
	json_object_object_add(o, "demoted_bytes", u64(demoted));
	json_object_object_add(o, "bound_bytes", u64(bound));
	cdm_node_foreach(d->ctx, node) {
		json_object *n;

		if (!cdm_node_has_memory(node))
			continue;
		n = json_object_new_object();
		json_object_object_add(n, "node", json_object_new_int(cdm_node_get_id(node)));
		json_object_object_add(n, "free_bytes", u64(d->node_free[cdm_node_get_id(node)]));
		json_object_object_add(n, "total_bytes", u64(cdm_node_get_mem_total(node)));
		json_object_object_add(n, "move_bytes_per_s",
				       u64(d->node_speed[cdm_node_get_id(node)]));
		json_object_object_add(n, "batch_bytes", u64(d->node_batch[cdm_node_get_id(node)]));
		json_object_object_add(n, "cpu_lists_bytes",
				       u64(d->node_cpu_lists[cdm_node_get_id(node)]));
		json_object_array_add(nodes, n);
	}
	json_object_object_add(o, "nodes", nodes);
	return cdmd_reply_ok(o);
}

static json_object *target_json(struct cdmd *d, int i)
{
	const struct cdmd_target *t = &d->cfg->targets[i];
	const struct target_totals *tot = &d->totals[i];
	json_object *o = json_object_new_object(), *pids = json_object_new_array();
	json_object *held = json_object_new_object();
	static const char *const match_kinds[] = {
		[CDMD_MATCH_CGROUP] = "cgroup", [CDMD_MATCH_COMM] = "comm",
		[CDMD_MATCH_REGEX] = "regex", [CDMD_MATCH_PID] = "pid",
	};
	char match[512];
	uint64_t regions = 0;
	size_t p;
	int why;

	snprintf(match, sizeof(match), "%s:%s", match_kinds[t->match], t->match_arg);
	for (p = 0; p < d->nr_procs; p++) {
		if (d->procs[p].target != i)
			continue;
		json_object_array_add(pids, json_object_new_int(d->procs[p].pid));
		regions += d->procs[p].nr_regions;
	}
	json_object_object_add(o, "name", json_object_new_string(t->name));
	json_object_object_add(o, "policy", json_object_new_string(cdmd_policy_names[t->policy]));
	json_object_object_add(o, "match", json_object_new_string(match));
	if (t->policy == CDMD_POLICY_TIERING) {
		json_object_object_add(o, "fast_nodes", nodes_string(&t->fast_nodes));
		json_object_object_add(o, "slow_nodes", nodes_string(&t->slow_nodes));
	} else {
		json_object_object_add(o, "nodes", nodes_string(&t->nodes));
	}
	json_object_object_add(o, "paused", json_object_new_boolean(d->paused[i]));
	json_object_object_add(o, "processes", pids);
	json_object_object_add(o, "regions", u64(regions));
	json_object_object_add(o, "promoted_bytes", u64(tot->promoted));
	json_object_object_add(o, "demoted_bytes", u64(tot->demoted));
	json_object_object_add(o, "bound_bytes", u64(tot->bound));
	json_object_object_add(o, "batches", u64(tot->batches));
	json_object_object_add(o, "failed_batches", u64(tot->failed_batches));
	for (why = 0; why < CDMD_HELD_NR; why++) {
		json_object *h = json_object_new_object();

		json_object_object_add(h, "times", u64(tot->held.held[why]));
		json_object_object_add(h, "bytes", u64(tot->held.held_bytes[why]));
		json_object_object_add(held, cdmd_held_name(why), h);
	}
	json_object_object_add(o, "held", held);
	return o;
}

static json_object *targets(struct cdmd *d)
{
	json_object *o = json_object_new_object(), *list = json_object_new_array();
	int i;

	for (i = 0; i < d->cfg->nr_targets; i++)
		json_object_array_add(list, target_json(d, i));
	json_object_object_add(o, "targets", list);
	return cdmd_reply_ok(o);
}

struct hot_region {
	const struct managed *proc;
	const struct cdmd_policy_region *region;
};

static int hotter(const void *a, const void *b)
{
	const struct cdmd_policy_region *x = ((const struct hot_region *)a)->region;
	const struct cdmd_policy_region *y = ((const struct hot_region *)b)->region;

	if (x->accesses != y->accesses)
		return x->accesses > y->accesses ? -1 : 1;
	if (x->end - x->start != y->end - y->start)
		return x->end - x->start > y->end - y->start ? -1 : 1;
	return x->start < y->start ? -1 : 1;
}

/* the hottest regions of the last round, and where their pages are */
static json_object *top(struct cdmd *d, const struct cdmd_request *req)
{
	json_object *o, *list;
	struct hot_region *all;
	size_t p, r, n = 0, total = 0;
	int only = find_target(d, req->target);

	if (only == -1)
		return no_target(d, req->target);
	for (p = 0; p < d->nr_procs; p++)
		total += d->procs[p].nr_regions;
	all = calloc(total ? total : 1, sizeof(*all));
	if (!all)
		return cdmd_reply_error(-ENOMEM, "top: out of memory for %zu regions", total);
	for (p = 0; p < d->nr_procs; p++) {
		if (only >= 0 && d->procs[p].target != only)
			continue;
		for (r = 0; r < d->procs[p].nr_regions; r++)
			all[n++] = (struct hot_region){ &d->procs[p], &d->procs[p].regions[r] };
	}
	qsort(all, n, sizeof(*all), hotter);
	o = json_object_new_object();
	list = json_object_new_array();
	for (r = 0; r < n && r < req->count; r++) {
		const struct cdmd_target *t = &d->cfg->targets[all[r].proc->target];
		const struct cdmd_policy_region *reg = all[r].region;
		json_object *e = json_object_new_object();

		json_object_object_add(e, "target", json_object_new_string(t->name));
		json_object_object_add(e, "pid", json_object_new_int(all[r].proc->pid));
		json_object_object_add(e, "start", hex(reg->start));
		json_object_object_add(e, "end", hex(reg->end));
		json_object_object_add(e, "bytes", u64(reg->end - reg->start));
		json_object_object_add(e, "accesses", u64(reg->accesses));
		json_object_object_add(e, "samples", u64(CDMD_SAMPLES));
		json_object_object_add(e, "age", u64(reg->age));
		json_object_object_add(e, "present_bytes", u64(reg->present));
		if (t->policy == CDMD_POLICY_TIERING) {
			json_object_object_add(e, "fast_bytes", u64(reg->on_fast));
			json_object_object_add(e, "slow_bytes", u64(reg->on_slow));
		} else {
			json_object_object_add(e, "on_nodes_bytes", u64(reg->on_fast));
		}
		json_object_array_add(list, e);
	}
	free(all);
	json_object_object_add(o, "regions", list);
	return cdmd_reply_ok(o);
}

static json_object *decision_json(const struct cdmd *d, const struct cdmd_decision *dec)
{
	const struct cdmd_move *m = &dec->move;
	const struct cdmd_move_result *res = &dec->result;
	const char *name = d->cfg->targets[dec->target].name;
	json_object *e = json_object_new_object();

	json_object_object_add(e, "time", json_object_new_int64(dec->when));
	json_object_object_add(e, "target", json_object_new_string(name));
	json_object_object_add(e, "pid", json_object_new_int(dec->pid));
	json_object_object_add(e, "action", json_object_new_string(cdmd_move_kind_names[m->kind]));
	json_object_object_add(e, "start", hex(m->start));
	json_object_object_add(e, "end", hex(m->end));
	json_object_object_add(e, "estimated_bytes", u64(m->bytes));
	json_object_object_add(e, "accesses", u64(m->accesses));
	json_object_object_add(e, "samples", u64(CDMD_SAMPLES));
	json_object_object_add(e, "age", u64(m->age));
	if (m->hint != CDMD_HINT_NONE)
		json_object_object_add(e, "hint", json_object_new_string(m->hint == CDMD_HINT_HOT ?
									 "hot" : m->hint == CDMD_HINT_COLD ?
									 "cold" : "node"));
	json_object_object_add(e, "to_node", json_object_new_int(m->to_node));
	json_object_object_add(e, "moved_pages", u64(res->moved));
	json_object_object_add(e, "already_pages", u64(res->already));
	json_object_object_add(e, "not_moved_pages", u64(res->failed));
	json_object_object_add(e, "shared_pages", u64(res->shared));
	json_object_object_add(e, "result", json_object_new_string(res->err ? "error" : "ok"));
	if (res->err) {
		json_object_object_add(e, "errno", json_object_new_int(-res->err));
		json_object_object_add(e, "error", json_object_new_string(res->message));
	}
	if (res->copied.present) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "engine_folios", u64(res->copied.engine));
		json_object_object_add(c, "cpu_folios", u64(res->copied.cpu));
		json_object_object_add(c, "fallback_folios", u64(res->copied.fallback));
		json_object_object_add(c, "declined_folios", u64(res->copied.declined));
		json_object_object_add(e, "copied", c);
	}
	return e;
}

/* the latest decisions first */
static json_object *explain(struct cdmd *d, const struct cdmd_request *req)
{
	int only = find_target(d, req->target);
	json_object *o, *list;
	size_t i, shown = 0;

	if (only == -1)
		return no_target(d, req->target);
	o = json_object_new_object();
	list = json_object_new_array();
	for (i = 0; i < d->explain_nr && shown < req->count; i++) {
		size_t at = (d->explain_next + CDMD_EXPLAIN_MAX - 1 - i) % CDMD_EXPLAIN_MAX;
		const struct cdmd_decision *dec = &d->explain[at];

		if (only >= 0 && dec->target != only)
			continue;
		json_object_array_add(list, decision_json(d, dec));
		shown++;
	}
	json_object_object_add(o, "decisions", list);
	return cdmd_reply_ok(o);
}

static json_object *pause_resume(struct cdmd *d, const struct cdmd_request *req, bool pause)
{
	int only = find_target(d, req->target), i;
	json_object *o, *list;

	if (only == -1)
		return no_target(d, req->target);
	for (i = 0; i < d->cfg->nr_targets; i++) {
		if (only >= 0 && i != only)
			continue;
		if (d->paused[i] != pause)
			log_notice("%s: %s", d->cfg->targets[i].name, pause ? "paused" : "resumed");
		d->paused[i] = pause;
	}
	o = json_object_new_object();
	list = json_object_new_array();
	for (i = 0; i < d->cfg->nr_targets; i++)
		if (d->paused[i])
			json_object_array_add(list,
					      json_object_new_string(d->cfg->targets[i].name));
	json_object_object_add(o, "paused", list);
	return cdmd_reply_ok(o);
}

static json_object *reload(struct cdmd *d)
{
	char why[256];
	json_object *o;
	int err;

	err = cdmd_reload(d, why, sizeof(why));
	if (err)
		return cdmd_reply_error(err, "not reloaded, the configuration before stays: %s",
					why[0] ? why : strerror(-err));
	o = json_object_new_object();
	json_object_object_add(o, "config", json_object_new_string(d->config_path));
	json_object_object_add(o, "targets", u64(d->cfg->nr_targets));
	return cdmd_reply_ok(o);
}

json_object *cdmd_answer(const struct cdmd_request *req, uid_t peer, void *data)
{
	struct cdmd *d = data;

	log_debug("control socket: uid %d: %s", (int)peer, cdmd_command_name(req->command));
	switch (req->command) {
	case CDMD_CMD_STATUS:
		return status(d);
	case CDMD_CMD_TARGETS:
		return targets(d);
	case CDMD_CMD_TOP:
		return top(d, req);
	case CDMD_CMD_EXPLAIN:
		return explain(d, req);
	case CDMD_CMD_RELOAD:
		return reload(d);
	case CDMD_CMD_PAUSE:
		return pause_resume(d, req, true);
	case CDMD_CMD_RESUME:
		return pause_resume(d, req, false);
	default:
		return cdmd_reply_error(-EINVAL, "command %d: no such command", req->command);
	}
}

/* ---- the metrics page (metrics.h names them) ---- */

/* one family: a sample per target, @get giving the target's value */
static int per_target(struct cdmd *d, struct cdmd_metrics_text *t, const char *name,
		      const char *type, const char *help,
		      double (*get)(struct cdmd *d, int target))
{
	int i, err = cdmd_metrics_family(t, name, type, help);

	for (i = 0; i < d->cfg->nr_targets && !err; i++)
		err = cdmd_metrics_sample(t, name, get(d, i), "target", d->cfg->targets[i].name,
					  NULL);
	return err;
}

static double processes(struct cdmd *d, int target)
{
	size_t p, n = 0;

	for (p = 0; p < d->nr_procs; p++)
		n += d->procs[p].target == target;
	return n;
}

static double regions(struct cdmd *d, int target)
{
	size_t p, n = 0;

	for (p = 0; p < d->nr_procs; p++)
		if (d->procs[p].target == target)
			n += d->procs[p].nr_regions;
	return n;
}

static double promoted(struct cdmd *d, int i) { return d->totals[i].promoted; }
static double demoted(struct cdmd *d, int i) { return d->totals[i].demoted; }
static double bound(struct cdmd *d, int i) { return d->totals[i].bound; }
static double batches(struct cdmd *d, int i) { return d->totals[i].batches; }
static double paused(struct cdmd *d, int i) { return d->paused[i]; }
static double pingpong(struct cdmd *d, int i)
{
	return d->totals[i].held.held[CDMD_HELD_PINGPONG];
}

/* the families with a reason label: held back, and failed by errno */
static int by_reason(struct cdmd *d, struct cdmd_metrics_text *t)
{
	int i, why, e, err;

	err = cdmd_metrics_family(t, "cdmd_held_total", "counter",
				  "Moves held back, by what held them");
	for (i = 0; i < d->cfg->nr_targets && !err; i++)
		for (why = 0; why < CDMD_HELD_NR && !err; why++)
			err = cdmd_metrics_sample(t, "cdmd_held_total", d->totals[i].held.held[why],
						  "target", d->cfg->targets[i].name,
						  "reason", cdmd_held_name(why), NULL);
	if (!err)
		err = cdmd_metrics_family(t, "cdmd_held_bytes_total", "counter",
					  "Estimated bytes of the moves held back");
	for (i = 0; i < d->cfg->nr_targets && !err; i++)
		for (why = 0; why < CDMD_HELD_NR && !err; why++)
			err = cdmd_metrics_sample(t, "cdmd_held_bytes_total",
						  d->totals[i].held.held_bytes[why],
						  "target", d->cfg->targets[i].name,
						  "reason", cdmd_held_name(why), NULL);
	if (!err)
		err = cdmd_metrics_family(t, "cdmd_failed_batches_total", "counter",
					  "Moves that failed, by the error's name");
	for (i = 0; i < d->cfg->nr_targets && !err; i++)
		for (e = 1; e < CDMD_ERRNO_MAX && !err; e++)
			if (d->totals[i].failed_by_errno[e])
				err = cdmd_metrics_sample(t, "cdmd_failed_batches_total",
							  d->totals[i].failed_by_errno[e],
							  "target", d->cfg->targets[i].name,
							  "reason", strerrorname_np(e) ?: "unknown",
							  NULL);
	return err;
}

int cdmd_render_metrics(struct cdmd *d, struct cdmd_metrics_text *t)
{
	struct cdm_node *node;
	char id[16];
	int err;

	err = cdmd_metrics_family(t, "cdmd_up", "gauge", "1 while cdmd runs");
	if (!err)
		err = cdmd_metrics_sample(t, "cdmd_up", 1, NULL);
	if (!err)
		err = cdmd_metrics_family(t, "cdmd_rounds_total", "counter", "Rounds run");
	if (!err)
		err = cdmd_metrics_sample(t, "cdmd_rounds_total", d->rounds, NULL);
	if (!err)
		err = cdmd_metrics_family(t, "cdmd_target_scans_total", "counter",
					  "Walks of /proc for the targets' processes");
	if (!err)
		err = cdmd_metrics_sample(t, "cdmd_target_scans_total", d->target_scans, NULL);
	if (!err)
		err = cdmd_metrics_family(t, "cdmd_round_seconds", "gauge",
					  "How long the last round took");
	if (!err)
		err = cdmd_metrics_sample(t, "cdmd_round_seconds", d->last_round_ms / 1000.0, NULL);
	if (!err)
		err = per_target(d, t, "cdmd_tracker_regions", "gauge",
				 "Regions the tracker watches", regions);
	if (!err)
		err = per_target(d, t, "cdmd_processes", "gauge", "Processes of the target",
				 processes);
	if (!err)
		err = per_target(d, t, "cdmd_promoted_bytes_total", "counter",
				 "Bytes moved to a fast node", promoted);
	if (!err)
		err = per_target(d, t, "cdmd_demoted_bytes_total", "counter",
				 "Bytes moved to a slow node", demoted);
	if (!err)
		err = per_target(d, t, "cdmd_bound_bytes_total", "counter",
				 "Bytes moved onto a bind node", bound);
	if (!err)
		err = per_target(d, t, "cdmd_batches_total", "counter", "Moves tried", batches);
	if (!err)
		err = by_reason(d, t);
	if (!err)
		err = per_target(d, t, "cdmd_pingpong_bound_hits_total", "counter",
				 "Moves the ping-pong bound held back", pingpong);
	if (!err)
		err = per_target(d, t, "cdmd_paused", "gauge", "1 while the target is paused",
				 paused);
	if (!err)
		err = cdmd_metrics_family(t, "cdmd_node_free_bytes", "gauge",
					  "The node's free memory");
	cdm_node_foreach(d->ctx, node) {
		if (err || !cdm_node_has_memory(node))
			continue;
		snprintf(id, sizeof(id), "%d", cdm_node_get_id(node));
		err = cdmd_metrics_sample(t, "cdmd_node_free_bytes",
					  d->node_free[cdm_node_get_id(node)], "node", id, NULL);
	}
	if (!err)
		err = cdmd_metrics_family(t, "cdmd_node_total_bytes", "gauge", "The node's memory");
	cdm_node_foreach(d->ctx, node) {
		if (err || !cdm_node_has_memory(node))
			continue;
		snprintf(id, sizeof(id), "%d", cdm_node_get_id(node));
		err = cdmd_metrics_sample(t, "cdmd_node_total_bytes", cdm_node_get_mem_total(node),
					  "node", id, NULL);
	}
	return err;
}
