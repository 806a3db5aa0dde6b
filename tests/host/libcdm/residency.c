// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Residency against the scripted kernel of fakekernel.c, which plays both
 * sources: /proc/PID/pagemap (PFNs in the memory blocks of the fake
 * sysfs, hidden as from a caller without CAP_SYS_ADMIN on request) and
 * move_pages(2) in query mode. What is checked:
 *
 *  - one answer whatever the source: the zero page, swapped, untouched
 *    and device pages count the same through pagemap and move_pages;
 *  - separate counters that add up to the total, errors with their errno;
 *  - one source per update, reported; a pagemap failing part-way makes
 *    AUTO count everything again with move_pages, never a mix;
 *  - memory hot-added in a node the context has never seen, between two
 *    updates and during one, is counted on that node;
 *  - pages per node for any node number, an errno outside them;
 *  - the zero page's PFNs learnt once per context, a failed probe not.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "fakekernel.h"
#include "fakesys.h"
#include "private.h"

/* what a getter's value holds until the getter writes it */
#define UNTOUCHED 0x5a5a5a5a5a5a5a5aULL

/* Pages on @node, a node number the getter must answer for */
static unsigned long long on_node(struct cdm_residency *res, int node)
{
	unsigned long long pages = UNTOUCHED;

	assert_int_equal(cdm_residency_get_pages(res, node, &pages), 0);
	return pages;
}

/* Every page's state and node of an update, for comparing sources */
struct counts {
	unsigned long long total, zero, swapped, not_present, errors;
	unsigned long long node[4];
	int max_node;
	enum cdm_residency_source used;
};

static const char *source_name(enum cdm_residency_source s)
{
	return s == CDM_RESIDENCY_PAGEMAP ? "pagemap" : s == CDM_RESIDENCY_MOVE_PAGES ?
	       "move_pages" : "auto";
}

static const char *show(const struct counts *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s: total %llu, nodes %llu %llu %llu %llu, zero %llu, "
		 "swapped %llu, not present %llu, errors %llu, max node %d",
		 source_name(c->used), c->total, c->node[0], c->node[1], c->node[2],
		 c->node[3], c->zero, c->swapped, c->not_present, c->errors, c->max_node);
	return buf;
}

/* Residency of pages [0, pages) of the model from @source; 0 or the
 * update's error, the counts in @c */
static int count_pages(enum cdm_residency_source source, int pages, struct counts *c)
{
	struct cdm_residency *res;
	unsigned long long sum = 0;
	char buf[256];
	int rc, n;

	memset(c, 0, sizeof(*c));
	assert_int_equal(cdm_residency_new(ctx, 0, &res), 0);
	assert_int_equal(cdm_residency_get_source_used(res), CDM_RESIDENCY_AUTO);
	assert_int_equal(cdm_residency_set_range(res, (uintptr_t)base,
						 (uintptr_t)addr_of(pages)), 0);
	assert_int_equal(cdm_residency_set_source(res, source), 0);
	rc = cdm_residency_update(res);
	c->total = cdm_residency_get_total(res);
	c->zero = cdm_residency_get_zero_page(res);
	c->swapped = cdm_residency_get_swapped(res);
	c->not_present = cdm_residency_get_not_present(res);
	c->errors = cdm_residency_get_errors(res);
	for (n = 0; n < 4; n++)
		c->node[n] = on_node(res, n);
	c->max_node = cdm_residency_get_max_node(res);
	c->used = cdm_residency_get_source_used(res);
	if (!rc) {
		for (n = 0; n < CDM_MAX_NODES; n++)
			sum += on_node(res, n);
		/* every page in exactly one counter */
		if (sum + c->zero + c->swapped + c->not_present + c->errors != c->total ||
		    c->total != (unsigned long long)pages)
			fail_msg("counts do not add up to %d: %s", pages,
				 show(c, buf, sizeof(buf)));
	}
	cdm_residency_free(res);
	return rc;
}

