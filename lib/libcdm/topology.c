// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Nodes as the kernel describes them under <sysfs>/devices/system/node,
 * read once per context on first use:
 *
 *   online, has_memory, has_cpu        required node lists
 *   has_coherent_device                our kernel's CDM node state; absent
 *                                      on stock kernels => state "unknown"
 *   nodeN/cpulist, nodeN/distance      required per node
 *   nodeN/meminfo                      MemTotal read once, MemFree each time
 *   devices/virtual/memory_tiering/memory_tierN/nodelist   optional
 *
 * A missing or malformed required file fails the read with a message that
 * names the file; nothing is guessed.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define NODE_DIR "/devices/system/node"
#define TIER_DIR "/devices/virtual/memory_tiering"

static int read_nodelist(struct cdm_ctx *ctx, const char *name,
			 struct cdm_nodeset *set, bool optional)
{
	char path[PATH_MAX], buf[4096];
	int rc;

	rc = cdm__sysfs_path(ctx, path, sizeof(path), NODE_DIR "/%s", name);
	if (rc)
		return cdm__fail(ctx, -rc, "%s: path too long", name);
	rc = cdm__read_file(path, buf, sizeof(buf));
	if (rc == -ENOENT && optional)
		return -ENOENT;
	if (rc < 0)
		return cdm__fail(ctx, -rc, "%s: %s", path, strerror(-rc));
	if (cdm__nodeset_parse_plain(buf, set))
		return cdm__fail(ctx, EINVAL, "%s: malformed node list '%.32s'", path, buf);
	return 0;
}

static int count_cpus(long from, long to, void *data)
{
	if (to < from)
		return -EINVAL;
	*(int *)data += to - from + 1;
	return 0;
}

static int read_meminfo_field(struct cdm_node *node, const char *field,
			      unsigned long long *bytes)
{
	struct cdm_ctx *ctx = node->ctx;
	char path[PATH_MAX], buf[8192], *line, *save = NULL;
	unsigned long long kib;
	char name[64];
	int rc, id;

	rc = cdm__sysfs_path(ctx, path, sizeof(path), NODE_DIR "/node%d/meminfo", node->id);
	if (!rc)
		rc = cdm__read_file(path, buf, sizeof(buf));
	if (rc < 0)
		return cdm__fail(ctx, -rc, "node %d: %s: %s", node->id, path, strerror(-rc));
	/* "Node 1 MemTotal:        2097152 kB" */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "Node %d %63[^:]: %llu kB", &id, name, &kib) != 3)
			continue;
		if (id != node->id || strcmp(name, field))
			continue;
		if (kib > ULLONG_MAX / 1024)
			break;
		*bytes = kib * 1024;
		return 0;
	}
	return cdm__fail(ctx, EINVAL, "node %d: %s: no valid '%s' line", node->id, path, field);
}

static int read_distances(struct cdm_node *node)
{
	struct cdm_ctx *ctx = node->ctx;
	char path[PATH_MAX], buf[8192], *p, *end;
	int rc, other;
	long d;

	rc = cdm__sysfs_path(ctx, path, sizeof(path), NODE_DIR "/node%d/distance", node->id);
	if (!rc)
		rc = cdm__read_file(path, buf, sizeof(buf));
	if (rc < 0)
		return cdm__fail(ctx, -rc, "node %d: %s: %s", node->id, path, strerror(-rc));
	/* one entry per online node, in node order */
	for (other = -1, node->nr_distances = 0; (other = cdm_nodeset_next(&ctx->online, other)) >= 0;)
		node->nr_distances = other + 1;
	node->distances = malloc(node->nr_distances * sizeof(int));
	if (!node->distances)
		return cdm__fail(ctx, ENOMEM, "node %d: out of memory", node->id);
	for (other = 0; other < node->nr_distances; other++)
		node->distances[other] = -1;
	p = buf;
	cdm_nodeset_foreach(&ctx->online, other) {
		while (*p == ' ')
			p++;
		d = strtol(p, &end, 10);
		if (end == p || d < 0 || d > 255 || (*end && *end != ' '))
			return cdm__fail(ctx, EINVAL, "node %d: %s: malformed '%.32s'",
					 node->id, path, buf);
		node->distances[other] = d;
		p = end;
	}
	while (*p == ' ')
		p++;
	if (*p)
		return cdm__fail(ctx, EINVAL, "node %d: %s: more entries than online nodes",
				 node->id, path);
	return 0;
}

