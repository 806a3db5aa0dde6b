// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Process events (daemon/procwatch.c). The parser on messages laid out
 * as the kernel sends them, one field at a time made wrong (short
 * headers, lengths past the end, other netlink types, another
 * connector, short events), and on random and bit-flipped buffers.
 * Then this host's kernel, where it lets the test listen (root, or
 * CAP_NET_ADMIN, and CONFIG_PROC_EVENTS): the message about each child
 * of the test's (started, renamed, exec'd, exited) asks for a scan and
 * those about the test's own threads do not, each found among whatever
 * else the host does by its pid; a drain that follows a child says so,
 * one after a quiet moment does not (one quiet try in 20 is enough: the
 * host's processes may fork too), and one after events were lost (a
 * socket buffer made small) does. Without CAP_NET_ADMIN opening fails
 * with EPERM and says why. A thread that starts, is renamed or exits
 * asks for no scan: it changes no process's pid, name or start time.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <cmocka.h>

#include "procwatch.h"

/* where the parts of a message begin, as the kernel lays them out */
#define CN_AT		NLMSG_HDRLEN
#define EV_AT		(NLMSG_HDRLEN + sizeof(struct cn_msg))
#define MSG_LEN		(EV_AT + sizeof(struct proc_event))

/* a proc_event of type @what with its first four pids */
static struct proc_event event(uint32_t what, pid_t a, pid_t b, pid_t c, pid_t d)
{
	struct proc_event ev;
	pid_t pids[4] = { a, b, c, d };

	memset(&ev, 0, sizeof(ev));
	ev.what = what;
	memcpy(&ev.event_data, pids, sizeof(pids));
	return ev;
}

/* @ev as the kernel sends it, at @buf: the message's length */
static size_t message(unsigned char *buf, const struct proc_event *ev)
{
	struct nlmsghdr nl = { .nlmsg_len = MSG_LEN, .nlmsg_type = NLMSG_DONE };
	struct cn_msg cn = { .id = { CN_IDX_PROC, CN_VAL_PROC }, .len = sizeof(*ev) };

	memcpy(buf, &nl, sizeof(nl));
	memcpy(buf + CN_AT, &cn, sizeof(cn));
	memcpy(buf + EV_AT, ev, sizeof(*ev));
	return MSG_LEN;
}

static int parse_event(struct proc_event ev)
{
	unsigned char buf[MSG_LEN];

	return cdmd_procwatch_parse(buf, message(buf, &ev));
}

/* the header fields of the message at @buf, changed in place */
static void set_nl(unsigned char *buf, uint32_t len, uint16_t type)
{
	struct nlmsghdr nl;

	memcpy(&nl, buf, sizeof(nl));
	nl.nlmsg_len = len;
	nl.nlmsg_type = type;
	memcpy(buf, &nl, sizeof(nl));
}

static void set_cn(unsigned char *buf, uint32_t idx, uint32_t val, uint16_t len)
{
	struct cn_msg cn;

	memcpy(&cn, buf + CN_AT, sizeof(cn));
	cn.id.idx = idx;
	cn.id.val = val;
	cn.len = len;
	memcpy(buf + CN_AT, &cn, sizeof(cn));
}

/* fork: parent pid, parent tgid, child pid, child tgid; the rest: pid,
 * tgid first */
