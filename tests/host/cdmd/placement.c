// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daemon/migrate.c's placement estimate, on this process's own memory
 * (move_pages(2) queries of this host's kernel): a region whose present
 * pages lie between the samples of one round is seen in others, and the
 * estimate over rounds comes to what is there.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(estimate_over_rounds),
		cmocka_unit_test(samples_inside),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("cdmd placement", tests, NULL, NULL);
}
