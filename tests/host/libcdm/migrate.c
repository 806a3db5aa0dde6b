// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Migration against the scripted kernel of fakekernel.c, which plays
 * move_pages(2) through libcdm's private seam as the kernel's
 * do_pages_move() does (batches, a failed batch stopping the call, a full
 * target failing it with ENOMEM), and migrate_pages(2) as
 * do_migrate_pages() does. Every test checks the model's pages against
 * the counts and the failed-page list. Source-node filters run on a
 * four-node machine of their own (four_nodes_setup()).
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
		 "not present %llu, shared %llu, not attempted %llu; %d listed; %u move calls; "
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
	int i, nr = cdm_migration_get_nr_failed_pages(mig), expected = 0;
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
 * asked once for the range before the move (which blocks are huge) and
 * once for the chunk after it.
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
	assert_int_equal(kernel.scan_calls, 2);
	cdm_migration_free(mig);
}

/*
 * Which blocks are huge comes from PAGEMAP_SCAN over the range to move,
 * not from smaps, whose read walks every page table of the process: the
 * model's three folios sit in a mapping smaps shows without a huge page
 * (MADV_NOHUGEPAGE), yet they are passed by their heads, and the first
 * scan asked for the range alone.
 */
static void huge_found_by_scan_of_range(void **state)
{
	unsigned long long folios = 0;
	struct cdm_migration *mig;

	make_folio(0);
	make_folio(FOLIO_PAGES);
	make_folio(2 * FOLIO_PAGES);
	/* a chunk per folio: a call each, of its head alone */
	assert_int_equal(run(0, 3 * FOLIO_PAGES, FOLIO_PAGES, &mig), 0);
	assert_string_equal(summary(mig), "pages 1536: moved 1536, already 0, busy 0, failed 0, "
			    "not present 0, shared 0, not attempted 0; 0 listed; 3 move calls; "
			    "1536 on target");
	assert_int_equal(kernel.listed[0], 1);
	assert_int_equal(kernel.listed[1], 1);
	assert_int_equal(kernel.listed[2], 1);
	assert_int_equal(cdm_migration_get_huge_moved(mig, &folios), 0);
	assert_int_equal(folios, 3);
	/* one for the range, then one per chunk to count what moved whole */
	assert_int_equal(kernel.scan_calls, 4);
	assert_int_equal(kernel.first_scan_start, (uintptr_t)base);
	assert_int_equal(kernel.first_scan_end, (uintptr_t)addr_of(3 * FOLIO_PAGES));
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
 * every other block counts as a folio moved whole. PAGEMAP_SCAN is asked
 * once for the range before (which blocks are huge) and once per chunk.
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
		    kernel.listed[1] != fp - 1 || kernel.scan_calls != chunks + 1)
			note(failures, "%s: %u move calls (want %u), %lu then %lu listed (want %u, "
			     "%u), %u scans (want %u)", machines[m].what, kernel.move_calls,
			     chunks + 1, kernel.listed[0], kernel.listed[1],
			     machines[m].chunk / fp, fp - 1, kernel.scan_calls, chunks + 1);
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

/*
 * Without huge pages in the range there is nothing to count: 0 is known,
 * also where PAGEMAP_SCAN fails (asked once, before the move: smaps then
 * says no page of the range is huge).
 */
