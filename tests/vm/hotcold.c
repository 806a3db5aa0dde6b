// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hotcold HOT_MIB COLD_MIB HOT_NODE COLD_NODE: a workload for cdmd. It
 * maps HOT_MIB of memory it keeps using and COLD_MIB it never touches
 * again, placed where a manager has work to do: the hot memory on
 * HOT_NODE, the cold on COLD_NODE (each by MPOL_BIND while it is first
 * written, then the policy is dropped, so only the pages' places
 * remain). Every page holds a pattern of its own in all but its first
 * word, which the hot loop keeps incrementing.
 *
 * After each pass it writes and drops 64 scratch pages (MADV_DONTNEED):
 * more than x86's tlb_single_page_flush_ceiling (33), so the kernel
 * flushes the whole TLB. x86 sets a page's accessed bit only when the TLB
 * loads its entry, and DAMON and idle tracking clear the bits without a
 * flush; QEMU's soft TLB is large enough to hold the whole hot set, so
 * without the flush a process alone on its vCPU would look idle (hardware
 * TLBs, far smaller, evict the entries of a set this size by themselves).
 *
 * On SIGUSR2 it tells cdmd, through libcdm's cdm_hint(), that its hot
 * set is cold (an application that knows better than the tracker), and
 * prints "hint N" (cdm_hint()'s answer) and "end".
 *
 * It prints "hot START END" and "cold START END" (hex) and "ready" on
 * stdout, then runs until killed. On SIGUSR1 (or SIGHUP) it prints a
 * report after its current pass over the hot pages:
 *   hot node N COUNT / cold node N COUNT   where the pages are (move_pages(2))
 *   hot run A-B N / cold run A-B N         pages A to B are on node N (or
 *                                          status N < 0), when a set is in
 *                                          2 to 8 such runs
 *   passes N                                passes over the hot pages so far
 *   content ok|corrupt|unchecked            every page's pattern intact
 *   end
 * Only SIGHUP's report reads every page for the content: a read of the
 * cold set would make it look used to the tracker, so the reports asked
 * for while a manager works must not read it.
 */
#include <errno.h>
#include <libcdm.h>
#include <numaif.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_NODES	64
#define FLUSH_PAGES	64

static long page;

/* the hot set is cold, says the application: cdmd's answer */
static void hint_cold(void *hot, size_t len)
{
	struct cdm_ctx *ctx;
	int rc = cdm_new(&ctx);

	if (!rc) {
		rc = cdm_hint(ctx, hot, len, CDM_HINT_COLD, -1);
		if (rc)
			fprintf(stderr, "hotcold: %s\n", cdm_get_last_error(ctx));
		cdm_unref(ctx);
	}
	printf("hint %d\nend\n", rc);
	fflush(stdout);
}

static uint64_t pattern(uint64_t pageno, size_t word)
{
	return (pageno * 0x9e3779b97f4a7c15ULL) ^ (word * 0xff51afd7ed558ccdULL);
}

/* map @mib MiB, written while bound to @node, then without a policy */
static uint64_t *place(unsigned long mib, int node, uint64_t first_pageno)
{
	size_t len = mib << 20, words = page / sizeof(uint64_t), i, w;
	unsigned long mask = 1UL << node;
	uint64_t *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("hotcold: mmap");
		exit(1);
	}
	madvise(p, len, MADV_NOHUGEPAGE);	/* 4 KiB pages: every page counts alike */
	if (mbind(p, len, MPOL_BIND, &mask, MAX_NODES, 0)) {
		perror("hotcold: mbind");
		exit(1);
	}
	for (i = 0; i < len / page; i++)
		for (w = 0; w < words; w++)
			p[i * words + w] = pattern(first_pageno + i, w);
	if (mbind(p, len, MPOL_DEFAULT, NULL, 0, 0)) {
		perror("hotcold: mbind default");
		exit(1);
	}
	return p;
}

/* "NAME run FIRST-LAST STATUS" for each run of pages with one status,
 * when there are a few: where the pages that did not move are */
static void print_runs(const char *name, const int *status, size_t npages)
{
	size_t i, first, runs = 1;

	for (i = 1; i < npages; i++)
		runs += status[i] != status[i - 1];
	if (runs < 2 || runs > 8)
		return;
	for (first = 0, i = 1; i <= npages; i++) {
		if (i < npages && status[i] == status[first])
			continue;
		printf("%s run %zu-%zu %d\n", name, first, i - 1, status[first]);
		first = i;
	}
}

