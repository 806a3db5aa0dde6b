// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The metrics endpoint (metrics.h) on libmicrohttpd. cdmd binds the
 * loopback sockets itself, so a port in use is an errno it can name,
 * and hands each to a libmicrohttpd daemon with an internal polling
 * thread: one thread per address, never blocking on one client, so a
 * client that stalls (sends nothing, reads nothing) holds a connection
 * slot until the timeout and nothing else. The page is an MHD_Response
 * made once per publish from a copy of the text; a request takes a
 * reference to the page current when it arrives, so a publish during a
 * transfer replaces the page for later requests only.
 */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "metrics.h"

#define CONTENT_TYPE		"text/plain; version=0.0.4; charset=utf-8"
/* Connections served at once, per address: a few scrapers are normal,
 * more would be a misconfiguration. Those over wait in the kernel's
 * queue of METRICS_BACKLOG, beyond it the kernel drops their SYNs and
 * they retry. */
#define METRICS_CONNECTIONS	8
#define METRICS_BACKLOG		16
/* A client that sends or takes nothing for this long is dropped */
#define METRICS_TIMEOUT_S	5
/* Per connection, for the request and the response's headers (a
 * scraper's request is a few hundred bytes): a longer request gets 414.
 * The page is sent from the published copy, not from this memory. */
#define METRICS_CONN_MEMORY	(16 * 1024)
/* Port 0: picks of the kernel tried until one is free on ::1 as well */
#define EPHEMERAL_TRIES		16
#define TEXT_MIN_CAP		4096
/* 2^53: up to here a double holds every integer */
#define EXACT_INTEGERS		9007199254740992.0

struct listener {
	struct cdmd_metrics *m;
	const char *addr;		/* "127.0.0.1", "[::1]": for messages */
	int fd;				/* until its daemon owns it, else -1 */
	struct MHD_Daemon *daemon;
	bool starting;			/* libmicrohttpd's messages go to msg */
	char msg[256];
};

struct cdmd_metrics {
	pthread_mutex_t lock;		/* page */
	struct MHD_Response *page;	/* the latest published, NULL before */
	/* each listener's starting and msg; not lock: libmicrohttpd may
	 * log while the request handler holds that */
	pthread_mutex_t log_lock;
	struct MHD_Response *not_found, *not_allowed, *unavailable;
	struct listener listeners[2];	/* IPv4, IPv6 */
	unsigned int port;
};

static int fail(FILE *err, const char *addr, unsigned int port, int e, const char *msg)
{
	fprintf(err, "metrics: %s:%u: %s\n", addr, port, msg ? msg : strerror(e));
	return -e;
}

/* ---- the sockets ---- */

/* A socket listening on loopback @family at @port: the fd, or -errno */
static int listen_on(int family, unsigned int port)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} a = { 0 };
	socklen_t len;
	int fd, on = 1, e;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (family == AF_INET) {
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons(port);
		a.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(a.in);
	} else {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons(port);
		a.in6.sin6_addr = in6addr_loopback;
		len = sizeof(a.in6);
	}
	/* SO_REUSEADDR: a restarted cdmd gets its port back while the old
	 * one's connections linger in TIME_WAIT; it does not let two
	 * listeners share a port on Linux (that is SO_REUSEPORT) */
	if ((family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on))) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
	    bind(fd, &a.sa, len) || listen(fd, METRICS_BACKLOG)) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static unsigned int bound_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len))
		return 0;
	return ntohs(a.sin_port);
}

/*
 * 127.0.0.1:@port, then [::1] on the same port. Without IPv6 (the
 * kernel has none, EAFNOSUPPORT, or lo has no ::1, EADDRNOTAVAIL) IPv4
 * alone serves: every scraper on the host reaches 127.0.0.1. For @port
 * 0 the kernel picks the IPv4 port, which another program may hold on
 * ::1: then another pick.
 */
