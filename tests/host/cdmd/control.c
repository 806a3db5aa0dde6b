// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdmd's control socket (daemon/control.c) served by a poll loop like
 * cdmd's, in a thread of this test, with a handler that names the
 * command it got: requests answered in order, hostile frames answered
 * with an error (the connection closed when the stream is out of step)
 * while other clients are served; a client that says nothing, or does
 * not read, is dropped after the timeout and never holds up the others;
 * the 17th client is told cdmd is busy; the socket's mode, an old socket
 * replaced, a live one or a file that is no socket left alone; a peer
 * that is not root refused (SO_PEERCRED), and let in with socket_group.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "control.h"

static char dir[] = "/tmp/cdmd-control-XXXXXX";
static char path[64];
static struct cdmd_control *ctl;
static pthread_t server;
static volatile int stop_server;
static int wake[2];			/* a byte here ends the server's poll */
static int big_replies;			/* answer "status" with ~512 KiB */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static json_object *handler(const struct cdmd_request *req, uid_t peer, void *data)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "command", json_object_new_string(cdmd_command_name(req->command)));
	json_object_object_add(o, "count", json_object_new_int(req->count));
	json_object_object_add(o, "target", json_object_new_string(req->target));
	if (big_replies && req->command == CDMD_CMD_STATUS) {
		char *s = malloc(512 * 1024);

		memset(s, 'x', 512 * 1024 - 1);
		s[512 * 1024 - 1] = '\0';
		json_object_object_add(o, "padding", json_object_new_string(s));
		free(s);
	}
	return cdmd_reply_ok(o);
}

static void *serve(void *arg)
{
	struct pollfd fds[1 + CDMD_CONTROL_POLLFDS];
	int n;

	while (!stop_server) {
		fds[0] = (struct pollfd){ .fd = wake[0], .events = POLLIN };
		n = cdmd_control_pollfds(ctl, fds + 1);
		if (poll(fds, 1 + n, cdmd_control_timeout(ctl, now_ms())) < 0)
			continue;
		cdmd_control_serve(ctl, fds + 1, n, now_ms());
	}
	return NULL;
}

static void start(const char *group)
{
	assert_int_equal(cdmd_control_open(path, group, handler, NULL, stderr, &ctl), 0);
	stop_server = 0;
	assert_int_equal(pipe(wake), 0);
	assert_int_equal(pthread_create(&server, NULL, serve, NULL), 0);
}

static void stop(void)
{
	stop_server = 1;
	assert_int_equal(write(wake[1], "x", 1), 1);
	pthread_join(server, NULL);
	close(wake[0]);
	close(wake[1]);
	cdmd_control_close(ctl);
	ctl = NULL;
}

static int connect_to(const char *p)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(p) < sizeof(addr.sun_path));
	memcpy(addr.sun_path, p, strlen(p) + 1);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void send_frame(int fd, const char *body, size_t len)
{
	unsigned char head[4] = { len >> 24, len >> 16, len >> 8, len };

	assert_int_equal(write(fd, head, 4), 4);
	if (len)
		assert_int_equal(write(fd, body, len), (ssize_t)len);
}

/* the next reply's body, or NULL when the connection closed first */
static char *read_reply(int fd, int timeout_ms)
{
	struct cdmd_frame_reader r;
	char err[256], *body = NULL;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int64_t end = now_ms() + timeout_ms;
	int rc = 0;

	cdmd_frame_reader_init(&r, CDMD_PROTO_MAX_REPLY);
	while (rc == 0 && now_ms() < end) {
		if (poll(&p, 1, (int)(end - now_ms())) <= 0)
			break;
		rc = cdmd_frame_read(&r, fd, err, sizeof(err));
	}
	if (rc == 1)
		body = strdup(cdmd_frame_body(&r, NULL));
	cdmd_frame_reader_free(&r);
	return body;
}

/* true when the peer closed within @timeout_ms (what it sent before is
 * read and dropped) */
static bool closed_by_peer(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int64_t end = now_ms() + timeout_ms;
	char buf[65536];
	ssize_t n;

	while (now_ms() < end) {
		if (poll(&p, 1, (int)(end - now_ms())) <= 0)
			return false;
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
	}
	return false;
}

static void expect_reply(int fd, const char *part)
{
	char *body = read_reply(fd, 2000);

	assert_non_null(body);
	if (!strstr(body, part))
		fail_msg("reply %s has no %s", body, part);
	free(body);
}

#define REQ(cmd, more) "{\"version\":1,\"command\":\"" cmd "\"" more "}"

