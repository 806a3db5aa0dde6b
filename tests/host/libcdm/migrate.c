// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Migration against the scripted kernel of fakekernel.c, which plays
 * move_pages(2) through libcdm's private seam as the kernel's
 * do_pages_move() does (batches, a failed batch stopping the call, a full
 * target failing it with ENOMEM). Every test checks the model's pages
 * against the counts and the failed-page list.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "fakekernel.h"
#include "fakesys.h"
#include "private.h"

/* Migrate the first @pages pages of the mapping in chunks of @batch. */
static int run(pid_t pid, unsigned int pages, unsigned int batch, struct cdm_migration **mig)
{
	assert_int_equal(cdm_migration_new(ctx, pid, TARGET, mig), 0);
	assert_int_equal(cdm_migration_set_range(*mig, (uintptr_t)base,
						 (uintptr_t)addr_of(pages)), 0);
	assert_int_equal(cdm_migration_set_batch(*mig, batch), 0);
	return cdm_migration_run(*mig);
}

/* The run's counts, the kernel's calls and the model's pages in one line */
static const char *summary(struct cdm_migration *mig)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "pages %llu: moved %llu, already %llu, busy %llu, failed %llu, "
		 "not present %llu, shared %llu, not attempted %llu; %u listed; %u move calls; "
		 "%d on target",
		 cdm_migration_get_pages(mig), cdm_migration_get_moved(mig),
		 cdm_migration_get_already(mig), cdm_migration_get_busy(mig),
		 cdm_migration_get_failed(mig), cdm_migration_get_not_present(mig),
		 cdm_migration_get_shared(mig), cdm_migration_get_not_attempted(mig),
		 cdm_migration_get_nr_failed_pages(mig), kernel.move_calls, pages_on(TARGET));
	return buf;
}

/* Every listed page with its errno: exactly the pages @want selects. */
static void expect_failed_pages(struct cdm_migration *mig, unsigned int pages,
				bool (*want)(int page, int *err))
{
	unsigned int i, nr = cdm_migration_get_nr_failed_pages(mig), expected = 0;
	uint64_t addr;
	int err, want_err, p;

	for (i = 0; i < nr; i++) {
		assert_int_equal(cdm_migration_get_failed_page(mig, i, &addr, &err), 0);
		p = page_index((void *)(uintptr_t)addr);
		if (p < 0 || !want(p, &want_err))
			fail_msg("page %d listed (errno %d) but should not be", p, err);
		if (err != want_err)
			fail_msg("page %d listed with errno %d, want %d", p, err, want_err);
	}
	for (p = 0; p < (int)pages; p++)
		expected += want(p, &want_err);
	assert_int_equal(nr, expected);
}

/* predicates for expect_failed_pages() */
static bool pinned_busy(int p, int *err)
{
	*err = EBUSY;
	return kernel.page[p].pinned;
}

static bool pinned_folio_busy(int p, int *err)
{
	*err = EBUSY;
	return folio_of(p)->pinned;
}

static bool beyond_room(int p, int *err)
{
	*err = ENOMEM;
	return p >= 700;
}

/* Sanity of the fake: a plain run moves what is there and says so. */
static void plain_run(void **state)
{
	struct cdm_migration *mig;
	int i;

	for (i = 0; i < NR_PAGES; i += 100)
		kernel.page[i].node = -ENOENT;
	for (i = 1; i < NR_PAGES; i += 300)
		kernel.page[i].node = TARGET;
	assert_int_equal(run(0, NR_PAGES, 512, &mig), 0);
	assert_string_equal(cdm_get_last_error(ctx), "");
	assert_int_equal(cdm_migration_get_pages(mig), NR_PAGES);
	assert_int_equal(cdm_migration_get_not_present(mig), 21);
	assert_int_equal(cdm_migration_get_already(mig), 7);
	assert_int_equal(cdm_migration_get_moved(mig), NR_PAGES - 28);
	assert_int_equal(pages_on(TARGET), NR_PAGES - 21);
	assert_int_equal(pages_on(HOME), 0);
	assert_int_equal(cdm_migration_get_nr_failed_pages(mig), 0);
	/* one move call per chunk, nothing retried */
	assert_int_equal(kernel.move_calls, 4);
	assert_int_equal(kernel.bad_nodes, 0);
	cdm_migration_free(mig);
}

