// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Application hints (hints.h): the socket, and per process an interval
 * map of hinted ranges. Setting a hint rebuilds the process's map in one
 * pass: the ranges before the new one, what is left of those it cuts on
 * either side, the new one (none for a clear), the ranges after;
 * neighbours of the same hint are joined, so the limit counts distinct
 * stretches, and the map is replaced only when the result fits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hints.h"
#include "sockets.h"
#include "log.h"

/* connections accepted per call, so a flood cannot hold the loop */
#define HINTS_ACCEPT_MAX	64

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the socket ---- */

/* @fd into the epoll set, for input */
static int watch(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int refuse(FILE *err, const char *path, int e, const char *what)
{
	fprintf(err, "hint socket %s: %s: %s\n", path, what, strerror(e));
	return -e;
}

int cdmd_hints_open(struct cdmd_hints *h, const char *path, FILE *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	mode_t umask_before;
	int i, rc;

	memset(h, 0, sizeof(*h));
	h->fd = -1;
	h->epfd = -1;
	if (strlen(path) >= sizeof(addr.sun_path) || strlen(path) >= sizeof(h->path)) {
		fprintf(err, "hint socket %s: path longer than %zu bytes\n", path,
			sizeof(addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	rc = cdmd_socket_clear_stale(&addr, SOCK_SEQPACKET, "hint socket", err);
	if (rc)
		return rc;
	h->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (h->fd < 0)
		return refuse(err, path, errno, "socket");
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0 || watch(h->epfd, h->fd)) {
		rc = refuse(err, path, errno, "epoll");
		goto fail;
	}
	/* created with no access for anyone, opened up once it is whole */
	umask_before = umask(0777);
	rc = bind(h->fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(umask_before);
	if (rc) {
		rc = refuse(err, path, errno, "bind");
		goto fail;
	}
	/* any process may hint its own memory: who it is comes from
	 * SO_PEERCRED, never from the message */
	if (chmod(path, 0666) || listen(h->fd, HINTS_ACCEPT_MAX)) {
		rc = refuse(err, path, errno, "setting its mode and listening");
		unlink(path);
		goto fail;
	}
	for (i = 0; i < CDMD_HINTS_PENDING; i++)
		h->pending[i].fd = -1;
	strcpy(h->path, path);
	return 0;
fail:
	if (h->epfd >= 0)
		close(h->epfd);
	close(h->fd);
	h->fd = -1;
	h->epfd = -1;
	return rc;
}

int cdmd_hints_fd(const struct cdmd_hints *h)
{
	return h->path[0] ? h->epfd : -1;
}

static void reply(int fd, int err)
{
	struct cdm_hint_reply r = {
		.magic = CDM_HINT_MAGIC, .version = CDM_HINT_VERSION, .err = err,
	};

	/* a client gone meanwhile loses its answer; nothing waits on it */
	if (send(fd, &r, sizeof(r), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("hint socket: answering %d: %s", err, strerror(errno));
}

/* The hint a request names, checked: 0 with *@hint and the range's end,
 * or -EINVAL (-EPROTO: not a request of this protocol) */
static int check_request(const struct cdm_hint_request *req, ssize_t len, enum cdmd_hint *hint,
			 uint64_t *end)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	if (len != sizeof(*req) || req->magic != CDM_HINT_MAGIC ||
	    req->version != CDM_HINT_VERSION)
		return -EPROTO;
	switch (req->hint) {
	case CDM_HINT_HOT:
		*hint = CDMD_HINT_HOT;
		break;
	case CDM_HINT_COLD:
		*hint = CDMD_HINT_COLD;
		break;
	case CDM_HINT_NODE:
		*hint = CDMD_HINT_NODE;
		break;
	case CDM_HINT_CLEAR:
		*hint = CDMD_HINT_NONE;
		break;
	default:
		return -EINVAL;
	}
	if (*hint == CDMD_HINT_NODE ? req->node < 0 || req->node >= CDM_MAX_NODES :
	    req->node != -1)
		return -EINVAL;
	if (!req->len || req->start % page || req->len % page || req->len > UINT64_MAX - req->start)
		return -EINVAL;
	*end = req->start + req->len;
	return 0;
}

/*
 * Answer the request waiting on @fd, if it is there: true when @fd is
 * done with (answered, or gone), false when nothing has come yet.
 */
static bool answer(struct cdmd_hints *h, int fd, bool (*managed)(pid_t pid, void *data),
		   void *data)
{
	struct cdm_hint_request req;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	enum cdmd_hint hint;
	uint64_t end;
	ssize_t n;
	int err;

	n = recv(fd, &req, sizeof(req), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return false;
	if (n <= 0)		/* closed without a request */
		return true;
	err = check_request(&req, n, &hint, &end);
	if (!err && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen))
		err = -errno;
	if (!err && !managed(cred.pid, data))
		err = -ESRCH;
	if (!err)
		err = cdmd_hints_set(h, cred.pid, req.start, end, hint, req.node);
	if (err)
		log_debug("hint socket: request of %zd bytes refused: %s", n, strerror(-err));
	reply(fd, err);
	return true;
}

/* Keep @fd until its request comes, dropping the oldest waiting one
 * when every slot is taken; polled through the epoll fd (a closed fd
 * leaves it by itself) */
static void wait_for(struct cdmd_hints *h, int fd, int64_t now)
{
	int i, slot = 0;

	if (watch(h->epfd, fd)) {
		close(fd);
		return;
	}

	for (i = 0; i < CDMD_HINTS_PENDING; i++) {
		if (h->pending[i].fd < 0) {
			slot = i;
			break;
		}
		if (h->pending[i].seq < h->pending[slot].seq)
			slot = i;
	}
	if (h->pending[slot].fd >= 0)
		close(h->pending[slot].fd);
	h->pending[slot].fd = fd;
	h->pending[slot].since_ms = now;
	h->pending[slot].seq = h->accepted++;
}

void cdmd_hints_serve(struct cdmd_hints *h, bool (*managed)(pid_t pid, void *data),
		      void *data)
{
	int64_t now = now_ms();
	int i, fd;

	if (!h->path[0])
		return;
	for (i = 0; i < CDMD_HINTS_PENDING; i++) {
		fd = h->pending[i].fd;
		if (fd < 0)
			continue;
		if (answer(h, fd, managed, data) ||
		    now - h->pending[i].since_ms >= CDMD_HINTS_WAIT_MS) {
			close(fd);
			h->pending[i].fd = -1;
		}
	}
	for (i = 0; i < HINTS_ACCEPT_MAX; i++) {
		fd = accept4(h->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			break;
		if (answer(h, fd, managed, data))
			close(fd);
		else
			wait_for(h, fd, now);
	}
}

/* ---- the hints of each process ---- */

/* index of @pid in h->procs, or of where it would go */
static size_t proc_index(const struct cdmd_hints *h, pid_t pid)
{
	size_t lo = 0, hi = h->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->procs[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct cdmd_hinted *cdmd_hints_find(const struct cdmd_hints *h, pid_t pid)
{
	size_t i = proc_index(h, pid);

	return i < h->nr && h->procs[i].pid == pid ? &h->procs[i] : NULL;
}

static void remove_at(struct cdmd_hints *h, size_t i)
{
	free(h->procs[i].ranges);
	memmove(&h->procs[i], &h->procs[i + 1], (h->nr - i - 1) * sizeof(*h->procs));
	h->nr--;
}

void cdmd_hints_forget(struct cdmd_hints *h, pid_t pid)
{
	size_t i = proc_index(h, pid);

	if (i < h->nr && h->procs[i].pid == pid)
		remove_at(h, i);
}

void cdmd_hints_prune(struct cdmd_hints *h, const struct cdmd_scan *scan)
{
	size_t i = h->nr;

	while (i--)
		if (!cdmd_scan_find(scan, h->procs[i].pid))
			remove_at(h, i);
}

/* Append [@start, @end) to @out (room for it was made), joined to the
 * last range when it goes on from it with the same hint */
static void push(struct cdmd_hint_range *out, size_t *n, uint64_t start, uint64_t end,
		 enum cdmd_hint hint, int node)
{
	struct cdmd_hint_range *last = *n ? &out[*n - 1] : NULL;

	if (start >= end)
		return;
	if (last && last->end == start && last->hint == hint && last->node == node) {
		last->end = end;
		return;
	}
	out[(*n)++] = (struct cdmd_hint_range){ start, end, hint, node };
}

int cdmd_hints_set(struct cdmd_hints *h, pid_t pid, uint64_t start, uint64_t end,
		   enum cdmd_hint hint, int node)
{
	size_t i = proc_index(h, pid), k, n = 0;
	struct cdmd_hint_range *old = NULL, *out;
	struct cdmd_hinted *p;
	size_t nr_old = 0;

	if (start >= end)
		return 0;
	if (i < h->nr && h->procs[i].pid == pid) {
		old = h->procs[i].ranges;
		nr_old = h->procs[i].nr;
	} else if (hint == CDMD_HINT_NONE) {
		return 0;		/* nothing to clear */
	}
	if (hint != CDMD_HINT_NODE)
		node = -1;
	/* at most: every old range, one cut in two, and the new one */
	out = malloc((nr_old + 2) * sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (k = 0; k < nr_old && old[k].start < start; k++)
		push(out, &n, old[k].start, old[k].end < start ? old[k].end : start, old[k].hint,
		     old[k].node);
	if (hint != CDMD_HINT_NONE)
		push(out, &n, start, end, hint, node);
	for (k = 0; k < nr_old; k++)
		if (old[k].end > end)
			push(out, &n, old[k].start > end ? old[k].start : end, old[k].end,
			     old[k].hint, old[k].node);
	if (n > CDMD_HINTS_PER_PROCESS) {
		free(out);
		return -ENOSPC;
	}
	if (!old) {		/* a process's first hint */
		if (h->nr == h->cap) {
			size_t cap = h->cap ? h->cap * 2 : 16;

			p = realloc(h->procs, cap * sizeof(*p));
			if (!p) {
				free(out);
				return -ENOMEM;
			}
			h->procs = p;
			h->cap = cap;
		}
		memmove(&h->procs[i + 1], &h->procs[i], (h->nr - i) * sizeof(*h->procs));
		h->nr++;
		h->procs[i] = (struct cdmd_hinted){ .pid = pid };
	}
	p = &h->procs[i];
	free(p->ranges);
	p->ranges = out;
	p->nr = n;
	if (!n)
		remove_at(h, i);
	return 0;
}

/* ---- regions cut at the hints ---- */

/*
 * Walk @regions cut at @p's hints (NULL: none): the number of pieces,
 * each written to @cut and @pr when they are not NULL
 */
static size_t cut_regions(const struct cdmd_hinted *p, const struct cdmd_region *regions,
			  size_t nr, struct cdmd_region *cut, struct cdmd_policy_region *pr)
{
	size_t nr_hints = p ? p->nr : 0, i, k = 0, n = 0;

	for (i = 0; i < nr; i++) {
		const struct cdmd_region *r = &regions[i];
		uint64_t pos = r->start;

		/* back to the first hint that may reach this region */
		while (k > 0 && p->ranges[k - 1].end > pos)
			k--;
		while (pos < r->end) {
			const struct cdmd_hint_range *hr = NULL;
			uint64_t to = r->end;

			while (k < nr_hints && p->ranges[k].end <= pos)
				k++;
			if (k < nr_hints && p->ranges[k].start <= pos)
				hr = &p->ranges[k];
			if (hr && hr->end < to)
				to = hr->end;
			else if (!hr && k < nr_hints && p->ranges[k].start < to)
				to = p->ranges[k].start;
			if (cut) {
				cut[n] = (struct cdmd_region){ pos, to, r->accesses, r->age };
				pr[n] = (struct cdmd_policy_region){
					.start = pos, .end = to, .accesses = r->accesses,
					.age = r->age, .hint = hr ? hr->hint : CDMD_HINT_NONE,
					.hint_node = hr ? hr->node : -1,
				};
			}
			n++;
			pos = to;
		}
	}
	return n;
}

int cdmd_hints_split(const struct cdmd_hints *h, pid_t pid, const struct cdmd_region *regions,
		     size_t nr, struct cdmd_region **pieces, struct cdmd_policy_region **placed,
		     size_t *nr_out)
{
	const struct cdmd_hinted *p = cdmd_hints_find(h, pid);
	size_t n = cut_regions(p, regions, nr, NULL, NULL);

	*pieces = calloc(n ? n : 1, sizeof(**pieces));
	*placed = calloc(n ? n : 1, sizeof(**placed));
	if (!*pieces || !*placed) {
		free(*pieces);
		free(*placed);
		*pieces = NULL;
		*placed = NULL;
		*nr_out = 0;
		return -ENOMEM;
	}
	*nr_out = cut_regions(p, regions, nr, *pieces, *placed);
	return 0;
}

void cdmd_hints_close(struct cdmd_hints *h)
{
	size_t i;

	if (h->path[0]) {
		for (i = 0; i < CDMD_HINTS_PENDING; i++)
			if (h->pending[i].fd >= 0)
				close(h->pending[i].fd);
		close(h->epfd);
		close(h->fd);
		unlink(h->path);
	}
	for (i = 0; i < h->nr; i++)
		free(h->procs[i].ranges);
	free(h->procs);
	memset(h, 0, sizeof(*h));
	h->fd = -1;
	h->epfd = -1;
}
