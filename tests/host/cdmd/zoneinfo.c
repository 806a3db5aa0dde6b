// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daemon/zoneinfo.c: /proc/zoneinfo's per-CPU free lists and low
 * watermarks per node, from files in the kernel's format (and this
 * host's own /proc/zoneinfo), malformed and hostile ones; and how much
 * of the lists a fast node's free counts.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "zoneinfo.h"

#define MIB (1024ull * 1024)

static char path[] = "/tmp/cdmd-zoneinfo-XXXXXX";
static struct cdmd_zoneinfo zi;

static int setup(void **state)
{
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	return 0;
}

static void put(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* one zone in the kernel's layout, with two CPUs' lists */
static char *zone(char *p, int node, const char *name, unsigned long low,
		  unsigned long count0, unsigned long count1)
{
	return p + sprintf(p,
		"Node %d, zone %8s\n"
		"  pages free     3840\n"
		"        boost    0\n"
		"        min      %lu\n"
		"        low      %lu\n"
		"        high     %lu\n"
		"        promo    %lu\n"
		"        spanned  4095\n"
		"        protection: (0, 3018, 8906, 8906, 8906)\n"
		"      nr_free_pages 3840\n"
		"  pagesets\n"
		"    cpu: 0\n"
		"              count:    %lu\n"
		"              high:     %lu\n"
		"              batch:    63\n"
		"              high_min: 17\n"
		"              high_max: 240\n"
		"  vm stats threshold: 4\n"
		"    cpu: 1\n"
		"              count:    %lu\n"
		"              high:     %lu\n"
		"              batch:    63\n"
		"  node_unreclaimable:  0\n"
		"  start_pfn:           1\n",
		node, name, low * 4 / 5, low, low * 6 / 5, low * 7 / 5,
		count0, count0 + 1000, count1, count1 + 1000);
}

/* two nodes: node 0 with DMA, DMA32, Normal, node 1 (CPU-less) Movable */
static void sums_per_node(void **state)
{
	static char text[8192];
	char *p = text;

	p = zone(p, 0, "DMA", 10, 0, 0);
	p = zone(p, 0, "DMA32", 3000, 512, 100);
	p = zone(p, 0, "Normal", 9000, 4000, 1388);
	zone(p, 1, "Movable", 2000, 70, 30);
	put(text);
	assert_int_equal(cdmd_read_zoneinfo(path, 4096, &zi), 0);
	assert_true(zi.seen[0]);
	assert_true(zi.seen[1]);
	assert_false(zi.seen[2]);
	assert_int_equal(zi.low[0], 12010 * 4096ull);
	assert_int_equal(zi.cpu_lists[0], (512 + 100 + 4000 + 1388) * 4096ull);
	assert_int_equal(zi.low[1], 2000 * 4096ull);
	assert_int_equal(zi.cpu_lists[1], 100 * 4096ull);
	/* pages of 64 KiB */
	assert_int_equal(cdmd_read_zoneinfo(path, 65536, &zi), 0);
	assert_int_equal(zi.cpu_lists[1], 100 * 65536ull);
}

/* this machine's own file */
static void this_host(void **state)
{
	long ps = sysconf(_SC_PAGESIZE);

	assert_int_equal(cdmd_read_zoneinfo("/proc/zoneinfo", ps, &zi), 0);
	assert_true(zi.seen[0]);
	assert_true(zi.low[0] > 0);
	assert_true(zi.low[0] % ps == 0);
	assert_true(zi.cpu_lists[0] % ps == 0);
}

/* lines it does not know, nodes it cannot hold, lines too long: passed
 * over; the lines it reads, wrong: -EINVAL */
static void hostile(void **state)
{
	static char text[8192];
	static const char *const bad[] = {
		"Node 0, zone Normal\n        low\n",
		"Node 0, zone Normal\n        low      x12\n",
		"Node 0, zone Normal\n        low      12 13\n",
		"Node 0, zone Normal\n        low      -1\n",
		"Node 0, zone Normal\n        low      99999999999999999999999\n",
		"Node 0, zone Normal\n        low      281474976710656\n",	/* 2^48 */
		"Node 0, zone Normal\n              count: 0x10\n",
		"Node 0, zone Normal\n              count:\n",
	};
	size_t i;
	char *p;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(bad[i]);
		assert_int_equal(cdmd_read_zoneinfo(path, 4096, &zi), -EINVAL);
	}

	/* beyond CDM_MAX_NODES, negative, before any header: not counted */
	put("        low      5\n"
	    "Node 1024, zone Normal\n        low      7\n              count: 3\n"
	    "Node -1, zone Normal\n        low      7\n"
	    "Node 3, zone Normal\n        low      9\n              count: 2\n"
	    "garbage line\n\n        lowish   77\n              counts: 5\n");
	assert_int_equal(cdmd_read_zoneinfo(path, 4096, &zi), 0);
	assert_int_equal(zi.low[3], 9 * 4096ull);
	assert_int_equal(zi.cpu_lists[3], 2 * 4096ull);
	assert_false(zi.seen[0]);
	assert_int_equal(zi.low[0], 0);

	/* a line longer than the reader's buffer is skipped whole, even
	 * when what follows its cut looks like a line it reads */
	p = text + sprintf(text, "Node 2, zone Normal\n        low      4\n#");
	memset(p, 'x', 300);
	p += 300;
	sprintf(p, "low 1000\n              count: 6\n");
	put(text);
	assert_int_equal(cdmd_read_zoneinfo(path, 4096, &zi), 0);
	assert_int_equal(zi.low[2], 4 * 4096ull);
	assert_int_equal(zi.cpu_lists[2], 6 * 4096ull);

	/* sums saturate instead of wrapping */
	p = text + sprintf(text, "Node 0, zone Normal\n");
	for (i = 0; i < 40; i++)
		p += sprintf(p, "              count: 281474976710655\n");
	put(text);
	assert_int_equal(cdmd_read_zoneinfo(path, 65536, &zi), 0);
	assert_true(zi.cpu_lists[0] == UINT64_MAX);

	assert_int_equal(cdmd_read_zoneinfo("/nonexistent/zoneinfo", 4096, &zi), -ENOENT);
	assert_int_equal(cdmd_read_zoneinfo(path, 0, &zi), -EINVAL);
	assert_int_equal(cdmd_read_zoneinfo(path, 1 << 17, &zi), -EINVAL);
}