static const struct {
	const char *what_it_is;
	uint32_t what;
	pid_t pids[4];
	int verdict;
} events_table[] = {
	{ "a new process", PROC_EVENT_FORK, { 10, 10, 20, 20 }, 1 },
	{ "a new thread", PROC_EVENT_FORK, { 10, 10, 21, 10 }, 0 },
	{ "an exec", PROC_EVENT_EXEC, { 20, 20 }, 1 },
	{ "a process renamed", PROC_EVENT_COMM, { 20, 20 }, 1 },
	{ "a thread renamed", PROC_EVENT_COMM, { 21, 20 }, 0 },
	{ "a process's exit", PROC_EVENT_EXIT, { 20, 20 }, 1 },
	{ "a thread's exit", PROC_EVENT_EXIT, { 21, 20 }, 0 },
	{ "another listener's answer", PROC_EVENT_NONE, { 0 }, 0 },
	{ "a uid", PROC_EVENT_UID, { 20, 20 }, 0 },
	{ "a gid", PROC_EVENT_GID, { 20, 20 }, 0 },
	{ "a session", PROC_EVENT_SID, { 20, 20 }, 0 },
	{ "a ptrace", PROC_EVENT_PTRACE, { 20, 20, 1, 1 }, 0 },
	{ "a core dump", PROC_EVENT_COREDUMP, { 20, 20, 1, 1 }, 0 },
	{ "a type unknown: it may matter", 0x400, { 20, 20 }, 1 },
};

static void events(void **state)
{
	const pid_t *p;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(events_table) / sizeof(events_table[0]); i++) {
		p = events_table[i].pids;
		rc = parse_event(event(events_table[i].what, p[0], p[1], p[2], p[3]));
		if (rc != events_table[i].verdict)
			fail_msg("%s: %d, not %d", events_table[i].what_it_is, rc,
				 events_table[i].verdict);
	}
}

static void hostile(void **state)
{
	struct proc_event fork = event(PROC_EVENT_FORK, 10, 10, 20, 20);
	struct proc_event exit = event(PROC_EVENT_EXIT, 20, 20, 0, 0);
	unsigned char buf[MSG_LEN + 8];
	size_t len;

	len = message(buf, &fork);
	assert_int_equal(cdmd_procwatch_parse(buf, 0), -EBADMSG);
	assert_int_equal(cdmd_procwatch_parse(buf, NLMSG_HDRLEN - 1), -EBADMSG);	/* cut header */
	assert_int_equal(cdmd_procwatch_parse(buf, len - 1), -EBADMSG);	/* nlmsg_len past the end */
	set_nl(buf, NLMSG_HDRLEN + sizeof(struct cn_msg) - 1, NLMSG_DONE);	/* no room for the cn_msg */
	assert_int_equal(cdmd_procwatch_parse(buf, len), -EBADMSG);
	set_nl(buf, 0, NLMSG_DONE);
	assert_int_equal(cdmd_procwatch_parse(buf, len), -EBADMSG);
	set_nl(buf, len + 1, NLMSG_DONE);
	assert_int_equal(cdmd_procwatch_parse(buf, len), -EBADMSG);
	set_nl(buf, len, NLMSG_ERROR);
	assert_int_equal(cdmd_procwatch_parse(buf, len), -EBADMSG);
	set_nl(buf, len, NLMSG_OVERRUN);
	assert_int_equal(cdmd_procwatch_parse(buf, len), -EBADMSG);
	set_nl(buf, len, NLMSG_NOOP);
	assert_int_equal(cdmd_procwatch_parse(buf, len), -EBADMSG);
	set_nl(buf, len, NLMSG_DONE);
	assert_int_equal(cdmd_procwatch_parse(buf, len), 1);	/* whole again */

	set_cn(buf, CN_IDX_PROC + 1, CN_VAL_PROC, sizeof(fork));
	assert_int_equal(cdmd_procwatch_parse(buf, len), -EBADMSG);
	set_cn(buf, CN_IDX_PROC, CN_VAL_PROC + 1, sizeof(fork));
	assert_int_equal(cdmd_procwatch_parse(buf, len), -EBADMSG);
	set_cn(buf, CN_IDX_PROC, CN_VAL_PROC, sizeof(fork) + 1);	/* data past the message */
	assert_int_equal(cdmd_procwatch_parse(buf, len), -EBADMSG);
	set_cn(buf, CN_IDX_PROC, CN_VAL_PROC, 0xffff);
	assert_int_equal(cdmd_procwatch_parse(buf, len), -EBADMSG);
	/* events shorter than what is read of them: no type, a fork
	 * without its child's tgid */
	set_cn(buf, CN_IDX_PROC, CN_VAL_PROC, 3);
	assert_int_equal(cdmd_procwatch_parse(buf, len), -EBADMSG);
	set_cn(buf, CN_IDX_PROC, CN_VAL_PROC, offsetof(struct proc_event, event_data) + 12);
	assert_int_equal(cdmd_procwatch_parse(buf, len), -EBADMSG);
	/* an exit needs its pid and tgid alone: a kernel with a shorter
	 * proc_event is read */
	len = message(buf, &exit);
	set_cn(buf, CN_IDX_PROC, CN_VAL_PROC, offsetof(struct proc_event, event_data) + 8);
	assert_int_equal(cdmd_procwatch_parse(buf, len), 1);
	set_cn(buf, CN_IDX_PROC, CN_VAL_PROC, offsetof(struct proc_event, event_data) + 7);
	assert_int_equal(cdmd_procwatch_parse(buf, len), -EBADMSG);
	/* at an odd address */
	len = message(buf + 1, &fork);
	assert_int_equal(cdmd_procwatch_parse(buf + 1, len), 1);
}