/* @line: the caller's, for the failure message */
static void expect_counts_at(int line, enum cdm_residency_source source, int pages,
			     const struct counts *want)
{
	char got_buf[256], want_buf[256];
	struct counts got;
	int rc = count_pages(source, pages, &got);

	if (rc)
		fail_msg("line %d: %s: update %d '%s'", line, source_name(source), rc,
			 cdm_get_last_error(ctx));
	if (memcmp(&got, want, sizeof(got)))
		fail_msg("line %d: %s:\n got  %s\n want %s", line, source_name(source),
			 show(&got, got_buf, sizeof(got_buf)),
			 show(want, want_buf, sizeof(want_buf)));
}
#define expect_counts(source, pages, want) \
	expect_counts_at(__LINE__, source, pages, want)

/* The model: pages [0, 256) the zero page, [256, 384) swapped, [384, 512)
 * never touched, [512, 1024) on TARGET, the rest on HOME. */
static void script_states(void)
{
	int p;

	for (p = 0; p < 256; p++)
		kernel.page[p].node = -EFAULT;
	for (p = 256; p < 384; p++) {
		kernel.page[p].node = -ENOENT;
		kernel.page[p].swapped = true;
	}
	for (p = 384; p < 512; p++)
		kernel.page[p].node = -ENOENT;
	for (p = 512; p < 1024; p++)
		kernel.page[p].node = TARGET;
}

static const struct counts states = {
	.total = NR_PAGES, .zero = 256, .swapped = 128, .not_present = 128,
	.node = { NR_PAGES - 1024, 512 }, .max_node = TARGET,
};

/*
 * A read-only mapping never written maps the zero page. pagemap shows its
 * PFN (in node 0's memory, where the kernel image is), move_pages answers
 * -EFAULT: both count it as the zero page, on no node.
 */
static void zero_page_same_answer(void **state)
{
	struct counts want = states;

	script_states();
	want.used = CDM_RESIDENCY_PAGEMAP;
	expect_counts(CDM_RESIDENCY_PAGEMAP, NR_PAGES, &want);
	expect_counts(CDM_RESIDENCY_AUTO, NR_PAGES, &want);
	want.used = CDM_RESIDENCY_MOVE_PAGES;
	expect_counts(CDM_RESIDENCY_MOVE_PAGES, NR_PAGES, &want);
	kernel.pfn_hidden = true;	/* not root: AUTO takes move_pages */
	expect_counts(CDM_RESIDENCY_AUTO, NR_PAGES, &want);
}

/*
 * Swapped (pagemap's swap bit), never touched, zero page and errors are
 * counted apart, the same from both sources; errors keep address and
 * errno. Device memory (present, in no node's memory blocks; a query says
 * -ENOENT) is an error ENXIO either way.
 */
static void separate_counters(void **state)
{
	struct cdm_residency *res;
	struct counts want = states;
	uint64_t addr;
	int p, err;

	script_states();
	for (p = 1024; p < 1024 + 70; p++) {
		kernel.page[p].node = -ENOENT;
		kernel.page[p].device = true;
	}
	want.errors = 70;
	want.node[HOME] -= 70;
	want.used = CDM_RESIDENCY_PAGEMAP;
	expect_counts(CDM_RESIDENCY_PAGEMAP, NR_PAGES, &want);
	want.used = CDM_RESIDENCY_MOVE_PAGES;
	expect_counts(CDM_RESIDENCY_MOVE_PAGES, NR_PAGES, &want);

	/* the first 64 errors are listed, in address order */
	assert_int_equal(cdm_residency_new(ctx, 0, &res), 0);
	assert_int_equal(cdm_residency_set_range(res, (uintptr_t)base,
						 (uintptr_t)addr_of(NR_PAGES)), 0);
	assert_int_equal(cdm_residency_update(res), 0);
	for (p = 0; p < 64; p++) {
		assert_int_equal(cdm_residency_get_error(res, p, &addr, &err), 0);
		assert_ptr_equal((void *)(uintptr_t)addr, addr_of(1024 + p));
		assert_int_equal(err, ENXIO);
	}
	assert_int_equal(cdm_residency_get_error(res, 64, &addr, &err), -ERANGE);
	cdm_residency_free(res);

	/* an errno the kernel gives for one page is kept as it is */
	kernel_reset();
	kernel.page[5].node = -EIO;
	want = (struct counts){ .total = 16, .errors = 1, .node = { 15 }, .max_node = HOME,
				.used = CDM_RESIDENCY_MOVE_PAGES };
	expect_counts(CDM_RESIDENCY_MOVE_PAGES, 16, &want);
	assert_int_equal(cdm_residency_new(ctx, 0, &res), 0);
	assert_int_equal(cdm_residency_set_range(res, (uintptr_t)base,
						 (uintptr_t)addr_of(16)), 0);
	assert_int_equal(cdm_residency_set_source(res, CDM_RESIDENCY_MOVE_PAGES), 0);
	assert_int_equal(cdm_residency_update(res), 0);
	assert_int_equal(cdm_residency_get_error(res, 0, &addr, &err), 0);
	assert_ptr_equal((void *)(uintptr_t)addr, addr_of(5));
	assert_int_equal(err, EIO);
	assert_int_equal(cdm_residency_get_error(res, 1, &addr, &err), -ERANGE);
	cdm_residency_free(res);
}

