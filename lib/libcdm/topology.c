// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Nodes as the kernel describes them under <sysfs>/devices/system/node,
 * read on first use and again by cdm_refresh():
 *
 *   online, has_memory, has_cpu        required node lists
 *   has_coherent_device                our kernel's CDM node state; absent
 *                                      on stock kernels => state "unknown"
 *   nodeN/cpulist, nodeN/distance      required per node
 *   nodeN/meminfo                      MemTotal at each read, MemFree each time
 *   devices/virtual/memory_tiering/memory_tierN/nodelist   optional
 *
 * A missing or malformed required file fails the read with a message that
 * names the file; nothing is guessed. A read is all or nothing: one that
 * fails (a node caught half-way through a hot-add) leaves the topology of
 * the last one that succeeded; only when none ever did is its error kept,
 * and repeated by every call until a refresh succeeds.
 *
 * A node id has one struct cdm_node for the life of the context, made
 * when a read first finds it online: a refresh that finds it gone marks
 * it offline (the iterators pass over it), one that finds it back marks
 * it online again. What a read finds of a node is a struct
 * cdm_node_info, published whole; see private.h for why none is freed
 * before the context.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
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

static int read_meminfo_field(struct cdm_ctx *ctx, int id, const char *field,
			      unsigned long long *bytes)
{
	char path[PATH_MAX], buf[8192], *line, *save = NULL;
	unsigned long long kib;
	char name[64];
	int rc, nid;

	rc = cdm__sysfs_path(ctx, path, sizeof(path), NODE_DIR "/node%d/meminfo", id);
	if (!rc)
		rc = cdm__read_file(path, buf, sizeof(buf));
	if (rc < 0)
		return cdm__fail(ctx, -rc, "node %d: %s: %s", id, path, strerror(-rc));
	/* "Node 1 MemTotal:        2097152 kB" */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "Node %d %63[^:]: %llu kB", &nid, name, &kib) != 3)
			continue;
		if (nid != id || strcmp(name, field))
			continue;
		if (kib > ULLONG_MAX / 1024)
			break;
		*bytes = kib * 1024;
		return 0;
	}
	return cdm__fail(ctx, EINVAL, "node %d: %s: no valid '%s' line", id, path, field);
}

/* nodeN/distance: one entry per node online in @t, in node order */
static int read_distances(struct cdm_ctx *ctx, const struct cdm_topology *t, int id,
			  struct cdm_node_info *info)
{
	char path[PATH_MAX], buf[8192], *p, *end;
	int rc, other;
	long d;

	rc = cdm__sysfs_path(ctx, path, sizeof(path), NODE_DIR "/node%d/distance", id);
	if (!rc)
		rc = cdm__read_file(path, buf, sizeof(buf));
	if (rc < 0)
		return cdm__fail(ctx, -rc, "node %d: %s: %s", id, path, strerror(-rc));
	info->nr_distances = 0;
	cdm_nodeset_foreach(&t->online, other)
		info->nr_distances = other + 1;
	info->distances = malloc(info->nr_distances * sizeof(int));
	if (!info->distances)
		return cdm__fail(ctx, ENOMEM, "node %d: out of memory", id);
	for (other = 0; other < info->nr_distances; other++)
		info->distances[other] = -1;
	p = buf;
	cdm_nodeset_foreach(&t->online, other) {
		while (*p == ' ')
			p++;
		d = strtol(p, &end, 10);
		if (end == p || d < 0 || d > 255 || (*end && *end != ' '))
			return cdm__fail(ctx, EINVAL, "node %d: %s: malformed '%.32s'",
					 id, path, buf);
		info->distances[other] = d;
		p = end;
	}
	while (*p == ' ')
		p++;
	if (*p)
		return cdm__fail(ctx, EINVAL, "node %d: %s: more entries than online nodes",
				 id, path);
	return 0;
}

/* @infos: indexed by node id, NULL for the nodes not online */
static void read_tiers(struct cdm_ctx *ctx, struct cdm_node_info **infos)
{
	char path[PATH_MAX], buf[4096];
	struct cdm_nodeset set;
	struct dirent *de;
	DIR *dir;
	long tier;
	char *end;
	int id;

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
		cdm_nodeset_foreach(&set, id)
			if (infos[id])
				infos[id]->tier = tier;
	}
	closedir(dir);
}

