// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * explicit-alloc: the explicit requests of cdm-explicit.sh that
 * policy-alloc (a task policy over ordinary pages) cannot make.
 *
 *   explicit-alloc home MODE NODES HOME MIB
 *	map MIB MiB, give the mapping the policy MODE NODES with mbind(2)
 *	and the home node HOME with set_mempolicy_home_node(2), fault it in
 *   explicit-alloc hugetlb MODE NODES MIB
 *	set the task policy MODE NODES, map MIB MiB of 2 MiB hugetlb pages
 *	(MAP_HUGETLB, which reserves them from the pools), fault them in
 *   explicit-alloc surplus MODE NODES MIB
 *	set the task policy MODE NODES and map up to MIB MiB of 2 MiB
 *	hugetlb pages one mapping of one page at a time, with the pools
 *	empty and nr_overcommit_hugepages set (the test does both): each
 *	reservation allocates a surplus page. It stops at the first mmap
 *	that fails ("mmap errno NAME") and prints how many it mapped. Of
 *	more than 128 MiB it unmaps the last 16 MiB again (their surplus
 *	pages go back: the kernel needs some memory of a node such a
 *	mapping filled for what follows), prints the surplus pages
 *	of every node that has some (sysfs surplus_hugepages), faults the
 *	rest in and reports:
 *	  mapped N
 *	  kept N
 *	  surplus node ID COUNT
 *
 * MODE is default, bind or preferred-many; NODES a numactl node list, or
 * "-" for none. Then it prints where the kernel put every page of the
 * mapping (in pages of the mapping's size), read back with move_pages(2):
 *   total N
 *   node ID COUNT
 *   content ok|corrupt
 * Exit status: 0, 2 bad usage, 3 a policy call failed, 4 mmap failed
 * (both print "CALL errno NAME": "mmap errno ENOMEM"), 1 anything else.
 * A fault the kernel cannot serve kills it (SIGBUS for hugetlb).
 */
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mempolicy-compat.h"
#ifndef SYS_set_mempolicy_home_node
#define SYS_set_mempolicy_home_node 450	/* x86_64, since Linux 5.17 */
#endif

#define HUGE_PAGE_SIZE (2UL << 20)
/* what surplus gives back of a large mapping before it reports: enough
 * for the kernel's own allocations on a node its reservations filled (a
 * debug kernel's KASAN and kmemleak allocate with every object) */
#define SURPLUS_RELEASE (8 * HUGE_PAGE_SIZE)
#define MAX_NODES 64

static int usage(void)
{
	fprintf(stderr, "usage: explicit-alloc home MODE NODES|- HOME MIB\n"
			"       explicit-alloc hugetlb MODE NODES|- MIB\n"
			"       explicit-alloc surplus MODE NODES|- MIB\n");
	return 2;
}

static int parse_mode(const char *name)
{
	if (!strcmp(name, "default"))
		return MPOL_DEFAULT;
	if (!strcmp(name, "bind"))
		return MPOL_BIND;
	if (!strcmp(name, "preferred-many"))
		return MPOL_PREFERRED_MANY;
	fprintf(stderr, "explicit-alloc: unknown mode '%s'\n", name);
	return -1;
}

/* NODES as a mask for the policy calls; NULL for "-" (and on error). */
static struct bitmask *parse_nodes(const char *list, int *bad)
{
	struct bitmask *nodes;

	*bad = 0;
	if (!strcmp(list, "-"))
		return NULL;
	nodes = numa_parse_nodestring_all(list);
	if (!nodes) {
		fprintf(stderr, "explicit-alloc: bad node list '%s'\n", list);
		*bad = 1;
	}
	return nodes;
}

static int failed_call(const char *call, int status)
{
	printf("%s errno %s\n", call, strerrorname_np(errno));
	fprintf(stderr, "explicit-alloc: %s: %s\n", call, strerror(errno));
	return status;
}

static char page_byte(unsigned long i, unsigned long off)
{
	return (char)(i * 131 + off * 7 + 1);
}

/* Write the pattern at every 64th byte of @len bytes, faulting them in. */
static void fill(char *buf, unsigned long len, unsigned long page)
{
	unsigned long off;

	for (off = 0; off < len; off += 64)
		buf[off] = page_byte(off / page, off % page);
}

static int report(char *buf, unsigned long len, unsigned long page)
{
	unsigned long i, off, n = len / page, counts[MAX_NODES] = { 0 }, corrupt = 0;
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));

	if (!pages || !status)
		return 1;
	for (i = 0; i < n; i++)
		pages[i] = buf + i * page;
	if (move_pages(0, n, pages, NULL, status, 0)) {
		perror("explicit-alloc: move_pages query");
		return 1;
	}
	printf("total %lu\n", n);
	for (i = 0; i < n; i++)
		if (status[i] >= 0 && status[i] < MAX_NODES)
			counts[status[i]]++;
	for (i = 0; i < MAX_NODES; i++)
		if (counts[i])
			printf("node %lu %lu\n", i, counts[i]);
	for (off = 0; off < len; off += 64)
		corrupt += buf[off] != page_byte(off / page, off % page);
	printf("content %s\n", corrupt ? "corrupt" : "ok");
	return 0;
}

