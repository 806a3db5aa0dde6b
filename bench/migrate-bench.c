// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * migrate-bench [MIB [REPS]]: time moving MIB MiB (default 512) of this
 * process from node 0 to node 1 and back, with 4 KiB pages and with THP:
 *
 *   (a) one move_pages(2) call naming every 4 KiB page
 *   (b) migrate_pages(2) of the whole process
 *   (c) libcdm with 1 and with 2 threads
 *
 * and a memcpy of the same size from node 0 to node 1 (the copy limit).
 * Twice: with the memory in this process, and in a child that only sleeps,
 * as cdmctl and cdmd move another process's memory. They differ in who
 * runs in the memory's mm: moving its own memory, the second libcdm
 * thread runs in the mm whose mappings every move changes, so each
 * unmap's TLB flush interrupts it; a child's mm runs nowhere.
 * Every timed move is checked: all pages on the target node afterwards
 * (raw move_pages query) and the content intact at the end of each method.
 * Prints medians of REPS (default 5), ratios and the spread (the minimum
 * is the run least disturbed, so ratios are given for both): on a guest
 * CPU with ERMS, whose "rep movsb" page copies TCG emulates a byte at a
 * time, one direction of a 512 MiB THP move took either 3-9 s or 17-19 s,
 * whatever the method; vm-run's guest CPU now has no ERMS
 * (configs/qemu/README), but a median is still only as good as the
 * spread beside it. Run by bench/migrate.sh inside a numa2 guest: the
 * absolute times are TCG times; use the ratios.
 */
#include <errno.h>
#include <inttypes.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <libcdm.h>

#define HUGE (2UL << 20)
#define MAX_REPS 15

static struct cdm_ctx *ctx;
static pid_t target;		/* whose memory moves: 0 this process, else the child */
static size_t len, npages;
static long ps;
static void **pages;
static int *nodes, *status;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	printf("Bail out! %s: %s %s\n", what, strerror(errno), ctx ? cdm_get_last_error(ctx) : "");
	exit(1);
}

static uint64_t checksum_words(uint64_t sum, const uint64_t *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sum = (sum ^ w[i]) * 0x100000001b3ULL;
	return sum;
}

/* of the buffer at @buf in the target, read without touching where it is */
static uint64_t checksum(const char *buf)
{
	static uint64_t copy[(1 << 20) / 8];
	struct iovec local = { copy, sizeof(copy) }, remote;
	uint64_t sum = 0;
	size_t off;

	if (!target)
		return checksum_words(0, (const uint64_t *)buf, len / 8);
	for (off = 0; off < len; off += sizeof(copy)) {
		remote = (struct iovec){ (char *)buf + off, sizeof(copy) };
		if (process_vm_readv(target, &local, 1, &remote, 1, 0) != sizeof(copy))
			die("process_vm_readv");
		sum = checksum_words(sum, copy, sizeof(copy) / 8);
	}
	return sum;
}