static void read_tiers(struct cdm_ctx *ctx)
{
	char path[PATH_MAX], buf[4096];
	struct cdm_nodeset set;
	struct cdm_node *node;
	struct dirent *de;
	DIR *dir;
	long tier;
	char *end;

	if (cdm__sysfs_path(ctx, path, sizeof(path), TIER_DIR))
		return;
	dir = opendir(path);
	if (!dir)
		return;		/* kernel without memory tiers: -ENOENT per node */
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "memory_tier", 11))
			continue;
		tier = strtol(de->d_name + 11, &end, 10);
		if (end == de->d_name + 11 || *end || tier < 0 || tier > INT_MAX)
			continue;
		if (cdm__sysfs_path(ctx, path, sizeof(path), TIER_DIR "/%s/nodelist", de->d_name) ||
		    cdm__read_file(path, buf, sizeof(buf)) < 0 ||
		    cdm__nodeset_parse_plain(buf, &set)) {
			cdm_info(ctx, "%s: unreadable, ignored", path);
			continue;
		}
		for (node = ctx->nodes; node; node = node->next)
			if (cdm_nodeset_has(&set, node->id))
				node->tier = tier;
	}
	closedir(dir);
}

static int read_node(struct cdm_ctx *ctx, int id, struct cdm_node **out)
{
	char path[PATH_MAX], buf[4096];
	struct cdm_node *node;
	const char *bad;
	int rc;

	node = calloc(1, sizeof(*node));
	if (!node)
		return cdm__fail(ctx, ENOMEM, "node %d: out of memory", id);
	*out = node;
	node->ctx = ctx;
	node->id = id;
	node->tier = -ENOENT;
	node->has_memory = cdm_nodeset_has(&ctx->memory, id);
	if (!ctx->coherent_known)
		node->cdm_state = CDM_NODE_STATE_UNKNOWN;
	else
		node->cdm_state = cdm_nodeset_has(&ctx->coherent, id) ?
			CDM_NODE_STATE_YES : CDM_NODE_STATE_NO;

	rc = cdm__sysfs_path(ctx, path, sizeof(path), NODE_DIR "/node%d/cpulist", id);
	if (!rc)
		rc = cdm__read_file(path, buf, sizeof(buf));
	if (rc < 0)
		return cdm__fail(ctx, -rc, "node %d: %s: %s", id, path, strerror(-rc));
	if (cdm__parse_list(buf, INT_MAX / 2, 0, count_cpus, &node->nr_cpus, &bad))
		return cdm__fail(ctx, EINVAL, "node %d: %s: malformed cpu list '%.32s'",
				 id, path, buf);
	if (!!node->nr_cpus != cdm_nodeset_has(&ctx->cpu, id))
		return cdm__fail(ctx, EINVAL, "node %d: cpulist '%.32s' disagrees with has_cpu",
				 id, buf);
	node->cpulist = strdup(buf);
	if (!node->cpulist)
		return cdm__fail(ctx, ENOMEM, "node %d: out of memory", id);

	rc = read_meminfo_field(node, "MemTotal", &node->mem_total);
	if (rc)
		return rc;
	rc = read_distances(node);
	if (rc)
		return rc;
	rc = cdm__sysfs_path(ctx, path, sizeof(path), NODE_DIR "/node%d", id);
	if (rc)
		return cdm__fail(ctx, -rc, "node %d: path too long", id);
	cdm__hmat_read(node, path);
	return 0;
}

int cdm__topology_read(struct cdm_ctx *ctx)
{
	struct cdm_node *node, **tail = &ctx->nodes;
	int rc, id;

	if (ctx->topology_read) {
		if (ctx->topology_err)
			cdm__relay_error(ctx, -ctx->topology_err, ctx->topology_msg);
		return ctx->topology_err;
	}
	ctx->topology_read = true;

	rc = read_nodelist(ctx, "online", &ctx->online, false);
	if (!rc)
		rc = read_nodelist(ctx, "has_memory", &ctx->memory, false);
	if (!rc)
		rc = read_nodelist(ctx, "has_cpu", &ctx->cpu, false);
	if (!rc) {
		rc = read_nodelist(ctx, "has_coherent_device", &ctx->coherent, true);
		ctx->coherent_known = rc == 0;
		if (rc == -ENOENT)
			rc = 0;
	}
	if (!rc && cdm_nodeset_weight(&ctx->online) == 0)
		rc = cdm__fail(ctx, EINVAL, "%s" NODE_DIR "/online: no node online", ctx->sysfs_root);
	cdm_nodeset_foreach(&ctx->online, id) {
		if (rc)
			break;
		node = NULL;
		rc = read_node(ctx, id, &node);
		if (node) {
			*tail = node;
			tail = &node->next;
		}
	}
	if (!rc)
		read_tiers(ctx);
	ctx->topology_err = rc;
	if (rc)
		snprintf(ctx->topology_msg, sizeof(ctx->topology_msg), "%s",
			 cdm_get_last_error(ctx));
	return rc;
}