static void huge_moved_without_thp(void **state)
{
	unsigned long long folios = 12345;
	struct cdm_migration *mig;

	kernel.scan_err = ENOTTY;
	assert_int_equal(run(0, NR_PAGES, 512, &mig), 0);
	assert_int_equal(cdm_migration_get_huge_moved(mig, &folios), 0);
	assert_int_equal(folios, 0);
	assert_int_equal(kernel.scan_calls, 1);
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

static int reap_after_first_chunk(struct cdm_migration *mig, unsigned long long done,
				  unsigned long long total, void *data)
{
	if (!victim)
		return 0;
	kill(victim, SIGKILL);
	waitpid(victim, NULL, 0);
	victim = 0;
	return 0;
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

/*
 * A machine of four nodes for the source-node filter: 0 (CPUs), 1 and 2
 * (CPU-less, with memory), 3 (CPU-less, no memory), read by a context of
 * its own, @c4, that the model plays the kernel for. The group's two-node
 * machine is put back afterwards.
 */
#define SOURCE 2
static struct cdm_ctx *c4;

static int four_nodes_setup(void **state)
{
	static const struct fake_node four[] = {
		{ 0, "0-1", 4096, "10 20 20 20" },
		{ 1, "", 4096, "20 10 20 20" },
		{ 2, "", 4096, "20 20 10 20" },
		{ 3, "", 0, "20 20 20 10" },
	};

	kernel_reset();
	fakesys_machine(four, 4);
	if (cdm_new(&c4))
		return -1;
	fake_kernel_attach(c4);
	return 0;
}

static int four_nodes_teardown(void **state)
{
	static const struct fake_node two[] = {
		{ 0, "0-1", 4096, "10 20" },
		{ 1, "", 4096, "20 10" },
	};

	cdm_unref(c4);
	c4 = NULL;
	fakesys_machine(two, 2);
	return 0;
}

static struct cdm_nodeset *nodes(struct cdm_nodeset *set, const char *list)
{
	assert_int_equal(cdm_nodeset_parse(c4, list, set), 0);
	return set;
}

/* The run's counts with the pages left on other nodes, in one line */
static const char *summary_skipped(struct cdm_migration *mig)
{
	static char buf[600];

	snprintf(buf, sizeof(buf), "%s; skipped %llu", summary(mig),
		 cdm_migration_get_skipped(mig));
	return buf;
}

/* Note in @failures when @rc and @c's last error are not @want and @fmt
 * (%d: this pid) */
static void expect_error(char *failures, const char *what, struct cdm_ctx *c, int rc, int want,
			 const char *fmt)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, getpid());
	if (rc != want || strcmp(cdm_get_last_error(c), msg))
		note(failures, "%s: %d '%s', want %d '%s'", what, rc, cdm_get_last_error(c), want,
		     msg);
}

/*
 * Move what is on node 2: pages on node 0 are left where they are,
 * counted as skipped, not as failures, and never passed to the kernel
 * (the chunk holding only them costs its query alone). Pages already on
 * the target and pages not present count as ever. Without the filter
 * (NULL) the next run moves node 0's pages too.
 */
static void from_nodes_filter(void **state)
{
	struct cdm_migration *mig;
	struct cdm_nodeset from;
	int i;

	for (i = 0; i < NR_PAGES; i++)
		kernel.page[i].node = i < 512 || (i >= 1024 && i < 1536) ? SOURCE :
				      i < 1024 ? HOME : TARGET;
	for (i = 1100; i < 1110; i++)
		kernel.page[i].node = -ENOENT;
	assert_int_equal(cdm_migration_new(c4, 0, TARGET, &mig), 0);
	assert_int_equal(cdm_migration_set_range(mig, (uintptr_t)base,
						 (uintptr_t)addr_of(NR_PAGES)), 0);
	assert_int_equal(cdm_migration_set_batch(mig, 512), 0);
	assert_int_equal(cdm_migration_set_from_nodes(mig, nodes(&from, "2")), 0);
	assert_int_equal(cdm_migration_run(mig), 0);
	assert_string_equal(cdm_get_last_error(c4), "");
	assert_string_equal(summary_skipped(mig), "pages 2048: moved 1014, already 512, busy 0, "
			    "failed 0, not present 10, shared 0, not attempted 0; 0 listed; "
			    "2 move calls; 1526 on target; skipped 512");
	assert_int_equal(pages_on(HOME), 512);
	assert_int_equal(pages_on(SOURCE), 0);
	assert_int_equal(kernel.listed[0], 512);
	assert_int_equal(kernel.listed[1], 502);

	assert_int_equal(cdm_migration_set_from_nodes(mig, NULL), 0);
	assert_int_equal(cdm_migration_run(mig), 0);
	assert_string_equal(summary_skipped(mig), "pages 2048: moved 512, already 1526, busy 0, "
			    "failed 0, not present 10, shared 0, not attempted 0; 0 listed; "
			    "3 move calls; 2038 on target; skipped 0");
	cdm_migration_free(mig);
}

/*
 * Source sets that cannot be: each is refused with EINVAL and a message
 * naming the nodes, and leaves the filter set before it as it was.
 */
