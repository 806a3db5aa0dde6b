// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The metrics endpoint (daemon/metrics.c) on this host's loopback, on a
 * port the kernel picks, asked by a plain socket client: 503 before the
 * first page, GET and HEAD of /metrics, 404 and 405; hostile clients (a
 * 64 KiB request line, one that sends nothing, one that reads nothing,
 * twenty at once) that must not keep others from being served; pages
 * published while another thread fetches, each fetch one whole version;
 * a port in use and too few file descriptors, reported by address. Then
 * the rendering helpers: the format exactly, escaping, values, names
 * refused, and out of memory (realloc wrapped) leaving whole lines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "metrics.h"

#define GET		"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
#define CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/* ---- realloc, wrapped: the rendering's only allocator ---- */

void *__real_realloc(void *p, size_t size);
static int realloc_fail = -1;		/* reallocs until one fails; -1: none */

void *__wrap_realloc(void *p, size_t size)
{
	if (realloc_fail >= 0 && realloc_fail-- == 0)
		return NULL;
	return __real_realloc(p, size);
}

/* ---- a plain HTTP client ---- */

struct reply {
	int status;		/* 0: closed or reset before a status line */
	char *head;		/* status line and headers, NUL-terminated */
	char *body;		/* after the blank line, NUL-terminated */
	size_t body_len;
	char *raw;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool have_ipv6(void)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a));

	if (fd >= 0)
		close(fd);
	return ok;
}

static int connect_to(int family, unsigned int port)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} a = { 0 };
	struct timeval tv = { .tv_sec = 10 };
	socklen_t len;
	int fd;

	if (family == AF_INET) {
		a.in = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port),
					     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		len = sizeof(a.in);
	} else {
		a.in6 = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = htons(port),
					       .sin6_addr = IN6ADDR_LOOPBACK_INIT };
		len = sizeof(a.in6);
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	/* a server that hangs fails the test instead of stalling it */
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(connect(fd, &a.sa, len), 0);
	return fd;
}

/* as much of @len bytes as the server takes before it closes */
static void send_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		buf += n;
		len -= n;
	}
}

/* up to EOF or a reset */
static void read_reply(int fd, struct reply *r)
{
	size_t len = 0, cap = 4096;
	char *raw = malloc(cap), *end;
	ssize_t n;

	assert_non_null(raw);
	for (;;) {
		if (cap - len < 4096) {
			cap *= 2;
			raw = realloc(raw, cap);
			assert_non_null(raw);
		}
		n = recv(fd, raw + len, cap - len - 1, 0);
		if (n <= 0)
			break;
		len += n;
	}
	raw[len] = '\0';
	*r = (struct reply){ .raw = raw, .head = raw, .body = raw + len };
	if (sscanf(raw, "HTTP/1.%*d %d", &r->status) != 1)
		r->status = 0;
	end = strstr(raw, "\r\n\r\n");
	if (end) {
		*end = '\0';
		r->body = end + 4;
		r->body_len = raw + len - r->body;
	}
}

static void request_on(int family, unsigned int port, const char *request, size_t len,
		       struct reply *r)
{
	int fd = connect_to(family, port);

	send_all(fd, request, len);
	read_reply(fd, r);
	close(fd);
}

static void request(unsigned int port, const char *request, struct reply *r)
{
	request_on(AF_INET, port, request, strlen(request), r);
}

static void reply_free(struct reply *r)
{
	free(r->raw);
	*r = (struct reply){ 0 };
}

/* the value of header @name ("" when absent), in a static buffer */
static const char *header(const struct reply *r, const char *name)
{
	static char value[256];
	const char *line = strstr(r->head, "\r\n");
	size_t n = strlen(name), end;

	value[0] = '\0';
	while (line) {
		line += 2;
		if (!strncasecmp(line, name, n) && line[n] == ':') {
			line += n + 1;
			line += strspn(line, " ");
			end = strcspn(line, "\r");
			snprintf(value, sizeof(value), "%.*s", (int)end, line);
			break;
		}
		line = strstr(line, "\r\n");
	}
	return value;
}