/*
 * A 2 MiB folio passed page by page: the head takes the folio, the next
 * page answers -EBUSY (its folio is isolated) and moved with it all the
 * same. A pinned small page after the folio fails its batch, which the
 * kernel tried whole: that page alone is busy.
 */
static void folio_tail_busy(void **state)
{
	struct cdm_migration *mig;

	make_folio(0);
	kernel.page[600].pinned = true;
	assert_int_equal(run(0, 1024, 1024, &mig), -EAGAIN);
	assert_int_equal(cdm_migration_get_moved(mig), 1023);
	assert_int_equal(cdm_migration_get_busy(mig), 1);
	assert_int_equal(cdm_migration_get_failed(mig), 0);
	assert_int_equal(pages_on(TARGET), 1023);
	assert_int_equal(kernel.page[600].node, HOME);
	assert_int_equal(cdm_migration_get_nr_failed_pages(mig), 1);
	expect_failed_pages(mig, 1024, pinned_busy);
	cdm_migration_free(mig);
}

/*
 * One pinned page early in a chunk, and pages shared with another process
 * every 64 pages: each shared page makes the kernel migrate the batch
 * before it, the pinned page fails it, and the kernel stops there. The
 * pages after the stop were never tried: they are passed again, not
 * counted busy.
 */
static void pinned_page_stops_the_call(void **state)
{
	struct cdm_migration *mig;
	int i;

	kernel.page[3].pinned = true;
	for (i = 64; i < 512; i += 64)
		kernel.page[i].shared = true;
	assert_int_equal(run(0, 512, 512, &mig), -EAGAIN);
	assert_string_equal(summary(mig), "pages 512: moved 504, already 0, busy 1, failed 0, "
			    "not present 0, shared 7, not attempted 0; 1 listed; 3 move calls; "
			    "504 on target");
	expect_failed_pages(mig, 512, pinned_busy);
	cdm_migration_free(mig);
}

static int first_untried;

/* reached and pinned: busy; from the first page never reached on: ECANCELED */
static bool busy_or_untried(int p, int *err)
{
	*err = p < first_untried ? EBUSY : ECANCELED;
	return p < first_untried ? kernel.page[p].pinned : true;
}

/*
 * A pinned page right before a shared one, every 4 pages: each pass gets
 * 4 pages further. The passes are bounded (8 move calls); what the kernel
 * never reached is reported as not attempted and listed with ECANCELED,
 * not counted busy. Shared pages it never reached are not attempted too:
 * the kernel did not get to say they are shared.
 */
static void passes_are_bounded(void **state)
{
	struct cdm_migration *mig;
	char msg[128];
	int i;

	for (i = 0; i < 512; i += 4) {
		kernel.page[i + 2].pinned = true;
		kernel.page[i + 3].shared = true;
	}
	assert_int_equal(run(0, 512, 512, &mig), -EAGAIN);
	assert_string_equal(summary(mig), "pages 512: moved 16, already 0, busy 8, failed 0, "
			    "not present 0, shared 8, not attempted 480; 488 listed; 8 move calls; "
			    "16 on target");
	/* the model agrees: every page before the first untried one was reached */
	for (first_untried = 0; first_untried < 512; first_untried++) {
		struct fake_page *p = &kernel.page[first_untried];

		if (p->node != TARGET && !p->pinned && !p->shared)
			break;
	}
	assert_int_equal(first_untried, 32);
	for (i = first_untried; i < 512; i++)
		assert_int_equal(kernel.page[i].node, HOME);
	snprintf(msg, sizeof(msg), "pid %d: 488 of 504 pages could not move to node 1", getpid());
	assert_string_equal(cdm_get_last_error(ctx), msg);
	expect_failed_pages(mig, 512, busy_or_untried);
	cdm_migration_free(mig);
}

/*
 * The target fills up after 700 pages, in the second of four chunks. The
 * run stops there with -ENOSPC instead of asking the full node twice for
 * every remaining chunk; what happened so far stays readable.
 */