static void from_nodes_bad_input(void **state)
{
	static const struct {
		int nodes[4];		/* up to the first -1 */
		const char *msg;	/* %d: this pid */
	} cases[] = {
		{ { -1 }, "pid %d: source nodes: empty set" },
		{ { 3, -1 }, "pid %d: source node 3: has no memory" },
		{ { 0, 2, 3, -1 }, "pid %d: source node 3: has no memory" },
		{ { 5, 7, -1 }, "pid %d: source nodes 5,7: not online" },
		{ { 1, 2, -1 }, "pid %d: source nodes 1-2: include the target, node 1" },
	};
	struct cdm_migration *mig;
	struct cdm_nodeset from;
	char what[32], failures[2048] = "";
	unsigned int i, j;

	assert_int_equal(cdm_migration_new(c4, 0, TARGET, &mig), 0);
	assert_int_equal(cdm_migration_set_range(mig, (uintptr_t)base,
						 (uintptr_t)addr_of(NR_PAGES)), 0);
	assert_int_equal(cdm_migration_set_from_nodes(mig, nodes(&from, "2")), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* (the parser would refuse most: a set need not come from it) */
		cdm_nodeset_zero(&from);
		for (j = 0; cases[i].nodes[j] >= 0; j++)
			cdm_nodeset_add(&from, cases[i].nodes[j]);
		snprintf(what, sizeof(what), "case %u", i);
		expect_error(failures, what, c4, cdm_migration_set_from_nodes(mig, &from), -EINVAL,
			     cases[i].msg);
	}
	if (*failures)
		fail_msg("%s", failures);
	/* the filter is still node 2: node 0's pages stay */
	for (i = 0; i < 100; i++)
		kernel.page[i].node = SOURCE;
	assert_int_equal(cdm_migration_run(mig), 0);
	assert_int_equal(cdm_migration_get_moved(mig), 100);
	assert_int_equal(cdm_migration_get_skipped(mig), NR_PAGES - 100);
	assert_int_equal(pages_on(HOME), NR_PAGES - 100);
	cdm_migration_free(mig);
}

/*
 * CDM_MIGRATE_SHARED moves pages mapped by other processes too
 * (MPOL_MF_MOVE_ALL), which takes CAP_SYS_NICE: without it the run
 * fails with -EPERM saying so before a page moves, an EPERM kept apart
 * from the ptrace one, and from the cpuset's EACCES. Unknown flags are
 * refused and change nothing.
 */
static void move_shared(void **state)
{
	static const struct {
		const char *what;
		unsigned int flags;
		bool cap_sys_nice;
		unsigned int fail_from, fail_call;
		int fail_err;
		int rc;
		const char *msg;	/* %d: this pid */
		unsigned long long moved, shared;
	} cases[] = {
		{ "shared pages, CAP_SYS_NICE", CDM_MIGRATE_SHARED, true, 0, 0, 0, 0, "", 512, 0 },
		{ "shared pages, no CAP_SYS_NICE", CDM_MIGRATE_SHARED, false, 0, 0, 0, -EPERM,
		  "pid %d: moving shared pages needs CAP_SYS_NICE", 0, 0 },
		{ "shared pages, no ptrace access", CDM_MIGRATE_SHARED, true, 1, 0, EPERM, -EPERM,
		  "pid %d: moving pages not permitted " CDM_PTRACE_NEEDS, 0, 0 },
		{ "shared pages, node outside the cpuset", CDM_MIGRATE_SHARED, true, 0, 1, EACCES,
		  -EACCES, "pid %d: node 1 is not in its cpuset's mems (no capability overrides "
		  "that)", 0, 0 },
		{ "own pages only, CAP_SYS_NICE", 0, true, 0, 0, 0, 0, "", 504, 8 },
	};
	struct cdm_migration *mig;
	char failures[4096] = "";
	unsigned int i;
	int p;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kernel_reset();
		for (p = 0; p < 512; p += 64)
			kernel.page[p].shared = true;
		kernel.cap_sys_nice = cases[i].cap_sys_nice;
		kernel.fail_from = cases[i].fail_from;
		kernel.fail_call = cases[i].fail_call;
		kernel.fail_err = cases[i].fail_err;
		assert_int_equal(cdm_migration_new(ctx, 0, TARGET, &mig), 0);
		assert_int_equal(cdm_migration_set_range(mig, (uintptr_t)base,
							 (uintptr_t)addr_of(512)), 0);
		assert_int_equal(cdm_migration_set_flags(mig, cases[i].flags), 0);
		expect_error(failures, cases[i].what, ctx, cdm_migration_run(mig), cases[i].rc,
			     cases[i].msg);
		if (cdm_migration_get_moved(mig) != cases[i].moved ||
		    cdm_migration_get_shared(mig) != cases[i].shared ||
		    pages_on(TARGET) != (int)cases[i].moved ||
		    kernel.move_all_calls != (cases[i].flags ? kernel.move_calls : 0))
			note(failures, "%s: %s; %u with MPOL_MF_MOVE_ALL", cases[i].what,
			     summary(mig), kernel.move_all_calls);
		cdm_migration_free(mig);
	}

	/* unknown flags: refused, and the flags set before stay */
	kernel_reset();
	kernel.cap_sys_nice = true;
	kernel.page[5].shared = true;
	assert_int_equal(cdm_migration_new(ctx, 0, TARGET, &mig), 0);
	assert_int_equal(cdm_migration_set_range(mig, (uintptr_t)base,
						 (uintptr_t)addr_of(512)), 0);
	expect_error(failures, "flags 0x81", ctx,
		     cdm_migration_set_flags(mig, CDM_MIGRATE_SHARED | 0x80), -EINVAL,
		     "pid %d: migration flags 0x81: 0x80 unknown");
	assert_int_equal(cdm_migration_run(mig), 0);
	if (kernel.move_all_calls || cdm_migration_get_shared(mig) != 1)
		note(failures, "after flags 0x81: %s; %u with MPOL_MF_MOVE_ALL", summary(mig),
		     kernel.move_all_calls);
	cdm_migration_free(mig);
	if (*failures)
		fail_msg("%s", failures);
}

