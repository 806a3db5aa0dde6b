// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pagenodes MIB: map and touch MIB MiB of anonymous memory, then report
 * where the kernel put it, read back two ways:
 *   node N COUNT      per-node page counts from move_pages(2) status
 *   numa_maps LINE    this mapping's line of /proc/self/numa_maps
 * Run it under numactl to check that a policy places pages where it says.
 */
#include <errno.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_NODES 64

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long mib, npages, i, counts[MAX_NODES] = { 0 }, other = 0;
	char line[4096], addr[32];
	void **pages;
	int *status;
	FILE *maps;
	char *buf;

	if (argc != 2 || (mib = strtoul(argv[1], NULL, 0)) == 0) {
		fprintf(stderr, "usage: pagenodes MIB\n");
		return 2;
	}
	npages = mib * 1024 * 1024 / page;
	buf = mmap(NULL, npages * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pages = calloc(npages, sizeof(*pages));
	status = calloc(npages, sizeof(*status));
	if (buf == MAP_FAILED || !pages || !status) {
		perror("pagenodes: allocation");
		return 1;
	}
	for (i = 0; i < npages; i++) {
		buf[i * page] = (char)i;
		pages[i] = buf + i * page;
	}
	if (move_pages(0, npages, pages, NULL, status, 0)) {
		perror("pagenodes: move_pages query");
		return 1;
	}
	for (i = 0; i < npages; i++) {
		if (status[i] >= 0 && status[i] < MAX_NODES)
			counts[status[i]]++;
		else
			other++;
	}
	printf("total %lu\n", npages);
	for (i = 0; i < MAX_NODES; i++)
		if (counts[i])
			printf("node %lu %lu\n", i, counts[i]);
	if (other)
		printf("unplaced %lu\n", other);

	snprintf(addr, sizeof(addr), "%lx ", (unsigned long)buf);
	maps = fopen("/proc/self/numa_maps", "r");
	if (!maps) {
		perror("pagenodes: /proc/self/numa_maps");
		return 1;
	}
	while (fgets(line, sizeof(line), maps))
		if (!strncmp(line, addr, strlen(addr)))
			printf("numa_maps %s", line);
	fclose(maps);
	return 0;
}