/* several netlink messages in one datagram, each checked */
static void several(void **state)
{
	struct proc_event thread = event(PROC_EVENT_FORK, 10, 10, 21, 10);
	struct proc_event fork = event(PROC_EVENT_FORK, 10, 10, 20, 20);
	unsigned char buf[3 * NLMSG_ALIGN(MSG_LEN)];
	size_t two = 2 * NLMSG_ALIGN(MSG_LEN);

	message(buf, &thread);
	message(buf + NLMSG_ALIGN(MSG_LEN), &thread);
	assert_int_equal(cdmd_procwatch_parse(buf, two), 0);
	message(buf + NLMSG_ALIGN(MSG_LEN), &fork);
	assert_int_equal(cdmd_procwatch_parse(buf, two), 1);
	/* a good message, then garbage: nothing is trusted */
	memset(buf + two, 0xa5, sizeof(buf) - two);
	assert_int_equal(cdmd_procwatch_parse(buf, sizeof(buf)), -EBADMSG);
	/* a second message cut short */
	assert_int_equal(cdmd_procwatch_parse(buf, two - 1), -EBADMSG);
	assert_int_equal(cdmd_procwatch_parse(buf, NLMSG_ALIGN(MSG_LEN) + 4), -EBADMSG);
}

/* Random buffers and a real message with bits flipped: an answer, no
 * crash (the sanitizer build watches every read) */
static void fuzz(void **state)
{
	struct proc_event fork = event(PROC_EVENT_FORK, 10, 10, 20, 20);
	unsigned char good[MSG_LEN], buf[2 * MSG_LEN], *copy;
	int i, j, rc;
	size_t len;

	srand(1);
	message(good, &fork);
	for (i = 0; i < 200000; i++) {
		if (i % 2) {
			len = rand() % sizeof(buf);
			for (j = 0; j < (int)len; j++)
				buf[j] = rand();
		} else {
			len = MSG_LEN;
			memcpy(buf, good, MSG_LEN);
			for (j = rand() % 4; j >= 0; j--)
				buf[rand() % MSG_LEN] ^= 1 << (rand() % 8);
		}
		/* exactly as long as the buffer: ASan sees a read past it */
		copy = malloc(len ? len : 1);
		assert_non_null(copy);
		memcpy(copy, buf, len);
		rc = cdmd_procwatch_parse(copy, len);
		free(copy);
		assert_true(rc == 0 || rc == 1 || rc == -EBADMSG);
	}
}

/* ---- this host's kernel ---- */

static struct cdmd_procwatch *pw;
static int open_rc;		/* of the group's cdmd_procwatch_open() */
static char open_msg[256];