/* The surplus 2 MiB pages of every node with some, from sysfs */
static int report_surplus(void)
{
	char path[96];
	unsigned long count;
	int nid, found = 0;
	FILE *f;

	for (nid = 0; nid < MAX_NODES; nid++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/"
			 "hugepages/hugepages-2048kB/surplus_hugepages", nid);
		f = fopen(path, "r");
		if (!f)
			continue;
		found++;
		if (fscanf(f, "%lu", &count) != 1) {
			fprintf(stderr, "explicit-alloc: %s: unreadable\n", path);
			fclose(f);
			return 1;
		}
		fclose(f);
		if (count)
			printf("surplus node %d %lu\n", nid, count);
	}
	if (!found) {
		fprintf(stderr, "explicit-alloc: no node has surplus_hugepages\n");
		return 1;
	}
	return 0;
}

/* surplus MODE NODES MIB: see the top of the file */
static int surplus(int mode, struct bitmask *nodes, unsigned long len)
{
	unsigned long mapped, release;
	char *area, *buf;

	/* one address range for all the mappings, to report on as one */
	area = mmap(NULL, len + HUGE_PAGE_SIZE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		return failed_call("mmap", 1);
	buf = (char *)(((unsigned long)area + HUGE_PAGE_SIZE - 1) & ~(HUGE_PAGE_SIZE - 1));
	if (set_mempolicy(mode, nodes ? nodes->maskp : NULL,
			  nodes ? nodes->size + 1 : 0))
		return failed_call("set_mempolicy", 3);
	for (mapped = 0; mapped < len; mapped += HUGE_PAGE_SIZE)
		if (mmap(buf + mapped, HUGE_PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_FIXED,
			 -1, 0) == MAP_FAILED) {
			failed_call("mmap", 0);
			break;
		}
	printf("mapped %lu\n", mapped / HUGE_PAGE_SIZE);
	release = mapped > 8 * SURPLUS_RELEASE ? SURPLUS_RELEASE : 0;
	if (release && munmap(buf + mapped - release, release))
		return failed_call("munmap", 1);
	mapped -= release;
	printf("kept %lu\n", mapped / HUGE_PAGE_SIZE);
	if (report_surplus())
		return 1;
	fflush(stdout);		/* what a SIGBUS at a fault would lose */
	if (!mapped)
		return 0;
	fill(buf, mapped, HUGE_PAGE_SIZE);
	return report(buf, mapped, HUGE_PAGE_SIZE);
}

int main(int argc, char **argv)
{
	int hugetlb, mode, bad, home = -1;
	unsigned long len, page;
	struct bitmask *nodes;
	char *buf;

	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "surplus")) {
		if (argc != 5)
			return usage();
		mode = parse_mode(argv[2]);
		nodes = parse_nodes(argv[3], &bad);
		len = strtoul(argv[4], NULL, 0) << 20;
		if (mode < 0 || bad || !len || len % HUGE_PAGE_SIZE)
			return 2;
		return surplus(mode, nodes, len);
	}
	hugetlb = !strcmp(argv[1], "hugetlb");
	if (hugetlb ? argc != 5 : (strcmp(argv[1], "home") || argc != 6))
		return usage();
	mode = parse_mode(argv[2]);
	nodes = parse_nodes(argv[3], &bad);
	if (mode < 0 || bad)
		return 2;
	if (!hugetlb)
		home = atoi(argv[4]);
	len = strtoul(argv[argc - 1], NULL, 0) << 20;
	page = hugetlb ? HUGE_PAGE_SIZE : (unsigned long)sysconf(_SC_PAGESIZE);
	if (!len || len % page)
		return usage();

	if (hugetlb && set_mempolicy(mode, nodes ? nodes->maskp : NULL,
				     nodes ? nodes->size + 1 : 0))
		return failed_call("set_mempolicy", 3);
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | (hugetlb ? MAP_HUGETLB : 0), -1, 0);
	if (buf == MAP_FAILED)
		return failed_call("mmap", 4);
	if (!hugetlb) {
		madvise(buf, len, MADV_NOHUGEPAGE);
		if (mbind(buf, len, mode, nodes ? nodes->maskp : NULL,
			  nodes ? nodes->size + 1 : 0, 0))
			return failed_call("mbind", 3);
		if (syscall(SYS_set_mempolicy_home_node, (unsigned long)buf, len, home, 0))
			return failed_call("set_mempolicy_home_node", 3);
	}
	fill(buf, len, page);
	return report(buf, len, page);
}
