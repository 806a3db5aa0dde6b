/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What cdmd's unix sockets (control.c, hints.c) have in common */
#ifndef CDMD_SOCKETS_H
#define CDMD_SOCKETS_H

#include <stdio.h>
#include <sys/un.h>

/*
 * An old socket file at @addr (of @type: SOCK_STREAM, SOCK_SEQPACKET):
 * in use by a running cdmd (-EADDRINUSE), or left behind by one that
 * died (removed: 0); not a socket: -EEXIST. Messages start with @what.
 */
int cdmd_socket_clear_stale(const struct sockaddr_un *addr, int type, const char *what,
			    FILE *err);

#endif