int cdm__check_memory_node(struct cdm_ctx *ctx, int node)
{
	int rc = cdm__topology_read(ctx);

	if (rc)
		return rc;
	if (node < 0 || node >= CDM_MAX_NODES)
		return cdm__fail(ctx, EINVAL, "node %d: invalid node number", node);
	if (!cdm_nodeset_has(&ctx->online, node))
		return cdm__fail(ctx, ENODEV, "node %d: not online", node);
	if (!cdm_nodeset_has(&ctx->memory, node))
		return cdm__fail(ctx, ENOMEM, "node %d: has no memory", node);
	return 0;
}

CDM_EXPORT struct cdm_node *cdm_node_get_first(struct cdm_ctx *ctx)
{
	if (!ctx || cdm__topology_read(ctx))
		return NULL;
	return ctx->nodes;
}

CDM_EXPORT struct cdm_node *cdm_node_get_next(struct cdm_node *node)
{
	return node->next;
}

CDM_EXPORT struct cdm_node *cdm_node_get_by_id(struct cdm_ctx *ctx, int id)
{
	struct cdm_node *node;

	cdm_node_foreach(ctx, node)
		if (node->id == id)
			return node;
	if (!ctx->topology_err)
		cdm__fail(ctx, ENODEV, "node %d: not online", id);
	return NULL;
}

CDM_EXPORT int cdm_get_online_nodes(struct cdm_ctx *ctx, struct cdm_nodeset *set)
{
	int rc = cdm__topology_read(ctx);

	if (!rc)
		*set = ctx->online;
	return rc;
}

CDM_EXPORT int cdm_get_memory_nodes(struct cdm_ctx *ctx, struct cdm_nodeset *set)
{
	int rc = cdm__topology_read(ctx);

	if (!rc)
		*set = ctx->memory;
	return rc;
}

CDM_EXPORT struct cdm_ctx *cdm_node_get_ctx(struct cdm_node *node)
{
	return node->ctx;
}

CDM_EXPORT int cdm_node_get_id(struct cdm_node *node)
{
	return node->id;
}

CDM_EXPORT const char *cdm_node_get_cpulist(struct cdm_node *node)
{
	return node->cpulist;
}

CDM_EXPORT int cdm_node_get_nr_cpus(struct cdm_node *node)
{
	return node->nr_cpus;
}

CDM_EXPORT bool cdm_node_is_cpuless(struct cdm_node *node)
{
	return node->nr_cpus == 0;
}

CDM_EXPORT bool cdm_node_has_memory(struct cdm_node *node)
{
	return node->has_memory;
}

CDM_EXPORT enum cdm_node_state cdm_node_get_cdm_state(struct cdm_node *node)
{
	return node->cdm_state;
}

CDM_EXPORT const char *cdm_node_state_name(enum cdm_node_state state)
{
	switch (state) {
	case CDM_NODE_STATE_YES:
		return "yes";
	case CDM_NODE_STATE_NO:
		return "no";
	default:
		return "unknown";
	}
}

CDM_EXPORT unsigned long long cdm_node_get_mem_total(struct cdm_node *node)
{
	return node->mem_total;
}

CDM_EXPORT unsigned long long cdm_node_get_mem_free(struct cdm_node *node)
{
	unsigned long long bytes;

	if (read_meminfo_field(node, "MemFree", &bytes))
		return 0;
	return bytes;
}

CDM_EXPORT int cdm_node_get_distance(struct cdm_node *node, int to)
{
	if (to < 0 || to >= node->nr_distances || node->distances[to] < 0)
		return cdm__fail(node->ctx, ENOENT, "node %d: no distance to node %d",
				 node->id, to);
	return node->distances[to];
}

CDM_EXPORT int cdm_node_get_memory_tier(struct cdm_node *node)
{
	return node->tier;
}