/* requests in order, pipelined; hostile ones answered, the stream kept
 * when it is whole, closed when it is not */
static void requests_and_hostile_frames(void **state)
{
	int fd, other;

	start(NULL);
	fd = connect_to(path);
	assert_true(fd >= 0);
	send_frame(fd, REQ("status", ""), strlen(REQ("status", "")));
	send_frame(fd, REQ("top", ",\"count\":3,\"target\":\"db\""),
		   strlen(REQ("top", ",\"count\":3,\"target\":\"db\"")));
	expect_reply(fd, "\"command\":\"status\"");
	expect_reply(fd, "\"command\":\"top\",\"count\":3,\"target\":\"db\"");
	send_frame(fd, "[1]", 3);
	expect_reply(fd, "\"result\":\"error\"");
	send_frame(fd, REQ("top", ",\"count\":0"), strlen(REQ("top", ",\"count\":0")));
	expect_reply(fd, "out of range");
	send_frame(fd, REQ("frobnicate", ""), strlen(REQ("frobnicate", "")));
	expect_reply(fd, "\"errno\":22");
	send_frame(fd, REQ("pause", ",\"target\":\"../etc\""),
		   strlen(REQ("pause", ",\"target\":\"../etc\"")));
	expect_reply(fd, "\"errno\":22");
	/* still served after all of that */
	send_frame(fd, REQ("resume", ""), strlen(REQ("resume", "")));
	expect_reply(fd, "\"command\":\"resume\"");

	/* a length past the maximum: answered, then closed */
	close(fd);
	fd = connect_to(path);
	{
		unsigned char head[4] = { 0x00, 0x01, 0x00, 0x01 };	/* 65537 */

		assert_int_equal(write(fd, head, 4), 4);
	}
	expect_reply(fd, "\"errno\":7");
	assert_null(read_reply(fd, 1000));
	close(fd);

	/* a length of 0 */
	fd = connect_to(path);
	send_frame(fd, "", 0);
	expect_reply(fd, "\"result\":\"error\"");
	assert_null(read_reply(fd, 1000));
	close(fd);

	other = connect_to(path);
	send_frame(other, REQ("targets", ""), strlen(REQ("targets", "")));
	expect_reply(other, "\"command\":\"targets\"");
	close(other);
	stop();
}

/* a silent client and one that does not read: dropped after the timeout,
 * and others are served meanwhile */
