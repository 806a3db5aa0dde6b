// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * copy-offload-check MIB ROUNDS [NODE]: fill MIB MiB of 4 KiB pages on
 * node 0 with a pattern and move them to NODE (default 1) and back ROUNDS
 * times with one move_pages(2) call each way. Prints, for the copy-offload test:
 *   moved PAGES          pages moved in all (both ways, all rounds)
 *   misplaced PAGES      pages the kernel says are not on their target
 *                        after a move (asked with a second move_pages)
 *   intact PAGES         pages whose every byte matches the pattern
 *   marked PAGES         pages equal to the pattern except for a last
 *                        byte of 0xcd (a test engine's mark=1 copy)
 *   corrupt PAGES        anything else
 * With ROUNDS 0 it moves to NODE once and stays there. With
 * COPY_CHECK_THP=1 in the environment the memory is 2 MiB aligned and
 * madvised MADV_HUGEPAGE (with THP enabled, 2 MiB folios), else
 * MADV_NOHUGEPAGE.
 */
#include <numaif.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096UL
#define HUGE (2UL << 20)

static uint8_t pattern(unsigned long page, unsigned long off)
{
	return (uint8_t)((page * 2654435761UL + off * 40503UL) >> 7);
}

static unsigned long npages, misplaced, moved;
static void **pages;
static int *nodes, *status;

static void move_all(int node)
{
	unsigned long i;

	for (i = 0; i < npages; i++)
		nodes[i] = node;
	if (move_pages(0, npages, pages, nodes, status, MPOL_MF_MOVE))
		perror("copy-offload-check: move_pages");
	/*
	 * Where the pages are, asked afterwards: the statuses of a move of
	 * THP leave one page per folio unreported (6.12, stock kernel too)
	 */
	if (move_pages(0, npages, pages, NULL, status, 0))
		perror("copy-offload-check: move_pages query");
	for (i = 0; i < npages; i++)
		misplaced += status[i] != node;
	moved += npages;
}

int main(int argc, char **argv)
{
	unsigned long i, off, rounds, intact = 0, marked = 0, corrupt = 0;
	unsigned long node0 = 1;
	int node = 1;
	const char *thp = getenv("COPY_CHECK_THP");
	int huge = thp && !strcmp(thp, "1");
	uint8_t *buf;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: copy-offload-check MIB ROUNDS [NODE]\n");
		return 2;
	}
	if (argc == 4)
		node = atoi(argv[3]);
	npages = strtoul(argv[1], NULL, 0) * 256;
	rounds = strtoul(argv[2], NULL, 0);
	buf = mmap(NULL, npages * PAGE + HUGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf != MAP_FAILED)
		buf = (uint8_t *)(((uintptr_t)buf + HUGE - 1) & ~(HUGE - 1));
	pages = calloc(npages, sizeof(*pages));
	nodes = calloc(npages, sizeof(*nodes));
	status = calloc(npages, sizeof(*status));
	if (!npages || buf == MAP_FAILED || !pages || !nodes || !status ||
	    madvise(buf, npages * PAGE, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) ||
	    mbind(buf, npages * PAGE, MPOL_BIND, &node0, 64, 0)) {
		perror("copy-offload-check: setup");
		return 1;
	}
	for (i = 0; i < npages; i++) {
		for (off = 0; off < PAGE; off++)
			buf[i * PAGE + off] = pattern(i, off);
		pages[i] = buf + i * PAGE;
	}
	if (!rounds)
		move_all(node);
	for (i = 0; i < rounds; i++) {
		move_all(node);
		move_all(0);
	}
	for (i = 0; i < npages; i++) {
		uint8_t *p = buf + i * PAGE;
		int rest_ok = 1;

		for (off = 0; off < PAGE - 1 && rest_ok; off++)
			rest_ok = p[off] == pattern(i, off);
		if (rest_ok && p[PAGE - 1] == pattern(i, PAGE - 1))
			intact++;
		else if (rest_ok && p[PAGE - 1] == 0xcd)
			marked++;
		else
			corrupt++;
	}
	printf("moved %lu\nmisplaced %lu\nintact %lu\nmarked %lu\ncorrupt %lu\n",
	       moved, misplaced, intact, marked, corrupt);
	return 0;
}
