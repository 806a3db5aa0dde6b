// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * collapse-node N [bind NODES]: fault in one 2 MiB-aligned range of 4 KiB
 * pages on node 0, move N of its 512 pages to node 1, then ask the kernel
 * to collapse it into a transparent huge page (MADV_COLLAPSE, the same
 * target-node choice khugepaged makes). The range keeps no memory policy,
 * or with "bind NODES" (a numactl node list) an MPOL_BIND to them.
 * Prints:
 *   collapse OK|ERRNO-NAME
 *   thp_kb KB          AnonHugePages of the process afterwards
 *   node ID            where the range's first page is now
 *   content ok|corrupt every page's pattern re-checked
 */
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#define HPAGE (2UL << 20)
#define NPAGES 512

static long anon_huge_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	int nodes[NPAGES], status[NPAGES], n1, i, rc, corrupt = 0;
	unsigned long node0 = 1;
	struct bitmask *bind = NULL;
	void *pages[NPAGES];
	char *raw, *buf;

	if ((argc != 2 && argc != 4) || (n1 = atoi(argv[1])) < 0 || n1 > NPAGES ||
	    (argc == 4 && (strcmp(argv[2], "bind") ||
			   !(bind = numa_parse_nodestring(argv[3]))))) {
		fprintf(stderr, "usage: collapse-node N [bind NODES] (0..512 pages to node 1)\n");
		return 2;
	}
	raw = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return 1;
	buf = (char *)(((uintptr_t)raw + HPAGE - 1) & ~(HPAGE - 1));
	if (madvise(buf, HPAGE, MADV_NOHUGEPAGE) ||
	    mbind(buf, HPAGE, MPOL_BIND, &node0, 64, 0)) {
		perror("collapse-node: madvise/mbind");
		return 1;
	}
	for (i = 0; i < NPAGES; i++) {
		memset(buf + i * 4096, i & 0xff, 4096);
		pages[i] = buf + i * 4096;
		nodes[i] = 1;
	}
	/* The range's own policy, if any: the collapse must choose by itself. */
	if ((bind ? mbind(buf, HPAGE, MPOL_BIND, bind->maskp, bind->size + 1, 0) :
		    mbind(buf, HPAGE, MPOL_DEFAULT, NULL, 0, 0)) ||
	    (n1 && move_pages(0, n1, pages, nodes, status, MPOL_MF_MOVE))) {
		perror("collapse-node: move_pages");
		return 1;
	}
	madvise(buf, HPAGE, MADV_HUGEPAGE);
	rc = madvise(buf, HPAGE, MADV_COLLAPSE);
	printf("collapse %s\n", rc ? strerrorname_np(errno) : "OK");
	printf("thp_kb %ld\n", anon_huge_kb());
	if (move_pages(0, 1, pages, NULL, status, 0))
		return 1;
	printf("node %d\n", status[0]);
	for (i = 0; i < NPAGES; i++)
		corrupt += buf[i * 4096] != (char)(i & 0xff) ||
			   buf[i * 4096 + 4095] != (char)(i & 0xff);
	printf("content %s\n", corrupt ? "corrupt" : "ok");
	return 0;
}