/*
 * A whole process of this test: every page of it that is not the model's
 * is not present to the scripted kernel. Not under AddressSanitizer or
 * ThreadSanitizer, whose shadow memory is terabytes of mapping to walk.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SHADOW_MEMORY 1
#endif

static bool whole_process_ok(void)
{
#ifdef SHADOW_MEMORY
	return false;
#else
	return true;
#endif
}

#ifndef SHADOW_MEMORY	/* the tests of whole processes, left out there */
/* every page of the model: present, and counted once */
static unsigned long long model_pages_counted(struct cdm_migration *mig)
{
	return cdm_migration_get_moved(mig) + cdm_migration_get_already(mig) +
	       cdm_migration_get_skipped(mig) + cdm_migration_get_busy(mig) +
	       cdm_migration_get_failed(mig) + cdm_migration_get_shared(mig) +
	       cdm_migration_get_not_attempted(mig);
}

/*
 * The whole process from node 2, by each method: AUTO takes
 * migrate_pages(2), which moves everything in one call; the counts are
 * the kernel's answers to queries before and after it, and the pages it
 * left are asked about with move_pages(2), which says why (pinned: busy,
 * shared: shared), so every method gives the same counts. The kernel's
 * own count of what it could not move is logged.
 */
static void migrate_pages_whole_process(void **state)
{
	static const struct {
		enum cdm_migrate_method method, used;
		unsigned int migrate_calls;
	} cases[] = {
		{ CDM_MIGRATE_METHOD_AUTO, CDM_MIGRATE_METHOD_MIGRATE_PAGES, 1 },
		{ CDM_MIGRATE_METHOD_MOVE_PAGES, CDM_MIGRATE_METHOD_MOVE_PAGES, 0 },
		{ CDM_MIGRATE_METHOD_MIGRATE_PAGES, CDM_MIGRATE_METHOD_MIGRATE_PAGES, 1 },
	};
	char want[256], failures[4096] = "";
	struct cdm_migration *mig;
	struct cdm_nodeset from;
	unsigned int i;
	int p, rc;

	if (!whole_process_ok())
		skip();
	cdm_set_log_fn(c4, log_messages);
	cdm_set_log_priority(c4, LOG_INFO);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kernel_reset();
		logged[0] = '\0';
		for (p = 0; p < NR_PAGES; p++)
			kernel.page[p].node = p >= 1000 && p < 1500 ? HOME :
					      p >= 1500 && p < 1600 ? TARGET : SOURCE;
		for (p = 1700; p < 1710; p++)
			kernel.page[p].node = -ENOENT;
		kernel.page[10].pinned = kernel.page[20].pinned = true;
		kernel.page[30].shared = kernel.page[40].shared = kernel.page[50].shared = true;
		assert_int_equal(cdm_migration_new(c4, 0, TARGET, &mig), 0);
		assert_int_equal(cdm_migration_set_from_nodes(mig, nodes(&from, "2")), 0);
		assert_int_equal(cdm_migration_set_method(mig, cases[i].method), 0);
		assert_int_equal(cdm_migration_get_method_used(mig), CDM_MIGRATE_METHOD_AUTO);
		rc = cdm_migration_run(mig);
		snprintf(want, sizeof(want), "pid %d: 2 of 1435 pages could not move to node 1",
			 getpid());
		if (rc != -EAGAIN || strcmp(cdm_get_last_error(c4), want))
			note(failures, "method %d: %d '%s', want -EAGAIN '%s'", cases[i].method, rc,
			     cdm_get_last_error(c4), want);
		if (cdm_migration_get_method_used(mig) != cases[i].used ||
		    kernel.migrate_calls != cases[i].migrate_calls)
			note(failures, "method %d: used %d, %u migrate_pages calls, want %d, %u",
			     cases[i].method, cdm_migration_get_method_used(mig),
			     kernel.migrate_calls, cases[i].used, cases[i].migrate_calls);
		if (cdm_migration_get_moved(mig) != 1433 || cdm_migration_get_already(mig) != 100 ||
		    cdm_migration_get_skipped(mig) != 500 || cdm_migration_get_busy(mig) != 2 ||
		    cdm_migration_get_shared(mig) != 3 || model_pages_counted(mig) != 2038 ||
		    pages_on(TARGET) != 1533 || pages_on(HOME) != 500)
			note(failures, "method %d: %s; skipped %llu", cases[i].method, summary(mig),
			     cdm_migration_get_skipped(mig));
		/* migrate_pages: only the pages it left are passed to move_pages */
		if (cases[i].migrate_calls && kernel.listed[0] != 5)
			note(failures, "method %d: %lu passed to move_pages after migrate_pages, "
			     "want 5", cases[i].method, kernel.listed[0]);
		if (cases[i].migrate_calls &&
		    !strstr(logged, "migrate_pages(2) could not move 2 pages or folios"))
			note(failures, "method %d: logged '%s'", cases[i].method, logged);
		expect_failed_pages(mig, NR_PAGES, pinned_busy);
		cdm_migration_free(mig);
	}
	cdm_set_log_priority(c4, -1);
	cdm_set_log_fn(c4, NULL);
	if (*failures)
		fail_msg("%s", failures);
}

