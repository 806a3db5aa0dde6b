// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdmd's hint socket and hint maps (daemon/hints.c): served to libcdm's
 * cdm_hint() in forked children (the hint lands under the child's pid,
 * from its credentials), to raw hostile packets (each refused, nothing
 * stored) and to clients that connect and say nothing (never waited
 * for); the per-process maps against a page-array model under random
 * hints (disjoint, in order, neighbours of one hint joined, a new hint
 * replacing what it overlaps, clear removing), the limit of ranges,
 * prune and forget; and tracker regions cut at hints against the same
 * model (the order kept, nothing lost or doubled, each piece of one
 * hint).
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

#include <libcdm.h>
#include "fakesys.h"
#include "hints.h"

#define PAGE		((uint64_t)sysconf(_SC_PAGESIZE))
#define BASE		0x7f0000000000ULL

static const struct fake_node machine[] = {
	{ 0, "0-1", 4096, "10 20" },
	{ 1, "", 2048, "20 10" },
};

static struct cdmd_hints h;
static char dir[32], path[64];
static bool refuse;			/* managed() says no */
static pid_t asked;			/* the last pid managed() was asked */

static bool managed(pid_t pid, void *data)
{
	asked = pid;
	return !refuse;
}

static int64_t ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int setup(void **state)
{
	fakesys_new();
	fakesys_machine(machine, 2);
	strcpy(dir, "/tmp/cdmd-hints-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%.31s/hints.sock", dir);
	setenv("CDM_HINT_SOCKET", path, 1);
	return 0;
}

static int teardown(void **state)
{
	rmdir(dir);
	fakesys_remove();
	return 0;
}

static int open_hints(void **state)
{
	FILE *err = fopen("/dev/null", "w");
	int rc = cdmd_hints_open(&h, path, err);

	fclose(err);
	refuse = false;
	return rc;
}

static int close_hints(void **state)
{
	cdmd_hints_close(&h);
	return 0;
}

/* ---- the socket ---- */

/* @fn in a forked child, its result (0 or a negative errno) back from
 * its exit status, served until it exits; its pid in *@child */
static int in_child(int (*fn)(void *), void *arg, pid_t *child)
{
	struct pollfd pfd = { .fd = cdmd_hints_fd(&h), .events = POLLIN };
	int64_t until = ms() + 5000;
	int status;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(-fn(arg) & 0xff);
	while (ms() < until) {
		poll(&pfd, 1, 20);
		cdmd_hints_serve(&h, managed, NULL);
		if (waitpid(pid, &status, WNOHANG) == pid) {
			if (child)
				*child = pid;
			assert_true(WIFEXITED(status));
			return -WEXITSTATUS(status);
		}
	}
	fail_msg("the child did not finish");
	return 1;
}

struct hint_args {
	uint64_t start;
	size_t len;
	enum cdm_hint hint;
	int node;
};

static int child_hint(void *arg)
{
	const struct hint_args *a = arg;
	struct cdm_ctx *ctx;
	int rc = cdm_new(&ctx);

	if (!rc)
		rc = cdm_hint(ctx, (void *)(uintptr_t)a->start, a->len, a->hint, a->node);
	return rc;
}

static void socket_file(void **state)
{
	struct cdmd_hints other = { 0 };
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char file[64], longpath[200];
	FILE *err = fopen("/dev/null", "w");
	struct stat st;
	int fd;

	assert_int_equal(cdmd_hints_open(&h, path, err), 0);
	assert_true(cdmd_hints_fd(&h) >= 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0666);
	/* a second cdmd at the same path */
	assert_int_equal(cdmd_hints_open(&other, path, err), -EADDRINUSE);
	cdmd_hints_close(&other);
	cdmd_hints_close(&h);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(cdmd_hints_fd(&h), -1);
	cdmd_hints_close(&h);		/* twice: nothing */
	/* a socket file left behind by a cdmd that died is replaced */
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(fd);
	assert_int_equal(cdmd_hints_open(&h, path, err), 0);
	cdmd_hints_close(&h);
	/* not a socket: left alone */
	snprintf(file, sizeof(file), "%.31s/file", dir);
	fclose(fopen(file, "w"));
	assert_int_equal(cdmd_hints_open(&h, file, err), -EEXIST);
	assert_int_equal(access(file, F_OK), 0);
	unlink(file);
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(cdmd_hints_open(&h, longpath, err), -ENAMETOOLONG);
	cdmd_hints_close(&h);
	fclose(err);
}