static void full_node_stops(void **state)
{
	struct cdm_migration *mig;
	int rc;

	kernel.room = 700;
	rc = run(0, NR_PAGES, 512, &mig);
	if (rc != -ENOSPC || strcmp(cdm_get_last_error(ctx), "node 1: full"))
		fail_msg("%d '%s' (%s)", rc, cdm_get_last_error(ctx), summary(mig));
	assert_string_equal(summary(mig), "pages 1024: moved 700, already 0, busy 0, failed 324, "
			    "not present 0, shared 0, not attempted 0; 324 listed; 3 move calls; "
			    "700 on target");
	/* (3 move calls: chunk 1, chunk 2 moving 188 before ENOMEM, chunk 2
	 * again with nothing moved; not chunks 3 and 4 twice each) */
	expect_failed_pages(mig, 1024, beyond_room);
	cdm_migration_free(mig);
}

static void capture_log(struct cdm_ctx *c, int priority, const char *file, int line,
			const char *fn, const char *format, va_list args)
{
	char *where = cdm_get_userdata(c);

	snprintf(where, 256, "%s:%s", strrchr(file, '/') ? strrchr(file, '/') + 1 : file, fn);
}

/* What cdm_migration_run() returns for each kind of ending, with its message */
static void return_values(void **state)
{
	static const struct {
		const char *what;
		int shared_every, pinned, room, fail_err;
		int rc;
		const char *msg;	/* %d: this pid */
	} cases[] = {
		{ "all moved", 0, -1, -1, 0, 0, "" },
		{ "shared pages left", 50, -1, -1, 0, 0, "" },
		{ "a busy page", 0, 7, -1, 0, -EAGAIN,
		  "pid %d: 1 of 512 pages could not move to node 1" },
		{ "node full", 0, -1, 0, 0, -ENOSPC, "node 1: full" },
		{ "node outside the cpuset", 0, -1, -1, EACCES, -EACCES,
		  "pid %d: node 1 is not in its cpuset's mems (no capability overrides that)" },
		{ "not permitted", 0, -1, -1, EPERM, -EPERM,
		  "pid %d: moving pages not permitted " CDM_PTRACE_NEEDS },
		{ "process gone", 0, -1, -1, ESRCH, -ESRCH, "pid %d: no such process" },
	};
	struct cdm_migration *mig;
	char msg[256];
	unsigned int i;
	int p, rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kernel_reset();
		for (p = 0; cases[i].shared_every && p < 512; p += cases[i].shared_every)
			kernel.page[p].shared = true;
		if (cases[i].pinned >= 0)
			kernel.page[cases[i].pinned].pinned = true;
		kernel.room = cases[i].room;
		kernel.fail_call = cases[i].fail_err ? 1 : 0;
		kernel.fail_err = cases[i].fail_err;
		rc = run(0, 512, 512, &mig);
		snprintf(msg, sizeof(msg), cases[i].msg, getpid());
		if (rc != cases[i].rc || strcmp(cdm_get_last_error(ctx), msg))
			fail_msg("%s: %d '%s', want %d '%s'", cases[i].what, rc,
				 cdm_get_last_error(ctx), cases[i].rc, msg);
		/* what the kernel did is what the counts say */
		assert_int_equal(cdm_migration_get_moved(mig), pages_on(TARGET));
		cdm_migration_free(mig);
	}

}

/* An error is logged where it happens, not in the helper recording it. */
static void errors_logged_where_they_happen(void **state)
{
	struct cdm_migration *mig;
	char where[256] = "";

	cdm_set_userdata(ctx, where);
	cdm_set_log_fn(ctx, capture_log);
	cdm_set_log_priority(ctx, LOG_ERR);
	assert_int_equal(cdm_migration_new(ctx, 0, TARGET, &mig), 0);
	assert_int_equal(cdm_migration_set_threads(mig, 0), -EINVAL);
	assert_string_equal(cdm_get_last_error(ctx), "threads 0: must be 1..64");
	assert_string_equal(where, "migrate.c:cdm_migration_set_threads");
	cdm_migration_free(mig);
	cdm_set_log_priority(ctx, -1);
	cdm_set_log_fn(ctx, NULL);
	cdm_set_userdata(ctx, NULL);
}