/* CONFIG_PROC_EVENTS or CONFIG_CONNECTOR is off in this kernel */
static bool no_proc_events(void)
{
	char line[256];
	bool off = false;
	FILE *f = popen("zcat /proc/config.gz 2>/dev/null", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strcmp(line, "# CONFIG_PROC_EVENTS is not set\n") ||
		    !strcmp(line, "# CONFIG_CONNECTOR is not set\n"))
			off = true;
	if (f)
		pclose(f);
	return off;
}

/* The connector is not there for the test: no CAP_NET_ADMIN, no
 * connector, or a kernel whose configuration says no process events
 * (without a configuration to say so, no answer is a failure) */
static bool unavailable(int rc)
{
	return rc == -EPERM || rc == -EPROTONOSUPPORT || (rc == -ETIMEDOUT && no_proc_events());
}

static int open_watch(void **state)
{
	FILE *err = fmemopen(open_msg, sizeof(open_msg), "w");

	open_rc = cdmd_procwatch_open(&pw, err ? err : stderr);
	if (err)
		fclose(err);
	if (unavailable(open_rc))
		print_message("# no process events here, their tests skipped: %s", open_msg);
	return 0;
}

static int close_watch(void **state)
{
	if (!open_rc)
		cdmd_procwatch_close(pw);
	return 0;
}

/* the events' socket, read empty; the test skipped where there is none */
static int watch(void)
{
	if (unavailable(open_rc))
		skip();
	if (open_rc)
		fail_msg("%s", open_msg);
	cdmd_procwatch_drain(pw);
	return cdmd_procwatch_fd(pw);
}

/*
 * Read the events on @fd until one of type @what about the process or
 * thread @pid comes, within a second: what the parser says of its
 * datagram. The host's other events on the way are passed over.
 */
static int verdict_on(int fd, uint32_t what, pid_t pid)
{
	unsigned char buf[8192];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct proc_event ev;
	pid_t pids[4];
	ssize_t n;

	while (poll(&pfd, 1, 1000) > 0) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < (ssize_t)MSG_LEN)
			continue;
		memcpy(&ev, buf + EV_AT, sizeof(ev));
		memcpy(pids, &ev.event_data, sizeof(pids));
		/* fork: the child's pid is the third; the rest: the first */
		if (ev.what == what && pids[what == PROC_EVENT_FORK ? 2 : 0] == pid)
			return cdmd_procwatch_parse(buf, n);
	}
	fail_msg("no event %#x about %d within a second", what, pid);
	return -1;
}

static void child_events(void **state)
{
	int fd = watch(), go[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		prctl(PR_SET_NAME, "cdmdtst-pw");
		execl("/bin/true", "true", (char *)NULL);
		_exit(1);
	}
	close(go[0]);
	assert_int_equal(verdict_on(fd, PROC_EVENT_FORK, pid), 1);
	assert_int_equal(write(go[1], "x", 1), 1);
	close(go[1]);
	assert_int_equal(verdict_on(fd, PROC_EVENT_COMM, pid), 1);
	assert_int_equal(verdict_on(fd, PROC_EVENT_EXEC, pid), 1);
	assert_int_equal(verdict_on(fd, PROC_EVENT_EXIT, pid), 1);
	waitpid(pid, NULL, 0);
}

static void *thread_main(void *arg)
{
	*(pid_t *)arg = syscall(SYS_gettid);
	prctl(PR_SET_NAME, "cdmdtst-thr");
	return NULL;
}

