// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * move-pages-roundtrip 4k|thp MIB FROM TO: place MIB MiB on node FROM
 * (4 KiB pages, or transparent huge pages), fill it with a pseudo-random
 * pattern, move every page to node TO with one move_pages(2) call and back
 * again. After each step the page locations are read back from the kernel
 * and every word is checked against the pattern (and a checksum compared).
 * Prints TAP.
 *
 * With THPs, 6.12 reports -EBUSY for the page after a THP's head: the head
 * queues the folio, the next page finds it isolated already. The folio
 * still moves; the test accepts exactly that status on exactly that page
 * and checks the real locations afterwards.
 */
#include <errno.h>
#include <inttypes.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static unsigned long npages;
static long page_size;
static void **pages;
static int *nodes, *status;
static uint64_t *buf;
static int failed, run, thp;

static void result(int ok, const char *fmt, const char *what, int node)
{
	run++;
	if (!ok)
		failed++;
	printf("%s - ", ok ? "ok" : "not ok");
	printf(fmt, what, node);
	printf("\n");
}

/* AnonHugePages of this process in KiB, from smaps_rollup. */
static long anon_huge_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static uint64_t pattern(uint64_t i)
{
	/* splitmix64: every word different, no page equal to another */
	uint64_t z = i + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t checksum(void)
{
	uint64_t sum = 0, words = npages * page_size / 8, i;

	for (i = 0; i < words; i++)
		sum = (sum ^ buf[i]) * 0x100000001b3ULL;
	return sum;
}

static unsigned long pattern_mismatches(void)
{
	uint64_t words = npages * page_size / 8, i;
	unsigned long bad = 0;

	for (i = 0; i < words; i++)
		bad += buf[i] != pattern(i);
	return bad;
}

/* Pages the kernel reports on @node; -1 when the query itself failed. */
static long pages_on(int node)
{
	unsigned long i, n = 0;

	if (move_pages(0, npages, pages, NULL, status, 0))
		return -1;
	for (i = 0; i < npages; i++)
		n += status[i] == node;
	return n;
}

static void move_all(int node, const char *what, uint64_t sum)
{
	unsigned long i, bad_status = 0;
	long rc, on;

	for (i = 0; i < npages; i++)
		nodes[i] = node;
	rc = move_pages(0, npages, pages, nodes, status, MPOL_MF_MOVE);
	for (i = 0; i < npages; i++) {
		if (thp && status[i] == -EBUSY && i % 512 == 1)
			continue;
		bad_status += status[i] != node;
	}
	result(rc == 0 && bad_status == 0, "move_pages %s to node %d: every page reports its new node",
	       what, node);
	if (rc || bad_status) {
		printf("# rc %ld errno %d, %lu of %lu statuses not %d:", rc, errno,
		       bad_status, npages, node);
		for (i = 0; i < npages && bad_status; i++)
			if (status[i] != node) {
				printf(" page %lu: %d", i, status[i]);
				if (--bad_status == 0 || i > 64)
					break;
			}
		printf("\n");
	}
	on = pages_on(node);
	result(on == (long)npages, "%s: all pages read back on node %d", what, node);
	if (on != (long)npages)
		printf("# %ld of %lu pages on node %d\n", on, npages, node);
	result(checksum() == sum, "%s: checksum unchanged after moving to node %d", what, node);
	result(pattern_mismatches() == 0, "%s: every word intact on node %d", what, node);
}

int main(int argc, char **argv)
{
	unsigned long mib, nodemask, i;
	uint64_t words, sum;
	int from, to;

	if (argc != 5 || (strcmp(argv[1], "4k") && strcmp(argv[1], "thp"))) {
		fprintf(stderr, "usage: move-pages-roundtrip 4k|thp MIB FROM TO\n");
		return 2;
	}
	thp = !strcmp(argv[1], "thp");
	mib = strtoul(argv[2], NULL, 0);
	from = atoi(argv[3]);
	to = atoi(argv[4]);
	page_size = sysconf(_SC_PAGESIZE);
	npages = mib * 1024 * 1024 / page_size;
	buf = mmap(NULL, npages * page_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pages = calloc(npages, sizeof(*pages));
	nodes = calloc(npages, sizeof(*nodes));
	status = calloc(npages, sizeof(*status));
	if (!npages || buf == MAP_FAILED || !pages || !nodes || !status) {
		printf("Bail out! cannot allocate %lu MiB\n", mib);
		return 1;
	}

	/* 2 MiB alignment so a THP build can back every part of the range */
	if (thp) {
		munmap(buf, npages * page_size);
		buf = mmap(NULL, npages * page_size + (2 << 20), PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		buf = (uint64_t *)(((uintptr_t)buf + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1));
	}
	if (madvise(buf, npages * page_size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		printf("Bail out! madvise: %s\n", strerror(errno));
		return 1;
	}
	nodemask = 1UL << from;
	if (mbind(buf, npages * page_size, MPOL_BIND, &nodemask, 64, 0)) {
		printf("Bail out! mbind to node %d: %s\n", from, strerror(errno));
		return 1;
	}
	words = npages * page_size / 8;
	for (i = 0; i < words; i++)
		buf[i] = pattern(i);
	for (i = 0; i < npages; i++)
		pages[i] = (char *)buf + i * page_size;
	sum = checksum();
	printf("# %lu MiB of %s pages, %lu pages, checksum %016" PRIx64 "\n",
	       mib, argv[1], npages, sum);

	result(pages_on(from) == (long)npages, "%s: all pages start on node %d", argv[1], from);
	if (thp)
		result(anon_huge_kb() >= (long)(mib * 1024 * 9 / 10),
		       "%s: at least 90%% of the range is THP-backed (node %d)", "thp", from);
	move_all(to, thp ? "thp forth" : "4k forth", sum);
	move_all(from, thp ? "thp back" : "4k back", sum);

	printf("1..%d\n", run);
	return failed != 0;
}
