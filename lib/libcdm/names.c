// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Node names: an administrator's label for a node ("hbm0", "cxl-a"),
 * given when its memory comes online (cdmctl online --node-name) and shown
 * with it. The kernel has none for NUMA nodes, and node ids last one
 * boot, so the names live in a directory under /run: one file per node,
 * "nodeN", holding the name. CDM_NODE_NAMES names another directory
 * (tests). A name is written whole (a temporary file renamed over the
 * node's), so a reader never sees half of one; two callers naming two
 * nodes alike at the same moment can both succeed, the only race left.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"

#define NODE_NAMES_DIR	"/run/cdm/node-names"
#define NAME_MAX_LEN	31

static const char *names_dir(void)
{
	const char *dir = secure_getenv("CDM_NODE_NAMES");

	return dir && *dir ? dir : NODE_NAMES_DIR;
}

static bool name_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return !first && ((c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.');
}

CDM_EXPORT int cdm_check_node_name(struct cdm_ctx *ctx, const char *name)
{
	size_t i;

	cdm__clear_error(ctx);
	if (!name)
		return cdm__fail(ctx, EINVAL, "no node name given");
	for (i = 0; name[i] && i < NAME_MAX_LEN; i++)
		if (!name_char(name[i], i == 0))
			break;
	if (!i || name[i]) {
		char buf[48];

		return cdm__fail(ctx, EINVAL, "'%s': not a node name (a letter, then up to %d "
				 "letters, digits, '-', '_' or '.')", cdm__shown(name, buf, sizeof(buf)),
				 NAME_MAX_LEN - 1);
	}
	return 0;
}

static int node_path(char *buf, size_t len, int node)
{
	return snprintf(buf, len, "%s/node%d", names_dir(), node) < (int)len ? 0 : -ENAMETOOLONG;
}

/* @node's name into @buf: 0; -ENOENT when it has none */
static int read_name(int node, char *buf, size_t len)
{
	char path[PATH_MAX];
	int rc;

	rc = node_path(path, sizeof(path), node);
	if (!rc)
		rc = cdm__read_file(path, buf, len);
	return rc < 0 ? rc : 0;
}

CDM_EXPORT int cdm_get_node_name(struct cdm_ctx *ctx, int node, char *buf, size_t len)
{
	int rc;

	cdm__clear_error(ctx);
	if (node < 0 || node >= CDM_MAX_NODES || !buf || len < NAME_MAX_LEN + 1)
		return cdm__fail(ctx, EINVAL, "node %d: bad arguments for its name", node);
	rc = read_name(node, buf, len);
	if (rc == -ENOENT)
		return rc;		/* no name: not an error to say */
	if (!rc && cdm_check_node_name(ctx, buf))
		rc = -EINVAL;		/* a file not written by libcdm */
	if (rc)
		return cdm__fail(ctx, -rc, "node %d: its name in %s: %s", node, names_dir(),
				 strerror(-rc));
	return 0;
}

CDM_EXPORT int cdm_get_node_by_name(struct cdm_ctx *ctx, const char *name)
{
	char other[NAME_MAX_LEN + 2], *end;
	struct dirent *d;
	int found = -1, rc;
	DIR *dir;
	long node;

	rc = cdm_check_node_name(ctx, name);
	if (rc)
		return rc;
	/* the files there, not every possible node id */
	dir = opendir(names_dir());
	while (dir && found < 0 && (d = readdir(dir))) {
		if (strncmp(d->d_name, "node", 4))
			continue;
		node = strtol(d->d_name + 4, &end, 10);
		if (end == d->d_name + 4 || *end || node < 0 || node >= CDM_MAX_NODES)
			continue;	/* a temporary file, or not libcdm's */
		if (!read_name(node, other, sizeof(other)) && !strcmp(other, name))
			found = node;
	}
	if (dir)
		closedir(dir);
	if (found >= 0)
		return found;
	return cdm__fail(ctx, ENOENT, "no node is named '%s'", name);
}

/* Make @dir and its parents up to an existing one, mode 0755 */
static int make_dirs(const char *dir)
{
	char path[PATH_MAX], *p;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(path, 0755) && errno != EEXIST ? -errno : 0;
}

CDM_EXPORT int cdm_set_node_name(struct cdm_ctx *ctx, int node, const char *name)
{
	char path[PATH_MAX], tmp[PATH_MAX], line[NAME_MAX_LEN + 2];
	int other, rc;

	if (node < 0 || node >= CDM_MAX_NODES)
		return cdm__fail(ctx, EINVAL, "node %d: no such node id", node);
	if (node_path(path, sizeof(path), node) ||
	    snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return cdm__fail(ctx, ENAMETOOLONG, "%s: path too long", names_dir());
	if (!name) {			/* forget it */
		if (unlink(path) && errno != ENOENT)
			return cdm__fail(ctx, errno, "node %d: removing %s: %s", node, path,
					 strerror(errno));
		cdm__clear_error(ctx);
		return 0;
	}
	rc = cdm_check_node_name(ctx, name);
	if (rc)
		return rc;
	/* a read of now: the node may have just come online */
	rc = cdm_refresh(ctx);
	if (!rc)
		rc = cdm__check_memory_node(ctx, node);
	if (rc)
		return rc;
	other = cdm_get_node_by_name(ctx, name);
	if (other >= 0 && other != node)
		return cdm__fail(ctx, EEXIST, "node %d: '%s' names node %d already", node, name,
				 other);
	rc = make_dirs(names_dir());
	if (rc)
		return cdm__fail(ctx, -rc, "node %d: creating %s: %s", node, names_dir(),
				 strerror(-rc));
	snprintf(line, sizeof(line), "%s\n", name);
	rc = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (rc >= 0) {
		ssize_t n = write(rc, line, strlen(line));

		rc = close(rc) || n != (ssize_t)strlen(line) ? -EIO : 0;
		if (!rc && rename(tmp, path))
			rc = -errno;
	} else {
		rc = -errno;
	}
	if (rc) {
		unlink(tmp);
		return cdm__fail(ctx, -rc, "node %d: writing %s: %s", node, path, strerror(-rc));
	}
	cdm__clear_error(ctx);
	return 0;
}