static void *map_buffer(int huge)
{
	char *p = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *q;
	uint64_t *w, x = 88172645463325252ULL;
	size_t i;

	if (p == MAP_FAILED)
		die("mmap");
	q = (char *)(((uintptr_t)p + HUGE - 1) & ~(HUGE - 1));
	madvise(q, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	w = (uint64_t *)q;
	for (i = 0; i < len / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w[i] = x;
	}
	return q;
}

/*
 * Hand the buffer to a child that sleeps until killed: this process drops
 * its copy, so every page is the child's alone (a page two processes map
 * would not move).
 */
static void hand_to_child(char *buf)
{
	target = fork();
	if (target < 0)
		die("fork");
	if (!target)
		for (;;)
			pause();
	if (munmap(buf, len))
		die("munmap");
}

static void end_child(void)
{
	kill(target, SIGKILL);
	waitpid(target, NULL, 0);
	target = 0;
}

static void check_on(char *buf, int node, const char *what)
{
	size_t i, on = 0;

	for (i = 0; i < npages; i++)
		pages[i] = buf + i * ps;
	if (move_pages(target, npages, pages, NULL, status, 0))
		die("query");
	for (i = 0; i < npages; i++)
		on += status[i] == node;
	if (on != npages) {
		printf("Bail out! %s: %zu of %zu pages on node %d\n", what, on, npages, node);
		exit(1);
	}
}

static long anon_huge_kb(void)
{
	char line[256], path[64];
	long kb, total = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", target ? target : getpid());
	f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			total = kb;
	if (f)
		fclose(f);
	return total;
}

/* TLB shootdown interrupts so far, all CPUs (/proc/interrupts, x86) */
static unsigned long long tlb_shootdowns(void)
{
	unsigned long long sum = 0, n;
	char line[1024], *p, *end;
	FILE *f = fopen("/proc/interrupts", "r");

	while (f && fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " ");
		if (strncmp(p, "TLB:", 4))
			continue;
		for (p += 4;; p = end) {
			n = strtoull(p, &end, 10);
			if (end == p)
				break;
			sum += n;
		}
	}
	if (f)
		fclose(f);
	return sum;
}

/* a /proc/vmstat counter, 0 when the kernel has none of that name */
static unsigned long long vmstat(const char *name)
{
	unsigned long long v = 0, n;
	char key[64];
	FILE *f = fopen("/proc/vmstat", "r");

	while (f && fscanf(f, "%63s %llu", key, &n) == 2) {
		if (!strcmp(key, name)) {
			v = n;
			break;
		}
	}
	if (f)
		fclose(f);
	return v;
}

/*
 * Compact memory before a timed round trip: a THP moves into a free huge
 * page of the target, and one that must first be made by direct
 * compaction would charge the method for it. Direct compaction still met
 * during the move is counted (compact_stall) and printed beside the
 * times. (TCG runs show THP round trips of 4 s and of 30 s for the same
 * method with 0 direct compactions: compaction is not what varies.)
 */
static void compact(void)
{
	FILE *f = fopen("/proc/sys/vm/compact_memory", "w");

	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
}

/* one direction with method @m; returns seconds */
static double move_once(int m, char *buf, int to)
{
	unsigned long from_mask = 1UL << !to, to_mask = 1UL << to;
	struct cdm_migration *mig;
	double t0;
	size_t i;
	int rc;

	for (i = 0; i < npages; i++) {
		pages[i] = buf + i * ps;
		nodes[i] = to;
	}
	if (m >= 2) {
		if (cdm_migration_new(ctx, target, to, &mig) ||
		    cdm_migration_set_range(mig, (uintptr_t)buf, (uintptr_t)buf + len) ||
		    cdm_migration_set_threads(mig, m - 1))
			die("libcdm setup");
	}
	t0 = now();
	switch (m) {
	case 0:
		rc = move_pages(target, npages, pages, nodes, status, MPOL_MF_MOVE) < 0;
		break;
	case 1:
		rc = migrate_pages(target, 8 * sizeof(long), &from_mask, &to_mask) < 0;
		break;
	default:
		rc = cdm_migration_run(mig);
		break;
	}
	t0 = now() - t0;
	if (rc)
		die("move");
	if (m >= 2)
		cdm_migration_free(mig);
	check_on(buf, to, "after a move");
	return t0;
}

/*
 * Guest memory no one has touched yet is slow to touch the first time under
 * QEMU (the host backs it on demand, TCG sets up its tracking of the page):
 * the first moves into it measured 4-7x slower than later ones. Touch
 * what is free on both nodes once, so every method meets warm memory.
 */
