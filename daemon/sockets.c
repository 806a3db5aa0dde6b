// SPDX-License-Identifier: GPL-2.0-or-later
/* cdmd's unix sockets (sockets.h) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockets.h"

int cdmd_socket_clear_stale(const struct sockaddr_un *addr, int type, const char *what,
			    FILE *err)
{
	struct stat st;
	int fd, in_use;

	if (lstat(addr->sun_path, &st)) {
		if (errno == ENOENT)
			return 0;
		fprintf(err, "%s %s: lstat: %s\n", what, addr->sun_path, strerror(errno));
		return -errno;
	}
	if (!S_ISSOCK(st.st_mode)) {
		fprintf(err, "%s %s: exists and is no socket: not replaced\n", what,
			addr->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(err, "%s %s: socket: %s\n", what, addr->sun_path, strerror(errno));
		return -errno;
	}
	in_use = !connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	close(fd);
	if (in_use) {
		fprintf(err, "%s %s: another cdmd answers there\n", what, addr->sun_path);
		return -EADDRINUSE;
	}
	if (unlink(addr->sun_path) && errno != ENOENT) {
		fprintf(err, "%s %s: removing the old socket: %s\n", what, addr->sun_path,
			strerror(errno));
		return -errno;
	}
	return 0;
}
