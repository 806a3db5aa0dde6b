/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cdmd's control socket: a unix stream socket speaking protocol.h, owned
 * by root with mode 0600 (0660 and the configured group's with
 * socket_group), each connection's peer checked again by SO_PEERCRED.
 * It is served from cdmd's poll loop: requests are answered one at a
 * time, replies queued and sent as the client takes them, and a client
 * that stays silent, or does not read, for CDMD_CONTROL_TIMEOUT_MS is
 * dropped, so no client can hold up the daemon.
 */
#ifndef CDMD_CONTROL_H
#define CDMD_CONTROL_H

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "protocol.h"

#define CDMD_SOCKET_PATH	"/run/cdmd/cdmd.sock"
#define CDMD_CONTROL_CLIENTS	16
#define CDMD_CONTROL_TIMEOUT_MS	5000
/* the poll entries cdmd_control_pollfds() may fill */
#define CDMD_CONTROL_POLLFDS	(1 + CDMD_CONTROL_CLIENTS)

/* The daemon's answer to @req: a reply of cdmd_reply_ok() or
 * cdmd_reply_error(), or NULL when out of memory */
typedef json_object *(*cdmd_control_fn)(const struct cdmd_request *req, uid_t peer, void *data);

struct cdmd_control;

/*
 * Listen at @path for requests handled by @fn. @group: the name of the
 * group that may connect besides root, NULL for root alone. An old
 * socket file nobody answers at is replaced; one another cdmd answers
 * at is -EADDRINUSE. 0, or -errno with one line on @err naming the path.
 */
int cdmd_control_open(const char *path, const char *group, cdmd_control_fn fn, void *data,
		      FILE *err, struct cdmd_control **ctl);
/* The poll entries to wait on now (at most CDMD_CONTROL_POLLFDS) */
int cdmd_control_pollfds(struct cdmd_control *ctl, struct pollfd *fds);
/* The milliseconds until a client's time runs out (-1: none waits) */
int cdmd_control_timeout(struct cdmd_control *ctl, int64_t now_ms);
/* Serve what poll() found on the entries cdmd_control_pollfds() gave */
void cdmd_control_serve(struct cdmd_control *ctl, const struct pollfd *fds, int nfds,
			int64_t now_ms);
/* Close every connection and remove the socket file; NULL is fine */
void cdmd_control_close(struct cdmd_control *ctl);

#endif
