// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pagefault-bench MIB RUNS: the page allocator's fast path seen from user
 * space. Each run maps MIB MiB of fresh anonymous memory, keeps THP away
 * (MADV_NOHUGEPAGE) and writes one byte per 4 KiB page, so every page is
 * one fault and one order-0 allocation; the time of the touching loop is
 * printed as
 *   run N MS ms NS ns/fault
 * The task stays on CPU 0 so every fault allocates from the same node.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long mib, runs, r;
	cpu_set_t cpu0;
	size_t len, off;

	if (argc != 3 || (mib = strtoul(argv[1], NULL, 0)) == 0 ||
	    (runs = strtoul(argv[2], NULL, 0)) == 0) {
		fprintf(stderr, "usage: pagefault-bench MIB RUNS\n");
		return 2;
	}
	len = mib << 20;
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	if (sched_setaffinity(0, sizeof(cpu0), &cpu0))
		fprintf(stderr, "pagefault-bench: cannot stay on CPU 0: %s\n", strerror(errno));

	for (r = 0; r < runs; r++) {
		volatile char *p;
		double t0, ms;

		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			fprintf(stderr, "pagefault-bench: mmap %lu MiB: %s\n", mib, strerror(errno));
			return 1;
		}
		if (madvise((void *)p, len, MADV_NOHUGEPAGE))
			fprintf(stderr, "pagefault-bench: MADV_NOHUGEPAGE: %s\n", strerror(errno));
		t0 = now_ms();
		for (off = 0; off < len; off += page)
			p[off] = 1;
		ms = now_ms() - t0;
		munmap((void *)p, len);
		printf("run %lu %.3f ms %.1f ns/fault\n", r, ms, ms * 1e6 / (len / page));
		fflush(stdout);
	}
	return 0;
}