static void info_free(struct cdm_node_info *info)
{
	if (!info)
		return;
	free(info->cpulist);
	free(info->distances);
	free(info->initiators[0]);
	free(info->initiators[1]);
	free(info);
}

static bool info_equal(const struct cdm_node_info *a, const struct cdm_node_info *b)
{
	return !strcmp(a->cpulist, b->cpulist) && a->nr_cpus == b->nr_cpus &&
	       a->has_memory == b->has_memory && a->cdm_state == b->cdm_state &&
	       a->mem_total == b->mem_total && a->tier == b->tier &&
	       a->nr_distances == b->nr_distances &&
	       !memcmp(a->distances, b->distances, a->nr_distances * sizeof(int)) &&
	       cdm__hmat_equal(a, b);
}

static int read_info(struct cdm_ctx *ctx, const struct cdm_topology *t, int id,
		     struct cdm_node_info **out)
{
	char path[PATH_MAX], buf[4096];
	struct cdm_node_info *info;
	const char *bad;
	int rc;

	info = calloc(1, sizeof(*info));
	if (!info)
		return cdm__fail(ctx, ENOMEM, "node %d: out of memory", id);
	*out = info;
	info->tier = -ENOENT;
	info->has_memory = cdm_nodeset_has(&t->memory, id);
	if (!t->coherent_known)
		info->cdm_state = CDM_NODE_STATE_UNKNOWN;
	else
		info->cdm_state = cdm_nodeset_has(&t->coherent, id) ?
			CDM_NODE_STATE_YES : CDM_NODE_STATE_NO;

	rc = cdm__sysfs_path(ctx, path, sizeof(path), NODE_DIR "/node%d/cpulist", id);
	if (!rc)
		rc = cdm__read_file(path, buf, sizeof(buf));
	if (rc < 0)
		return cdm__fail(ctx, -rc, "node %d: %s: %s", id, path, strerror(-rc));
	if (cdm__parse_list(buf, INT_MAX / 2, 0, count_cpus, &info->nr_cpus, &bad))
		return cdm__fail(ctx, EINVAL, "node %d: %s: malformed cpu list '%.32s'",
				 id, path, buf);
	if (!!info->nr_cpus != cdm_nodeset_has(&t->cpu, id))
		return cdm__fail(ctx, EINVAL, "node %d: cpulist '%.32s' disagrees with has_cpu",
				 id, buf);
	info->cpulist = strdup(buf);
	if (!info->cpulist)
		return cdm__fail(ctx, ENOMEM, "node %d: out of memory", id);

	rc = read_meminfo_field(ctx, id, "MemTotal", &info->mem_total);
	if (rc)
		return rc;
	rc = read_distances(ctx, t, id, info);
	if (rc)
		return rc;
	rc = cdm__sysfs_path(ctx, path, sizeof(path), NODE_DIR "/node%d", id);
	if (rc)
		return cdm__fail(ctx, -rc, "node %d: path too long", id);
	cdm__hmat_read(ctx, id, info, path);
	return 0;
}

static int read_lists(struct cdm_ctx *ctx, struct cdm_topology *t)
{
	int rc;

	rc = read_nodelist(ctx, "online", &t->online, false);
	if (!rc)
		rc = read_nodelist(ctx, "has_memory", &t->memory, false);
	if (!rc)
		rc = read_nodelist(ctx, "has_cpu", &t->cpu, false);
	if (!rc) {
		rc = read_nodelist(ctx, "has_coherent_device", &t->coherent, true);
		t->coherent_known = rc == 0;
		if (rc == -ENOENT)
			rc = 0;
	}
	if (!rc && cdm_nodeset_weight(&t->online) == 0)
		rc = cdm__fail(ctx, EINVAL, "%s" NODE_DIR "/online: no node online", ctx->sysfs_root);
	return rc;
}

static bool topology_equal(const struct cdm_topology *a, const struct cdm_topology *b)
{
	return !a->err && !b->err && a->coherent_known == b->coherent_known &&
	       !memcmp(&a->online, &b->online, sizeof(a->online)) &&
	       !memcmp(&a->memory, &b->memory, sizeof(a->memory)) &&
	       !memcmp(&a->cpu, &b->cpu, sizeof(a->cpu)) &&
	       !memcmp(&a->coherent, &b->coherent, sizeof(a->coherent));
}

