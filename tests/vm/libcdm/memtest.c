// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memtest: libcdm placement, migration and residency on real pages in a
 * guest with a CPU-less node 1 (numa2). Prints TAP. Every check reads the
 * page locations back from the kernel with a raw move_pages(2) query (not
 * through libcdm) and checks the content word by word against a pattern.
 *
 *   memtest basic      placement policies (weighted interleave with weights
 *                      3:1, put back after), migration of 4 KiB and THP
 *                      memory (own and another process's), residency, a
 *                      process killed mid-migration, a non-root caller
 *   memtest full MIB   node 1 is smaller than MIB: the migration reports
 *                      the pages that could not move, data stays intact
 *   memtest hold MIB   allocate MIB on node 0, print "ADDR LEN", wait for
 *                      SIGUSR1, then check content and print each page's
 *                      node count as TAP (for cdmctl tests in shell)
 */
#include <errno.h>
#include <inttypes.h>
#include <numaif.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libcdm.h>

#include "../../lib/tap.h"

#define MIB (1UL << 20)
#define HUGE (2UL << 20)

static struct cdm_ctx *ctx;
static long ps;
/* a failed result says what libcdm said last */
static void last_error(void)
{
	if (ctx && *cdm_get_last_error(ctx))
		printf("# last libcdm error: %s\n", cdm_get_last_error(ctx));
}

static uint64_t pattern(uint64_t seed, uint64_t i)
{
	uint64_t z = seed * 0x9e3779b97f4a7c15ULL + i;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fill(void *buf, size_t len, uint64_t seed)
{
	uint64_t *w = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = pattern(seed, i);
}

static size_t mismatches(const void *buf, size_t len, uint64_t seed)
{
	const uint64_t *w = buf;
	size_t i, bad = 0;

	for (i = 0; i < len / 8; i++)
		bad += w[i] != pattern(seed, i);
	return bad;
}

/* Pages of [buf, buf+len) of @pid on @node, by a raw move_pages query. */
static long pages_on(pid_t pid, const void *buf, size_t len, int node)
{
	size_t n = len / ps, i;
	void **pages = malloc(n * sizeof(*pages));
	int *status = malloc(n * sizeof(*status));
	long count = 0;

	for (i = 0; i < n; i++)
		pages[i] = (char *)buf + i * ps;
	if (move_pages(pid, n, pages, NULL, status, 0))
		count = -errno;
	for (i = 0; count >= 0 && i < n; i++)
		count += status[i] == node;
	free(pages);
	free(status);
	return count;
}

/* AnonHugePages (kB) of the VMA of this process containing @addr */
static long anon_huge_kb(const void *addr)
{
	char line[512];
	uint64_t a, b, x = (uintptr_t)addr;
	long kb = -1;
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	while (f && fgets(line, sizeof(line), f)) {
		/* VMA headers start with lowercase hex, fields with a capital */
		if (((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f')) &&
		    sscanf(line, "%" SCNx64 "-%" SCNx64 " ", &a, &b) == 2) {
			in = x >= a && x < b;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	if (f)
		fclose(f);
	return kb;
}

/* mmap @len anonymous bytes aligned to 2 MiB, THP on or off */
static void *map_aligned(size_t len, int huge)
{
	char *p = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *q;

	if (p == MAP_FAILED)
		return NULL;
	q = (char *)(((uintptr_t)p + HUGE - 1) & ~(HUGE - 1));
	if (q > p)
		munmap(p, q - p);
	munmap(q + len, p + len + HUGE - (q + len));
	madvise(q, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	return q;
}

static int migrate(pid_t pid, void *buf, size_t len, int to, unsigned int threads,
		   struct cdm_migration **out)
{
	struct cdm_migration *mig;
	int rc;

	rc = cdm_migration_new(ctx, pid, to, &mig);
	if (rc)
		return rc;
	if (buf)
		cdm_migration_set_range(mig, (uintptr_t)buf, (uintptr_t)buf + len);
	cdm_migration_set_threads(mig, threads);
	rc = cdm_migration_run(mig);
	if (out)
		*out = mig;
	else
		cdm_migration_free(mig);
	return rc;
}

/* pages of the range on @node by libcdm residency from @source */
static long resident(pid_t pid, const void *buf, size_t len, int node,
		     enum cdm_residency_source source)
{
	struct cdm_residency *res;
	unsigned long long pages;
	long n = -1;

	if (cdm_residency_new(ctx, pid, &res))
		return -1;
	if (!cdm_residency_set_range(res, (uintptr_t)buf, (uintptr_t)buf + len) &&
	    !cdm_residency_set_source(res, source) && !cdm_residency_update(res) &&
	    cdm_residency_get_source_used(res) == source &&
	    !cdm_residency_get_pages(res, node, &pages))
		n = pages;
	cdm_residency_free(res);
	return n;
}

static void test_placement(void)
{
	size_t len = 64 * MIB, n = len / ps;
	unsigned long long on0 = ~0ULL, on1 = ~0ULL;
	struct cdm_residency *res;
	struct cdm_node *n0, *n1;
	struct cdm_nodeset set;
	int w0, w1;
	void *p;
	long a, b;

	ok(cdm_alloc_on_node(ctx, len, 1, CDM_ALLOC_POPULATE, &p) == 0,
	   "alloc 64 MiB on node 1 (populated)");
	ok(pages_on(0, p, len, 1) == (long)n, "alloc on node 1: all %zu pages on node 1", n);
	fill(p, len, 1);
	ok(mismatches(p, len, 1) == 0, "alloc on node 1: content intact");
	ok(cdm_residency_new(ctx, 0, &res) == 0 &&
	   cdm_residency_set_range(res, (uintptr_t)p, (uintptr_t)p + len) == 0 &&
	   cdm_residency_update(res) == 0, "residency of the range");
	cdm_residency_get_pages(res, 1, &on1);
	cdm_residency_get_pages(res, 0, &on0);
	ok(on1 == n && on0 == 0 && cdm_residency_get_max_node(res) == 1,
	   "residency agrees: %llu pages on node 1, %llu on node 0", on1, on0);
	cdm_residency_free(res);
	cdm_free(ctx, p, len);

	/* interleave over "all" (0-1): alternating pages, 4 KiB pages only */
	ok(cdm_nodeset_parse(ctx, "all", &set) == 0 && cdm_nodeset_weight(&set) == 2,
	   "node list 'all' is nodes 0 and 1");
	ok(cdm_alloc(ctx, 16 * MIB, CDM_POLICY_INTERLEAVE, &set, 0, &p) == 0,
	   "alloc 16 MiB interleaved over 0-1");
	madvise(p, 16 * MIB, MADV_NOHUGEPAGE);
	fill(p, 16 * MIB, 2);
	a = pages_on(0, p, 16 * MIB, 0);
	b = pages_on(0, p, 16 * MIB, 1);
	ok(a == (long)(16 * MIB / ps / 2) && b == a, "interleave: %ld pages on node 0, %ld on node 1", a, b);
	ok(mismatches(p, 16 * MIB, 2) == 0, "interleave: content intact");
	cdm_free(ctx, p, 16 * MIB);

	/* weighted interleave 3:1 over 0-1: three pages on node 0 for each on
	 * node 1 (pages are placed by their index in the range, so exactly) */
	n0 = cdm_node_get_by_id(ctx, 0);
	n1 = cdm_node_get_by_id(ctx, 1);
	w0 = n0 ? cdm_node_get_interleave_weight(n0) : -ENODEV;
	w1 = n1 ? cdm_node_get_interleave_weight(n1) : -ENODEV;
	ok(w0 >= 1 && w1 >= 1, "weighted-interleave weights of nodes 0 and 1: %d, %d", w0, w1);
	ok(w0 >= 1 && w1 >= 1 && cdm_node_set_interleave_weight(n0, 3) == 0 &&
	   cdm_node_set_interleave_weight(n1, 1) == 0 && cdm_node_get_interleave_weight(n0) == 3,
	   "weights of nodes 0 and 1 set to 3 and 1");
	ok(cdm_alloc(ctx, 16 * MIB, CDM_POLICY_WEIGHTED_INTERLEAVE, &set, 0, &p) == 0,
	   "alloc 16 MiB weighted-interleaved over 0-1");
	madvise(p, 16 * MIB, MADV_NOHUGEPAGE);
	fill(p, 16 * MIB, 4);
	a = pages_on(0, p, 16 * MIB, 0);
	b = pages_on(0, p, 16 * MIB, 1);
	ok(a == (long)(16 * MIB / ps / 4 * 3) && b == (long)(16 * MIB / ps / 4),
	   "weighted interleave 3:1: %ld pages on node 0, %ld on node 1", a, b);
	ok(mismatches(p, 16 * MIB, 4) == 0, "weighted interleave: content intact");
	cdm_free(ctx, p, 16 * MIB);
	if (w0 >= 1 && w1 >= 1)
		ok(cdm_node_set_interleave_weight(n0, w0) == 0 &&
		   cdm_node_set_interleave_weight(n1, w1) == 0, "weights put back to %d, %d", w0, w1);

	cdm_nodeset_parse(ctx, "1", &set);
	ok(cdm_alloc(ctx, 16 * MIB, CDM_POLICY_PREFERRED, &set, CDM_ALLOC_POPULATE, &p) == 0 &&
	   pages_on(0, p, 16 * MIB, 1) == (long)(16 * MIB / ps), "preferred 1: all pages on node 1");
	cdm_free(ctx, p, 16 * MIB);
	ok(cdm_alloc(ctx, 16 * MIB, CDM_POLICY_PREFERRED_MANY, &set, CDM_ALLOC_POPULATE, &p) == 0 &&
	   pages_on(0, p, 16 * MIB, 1) == (long)(16 * MIB / ps), "preferred-many 1: all pages on node 1");
	cdm_free(ctx, p, 16 * MIB);

	/* bind an existing, populated range and move what is there */
	p = map_aligned(32 * MIB, 0);
	fill(p, 32 * MIB, 3);
	ok(pages_on(0, p, 32 * MIB, 0) == (long)(32 * MIB / ps), "default policy: 32 MiB on node 0");
	ok(cdm_bind_range(ctx, p, 32 * MIB, CDM_POLICY_BIND, &set, CDM_BIND_MOVE | CDM_BIND_STRICT) == 0,
	   "bind existing range to node 1 with move+strict");
	ok(pages_on(0, p, 32 * MIB, 1) == (long)(32 * MIB / ps), "bound range: all pages moved to node 1");
	ok(mismatches(p, 32 * MIB, 3) == 0, "bound range: content intact");
	munmap(p, 32 * MIB);
}

/* huge_moved, or -1 when libcdm says the kernel could not tell */
static long long huge_moved(struct cdm_migration *mig)
{
	unsigned long long folios;

	return cdm_migration_get_huge_moved(mig, &folios) ? -1 : (long long)folios;
}

/*
 * A range that starts 4 KiB into a THP region: the first, partial 2 MiB
 * block goes page by page (its folio moves whole with its first page, the
 * others are then already there), the 31 whole blocks go by their heads.
 */
static void test_thp_unaligned(void)
{
	size_t len = 64 * MIB, n = len / ps;
	struct cdm_migration *mig;
	char *p = map_aligned(len, 1);
	int rc;

	fill(p, len, 15);
	ok(anon_huge_kb(p) > 0, "THP, unaligned range: backed by huge pages");
	rc = cdm_migration_new(ctx, 0, 1, &mig);
	if (!rc)
		rc = cdm_migration_set_range(mig, (uintptr_t)p + ps, (uintptr_t)p + len);
	if (!rc)
		rc = cdm_migration_run(mig);
	ok(rc == 0, "THP, range from +4 KiB: migration to node 1 succeeds");
	ok(cdm_migration_get_pages(mig) == n - 1 && cdm_migration_get_moved(mig) == n - 1,
	   "THP, range from +4 KiB: %llu of %zu pages counted moved (already %llu, busy %llu)",
	   cdm_migration_get_moved(mig), n - 1, cdm_migration_get_already(mig),
	   cdm_migration_get_busy(mig));
	ok(huge_moved(mig) == (long long)(len / HUGE - 1),
	   "THP, range from +4 KiB: %lld whole blocks moved by their head (%s)",
	   huge_moved(mig), cdm_get_last_error(ctx));
	ok(pages_on(0, p + ps, len - ps, 1) == (long)(n - 1), "THP, range from +4 KiB: all on node 1");
	ok(mismatches(p, len, 15) == 0, "THP, range from +4 KiB: content intact");
	cdm_migration_free(mig);
	munmap(p, len);
}

static void test_migrate_self(int huge)
{
	size_t len = 64 * MIB, n = len / ps;
	const char *kind = huge ? "THP" : "4 KiB";
	struct cdm_migration *mig;
	long thp_before, thp_after;
	void *p = map_aligned(len, huge);
	unsigned int threads;
	int rc, to;

	fill(p, len, 10 + huge);
	ok(pages_on(0, p, len, 0) == (long)n, "%s: 64 MiB on node 0", kind);
	thp_before = anon_huge_kb(p);
	if (huge)
		ok(thp_before > 0, "THP: the range is backed by huge pages (%ld kB)", thp_before);
	for (threads = 1, to = 1; threads <= 2; threads++, to = !to) {
		rc = migrate(0, p, len, to, threads, &mig);
		ok(rc == 0, "%s: migrate to node %d with %u thread(s)", kind, to, threads);
		ok(cdm_migration_get_moved(mig) == n && cdm_migration_get_pages(mig) == n,
		   "%s: summary says %llu of %zu pages moved (pages %llu, already %llu, "
		   "not present %llu, busy %llu, failed %llu)", kind, cdm_migration_get_moved(mig), n,
		   cdm_migration_get_pages(mig), cdm_migration_get_already(mig),
		   cdm_migration_get_not_present(mig), cdm_migration_get_busy(mig),
		   cdm_migration_get_failed(mig));
		ok(pages_on(0, p, len, to) == (long)n, "%s: kernel reports all pages on node %d", kind, to);
		ok(resident(0, p, len, to, CDM_RESIDENCY_PAGEMAP) == (long)n &&
		   resident(0, p, len, to, CDM_RESIDENCY_MOVE_PAGES) == (long)n,
		   "%s: residency from pagemap and from move_pages: all on node %d", kind, to);
		ok(mismatches(p, len, 10 + huge) == 0, "%s: content intact after the move to node %d",
		   kind, to);
		if (huge) {
			ok(huge_moved(mig) == (long long)(len / HUGE),
			   "THP: %lld of %lu folios moved whole (%s)",
			   huge_moved(mig), len / HUGE, cdm_get_last_error(ctx));
			thp_after = anon_huge_kb(p);
			ok(thp_after == thp_before, "THP: not split (AnonHugePages %ld kB -> %ld kB)",
			   thp_before, thp_after);
		} else {
			ok(huge_moved(mig) == 0, "4 KiB: no folio counted as huge");
		}
		cdm_migration_free(mig);
	}
	rc = migrate(0, p, len, 0, 2, &mig);
	ok(rc == 0 && cdm_migration_get_already(mig) == n && cdm_migration_get_moved(mig) == 0,
	   "%s: migrating to the node the pages are on is a no-op", kind);
	cdm_migration_free(mig);
	munmap(p, len);
}

/* A child holding @len bytes on node 0; returns its pid and the address. */
static pid_t spawn_holder(size_t len, uint64_t seed, void **addr, int *go)
{
	int up[2], down[2];
	pid_t pid;
	char c;

	if (pipe(up) || pipe(down))
		return -1;
	pid = fork();
	if (pid == 0) {
		void *p = map_aligned(len, 0);
		int bad;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fill(p, len, seed);
		if (write(up[1], &p, sizeof(p)) != sizeof(p))
			_exit(3);
		if (read(down[0], &c, 1) != 1)
			_exit(4);
		bad = mismatches(p, len, seed) != 0;
		/* exit code: 0 data intact, 1 corrupted, +2 if not on node c */
		_exit(bad | (pages_on(0, p, len, c) != (long)(len / ps)) << 1);
	}
	close(up[1]);
	close(down[0]);
	if (read(up[0], addr, sizeof(*addr)) != sizeof(*addr))
		return -1;
	close(up[0]);
	*go = down[1];
	return pid;
}

static int release_holder(pid_t pid, int go, char node)
{
	int status;

	if (write(go, &node, 1) != 1)
		return -1;
	close(go);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void test_other_process(void)
{
	size_t len = 32 * MIB, n = len / ps;
	struct cdm_residency *res;
	struct cdm_migration *mig;
	unsigned long long on1 = 0;
	void *p;
	int go, rc;
	pid_t pid = spawn_holder(len, 20, &p, &go);

	ok(pid > 0, "child %d holds 32 MiB on node 0", pid);
	rc = migrate(pid, p, len, 1, 2, &mig);
	ok(rc == 0 && cdm_migration_get_moved(mig) == n,
	   "migrate the child's range to node 1 (%llu pages moved)", cdm_migration_get_moved(mig));
	cdm_migration_free(mig);
	ok(pages_on(pid, p, len, 1) == (long)n, "kernel reports the child's pages on node 1");
	rc = cdm_residency_new(ctx, pid, &res);
	if (!rc)
		rc = cdm_residency_update(res);
	if (!rc)
		rc = cdm_residency_get_pages(res, 1, &on1);
	ok(rc == 0 && on1 >= n, "whole-process residency of the child: %llu pages on node 1",
	   on1);
	cdm_residency_free(res);
	/* the whole address space to node 1: libc and pages still shared
	 * with us since fork are reported as shared, not as failures */
	rc = migrate(pid, NULL, 0, 1, 2, &mig);
	ok(rc == 0 && cdm_migration_get_shared(mig) > 0 && cdm_migration_get_failed(mig) == 0 &&
	   cdm_migration_get_busy(mig) == 0,
	   "whole-process migration of the child to node 1: ok, %llu shared pages left alone "
	   "(%llu moved, %llu already)", cdm_migration_get_shared(mig),
	   cdm_migration_get_moved(mig), cdm_migration_get_already(mig));
	cdm_migration_free(mig);
	/* the whole address space back to node 0 */
	rc = migrate(pid, NULL, 0, 0, 2, &mig);
	ok(rc == 0 && cdm_migration_get_moved(mig) >= n,
	   "whole-process migration of the child to node 0 (%llu moved, %llu already)",
	   cdm_migration_get_moved(mig), cdm_migration_get_already(mig));
	cdm_migration_free(mig);
	ok(release_holder(pid, go, 0) == 0, "child: content intact and all pages on node 0");
}

static pid_t victim;

static int kill_on_first_chunk(struct cdm_migration *mig, unsigned long long done,
			       unsigned long long total, void *data)
{
	siginfo_t si;

	if (!victim)
		return 0;
	*(unsigned long long *)data = done;
	kill(victim, SIGKILL);
	/* wait until it is a zombie (mm gone) but do not reap it */
	waitid(P_PID, victim, &si, WEXITED | WNOWAIT);
	victim = 0;
	return 0;
}

static void test_exit_mid_migration(void)
{
	size_t len = 128 * MIB, n = len / ps;
	unsigned long long done_at_kill = 0;
	struct cdm_migration *mig;
	char want[64];
	void *p;
	int go, rc;
	pid_t pid = spawn_holder(len, 30, &p, &go);

	ok(pid > 0, "child %d holds 128 MiB on node 0", pid);
	ok(cdm_migration_new(ctx, pid, 1, &mig) == 0, "migration of the child set up");
	cdm_migration_set_range(mig, (uintptr_t)p, (uintptr_t)p + len);
	cdm_migration_set_batch(mig, 1024);
	victim = pid;
	cdm_migration_set_progress(mig, kill_on_first_chunk, &done_at_kill);
	rc = cdm_migration_run(mig);
	snprintf(want, sizeof(want), "pid %d: no such process", pid);
	ok(rc == -ESRCH, "child killed after the first chunk: -ESRCH (got %d)", rc);
	ok(!strcmp(cdm_get_last_error(ctx), want), "message '%s'", cdm_get_last_error(ctx));
	/* one thread: exactly the first chunk (<= 1024 pages) moved */
	ok(done_at_kill > 0 && done_at_kill <= 1024 &&
	   cdm_migration_get_moved(mig) == done_at_kill,
	   "partial counts stay readable: the first chunk's %llu pages moved, of %zu",
	   cdm_migration_get_moved(mig), n);
	cdm_migration_free(mig);
	waitpid(pid, NULL, 0);
	close(go);
	/* and once reaped, the pid is gone for good */
	rc = migrate(pid, NULL, 0, 1, 1, NULL);
	ok(rc == -ESRCH, "reaped child: -ESRCH (got %d)", rc);
}

static void test_not_root(void)
{
	size_t len = 8 * MIB;
	void *p;
	int go, status;
	pid_t pid = spawn_holder(len, 40, &p, &go), caller;

	caller = fork();
	if (caller == 0) {
		struct cdm_migration *mig;
		struct cdm_residency *res;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		if (cdm_migration_new(ctx, pid, 1, &mig))
			_exit(11);
		cdm_migration_set_range(mig, (uintptr_t)p, (uintptr_t)p + len);
		if (cdm_migration_run(mig) != -EPERM)
			_exit(12);
		if (!strstr(cdm_get_last_error(ctx), "not permitted"))
			_exit(13);
		if (cdm_residency_new(ctx, pid, &res) || cdm_residency_update(res) != -EPERM)
			_exit(14);
		_exit(0);
	}
	ok(waitpid(caller, &status, 0) == caller && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "uid 65534 cannot migrate or inspect root's process: -EPERM (status %d)",
	   WEXITSTATUS(status));
	ok(pages_on(pid, p, len, 0) == (long)(len / ps), "root's process: pages untouched on node 0");
	ok(release_holder(pid, go, 0) == 0, "root's process: content intact");
}

static void test_full_node(size_t mib)
{
	size_t len = mib * MIB, n = len / ps;
	unsigned long long moved, notmoved;
	struct cdm_migration *mig;
	unsigned int enomem = 0;
	uint64_t addr;
	long on1;
	void *p = map_aligned(len, 0);
	int rc, err, i, inside = 1;

	fill(p, len, 50);
	ok(pages_on(0, p, len, 0) == (long)n, "%zu MiB on node 0", mib);
	rc = migrate(0, p, len, 1, 2, &mig);
	moved = cdm_migration_get_moved(mig);
	notmoved = cdm_migration_get_busy(mig) + cdm_migration_get_failed(mig) +
		   cdm_migration_get_not_attempted(mig);
	ok(rc == -ENOSPC, "migration to the too-small node 1: -ENOSPC (got %d: %s)", rc,
	   cdm_get_last_error(ctx));
	ok(strstr(cdm_get_last_error(ctx), "node 1: full") != NULL,
	   "message names the full node: %s", cdm_get_last_error(ctx));
	ok(moved > 0 && notmoved > 0, "some pages moved (%llu), some did not (%llu)", moved, notmoved);
	ok(moved + notmoved <= n,
	   "it stopped at the first chunk that did not fit: %llu of %zu pages looked at",
	   moved + notmoved, n);
	on1 = pages_on(0, p, len, 1);
	ok(on1 == (long)moved, "kernel: %ld pages on node 1 = the %llu reported moved", on1, moved);
	ok((unsigned long long)cdm_migration_get_nr_failed_pages(mig) == notmoved,
	   "every page that did not move is listed (%d)", cdm_migration_get_nr_failed_pages(mig));
	for (i = 0; i < cdm_migration_get_nr_failed_pages(mig); i++) {
		cdm_migration_get_failed_page(mig, i, &addr, &err);
		enomem += err == ENOMEM;
		inside &= addr >= (uintptr_t)p && addr < (uintptr_t)p + len;
	}
	ok(enomem > 0, "reason ENOMEM given for %u of them", enomem);
	ok(inside, "listed addresses lie in the range");
	ok(resident(0, p, len, 1, CDM_RESIDENCY_PAGEMAP) == on1 &&
	   resident(0, p, len, 0, CDM_RESIDENCY_PAGEMAP) == (long)n - on1,
	   "residency from pagemap agrees: %ld on node 1, %ld on node 0",
	   resident(0, p, len, 1, CDM_RESIDENCY_PAGEMAP), resident(0, p, len, 0, CDM_RESIDENCY_PAGEMAP));
	ok(mismatches(p, len, 50) == 0, "content intact after the partial migration");
	cdm_migration_free(mig);
	rc = migrate(0, p, len, 0, 1, NULL);
	ok(rc == 0 && pages_on(0, p, len, 0) == (long)n, "everything migrates back to node 0");
	ok(mismatches(p, len, 50) == 0, "content intact after moving back");
	munmap(p, len);
}

static int hold(size_t mib)
{
	size_t len = mib * MIB;
	void *p = map_aligned(len, 0);
	long on[2];
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	/* blocked and taken with sigwait(3): no handler, so no signal frame
	 * on a stack a test may have moved onto a CXL node */
	sigprocmask(SIG_BLOCK, &set, NULL);
	fill(p, len, 60);
	printf("0x%lx-0x%lx\n", (unsigned long)(uintptr_t)p, (unsigned long)(uintptr_t)p + len);
	fflush(stdout);
	sigwait(&set, &sig);
	on[0] = pages_on(0, p, len, 0);
	on[1] = pages_on(0, p, len, 1);
	printf("node0=%ld node1=%ld bad=%zu\n", on[0], on[1], mismatches(p, len, 60));
	return 0;
}

int main(int argc, char **argv)
{
	ps = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold(strtoul(argv[2], NULL, 0));
	/*
	 * NUMA balancing would pull pages that this process reads on node 1
	 * back to node 0 between two steps of a test (the summaries then say,
	 * correctly, "already there"); these tests are about libcdm's moves.
	 */
	if (access("/proc/sys/kernel/numa_balancing", W_OK) == 0) {
		FILE *f = fopen("/proc/sys/kernel/numa_balancing", "w");

		if (f) {
			fputs("0\n", f);
			fclose(f);
			printf("# kernel.numa_balancing set to 0 for this test\n");
		}
	}
	if (cdm_new(&ctx)) {
		printf("Bail out! cdm_new failed\n");
		return 1;
	}
	tap_on_failure = last_error;
	if (argc == 2 && !strcmp(argv[1], "basic")) {
		test_placement();
		test_migrate_self(0);
		test_migrate_self(1);
		test_thp_unaligned();
		test_other_process();
		test_exit_mid_migration();
		test_not_root();
	} else if (argc == 3 && !strcmp(argv[1], "full")) {
		test_full_node(strtoul(argv[2], NULL, 0));
	} else {
		fprintf(stderr, "usage: memtest basic | full MIB | hold MIB\n");
		return 2;
	}
	cdm_unref(ctx);
	return done_testing();
}
