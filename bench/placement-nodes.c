// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * placement-nodes PID START END [START END ...]: where another process's
 * pages are, read with move_pages(2) without moving anything (root, or
 * the right to ptrace PID). For each range (addresses in hex or decimal,
 * END exclusive) one line: "nodes COUNT0 COUNT1 ... none COUNT", the
 * pages per node 0..7 and those not present. bench/placement-guest.sh
 * uses it: /proc/PID/numa_maps counts per VMA, and hotcold's two sets
 * can merge into one VMA.
 */
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NODES	8
#define BATCH	4096

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	static void *pages[BATCH];
	static int status[BATCH];
	int pid, a, i;

	if (argc < 4 || argc % 2) {
		fprintf(stderr, "usage: placement-nodes PID START END [START END ...]\n");
		return 2;
	}
	pid = atoi(argv[1]);
	for (a = 2; a + 1 < argc; a += 2) {
		unsigned long start = strtoul(argv[a], NULL, 0), end = strtoul(argv[a + 1], NULL, 0);
		unsigned long counts[NODES] = { 0 }, none = 0, addr = start;

		while (addr < end) {
			unsigned long n = 0;

			while (n < BATCH && addr < end) {
				pages[n++] = (void *)addr;
				addr += page;
			}
			if (move_pages(pid, n, pages, NULL, status, 0)) {
				perror("placement-nodes: move_pages");
				return 1;
			}
			for (i = 0; i < (int)n; i++) {
				if (status[i] >= 0 && status[i] < NODES)
					counts[status[i]]++;
				else
					none++;
			}
		}
		printf("nodes");
		for (i = 0; i < NODES; i++)
			printf(" %lu", counts[i]);
		printf(" none %lu\n", none);
	}
	return 0;
}