static void libcdm_clients(void **state)
{
	struct hint_args a = { BASE, 3 * PAGE, CDM_HINT_HOT, -1 };
	const struct cdmd_hinted *p;
	pid_t child;

	assert_int_equal(in_child(child_hint, &a, &child), 0);
	/* under the child's pid, from its credentials */
	assert_int_equal(asked, child);
	assert_null(cdmd_hints_find(&h, getpid()));
	p = cdmd_hints_find(&h, child);
	assert_non_null(p);
	assert_int_equal(p->nr, 1);
	assert_int_equal(p->ranges[0].start, BASE);
	assert_int_equal(p->ranges[0].end, BASE + 3 * PAGE);
	assert_int_equal(p->ranges[0].hint, CDMD_HINT_HOT);
	assert_int_equal(p->ranges[0].node, -1);
	/* a NODE hint, rounded up to whole pages */
	a = (struct hint_args){ BASE + 8 * PAGE, PAGE + 1, CDM_HINT_NODE, 1 };
	assert_int_equal(in_child(child_hint, &a, &child), 0);
	p = cdmd_hints_find(&h, child);
	assert_non_null(p);
	assert_int_equal(p->ranges[0].end, BASE + 10 * PAGE);
	assert_int_equal(p->ranges[0].hint, CDMD_HINT_NODE);
	assert_int_equal(p->ranges[0].node, 1);
	/* CLEAR from a process without hints: nothing to clear */
	a = (struct hint_args){ BASE, PAGE, CDM_HINT_CLEAR, -1 };
	assert_int_equal(in_child(child_hint, &a, &child), 0);
	assert_null(cdmd_hints_find(&h, child));
	/* a process cdmd does not manage: nothing stored */
	refuse = true;
	a = (struct hint_args){ BASE, PAGE, CDM_HINT_COLD, -1 };
	assert_int_equal(in_child(child_hint, &a, &child), -ESRCH);
	assert_int_equal(asked, child);
	assert_null(cdmd_hints_find(&h, child));
	refuse = false;
	/* a hostile argument never reaches cdmd */
	asked = 0;
	a = (struct hint_args){ BASE + 1, PAGE, CDM_HINT_COLD, -1 };
	assert_int_equal(in_child(child_hint, &a, &child), -EINVAL);
	assert_int_equal(asked, 0);
	assert_int_equal(h.nr, 2);
}

/* Send @len bytes of @msg as one message, serve, and read the answer:
 * its err, or 1 when none came */
static int raw(const void *msg, size_t len)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct pollfd pfd = { .events = POLLIN };
	struct cdm_hint_reply r;
	int fd, rc = 1;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(send(fd, msg, len, 0), (ssize_t)len);
	cdmd_hints_serve(&h, managed, NULL);
	pfd.fd = fd;
	if (poll(&pfd, 1, 1000) == 1 && recv(fd, &r, sizeof(r), MSG_DONTWAIT) == sizeof(r)) {
		assert_int_equal(r.magic, CDM_HINT_MAGIC);
		assert_int_equal(r.version, CDM_HINT_VERSION);
		rc = r.err;
	}
	close(fd);
	return rc;
}

static struct cdm_hint_request request(uint32_t hint, int32_t node, uint64_t start, uint64_t len)
{
	return (struct cdm_hint_request){ CDM_HINT_MAGIC, CDM_HINT_VERSION, hint, node, start,
					  len };
}