static int four_nodes_thp_teardown(void **state)
{
	thp_teardown(state);
	return four_nodes_teardown(state);
}

/*
 * migrate_pages(2) moves huge folios whole, but for one it had to split
 * on the way: counted as after move_pages, from the same answers (every
 * page of a block was on a source node and is on the target now, and
 * PAGEMAP_SCAN says the block is one huge page there).
 */
static void migrate_pages_huge(void **state)
{
	size_t len = 3 * FOLIO_PAGES * ps;
	unsigned long long folios = 0;
	struct cdm_migration *mig;
	struct cdm_nodeset from;
	int p;

	if (!whole_process_ok() || !map_thp(len, len))
		skip();
	for (p = 0; p < 3 * FOLIO_PAGES; p++)
		kernel.page[p].node = SOURCE;
	make_folio(0);
	make_folio(FOLIO_PAGES);
	make_folio(2 * FOLIO_PAGES);
	kernel.page[FOLIO_PAGES].split_on_move = true;
	assert_int_equal(cdm_migration_new(c4, 0, TARGET, &mig), 0);
	assert_int_equal(cdm_migration_set_from_nodes(mig, nodes(&from, "2")), 0);
	assert_int_equal(cdm_migration_set_method(mig, CDM_MIGRATE_METHOD_MIGRATE_PAGES), 0);
	assert_int_equal(cdm_migration_run(mig), 0);
	assert_int_equal(kernel.migrate_calls, 1);
	assert_int_equal(kernel.move_calls, 0);
	assert_int_equal(cdm_migration_get_moved(mig), 3 * FOLIO_PAGES);
	assert_int_equal(cdm_migration_get_huge_moved(mig, &folios), 0);
	if (folios != 2)
		fail_msg("%llu folios counted as moved whole, want 2 (the middle one was split)",
			 folios);
	cdm_migration_free(mig);
}
#endif