/* The object of node @id, online or not; NULL when no read found it */
static struct cdm_node *node_find(struct cdm_ctx *ctx, int id)
{
	struct cdm_node *node = __atomic_load_n(&ctx->nodes, __ATOMIC_ACQUIRE);

	while (node && node->id < id)
		node = __atomic_load_n(&node->next, __ATOMIC_ACQUIRE);
	return node && node->id == id ? node : NULL;
}

/* Link a whole new node in id order: readers walking the list see it
 * or not, never half of it. Under topology_lock. */
static void node_insert(struct cdm_ctx *ctx, struct cdm_node *node)
{
	struct cdm_node **link = &ctx->nodes;

	while (*link && (*link)->id < node->id)
		link = &(*link)->next;
	node->next = *link;
	__atomic_store_n(link, node, __ATOMIC_RELEASE);
}

static void node_set_info(struct cdm_node *node, struct cdm_node_info *info)
{
	struct cdm_node_info *cur = node->info;

	if (cur && info_equal(cur, info)) {
		info_free(info);	/* nothing changed: the caller's pointers stay current */
		return;
	}
	info->older = cur;
	__atomic_store_n(&node->info, info, __ATOMIC_RELEASE);
}

/*
 * Read the node lists and every online node; when all of it reads,
 * publish it: new node objects linked in, changed infos replaced, nodes
 * no longer online marked so, backing devices to be probed again. When
 * it fails, publish only the error, and only if no read ever succeeded.
 * Under topology_lock.
 */
static int topology_update(struct cdm_ctx *ctx)
{
	struct cdm_topology *cur = ctx->topology, *t;
	struct cdm_node **fresh = NULL, *node;
	struct cdm_node_info **infos = NULL;
	int rc, id;

	t = calloc(1, sizeof(*t));
	infos = calloc(CDM_MAX_NODES, sizeof(*infos));
	fresh = calloc(CDM_MAX_NODES, sizeof(*fresh));
	if (!t || !infos || !fresh) {
		rc = cdm__fail(ctx, ENOMEM, "topology: out of memory");
		goto out;
	}
	rc = read_lists(ctx, t);
	cdm_nodeset_foreach(&t->online, id) {
		if (rc)
			break;
		rc = read_info(ctx, t, id, &infos[id]);
		if (!rc && !node_find(ctx, id)) {
			fresh[id] = calloc(1, sizeof(*fresh[id]));
			if (!fresh[id])
				rc = cdm__fail(ctx, ENOMEM, "node %d: out of memory", id);
		}
	}
	if (rc) {
		if (!cur || cur->err) {
			t->err = rc;
			snprintf(t->msg, sizeof(t->msg), "%s", cdm_get_last_error(ctx));
			t->older = cur;
			__atomic_store_n(&ctx->topology, t, __ATOMIC_RELEASE);
			t = NULL;
		}
		goto out;
	}
	read_tiers(ctx, infos);

	cdm_nodeset_foreach(&t->online, id) {
		node = fresh[id];
		if (node) {
			node->ctx = ctx;
			node->id = id;
			node->info = infos[id];
			node->online = true;
			node_insert(ctx, node);
			fresh[id] = NULL;
		} else {
			node = node_find(ctx, id);
			node_set_info(node, infos[id]);
			__atomic_store_n(&node->online, true, __ATOMIC_RELEASE);
		}
		infos[id] = NULL;
	}
	for (node = ctx->nodes; node; node = node->next)
		if (!cdm_nodeset_has(&t->online, node->id))
			__atomic_store_n(&node->online, false, __ATOMIC_RELEASE);
	if (cur && topology_equal(cur, t)) {
		free(t);
	} else {
		t->older = cur;
		__atomic_store_n(&ctx->topology, t, __ATOMIC_RELEASE);
	}
	t = NULL;
	__atomic_store_n(&ctx->backings_probed, false, __ATOMIC_RELEASE);
out:
	for (id = 0; infos && id < CDM_MAX_NODES; id++)
		info_free(infos[id]);
	for (id = 0; fresh && id < CDM_MAX_NODES; id++)
		free(fresh[id]);
	free(infos);
	free(fresh);
	free(t);
	return rc;
}

