// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * placement-nodes PID START END [START END ...]: where another process's
 * pages are, read with move_pages(2) without moving anything (root, or
 * the right to ptrace PID). For each range (addresses in hex or decimal,
 * END exclusive) one line: "nodes COUNT0 COUNT1 ... none COUNT", the
 * pages per node 0..7 and those not present. bench/placement-guest.sh
 * uses it: /proc/PID/numa_maps counts per VMA, and hotcold's two sets
 * can merge into one VMA.
 *
 * placement-nodes --watch MS PID NODE START END: every MS ms until PID
 * exits (or a signal), one line "watch BOOT_MS COUNT FREE_KB": the ms
 * since boot (CLOCK_BOOTTIME, the clock of /proc/uptime), how many pages
 * of the range are on NODE and NODE's MemFree (its sysfs meminfo; -1
 * when unreadable). One process querying one range: fine-grained samples
 * of the hot set without a shell's forks between them, and of how far a
 * contender's promotions took the fast node's free memory down.
 *
 * placement-nodes --flags PID START END: for the pages of one range, per
 * node, how many are on an LRU list and how many not (KPF_LRU of
 * /proc/kpageflags, through the PFNs of /proc/PID/pagemap: root). DAMON
 * sees an access only to a folio on an LRU list (damon_get_folio()): a
 * page off the lists looks idle to it however much it is used.
 */
#include <fcntl.h>
#include <numa.h>
#include <numaif.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NODES	8
#define BATCH	4096

#define KPF_LRU		5
#define PM_PRESENT	(1ull << 63)
#define PM_PFN		((1ull << 55) - 1)

static int lru_flags(int pid, unsigned long start, unsigned long end)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long lru[NODES + 1] = { 0 }, off[NODES + 1] = { 0 }, addr;
	char path[64];
	int pm, kpf, status, i;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pm = open(path, O_RDONLY);
	kpf = open("/proc/kpageflags", O_RDONLY);
	if (pm < 0 || kpf < 0) {
		perror("placement-nodes: pagemap or kpageflags");
		return 1;
	}
	for (addr = start; addr < end; addr += page) {
		uint64_t e = 0, flags = 0;
		void *p = (void *)addr;

		if (pread(pm, &e, sizeof(e), addr / page * sizeof(e)) != sizeof(e) ||
		    !(e & PM_PRESENT) || !(e & PM_PFN))
			continue;
		if (pread(kpf, &flags, sizeof(flags), (e & PM_PFN) * sizeof(flags)) != sizeof(flags))
			continue;
		if (move_pages(pid, 1, &p, NULL, &status, 0) || status < 0 || status >= NODES)
			status = NODES;
		if (flags >> KPF_LRU & 1)
			lru[status]++;
		else
			off[status]++;
	}
	for (i = 0; i <= NODES; i++)
		if (lru[i] || off[i])
			printf("flags node %s%d lru %lu off_lru %lu\n", i == NODES ? "?" : "",
			       i == NODES ? -1 : i, lru[i], off[i]);
	close(pm);
	close(kpf);
	return 0;
}

/* the pages of [@start, @end) per node: @counts[NODES] is "not present" */
static int count_nodes(int pid, unsigned long start, unsigned long end,
		       unsigned long counts[NODES + 1])
{
	long page = sysconf(_SC_PAGESIZE);
	static void *pages[BATCH];
	static int status[BATCH];
	unsigned long addr = start;
	int i;

	memset(counts, 0, (NODES + 1) * sizeof(*counts));
	while (addr < end) {
		unsigned long n = 0;

		while (n < BATCH && addr < end) {
			pages[n++] = (void *)addr;
			addr += page;
		}
		if (move_pages(pid, n, pages, NULL, status, 0))
			return -1;
		for (i = 0; i < (int)n; i++)
			counts[status[i] >= 0 && status[i] < NODES ? status[i] : NODES]++;
	}
	return 0;
}

static long long boot_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* @node's MemFree in kB (libnuma reads its sysfs meminfo); -1 when unreadable */
static long long node_free_kb(int node)
{
	long long free_bytes;

	return numa_node_size64(node, &free_bytes) < 0 ? -1 : free_bytes / 1024;
}

static int watch(long ms, int pid, int node, unsigned long start, unsigned long end)
{
	unsigned long counts[NODES + 1];
	struct timespec next;

	if (ms <= 0 || pid <= 0 || node < 0 || node >= NODES) {
		/* pid 0 would be placement-nodes itself, which never exits */
		fprintf(stderr, "placement-nodes: --watch: bad interval, pid or node\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	clock_gettime(CLOCK_MONOTONIC, &next);
	/* a query of a process that exited fails: that ends the watch */
	while (!count_nodes(pid, start, end, counts)) {
		printf("watch %lld %lu %lld\n", boot_ms(), counts[node], node_free_kb(node));
		next.tv_nsec += ms % 1000 * 1000000;
		next.tv_sec += ms / 1000 + next.tv_nsec / 1000000000;
		next.tv_nsec %= 1000000000;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int pid, a, i;

	if (argc == 7 && !strcmp(argv[1], "--watch"))
		return watch(atol(argv[2]), atoi(argv[3]), atoi(argv[4]),
			     strtoul(argv[5], NULL, 0), strtoul(argv[6], NULL, 0));
	if (argc == 5 && !strcmp(argv[1], "--flags"))
		return lru_flags(atoi(argv[2]), strtoul(argv[3], NULL, 0), strtoul(argv[4], NULL, 0));
	if (argc < 4 || argc % 2) {
		fprintf(stderr, "usage: placement-nodes PID START END [START END ...]\n"
				"       placement-nodes --watch MS PID NODE START END\n"
				"       placement-nodes --flags PID START END\n");
		return 2;
	}
	pid = atoi(argv[1]);
	for (a = 2; a + 1 < argc; a += 2) {
		unsigned long counts[NODES + 1];

		if (count_nodes(pid, strtoul(argv[a], NULL, 0), strtoul(argv[a + 1], NULL, 0), counts)) {
			perror("placement-nodes: move_pages");
			return 1;
		}
		printf("nodes");
		for (i = 0; i < NODES; i++)
			printf(" %lu", counts[i]);
		printf(" none %lu\n", counts[NODES]);
	}
	return 0;
}