static void count_nodes(const char *name, uint64_t *p, size_t npages)
{
	unsigned long counts[MAX_NODES] = { 0 }, other = 0;
	void **pages = malloc(npages * sizeof(*pages));
	int *status = malloc(npages * sizeof(*status));
	size_t i;

	if (!pages || !status) {
		perror("hotcold");
		exit(1);
	}
	for (i = 0; i < npages; i++)
		pages[i] = (char *)p + i * page;
	if (move_pages(0, npages, pages, NULL, status, 0)) {
		perror("hotcold: move_pages");
		exit(1);
	}
	for (i = 0; i < npages; i++) {
		if (status[i] >= 0 && status[i] < MAX_NODES)
			counts[status[i]]++;
		else
			other++;
	}
	for (i = 0; i < MAX_NODES; i++)
		if (counts[i])
			printf("%s node %zu %lu\n", name, i, counts[i]);
	if (other)
		printf("%s node none %lu\n", name, other);
	print_runs(name, status, npages);
	free(pages);
	free(status);
}

static int intact(const uint64_t *p, size_t npages, uint64_t first_pageno)
{
	size_t words = page / sizeof(uint64_t), i, w;

	for (i = 0; i < npages; i++)
		for (w = 1; w < words; w++)
			if (p[i * words + w] != pattern(first_pageno + i, w))
				return 0;
	return 1;
}

int main(int argc, char **argv)
{
	unsigned long hot_mib, cold_mib, passes = 0;
	size_t hot_pages, cold_pages, words, i;
	uint64_t *hot, *cold;
	int hot_node, cold_node, sig;
	int report_wanted = 0, check_wanted = 0, hint_wanted = 0;
	const struct timespec no_wait = { 0, 0 };
	sigset_t requests;
	char *scratch;

	if (argc != 5) {
		fprintf(stderr, "usage: hotcold HOT_MIB COLD_MIB HOT_NODE COLD_NODE\n");
		return 2;
	}
	page = sysconf(_SC_PAGESIZE);
	words = page / sizeof(uint64_t);
	hot_mib = strtoul(argv[1], NULL, 0);
	cold_mib = strtoul(argv[2], NULL, 0);
	hot_node = atoi(argv[3]);
	cold_node = atoi(argv[4]);
	if (!hot_mib || !cold_mib || hot_node < 0 || hot_node >= MAX_NODES ||
	    cold_node < 0 || cold_node >= MAX_NODES) {
		fprintf(stderr, "hotcold: bad arguments\n");
		return 2;
	}
	hot_pages = (hot_mib << 20) / page;
	cold_pages = (cold_mib << 20) / page;
	/* cold first: the two mappings do not merge into one VMA that way
	 * round either, and the hot one sits at the lower address */
	cold = place(cold_mib, cold_node, hot_pages);
	hot = place(hot_mib, hot_node, 0);
	scratch = mmap(NULL, FLUSH_PAGES * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (scratch == MAP_FAILED) {
		perror("hotcold: mmap");
		return 1;
	}
	/*
	 * Signals are taken between passes with sigtimedwait(2), never in a
	 * handler: a handler's signal frame is an XSAVE onto the stack, which
	 * QEMU 10.0.2 does not survive where a manager left the stack half on
	 * a CXL node (configs/qemu/README).
	 */
	sigemptyset(&requests);
	sigaddset(&requests, SIGUSR1);
	sigaddset(&requests, SIGUSR2);
	sigaddset(&requests, SIGHUP);
	sigprocmask(SIG_BLOCK, &requests, NULL);
	printf("hot %p %p\ncold %p %p\nready\n",
	       (void *)hot, (void *)((char *)hot + (hot_mib << 20)),
	       (void *)cold, (void *)((char *)cold + (cold_mib << 20)));
	fflush(stdout);
	for (;;) {
		for (i = 0; i < hot_pages; i++)
			hot[i * words]++;
		memset(scratch, 1, FLUSH_PAGES * page);
		madvise(scratch, FLUSH_PAGES * page, MADV_DONTNEED);
		passes++;
		while ((sig = sigtimedwait(&requests, NULL, &no_wait)) > 0) {
			hint_wanted |= sig == SIGUSR2;
			report_wanted |= sig != SIGUSR2;
			check_wanted |= sig == SIGHUP;
		}
		if (hint_wanted) {
			hint_wanted = 0;
			hint_cold(hot, hot_mib << 20);
		}
		if (report_wanted) {
			report_wanted = 0;
			count_nodes("hot", hot, hot_pages);
			count_nodes("cold", cold, cold_pages);
			printf("passes %lu\ncontent %s\nend\n", passes, !check_wanted ? "unchecked" :
			       intact(hot, hot_pages, 0) && intact(cold, cold_pages, hot_pages) ?
			       "ok" : "corrupt");
			check_wanted = 0;
			fflush(stdout);
		}
	}
}