int cdm__topology_read(struct cdm_ctx *ctx)
{
	struct cdm_topology *t = __atomic_load_n(&ctx->topology, __ATOMIC_ACQUIRE);
	int rc = 0;

	if (!t) {
		/* first use: one thread reads, the others wait for it */
		pthread_mutex_lock(&ctx->topology_lock);
		if (!ctx->topology)
			rc = topology_update(ctx);
		t = ctx->topology;
		pthread_mutex_unlock(&ctx->topology_lock);
		if (rc || !t)
			return rc;	/* this thread's read: its message is set */
	}
	if (t->err)
		return cdm__relay_error(ctx, -t->err, t->msg);
	return 0;
}

const struct cdm_topology *cdm__topology(struct cdm_ctx *ctx)
{
	return __atomic_load_n(&ctx->topology, __ATOMIC_ACQUIRE);
}

void cdm__topology_free(struct cdm_ctx *ctx)
{
	struct cdm_node_info *info, *older_info;
	struct cdm_topology *t, *older;
	struct cdm_node *node, *next;

	cdm__backings_free_all(ctx);
	for (node = ctx->nodes; node; node = next) {
		next = node->next;
		for (info = node->info; info; info = older_info) {
			older_info = info->older;
			info_free(info);
		}
		free(node);
	}
	ctx->nodes = NULL;
	for (t = ctx->topology; t; t = older) {
		older = t->older;
		free(t);
	}
	ctx->topology = NULL;
}

CDM_EXPORT int cdm_refresh(struct cdm_ctx *ctx)
{
	int rc;

	if (!ctx)
		return -EINVAL;
	pthread_mutex_lock(&ctx->topology_lock);
	rc = topology_update(ctx);
	pthread_mutex_unlock(&ctx->topology_lock);
	return rc;
}

int cdm__check_memory_node(struct cdm_ctx *ctx, int node)
{
	const struct cdm_topology *t;
	int rc = cdm__topology_read(ctx);

	if (rc)
		return rc;
	t = cdm__topology(ctx);
	if (node < 0 || node >= CDM_MAX_NODES)
		return cdm__fail(ctx, EINVAL, "node %d: invalid node number", node);
	if (!cdm_nodeset_has(&t->online, node))
		return cdm__fail(ctx, ENODEV, "node %d: not online", node);
	if (!cdm_nodeset_has(&t->memory, node))
		return cdm__fail(ctx, ENOMEM, "node %d: has no memory", node);
	return 0;
}

/* @node or the first online node after it */
static struct cdm_node *online_from(struct cdm_node *node)
{
	while (node && !__atomic_load_n(&node->online, __ATOMIC_ACQUIRE))
		node = __atomic_load_n(&node->next, __ATOMIC_ACQUIRE);
	return node;
}

CDM_EXPORT struct cdm_node *cdm_node_get_first(struct cdm_ctx *ctx)
{
	if (!ctx || cdm__topology_read(ctx))
		return NULL;
	return online_from(__atomic_load_n(&ctx->nodes, __ATOMIC_ACQUIRE));
}

CDM_EXPORT struct cdm_node *cdm_node_get_next(struct cdm_node *node)
{
	if (!node)
		return NULL;
	return online_from(__atomic_load_n(&node->next, __ATOMIC_ACQUIRE));
}

CDM_EXPORT struct cdm_node *cdm_node_get_by_id(struct cdm_ctx *ctx, int id)
{
	struct cdm_node *node;

	if (!ctx || cdm__topology_read(ctx))
		return NULL;
	node = node_find(ctx, id);
	if (node && __atomic_load_n(&node->online, __ATOMIC_ACQUIRE))
		return node;
	cdm__fail(ctx, ENODEV, "node %d: not online", id);
	return NULL;
}

CDM_EXPORT int cdm_get_online_nodes(struct cdm_ctx *ctx, struct cdm_nodeset *set)
{
	int rc = cdm__topology_read(ctx);

	if (!rc)
		*set = cdm__topology(ctx)->online;
	return rc;
}