/* Does the VMA at @addr hold transparent huge pages, as smaps says? */
static bool vma_has_thp(const void *addr)
{
	char line[512];
	unsigned long a, b, kb;
	bool in_vma = false, thp = false;
	FILE *f = fopen("/proc/self/smaps", "re");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &a, &b) == 2)
			in_vma = (uintptr_t)addr >= a && (uintptr_t)addr < b;
		else if (in_vma && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			thp = kb > 0;
	}
	if (f)
		fclose(f);
	return thp;
}

/*
 * The model's pages in a mapping of their own, @len bytes aligned to
 * @align, whose VMA smaps shows holding transparent huge pages (one is
 * faulted in), so that libcdm passes whole blocks by their head. False
 * when the host gives it none. thp_teardown() puts everything back,
 * page size included.
 */
static char *thp_map, *saved_base;
static size_t thp_map_len;

static bool map_thp(size_t len, size_t align)
{
	thp_map_len = len + align;
	thp_map = mmap(NULL, thp_map_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(thp_map != MAP_FAILED);
	saved_base = base;
	base = thp_map + (align - (uintptr_t)thp_map % align) % align;
	madvise(base, len, MADV_HUGEPAGE);
	base[0] = 1;
	return vma_has_thp(base);
}

static int thp_teardown(void **state)
{
	char pmd[32];

	if (thp_map) {
		munmap(thp_map, thp_map_len);
		base = saved_base;
	}
	thp_map = NULL;
	cdm__set_page_size(0);
	ps = sysconf(_SC_PAGESIZE);
	snprintf(pmd, sizeof(pmd), "%ld\n", FOLIO_PAGES * ps);
	fakesys_write("kernel/mm/transparent_hugepage/hpage_pmd_size", pmd);
	return 0;
}

/*
 * In a VMA with THPs, 2 MiB blocks are passed by their head. Three folios:
 * the first pinned, the second shared, the third fine. The shared head
 * cuts the first call short, so the third head is passed again, alone;
 * the pinned folio is retried once, by its head only (its tails would
 * each answer -EBUSY), and its tails share its fate, as the shared
 * folio's share its.
 */
static void thp_heads(void **state)
{
	size_t len = 3 * FOLIO_PAGES * ps;
	unsigned long long folios;
	struct cdm_migration *mig;
	int i;

	/* one chunk: libcdm cuts chunks at multiples of their size */
	if (!map_thp(len, len))
		skip();
	make_folio(0);
	make_folio(FOLIO_PAGES);
	make_folio(2 * FOLIO_PAGES);
	kernel.page[0].pinned = true;
	for (i = FOLIO_PAGES; i < 2 * FOLIO_PAGES; i++)
		kernel.page[i].shared = true;
	assert_int_equal(run(0, 3 * FOLIO_PAGES, 3 * FOLIO_PAGES, &mig), -EAGAIN);
	assert_string_equal(summary(mig), "pages 1536: moved 512, already 0, busy 512, failed 0, "
			    "not present 0, shared 512, not attempted 0; 512 listed; 3 move calls; "
			    "512 on target");
	assert_int_equal(cdm_migration_get_huge_moved(mig, &folios), 0);
	assert_int_equal(folios, 1);
	/* heads only: all three, then the third, then the pinned one */
	assert_int_equal(kernel.listed[0], 3);
	assert_int_equal(kernel.listed[1], 1);
	assert_int_equal(kernel.listed[2], 1);
	for (i = 2 * FOLIO_PAGES; i < 3 * FOLIO_PAGES; i++)
		assert_int_equal(kernel.page[i].node, TARGET);
	expect_failed_pages(mig, 3 * FOLIO_PAGES, pinned_folio_busy);
	cdm_migration_free(mig);
}

/*
 * No huge page free on the target: the kernel splits a THP on its way and
 * moves its pages one by one. Every page lands, the call returns 0, but
 * no folio moved whole: PAGEMAP_SCAN says the block is no longer mapped
 * by one huge page. Three folios, the middle one split: two moved whole,
 * asked once for the chunk.
 */
static void split_folio_is_not_huge(void **state)
{
	size_t len = 3 * FOLIO_PAGES * ps;
	unsigned long long folios = 0;
	struct cdm_migration *mig;

	if (!map_thp(len, len))
		skip();
	make_folio(0);
	make_folio(FOLIO_PAGES);
	make_folio(2 * FOLIO_PAGES);
	kernel.page[FOLIO_PAGES].split_on_move = true;
	assert_int_equal(run(0, 3 * FOLIO_PAGES, 3 * FOLIO_PAGES, &mig), 0);
	assert_string_equal(summary(mig), "pages 1536: moved 1536, already 0, busy 0, failed 0, "
			    "not present 0, shared 0, not attempted 0; 0 listed; 1 move calls; "
			    "1536 on target");
	assert_int_equal(kernel.listed[0], 3);
	assert_int_equal(cdm_migration_get_huge_moved(mig, &folios), 0);
	if (folios != 2)
		fail_msg("%llu folios counted as moved whole, want 2 (the middle one was split)",
			 folios);
	assert_int_equal(kernel.scan_calls, 1);
	cdm_migration_free(mig);
}

/* Append a line to @buf (2048 bytes): every case's failure at once */
static void __attribute__((format(printf, 2, 3))) note(char *buf, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list args;

	va_start(args, fmt);
	vsnprintf(buf + n, 2048 - n, fmt, args);
	va_end(args);
	n = strlen(buf);
	snprintf(buf + n, 2048 - n, "\n");
}

static int run_ctx(struct cdm_ctx *c, unsigned int pages, unsigned int batch,
		   struct cdm_migration **mig)
{
	assert_int_equal(cdm_migration_new(c, 0, TARGET, mig), 0);
	assert_int_equal(cdm_migration_set_range(*mig, (uintptr_t)base,
						 (uintptr_t)addr_of(pages)), 0);
	assert_int_equal(cdm_migration_set_batch(*mig, batch), 0);
	return cdm_migration_run(*mig);
}

/*
 * Machines whose huge page is not 512 pages of 4 KiB: the block size is
 * the kernel's hpage_pmd_size over the base page size, read from (fake)
 * sysfs by a new context. Every block of the model is a folio but the
 * second, which holds small pages: chunks are whole blocks (the batch is
 * rounded up to a multiple of one), the first call of a chunk passes its
 * blocks by their heads, one more call moves the small pages' tails, and
 * every other block counts as a folio moved whole.
 */
static void other_page_and_pmd_sizes(void **state)
{
	static const struct {
		const char *what;
		long page, pmd;
		unsigned int batch, chunk;	/* asked, and what it rounds to */
	} machines[] = {
		{ "4 KiB pages, 2 MiB PMD (x86-64, arm64)", 4096, 2L << 20, 600, 1024 },
		{ "64 KiB pages, 2 MiB PMD (ppc64 radix)", 65536, 2L << 20, 100, 128 },
		{ "64 KiB pages, 16 MiB PMD (ppc64 hash)", 65536, 16L << 20, 300, 512 },
	};
	unsigned long long folios;
	struct cdm_migration *mig;
	unsigned int m, fp, blocks, chunks, b;
	char pmd[32], failures[2048] = "";
	struct cdm_ctx *c;
	int rc;

	for (m = 0; m < sizeof(machines) / sizeof(machines[0]); m++) {
		kernel_reset();
		ps = machines[m].page;
		cdm__set_page_size(ps);
		snprintf(pmd, sizeof(pmd), "%ld\n", machines[m].pmd);
		fakesys_write("kernel/mm/transparent_hugepage/hpage_pmd_size", pmd);
		/* libcdm cuts chunks at multiples of their size */
		if (!map_thp((size_t)NR_PAGES * ps, (size_t)machines[m].chunk * ps))
			skip();
		assert_int_equal(cdm_new(&c), 0);
		fake_kernel_attach(c);
		fp = kernel.folio_pages = machines[m].pmd / ps;
		blocks = NR_PAGES / fp;
		chunks = NR_PAGES / machines[m].chunk;
		for (b = 0; b < blocks; b++)
			if (b != 1)
				make_folio(b * fp);
		rc = run_ctx(c, NR_PAGES, machines[m].batch, &mig);
		if (rc || cdm_migration_get_moved(mig) != NR_PAGES || pages_on(TARGET) != NR_PAGES)
			note(failures, "%s: %d (%s)", machines[m].what, rc, summary(mig));
		folios = ~0ULL;
		rc = cdm_migration_get_huge_moved(mig, &folios);
		if (rc || folios != blocks - 1)
			note(failures, "%s: huge_moved %d, %llu, want %u", machines[m].what, rc,
			     folios, blocks - 1);
		if (kernel.move_calls != chunks + 1 || kernel.listed[0] != machines[m].chunk / fp ||
		    kernel.listed[1] != fp - 1 || kernel.scan_calls != chunks)
			note(failures, "%s: %u move calls (want %u), %lu then %lu listed (want %u, "
			     "%u), %u scans (want %u)", machines[m].what, kernel.move_calls,
			     chunks + 1, kernel.listed[0], kernel.listed[1],
			     machines[m].chunk / fp, fp - 1, kernel.scan_calls, chunks);
		cdm_migration_free(mig);
		cdm_unref(c);
		thp_teardown(state);
	}
	if (*failures)
		fail_msg("%s", failures);
}

/*
 * A kernel that cannot say whether a block is still one huge page
 * (before Linux 6.7: no PAGEMAP_SCAN; or /proc/PID/pagemap not readable):
 * the migration itself goes on, asking once, and huge_moved is unknown,
 * -ENODATA with the reason, rather than a count of blocks whose pages
 * all landed.
 */
static void huge_moved_unknown(void **state)
{
	static const struct {
		int err;
		const char *why;	/* %d: this pid (twice) */
	} cases[] = {
		{ ENOTTY, "the kernel has no PAGEMAP_SCAN (Linux 6.7)" },
		{ EINVAL, "the kernel has no PAGEMAP_SCAN (Linux 6.7)" },
		{ EACCES, "reading /proc/%d/pagemap not permitted " CDM_PTRACE_NEEDS },
		{ EPERM, "reading /proc/%d/pagemap not permitted " CDM_PTRACE_NEEDS },
	};
	size_t len = 3 * FOLIO_PAGES * ps;
	unsigned long long folios;
	struct cdm_migration *mig;
	char why[256], msg[512];
	unsigned int i;
	int rc;

	if (!map_thp(len, FOLIO_PAGES * ps))
		skip();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kernel_reset();
		make_folio(0);
		make_folio(FOLIO_PAGES);
		make_folio(2 * FOLIO_PAGES);
		kernel.scan_err = cases[i].err;
		/* three chunks of one folio each */
		assert_int_equal(run(0, 3 * FOLIO_PAGES, FOLIO_PAGES, &mig), 0);
		assert_int_equal(cdm_migration_get_moved(mig), 3 * FOLIO_PAGES);
		folios = 12345;
		rc = cdm_migration_get_huge_moved(mig, &folios);
		snprintf(why, sizeof(why), cases[i].why, getpid());
		snprintf(msg, sizeof(msg), "pid %d: huge folios moved: unknown: %s", getpid(), why);
		if (rc != -ENODATA || folios != 12345 || strcmp(cdm_get_last_error(ctx), msg))
			fail_msg("%s: %d, %llu, '%s', want -ENODATA, untouched, '%s'",
				 strerror(cases[i].err), rc, folios, cdm_get_last_error(ctx), msg);
		if (kernel.scan_calls != 1)
			fail_msg("%s: asked %u times, want once", strerror(cases[i].err),
				 kernel.scan_calls);
		cdm_migration_free(mig);
	}
}