static void stuck_clients(void **state)
{
	int silent, halfway, nonreader, fd;
	int64_t t0;
	char *body;

	big_replies = 1;
	start(NULL);
	silent = connect_to(path);
	halfway = connect_to(path);
	assert_int_equal(write(halfway, "\0\0\0\x20{\"ver", 9), 9);	/* a frame begun */
	nonreader = connect_to(path);
	{
		int small = 4096;

		setsockopt(nonreader, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	}
	/* asks for replies of 512 KiB and never reads them */
	send_frame(nonreader, REQ("status", ""), strlen(REQ("status", "")));
	send_frame(nonreader, REQ("status", ""), strlen(REQ("status", "")));

	t0 = now_ms();
	fd = connect_to(path);
	send_frame(fd, REQ("targets", ""), strlen(REQ("targets", "")));
	body = read_reply(fd, 1000);
	assert_non_null(body);
	assert_true(now_ms() - t0 < 1000);
	free(body);
	close(fd);

	/* a client that keeps asking stays, for longer than the timeout;
	 * the three others are gone after it */
	fd = connect_to(path);
	for (t0 = now_ms(); now_ms() - t0 < CDMD_CONTROL_TIMEOUT_MS + 1500;) {
		send_frame(fd, REQ("targets", ""), strlen(REQ("targets", "")));
		expect_reply(fd, "\"command\":\"targets\"");
		usleep(500000);
	}
	close(fd);
	assert_true(closed_by_peer(silent, 1000));
	assert_true(closed_by_peer(halfway, 1000));
	assert_true(closed_by_peer(nonreader, 1000));
	close(silent);
	close(halfway);
	close(nonreader);
	big_replies = 0;

	fd = connect_to(path);
	send_frame(fd, REQ("status", ""), strlen(REQ("status", "")));
	expect_reply(fd, "\"command\":\"status\"");
	close(fd);
	stop();
}

/* 16 clients at once; the 17th is told so and closed */
static void too_many_clients(void **state)
{
	int fds[CDMD_CONTROL_CLIENTS], extra, i;

	start(NULL);
	for (i = 0; i < CDMD_CONTROL_CLIENTS; i++) {
		fds[i] = connect_to(path);
		send_frame(fds[i], REQ("status", ""), strlen(REQ("status", "")));
		expect_reply(fds[i], "\"command\":\"status\"");
	}
	extra = connect_to(path);
	assert_true(extra >= 0);
	expect_reply(extra, "\"errno\":16");
	assert_null(read_reply(extra, 1000));
	close(extra);
	close(fds[0]);
	usleep(200000);
	extra = connect_to(path);
	send_frame(extra, REQ("status", ""), strlen(REQ("status", "")));
	expect_reply(extra, "\"command\":\"status\"");
	close(extra);
	for (i = 1; i < CDMD_CONTROL_CLIENTS; i++)
		close(fds[i]);
	stop();
}

/* the socket file: its mode, what is replaced and what is not */
static void socket_file(void **state)
{
	struct cdmd_control *second;
	char other[160];
	struct stat st;
	int fd;

	start(NULL);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	/* a second cdmd finds the first one answering */
	assert_int_equal(cdmd_control_open(path, NULL, handler, NULL, stderr, &second),
			 -EADDRINUSE);
	stop();
	assert_int_equal(lstat(path, &st), -1);	/* closed: removed */

	/* an old socket nobody answers at is replaced */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un addr = { .sun_family = AF_UNIX };

		memcpy(addr.sun_path, path, strlen(path) + 1);
		assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	}
	close(fd);
	start(NULL);
	fd = connect_to(path);
	send_frame(fd, REQ("status", ""), strlen(REQ("status", "")));
	expect_reply(fd, "\"command\":\"status\"");
	close(fd);
	stop();

	/* a file that is no socket stays */
	snprintf(other, sizeof(other), "%s/file", dir);
	fd = open(other, O_CREAT | O_WRONLY, 0644);
	close(fd);
	assert_int_equal(cdmd_control_open(other, NULL, handler, NULL, stderr, &second), -EEXIST);
	assert_int_equal(lstat(other, &st), 0);
	unlink(other);
	/* hostile paths and groups */
	memset(other, 'a', sizeof(other) - 1);
	other[sizeof(other) - 1] = '\0';
	assert_int_equal(cdmd_control_open(other, NULL, handler, NULL, stderr, &second),
			 -ENAMETOOLONG);
	assert_int_equal(cdmd_control_open(path, "no-such-group-cdm", handler, NULL, stderr,
					   &second), -ENOENT);
}

/* in a child as @uid/@gid: connect and ask; 1 answered, 0 refused */
static int answered_as(uid_t uid, gid_t gid)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (!pid) {
		char *body;
		int fd;

		static const char req[] = "\0\0\0\x20" REQ("status", "");

		signal(SIGPIPE, SIG_IGN);	/* a refused peer's write fails */
		if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
			_exit(3);
		fd = connect_to(path);
		if (fd < 0)
			_exit(2);
		if (write(fd, req, sizeof(req) - 1) < 0)
			_exit(0);
		body = read_reply(fd, 2000);
		_exit(body ? 1 : 0);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* root only, unless a group is named: then its members too (the file's
 * mode lets them in, SO_PEERCRED checks again) */
static void peers(void **state)
{
	struct passwd *nobody = getpwnam("nobody");
	struct group *gr = getgrnam("nogroup");

	if (getuid() != 0 || !nobody || !gr) {
		skip();
		return;
	}
	assert_int_equal(chmod(dir, 0755), 0);
	start(NULL);
	assert_int_equal(answered_as(0, 0), 1);
	/* the file's mode stops nobody before cdmd sees it: connect fails */
	assert_int_equal(answered_as(nobody->pw_uid, gr->gr_gid), 2);
	/* with the mode opened by hand, SO_PEERCRED refuses */
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(answered_as(nobody->pw_uid, gr->gr_gid), 0);
	stop();
	start("nogroup");
	{
		struct stat st;

		assert_int_equal(lstat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0660);
		assert_int_equal(st.st_gid, gr->gr_gid);
	}
	assert_int_equal(answered_as(nobody->pw_uid, gr->gr_gid), 1);
	/* in neither the group nor root: refused by the mode */
	assert_int_equal(answered_as(nobody->pw_uid, nobody->pw_uid + 1), 2);
	stop();
}

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/cdmd.sock", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(requests_and_hostile_frames),
		cmocka_unit_test(stuck_clients),
		cmocka_unit_test(too_many_clients),
		cmocka_unit_test(socket_file),
		cmocka_unit_test(peers),
	};

	signal(SIGPIPE, SIG_IGN);	/* a write to a dropped client fails the test */
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("cdmd control socket", tests, setup, teardown);
}
