// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdm_hint() against a small server of hint-proto.h played by a thread
 * of the test, on a socket in a temporary directory named by
 * CDM_HINT_SOCKET, over a fake machine (node 0 with CPUs, node 1
 * CPU-less, node 2 without memory): every hostile argument is -EINVAL
 * with a message naming the range, and nothing reaches the socket; the
 * request carries the range rounded to whole pages; cdmd's answers come
 * back as the call's errno with a message; no cdmd is -ENOENT, a silent
 * one -ETIMEDOUT after about a second, a garbled answer -EPROTO.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <libcdm.h>
#include "fakesys.h"
#include "hint-proto.h"

static const struct fake_node machine[] = {
	{ 0, "0-1", 4096, "10 20 20" },
	{ 1, "", 2048, "20 10 20" },
	{ 2, "", 0, "20 20 10" },
};

/* what the server does with the connection it takes */
enum serve_mode {
	SERVE_ANSWER,		/* read the request, answer server.err */
	SERVE_SILENT,		/* read the request, never answer */
	SERVE_GARBLE,		/* answer with another magic */
	SERVE_SHORT,		/* answer magic and version alone */
	SERVE_LONG,		/* answer 4 bytes more than a reply */
	SERVE_CLOSE,		/* close without reading */
};

static struct {
	char dir[32], path[64];
	int fd;
	pthread_t thread;
	enum serve_mode mode;
	int32_t err;
	struct cdm_hint_request got;
	ssize_t got_len;
	int conn;		/* SERVE_SILENT's, closed at the end */
} server;

static struct cdm_ctx *ctx;
static long page;

