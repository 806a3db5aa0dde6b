// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * move-bench MIB NODE REPS 4k|thp: time one move_pages(2) call moving MIB
 * MiB of this process from node 0 to NODE and one moving it back, REPS
 * times, and print the medians in milliseconds:
 *
 *   to_ms MEDIAN back_ms MEDIAN misplaced PAGES corrupt PAGES
 *
 * misplaced counts pages a query after each move did not find on the
 * target; corrupt, pages whose content differs at the end. Used by
 * bench/copy-engine.sh to compare copy engines in one guest.
 */
#include <numaif.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096UL
#define HUGE (2UL << 20)
#define MAX_REPS 21

static unsigned long npages, misplaced;
static void **pages;
static int *nodes, *status;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double move_all(int node)
{
	unsigned long i;
	double start;

	for (i = 0; i < npages; i++)
		nodes[i] = node;
	start = now_ms();
	if (move_pages(0, npages, pages, nodes, status, MPOL_MF_MOVE) < 0)
		perror("move-bench: move_pages");
	start = now_ms() - start;
	if (move_pages(0, npages, pages, NULL, status, 0) < 0)
		perror("move-bench: move_pages query");
	for (i = 0; i < npages; i++)
		misplaced += status[i] != node;
	return start;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	double to[MAX_REPS], back[MAX_REPS];
	unsigned long i, corrupt = 0, node0 = 1;
	int node, reps, thp;
	uint64_t *buf;

	if (argc != 5 || (strcmp(argv[4], "4k") && strcmp(argv[4], "thp"))) {
		fprintf(stderr, "usage: move-bench MIB NODE REPS 4k|thp\n");
		return 2;
	}
	npages = strtoul(argv[1], NULL, 0) * 256;
	node = atoi(argv[2]);
	reps = atoi(argv[3]);
	thp = !strcmp(argv[4], "thp");
	if (!npages || node <= 0 || reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "move-bench: MIB > 0, NODE > 0, 1 <= REPS <= %d\n", MAX_REPS);
		return 2;
	}
	buf = mmap(NULL, npages * PAGE + HUGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("move-bench: mmap");
		return 1;
	}
	buf = (uint64_t *)(((uintptr_t)buf + HUGE - 1) & ~(HUGE - 1));
	pages = calloc(npages, sizeof(*pages));
	nodes = calloc(npages, sizeof(*nodes));
	status = calloc(npages, sizeof(*status));
	if (!pages || !nodes || !status ||
	    madvise(buf, npages * PAGE, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) ||
	    mbind(buf, npages * PAGE, MPOL_BIND, &node0, 64, 0)) {
		perror("move-bench: setup");
		return 1;
	}
	for (i = 0; i < npages * PAGE / 8; i++)
		buf[i] = i * 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < npages; i++)
		pages[i] = (char *)buf + i * PAGE;
	for (i = 0; i < (unsigned long)reps; i++) {
		to[i] = move_all(node);
		back[i] = move_all(0);
	}
	for (i = 0; i < npages * PAGE / 8; i++)
		corrupt += buf[i] != i * 0x9e3779b97f4a7c15ULL;
	printf("to_ms %.1f back_ms %.1f misplaced %lu corrupt %lu\n",
	       median(to, reps), median(back, reps), misplaced, corrupt);
	return 0;
}