static void warm_up(void)
{
	unsigned long long margin = 256ULL << 20, avail;
	struct cdm_node *node;
	void *p;

	cdm_node_foreach(ctx, node) {
		if (cdm_node_get_mem_free(node, &avail) || avail <= margin)
			continue;
		avail = (avail - margin) & ~(HUGE - 1);
		if (cdm_alloc_on_node(ctx, avail, cdm_node_get_id(node), CDM_ALLOC_POPULATE, &p))
			die("warm-up allocation");
		cdm_free(ctx, p, avail);
		printf("# warm-up: touched %llu MiB on node %d\n", avail >> 20,
		       cdm_node_get_id(node));
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *const names[] = {
	"(a) move_pages, one call", "(b) migrate_pages(2)",
	"(c) libcdm, 1 thread", "(c) libcdm, 2 threads",
};

struct results {
	double t[4][2], lo[4][2], hi[4][2];	/* [method][huge] */
	unsigned long long tlb[4][2];		/* shootdowns, all round trips */
	unsigned long long stalls[4][2];	/* compact_stall, all round trips */
	double resid[2][2];			/* [pagemap][huge] */
};

/*
 * Every method on 4 KiB and THP memory, REPS round trips each, with the
 * memory in this process or (@other) in a child; the memcpy limit into
 * *@copy when it is not NULL.
 */
static void measure(int other, int reps, struct results *res, double *copy)
{
	double w[4][MAX_REPS], v[MAX_REPS];
	unsigned long long tlb0, stall0;
	int huge, k, m, r;
	long thp_before;
	uint64_t sum;
	char *buf, *dst;

	for (huge = 0; huge < 2; huge++) {
		buf = map_buffer(huge);
		sum = checksum(buf);
		if (copy && !huge) {
			/* the copy limit: memcpy node 0 -> node 1, both prefaulted */
			if (cdm_alloc_on_node(ctx, len, 1, CDM_ALLOC_POPULATE, (void **)&dst))
				die("alloc on node 1");
			for (r = 0; r < reps; r++) {
				double t0 = now();

				memcpy(dst, buf, len);
				v[r] = now() - t0;
			}
			*copy = median(v, reps);
			if (checksum(dst) != sum)
				die("memcpy check");
			cdm_free(ctx, dst, len);
		}
		if (other)
			hand_to_child(buf);
		check_on(buf, 0, "initial placement");
		thp_before = anon_huge_kb();
		printf("# %s, %s: %zu MiB, AnonHugePages %ld kB\n", huge ? "THP" : "4 KiB",
		       other ? "in a child" : "in this process", len >> 20, thp_before);
		/* methods take turns within each repetition, and each goes
		 * first in turn, so that none profits from its position */
		for (m = 0; m < 4; m++)
			res->tlb[m][huge] = res->stalls[m][huge] = 0;
		for (r = 0; r < reps; r++) {
			for (k = 0; k < 4; k++) {
				m = (k + r) % 4;
				compact();
				tlb0 = tlb_shootdowns();
				stall0 = vmstat("compact_stall");
				w[m][r] = move_once(m, buf, 1) + move_once(m, buf, 0);
				res->tlb[m][huge] += tlb_shootdowns() - tlb0;
				res->stalls[m][huge] += vmstat("compact_stall") - stall0;
				if (checksum(buf) != sum) {
					printf("Bail out! %s: content changed\n", names[m]);
					exit(1);
				}
			}
		}
		for (m = 0; m < 4; m++) {
			res->t[m][huge] = median(w[m], reps);	/* sorts w[m] */
			res->lo[m][huge] = w[m][0];
			res->hi[m][huge] = w[m][reps - 1];
		}
		/* residency of the whole buffer, as cdmd would poll it */
		for (m = 0; m < 2; m++) {
			for (r = 0; r < reps; r++) {
				struct cdm_residency *rs;
				unsigned long long on0;
				double t0;

				if (cdm_residency_new(ctx, target, &rs) ||
				    cdm_residency_set_range(rs, (uintptr_t)buf,
							    (uintptr_t)buf + len) ||
				    cdm_residency_set_source(rs, m ? CDM_RESIDENCY_PAGEMAP :
							     CDM_RESIDENCY_MOVE_PAGES))
					die("residency");
				t0 = now();
				if (cdm_residency_update(rs) ||
				    cdm_residency_get_pages(rs, 0, &on0) || on0 != npages)
					die("residency update");
				v[r] = now() - t0;
				cdm_residency_free(rs);
			}
			res->resid[m][huge] = median(v, reps);
		}
		printf("# %s: AnonHugePages after all moves %ld kB\n", huge ? "THP" : "4 KiB",
		       anon_huge_kb());
		if (other)
			end_child();
		else
			munmap(buf, len);
	}
}

static void print_table(const char *whose, int reps, const struct results *res)
{
	const double (*t)[2] = res->t;
	int m;

	printf("\n%zu MiB %s, node 0 -> 1 -> 0, median of %d round trips (TCG: compare ratios only)\n\n",
	       len >> 20, whose, reps);
	printf("%-28s %10s %8s %14s %8s %10s %8s %14s %8s\n", "method", "4K s", "vs (a)",
	       "4K min-max", "4K TLB", "THP s", "vs (a)", "THP min-max", "THP TLB");
	for (m = 0; m < 4; m++)
		printf("%-28s %10.3f %7.2fx %6.2f-%-7.2f %8llu %10.3f %7.2fx %6.2f-%-7.2f %8llu\n",
		       names[m], t[m][0], t[0][0] / t[m][0], res->lo[m][0], res->hi[m][0],
		       res->tlb[m][0] / reps, t[m][1], t[0][1] / t[m][1], res->lo[m][1],
		       res->hi[m][1], res->tlb[m][1] / reps);
	printf("(TLB: TLB shootdown interrupts per round trip, all CPUs)\n");
	printf("direct compactions during the THP round trips (compact_stall, all %d):", reps);
	for (m = 0; m < 4; m++)
		printf(" (%c%s) %llu", "abcc"[m], m == 3 ? " 2 threads" : "", res->stalls[m][1]);
	printf("\n");
	printf("%-28s %10.3f %8s %10.3f   (one update, %zu MiB)\n", "residency via move_pages",
	       res->resid[0][0], "", res->resid[0][1], len >> 20);
	printf("%-28s %10.3f %8s %10.3f   (one update, %zu MiB)\n", "residency via pagemap",
	       res->resid[1][0], "", res->resid[1][1], len >> 20);
	printf("libcdm 2 threads vs (a), 4 KiB pages:    %.2fx median, %.2fx min (target >= 1.5x)\n",
	       t[0][0] / t[3][0], res->lo[0][0] / res->lo[3][0]);
	printf("libcdm 2 threads vs 1 thread, THP:       %.2fx median, %.2fx min (target >= 1.0x)\n",
	       t[2][1] / t[3][1], res->lo[2][1] / res->lo[3][1]);
}

int main(int argc, char **argv)
{
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	struct results self, child;
	double copy, best;

	len = (argc > 1 ? strtoul(argv[1], NULL, 0) : 512) << 20;
	ps = sysconf(_SC_PAGESIZE);
	npages = len / ps;
	if (!len || reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "usage: migrate-bench [MIB [REPS 1-%d]]\n", MAX_REPS);
		return 2;
	}
	pages = malloc(npages * sizeof(*pages));
	nodes = malloc(npages * sizeof(*nodes));
	status = malloc(npages * sizeof(*status));
	if (cdm_new(&ctx) || !pages || !nodes || !status)
		die("setup");

	warm_up();
	measure(0, reps, &self, &copy);
	measure(1, reps, &child, NULL);
	print_table("of this process", reps, &self);
	print_table("of a child (as cdmctl and cdmd move memory)", reps, &child);
	printf("\n%-28s %10.3f   (one way, %zu MiB)\n", "memcpy node 0 -> 1", copy, len >> 20);
	best = self.t[2][1] < self.t[3][1] ? self.t[2][1] : self.t[3][1];
	printf("THP libcdm best one-way vs memcpy limit: %.2fx (target >= 0.7x)\n",
	       copy / (best / 2));
	cdm_unref(ctx);
	return 0;
}