static int open_sockets(struct cdmd_metrics *m, unsigned int port, FILE *err)
{
	struct listener *v4 = &m->listeners[0], *v6 = &m->listeners[1];
	int tries = 0;

	for (;;) {
		v4->fd = listen_on(AF_INET, port);
		if (v4->fd < 0)
			return fail(err, v4->addr, port, -v4->fd, NULL);
		m->port = port ? port : bound_port(v4->fd);
		v6->fd = listen_on(AF_INET6, m->port);
		if (v6->fd >= 0 || v6->fd == -EAFNOSUPPORT || v6->fd == -EADDRNOTAVAIL)
			return 0;
		close(v4->fd);
		v4->fd = -1;
		if (v6->fd != -EADDRINUSE || port || ++tries == EPHEMERAL_TRIES)
			return fail(err, v6->addr, m->port, -v6->fd, NULL);
	}
}

/* ---- the server ---- */

/* libmicrohttpd's messages: while a daemon starts, the last one explains
 * a failure; later ones tell of clients that went away or misbehaved,
 * which is no news for cdmd's log */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct listener *l = cls;
	size_t n;

	pthread_mutex_lock(&l->m->log_lock);
	if (l->starting) {
		vsnprintf(l->msg, sizeof(l->msg), fmt, ap);
		n = strlen(l->msg);
		if (n && l->msg[n - 1] == '\n')
			l->msg[n - 1] = '\0';
	}
	pthread_mutex_unlock(&l->m->log_lock);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **req)
{
	static char answered;
	struct cdmd_metrics *m = cls;
	enum MHD_Result ret;

	/* every request is answered on its first call: a body sent with
	 * it (a POST's) is dropped */
	if (*req) {
		*upload_size = 0;
		return MHD_YES;
	}
	*req = &answered;
	if (strcmp(url, "/metrics"))
		return MHD_queue_response(c, MHD_HTTP_NOT_FOUND, m->not_found);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, m->not_allowed);
	/* the connection takes its own reference to the page */
	pthread_mutex_lock(&m->lock);
	if (m->page)
		ret = MHD_queue_response(c, MHD_HTTP_OK, m->page);
	else
		ret = MHD_queue_response(c, MHD_HTTP_SERVICE_UNAVAILABLE, m->unavailable);
	pthread_mutex_unlock(&m->lock);
	return ret;
}

/* A response of a fixed text, with an Allow header when @allow is set */
static struct MHD_Response *fixed(const char *body, const char *allow)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (r && (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
					  "text/plain; charset=utf-8") != MHD_YES ||
		  (allow && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES))) {
		MHD_destroy_response(r);
		r = NULL;
	}
	return r;
}

static int serve(struct cdmd_metrics *m, struct listener *l, FILE *err)
{
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	int e;

	if (l == &m->listeners[1])
		flags |= MHD_USE_IPv6;
	pthread_mutex_lock(&m->log_lock);
	l->starting = true;
	pthread_mutex_unlock(&m->log_lock);
	errno = 0;
	/* the logger first, as libmicrohttpd asks: it logs while parsing */
	l->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, m,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, l,
		MHD_OPTION_LISTEN_SOCKET, l->fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)METRICS_CONN_MEMORY,
		MHD_OPTION_END);
	e = errno ? errno : EIO;
	pthread_mutex_lock(&m->log_lock);
	l->starting = false;
	pthread_mutex_unlock(&m->log_lock);
	/* a daemon that failed to start leaves the socket open (0.9.75):
	 * cdmd_metrics_stop() closes it */
	if (!l->daemon)
		return fail(err, l->addr, m->port, e, l->msg[0] ? l->msg : NULL);
	l->fd = -1;			/* MHD_stop_daemon() closes it */
	return 0;
}

