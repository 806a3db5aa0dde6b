// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * page-moves MS COUNT PID NODE START END [START END ...]: watch where
 * another process's pages are, and how often each one moves. COUNT times,
 * every MS ms (absolute clock), it reads the node of every page of the
 * ranges (END exclusive, hex or decimal) with move_pages(2), moving
 * nothing (root, or the right to ptrace PID), and prints
 *   sample MS_SINCE_START N1 N2 ...     pages of each range on NODE
 * and at the end, for each range (from 1),
 *   moves RANGE max M over2 K moved P
 * M the most moves seen for one page, K the pages seen moving more than
 * twice, P the pages seen moving at all. A move is a page present on one
 * node at a sample and on another at a later one (a page not present in
 * between does not break the chain). Moves that come and go between two
 * samples are not seen: a count is a lower bound, exact when no page can
 * move twice within MS. It stops early, and says "gone", when PID exits.
 */
#include <errno.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_RANGES	8
#define BATCH		4096

struct range {
	unsigned long start, npages;
	void **pages;
	int *status;
	int *last;		/* the node seen last, -1 before the first */
	unsigned int *moves;
	unsigned long on_node;
};

static long page;

static int parse_addr(const char *s, unsigned long *addr)
{
	char *end;

	errno = 0;
	*addr = strtoul(s, &end, 0);
	return errno || !*s || *end ? -1 : 0;
}

static int range_init(struct range *r, const char *start, const char *end)
{
	unsigned long a, b, i;

	if (parse_addr(start, &a) || parse_addr(end, &b) || b <= a || a % page || b % page) {
		fprintf(stderr, "page-moves: bad range %s-%s (page-aligned, START < END)\n",
			start, end);
		return -1;
	}
	r->start = a;
	r->npages = (b - a) / page;
	r->pages = calloc(r->npages, sizeof(*r->pages));
	r->status = calloc(r->npages, sizeof(*r->status));
	r->last = malloc(r->npages * sizeof(*r->last));
	r->moves = calloc(r->npages, sizeof(*r->moves));
	if (!r->pages || !r->status || !r->last || !r->moves) {
		fprintf(stderr, "page-moves: out of memory for %lu pages\n", r->npages);
		return -1;
	}
	for (i = 0; i < r->npages; i++) {
		r->pages[i] = (void *)(a + i * page);
		r->last[i] = -1;
	}
	return 0;
}

/* one sample of a range; -1 with errno when PID is gone or refuses */
static int range_sample(struct range *r, int pid, int node)
{
	unsigned long i, n;

	for (i = 0; i < r->npages; i += n) {
		n = r->npages - i < BATCH ? r->npages - i : BATCH;
		if (move_pages(pid, n, r->pages + i, NULL, r->status + i, 0))
			return -1;
	}
	r->on_node = 0;
	for (i = 0; i < r->npages; i++) {
		if (r->status[i] < 0)
			continue;
		r->on_node += r->status[i] == node;
		if (r->last[i] >= 0 && r->last[i] != r->status[i])
			r->moves[i]++;
		r->last[i] = r->status[i];
	}
	return 0;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(int argc, char **argv)
{
	struct range ranges[MAX_RANGES];
	struct timespec t0, next;
	int nr, i, pid, node, gone = 0;
	long ms, count, s;

	page = sysconf(_SC_PAGESIZE);
	if (argc < 7 || (argc - 5) % 2 || (argc - 5) / 2 > MAX_RANGES) {
		fprintf(stderr, "usage: page-moves MS COUNT PID NODE START END [START END ...] (up to %d ranges)\n",
			MAX_RANGES);
		return 2;
	}
	ms = atol(argv[1]);
	count = atol(argv[2]);
	pid = atoi(argv[3]);
	node = atoi(argv[4]);
	if (ms <= 0 || count <= 0 || pid <= 0 || node < 0) {
		fprintf(stderr, "page-moves: MS, COUNT and PID must be positive, NODE a node\n");
		return 2;
	}
	nr = (argc - 5) / 2;
	for (i = 0; i < nr; i++)
		if (range_init(&ranges[i], argv[5 + 2 * i], argv[6 + 2 * i]))
			return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	next = t0;
	for (s = 0; s < count && !gone; s++) {
		for (i = 0; i < nr; i++) {
			if (range_sample(&ranges[i], pid, node)) {
				if (errno != ESRCH) {
					fprintf(stderr, "page-moves: move_pages(%d): %s\n",
						pid, strerror(errno));
					return 1;
				}
				gone = 1;
				break;
			}
		}
		if (gone)
			break;
		printf("sample %ld", ms_since(&t0));
		for (i = 0; i < nr; i++)
			printf(" %lu", ranges[i].on_node);
		printf("\n");
		next.tv_nsec += ms * 1000000;
		next.tv_sec += next.tv_nsec / 1000000000;
		next.tv_nsec %= 1000000000;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
	if (gone)
		printf("gone\n");
	for (i = 0; i < nr; i++) {
		unsigned long j, max = 0, over2 = 0, moved = 0;

		for (j = 0; j < ranges[i].npages; j++) {
			max = ranges[i].moves[j] > max ? ranges[i].moves[j] : max;
			over2 += ranges[i].moves[j] > 2;
			moved += ranges[i].moves[j] > 0;
		}
		printf("moves %d max %lu over2 %lu moved %lu\n", i + 1, max, over2, moved);
	}
	return 0;
}
