// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Hints to cdmd (libcdm.h, "hints to cdmd"): the request is checked
 * here, so that nothing malformed reaches the daemon, then sent as one
 * message of hint-proto.h on a connection of its own, and cdmd's answer
 * is awaited for at most HINT_TIMEOUT_MS.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hint-proto.h"
#include "private.h"

#define HINT_TIMEOUT_MS	1000

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One call: the request, and the range as messages name it */
struct hint_call {
	struct cdm_hint_request req;
	char range[48];			/* "hint 0x..-0x..", the end rounded up */
};

static void name_range(struct hint_call *c, uint64_t len)
{
	snprintf(c->range, sizeof(c->range), "hint 0x%" PRIx64 "-0x%" PRIx64, c->req.start,
		 c->req.start + len);
}

/* 0 when @c's request may go to cdmd, its length @len rounded up to
 * whole pages; -EINVAL with a message otherwise */
static int check_request(struct cdm_ctx *ctx, struct hint_call *c, size_t len)
{
	struct cdm_hint_request *req = &c->req;
	uint64_t page = (uint64_t)cdm__page_size();
	char why[CDM_ERR_LEN];

	name_range(c, len);
	if (req->hint < CDM_HINT_HOT || req->hint > CDM_HINT_CLEAR)
		return cdm__fail(ctx, EINVAL, "%s: unknown hint %u", c->range, req->hint);
	if (req->start % page)
		return cdm__fail(ctx, EINVAL, "%s: address not page aligned (%" PRIu64 " bytes)",
				 c->range, page);
	if (!len)
		return cdm__fail(ctx, EINVAL, "%s: empty range", c->range);
	/* whole pages; a length that cannot be rounded up, or an end past
	 * the top of the address space, wraps */
	req->len = len > UINT64_MAX - (page - 1) ? 0 : (len + page - 1) / page * page;
	if (!req->len || req->len > UINT64_MAX - req->start)
		return cdm__fail(ctx, EINVAL, "hint 0x%" PRIx64 " + %zu bytes: the range wraps "
				 "around the address space", req->start, len);
	name_range(c, req->len);
	if (req->hint != CDM_HINT_NODE) {
		if (req->node != -1)
			return cdm__fail(ctx, EINVAL, "%s: node %d given to a hint other than "
					 "CDM_HINT_NODE (-1 there)", c->range, req->node);
		return 0;
	}
	if (!cdm__check_memory_node(ctx, req->node))
		return 0;
	/* named again with the range, as EINVAL */
	snprintf(why, sizeof(why), "%s", cdm_get_last_error(ctx));
	return cdm__fail(ctx, EINVAL, "%s: %s", c->range, why);
}

/* Connect to cdmd's hint socket: the fd, or -errno with a message */
static int hint_connect(struct cdm_ctx *ctx, const struct hint_call *c)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *path = secure_getenv("CDM_HINT_SOCKET");
	int fd, err;

	if (!path || !*path)
		path = CDM_HINT_SOCKET;
	if (strlen(path) >= sizeof(addr.sun_path))
		return cdm__fail(ctx, ENAMETOOLONG, "%s: hint socket %.64s...: path too "
				 "long", c->range, path);
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return cdm__fail(ctx, errno, "%s: socket: %s", c->range, strerror(errno));
	if (!connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		return fd;
	err = errno;
	close(fd);
	switch (err) {
	case ENOENT:
	case ECONNREFUSED:
		return cdm__fail(ctx, ENOENT, "%s: cdmd is not running (no one answers at "
				 "%s)", c->range, path);
	case EAGAIN:
		return cdm__fail(ctx, EAGAIN, "%s: cdmd has too many hints waiting at %s: "
				 "try again", c->range, path);
	default:
		return cdm__fail(ctx, err, "%s: connecting to %s: %s", c->range, path,
				 strerror(err));
	}
}