static void hostile_packets(void **state)
{
	const struct {
		struct cdm_hint_request req;
		int err;
	} cases[] = {
		{ { CDM_HINT_MAGIC + 1, CDM_HINT_VERSION, CDM_HINT_HOT, -1, BASE, 4096 }, -EPROTO },
		{ { CDM_HINT_MAGIC, CDM_HINT_VERSION + 1, CDM_HINT_HOT, -1, BASE, 4096 }, -EPROTO },
		{ { CDM_HINT_MAGIC, 0, CDM_HINT_HOT, -1, BASE, 4096 }, -EPROTO },
		{ request(0, -1, BASE, 4096), -EINVAL },
		{ request(5, -1, BASE, 4096), -EINVAL },
		{ request(UINT32_MAX, -1, BASE, 4096), -EINVAL },
		{ request(CDM_HINT_HOT, -1, BASE + 1, 4096), -EINVAL },
		{ request(CDM_HINT_HOT, -1, BASE, 4095), -EINVAL },
		{ request(CDM_HINT_HOT, -1, BASE, 0), -EINVAL },
		{ request(CDM_HINT_HOT, -1, UINT64_MAX - 4095, 8192), -EINVAL },
		{ request(CDM_HINT_COLD, -1, 4096, UINT64_MAX - 4095), -EINVAL },
		{ request(CDM_HINT_HOT, 0, BASE, 4096), -EINVAL },
		{ request(CDM_HINT_CLEAR, 3, BASE, 4096), -EINVAL },
		{ request(CDM_HINT_NODE, -1, BASE, 4096), -EINVAL },
		{ request(CDM_HINT_NODE, CDM_MAX_NODES, BASE, 4096), -EINVAL },
		{ request(CDM_HINT_NODE, INT32_MIN, BASE, 4096), -EINVAL },
	};
	struct cdm_hint_request good = request(CDM_HINT_HOT, -1, BASE, 4096);
	char big[sizeof(good) + 8] = { 0 };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = raw(&cases[i].req, sizeof(cases[i].req));

		if (rc != cases[i].err)
			fail_msg("case %zu: %d, not %d", i, rc, cases[i].err);
	}
	/* short, long, one byte */
	assert_int_equal(raw(&good, sizeof(good) - 1), -EPROTO);
	memcpy(big, &good, sizeof(good));
	assert_int_equal(raw(big, sizeof(big)), -EPROTO);
	assert_int_equal(raw(big, 1), -EPROTO);
	assert_int_equal(h.nr, 0);
	/* and the good one from this process */
	good.len = PAGE;
	assert_int_equal(raw(&good, sizeof(good)), 0);
	assert_int_equal(asked, getpid());
	assert_non_null(cdmd_hints_find(&h, getpid()));
}

static int connect_silent(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	return fd;
}

/* 1 when cdmd closed @fd's connection, 0 when it is still open */
static int dropped(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&pfd, 1, 0) == 1 && recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

/* clients that connect and say nothing: never waited for, kept in
 * CDMD_HINTS_PENDING slots (the oldest dropped for a newcomer, all after
 * CDMD_HINTS_WAIT_MS), answered when they speak in time */
static void silent_clients(void **state)
{
	struct cdm_hint_request req = request(CDM_HINT_COLD, -1, BASE, PAGE);
	struct cdm_hint_reply r;
	int fds[CDMD_HINTS_PENDING + 4], i;
	int64_t t0;

	for (i = 0; i < CDMD_HINTS_PENDING + 4; i++)
		fds[i] = connect_silent();
	t0 = ms();
	cdmd_hints_serve(&h, managed, NULL);
	assert_true(ms() - t0 < 100);
	for (i = 0; i < 4; i++)
		assert_int_equal(dropped(fds[i]), 1);
	for (; i < CDMD_HINTS_PENDING + 4; i++)
		assert_int_equal(dropped(fds[i]), 0);
	/* one of the waiting speaks: the hint fd wakes the loop, and it is
	 * answered at the next serve */
	assert_false(poll(&(struct pollfd){ .fd = cdmd_hints_fd(&h), .events = POLLIN }, 1, 0));
	assert_int_equal(send(fds[10], &req, sizeof(req), 0), sizeof(req));
	assert_int_equal(poll(&(struct pollfd){ .fd = cdmd_hints_fd(&h), .events = POLLIN }, 1,
			      1000), 1);
	cdmd_hints_serve(&h, managed, NULL);
	assert_int_equal(recv(fds[10], &r, sizeof(r), MSG_DONTWAIT), sizeof(r));
	assert_int_equal(r.err, 0);
	assert_non_null(cdmd_hints_find(&h, getpid()));
	/* a client served meanwhile while the others wait */
	req.start = BASE + 4 * PAGE;
	assert_int_equal(raw(&req, sizeof(req)), 0);
	/* past the wait: dropped */
	usleep((CDMD_HINTS_WAIT_MS + 50) * 1000);
	cdmd_hints_serve(&h, managed, NULL);
	for (i = 4; i < CDMD_HINTS_PENDING + 4; i++)
		if (i != 10)
			assert_int_equal(dropped(fds[i]), 1);
	for (i = 0; i < CDMD_HINTS_PENDING + 4; i++)
		close(fds[i]);
	/* one that connects and hangs up: nothing */
	close(connect_silent());
	cdmd_hints_serve(&h, managed, NULL);
	assert_int_equal(cdmd_hints_find(&h, getpid())->nr, 2);
}

