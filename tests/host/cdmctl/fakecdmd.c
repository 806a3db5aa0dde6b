// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fakecdmd: cdmd's control socket with canned answers, for cdmctl's host
 * tests (tests/host/cdmctl-daemon.t): cdmctl status, top, ... run to
 * their end against replies a test writes, without cdmd, root or a VM.
 *
 *   fakecdmd SOCKET DIR
 *
 * It listens at SOCKET, prints its pid once it does and goes on in the
 * background, so that the socket is there when the command returns. It
 * serves one connection at a time, each request (a frame of protocol.h)
 * in turn:
 *
 *   DIR/log       gets a line per request: its body as it came, then
 *                 " invalid: MESSAGE" when cdmd_request_parse() refuses
 *                 it (answered with that error, as cdmd would)
 *   DIR/COMMAND   the reply to a request of COMMAND (status, top, ...):
 *                 its text is sent as one frame's body, as it is but for
 *                 a last newline, well-formed or not; or the word
 *                 "silent": never answer (read on until the client
 *                 closes), or "close": close without an answer. No
 *                 file: an error reply, EOPNOTSUPP.
 *
 * It exits after a minute, whatever happens. Killed, it leaves the
 * socket file behind, where nobody listens then (ECONNREFUSED).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "protocol.h"

#define LIFETIME_S	60

static const char *dir;

static void die(const char *what)
{
	fprintf(stderr, "fakecdmd: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void log_request(const char *body, size_t len, const char *invalid)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/log", dir);
	f = fopen(path, "a");
	if (!f)
		die(path);
	fwrite(body, 1, len, f);
	if (invalid)
		fprintf(f, " invalid: %s", invalid);
	fputc('\n', f);
	fclose(f);
}

/* the text of DIR/@command in *@len bytes (malloc'ed), NULL when none */
static char *canned(const char *command, size_t *len)
{
	char path[PATH_MAX], *buf;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, command);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	buf = malloc(CDMD_PROTO_MAX_REPLY + 2);
	if (!buf)
		die("malloc");
	*len = fread(buf, 1, CDMD_PROTO_MAX_REPLY + 1, f);
	fclose(f);
	if (*len && buf[*len - 1] == '\n')
		(*len)--;
	buf[*len] = '\0';
	return buf;
}

static void send_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;		/* the client went away: its test says so */
		buf += n;
		len -= n;
	}
}

/* @body as one frame, whatever it holds */
static void send_frame(int fd, const char *body, size_t len)
{
	unsigned char head[4] = { len >> 24, len >> 16, len >> 8, len };

	send_all(fd, (const char *)head, sizeof(head));
	send_all(fd, body, len);
}

/* Answer the request @body (@len bytes); false when the connection ends */
static bool answer(int fd, const char *body, size_t len)
{
	struct cdmd_request req;
	const char *command;
	char msg[256];
	json_object *reply;
	char *text;
	size_t n;

	if (cdmd_request_parse(body, len, &req, msg, sizeof(msg))) {
		log_request(body, len, msg);
		reply = cdmd_reply_error(EINVAL, "%s", msg);
		cdmd_frame_write(fd, reply, 1000);
		json_object_put(reply);
		return true;
	}
	log_request(body, len, NULL);
	command = cdmd_command_name(req.command);
	text = canned(command, &n);
	if (!text) {
		reply = cdmd_reply_error(EOPNOTSUPP, "fakecdmd: no reply for %s", command);
		cdmd_frame_write(fd, reply, 1000);
		json_object_put(reply);
		return true;
	}
	if (!strcmp(text, "close")) {
		free(text);
		return false;
	}
	if (!strcmp(text, "silent")) {
		/* until the client gives up and closes */
		while (read(fd, msg, sizeof(msg)) > 0)
			;
		free(text);
		return false;
	}
	send_frame(fd, text, n);
	free(text);
	return true;
}

static void serve(int fd)
{
	struct cdmd_frame_reader in;
	const char *body;
	size_t len;

	cdmd_frame_reader_init(&in, CDMD_PROTO_MAX);
	while (cdmd_frame_read(&in, fd, NULL, 0) == 1) {
		body = cdmd_frame_body(&in, &len);
		if (!answer(fd, body, len))
			break;
		cdmd_frame_reader_reset(&in);
	}
	cdmd_frame_reader_free(&in);
	close(fd);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd, fd;
	pid_t pid;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: fakecdmd SOCKET DIR\n");
		return 2;
	}
	dir = argv[2];
	strcpy(sa.sun_path, argv[1]);
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 8))
		die(argv[1]);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid) {
		printf("%d\n", (int)pid);
		return 0;
	}
	/* let the test's $(...) end */
	if (!freopen("/dev/null", "w", stdout))
		die("/dev/null");
	alarm(LIFETIME_S);
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0)
			die("accept");
		serve(fd);
	}
}