static void *serve_one(void *arg)
{
	struct cdm_hint_reply r = { CDM_HINT_MAGIC, CDM_HINT_VERSION, server.err };
	struct pollfd pfd = { .fd = server.fd, .events = POLLIN };
	int fd = -1;

	if (poll(&pfd, 1, 5000) == 1)
		fd = accept4(server.fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (server.mode == SERVE_CLOSE) {
		close(fd);
		return NULL;
	}
	server.got_len = recv(fd, &server.got, sizeof(server.got), MSG_TRUNC);
	switch (server.mode) {
	case SERVE_SILENT:
		server.conn = fd;
		return NULL;
	case SERVE_GARBLE:
		r.magic++;
		send(fd, &r, sizeof(r), MSG_NOSIGNAL);
		break;
	case SERVE_SHORT:
		send(fd, &r, offsetof(struct cdm_hint_reply, err), MSG_NOSIGNAL);
		break;
	case SERVE_LONG: {
		char buf[sizeof(r) + 4] = { 0 };

		memcpy(buf, &r, sizeof(r));
		send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
		break;
	}
	default:
		send(fd, &r, sizeof(r), MSG_NOSIGNAL);
		break;
	}
	close(fd);
	return NULL;
}

static void listen_at(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	server.fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(server.fd >= 0);
	assert_int_equal(bind(server.fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(server.fd, 8), 0);
}

static int setup(void **state)
{
	page = sysconf(_SC_PAGESIZE);
	fakesys_new();
	fakesys_machine(machine, 3);
	strcpy(server.dir, "/tmp/cdm-hints-XXXXXX");
	if (!mkdtemp(server.dir))
		return -1;
	snprintf(server.path, sizeof(server.path), "%.31s/hints.sock", server.dir);
	setenv("CDM_HINT_SOCKET", server.path, 1);
	server.conn = -1;
	listen_at(server.path);
	return cdm_new(&ctx);
}

static int teardown(void **state)
{
	cdm_unref(ctx);
	close(server.fd);
	unlink(server.path);
	rmdir(server.dir);
	fakesys_remove();
	return 0;
}

static void expect_msg(const char *want)
{
	if (!strstr(cdm_get_last_error(ctx), want))
		fail_msg("message '%s' lacks '%s'", cdm_get_last_error(ctx), want);
}

/* nobody connected since the last call */
static void expect_nothing_sent(void)
{
	int fd = accept4(server.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd >= 0)
		close(fd);
	assert_int_equal(fd, -1);
}

/* cdm_hint() with the server serving one connection in @mode */
static int hint_served(enum serve_mode mode, int32_t err, const void *addr, size_t len,
		       enum cdm_hint hint, int node)
{
	int rc;

	server.mode = mode;
	server.err = err;
	server.got_len = -1;
	memset(&server.got, 0, sizeof(server.got));
	assert_int_equal(pthread_create(&server.thread, NULL, serve_one, NULL), 0);
	rc = cdm_hint(ctx, addr, len, hint, node);
	pthread_join(server.thread, NULL);
	if (server.conn >= 0) {
		close(server.conn);
		server.conn = -1;
	}
	return rc;
}

static void hostile_arguments(void **state)
{
	const struct {
		uintptr_t addr;
		size_t len;
		int hint, node;
		const char *msg;
	} cases[] = {
		{ 0x10001000, 4096, 0, -1, "unknown hint 0" },
		{ 0x10001000, 4096, 5, -1, "unknown hint 5" },
		{ 0x10001000, 4096, -1, -1, "unknown hint 4294967295" },
		{ 0x10001001, 4096, CDM_HINT_HOT, -1, "address not page aligned" },
		{ 0x10000800, 4096, CDM_HINT_COLD, -1, "address not page aligned" },
		{ 0x10001000, 0, CDM_HINT_HOT, -1, "hint 0x10001000-0x10001000: empty range" },
		{ UINTPTR_MAX & ~0xfffffULL, 0x200000, CDM_HINT_HOT, -1, "wraps around" },
		{ 0x10001000, SIZE_MAX, CDM_HINT_HOT, -1, "wraps around" },
		{ 0x10001000, SIZE_MAX - 4094, CDM_HINT_CLEAR, -1, "wraps around" },
		{ 0x10001000, 4096, CDM_HINT_HOT, 0, "node 0 given to a hint other than" },
		{ 0x10001000, 4096, CDM_HINT_CLEAR, -2, "node -2 given to a hint other than" },
		{ 0x10001000, 4096, CDM_HINT_NODE, -1, "node -1: invalid node number" },
		{ 0x10001000, 4096, CDM_HINT_NODE, CDM_MAX_NODES, "invalid node number" },
		{ 0x10001000, 4096, CDM_HINT_NODE, 7, "hint 0x10001000-0x10002000: node 7: not online" },
		{ 0x10001000, 4096, CDM_HINT_NODE, 2, "node 2: has no memory" },
	};
	size_t i;

	assert_int_equal(cdm_hint(NULL, (void *)0x10001000, 4096, CDM_HINT_HOT, -1), -EINVAL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = cdm_hint(ctx, (void *)cases[i].addr, cases[i].len,
				  (enum cdm_hint)cases[i].hint, cases[i].node);

		if (rc != -EINVAL)
			fail_msg("case %zu: %d, not -EINVAL", i, rc);
		expect_msg("hint 0x");
		expect_msg(cases[i].msg);
		expect_nothing_sent();
	}
}

static void request_sent(void **state)
{
	char *mem = (char *)(uintptr_t)0x7f1234560000ULL;

	assert_int_equal(hint_served(SERVE_ANSWER, 0, mem, 1, CDM_HINT_HOT, -1), 0);
	assert_string_equal(cdm_get_last_error(ctx), "");
	assert_int_equal(server.got_len, sizeof(struct cdm_hint_request));
	assert_int_equal(server.got.magic, CDM_HINT_MAGIC);
	assert_int_equal(server.got.version, CDM_HINT_VERSION);
	assert_int_equal(server.got.hint, CDM_HINT_HOT);
	assert_int_equal(server.got.node, -1);
	assert_int_equal(server.got.start, 0x7f1234560000ULL);
	assert_int_equal(server.got.len, page);		/* rounded up */
	assert_int_equal(hint_served(SERVE_ANSWER, 0, mem, 3 * page, CDM_HINT_NODE, 1), 0);
	assert_int_equal(server.got.hint, CDM_HINT_NODE);
	assert_int_equal(server.got.node, 1);
	assert_int_equal(server.got.len, 3 * page);
	assert_int_equal(hint_served(SERVE_ANSWER, 0, mem, page + 1, CDM_HINT_CLEAR, -1), 0);
	assert_int_equal(server.got.hint, CDM_HINT_CLEAR);
	assert_int_equal(server.got.len, 2 * page);
}

static void answers_relayed(void **state)
{
	const struct {
		int32_t err;
		const char *msg;
	} cases[] = {
		{ -ESRCH, "is not managed by cdmd" },
		{ -ENOSPC, "as many hinted ranges of this process as it keeps" },
		{ -EINVAL, "cdmd refused the hint as malformed" },
		{ -EPROTO, "does not speak hint protocol" },
		{ -EPERM, "cdmd answered: Operation not permitted" },
		{ 5, "not of hint protocol" },		/* a positive err */
		{ -100000, "not of hint protocol" },
	};
	void *mem = (void *)(uintptr_t)0x10000000;
	char want[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = hint_served(SERVE_ANSWER, cases[i].err, mem, page, CDM_HINT_COLD, -1);

		assert_int_equal(rc, cases[i].err < 0 && cases[i].err > -4096 ? cases[i].err :
				 -EPROTO);
		snprintf(want, sizeof(want), "hint 0x10000000-0x%lx: ", 0x10000000 + page);
		expect_msg(want);
		expect_msg(cases[i].msg);
	}
	assert_int_equal(hint_served(SERVE_GARBLE, 0, mem, page, CDM_HINT_COLD, -1), -EPROTO);
	expect_msg("not of hint protocol 1");
	assert_int_equal(hint_served(SERVE_SHORT, 0, mem, page, CDM_HINT_COLD, -1), -EPROTO);
	assert_int_equal(hint_served(SERVE_LONG, 0, mem, page, CDM_HINT_COLD, -1), -EPROTO);
	assert_int_equal(hint_served(SERVE_CLOSE, 0, mem, page, CDM_HINT_COLD, -1), -ECONNRESET);
	expect_msg("closed the connection");
	/* a success after failures leaves no message */
	assert_int_equal(hint_served(SERVE_ANSWER, 0, mem, page, CDM_HINT_COLD, -1), 0);
	assert_string_equal(cdm_get_last_error(ctx), "");
}

static void no_cdmd(void **state)
{
	char path[64];

	snprintf(path, sizeof(path), "%.31s/none.sock", server.dir);
	setenv("CDM_HINT_SOCKET", path, 1);
	assert_int_equal(cdm_hint(ctx, (void *)(uintptr_t)0x10000000, page, CDM_HINT_HOT, -1),
			 -ENOENT);
	expect_msg("cdmd is not running");
	expect_msg(path);
	/* a socket file left behind by a cdmd that died: refused */
	close(server.fd);
	setenv("CDM_HINT_SOCKET", server.path, 1);
	assert_int_equal(cdm_hint(ctx, (void *)(uintptr_t)0x10000000, page, CDM_HINT_HOT, -1),
			 -ENOENT);
	expect_msg("cdmd is not running");
	unlink(server.path);
	listen_at(server.path);
}

static int64_t ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void silent_cdmd(void **state)
{
	int64_t t0 = ms(), took;

	assert_int_equal(hint_served(SERVE_SILENT, 0, (void *)(uintptr_t)0x10000000, page,
				     CDM_HINT_HOT, -1), -ETIMEDOUT);
	took = ms() - t0;
	expect_msg("cdmd did not answer within 1000 ms");
	if (took < 950 || took > 1600)
		fail_msg("timed out after %lld ms", (long long)took);
	/* a cdmd that never even accepts: the request waits in the
	 * backlog, the answer never comes */
	t0 = ms();
	assert_int_equal(cdm_hint(ctx, (void *)(uintptr_t)0x10000000, page, CDM_HINT_HOT, -1),
			 -ETIMEDOUT);
	took = ms() - t0;
	if (took < 950 || took > 1600)
		fail_msg("timed out after %lld ms", (long long)took);
	close(server.fd);
	unlink(server.path);
	listen_at(server.path);
}

/* each thread reads its own answer's message */
struct hinter {
	int32_t err;
	int rc;
	char msg[256];
};

static void *hint_thread(void *arg)
{
	struct hinter *h = arg;

	h->rc = cdm_hint(ctx, (void *)(uintptr_t)0x10000000, page, CDM_HINT_HOT, 0);
	snprintf(h->msg, sizeof(h->msg), "%s", cdm_get_last_error(ctx));
	return NULL;
}

static void per_thread_errors(void **state)
{
	struct hinter bad = { 0 };
	pthread_t t;

	/* a hostile call on another thread leaves this thread's message */
	assert_int_equal(hint_served(SERVE_ANSWER, -ESRCH, (void *)(uintptr_t)0x10000000, page,
				     CDM_HINT_HOT, -1), -ESRCH);
	assert_int_equal(pthread_create(&t, NULL, hint_thread, &bad), 0);
	pthread_join(t, NULL);
	assert_int_equal(bad.rc, -EINVAL);
	assert_non_null(strstr(bad.msg, "node 0 given"));
	expect_msg("is not managed by cdmd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hostile_arguments),
		cmocka_unit_test(request_sent),
		cmocka_unit_test(answers_relayed),
		cmocka_unit_test(no_cdmd),
		cmocka_unit_test(silent_cdmd),
		cmocka_unit_test(per_thread_errors),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("libcdm hints to cdmd", tests, setup, teardown);
}
