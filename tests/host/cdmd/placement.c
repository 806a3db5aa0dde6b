// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daemon/migrate.c's placement estimate, on this process's own memory
 * (move_pages(2) queries of this host's kernel): a region whose present
 * pages lie between the samples of one round is seen in others, and the
 * estimate over rounds comes to what is there; regions cut to the
 * process's mappings, so that no sample falls in a gap.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "migrate.h"

#define PAGES 1024

static void estimate_over_rounds(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	struct cdmd_target t = { .policy = CDMD_POLICY_TIERING };
	struct cdmd_region r = { 0 };
	struct cdmd_policy_region out;
	uint64_t sum = 0, first_seen = UINT64_MAX, seq;
	char *p;
	int i;

	/* 1024 pages, of which only the first 16 are ever touched: each of
	 * the 16 samples has a part of 64 pages, and the old samples, in the
	 * middle of each part, never fell on them */
	p = mmap(NULL, PAGES * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	madvise(p, PAGES * page, MADV_NOHUGEPAGE);
	for (i = 0; i < 16; i++)
		p[i * page] = 1;
	cdm_nodeset_add(&t.fast_nodes, 0);
	r.start = (uintptr_t)p;
	r.end = (uintptr_t)p + PAGES * page;
	for (seq = 0; seq < 256; seq++) {
		memset(&out, 0, sizeof(out));
		assert_int_equal(cdmd_sample_placement(getpid(), &t, seq, &r, 1, &out), 0);
		assert_int_equal(out.start, r.start);
		assert_int_equal(out.end, r.end);
		if (out.present && first_seen == UINT64_MAX)
			first_seen = seq;
		sum += out.present;
	}
	print_message("# first seen in round %" PRIu64 "; present on average %" PRIu64
		      " bytes (%ld there)\n", first_seen, sum / 256, 16 * page);
	assert_true(first_seen < 8);
	/* a quarter of the rounds see one page of the 16 samples' 64 */
	assert_in_range(sum / 256, 12 * page, 20 * page);
	munmap(p, PAGES * page);
}

/* the samples stay inside the region, whatever its length and the round */
static void samples_inside(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	struct cdmd_target t = { .policy = CDMD_POLICY_TIERING };
	struct cdmd_region r = { 0 };
	struct cdmd_policy_region out;
	uint64_t seq, n;
	char *p;

	/* a guard page on each side, never present: a sample there would
	 * count as not present; a region of all present pages must read
	 * as present whole */
	p = mmap(NULL, 40 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	memset(p + page, 1, 38 * page);
	cdm_nodeset_add(&t.fast_nodes, 0);
	for (n = 1; n <= 38; n++) {
		r.start = (uintptr_t)p + page;
		r.end = r.start + n * page;
		for (seq = 0; seq < 64; seq++) {
			assert_int_equal(cdmd_sample_placement(getpid(), &t, seq, &r, 1, &out), 0);
			assert_int_equal(out.present, n * page / CDMD_PLACEMENT_SAMPLES *
					 CDMD_PLACEMENT_SAMPLES);
			assert_int_equal(out.on_fast, out.present);
		}
	}
	seq = UINT64_MAX;
	assert_int_equal(cdmd_sample_placement(getpid(), &t, seq, &r, 1, &out), 0);
	assert_int_equal(out.present, 38 * page / CDMD_PLACEMENT_SAMPLES * CDMD_PLACEMENT_SAMPLES);
	munmap(p, 40 * page);
}

#define R(s, e, acc, age) { (s) << 12, (e) << 12, acc, age }

/* the parts of regions inside ranges, with the regions' counts */
/* the mapping a move lies in: found by any part of it, none across two,
 * in a gap, past the ends, or empty */
static void enclosing(void **state)
{
	const struct cdm_range r[] = {
		{ 0x1000, 0x5000 }, { 0x5000, 0x8000 }, { 0x10000, 0x20000 },
	};
	struct cdm_range out = { 1, 2 };

	assert_true(cdmd_enclosing_range(r, 3, 0x1000, 0x5000, &out));
	assert_int_equal(out.start, 0x1000);
	assert_int_equal(out.end, 0x5000);
	assert_true(cdmd_enclosing_range(r, 3, 0x6000, 0x7000, &out));
	assert_int_equal(out.start, 0x5000);
	assert_true(cdmd_enclosing_range(r, 3, 0x1f000, 0x20000, &out));
	assert_int_equal(out.start, 0x10000);
	out = (struct cdm_range){ 1, 2 };
	assert_false(cdmd_enclosing_range(r, 3, 0x4000, 0x6000, &out));	/* two */
	assert_false(cdmd_enclosing_range(r, 3, 0x8000, 0x9000, &out));	/* gap */
	assert_false(cdmd_enclosing_range(r, 3, 0x9000, 0x11000, &out));
	assert_false(cdmd_enclosing_range(r, 3, 0x0, 0x1000, &out));
	assert_false(cdmd_enclosing_range(r, 3, 0x20000, 0x21000, &out));
	assert_false(cdmd_enclosing_range(r, 3, 0x2000, 0x2000, &out));
	assert_false(cdmd_enclosing_range(r, 0, 0x2000, 0x3000, &out));
	assert_int_equal(out.start, 1);		/* untouched */
	assert_int_equal(out.end, 2);
}

static void clip_cases(void **state)
{
	const struct cdmd_region regions[] = {
		R(0, 100, 5, 1),	/* over a gap: two parts */
		R(100, 120, 0, 9),	/* in the gap: none */
		R(120, 130, 3, 2),	/* ends where a range begins: none */
		R(130, 140, 7, 0),	/* two ranges touching: two parts */
		R(200, 300, 1, 4),	/* past the last range: none */
	};
	const struct cdm_range ranges[] = {
		{ 10ull << 12, 40ull << 12 },
		{ 60ull << 12, 100ull << 12 },
		{ 130ull << 12, 135ull << 12 },
		{ 135ull << 12, 150ull << 12 },
	};
	const struct cdmd_region want[] = {
		R(10, 40, 5, 1), R(60, 100, 5, 1), R(130, 135, 7, 0), R(135, 140, 7, 0),
	};
	struct cdmd_region *out;
	size_t nr, i;

	assert_int_equal(cdmd_clip_regions(regions, 5, ranges, 4, &out, &nr), 0);
	assert_int_equal(nr, 4);
	for (i = 0; i < nr; i++) {
		assert_int_equal(out[i].start, want[i].start);
		assert_int_equal(out[i].end, want[i].end);
		assert_int_equal(out[i].accesses, want[i].accesses);
		assert_int_equal(out[i].age, want[i].age);
	}
	free(out);
	/* nothing to clip, or nothing mapped */
	assert_int_equal(cdmd_clip_regions(regions, 0, ranges, 4, &out, &nr), 0);
	assert_int_equal(nr, 0);
	assert_null(out);
	assert_int_equal(cdmd_clip_regions(regions, 5, ranges, 0, &out, &nr), 0);
	assert_int_equal(nr, 0);
	assert_null(out);
	assert_int_equal(cdmd_clip_regions(&regions[1], 1, ranges, 4, &out, &nr), 0);
	assert_int_equal(nr, 0);
	assert_null(out);
	/* one range under many regions: the regions, whole */
	{
		const struct cdm_range all = { 0, 400ull << 12 };

		assert_int_equal(cdmd_clip_regions(regions, 5, &all, 1, &out, &nr), 0);
		assert_int_equal(nr, 5);
		assert_memory_equal(out, regions, sizeof(regions));
		free(out);
	}
}

/*
 * A region over two mappings and the hole between them, as DAMON's first
 * regions span the gaps of a process: sampled whole, the samples in the
 * hole count for nothing and the estimate falls short; clipped to the
 * process's movable ranges, it is all of the pages.
 */
static void clipped_estimate(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	struct cdmd_target t = { .policy = CDMD_POLICY_TIERING };
	struct cdmd_region whole, *parts;
	struct cdmd_policy_region out[4];
	struct cdm_range *ranges;
	struct cdm_ctx *ctx;
	size_t nr_ranges, nr, i;
	uint64_t sum = 0;
	char *p;

	assert_int_equal(cdm_new(&ctx), 0);
	p = mmap(NULL, 96 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	memset(p, 1, 96 * page);
	assert_int_equal(munmap(p + 32 * page, 32 * page), 0);
	cdm_nodeset_add(&t.fast_nodes, 0);
	whole = (struct cdmd_region){ (uintptr_t)p, (uintptr_t)p + 96 * page, 20, 0 };

	/* round 0: sample j at page 6j; j = 6..10 fall in the hole */
	assert_int_equal(cdmd_sample_placement(getpid(), &t, 0, &whole, 1, out), 0);
	assert_int_equal(out[0].present, 96 * page / 16 * 11);

	assert_int_equal(cdm_get_movable_ranges(ctx, 0, whole.start, whole.end, &ranges,
						&nr_ranges), 0);
	assert_int_equal(nr_ranges, 2);
	assert_int_equal(cdmd_clip_regions(&whole, 1, ranges, nr_ranges, &parts, &nr), 0);
	assert_int_equal(nr, 2);
	assert_int_equal(cdmd_sample_placement(getpid(), &t, 0, parts, nr, out), 0);
	for (i = 0; i < nr; i++)
		sum += out[i].present;
	assert_int_equal(sum, 64 * page);
	free(parts);
	free(ranges);
	munmap(p, 32 * page);
	munmap(p + 64 * page, 32 * page);
	cdm_unref(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(estimate_over_rounds),
		cmocka_unit_test(samples_inside),
		cmocka_unit_test(clip_cases),
		cmocka_unit_test(enclosing),
		cmocka_unit_test(clipped_estimate),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("cdmd placement", tests, NULL, NULL);
}