/* Without huge pages in the range there is nothing to ask: 0 is known. */
static void huge_moved_without_thp(void **state)
{
	unsigned long long folios = 12345;
	struct cdm_migration *mig;

	kernel.scan_err = ENOTTY;
	assert_int_equal(run(0, NR_PAGES, 512, &mig), 0);
	assert_int_equal(cdm_migration_get_huge_moved(mig, &folios), 0);
	assert_int_equal(folios, 0);
	assert_int_equal(kernel.scan_calls, 0);
	cdm_migration_free(mig);
}

static char logged[4096];

static void log_messages(struct cdm_ctx *c, int priority, const char *file, int line,
			 const char *fn, const char *format, va_list args)
{
	size_t n = strlen(logged);

	vsnprintf(logged + n, sizeof(logged) - n, format, args);
	n = strlen(logged);
	snprintf(logged + n, sizeof(logged) - n, "\n");
}

/*
 * No hpage_pmd_size in sysfs (a kernel without THP has none): no block
 * is passed by its head, every page is passed, and a range smaps says
 * holds huge pages leaves huge_moved unknown.
 */
static void thp_size_unknown(void **state)
{
	size_t len = 3 * FOLIO_PAGES * ps;
	unsigned long long folios = 12345;
	struct cdm_migration *mig;
	struct cdm_ctx *c;
	char msg[256];

	if (!map_thp(len, len))
		skip();
	fakesys_write("kernel/mm/transparent_hugepage/hpage_pmd_size", NULL);
	assert_int_equal(cdm_new(&c), 0);
	fake_kernel_attach(c);
	logged[0] = '\0';
	cdm_set_log_fn(c, log_messages);
	cdm_set_log_priority(c, LOG_DEBUG);
	make_folio(0);
	make_folio(FOLIO_PAGES);
	make_folio(2 * FOLIO_PAGES);
	assert_int_equal(run_ctx(c, 3 * FOLIO_PAGES, 3 * FOLIO_PAGES, &mig), 0);
	assert_int_equal(cdm_migration_get_moved(mig), 3 * FOLIO_PAGES);
	assert_int_equal(kernel.listed[0], 3 * FOLIO_PAGES);
	if (!strstr(logged, "hpage_pmd_size: No such file or directory: no transparent huge pages"))
		fail_msg("logged: %s", logged);
	assert_int_equal(cdm_migration_get_huge_moved(mig, &folios), -ENODATA);
	assert_int_equal(folios, 12345);
	snprintf(msg, sizeof(msg), "pid %d: huge folios moved: unknown: the range holds huge "
		 "pages of a size the kernel does not tell (hpage_pmd_size)", getpid());
	assert_string_equal(cdm_get_last_error(c), msg);
	assert_int_equal(kernel.scan_calls, 0);
	cdm_migration_free(mig);
	cdm_unref(c);
}