/* ---- the maps ---- */

#define PAGES		64	/* the model's address space */

/* one page's hint in the model: 0 none, 'H', 'C', or '0' + node */
static char model_hint(enum cdmd_hint hint, int node)
{
	return hint == CDMD_HINT_HOT ? 'H' : hint == CDMD_HINT_COLD ? 'C' :
	       hint == CDMD_HINT_NODE ? (char)('0' + node) : 0;
}

static uint64_t at(int page)
{
	return BASE + (uint64_t)page * PAGE;
}

/* @pid's map equals @model, with no two neighbours alike */
static void check_map(pid_t pid, const char *model)
{
	const struct cdmd_hinted *p = cdmd_hints_find(&h, pid);
	char seen[PAGES] = { 0 };
	size_t i;
	int pg;

	if (!p) {
		for (pg = 0; pg < PAGES; pg++)
			assert_int_equal(model[pg], 0);
		return;
	}
	assert_true(p->nr > 0 && p->nr <= CDMD_HINTS_PER_PROCESS);
	for (i = 0; i < p->nr; i++) {
		const struct cdmd_hint_range *r = &p->ranges[i];

		assert_true(r->start < r->end);
		assert_true(r->start >= at(0) && r->end <= at(PAGES));
		assert_true(r->hint == CDMD_HINT_NODE ? r->node >= 0 : r->node == -1);
		assert_true(r->hint != CDMD_HINT_NONE);
		if (i) {
			assert_true(p->ranges[i - 1].end <= r->start);
			assert_false(p->ranges[i - 1].end == r->start &&
				     p->ranges[i - 1].hint == r->hint &&
				     p->ranges[i - 1].node == r->node);
		}
		for (pg = (r->start - BASE) / PAGE; at(pg) < r->end; pg++)
			seen[pg] = model_hint(r->hint, r->node);
	}
	assert_memory_equal(seen, model, PAGES);
}

static void set(pid_t pid, int from, int to, enum cdmd_hint hint, int node)
{
	assert_int_equal(cdmd_hints_set(&h, pid, at(from), at(to), hint, node), 0);
}

static void map_semantics(void **state)
{
	const struct cdmd_hinted *p;

	set(1, 10, 20, CDMD_HINT_HOT, -1);
	set(1, 15, 25, CDMD_HINT_COLD, -1);	/* overlaps: replaces 15-20 */
	p = cdmd_hints_find(&h, 1);
	assert_int_equal(p->nr, 2);
	assert_true(p->ranges[0].end == at(15) && p->ranges[1].start == at(15));
	set(1, 17, 18, CDMD_HINT_NODE, 1);	/* inside: cuts 15-25 in two */
	p = cdmd_hints_find(&h, 1);
	assert_int_equal(p->nr, 4);
	assert_int_equal(p->ranges[2].node, 1);
	assert_true(p->ranges[3].start == at(18) && p->ranges[3].end == at(25));
	set(1, 25, 30, CDMD_HINT_COLD, -1);	/* joins its neighbour */
	assert_int_equal(cdmd_hints_find(&h, 1)->nr, 4);
	assert_int_equal(cdmd_hints_find(&h, 1)->ranges[3].end, at(30));
	set(1, 18, 19, CDMD_HINT_NODE, 0);	/* next to a NODE hint of another node */
	assert_int_equal(cdmd_hints_find(&h, 1)->nr, 5);
	set(1, 0, 40, CDMD_HINT_HOT, -1);	/* over everything */
	assert_int_equal(cdmd_hints_find(&h, 1)->nr, 1);
	/* a node given to a hint other than NODE is not kept */
	set(1, 50, 51, CDMD_HINT_COLD, 3);
	assert_int_equal(cdmd_hints_find(&h, 1)->ranges[1].node, -1);
	set(1, 0, PAGES, CDMD_HINT_NONE, -1);	/* clear all: the process goes */
	assert_null(cdmd_hints_find(&h, 1));
	assert_int_equal(h.nr, 0);
	set(1, 0, PAGES, CDMD_HINT_NONE, -1);	/* nothing to clear */
	set(1, 5, 5, CDMD_HINT_HOT, -1);	/* empty */
	assert_int_equal(h.nr, 0);
}

