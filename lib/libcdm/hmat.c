// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * HMAT access attributes (Documentation/admin-guide/mm/numaperf.rst):
 *
 *   nodeN/access0/initiators/{read,write}_{bandwidth,latency}
 *   nodeN/access0/initiators/nodeM -> the initiators of that class
 *
 * access0 is the best performance from any initiator, access1 from CPU
 * initiators only. Bandwidth in MiB/s, latency in ns. All optional:
 * firmware without HMAT has none, and then the getters say -ENOENT. The
 * kernel makes the four files of a class together (node_set_perf_attrs())
 * and shows 0 for a value the firmware does not give (HMAT with latencies
 * only): 0 is no measurement, so it reads as absent too.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

static long read_attr(struct cdm_ctx *ctx, int id, const char *dir, const char *name)
{
	char path[PATH_MAX];
	long val;
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	rc = cdm__read_long(path, &val);
	if (rc == -ENOENT)
		return rc;
	if (rc || val < 0) {
		cdm_info(ctx, "node %d: %s: malformed (its getter says -EINVAL)", id, path);
		return -EINVAL;
	}
	return val ? val : -ENOENT;
}

static char *read_initiators(const char *dir)
{
	struct cdm_nodeset set;
	struct dirent *de;
	char buf[1024];
	char *end;
	long id;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return NULL;
	cdm_nodeset_zero(&set);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "node", 4))
			continue;
		id = strtol(de->d_name + 4, &end, 10);
		if (end != de->d_name + 4 && !*end)
			cdm_nodeset_add(&set, id);
	}
	closedir(d);
	if (!cdm_nodeset_weight(&set) || cdm_nodeset_format(&set, buf, sizeof(buf)) < 0)
		return NULL;
	return strdup(buf);
}

void cdm__hmat_read(struct cdm_ctx *ctx, int id, struct cdm_node_info *info,
		    const char *nodedir)
{
	char dir[PATH_MAX];
	int access;

	for (access = 0; access < 2; access++) {
		info->read_bw[access] = info->write_bw[access] = -ENOENT;
		info->read_lat[access] = info->write_lat[access] = -ENOENT;
		if (snprintf(dir, sizeof(dir), "%s/access%d/initiators", nodedir, access) >=
		    (int)sizeof(dir))
			continue;
		info->read_bw[access] = read_attr(ctx, id, dir, "read_bandwidth");
		info->write_bw[access] = read_attr(ctx, id, dir, "write_bandwidth");
		info->read_lat[access] = read_attr(ctx, id, dir, "read_latency");
		info->write_lat[access] = read_attr(ctx, id, dir, "write_latency");
		info->initiators[access] = read_initiators(dir);
	}
}

bool cdm__hmat_equal(const struct cdm_node_info *a, const struct cdm_node_info *b)
{
	int i;

	for (i = 0; i < 2; i++)
		if (a->read_bw[i] != b->read_bw[i] || a->write_bw[i] != b->write_bw[i] ||
		    a->read_lat[i] != b->read_lat[i] || a->write_lat[i] != b->write_lat[i] ||
		    !cdm__same_string(a->initiators[i], b->initiators[i]))
			return false;
	return true;
}

/* 0, or -EINVAL with a message for an access class that does not exist */
static int check_access(struct cdm_node *node, unsigned int access)
{
	if (access > 1)
		return cdm__fail(node->ctx, EINVAL, "node %d: access class %u: only 0 and 1 exist",
				 node->id, access);
	return 0;
}

/* A value of @vals (one per access class: the value, or -ENOENT/-EINVAL
 * as read) into *@out; *@out untouched on failure */
static int hmat_get(struct cdm_node *node, const long *vals, unsigned int access,
		    const char *what, unsigned long long *out)
{
	int rc = check_access(node, access);

	if (rc)
		return rc;
	if (!out)
		return cdm__fail(node->ctx, EINVAL,
				 "node %d: access%u: %s: NULL pointer for the value",
				 node->id, access, what);
	if (vals[access] == -EINVAL)
		return cdm__fail(node->ctx, EINVAL, "node %d: access%u: %s: malformed",
				 node->id, access, what);
	if (vals[access] < 0)
		return cdm__fail(node->ctx, -vals[access], "node %d: access%u: no %s",
				 node->id, access, what);
	*out = vals[access];
	return 0;
}

/* cdm_node_get_read_bandwidth(), _write_bandwidth(), _read_latency(),
 * _write_latency(): the values of read_bw, ... (libcdm.h) */
#define HMAT_GETTER(name, field)						\
CDM_EXPORT int cdm_node_get_##name(struct cdm_node *node, unsigned int access,	\
				   unsigned long long *value)			\
{										\
	return hmat_get(node, cdm__node_info(node)->field, access, #name, value);	\
}

HMAT_GETTER(read_bandwidth, read_bw)
HMAT_GETTER(write_bandwidth, write_bw)
HMAT_GETTER(read_latency, read_lat)
HMAT_GETTER(write_latency, write_lat)

CDM_EXPORT const char *cdm_node_get_initiators(struct cdm_node *node, unsigned int access)
{
	cdm__clear_error(node->ctx);
	if (check_access(node, access))
		return NULL;
	return cdm__node_info(node)->initiators[access];
}
