// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Process events from the netlink connector (procwatch.h). The kernel
 * sends each event as one netlink message (type NLMSG_DONE) holding a
 * struct cn_msg (index CN_IDX_PROC, value CN_VAL_PROC) whose data is a
 * struct proc_event, to every socket bound to the CN_IDX_PROC group that
 * subscribed with PROC_CN_MCAST_LISTEN. The answer to a subscription is
 * an event of type PROC_EVENT_NONE, sent to every listener, with the
 * subscription's ack plus one (its seq is the kernel's count, as in
 * every event).
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include "procwatch.h"

/* the kernel answers a subscription from within the send; this is slack */
#define ACK_TIMEOUT_MS	250
/*
 * A drain reads no more datagrams than this: more than the socket's
 * buffer holds (256 events in the default 208 KiB, rmem_default: each
 * takes some 830 bytes there), so that a machine forking without pause
 * cannot keep the round reading; what is left means a walk next round.
 * The buffer stays at its default: 256 events are some 128 processes
 * (or threads) started and ended in one interval, and a machine busier
 * than that is walked every round, as it was before events.
 */
#define DRAIN_MAX	1024

struct cdmd_procwatch {
	int fd;
	uint32_t ack;		/* of the subscription: its answer has ack + 1 */
};

/* a message to the connector: a netlink header, a cn_msg, an operation */
struct subscription {
	struct nlmsghdr nl;
	struct cn_msg cn;
	uint32_t op;		/* enum proc_cn_mcast_op */
} __attribute__((packed));

/* the fields of a proc_event read here: the type, then event_data */
#define EVENT_DATA	offsetof(struct proc_event, event_data)

/*
 * The connector message of the netlink message at @buf, @len bytes
 * left: its header into @cn and its data's offset into @data; the
 * netlink message's aligned length into @used. -EBADMSG for anything
 * the kernel does not send: a short header, a length past the end, a
 * type other than NLMSG_DONE (NLMSG_ERROR, NLMSG_OVERRUN), another
 * connector index, data longer than the message. Read through memcpy:
 * @buf may be at any address.
 */
static int next_message(const unsigned char *buf, size_t len, struct cn_msg *cn,
			size_t *data, size_t *used)
{
	struct nlmsghdr nl;

	if (len < NLMSG_HDRLEN)
		return -EBADMSG;
	memcpy(&nl, buf, sizeof(nl));
	if (nl.nlmsg_len < NLMSG_HDRLEN + sizeof(*cn) || nl.nlmsg_len > len ||
	    nl.nlmsg_type != NLMSG_DONE)
		return -EBADMSG;
	memcpy(cn, buf + NLMSG_HDRLEN, sizeof(*cn));
	if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC ||
	    cn->len > nl.nlmsg_len - NLMSG_HDRLEN - sizeof(*cn))
		return -EBADMSG;
	*data = NLMSG_HDRLEN + sizeof(*cn);
	*used = NLMSG_ALIGN(nl.nlmsg_len) < len ? NLMSG_ALIGN(nl.nlmsg_len) : len;
	return 0;
}

/* The bytes of a proc_event of type @what that are read here, 0 for a
 * type not read past its type */
static size_t event_size(uint32_t what)
{
	switch (what) {
	case PROC_EVENT_NONE:
		return EVENT_DATA + sizeof(((struct proc_event *)0)->event_data.ack);
	case PROC_EVENT_FORK:
		return EVENT_DATA + sizeof(((struct proc_event *)0)->event_data.fork);
	case PROC_EVENT_EXEC:
	case PROC_EVENT_COMM:
	case PROC_EVENT_EXIT:	/* their process_pid and process_tgid */
		return EVENT_DATA + sizeof(((struct proc_event *)0)->event_data.exec);
	}
	return 0;
}

/* 1 when @ev may change a scan (procwatch.h), 0 when not */
static int changes_scan(const struct proc_event *ev)
{
	switch ((uint32_t)ev->what) {	/* another kernel's types too */
	case PROC_EVENT_NONE:	/* a subscription's answer */
	case PROC_EVENT_UID:
	case PROC_EVENT_GID:
	case PROC_EVENT_SID:
	case PROC_EVENT_PTRACE:
	case PROC_EVENT_COREDUMP:
		return 0;
	case PROC_EVENT_FORK:
		return ev->event_data.fork.child_pid == ev->event_data.fork.child_tgid;
	case PROC_EVENT_EXEC:
		return 1;
	case PROC_EVENT_COMM:
		return ev->event_data.comm.process_pid == ev->event_data.comm.process_tgid;
	case PROC_EVENT_EXIT:
		return ev->event_data.exit.process_pid == ev->event_data.exit.process_tgid;
	}
	return 1;
}

/* The event of the connector message @cn whose data is at @data, zeroed
 * past what the message holds: -EBADMSG when it is shorter than what is
 * read of its type */
static int read_event(const unsigned char *data, const struct cn_msg *cn, struct proc_event *ev)
{
	size_t n = cn->len < sizeof(*ev) ? cn->len : sizeof(*ev);

	memset(ev, 0, sizeof(*ev));
	if (n < sizeof(ev->what))
		return -EBADMSG;
	memcpy(ev, data, n);
	return n < event_size(ev->what) ? -EBADMSG : 0;
}