/* The model's mapping in 3 VMAs, so that an update reads it in 3 chunks */
static void split_mapping(bool split)
{
	assert_int_equal(mprotect(addr_of(700), 600 * ps, split ? PROT_READ :
				  PROT_READ | PROT_WRITE), 0);
}

/*
 * The source is chosen once and reported: pagemap when PFNs are visible
 * (then move_pages is never asked about a page), move_pages when not. A
 * pagemap read failing in the second of three chunks makes AUTO count all
 * three again with move_pages; PAGEMAP itself fails, and says where.
 */
static void one_source_per_update(void **state)
{
	struct counts want = { .total = NR_PAGES, .not_present = 128,
			       .node = { NR_PAGES - 640, 512 }, .max_node = TARGET }, got;
	char msg[128];
	int p;

	/* pages both sources see alike, even unfixed: never touched, nodes */
	for (p = 384; p < 512; p++)
		kernel.page[p].node = -ENOENT;
	for (p = 512; p < 1024; p++)
		kernel.page[p].node = TARGET;
	split_mapping(true);
	want.used = CDM_RESIDENCY_PAGEMAP;
	expect_counts(CDM_RESIDENCY_AUTO, NR_PAGES, &want);
	assert_int_equal(kernel.queried, 0);
	assert_int_equal(kernel.pagemap_reads, 3);

	kernel.pagemap_reads = 0;
	kernel.pagemap_fail_read = 2;
	kernel.pagemap_fail_err = EIO;
	want.used = CDM_RESIDENCY_MOVE_PAGES;
	expect_counts(CDM_RESIDENCY_AUTO, NR_PAGES, &want);
	/* every present page of all three chunks asked: not only the second */
	assert_int_equal(kernel.queried, NR_PAGES - 128);

	kernel.pagemap_reads = 0;
	assert_int_equal(count_pages(CDM_RESIDENCY_PAGEMAP, NR_PAGES, &got), -EIO);
	snprintf(msg, sizeof(msg), "pid %d: pagemap at %p: %s", getpid(), addr_of(700),
		 strerror(EIO));
	assert_string_equal(cdm_get_last_error(ctx), msg);

	/* PFNs hidden: PAGEMAP says why before reading a page */
	kernel.pagemap_fail_read = 0;
	kernel.pfn_hidden = true;
	kernel.pagemap_reads = 0;
	assert_int_equal(count_pages(CDM_RESIDENCY_PAGEMAP, NR_PAGES, &got), -EPERM);
	snprintf(msg, sizeof(msg), "pid %d: pagemap: PFNs hidden (needs CAP_SYS_ADMIN)",
		 getpid());
	assert_string_equal(cdm_get_last_error(ctx), msg);
	assert_int_equal(kernel.pagemap_reads, 0);
	split_mapping(false);
}

static const struct fake_node four[] = {
	{ 0, "0-1", 4096, "10 20 20 20" },
	{ 1, "", 4096, "20 10 20 20" },
	{ 2, "", 4096, "20 20 10 20" },
	{ 3, "", 4096, "20 20 20 10" },
};