/* Wait for cdmd's reply on @fd until @deadline: 0 and its err in
 * *@err, or -errno of the exchange with a message */
static int hint_reply(struct cdm_ctx *ctx, int fd, const struct hint_call *c,
		      int64_t deadline, int *err)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct cdm_hint_reply reply = { 0 };
	int64_t left;
	ssize_t n;
	int rc;

	for (;;) {
		left = deadline - now_ms();
		rc = poll(&pfd, 1, left > 0 ? (int)left : 0);
		if (rc > 0)
			break;
		if (!rc)
			return cdm__fail(ctx, ETIMEDOUT, "%s: cdmd did not answer within "
					 "%d ms", c->range, HINT_TIMEOUT_MS);
		if (errno != EINTR)
			return cdm__fail(ctx, errno, "%s: waiting for cdmd: %s",
					 c->range, strerror(errno));
	}
	n = recv(fd, &reply, sizeof(reply), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && errno != ECONNRESET)
		return cdm__fail(ctx, errno, "%s: reading cdmd's answer: %s", c->range,
				 strerror(errno));
	if (n <= 0)
		return cdm__fail(ctx, ECONNRESET, "%s: cdmd closed the connection without "
				 "an answer", c->range);
	if (n != sizeof(reply) || reply.magic != CDM_HINT_MAGIC ||
	    reply.version != CDM_HINT_VERSION || reply.err > 0 || reply.err < -4095)
		return cdm__fail(ctx, EPROTO, "%s: cdmd's answer is not of hint protocol "
				 "%u", c->range, CDM_HINT_VERSION);
	*err = reply.err;
	return 0;
}

/* cdmd's answer @err as the call's result, with a message */
static int answer(struct cdm_ctx *ctx, const struct hint_call *c, int err)
{
	switch (-err) {
	case 0:
		return 0;
	case ESRCH:
		return cdm__fail(ctx, ESRCH, "%s: this process (pid %d) is not managed by "
				 "cdmd", c->range, (int)getpid());
	case ENOSPC:
		return cdm__fail(ctx, ENOSPC, "%s: cdmd holds as many hinted ranges of "
				 "this process as it keeps", c->range);
	case EINVAL:
		return cdm__fail(ctx, EINVAL, "%s: cdmd refused the hint as malformed",
				 c->range);
	case EPROTO:
		return cdm__fail(ctx, EPROTO, "%s: cdmd does not speak hint protocol %u",
				 c->range, CDM_HINT_VERSION);
	default:
		return cdm__fail(ctx, -err, "%s: cdmd answered: %s", c->range,
				 strerror(-err));
	}
}

CDM_EXPORT int cdm_hint(struct cdm_ctx *ctx, const void *addr, size_t len, enum cdm_hint hint,
			int node)
{
	struct hint_call c = { .req = {
		.magic = CDM_HINT_MAGIC, .version = CDM_HINT_VERSION,
		.hint = (uint32_t)hint, .node = node, .start = (uintptr_t)addr,
	} };
	int64_t deadline = now_ms() + HINT_TIMEOUT_MS;
	int fd, rc, err = 0;

	if (!ctx)
		return -EINVAL;
	cdm__clear_error(ctx);
	rc = check_request(ctx, &c, len);
	if (rc)
		return rc;
	fd = hint_connect(ctx, &c);
	if (fd < 0)
		return fd;
	if (send(fd, &c.req, sizeof(c.req), MSG_NOSIGNAL) != sizeof(c.req)) {
		rc = errno == EPIPE || errno == ECONNRESET ?
		     cdm__fail(ctx, ECONNRESET, "%s: cdmd closed the connection", c.range) :
		     cdm__fail(ctx, errno, "%s: sending to cdmd: %s", c.range, strerror(errno));
	} else {
		rc = hint_reply(ctx, fd, &c, deadline, &err);
		if (!rc)
			rc = answer(ctx, &c, err);
	}
	close(fd);
	return rc;
}