static void thread_events(void **state)
{
	int fd = watch();
	pthread_t thread;
	pid_t tid;

	assert_int_equal(pthread_create(&thread, NULL, thread_main, &tid), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_int_equal(verdict_on(fd, PROC_EVENT_FORK, tid), 0);
	assert_int_equal(verdict_on(fd, PROC_EVENT_COMM, tid), 0);
	assert_int_equal(verdict_on(fd, PROC_EVENT_EXIT, tid), 0);
}

/*
 * A drain after a child started and ended asks for a scan. One after a
 * moment with the test's own threads alone does not, unless the host's
 * other processes did something meanwhile (tests run two at a time,
 * and shell tests fork without pause): a second listener, @judge, read
 * before and after by busy() (the parser alone, not the drain under
 * test), says whether they did, over a span that holds the drain's (the
 * millisecond on each side is far more than the kernel takes to hand an
 * event to every listener). A host never quiet in 50 tries leaves that
 * part unchecked, and says so.
 */
static bool busy(struct cdmd_procwatch *judge)
{
	int fd = cdmd_procwatch_fd(judge);
	unsigned char buf[8192];
	bool seen = false;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) != 0) {
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0 || cdmd_procwatch_parse(buf, n))
			seen = true;
	}
	return seen;
}

static void drain(void **state)
{
	struct cdmd_procwatch *judge;
	bool quiet = false;
	pthread_t thread;
	pid_t pid, tid;
	int i;

	watch();
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(0);
	waitpid(pid, NULL, 0);
	assert_true(cdmd_procwatch_drain(pw));
	assert_int_equal(cdmd_procwatch_open(&judge, stderr), 0);
	for (i = 0; i < 50 && !quiet; i++) {
		busy(judge);
		usleep(1000);
		cdmd_procwatch_drain(pw);
		assert_int_equal(pthread_create(&thread, NULL, thread_main, &tid), 0);
		assert_int_equal(pthread_join(thread, NULL), 0);
		usleep(20000);
		quiet = !cdmd_procwatch_drain(pw);
		usleep(1000);
		if (busy(judge) && !quiet)
			continue;
		if (!quiet)
			fail_msg("a scan asked for after a quiet moment (try %d)", i);
	}
	cdmd_procwatch_close(judge);
	if (!quiet)
		print_message("# the host was never quiet for 20 ms: a drain that asks for no "
			      "scan not seen\n");
}

/* Lost events (the socket's buffer overflowed) ask for a scan, though
 * none of them would: the buffer made as small as it goes (a few
 * events), then 300 events of the test's threads. Last: the socket
 * stays small. */
static void overflow(void **state)
{
	int fd = watch(), small = 1;
	pthread_t thread;
	pid_t tid;
	int i;

	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	for (i = 0; i < 100; i++) {
		assert_int_equal(pthread_create(&thread, NULL, thread_main, &tid), 0);
		assert_int_equal(pthread_join(thread, NULL), 0);
	}
	assert_true(cdmd_procwatch_drain(pw));
}

/* Without CAP_NET_ADMIN (as nobody): EPERM, and the step that failed */
static void unprivileged(void **state)
{
	int status, out[2];
	char msg[256] = "";
	ssize_t n;
	pid_t pid;

	if (open_rc && open_rc != -EPERM)
		skip();		/* no connector: nothing to be refused */
	assert_int_equal(pipe(out), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct cdmd_procwatch *other;
		FILE *err = fdopen(out[1], "w");
		int rc;

		if (getuid() == 0 && setuid(65534))
			_exit(2);
		rc = cdmd_procwatch_open(&other, err);
		fclose(err);
		_exit(rc == -EPERM ? 0 : 1);
	}
	close(out[1]);
	n = read(out[0], msg, sizeof(msg) - 1);
	close(out[0]);
	assert_true(n > 0);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 2)
		skip();		/* root that may not become nobody */
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(msg, "process events: joining the process events group: "
			    "Operation not permitted\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(events),
		cmocka_unit_test(hostile),
		cmocka_unit_test(several),
		cmocka_unit_test(fuzz),
		cmocka_unit_test(child_events),
		cmocka_unit_test(thread_events),
		cmocka_unit_test(drain),
		cmocka_unit_test(overflow),
		cmocka_unit_test(unprivileged),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("cdmd procwatch", tests, open_watch, close_watch);
}
