/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel's process events (the netlink connector's cn_proc), so that
 * cdmd walks /proc for its targets only when a process may have come,
 * gone or been renamed since the last walk, not every round: on a quiet
 * machine the walk finds the same processes round after round.
 *
 * Listening needs CAP_NET_ADMIN and a kernel with CONFIG_PROC_EVENTS,
 * and works only in the initial pid and user namespaces (the kernel
 * ignores a subscription from elsewhere); without them cdmd walks every
 * round, as it did before. The events are read once a round, all at
 * once: an interval's events fit the socket's buffer, and one that
 * overflowed (ENOBUFS) means a walk, as any error does, so no process is
 * ever missed, only a walk sometimes made for nothing.
 */
#ifndef CDMD_PROCWATCH_H
#define CDMD_PROCWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct cdmd_procwatch;

/*
 * Listen to process events: 0, or -errno with a message on @err.
 * -EPROTONOSUPPORT: no connector (CONFIG_CONNECTOR, or a network
 * namespace other than the first); -EPERM: no CAP_NET_ADMIN;
 * -ETIMEDOUT: the kernel did not acknowledge the subscription (no
 * CONFIG_PROC_EVENTS, or another pid or user namespace).
 */
int cdmd_procwatch_open(struct cdmd_procwatch **pw, FILE *err);

/*
 * Read every event that came since the last call: true when one of them
 * may change what a scan of the targets finds, or when events were lost
 * (the socket's buffer overflowed), could not be read or did not parse.
 */
bool cdmd_procwatch_drain(struct cdmd_procwatch *pw);

/* The socket the events come on, for poll(2) (cdmd reads it once a
 * round, which is enough) and tests */
int cdmd_procwatch_fd(const struct cdmd_procwatch *pw);

/* Stop listening (NULL: nothing) */
void cdmd_procwatch_close(struct cdmd_procwatch *pw);

/*
 * What one datagram from the connector says, every netlink message in
 * it checked against its length and the connector's index before a
 * field is read: 1 when an event may change a scan, 0 when none does,
 * -EBADMSG when it is not what the kernel sends (then nothing in it is
 * trusted). A scan may change with
 *   - a new process: a fork whose child is a thread group's leader
 *     (a new thread changes no process's pid, name or start time);
 *   - an exec: the command name changes;
 *   - a rename of a leader (PR_SET_NAME, /proc/PID/comm): /proc/PID/stat
 *     shows the leader's name; a thread's name is its own;
 *   - the exit of a leader;
 *   - an event this cdmd does not know.
 * uid, gid, sid, ptrace and coredump events and the acknowledgements of
 * other listeners' subscriptions change none.
 */
int cdmd_procwatch_parse(const void *buf, size_t len);

#endif