/* Node @node onlined with memory (a CXL region through kmem), and the
 * first 100 pages of the model on it */
static void hot_add(int node)
{
	int p;

	fakesys_machine(four, node + 1);
	memory_blocks_add(node);
	for (p = 0; p < 100; p++)
		kernel.page[p].node = node;
}

/*
 * A node onlined after the context read the topology: its pages are on
 * it, not "unknown", by pagemap (which reads the memory blocks again) as
 * by move_pages.
 */
static void node_added_between_updates(void **state)
{
	struct counts want = { .total = NR_PAGES, .node = { NR_PAGES }, .max_node = HOME,
			       .used = CDM_RESIDENCY_PAGEMAP };

	assert_non_null(cdm_node_get_by_id(ctx, 1));	/* the topology is read */
	expect_counts(CDM_RESIDENCY_PAGEMAP, NR_PAGES, &want);
	hot_add(2);
	want.node[HOME] -= 100;
	want.node[2] = 100;
	want.max_node = 2;
	expect_counts(CDM_RESIDENCY_PAGEMAP, NR_PAGES, &want);
	expect_counts(CDM_RESIDENCY_AUTO, NR_PAGES, &want);
	assert_int_equal(kernel.queried, 0);
	want.used = CDM_RESIDENCY_MOVE_PAGES;
	expect_counts(CDM_RESIDENCY_MOVE_PAGES, NR_PAGES, &want);
}

static void add_node_3(unsigned int read)
{
	if (read == 1)
		hot_add(3);
}

/* ... and during an update, after the PFN map was read */
static void node_added_during_update(void **state)
{
	struct counts want = { .total = NR_PAGES, .node = { NR_PAGES - 100, 0, 0, 100 },
			       .max_node = 3, .used = CDM_RESIDENCY_PAGEMAP };

	kernel.pagemap_hook = add_node_3;
	expect_counts(CDM_RESIDENCY_PAGEMAP, NR_PAGES, &want);
	kernel.pagemap_hook = NULL;
}

/*
 * Pages per node: 0 and the count for every node number a node may have
 * (0 for one that holds none, online or not); -EINVAL for a negative
 * one, -ERANGE above CDM_MAX_NODES - 1, with the count left untouched,
 * never a plausible 0.
 */
static void pages_per_node(void **state)
{
	unsigned long long pages = UNTOUCHED;
	struct cdm_residency *res;

	script_states();
	assert_int_equal(cdm_residency_new(ctx, 0, &res), 0);
	assert_int_equal(cdm_residency_set_range(res, (uintptr_t)base,
						 (uintptr_t)addr_of(NR_PAGES)), 0);
	assert_int_equal(cdm_residency_update(res), 0);
	assert_int_equal(cdm_residency_get_pages(res, TARGET, &pages), 0);
	assert_int_equal(pages, 512);
	pages = UNTOUCHED;
	assert_int_equal(cdm_residency_get_pages(res, CDM_MAX_NODES - 1, &pages), 0);
	assert_int_equal(pages, 0);

	pages = UNTOUCHED;
	assert_int_equal(cdm_residency_get_pages(res, -1, &pages), -EINVAL);
	assert_int_equal(pages, UNTOUCHED);
	assert_string_equal(cdm_get_last_error(ctx), "node -1: invalid node number");
	assert_int_equal(cdm_residency_get_pages(res, CDM_MAX_NODES, &pages), -ERANGE);
	assert_int_equal(pages, UNTOUCHED);
	assert_string_equal(cdm_get_last_error(ctx), "node 1024: node number above 1023");
	assert_int_equal(cdm_residency_get_pages(res, TARGET, NULL), -EINVAL);
	/* an error's index is an int: below 0 is outside the list */
	assert_int_equal(cdm_residency_get_error(res, -1, NULL, NULL), -ERANGE);
	cdm_residency_free(res);
}

/* An update of the whole model through @c: 0 or its error; the zero
 * pages it counted in *@zero */
