// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Weighted interleave's node weights, system-wide, under the context's
 * sysfs root (a fake tree in host tests):
 *
 *   kernel/mm/mempolicy/weighted_interleave/   Linux 6.9; absent before
 *     nodeN    1..255: pages node N takes per round of
 *              CDM_POLICY_WEIGHTED_INTERLEAVE; only root writes it
 *     auto     Linux 6.16: "true" while the kernel sets the weights from
 *              HMAT bandwidths; a weight written turns it "false"
 *
 * Read anew on every call: another program, or the kernel on hotplug in
 * auto mode, may change them at any time. A weight is checked before
 * anything is written: 0 read "back to the default" before Linux 6.16 and
 * is EINVAL since, so libcdm refuses it everywhere.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "private.h"

#define WI_DIR "/kernel/mm/mempolicy/weighted_interleave"
#define WEIGHT_MAX 255

/*
 * nodeN's path in *@path once the directory is there; else -errno, said.
 * Nodes are reached through their getters: topology.c owns their layout.
 */
static int weight_path(struct cdm_node *node, char *path, size_t len)
{
	struct cdm_ctx *ctx = cdm_node_get_ctx(node);
	int rc, id = cdm_node_get_id(node);
	struct stat st;

	rc = cdm__sysfs_path(ctx, path, len, WI_DIR);
	if (rc)
		return cdm__fail(ctx, -rc, "node %d: sysfs root too long", id);
	if (stat(path, &st)) {
		rc = errno;
		if (rc == ENOENT || rc == ENOTDIR)
			return cdm__fail(ctx, EOPNOTSUPP, "node %d: kernel has no weighted "
					 "interleave (Linux 6.9)", id);
		return cdm__fail(ctx, rc, "node %d: %s: %s", id, path, strerror(rc));
	}
	rc = cdm__sysfs_path(ctx, path, len, WI_DIR "/node%d", id);
	if (rc)
		return cdm__fail(ctx, -rc, "node %d: sysfs root too long", id);
	return 0;
}

/* no nodeN: since Linux 6.16 the kernel lists nodes with memory only */
static int no_weight(struct cdm_node *node, const char *path)
{
	return cdm__fail(cdm_node_get_ctx(node), ENOENT,
			 "node %d: no weighted-interleave weight (%s)%s", cdm_node_get_id(node),
			 path, cdm_node_has_memory(node) ? "" : ": the node has no memory");
}

CDM_EXPORT int cdm_node_get_interleave_weight(struct cdm_node *node)
{
	struct cdm_ctx *ctx;
	char path[PATH_MAX];
	long weight;
	int rc, id;

	if (!node)
		return -EINVAL;
	ctx = cdm_node_get_ctx(node);
	id = cdm_node_get_id(node);
	cdm__clear_error(ctx);
	rc = weight_path(node, path, sizeof(path));
	if (rc)
		return rc;
	rc = cdm__read_long(path, &weight);
	if (rc == -ENOENT)
		return no_weight(node, path);
	if (!rc && (weight < 1 || weight > WEIGHT_MAX))
		rc = -EINVAL;
	if (rc == -EINVAL || rc == -ERANGE)
		return cdm__fail(ctx, EINVAL, "node %d: %s: malformed (not a weight 1-%d)", id,
				 path, WEIGHT_MAX);
	if (rc)
		return cdm__fail(ctx, -rc, "node %d: %s: %s", id, path, strerror(-rc));
	return weight;
}

CDM_EXPORT int cdm_node_set_interleave_weight(struct cdm_node *node, unsigned int weight)
{
	struct cdm_ctx *ctx;
	char path[PATH_MAX], buf[8];
	int rc, id;

	if (!node)
		return -EINVAL;
	ctx = cdm_node_get_ctx(node);
	id = cdm_node_get_id(node);
	cdm__clear_error(ctx);
	if (weight < 1 || weight > WEIGHT_MAX)
		return cdm__fail(ctx, ERANGE, "node %d: interleave weight %u outside 1-%d", id,
				 weight, WEIGHT_MAX);
	rc = weight_path(node, path, sizeof(path));
	if (rc)
		return rc;
	snprintf(buf, sizeof(buf), "%u\n", weight);
	rc = cdm__write_file(path, buf);
	if (rc == -ENOENT)
		return no_weight(node, path);
	if (rc == -EACCES || rc == -EPERM)
		return cdm__fail(ctx, -rc, "node %d: %s: %s (writing weights needs root)", id,
				 path, strerror(-rc));
	if (rc)
		return cdm__fail(ctx, -rc, "node %d: writing %u to %s: %s", id, weight, path,
				 strerror(-rc));
	return 0;
}