/* random hints against a page array, under three pids at once */
static void map_model(void **state)
{
	static const enum cdmd_hint hints[] = { CDMD_HINT_NONE, CDMD_HINT_HOT, CDMD_HINT_COLD,
						CDMD_HINT_NODE };
	char model[3][PAGES] = { { 0 } };
	int i, pg;

	srand(42);
	for (i = 0; i < 5000; i++) {
		int who = rand() % 3, from = rand() % PAGES, to = from + 1 + rand() % 12;
		enum cdmd_hint hint = hints[rand() % 4];
		int node = hint == CDMD_HINT_NODE ? rand() % 3 : -1;

		if (to > PAGES)
			to = PAGES;
		set(100 + who, from, to, hint, node);
		for (pg = from; pg < to; pg++)
			model[who][pg] = model_hint(hint, node);
		check_map(100 + who, model[who]);
	}
	assert_true(h.nr <= 3);
}

/* CDMD_HINTS_PER_PROCESS ranges, and no more: the map unchanged */
static void range_limit(void **state)
{
	struct cdm_hint_request req;
	int i;

	for (i = 0; i < CDMD_HINTS_PER_PROCESS; i++)
		assert_int_equal(cdmd_hints_set(&h, getpid(), at(2 * i), at(2 * i + 1),
						CDMD_HINT_HOT, -1), 0);
	assert_int_equal(cdmd_hints_find(&h, getpid())->nr, CDMD_HINTS_PER_PROCESS);
	assert_int_equal(cdmd_hints_set(&h, getpid(), at(2 * i), at(2 * i + 1), CDMD_HINT_HOT,
					-1), -ENOSPC);
	/* through the socket too */
	req = request(CDM_HINT_COLD, -1, at(2 * i + 4), PAGE);
	assert_int_equal(raw(&req, sizeof(req)), -ENOSPC);
	/* a clear of a whole range makes room */
	assert_int_equal(cdmd_hints_set(&h, getpid(), at(0), at(1), CDMD_HINT_NONE, -1), 0);
	assert_int_equal(cdmd_hints_find(&h, getpid())->nr, CDMD_HINTS_PER_PROCESS - 1);
	/* joined with a neighbour: fits */
	req = request(CDM_HINT_HOT, -1, at(2 * i - 1), PAGE);
	assert_int_equal(raw(&req, sizeof(req)), 0);
	req = request(CDM_HINT_HOT, -1, at(2 * i), PAGE);
	assert_int_equal(raw(&req, sizeof(req)), 0);
	assert_int_equal(cdmd_hints_find(&h, getpid())->nr, CDMD_HINTS_PER_PROCESS - 1);
	/* a new one in the room the clear made, then no more */
	assert_int_equal(cdmd_hints_set(&h, getpid(), at(1000), at(1001), CDMD_HINT_COLD, -1), 0);
	assert_int_equal(cdmd_hints_set(&h, getpid(), at(1002), at(1003), CDMD_HINT_COLD, -1),
			 -ENOSPC);
	/* full again; a range of 3 pages where one was cleared, then a
	 * clear in its middle: two where one was, no room */
	assert_int_equal(cdmd_hints_set(&h, getpid(), at(1010), at(1013), CDMD_HINT_COLD, -1),
			 -ENOSPC);
	assert_int_equal(cdmd_hints_set(&h, getpid(), at(2), at(3), CDMD_HINT_NONE, -1), 0);
	assert_int_equal(cdmd_hints_set(&h, getpid(), at(1010), at(1013), CDMD_HINT_COLD, -1), 0);
	assert_int_equal(cdmd_hints_set(&h, getpid(), at(1011), at(1012), CDMD_HINT_NONE, -1),
			 -ENOSPC);
	assert_int_equal(cdmd_hints_find(&h, getpid())->nr, CDMD_HINTS_PER_PROCESS);
}

