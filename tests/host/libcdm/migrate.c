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
 * In a VMA with THPs, 2 MiB blocks are passed by their head. Three folios:
 * the first pinned, the second shared, the third fine. The shared head
 * cuts the first call short, so the third head is passed again, alone;
 * the pinned folio is retried once, by its head only (its tails would
 * each answer -EBUSY), and its tails share its fate, as the shared
 * folio's share its.
 */
static char *thp_map, *saved_base;
static size_t thp_map_len;

static int thp_teardown(void **state)
{
	if (thp_map)
		munmap(thp_map, thp_map_len);
	thp_map = NULL;
	base = saved_base;
	return 0;
}

static void thp_heads(void **state)
{
	size_t len = 3 * FOLIO_PAGES * ps;
	struct cdm_migration *mig;
	int i;

	/* one chunk: libcdm cuts chunks at multiples of their size */
	thp_map_len = 2 * len;
	thp_map = mmap(NULL, thp_map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	assert_true(thp_map != MAP_FAILED);
	saved_base = base;
	base = thp_map + (len - (uintptr_t)thp_map % len) % len;
	madvise(base, len, MADV_HUGEPAGE);
	for (i = 0; i < 3 * FOLIO_PAGES; i++)
		base[(size_t)i * ps] = 1;
	if (!vma_has_thp(base))
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
	assert_int_equal(cdm_migration_get_huge_moved(mig), 1);
	/* heads only: all three, then the third, then the pinned one */
	assert_int_equal(kernel.listed[0], 3);
	assert_int_equal(kernel.listed[1], 1);
	assert_int_equal(kernel.listed[2], 1);
	for (i = 2 * FOLIO_PAGES; i < 3 * FOLIO_PAGES; i++)
		assert_int_equal(kernel.page[i].node, TARGET);
	expect_failed_pages(mig, 3 * FOLIO_PAGES, pinned_folio_busy);
	cdm_migration_free(mig);
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
		cmocka_unit_test_setup(full_node_stops, fake_kernel_reset),
		cmocka_unit_test_setup(return_values, fake_kernel_reset),
		cmocka_unit_test(errors_logged_where_they_happen),
		cmocka_unit_test_setup(pid_reused, fake_kernel_reset),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("libcdm migration against a scripted kernel", tests,
					   fake_kernel_setup, fake_kernel_teardown);
}