/*
 * What AUTO takes, and what a migrate_pages(2) run refuses or says. AUTO
 * takes migrate_pages for a whole process from a source set, and only
 * when it treats shared pages as asked: with CAP_SYS_NICE it moves them
 * whatever its flags, so without CDM_MIGRATE_SHARED a capable caller
 * gets move_pages. Asked for explicitly, it is refused where it cannot do
 * what was asked, before anything moves. Its errors read as move_pages'
 * do: a target outside the cpuset is EACCES (migrate_pages says EPERM),
 * a full target -ENOSPC with the counts readable.
 */
static void migrate_pages_choices(void **state)
{
	static const struct {
		const char *what;
		enum cdm_migrate_method method;
		bool range, filter, cap_sys_nice;
		unsigned int flags;
		int migrate_err;
		long room;
		int rc;
		const char *msg;	/* %d: this pid */
		enum cdm_migrate_method used;
		unsigned long long moved, shared, failed;
	} cases[] = {
		{ "AUTO, a range", CDM_MIGRATE_METHOD_AUTO, true, true, false, 0, 0, -1, 0, "",
		  CDM_MIGRATE_METHOD_MOVE_PAGES, 1535, 1, 0 },
		{ "AUTO, no source set", CDM_MIGRATE_METHOD_AUTO, false, false, false, 0, 0, -1,
		  0, "", CDM_MIGRATE_METHOD_MOVE_PAGES, 2047, 1, 0 },
		{ "AUTO, CAP_SYS_NICE", CDM_MIGRATE_METHOD_AUTO, false, true, true, 0, 0, -1, 0,
		  "", CDM_MIGRATE_METHOD_MOVE_PAGES, 1535, 1, 0 },
		{ "AUTO, CAP_SYS_NICE, shared pages", CDM_MIGRATE_METHOD_AUTO, false, true, true,
		  CDM_MIGRATE_SHARED, 0, -1, 0, "", CDM_MIGRATE_METHOD_MIGRATE_PAGES, 1536, 0, 0 },
		{ "migrate_pages, CAP_SYS_NICE", CDM_MIGRATE_METHOD_MIGRATE_PAGES, false, true,
		  true, 0, 0, -1, -EINVAL, "pid %d: migrate_pages(2) would move shared pages too "
		  "(the caller has CAP_SYS_NICE): set CDM_MIGRATE_SHARED, or use move_pages(2)",
		  CDM_MIGRATE_METHOD_AUTO, 0, 0, 0 },
		{ "migrate_pages, no source set", CDM_MIGRATE_METHOD_MIGRATE_PAGES, false, false,
		  false, 0, 0, -1, 0, "", CDM_MIGRATE_METHOD_MIGRATE_PAGES, 2047, 1, 0 },
		{ "migrate_pages, outside the cpuset", CDM_MIGRATE_METHOD_MIGRATE_PAGES, false,
		  true, false, 0, EPERM, -1, -EACCES, "pid %d: node 1 is not in its cpuset's mems "
		  "(migrate_pages(2): CAP_SYS_NICE overrides that)",
		  CDM_MIGRATE_METHOD_MIGRATE_PAGES, 0, 0, 0 },
		{ "migrate_pages, process gone", CDM_MIGRATE_METHOD_MIGRATE_PAGES, false, true,
		  false, 0, ESRCH, -1, -ESRCH, "pid %d: no such process",
		  CDM_MIGRATE_METHOD_MIGRATE_PAGES, 0, 0, 0 },
		/* the kernel stops at the full node: what it left, the shared page
		 * among it, is failed (ENOMEM), not asked about again */
		{ "migrate_pages, node full", CDM_MIGRATE_METHOD_MIGRATE_PAGES, false, true, false,
		  0, 0, 700, -ENOSPC, "node 1: full", CDM_MIGRATE_METHOD_MIGRATE_PAGES, 700, 0,
		  836 },
	};
	struct cdm_migration *mig;
	struct cdm_nodeset from;
	char failures[8192] = "";
	unsigned int i;
	int p;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!cases[i].range && !whole_process_ok())
			continue;
		kernel_reset();
		/* 1536 pages on node 2, 512 on node 0; one shared on node 2 */
		for (p = 0; p < 1536; p++)
			kernel.page[p].node = SOURCE;
		kernel.page[100].shared = true;
		kernel.cap_sys_nice = cases[i].cap_sys_nice;
		kernel.migrate_err = cases[i].migrate_err;
		kernel.room = cases[i].room;
		assert_int_equal(cdm_migration_new(c4, 0, TARGET, &mig), 0);
		if (cases[i].range)
			assert_int_equal(cdm_migration_set_range(mig, (uintptr_t)base,
								 (uintptr_t)addr_of(NR_PAGES)), 0);
		if (cases[i].filter)
			assert_int_equal(cdm_migration_set_from_nodes(mig, nodes(&from, "2")), 0);
		assert_int_equal(cdm_migration_set_flags(mig, cases[i].flags), 0);
		assert_int_equal(cdm_migration_set_method(mig, cases[i].method), 0);
		expect_error(failures, cases[i].what, c4, cdm_migration_run(mig), cases[i].rc,
			     cases[i].msg);
		if (cdm_migration_get_method_used(mig) != cases[i].used ||
		    cdm_migration_get_moved(mig) != cases[i].moved ||
		    cdm_migration_get_shared(mig) != cases[i].shared ||
		    cdm_migration_get_failed(mig) != cases[i].failed ||
		    pages_on(TARGET) != (int)cases[i].moved)
			note(failures, "%s: used %d, want %d; %s", cases[i].what,
			     cdm_migration_get_method_used(mig), cases[i].used, summary(mig));
		if (cases[i].used == CDM_MIGRATE_METHOD_AUTO &&
		    (kernel.move_calls || kernel.migrate_calls))
			note(failures, "%s: refused, yet %u move and %u migrate calls",
			     cases[i].what, kernel.move_calls, kernel.migrate_calls);
		cdm_migration_free(mig);
	}
	if (*failures)
		fail_msg("%s", failures);
}

