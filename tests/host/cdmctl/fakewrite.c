// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fakewrite.so: write(2) for cdmctl's host tests, put in front of libc's
 * with LD_PRELOAD (libcdm writes sysfs attributes with write()). It plays
 * a kernel attribute whose store fails, which a fake sysfs tree of plain
 * files cannot: cxl_cdm/online answering EBUSY when pages in use could
 * not move, a bind answering its probe's errno.
 *
 *   FAKEWRITE_PATH=SUFFIX  a write to a file whose path ends with SUFFIX
 *                          ("/cxl_cdm/online") fails, writing nothing
 *   FAKEWRITE_ERRNO=N      with errno N (default EBUSY)
 *
 * Every other write is the system call's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

ssize_t write(int fd, const void *buf, size_t count)
{
	const char *suffix = getenv("FAKEWRITE_PATH"), *err = getenv("FAKEWRITE_ERRNO");
	char link[64], path[PATH_MAX];
	size_t len, slen;
	ssize_t n;

	if (suffix && *suffix) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, path, sizeof(path) - 1);
		len = n > 0 ? (size_t)n : 0;
		slen = strlen(suffix);
		if (len >= slen && !memcmp(path + len - slen, suffix, slen)) {
			errno = err ? atoi(err) : EBUSY;
			return -1;
		}
	}
	return syscall(SYS_write, fd, buf, count);
}