static struct cdmd_metrics *start(void)
{
	struct cdmd_metrics *m = NULL;

	assert_int_equal(cdmd_metrics_start(0, stderr, &m), 0);
	assert_non_null(m);
	assert_true(cdmd_metrics_port(m) > 0);
	return m;
}

static void publish(struct cdmd_metrics *m, const char *text)
{
	assert_int_equal(cdmd_metrics_publish(m, text, strlen(text)), 0);
}

/* ---- requests ---- */

static void requests(void **state)
{
	static const char page[] = "# TYPE cdmd_up gauge\ncdmd_up 1\n";
	struct cdmd_metrics *m = start();
	unsigned int port = cdmd_metrics_port(m);
	struct reply r;
	char buf[64];

	request(port, GET, &r);
	assert_int_equal(r.status, 503);
	reply_free(&r);

	publish(m, page);
	request(port, GET, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(header(&r, "Content-Type"), CONTENT_TYPE);
	assert_string_equal(r.body, page);
	reply_free(&r);

	request(port, "GET /metrics?name[]=cdmd_up HTTP/1.1\r\nHost: x\r\n"
		"Connection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, page);
	reply_free(&r);

	request(port, "GET /metrics HTTP/1.0\r\n\r\n", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, page);
	reply_free(&r);

	/* HEAD: GET's headers, no body */
	request(port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(header(&r, "Content-Type"), CONTENT_TYPE);
	snprintf(buf, sizeof(buf), "%zu", strlen(page));
	assert_string_equal(header(&r, "Content-Length"), buf);
	assert_int_equal(r.body_len, 0);
	reply_free(&r);

	request(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 404);
	reply_free(&r);
	request(port, "GET /metrics/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 404);
	reply_free(&r);

	request(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		"Content-Length: 5\r\n\r\nhello", &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(header(&r, "Allow"), "GET, HEAD");
	reply_free(&r);
	request(port, "DELETE /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(header(&r, "Allow"), "GET, HEAD");
	reply_free(&r);

	/* an empty page is a page */
	assert_int_equal(cdmd_metrics_publish(m, NULL, 0), 0);
	request(port, GET, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	reply_free(&r);

	if (have_ipv6()) {
		request_on(AF_INET6, port, GET, strlen(GET), &r);
		assert_int_equal(r.status, 200);
		assert_string_equal(header(&r, "Content-Type"), CONTENT_TYPE);
		reply_free(&r);
	}
	cdmd_metrics_stop(m);
}

/* a page larger than a connection's memory arrives whole */
static void large_page(void **state)
{
	struct cdmd_metrics *m = start();
	size_t len = 4 << 20, i;
	char *page = malloc(len + 1);
	struct reply r;

	assert_non_null(page);
	for (i = 0; i < len; i++)
		page[i] = i % 64 == 63 ? '\n' : 'a' + i % 26;
	page[len] = '\0';
	assert_int_equal(cdmd_metrics_publish(m, page, len), 0);
	request(cdmd_metrics_port(m), GET, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, len);
	assert_memory_equal(r.body, page, len);
	reply_free(&r);
	free(page);
	cdmd_metrics_stop(m);
}

/* ---- hostile clients ---- */

static void long_request_line(void **state)
{
	struct cdmd_metrics *m = start();
	unsigned int port = cdmd_metrics_port(m);
	size_t len = 64 << 10;
	char *req = malloc(len + 64);
	struct reply r;
	int n;

	assert_non_null(req);
	publish(m, "cdmd_up 1\n");
	n = sprintf(req, "GET /");
	memset(req + n, 'a', len);
	strcpy(req + n + len, " HTTP/1.1\r\nHost: x\r\n\r\n");
	request_on(AF_INET, port, req, strlen(req), &r);
	/* refused: an error status, or a connection closed early */
	assert_true(r.status == 0 || r.status >= 400);
	reply_free(&r);
	free(req);

	request(port, GET, &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	cdmd_metrics_stop(m);
}

/* One client sends nothing, one asks for a large page and reads none of
 * it: another is served at once, and the silent one is dropped after
 * the timeout (5 s) */
static void stalled_clients(void **state)
{
	struct cdmd_metrics *m = start();
	unsigned int port = cdmd_metrics_port(m);
	size_t len = 16 << 20;
	char *page = malloc(len), c;
	int silent, stuck;
	double t0, t;
	struct reply r;

	assert_non_null(page);
	memset(page, 'x', len);
	assert_int_equal(cdmd_metrics_publish(m, page, len), 0);
	free(page);

	t0 = now();
	silent = connect_to(AF_INET, port);
	stuck = connect_to(AF_INET, port);
	send_all(stuck, GET, strlen(GET));
	usleep(200 * 1000);		/* the server has filled stuck's buffers */
	publish(m, "cdmd_up 1\n");

	t = now();
	request(port, GET, &r);
	assert_true(now() - t < 1.0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "cdmd_up 1\n");
	reply_free(&r);

	/* EOF for the silent one */
	assert_int_equal(recv(silent, &c, 1, 0), 0);
	t = now() - t0;
	assert_true(t > 4.0 && t < 8.0);
	close(silent);
	close(stuck);
	cdmd_metrics_stop(m);
}

/* Twenty at once, more than the 8 connections served together: each is
 * served or refused, at least 8 are served, and the next one is */
static void many_clients(void **state)
{
	struct cdmd_metrics *m = start();
	unsigned int port = cdmd_metrics_port(m);
	int fds[20], i, served = 0, refused = 0;
	struct reply r;

	publish(m, "cdmd_up 1\n");
	for (i = 0; i < 20; i++)
		fds[i] = connect_to(AF_INET, port);
	for (i = 0; i < 20; i++)
		send_all(fds[i], GET, strlen(GET));
	for (i = 0; i < 20; i++) {
		read_reply(fds[i], &r);
		if (r.status == 200 && !strcmp(r.body, "cdmd_up 1\n"))
			served++;
		else if (r.status == 0)
			refused++;
		reply_free(&r);
		close(fds[i]);
	}
	assert_int_equal(served + refused, 20);
	assert_true(served >= 8);

	request(port, GET, &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	cdmd_metrics_stop(m);
}

/* ---- publishing while serving ---- */

#define VERSIONS	1000

struct publisher {
	struct cdmd_metrics *m;
	atomic_bool done;
};

/* version @v: "v N\n" repeated, a length of its own */
static size_t version_lines(int v)
{
	return (v % 8 + 1) * 1000;
}

static void *publish_versions(void *arg)
{
	struct publisher *p = arg;
	char *page = malloc(version_lines(VERSIONS - 1) * 16), *s;
	size_t i;
	int v;

	assert_non_null(page);
	for (v = 0; v < VERSIONS; v++) {
		s = page;
		for (i = 0; i < version_lines(v); i++)
			s += sprintf(s, "v %d\n", v);
		assert_int_equal(cdmd_metrics_publish(p->m, page, s - page), 0);
		usleep(100);
	}
	free(page);
	atomic_store(&p->done, true);
	return NULL;
}

/* the version of a body that holds one version whole, or -1 */
static int whole_version(const char *body)
{
	char line[32];
	size_t n = 0, len;
	int v;

	if (sscanf(body, "v %d\n", &v) != 1 || v < 0 || v >= VERSIONS)
		return -1;
	len = snprintf(line, sizeof(line), "v %d\n", v);
	for (; *body; body += len, n++)
		if (strncmp(body, line, len))
			return -1;
	return n == version_lines(v) ? v : -1;
}

static void publish_while_serving(void **state)
{
	struct publisher p = { .m = start() };
	unsigned int port = cdmd_metrics_port(p.m);
	int last = -1, v, fetches = 0;
	pthread_t thread;
	struct reply r;
	bool done;

	publish(p.m, "v 0\n");
	assert_int_equal(pthread_create(&thread, NULL, publish_versions, &p), 0);
	do {
		done = atomic_load(&p.done);
		request(port, GET, &r);
		assert_int_equal(r.status, 200);
		v = whole_version(r.body);
		if (v < 0 && !strcmp(r.body, "v 0\n"))
			v = 0;		/* the first page, before the thread's */
		assert_true(v >= last);
		last = v;
		fetches++;
		reply_free(&r);
	} while (!done);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_int_equal(last, VERSIONS - 1);	/* the fetch after the last publish */
	assert_true(fetches >= 2);
	cdmd_metrics_stop(p.m);
}

/* ---- starting ---- */

static void port_in_use(void **state)
{
	struct cdmd_metrics *m = start(), *m2 = NULL;
	unsigned int port = cdmd_metrics_port(m);
	char *msg = NULL, want[128];
	size_t len;
	FILE *err = open_memstream(&msg, &len);

	assert_int_equal(cdmd_metrics_start(port, err, &m2), -EADDRINUSE);
	assert_null(m2);
	fclose(err);
	snprintf(want, sizeof(want), "metrics: 127.0.0.1:%u: Address already in use\n", port);
	assert_string_equal(msg, want);
	free(msg);
	cdmd_metrics_stop(m);

	/* the port free again after stop */
	m = NULL;
	assert_int_equal(cdmd_metrics_start(port, stderr, &m), 0);
	assert_int_equal(cdmd_metrics_port(m), port);
	cdmd_metrics_stop(m);
}

/* Another program on [::1]:PORT alone: refused by that address, and
 * 127.0.0.1:PORT released again */
static void port_in_use_ipv6(void **state)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a6);
	struct cdmd_metrics *m = NULL;
	char *msg = NULL, want[128];
	unsigned int port;
	int fd6, fd4, on = 1;
	size_t len;
	FILE *err;

	if (!have_ipv6())
		skip();
	fd6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(setsockopt(fd6, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)), 0);
	assert_int_equal(bind(fd6, (struct sockaddr *)&a6, sizeof(a6)), 0);
	assert_int_equal(listen(fd6, 1), 0);
	assert_int_equal(getsockname(fd6, (struct sockaddr *)&a6, &alen), 0);
	port = ntohs(a6.sin6_port);

	err = open_memstream(&msg, &len);
	assert_int_equal(cdmd_metrics_start(port, err, &m), -EADDRINUSE);
	fclose(err);
	snprintf(want, sizeof(want), "metrics: [::1]:%u: Address already in use\n", port);
	assert_string_equal(msg, want);
	free(msg);

	fd4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a4.sin_port = htons(port);
	assert_int_equal(bind(fd4, (struct sockaddr *)&a4, sizeof(a4)), 0);
	close(fd4);
	close(fd6);
}

static void bad_port(void **state)
{
	struct cdmd_metrics *m = NULL;
	char *msg = NULL;
	size_t len;
	FILE *err = open_memstream(&msg, &len);

	assert_int_equal(cdmd_metrics_start(65536, err, &m), -EINVAL);
	fclose(err);
	assert_string_equal(msg, "metrics: port 65536: out of range (1-65535, 0 for any)\n");
	free(msg);
	assert_null(m);
}

static int lowest_free_fd(void)
{
	int fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);

	assert_true(fd >= 0);
	close(fd);
	return fd;
}

static bool ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), e = strlen(end);

	return n >= e && !strcmp(s + n - e, end);
}

/* With room for 0, 1 and 2 more descriptors: the IPv4 socket fails, the
 * IPv6 one, libmicrohttpd's epoll; each reported by its address, every
 * descriptor given back */
static void out_of_fds(void **state)
{
	bool v6 = have_ipv6();
	const struct {
		int room;
		const char *addr;
	} rows[] = {
		{ 0, "127.0.0.1" },
		{ 1, v6 ? "[::1]" : "127.0.0.1" },
		{ 2, "127.0.0.1" },
	};
	struct rlimit old, lim;
	struct cdmd_metrics *m;
	char *msg, want[64];
	size_t i, len;
	int lowest, rc, fd;
	FILE *err;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		msg = NULL;
		err = open_memstream(&msg, &len);
		assert_non_null(err);
		lowest = lowest_free_fd();
		for (fd = lowest; fd < lowest + rows[i].room; fd++)
			assert_int_equal(fcntl(fd, F_GETFD), -1);
		lim = old;
		lim.rlim_cur = lowest + rows[i].room;
		m = NULL;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
		rc = cdmd_metrics_start(0, err, &m);
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
		fclose(err);
		assert_int_equal(rc, -EMFILE);
		assert_null(m);
		snprintf(want, sizeof(want), "metrics: %s:", rows[i].addr);
		assert_true(!strncmp(msg, want, strlen(want)));
		assert_true(ends_with(msg, ": Too many open files\n"));
		free(msg);
		assert_int_equal(lowest_free_fd(), lowest);
	}
}

static void stop_null(void **state)
{
	cdmd_metrics_stop(NULL);
}

/* ---- rendering ---- */

static void render_page(void **state)
{
	struct cdmd_metrics_text t = { 0 };

	assert_int_equal(cdmd_metrics_family(&t, "cdmd_up", "gauge", "1 while cdmd runs."), 0);
	assert_int_equal(cdmd_metrics_sample(&t, "cdmd_up", 1, NULL), 0);
	assert_int_equal(cdmd_metrics_family(&t, "cdmd_held_total", "counter",
					     "Moves held back, by reason."), 0);
	assert_int_equal(cdmd_metrics_sample(&t, "cdmd_held_total", 12, "target", "db",
					     "reason", "pingpong", NULL), 0);
	assert_int_equal(cdmd_metrics_sample(&t, "cdmd_held_total", 0, "target", "db",
					     "reason", "rate", NULL), 0);
	assert_int_equal(cdmd_metrics_family(&t, "cdmd_round_seconds", "gauge",
					     "The last round's duration."), 0);
	assert_int_equal(cdmd_metrics_sample(&t, "cdmd_round_seconds", 0.125, NULL), 0);
	assert_int_equal(cdmd_metrics_family(&t, "cdmd:odd_Name9", "gauge",
					     "A \\ backslash,\na second line, \"quoted\"."), 0);
	assert_int_equal(cdmd_metrics_sample(&t, "cdmd:odd_Name9", -3, "_l", "", NULL), 0);
	assert_string_equal(t.buf,
		"# HELP cdmd_up 1 while cdmd runs.\n"
		"# TYPE cdmd_up gauge\n"
		"cdmd_up 1\n"
		"# HELP cdmd_held_total Moves held back, by reason.\n"
		"# TYPE cdmd_held_total counter\n"
		"cdmd_held_total{target=\"db\",reason=\"pingpong\"} 12\n"
		"cdmd_held_total{target=\"db\",reason=\"rate\"} 0\n"
		"# HELP cdmd_round_seconds The last round's duration.\n"
		"# TYPE cdmd_round_seconds gauge\n"
		"cdmd_round_seconds 0.125\n"
		"# HELP cdmd:odd_Name9 A \\\\ backslash,\\na second line, \"quoted\".\n"
		"# TYPE cdmd:odd_Name9 gauge\n"
		"cdmd:odd_Name9{_l=\"\"} -3\n");
	assert_int_equal(t.len, strlen(t.buf));
	cdmd_metrics_text_free(&t);
	assert_null(t.buf);
	assert_int_equal(t.len, 0);
	assert_int_equal(t.cap, 0);
}

static void render_escaping(void **state)
{
	static const struct {
		const char *value, *rendered;
	} rows[] = {
		{ "plain", "m{l=\"plain\"} 1\n" },
		{ "a\\b", "m{l=\"a\\\\b\"} 1\n" },
		{ "say \"hi\"", "m{l=\"say \\\"hi\\\"\"} 1\n" },
		{ "two\nlines", "m{l=\"two\\nlines\"} 1\n" },
		{ "\\\"\n", "m{l=\"\\\\\\\"\\n\"} 1\n" },
		{ "\n\n", "m{l=\"\\n\\n\"} 1\n" },
		{ "tab\tand {braces}=,", "m{l=\"tab\tand {braces}=,\"} 1\n" },
		{ "ünïcödé", "m{l=\"ünïcödé\"} 1\n" },
		{ "", "m{l=\"\"} 1\n" },
	};
	struct cdmd_metrics_text t = { 0 };
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(cdmd_metrics_sample(&t, "m", 1, "l", rows[i].value, NULL), 0);
		assert_string_equal(t.buf, rows[i].rendered);
		cdmd_metrics_text_free(&t);
	}
	/* HELP escapes backslash and newline, not quotes */
	assert_int_equal(cdmd_metrics_family(&t, "m", "counter", "\\ \" \n"), 0);
	assert_string_equal(t.buf, "# HELP m \\\\ \" \\n\n# TYPE m counter\n");
	cdmd_metrics_text_free(&t);
}

static void render_values(void **state)
{
	static const struct {
		double value;
		const char *text;
	} rows[] = {
		{ 0, "0" },
		{ 1, "1" },
		{ -3, "-3" },
		{ 4096, "4096" },
		{ 1e15, "1000000000000000" },
		{ 9007199254740992.0, "9007199254740992" },	/* 2^53 */
		{ 9007199254740994.0, "9007199254740994" },
		{ 3e20, "3e+20" },
		{ (double)UINT64_MAX, "1.8446744073709552e+19" },
		{ 0.1, "0.1" },
		{ 0.125, "0.125" },
		{ 1.0 / 3, "0.3333333333333333" },
		{ 123456.789, "123456.789" },
		{ 1.5e-9, "1.5e-09" },
		{ NAN, "NaN" },
		{ INFINITY, "+Inf" },
		{ -INFINITY, "-Inf" },
	};
	struct cdmd_metrics_text t = { 0 };
	char want[64];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(cdmd_metrics_sample(&t, "v", rows[i].value, NULL), 0);
		snprintf(want, sizeof(want), "v %s\n", rows[i].text);
		assert_string_equal(t.buf, want);
		if (!isnan(rows[i].value))
			assert_true(strtod(t.buf + 2, NULL) == rows[i].value);
		cdmd_metrics_text_free(&t);
	}
}

