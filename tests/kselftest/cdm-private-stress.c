// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdm-private-stress [SECONDS]: 4 threads move random page-aligned ranges
 * of a 64 MiB buffer to /dev/cdm_private0 and back (TO_DEVICE, TO_RAM)
 * while the main thread reads and rewrites random pages, for SECONDS s
 * (default 60). Every page holds its number, a sequence number the main
 * thread bumps at each rewrite and the pattern of both; a read that finds
 * anything else is a mismatch. At the end every page is checked as the
 * device reads it and as the CPU does.
 *
 * TAP on stdout (one result per count: migrations each way, CPU faults,
 * counters against the ioctls' done, failed ioctls, mismatches, device
 * pages freed); exit status 1 when any result is not ok.
 */
#include "kselftest.h"
#include "cdm-private.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define BUF_SIZE	(64UL << 20)
#define MOVERS		4
#define MAX_RANGE	512	/* pages a move takes at most (2 MiB) */
#define REPORT_MAX	8	/* mismatches described one by one */

static char *buf;
static size_t page, npages;
static uint32_t *seq;		/* each page's sequence number, main thread's */
static int stop;

struct mover {
	pthread_t thread;
	int fd;
	unsigned int seed;
	uint64_t calls[2], pages[2];	/* [0] TO_DEVICE, [1] TO_RAM */
	uint64_t failed;
	int last_err;
};

/* The seed of page P's pattern at sequence S; seeds 4096 words apart */
static uint64_t page_seed(size_t p, uint32_t s)
{
	return (((uint64_t)p << 32) | s) << 12;
}

static void page_write(size_t p)
{
	uint64_t *w = (uint64_t *)(buf + p * page);

	pattern_fill(w, page, page_seed(p, seq[p]));
	w[0] = p;
	w[1] = seq[p];
}

/*
 * Page P as found at DATA is not as the main thread wrote it last: say
 * how (the first REPORT_MAX times) and return true.
 */
static bool page_bad(const char *data, size_t p, const char *view)
{
	const volatile uint64_t *w = (const volatile uint64_t *)data;
	static unsigned int reported;
	size_t bad;

	bad = (w[0] != p) + (w[1] != seq[p]) +
	      pattern_bad(data + 16, page - 16, page_seed(p, seq[p]) + 2);
	if (bad && reported++ < REPORT_MAX)
		ksft_print_msg("%s: page %zu (seq %u): %zu words wrong, holds page %llu seq %llu\n",
			       view, p, seq[p], bad, (unsigned long long)w[0],
			       (unsigned long long)w[1]);
	return bad != 0;
}