/*
 * A worker that cannot be set up (its buffers, its thread): the run goes
 * on with the workers before it and says so (info); it fails, before
 * moving anything, only when not even the first can be set up.
 */
static void worker_setup_failures(void **state)
{
	static const struct {
		const char *what;
		unsigned int threads;
		int malloc_budget, thread_err;
		int rc;
		const char *msg;	/* %d: this pid; "" none */
		unsigned int mallocs;
	} cases[] = {
		{ "the second worker's buffers", 2, 1, 0, 0,
		  "pid %d: running with 1 of 2 threads: thread 2: Cannot allocate memory", 2 },
		{ "the second thread", 2, -1, EAGAIN, 0,
		  "pid %d: running with 1 of 2 threads: thread 2: Resource temporarily unavailable",
		  2 },
		{ "the third worker's buffers", 4, 2, 0, 0,
		  "pid %d: running with 2 of 4 threads: thread 3: Cannot allocate memory", 3 },
		{ "the first worker's buffers", 2, 0, 0, -ENOMEM, "", 1 },
	};
	char msg[256], err[256], failures[2048] = "";
	struct cdm_migration *mig;
	unsigned int i;
	int rc;

	cdm_set_log_fn(ctx, log_messages);
	cdm_set_log_priority(ctx, LOG_INFO);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kernel_reset();
		logged[0] = '\0';
		assert_int_equal(cdm_migration_new(ctx, 0, TARGET, &mig), 0);
		assert_int_equal(cdm_migration_set_range(mig, (uintptr_t)base,
							 (uintptr_t)addr_of(NR_PAGES)), 0);
		assert_int_equal(cdm_migration_set_batch(mig, 512), 0);
		assert_int_equal(cdm_migration_set_threads(mig, cases[i].threads), 0);
		kernel.mallocs = 0;
		kernel.malloc_budget = cases[i].malloc_budget;
		kernel.thread_err = cases[i].thread_err;
		rc = cdm_migration_run(mig);
		kernel.malloc_budget = -1;
		kernel.thread_err = 0;
		snprintf(msg, sizeof(msg), cases[i].msg, getpid());
		if (*msg)
			strcat(msg, "\n");
		snprintf(err, sizeof(err), "pid %d: out of memory", getpid());
		if (rc != cases[i].rc || !strstr(logged, msg) ||
		    strcmp(cdm_get_last_error(ctx), rc ? err : ""))
			note(failures, "%s: %d '%s', logged '%s', want %d, '%s'", cases[i].what,
			     rc, cdm_get_last_error(ctx), logged, cases[i].rc, msg);
		/* all or nothing moved, as the kernel says */
		if (cdm_migration_get_moved(mig) != (unsigned int)pages_on(TARGET) ||
		    pages_on(TARGET) != (cases[i].rc ? 0 : NR_PAGES) ||
		    (cases[i].rc && kernel.move_calls))
			note(failures, "%s: %s", cases[i].what, summary(mig));
		if (kernel.mallocs != cases[i].mallocs)
			note(failures, "%s: %u mallocs, want %u (one per worker)", cases[i].what,
			     kernel.mallocs, cases[i].mallocs);
		cdm_migration_free(mig);
	}
	cdm_set_log_priority(ctx, -1);
	cdm_set_log_fn(ctx, NULL);
	if (*failures)
		fail_msg("%s", failures);
}