/* -EINVAL, and the text as it was */
static void render_bad_names(void **state)
{
	static const char *const metric_names[] = {
		"", "1abc", "a-b", "a b", "a.b", "ü", "a{b", "a\n", "a\"",
	};
	static const char *const label_names[] = {
		"", "1x", "a:b", "__name__", "__x", "a-b", "a b", "ü",
	};
	static const char *const types[] = { "histogram", "summary", "Counter", "" };
	static const char before[] = "# HELP x X.\n# TYPE x gauge\n";
	struct cdmd_metrics_text t = { 0 };
	size_t i;

	assert_int_equal(cdmd_metrics_family(&t, "x", "gauge", "X."), 0);
	for (i = 0; i < sizeof(metric_names) / sizeof(metric_names[0]); i++) {
		assert_int_equal(cdmd_metrics_family(&t, metric_names[i], "gauge", "h"), -EINVAL);
		assert_int_equal(cdmd_metrics_sample(&t, metric_names[i], 1, NULL), -EINVAL);
		assert_int_equal(cdmd_metrics_sample(&t, metric_names[i], 1, "a", "b", NULL),
				 -EINVAL);
	}
	for (i = 0; i < sizeof(label_names) / sizeof(label_names[0]); i++) {
		assert_int_equal(cdmd_metrics_sample(&t, "m", 1, label_names[i], "v", NULL),
				 -EINVAL);
		/* after a good label: the part written is taken back */
		assert_int_equal(cdmd_metrics_sample(&t, "m", 1, "ok", "v", label_names[i], "v",
						     NULL), -EINVAL);
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		assert_int_equal(cdmd_metrics_family(&t, "m", types[i], "h"), -EINVAL);
	assert_int_equal(cdmd_metrics_family(&t, NULL, "gauge", "h"), -EINVAL);
	assert_int_equal(cdmd_metrics_family(&t, "m", NULL, "h"), -EINVAL);
	assert_int_equal(cdmd_metrics_family(&t, "m", "gauge", NULL), -EINVAL);
	assert_int_equal(cdmd_metrics_sample(&t, NULL, 1, NULL), -EINVAL);
	assert_int_equal(cdmd_metrics_sample(&t, "m", 1, "l", NULL), -EINVAL);
	assert_string_equal(t.buf, before);
	assert_int_equal(t.len, strlen(before));
	cdmd_metrics_text_free(&t);
}

static void render_nomem(void **state)
{
	struct cdmd_metrics_text t = { 0 };
	char *before, value[256];

	realloc_fail = 0;
	assert_int_equal(cdmd_metrics_family(&t, "m", "gauge", "h"), -ENOMEM);
	assert_null(t.buf);
	assert_int_equal(t.len, 0);
	realloc_fail = -1;
	assert_int_equal(cdmd_metrics_family(&t, "m", "gauge", "h"), 0);

	/* a few bytes short of the capacity, then a line that crosses it
	 * in its label value */
	while (t.cap - t.len > 64)
		assert_int_equal(cdmd_metrics_sample(&t, "filler", 1, NULL), 0);
	before = strdup(t.buf);
	assert_non_null(before);
	memset(value, '\\', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	realloc_fail = 0;
	assert_int_equal(cdmd_metrics_sample(&t, "m", 1, "l", value, NULL), -ENOMEM);
	assert_int_equal(realloc_fail, -1);	/* it was asked */
	assert_string_equal(t.buf, before);
	assert_int_equal(t.len, strlen(before));
	realloc_fail = 0;
	assert_int_equal(cdmd_metrics_family(&t, "m2", "gauge", value), -ENOMEM);
	assert_string_equal(t.buf, before);
	realloc_fail = -1;

	assert_int_equal(cdmd_metrics_sample(&t, "m", 1, "l", value, NULL), 0);
	assert_int_equal(strncmp(t.buf, before, strlen(before)), 0);
	assert_int_equal(t.len, strlen(before) + strlen("m{l=\"\"} 1\n") + 2 * strlen(value));
	free(before);
	cdmd_metrics_text_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(requests),
		cmocka_unit_test(large_page),
		cmocka_unit_test(long_request_line),
		cmocka_unit_test(stalled_clients),
		cmocka_unit_test(many_clients),
		cmocka_unit_test(publish_while_serving),
		cmocka_unit_test(port_in_use),
		cmocka_unit_test(port_in_use_ipv6),
		cmocka_unit_test(bad_port),
		cmocka_unit_test(out_of_fds),
		cmocka_unit_test(stop_null),
		cmocka_unit_test(render_page),
		cmocka_unit_test(render_escaping),
		cmocka_unit_test(render_values),
		cmocka_unit_test(render_bad_names),
		cmocka_unit_test(render_nomem),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("cdmd metrics", tests, NULL, NULL);
}