/* the lists count as far as promoting into them keeps MemFree above the
 * low watermark */
static void free_with_lists(void **state)
{
	/* MemFree 67 MiB, 20 MiB on the lists, low 56 MiB, keep 68 MiB:
	 * 12 MiB of the lists count, so 11 MiB may be promoted */
	assert_int_equal(cdmd_free_with_cpu_lists(67 * MIB, 20 * MIB, 56 * MIB, 68 * MIB),
			 79 * MIB);
	/* fewer on the lists than keep - low: all of them */
	assert_int_equal(cdmd_free_with_cpu_lists(67 * MIB, 3 * MIB, 56 * MIB, 68 * MIB),
			 70 * MIB);
	/* keep at or below low: MemFree alone */
	assert_int_equal(cdmd_free_with_cpu_lists(67 * MIB, 20 * MIB, 56 * MIB, 56 * MIB),
			 67 * MIB);
	assert_int_equal(cdmd_free_with_cpu_lists(67 * MIB, 20 * MIB, 56 * MIB, 0), 67 * MIB);
	/* MemFree under low already: nothing above keep */
	assert_true(cdmd_free_with_cpu_lists(50 * MIB, 20 * MIB, 56 * MIB, 68 * MIB) < 68 * MIB);
	/* at the extremes */
	assert_int_equal(cdmd_free_with_cpu_lists(0, UINT64_MAX, 0, UINT64_MAX / 2),
			 UINT64_MAX / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sums_per_node),
		cmocka_unit_test(this_host),
		cmocka_unit_test(hostile),
		cmocka_unit_test(free_with_lists),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
