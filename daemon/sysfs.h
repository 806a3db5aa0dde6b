/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small files of sysfs and procfs: one line, one number, one write.
 */
#ifndef CDMD_SYSFS_H
#define CDMD_SYSFS_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* The first line of a small file without its newline into @buf: 0 or
 * -errno. @path is relative to @dirfd, as openat(2): looking up a long
 * path is much of what reading a sysfs file costs, and a reader of many
 * files in one directory opens the directory once */
int cdmd_read_line_at(int dirfd, const char *path, char *buf, size_t size);
/* A whole number from such a file: 0, -errno, -EINVAL when not one */
int cdmd_read_u64_at(int dirfd, const char *path, uint64_t *v);
/* Write @s to @path in one write(2): 0 or -errno (-EIO: a short write) */
int cdmd_write_str(const char *path, const char *s);

/* @path, or the one the environment variable @env names when set and not
 * empty: where tests put the files cdmd keeps under /run and reads */
static inline const char *cdmd_path_env(const char *env, const char *path)
{
	const char *p = getenv(env);

	return p && *p ? p : path;
}

static inline int cdmd_read_line(const char *path, char *buf, size_t size)
{
	return cdmd_read_line_at(AT_FDCWD, path, buf, size);
}

static inline int cdmd_read_u64(const char *path, uint64_t *v)
{
	return cdmd_read_u64_at(AT_FDCWD, path, v);
}

#endif
