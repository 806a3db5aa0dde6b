// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control socket (control.h). Each connection is a small state
 * machine driven by poll(): reading a request, or sending the reply
 * queued for it (no request is read meanwhile, which bounds the queue),
 * or closing after a reply to a frame that broke the stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "log.h"
#include "sockets.h"

struct client {
	int fd;				/* -1: a free slot */
	uid_t uid;
	struct cdmd_frame_reader in;
	struct cdmd_frame_out out;
	bool closing;			/* close once the queue is sent */
	int64_t deadline_ms;		/* dropped if nothing happens until then */
};

struct cdmd_control {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;
	gid_t gid;
	bool group;			/* members of gid may connect */
	cdmd_control_fn fn;
	void *data;
	struct client clients[CDMD_CONTROL_CLIENTS];
	int polled[CDMD_CONTROL_POLLFDS];	/* client of each poll entry, -1 the socket */
};

static int refuse(FILE *err, const char *path, int e, const char *what)
{
	fprintf(err, "control socket %s: %s: %s\n", path, what, strerror(e));
	return -e;
}

int cdmd_control_open(const char *path, const char *group, cdmd_control_fn fn, void *data,
		      FILE *err, struct cdmd_control **out)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct cdmd_control *ctl;
	struct group *gr = NULL;
	mode_t umask_before;
	int i, rc;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(err, "control socket %s: path longer than %zu bytes\n", path,
			sizeof(addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	if (group) {
		errno = 0;
		gr = getgrnam(group);
		if (!gr) {
			fprintf(err, "control socket %s: socket_group %s: no such group\n", path,
				group);
			return errno ? -errno : -ENOENT;
		}
	}
	strcpy(addr.sun_path, path);
	rc = cdmd_socket_clear_stale(&addr, SOCK_STREAM, "control socket", err);
	if (rc)
		return rc;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return refuse(err, path, ENOMEM, "setting up");
	strcpy(ctl->path, path);
	ctl->fn = fn;
	ctl->data = data;
	ctl->group = gr != NULL;
	ctl->gid = gr ? gr->gr_gid : 0;
	for (i = 0; i < CDMD_CONTROL_CLIENTS; i++)
		ctl->clients[i].fd = -1;
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ctl->fd < 0) {
		rc = refuse(err, path, errno, "socket");
		free(ctl);
		return rc;
	}
	/* created with no access for anyone, opened up once it is whole */
	umask_before = umask(0777);
	rc = bind(ctl->fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(umask_before);
	if (rc) {
		rc = refuse(err, path, errno, "bind");
		goto fail;
	}
	if ((gr && chown(path, 0, ctl->gid)) || chmod(path, gr ? 0660 : 0600)) {
		rc = refuse(err, path, errno, "setting its owner and mode");
		unlink(path);
		goto fail;
	}
	if (listen(ctl->fd, CDMD_CONTROL_CLIENTS)) {
		rc = refuse(err, path, errno, "listen");
		unlink(path);
		goto fail;
	}
	*out = ctl;
	return 0;
fail:
	close(ctl->fd);
	free(ctl);
	return rc;
}

/* root, or (with socket_group) a member of the group: its primary group
 * or one of the user's supplementary groups */
static bool allowed(const struct cdmd_control *ctl, const struct ucred *cred)
{
	struct passwd pw, *res = NULL;
	gid_t groups[256];
	int n = 256, i;
	char buf[4096];

	if (cred->uid == 0)
		return true;
	if (!ctl->group)
		return false;
	if (cred->gid == ctl->gid)
		return true;
	if (getpwuid_r(cred->uid, &pw, buf, sizeof(buf), &res) || !res)
		return false;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (groups[i] == ctl->gid)
			return true;
	return false;
}

static void drop(struct client *c)
{
	close(c->fd);
	cdmd_frame_reader_free(&c->in);
	cdmd_frame_out_free(&c->out);
	c->fd = -1;
}

/* Queue @reply (consumed) on @c and send what the socket takes now */
static void answer(struct client *c, json_object *reply)
{
	ssize_t left;

	if (!reply || cdmd_frame_out_append(&c->out, reply)) {
		json_object_put(reply);
		drop(c);
		return;
	}
	json_object_put(reply);
	left = cdmd_frame_out_flush(&c->out, c->fd);
	if (left < 0 || (c->closing && !left))
		drop(c);
}

static void accept_client(struct cdmd_control *ctl, int64_t now_ms)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct client *c = NULL;
	int fd, i;

	fd = accept4(ctl->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || !allowed(ctl, &cred)) {
		log_warn("control socket: uid %d refused (root%s only)", (int)cred.uid,
			 ctl->group ? " and the socket group" : "");
		close(fd);
		return;
	}
	for (i = 0; i < CDMD_CONTROL_CLIENTS && !c; i++)
		if (ctl->clients[i].fd < 0)
			c = &ctl->clients[i];
	if (!c) {
		/* one try to say why; a client that does not read loses it */
		json_object *reply = cdmd_reply_error(-EBUSY, "cdmd serves %d clients at once",
						       CDMD_CONTROL_CLIENTS);

		if (reply)
			cdmd_frame_write(fd, reply, 0);
		json_object_put(reply);
		close(fd);
		return;
	}
	c->fd = fd;
	c->uid = cred.uid;
	c->closing = false;
	c->deadline_ms = now_ms + CDMD_CONTROL_TIMEOUT_MS;
	cdmd_frame_reader_init(&c->in, CDMD_PROTO_MAX);
	cdmd_frame_out_init(&c->out, CDMD_PROTO_MAX_REPLY);
}