/*
 * Methods that cannot be: unknown ones, and migrate_pages(2) with a range
 * (it moves whole processes), whichever is set first. Each is refused
 * with EINVAL naming the process, and the method and range set before
 * stay.
 */
static void migrate_method_bad_input(void **state)
{
	struct cdm_migration *mig;
	char msg[256], failures[2048] = "";
	int rc;

	assert_int_equal(cdm_migration_new(ctx, 0, TARGET, &mig), 0);
	expect_error(failures, "method 7", ctx, cdm_migration_set_method(mig, 7), -EINVAL,
		     "pid %d: migration method 7: unknown");
	assert_int_equal(cdm_migration_set_range(mig, (uintptr_t)base,
						 (uintptr_t)addr_of(512)), 0);
	expect_error(failures, "migrate_pages after a range", ctx,
		     cdm_migration_set_method(mig, CDM_MIGRATE_METHOD_MIGRATE_PAGES), -EINVAL,
		     "pid %d: migrate_pages(2) moves the whole process: a range is set");
	/* still move_pages over the range */
	assert_int_equal(cdm_migration_run(mig), 0);
	assert_int_equal(cdm_migration_get_method_used(mig), CDM_MIGRATE_METHOD_MOVE_PAGES);
	assert_int_equal(cdm_migration_get_moved(mig), 512);
	cdm_migration_free(mig);

	assert_int_equal(cdm_migration_new(ctx, 0, TARGET, &mig), 0);
	assert_int_equal(cdm_migration_set_method(mig, CDM_MIGRATE_METHOD_MIGRATE_PAGES), 0);
	rc = cdm_migration_set_range(mig, (uintptr_t)base, (uintptr_t)addr_of(512));
	snprintf(msg, sizeof(msg), "pid %d: range 0x%lx-0x%lx: migrate_pages(2) moves the "
		 "whole process", getpid(), (unsigned long)(uintptr_t)base,
		 (unsigned long)(uintptr_t)addr_of(512));
	if (rc != -EINVAL || strcmp(cdm_get_last_error(ctx), msg))
		note(failures, "a range after migrate_pages: %d '%s', want -EINVAL '%s'", rc,
		     cdm_get_last_error(ctx), msg);
	cdm_migration_free(mig);
	if (*failures)
		fail_msg("%s", failures);
}

static unsigned long long cancel_at, last_done;
static unsigned int progress_calls;

/* Go on until @cancel_at pages are done, then ask to stop */
static int cancel_when_done(struct cdm_migration *mig, unsigned long long done,
			    unsigned long long total, void *data)
{
	progress_calls++;
	last_done = done;
	return done >= cancel_at;
}

/*
 * The progress callback cancels the run by returning non-zero: no worker
 * starts another chunk, the chunks under way are counted, and the run
 * returns -ECANCELED with their counts readable. One thread over four
 * chunks: exactly the first; two threads: at most the two under way when
 * it asked, each counted as the kernel moved it and reported to the
 * callback.
 */