static void prune_and_forget(void **state)
{
	struct cdmd_proc procs[] = { { .pid = 20 }, { .pid = 40 } };
	struct cdmd_scan scan = { .procs = procs, .nr = 2 };

	set(10, 0, 1, CDMD_HINT_HOT, -1);
	set(30, 0, 1, CDMD_HINT_HOT, -1);
	set(20, 0, 1, CDMD_HINT_HOT, -1);
	set(50, 0, 1, CDMD_HINT_HOT, -1);
	assert_int_equal(h.nr, 4);
	cdmd_hints_prune(&h, &scan);
	assert_int_equal(h.nr, 1);
	assert_non_null(cdmd_hints_find(&h, 20));
	cdmd_hints_forget(&h, 40);		/* none: nothing */
	assert_int_equal(h.nr, 1);
	cdmd_hints_forget(&h, 20);
	assert_int_equal(h.nr, 0);
	set(10, 0, 1, CDMD_HINT_HOT, -1);
	scan.nr = 0;
	cdmd_hints_prune(&h, &scan);
	assert_int_equal(h.nr, 0);
}

/* ---- regions cut at hints ---- */

static void split_example(void **state)
{
	struct cdmd_region regions[] = {
		{ at(0), at(8), 3, 1 }, { at(10), at(12), 7, 2 }, { at(20), at(30), 0, 5 },
	};
	struct cdmd_policy_region *placed;
	struct cdmd_region *pieces;
	size_t n;

	/* no hints: the regions as they are */
	assert_int_equal(cdmd_hints_split(&h, 7, regions, 3, &pieces, &placed, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(pieces, regions, sizeof(regions));
	assert_int_equal(placed[2].hint, CDMD_HINT_NONE);
	assert_int_equal(placed[2].age, 5);
	free(pieces);
	free(placed);
	set(7, 2, 4, CDMD_HINT_HOT, -1);		/* inside the first */
	set(6, 0, 64, CDMD_HINT_HOT, -1);		/* another process's */
	set(7, 7, 11, CDMD_HINT_NODE, 1);		/* over the end of the first,
							 * the gap, the second's start */
	set(7, 25, 40, CDMD_HINT_COLD, -1);		/* past the last */
	assert_int_equal(cdmd_hints_split(&h, 7, regions, 3, &pieces, &placed, &n), 0);
	assert_int_equal(n, 8);
	{
		const struct {
			int from, to;
			enum cdmd_hint hint;
			int node;
			unsigned int accesses;
		} want[] = {
			{ 0, 2, CDMD_HINT_NONE, -1, 3 }, { 2, 4, CDMD_HINT_HOT, -1, 3 },
			{ 4, 7, CDMD_HINT_NONE, -1, 3 }, { 7, 8, CDMD_HINT_NODE, 1, 3 },
			{ 10, 11, CDMD_HINT_NODE, 1, 7 }, { 11, 12, CDMD_HINT_NONE, -1, 7 },
			{ 20, 25, CDMD_HINT_NONE, -1, 0 }, { 25, 30, CDMD_HINT_COLD, -1, 0 },
		};
		size_t i;

		for (i = 0; i < n; i++) {
			assert_int_equal(pieces[i].start, at(want[i].from));
			assert_int_equal(pieces[i].end, at(want[i].to));
			assert_int_equal(pieces[i].accesses, want[i].accesses);
			assert_int_equal(placed[i].start, pieces[i].start);
			assert_int_equal(placed[i].end, pieces[i].end);
			assert_int_equal(placed[i].accesses, want[i].accesses);
			assert_int_equal(placed[i].hint, want[i].hint);
			assert_int_equal(placed[i].hint_node, want[i].node);
			assert_int_equal(placed[i].present, 0);
		}
	}
	free(pieces);
	free(placed);
	/* no regions */
	assert_int_equal(cdmd_hints_split(&h, 7, NULL, 0, &pieces, &placed, &n), 0);
	assert_int_equal(n, 0);
	free(pieces);
	free(placed);
}

/* random regions and hints: the pieces tile the regions exactly, in
 * order, each with one hint, the model's, cut only where it changes */
static void split_model(void **state)
{
	char model[PAGES];
	int round;

	srand(7);
	for (round = 0; round < 500; round++) {
		struct cdmd_region regions[PAGES];
		struct cdmd_policy_region *placed;
		struct cdmd_region *pieces;
		size_t nr = 0, n, i, r = 0;
		int pg = rand() % 3, k;

		memset(model, 0, sizeof(model));
		cdmd_hints_forget(&h, 9);
		for (k = 0; k < 1 + rand() % 12; k++) {
			int from = rand() % PAGES, to = from + 1 + rand() % 16, node = rand() % 2;
			enum cdmd_hint hint = 1 + rand() % 3;

			to = to > PAGES ? PAGES : to;
			set(9, from, to, hint, hint == CDMD_HINT_NODE ? node : -1);
			for (i = from; i < (size_t)to; i++)
				model[i] = model_hint(hint, node);
		}
		while (pg < PAGES) {	/* regions with gaps between some */
			int len = 1 + rand() % 10;

			if (pg + len > PAGES)
				len = PAGES - pg;
			regions[nr++] = (struct cdmd_region){ at(pg), at(pg + len), rand() % 21, nr };
			pg += len + rand() % 3;
		}
		assert_int_equal(cdmd_hints_split(&h, 9, regions, nr, &pieces, &placed, &n), 0);
		for (i = 0; i < n; i++) {
			char hint = model_hint(placed[i].hint, placed[i].hint_node);
			uint64_t a;

			/* in region r, which it continues or starts */
			while (r < nr && regions[r].end <= pieces[i].start)
				r++;
			assert_true(r < nr);
			assert_true(pieces[i].start < pieces[i].end);
			assert_true(pieces[i].end <= regions[r].end);
			assert_int_equal(pieces[i].start, i && pieces[i - 1].end > regions[r].start ?
					 pieces[i - 1].end : regions[r].start);
			assert_int_equal(pieces[i].accesses, regions[r].accesses);
			assert_int_equal(placed[i].age, regions[r].age);
			for (a = pieces[i].start; a < pieces[i].end; a += PAGE)
				assert_int_equal(model[(a - BASE) / PAGE], hint);
			/* cut only where the hint changes or the region ends */
			if (pieces[i].end < regions[r].end)
				assert_true(model[(pieces[i].end - BASE) / PAGE] != hint);
			else
				assert_true(i + 1 == n || pieces[i + 1].start >= regions[r].end);
		}
		/* every region ends with a piece */
		assert_true(!nr || (n && pieces[n - 1].end == regions[nr - 1].end));
		assert_int_equal(r, nr - 1);
		free(pieces);
		free(placed);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(socket_file),
		cmocka_unit_test_setup_teardown(libcdm_clients, open_hints, close_hints),
		cmocka_unit_test_setup_teardown(hostile_packets, open_hints, close_hints),
		cmocka_unit_test_setup_teardown(silent_clients, open_hints, close_hints),
		cmocka_unit_test_setup_teardown(map_semantics, open_hints, close_hints),
		cmocka_unit_test_setup_teardown(map_model, open_hints, close_hints),
		cmocka_unit_test_setup_teardown(range_limit, open_hints, close_hints),
		cmocka_unit_test_setup_teardown(prune_and_forget, open_hints, close_hints),
		cmocka_unit_test_setup_teardown(split_example, open_hints, close_hints),
		cmocka_unit_test_setup_teardown(split_model, open_hints, close_hints),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("cdmd hints", tests, setup, teardown);
}