static void *mover_run(void *arg)
{
	struct mover *m = arg;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		size_t first = rand_r(&m->seed) % npages;
		size_t len = 1 + rand_r(&m->seed) % MAX_RANGE;
		int back = rand_r(&m->seed) & 1;
		uint64_t done;
		int ret;

		if (len > npages - first)
			len = npages - first;
		ret = cdm_cmd(m->fd, back ? CDM_PRIVATE_IOC_TO_RAM : CDM_PRIVATE_IOC_TO_DEVICE,
			      buf + first * page, len, NULL, &done);
		if (ret) {
			m->failed++;
			m->last_err = -ret;
			continue;
		}
		m->calls[back]++;
		m->pages[back] += done;
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 60;
	struct cdm_private_stats s0, s1, s2;
	struct cdm_private_info info;
	uint64_t moved[2] = { 0, 0 }, calls[2] = { 0, 0 }, failed = 0;
	uint64_t run_bad = 0, end_bad = 0, checked = 0, rewrites = 0;
	struct mover movers[MOVERS];
	unsigned int rng = 12345;
	int fd, i, last_err = 0;
	size_t p, piece;
	double end;
	char *bounce;

	ksft_print_header();
	if (seconds <= 0)
		ksft_exit_fail_msg("usage: %s [SECONDS > 0]\n", argv[0]);
	fd = cdm_open(0);
	if (fd < 0 && errno == ENOENT)
		ksft_exit_skip("no /dev/cdm_private0: cdm_private.ko is not loaded\n");
	if (fd < 0)
		ksft_exit_fail_perror("open /dev/cdm_private0");
	if (cdm_info(fd, &info))
		ksft_exit_fail_perror("INFO");
	ksft_print_msg("pool %u: capacity %llu MiB, chunk %llu MiB\n", info.pool_id,
		       (unsigned long long)info.capacity >> 20,
		       (unsigned long long)info.chunk >> 20);
	ksft_set_plan(8);

	page = sysconf(_SC_PAGESIZE);
	npages = BUF_SIZE / page;
	buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	seq = calloc(npages, sizeof(*seq));
	bounce = malloc(MAX_RANGE * page);
	if (buf == MAP_FAILED || !seq || !bounce)
		ksft_exit_fail_perror("allocating the buffers");
	for (p = 0; p < npages; p++)
		page_write(p);
	if (cdm_stats(fd, &s0))
		ksft_exit_fail_perror("STATS");

	ksft_print_msg("%d s, %zu pages, %d threads moving up to %d pages at a time\n",
		       seconds, npages, MOVERS, MAX_RANGE);
	for (i = 0; i < MOVERS; i++) {
		memset(&movers[i], 0, sizeof(movers[i]));
		movers[i].fd = fd;
		movers[i].seed = 1000 + i;
		if (pthread_create(&movers[i].thread, NULL, mover_run, &movers[i]))
			ksft_exit_fail_msg("pthread_create failed\n");
	}
	end = now() + seconds;
	while (now() < end) {
		for (i = 0; i < 256; i++) {
			p = rand_r(&rng) % npages;
			run_bad += page_bad(buf + p * page, p, "while running");
			checked++;
			if (rand_r(&rng) & 1) {
				seq[p]++;
				page_write(p);
				rewrites++;
			}
		}
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < MOVERS; i++) {
		pthread_join(movers[i].thread, NULL);
		calls[0] += movers[i].calls[0];
		calls[1] += movers[i].calls[1];
		moved[0] += movers[i].pages[0];
		moved[1] += movers[i].pages[1];
		failed += movers[i].failed;
		if (movers[i].failed)
			last_err = movers[i].last_err;
	}
	if (cdm_stats(fd, &s1))
		ksft_exit_fail_perror("STATS");

	/* Every page as the device reads it, where it is, then as the CPU does */
	for (p = 0; p < npages; p += piece) {
		uint64_t done = 0;
		size_t k;
		int ret;

		piece = npages - p < MAX_RANGE ? npages - p : MAX_RANGE;
		ret = cdm_cmd(fd, CDM_PRIVATE_IOC_READ, buf + p * page, piece, bounce, &done);
		if (ret || done != piece) {
			ksft_print_msg("READ of pages %zu-%zu: %d, done %llu\n", p, p + piece - 1,
				       ret, (unsigned long long)done);
			end_bad += piece;
			continue;
		}
		for (k = 0; k < piece; k++)
			end_bad += page_bad(bounce + k * page, p + k, "device view");
	}
	for (p = 0; p < npages; p++)
		end_bad += page_bad(buf + p * page, p, "CPU view");
	munmap(buf, BUF_SIZE);
	if (cdm_stats(fd, &s2))
		ksft_exit_fail_perror("STATS");

	ksft_test_result(moved[0] > 0, "migrations to the device: %llu pages in %llu calls\n",
			 (unsigned long long)moved[0], (unsigned long long)calls[0]);
	ksft_test_result(moved[1] > 0, "migrations to RAM: %llu pages in %llu calls\n",
			 (unsigned long long)moved[1], (unsigned long long)calls[1]);
	ksft_test_result(s1.cpu_faults > s0.cpu_faults,
			 "CPU faults while running: %llu pages (stats)\n",
			 (unsigned long long)(s1.cpu_faults - s0.cpu_faults));
	ksft_test_result(s1.to_device - s0.to_device == moved[0] &&
			 s1.to_ram - s0.to_ram == moved[1],
			 "pool counters agree with the ioctls (to_device +%llu, to_ram +%llu)\n",
			 (unsigned long long)(s1.to_device - s0.to_device),
			 (unsigned long long)(s1.to_ram - s0.to_ram));
	ksft_test_result(failed == 0, "migration ioctls failed: %llu (last errno %d)\n",
			 (unsigned long long)failed, last_err);
	ksft_test_result(run_bad == 0 && checked > 0,
			 "mismatches while running: %llu in %llu page reads (%llu rewrites)\n",
			 (unsigned long long)run_bad, (unsigned long long)checked,
			 (unsigned long long)rewrites);
	ksft_test_result(end_bad == 0, "mismatches at the end: %llu of %zu pages, device and CPU view\n",
			 (unsigned long long)end_bad, npages);
	ksft_test_result(s2.pages_on_device == s0.pages_on_device,
			 "device pages in use after munmap: %llu (%llu before)\n",
			 (unsigned long long)s2.pages_on_device,
			 (unsigned long long)s0.pages_on_device);
	close(fd);
	ksft_finished();
}