static void cancel_from_progress(void **state)
{
	struct cdm_migration *mig;
	unsigned long long pages;
	char msg[128];
	int rc;

	cancel_at = 512;
	progress_calls = 0;
	assert_int_equal(cdm_migration_new(ctx, 0, TARGET, &mig), 0);
	assert_int_equal(cdm_migration_set_range(mig, (uintptr_t)base,
						 (uintptr_t)addr_of(NR_PAGES)), 0);
	assert_int_equal(cdm_migration_set_batch(mig, 512), 0);
	cdm_migration_set_progress(mig, cancel_when_done, NULL);
	rc = cdm_migration_run(mig);
	snprintf(msg, sizeof(msg), "pid %d: cancelled by the progress callback after 512 of "
		 "2048 pages", getpid());
	if (rc != -ECANCELED || strcmp(cdm_get_last_error(ctx), msg))
		fail_msg("%d '%s', want %d '%s' (%s)", rc, cdm_get_last_error(ctx), -ECANCELED,
			 msg, summary(mig));
	assert_string_equal(summary(mig), "pages 512: moved 512, already 0, busy 0, failed 0, "
			    "not present 0, shared 0, not attempted 0; 0 listed; 1 move calls; "
			    "512 on target");
	assert_int_equal(progress_calls, 1);
	cdm_migration_free(mig);

	kernel_reset();
	cancel_at = 1;
	progress_calls = 0;
	assert_int_equal(cdm_migration_new(ctx, 0, TARGET, &mig), 0);
	assert_int_equal(cdm_migration_set_range(mig, (uintptr_t)base,
						 (uintptr_t)addr_of(NR_PAGES)), 0);
	assert_int_equal(cdm_migration_set_batch(mig, 512), 0);
	assert_int_equal(cdm_migration_set_threads(mig, 2), 0);
	cdm_migration_set_progress(mig, cancel_when_done, NULL);
	rc = cdm_migration_run(mig);
	pages = cdm_migration_get_pages(mig);
	if (rc != -ECANCELED || pages > 1024 || pages != last_done ||
	    cdm_migration_get_moved(mig) != pages || pages_on(TARGET) != (int)pages ||
	    kernel.move_calls != pages / 512)
		fail_msg("2 threads: %d '%s', %llu reported done (%s)", rc,
			 cdm_get_last_error(ctx), last_done, summary(mig));
	cdm_migration_free(mig);
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
		cmocka_unit_test_setup(huge_found_by_scan_of_range, fake_kernel_reset),
		cmocka_unit_test_setup_teardown(thp_size_unknown, fake_kernel_reset, thp_teardown),
		cmocka_unit_test_setup(worker_setup_failures, fake_kernel_reset),
		cmocka_unit_test_setup(full_node_stops, fake_kernel_reset),
		cmocka_unit_test_setup(return_values, fake_kernel_reset),
		cmocka_unit_test(errors_logged_where_they_happen),
		cmocka_unit_test_setup(pid_reused, fake_kernel_reset),
		cmocka_unit_test_setup(cancel_from_progress, fake_kernel_reset),
		cmocka_unit_test_setup_teardown(from_nodes_filter, four_nodes_setup,
						four_nodes_teardown),
		cmocka_unit_test_setup_teardown(from_nodes_bad_input, four_nodes_setup,
						four_nodes_teardown),
		cmocka_unit_test_setup(move_shared, fake_kernel_reset),
#ifndef SHADOW_MEMORY	/* see whole_process_ok() */
		cmocka_unit_test_setup_teardown(migrate_pages_whole_process, four_nodes_setup,
						four_nodes_teardown),
#endif
		cmocka_unit_test_setup_teardown(migrate_pages_choices, four_nodes_setup,
						four_nodes_teardown),
#ifndef SHADOW_MEMORY
		cmocka_unit_test_setup_teardown(migrate_pages_huge, four_nodes_setup,
						four_nodes_thp_teardown),
#endif
		cmocka_unit_test_setup(migrate_method_bad_input, fake_kernel_reset),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
#ifdef SHADOW_MEMORY
	printf("# not run under a sanitizer (shadow memory): the two whole-process migrate_pages tests\n");
#endif
	return cmocka_run_group_tests_name("libcdm migration against a scripted kernel", tests,
					   fake_kernel_setup, fake_kernel_teardown);
}