int cdmd_procwatch_parse(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	struct proc_event ev;
	size_t data, used;
	struct cn_msg cn;
	int rc = 0, err;

	do {
		err = next_message(p, len, &cn, &data, &used);
		if (!err)
			err = read_event(p + data, &cn, &ev);
		if (err)
			return err;
		rc |= changes_scan(&ev);
		p += used;
		len -= used;
	} while (len);
	return rc;
}

/* The datagram the kernel sent (a netlink sender other than the kernel,
 * port 0, says nothing and is passed over): its length, 0 for one
 * passed over, -errno. One longer than @len is -EMSGSIZE. */
static ssize_t receive(int fd, void *buf, size_t len)
{
	struct sockaddr_nl from;
	socklen_t fromlen = sizeof(from);
	ssize_t n;

	do
		n = recvfrom(fd, buf, len, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from,
			     &fromlen);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n > len)
		return -EMSGSIZE;
	return from.nl_family == AF_NETLINK && from.nl_pid == 0 ? n : 0;
}

static int send_op(const struct cdmd_procwatch *pw, enum proc_cn_mcast_op op)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct subscription m = {
		.nl = { .nlmsg_len = sizeof(m), .nlmsg_type = NLMSG_DONE },
		.cn = { .id = { CN_IDX_PROC, CN_VAL_PROC }, .ack = pw->ack,
			.len = sizeof(m.op) },
		.op = op,
	};

	return sendto(pw->fd, &m, sizeof(m), 0, (struct sockaddr *)&kernel,
		      sizeof(kernel)) == sizeof(m) ? 0 : -errno;
}

/*
 * The kernel's answer to the subscription (events that came before it
 * are passed over: the first round walks anyway): 0, -errno of its
 * error, -ETIMEDOUT when none comes, among DRAIN_MAX datagrams at most.
 */
static int wait_ack(const struct cdmd_procwatch *pw)
{
	unsigned char buf[8192] __attribute__((aligned(8)));
	struct pollfd pfd = { .fd = pw->fd, .events = POLLIN };
	size_t data, used;
	struct proc_event ev;
	struct cn_msg cn;
	ssize_t n;
	int i;

	for (i = 0; i < DRAIN_MAX && poll(&pfd, 1, ACK_TIMEOUT_MS) > 0; i++) {
		n = receive(pw->fd, buf, sizeof(buf));
		if (n < 0 && n != -EAGAIN && n != -ENOBUFS && n != -EMSGSIZE)
			return n;
		if (n <= 0 || next_message(buf, n, &cn, &data, &used) ||
		    read_event(buf + data, &cn, &ev))
			continue;
		/* other listeners' answers come too, each with its ack */
		if (ev.what == PROC_EVENT_NONE && cn.ack == pw->ack + 1)
			return -(int)ev.event_data.ack.err;
	}
	return -ETIMEDOUT;
}

int cdmd_procwatch_open(struct cdmd_procwatch **pwp, FILE *err)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
	struct cdmd_procwatch *pw = calloc(1, sizeof(*pw));
	const char *step;
	int rc;

	if (!pw) {
		fprintf(err, "process events: out of memory\n");
		return -ENOMEM;
	}
	pw->ack = getpid();
	step = "netlink connector socket";
	pw->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
	rc = pw->fd < 0 ? -errno : 0;
	if (!rc) {
		step = "joining the process events group";
		rc = bind(pw->fd, (struct sockaddr *)&addr, sizeof(addr)) ? -errno : 0;
	}
	if (!rc) {
		step = "subscribing";
		rc = send_op(pw, PROC_CN_MCAST_LISTEN);
	}
	if (!rc) {
		step = "the subscription's answer";
		rc = wait_ack(pw);
	}
	if (rc) {
		fprintf(err, "process events: %s: %s\n", step, strerror(-rc));
		if (pw->fd >= 0)
			close(pw->fd);
		free(pw);
		return rc;
	}
	*pwp = pw;
	return 0;
}

bool cdmd_procwatch_drain(struct cdmd_procwatch *pw)
{
	unsigned char buf[8192] __attribute__((aligned(8)));
	bool rescan = false;
	ssize_t n;
	int i;

	for (i = 0; i < DRAIN_MAX; i++) {
		n = receive(pw->fd, buf, sizeof(buf));
		if (n == -EAGAIN)
			return rescan;
		if (n == -ENOBUFS || n == -EMSGSIZE)	/* lost, or cut: read on */
			rescan = true;
		else if (n < 0)
			return true;
		else if (n > 0 && !rescan && cdmd_procwatch_parse(buf, n))
			rescan = true;	/* the rest is only read off */
	}
	return true;
}

int cdmd_procwatch_fd(const struct cdmd_procwatch *pw)
{
	return pw->fd;
}

void cdmd_procwatch_close(struct cdmd_procwatch *pw)
{
	if (!pw)
		return;
	/* the kernel counts listeners, and sends events while it has one */
	send_op(pw, PROC_CN_MCAST_IGNORE);
	close(pw->fd);
	free(pw);
}