int cdmd_metrics_start(unsigned int port, FILE *err, struct cdmd_metrics **mp)
{
	struct cdmd_metrics *m;
	int i, rc;

	if (port > 65535) {
		fprintf(err, "metrics: port %u: out of range (1-65535, 0 for any)\n", port);
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return fail(err, "127.0.0.1", port, ENOMEM, "out of memory");
	pthread_mutex_init(&m->lock, NULL);
	pthread_mutex_init(&m->log_lock, NULL);
	m->listeners[0] = (struct listener){ .m = m, .addr = "127.0.0.1", .fd = -1 };
	m->listeners[1] = (struct listener){ .m = m, .addr = "[::1]", .fd = -1 };
	m->not_found = fixed("not found: cdmd serves /metrics\n", NULL);
	m->not_allowed = fixed("method not allowed: GET or HEAD\n", "GET, HEAD");
	m->unavailable = fixed("no metrics yet: cdmd's first round is under way\n", NULL);
	if (!m->not_found || !m->not_allowed || !m->unavailable) {
		rc = fail(err, "127.0.0.1", port, ENOMEM, "out of memory");
		goto fail;
	}
	rc = open_sockets(m, port, err);
	for (i = 0; !rc && i < 2; i++)
		if (m->listeners[i].fd >= 0)
			rc = serve(m, &m->listeners[i], err);
	if (rc)
		goto fail;
	*mp = m;
	return 0;

fail:
	cdmd_metrics_stop(m);
	return rc;
}

unsigned int cdmd_metrics_port(struct cdmd_metrics *m)
{
	return m->port;
}

int cdmd_metrics_publish(struct cdmd_metrics *m, const char *text, size_t len)
{
	struct MHD_Response *page, *old;

	page = MHD_create_response_from_buffer(len, (void *)(len ? text : ""),
					       MHD_RESPMEM_MUST_COPY);
	if (!page)
		return -ENOMEM;
	if (MHD_add_response_header(page, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE) != MHD_YES) {
		MHD_destroy_response(page);
		return -ENOMEM;
	}
	pthread_mutex_lock(&m->lock);
	old = m->page;
	m->page = page;
	pthread_mutex_unlock(&m->lock);
	/* freed when the last request sending it is done */
	if (old)
		MHD_destroy_response(old);
	return 0;
}

void cdmd_metrics_stop(struct cdmd_metrics *m)
{
	int i;

	if (!m)
		return;
	for (i = 0; i < 2; i++) {
		if (m->listeners[i].daemon)
			MHD_stop_daemon(m->listeners[i].daemon);
		if (m->listeners[i].fd >= 0)
			close(m->listeners[i].fd);
	}
	if (m->page)
		MHD_destroy_response(m->page);
	if (m->not_found)
		MHD_destroy_response(m->not_found);
	if (m->not_allowed)
		MHD_destroy_response(m->not_allowed);
	if (m->unavailable)
		MHD_destroy_response(m->unavailable);
	pthread_mutex_destroy(&m->log_lock);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* ---- rendering ---- */

/* room for @n more bytes and the NUL */
static int grow(struct cdmd_metrics_text *t, size_t n)
{
	size_t cap;
	char *buf;

	if (t->cap - t->len > n)
		return 0;
	if (n >= SIZE_MAX / 4 - t->len)
		return -ENOMEM;
	cap = t->cap ? t->cap : TEXT_MIN_CAP;
	while (cap - t->len <= n)
		cap *= 2;
	buf = realloc(t->buf, cap);
	if (!buf)
		return -ENOMEM;
	t->buf = buf;
	t->cap = cap;
	return 0;
}

static int put(struct cdmd_metrics_text *t, const char *s, size_t n)
{
	int rc = grow(t, n);

	if (rc)
		return rc;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
	return 0;
}

static int __attribute__((format(printf, 2, 3))) putf(struct cdmd_metrics_text *t,
						       const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	rc = grow(t, n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(t->buf + t->len, n + 1, fmt, ap);
	va_end(ap);
	t->len += n;
	return 0;
}

/* @s with backslash and newline escaped, and double quote with @quote
 * (HELP text escapes no quotes, label values do) */
static int put_escaped(struct cdmd_metrics_text *t, const char *s, bool quote)
{
	const char *run = s, *esc;
	int rc;

	for (; *s; s++) {
		if (*s == '\\')
			esc = "\\\\";
		else if (*s == '\n')
			esc = "\\n";
		else if (*s == '"' && quote)
			esc = "\\\"";
		else
			continue;
		rc = put(t, run, s - run);
		if (!rc)
			rc = put(t, esc, 2);
		if (rc)
			return rc;
		run = s + 1;
	}
	return put(t, run, s - run);
}

/* back to the text before the failed call: whole lines only */
static int undo(struct cdmd_metrics_text *t, size_t len, int rc)
{
	t->len = len;
	if (t->buf)
		t->buf[len] = '\0';
	return rc;
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metrics, the same without ':' for labels
 * (ASCII whatever the locale) */
static bool valid_name(const char *s, bool colon)
{
	const char *p;

	if (!s || !*s)
		return false;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
		      (*p == ':' && colon) || (*p >= '0' && *p <= '9' && p > s)))
			return false;
	return true;
}

static bool valid_label(const char *s)
{
	return valid_name(s, false) && strncmp(s, "__", 2);
}

/* Integers up to 2^53 exactly; other values in the fewest of 15, 16, 17
 * significant digits that read back the same (printf and strtod in the
 * C locale's "." as cdmd never sets LC_NUMERIC) */
static void format_value(char *buf, size_t size, double v)
{
	int prec;

	if (isnan(v)) {
		snprintf(buf, size, "NaN");
	} else if (isinf(v)) {
		snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
	} else if (v >= -EXACT_INTEGERS && v <= EXACT_INTEGERS && v == (double)(long long)v) {
		snprintf(buf, size, "%.0f", v);
	} else {
		for (prec = 15; prec < 17; prec++) {
			snprintf(buf, size, "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				return;
		}
		snprintf(buf, size, "%.17g", v);
	}
}

int cdmd_metrics_family(struct cdmd_metrics_text *t, const char *name, const char *type,
			const char *help)
{
	size_t len = t->len;
	int rc;

	if (!valid_name(name, true) || !type || !help ||
	    (strcmp(type, "counter") && strcmp(type, "gauge")))
		return -EINVAL;
	rc = putf(t, "# HELP %s ", name);
	if (!rc)
		rc = put_escaped(t, help, false);
	if (!rc)
		rc = putf(t, "\n# TYPE %s %s\n", name, type);
	return rc ? undo(t, len, rc) : 0;
}

int cdmd_metrics_sample(struct cdmd_metrics_text *t, const char *name, double value, ...)
{
	const char *label, *label_value;
	size_t len = t->len;
	bool labels = false;
	char num[32];
	va_list ap;
	int rc;

	if (!valid_name(name, true))
		return -EINVAL;
	rc = putf(t, "%s", name);
	va_start(ap, value);
	while (!rc && (label = va_arg(ap, const char *))) {
		label_value = va_arg(ap, const char *);
		if (!valid_label(label) || !label_value) {
			rc = -EINVAL;
			break;
		}
		rc = putf(t, "%c%s=\"", labels ? ',' : '{', label);
		if (!rc)
			rc = put_escaped(t, label_value, true);
		if (!rc)
			rc = put(t, "\"", 1);
		labels = true;
	}
	va_end(ap);
	format_value(num, sizeof(num), value);
	if (!rc)
		rc = putf(t, "%s %s\n", labels ? "}" : "", num);
	return rc ? undo(t, len, rc) : 0;
}

void cdmd_metrics_text_free(struct cdmd_metrics_text *t)
{
	free(t->buf);
	*t = (struct cdmd_metrics_text){ 0 };
}
