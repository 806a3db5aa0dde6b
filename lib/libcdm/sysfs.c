// SPDX-License-Identifier: LGPL-2.1-or-later
/* Small-file reads and writes under the context's sysfs root; memory
 * blocks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

int cdm__sysfs_path(struct cdm_ctx *ctx, char *buf, size_t len,
		    const char *fmt, ...)
{
	va_list args;
	int n, m;

	n = snprintf(buf, len, "%s", ctx->sysfs_root);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	va_start(args, fmt);
	m = vsnprintf(buf + n, len - n, fmt, args);
	va_end(args);
	if (m < 0 || (size_t)m >= len - n)
		return -ENAMETOOLONG;
	return 0;
}

int cdm__read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* sysfs returns a whole attribute in one read; loop for plain files */
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	if (strlen(buf) != got)
		return -EILSEQ;		/* embedded NUL: not a text attribute */
	while (got && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
		buf[--got] = '\0';
	return got;
}

int cdm__read_long(const char *path, long *val)
{
	char buf[64], *end;
	long v;
	int rc;

	rc = cdm__read_file(path, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (end == buf || *end != '\0')
		return -EINVAL;
	if (errno)
		return -errno;
	*val = v;
	return 0;
}

int cdm__write_file(const char *path, const char *str)
{
	size_t len = strlen(str);
	ssize_t done;
	int fd, rc;

	/* O_TRUNC as a shell's ">": sysfs ignores it, a fake tree needs it */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* an attribute takes one write whole: its store's errno is the answer */
	do
		done = write(fd, str, len);
	while (done < 0 && errno == EINTR);
	rc = done == (ssize_t)len ? 0 : done < 0 ? -errno : -EIO;
	if (close(fd) && !rc)
		rc = -errno;
	return rc;
}

int cdm__read_link_name(const char *path, char *buf, size_t len)
{
	char target[PATH_MAX];
	const char *name;
	ssize_t n;

	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	name = strrchr(target, '/');
	name = name ? name + 1 : target;
	if (strlen(name) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, name);
	return 0;
}

int cdm__memory_block_bytes(struct cdm_ctx *ctx, unsigned long long *bytes)
{
	char path[PATH_MAX], buf[64], *end;
	unsigned long long b;
	int rc;

	rc = cdm__sysfs_path(ctx, path, sizeof(path), "/devices/system/memory/block_size_bytes");
	if (!rc)
		rc = cdm__read_file(path, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	errno = 0;
	b = strtoull(buf, &end, 16);	/* "8000000": hex without 0x */
	if (end == buf || *end || errno || !b || b % cdm__page_size())
		return -EINVAL;
	*bytes = b;
	return 0;
}

int cdm__node_memory_blocks(struct cdm_ctx *ctx, int node,
			    int (*fn)(unsigned long block, void *data), void *data)
{
	char path[PATH_MAX], *end;
	struct dirent *de;
	unsigned long id;
	int rc = 0;
	DIR *dir;

	if (cdm__sysfs_path(ctx, path, sizeof(path), "/devices/system/node/node%d", node))
		return 0;
	dir = opendir(path);
	if (!dir)
		return 0;	/* offlined since the node was listed */
	while (!rc && (de = readdir(dir))) {
		if (strncmp(de->d_name, "memory", 6))
			continue;
		id = strtoul(de->d_name + 6, &end, 10);
		if (end == de->d_name + 6 || *end)
			continue;	/* memory_failure, ... */
		rc = fn(id, data);
	}
	closedir(dir);
	return rc;
}