static void read_request(struct cdmd_control *ctl, struct client *c)
{
	struct cdmd_request req;
	const char *body;
	char err[256];
	size_t len;
	int rc;

	rc = cdmd_frame_read(&c->in, c->fd, err, sizeof(err));
	if (!rc)
		return;
	if (rc == -EPIPE) {		/* closed between requests: done */
		drop(c);
		return;
	}
	if (rc != 1) {			/* the stream is out of step: answer, close */
		c->closing = true;
		answer(c, cdmd_reply_error(rc, "%s", err));
		return;
	}
	body = cdmd_frame_body(&c->in, &len);
	rc = cdmd_request_parse(body, len, &req, err, sizeof(err));
	cdmd_frame_reader_reset(&c->in);
	if (rc) {
		log_debug("control socket: uid %d: %s", (int)c->uid, err);
		answer(c, cdmd_reply_error(rc, "%s", err));
		return;
	}
	answer(c, ctl->fn(&req, c->uid, ctl->data));
}

int cdmd_control_pollfds(struct cdmd_control *ctl, struct pollfd *fds)
{
	int i, n = 0;

	fds[n] = (struct pollfd){ .fd = ctl->fd, .events = POLLIN };
	ctl->polled[n++] = -1;
	for (i = 0; i < CDMD_CONTROL_CLIENTS; i++) {
		struct client *c = &ctl->clients[i];

		if (c->fd < 0)
			continue;
		fds[n] = (struct pollfd){ .fd = c->fd,
					  .events = c->out.len > c->out.off ? POLLOUT : POLLIN };
		ctl->polled[n++] = i;
	}
	return n;
}

int cdmd_control_timeout(struct cdmd_control *ctl, int64_t now_ms)
{
	int64_t first = -1;
	int i;

	for (i = 0; i < CDMD_CONTROL_CLIENTS; i++) {
		const struct client *c = &ctl->clients[i];

		if (c->fd >= 0 && (first < 0 || c->deadline_ms < first))
			first = c->deadline_ms;
	}
	if (first < 0)
		return -1;
	return first > now_ms ? (int)(first - now_ms) : 0;
}

void cdmd_control_serve(struct cdmd_control *ctl, const struct pollfd *fds, int nfds,
			int64_t now_ms)
{
	int i;

	for (i = 0; i < nfds; i++) {
		struct client *c;
		ssize_t left;

		if (!fds[i].revents)
			continue;
		if (ctl->polled[i] < 0) {
			accept_client(ctl, now_ms);
			continue;
		}
		c = &ctl->clients[ctl->polled[i]];
		if (c->fd != fds[i].fd)
			continue;
		c->deadline_ms = now_ms + CDMD_CONTROL_TIMEOUT_MS;
		if (c->out.len > c->out.off) {
			left = cdmd_frame_out_flush(&c->out, c->fd);
			if (left < 0 || (c->closing && !left))
				drop(c);
		} else {
			read_request(ctl, c);
		}
	}
	for (i = 0; i < CDMD_CONTROL_CLIENTS; i++) {
		struct client *c = &ctl->clients[i];

		if (c->fd >= 0 && c->deadline_ms <= now_ms) {
			log_debug("control socket: uid %d: silent for %d ms, dropped", (int)c->uid,
				  CDMD_CONTROL_TIMEOUT_MS);
			drop(c);
		}
	}
}

void cdmd_control_close(struct cdmd_control *ctl)
{
	int i;

	if (!ctl)
		return;
	for (i = 0; i < CDMD_CONTROL_CLIENTS; i++)
		if (ctl->clients[i].fd >= 0)
			drop(&ctl->clients[i]);
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl);
}