CDM_EXPORT int cdm_get_memory_nodes(struct cdm_ctx *ctx, struct cdm_nodeset *set)
{
	int rc = cdm__topology_read(ctx);

	if (!rc)
		*set = cdm__topology(ctx)->memory;
	return rc;
}

/*
 * The kernel allocates a page a thread moves within the thread's cpuset:
 * Mems_allowed_list of /proc/self/status (the calling thread's), and
 * nodes with memory. A fake machine (CDM_SYSFS_ROOT) has no cpusets:
 * there it is every node with memory.
 */
CDM_EXPORT int cdm_get_allowed_nodes(struct cdm_ctx *ctx, struct cdm_nodeset *set)
{
	static const char key[] = "Mems_allowed_list:";
	struct cdm_nodeset mems, memory;
	char line[4096];
	bool found = false;
	int rc, node;
	FILE *f;

	if (!ctx || !set)
		return -EINVAL;
	rc = cdm_get_memory_nodes(ctx, &memory);
	if (rc || !ctx->sysfs_is_real) {
		if (!rc)
			*set = memory;
		return rc;
	}
	f = fopen("/proc/thread-self/status", "re");
	if (!f)
		return cdm__fail(ctx, errno, "/proc/thread-self/status: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, sizeof(key) - 1)) {
			found = true;
			break;
		}
	fclose(f);
	if (!found)
		return cdm__fail(ctx, ENOENT, "/proc/thread-self/status: no %s line", key);
	line[strcspn(line, "\n")] = '\0';
	if (cdm__nodeset_parse_plain(line + sizeof(key) - 1 + strspn(line + sizeof(key) - 1, " \t"),
				     &mems))
		return cdm__fail(ctx, EINVAL, "/proc/thread-self/status: %s '%s': not a node list",
				 key, line + sizeof(key) - 1);
	cdm_nodeset_zero(set);
	cdm_nodeset_foreach(&mems, node)
		if (cdm_nodeset_has(&memory, node))
			cdm_nodeset_add(set, node);
	return 0;
}

CDM_EXPORT struct cdm_ctx *cdm_node_get_ctx(struct cdm_node *node)
{
	return node->ctx;
}

CDM_EXPORT int cdm_node_get_id(struct cdm_node *node)
{
	return node->id;
}

CDM_EXPORT bool cdm_node_is_online(struct cdm_node *node)
{
	return __atomic_load_n(&node->online, __ATOMIC_ACQUIRE);
}

CDM_EXPORT const char *cdm_node_get_cpulist(struct cdm_node *node)
{
	return cdm__node_info(node)->cpulist;
}

CDM_EXPORT int cdm_node_get_nr_cpus(struct cdm_node *node)
{
	return cdm__node_info(node)->nr_cpus;
}

CDM_EXPORT bool cdm_node_is_cpuless(struct cdm_node *node)
{
	return cdm__node_info(node)->nr_cpus == 0;
}

CDM_EXPORT bool cdm_node_has_memory(struct cdm_node *node)
{
	return cdm__node_info(node)->has_memory;
}

CDM_EXPORT enum cdm_node_state cdm_node_get_cdm_state(struct cdm_node *node)
{
	return cdm__node_info(node)->cdm_state;
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
	return cdm__node_info(node)->mem_total;
}

CDM_EXPORT int cdm_node_get_mem_free(struct cdm_node *node, unsigned long long *bytes)
{
	if (!bytes)
		return cdm__fail(node->ctx, EINVAL, "node %d: MemFree: NULL pointer for the value",
				 node->id);
	return read_meminfo_field(node->ctx, node->id, "MemFree", bytes);
}

CDM_EXPORT int cdm_node_get_distance(struct cdm_node *node, int to)
{
	const struct cdm_node_info *info = cdm__node_info(node);

	if (to < 0 || to >= info->nr_distances || info->distances[to] < 0)
		return cdm__fail(node->ctx, ENOENT, "node %d: no distance to node %d",
				 node->id, to);
	return info->distances[to];
}

CDM_EXPORT int cdm_node_get_memory_tier(struct cdm_node *node)
{
	int tier = cdm__node_info(node)->tier;

	if (tier < 0)
		return cdm__fail(node->ctx, -tier, "node %d: in no memory tier", node->id);
	return tier;
}