static pid_t victim;

static void reap_after_first_chunk(struct cdm_migration *mig, unsigned long long done,
				   unsigned long long total, void *data)
{
	if (!victim)
		return;
	kill(victim, SIGKILL);
	waitpid(victim, NULL, 0);
	victim = 0;
}

/*
 * The process exits and is reaped after the first chunk; the scripted
 * kernel goes on answering for its pid as it would for a process that
 * reused it. The run stops with -ESRCH naming the pid, before a page of
 * the newcomer moves.
 */
static void pid_reused(void **state)
{
	struct cdm_migration *mig;
	char want[64];
	pid_t pid;
	int rc;

	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		pause();
		_exit(0);
	}
	victim = pid;
	assert_int_equal(cdm_migration_new(ctx, pid, TARGET, &mig), 0);
	assert_int_equal(cdm_migration_set_range(mig, (uintptr_t)base,
						 (uintptr_t)addr_of(NR_PAGES)), 0);
	assert_int_equal(cdm_migration_set_batch(mig, 512), 0);
	cdm_migration_set_progress(mig, reap_after_first_chunk, NULL);
	rc = cdm_migration_run(mig);
	snprintf(want, sizeof(want), "pid %d: no such process", pid);
	if (rc != -ESRCH || strcmp(cdm_get_last_error(ctx), want))
		fail_msg("pid %d reaped after chunk 1: %d '%s' (%llu pages moved)", pid, rc,
			 cdm_get_last_error(ctx), cdm_migration_get_moved(mig));
	assert_int_equal(cdm_migration_get_moved(mig), 512);
	assert_int_equal(pages_on(TARGET), 512);
	assert_int_equal(kernel.move_calls, 1);
	cdm_migration_free(mig);
	if (victim) {
		kill(victim, SIGKILL);
		waitpid(victim, NULL, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(plain_run, fake_kernel_reset),
		cmocka_unit_test_setup(folio_tail_busy, fake_kernel_reset),
		cmocka_unit_test_setup(pinned_page_stops_the_call, fake_kernel_reset),
		cmocka_unit_test_setup(passes_are_bounded, fake_kernel_reset),
		cmocka_unit_test_setup_teardown(thp_heads, fake_kernel_reset, thp_teardown),
		cmocka_unit_test_setup_teardown(split_folio_is_not_huge, fake_kernel_reset,
						thp_teardown),
		cmocka_unit_test_setup_teardown(other_page_and_pmd_sizes, fake_kernel_reset,
						thp_teardown),
		cmocka_unit_test_setup_teardown(huge_moved_unknown, fake_kernel_reset, thp_teardown),
		cmocka_unit_test_setup(huge_moved_without_thp, fake_kernel_reset),
		cmocka_unit_test_setup_teardown(thp_size_unknown, fake_kernel_reset, thp_teardown),
		cmocka_unit_test_setup(worker_setup_failures, fake_kernel_reset),
		cmocka_unit_test_setup(full_node_stops, fake_kernel_reset),
		cmocka_unit_test_setup(return_values, fake_kernel_reset),
		cmocka_unit_test(errors_logged_where_they_happen),
		cmocka_unit_test_setup(pid_reused, fake_kernel_reset),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("libcdm migration against a scripted kernel", tests,
					   fake_kernel_setup, fake_kernel_teardown);
}