static int update_with(struct cdm_ctx *c, enum cdm_residency_source source,
		       unsigned long long *zero)
{
	struct cdm_residency *res;
	int rc;

	assert_int_equal(cdm_residency_new(c, 0, &res), 0);
	assert_int_equal(cdm_residency_set_range(res, (uintptr_t)base,
						 (uintptr_t)addr_of(NR_PAGES)), 0);
	assert_int_equal(cdm_residency_set_source(res, source), 0);
	rc = cdm_residency_update(res);
	*zero = cdm_residency_get_zero_page(res);
	cdm_residency_free(res);
	return rc;
}

/*
 * The zero page's PFNs are learnt once per context, not probed for at
 * every update; a probe that fails (PFNs hidden) leaves nothing learnt,
 * and the next update probes again. While the huge zero page is not
 * found (THP off, no memory for it then), each update looks for it again.
 * PFNs hidden after all was learnt (capabilities dropped) show at the
 * first present page: PAGEMAP fails, AUTO counts with move_pages.
 */
static void zero_pfns_learnt_once(void **state)
{
	unsigned long long zero = 0;
	struct cdm_ctx *c;
	char msg[128];

	script_states();
	assert_int_equal(cdm_new(&c), 0);
	fake_kernel_attach(c);

	kernel.pfn_hidden = true;
	assert_int_equal(update_with(c, CDM_RESIDENCY_PAGEMAP, &zero), -EPERM);
	assert_int_equal(kernel.zero_probes, 1);
	assert_int_equal(update_with(c, CDM_RESIDENCY_AUTO, &zero), 0);
	assert_int_equal(zero, 256);
	assert_int_equal(kernel.zero_probes, 2);

	/* visible: the small zero page learnt, the huge one looked for */
	kernel.pfn_hidden = false;
	assert_int_equal(update_with(c, CDM_RESIDENCY_PAGEMAP, &zero), 0);
	assert_int_equal(zero, 256);
	assert_int_equal(kernel.zero_probes, 3);
	assert_int_equal(update_with(c, CDM_RESIDENCY_PAGEMAP, &zero), 0);
	assert_int_equal(kernel.zero_probes, 4);

	/* the huge zero page found: nothing left to learn */
	kernel.huge_zero = true;
	assert_int_equal(update_with(c, CDM_RESIDENCY_PAGEMAP, &zero), 0);
	assert_int_equal(kernel.zero_probes, 5);
	assert_int_equal(update_with(c, CDM_RESIDENCY_PAGEMAP, &zero), 0);
	assert_int_equal(update_with(c, CDM_RESIDENCY_AUTO, &zero), 0);
	assert_int_equal(zero, 256);
	assert_int_equal(kernel.zero_probes, 5);

	kernel.pfn_hidden = true;
	assert_int_equal(update_with(c, CDM_RESIDENCY_PAGEMAP, &zero), -EPERM);
	snprintf(msg, sizeof(msg), "pid %d: pagemap at %p: PFNs hidden (needs CAP_SYS_ADMIN)",
		 getpid(), addr_of(0));
	assert_string_equal(cdm_get_last_error(c), msg);
	assert_int_equal(update_with(c, CDM_RESIDENCY_AUTO, &zero), 0);
	assert_int_equal(zero, 256);
	assert_int_equal(kernel.zero_probes, 5);

	/* another context learns for itself */
	kernel.pfn_hidden = false;
	assert_null(cdm_unref(c));
	assert_int_equal(update_with(ctx, CDM_RESIDENCY_PAGEMAP, &zero), 0);
	assert_int_equal(kernel.zero_probes, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(zero_page_same_answer, fake_kernel_reset),
		cmocka_unit_test_setup(separate_counters, fake_kernel_reset),
		cmocka_unit_test_setup(one_source_per_update, fake_kernel_reset),
		cmocka_unit_test_setup(node_added_between_updates, fake_kernel_reset),
		cmocka_unit_test_setup(node_added_during_update, fake_kernel_reset),
		cmocka_unit_test_setup(pages_per_node, fake_kernel_reset),
		cmocka_unit_test_setup(zero_pfns_learnt_once, fake_kernel_reset),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("libcdm residency against a scripted kernel", tests,
					   fake_kernel_setup, fake_kernel_teardown);
}
