// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What backs a node, over a fake sysfs whose memory blocks libcdm reads
 * itself, with the dax devices and CXL regions that libdaxctl and libcxl
 * would find played through libcdm's hidden seam (cdm__set_devices; this
 * program links libcdm.a). A node holds several backings at once: two
 * CXL regions through kmem and a dax device of no region in node 1; in
 * node 2 a region hot-added without a dax device (cdm_add_memory()) and
 * plain RAM; in node 0 plain RAM only; a dax device that the cxl_cdm
 * driver holds (its driver link and cxl_cdm/online in the fake sysfs, as
 * libcdm reads them) backs its node too, the backing naming the driver.
 * Then: the probe runs once, on
 * first request, from however many threads; cdm_refresh() makes the next
 * request probe again, hot-added and removed devices show, and what a
 * caller holds stays valid.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fakekernel.h"
#include "fakesys.h"
#include "private.h"

#define BLOCK (128ULL << 20)

static const struct fake_node three[] = {
	{ 0, "0-1", 1024, "10 20 20" },
	{ 1, "", 1024, "20 10 20" },
	{ 2, "", 1024, "20 20 10" },
};

static const struct fake_node four[] = {
	{ 0, "0-1", 1024, "10 20 20 30" },
	{ 1, "", 1024, "20 10 20 30" },
	{ 2, "", 1024, "20 20 10 30" },
	{ 3, "", 512, "30 30 30 10" },
};

/* what libdaxctl and libcxl find: the test edits it between probes */
static struct cdm_dax_dev dax[8];
static struct cdm_cxl_region regions[8];
static struct cdm_devices found;
static char *mem01[] = { "mem0", "mem1" }, *mem2[] = { "mem2" }, *mem3[] = { "mem3" },
	    *mem45[] = { "mem4", "mem5" };
static int list_calls;		/* atomic */
static int list_err;

static int fake_list(struct cdm_ctx *c, struct cdm_devices *devs)
{
	__atomic_add_fetch(&list_calls, 1, __ATOMIC_RELAXED);
	if (list_err)
		return list_err;
	*devs = found;
	return 0;
}

/* blocks [first, first + n) in node @node, online or not */
static void blocks(int node, int first, int n, bool online)
{
	char rel[128], target[64];
	int b;

	for (b = first; b < first + n; b++) {
		snprintf(rel, sizeof(rel), "devices/system/memory/memory%d/online", b);
		fakesys_write(rel, online ? "1\n" : "0\n");
		snprintf(rel, sizeof(rel), "devices/system/node/node%d/memory%d", node, b);
		snprintf(target, sizeof(target), "../../memory/memory%d", b);
		fakesys_symlink(rel, target);
	}
}

static void blocks_remove(int node, int first, int n)
{
	char rel[128];
	int b;

	for (b = first; b < first + n; b++) {
		snprintf(rel, sizeof(rel), "devices/system/node/node%d/memory%d", node, b);
		fakesys_write(rel, NULL);
		snprintf(rel, sizeof(rel), "devices/system/memory/memory%d/online", b);
		fakesys_write(rel, NULL);
	}
}

/*
 * node 0: blocks 0-7, plain RAM
 * node 1: 32-35 dax0.0 in region0 (2-way interleave: mem0, mem1),
 *         40-41 dax1.0 in region1 (mem2; the region is larger),
 *         44-45 dax2.0 in no region (soft-reserved memory, dax_hmem)
 * node 2: 64-67 region2 (mem3) hot-added without a dax device,
 *         70-71 plain RAM, 72 offline
 * and devices that back nothing here: dax5.0 on node 5 (not online),
 * dax6.0 on node 0 with no block online
 */
static void machine(void)
{
	fakesys_new();
	fakesys_machine(three, 3);
	fakesys_write("devices/system/memory/block_size_bytes", "8000000\n");
	blocks(0, 0, 8, true);
	blocks(1, 32, 4, true);
	blocks(1, 40, 2, true);
	blocks(1, 44, 2, true);
	blocks(2, 64, 4, true);
	blocks(2, 70, 2, true);
	blocks(2, 72, 1, false);

	dax[0] = (struct cdm_dax_dev){ "dax0.0", 1, 32 * BLOCK, 4 * BLOCK, true };
	dax[1] = (struct cdm_dax_dev){ "dax1.0", 1, 40 * BLOCK, 2 * BLOCK, true };
	dax[2] = (struct cdm_dax_dev){ "dax2.0", 1, 44 * BLOCK, 2 * BLOCK, true };
	dax[3] = (struct cdm_dax_dev){ "dax5.0", 5, 100 * BLOCK, 2 * BLOCK, true };
	dax[4] = (struct cdm_dax_dev){ "dax6.0", 0, 110 * BLOCK, 2 * BLOCK, true };
	regions[0] = (struct cdm_cxl_region){ "region0", 32 * BLOCK, 4 * BLOCK,
					      mem01, 2 };
	regions[1] = (struct cdm_cxl_region){ "region1", 40 * BLOCK, 4 * BLOCK,
					      mem2, 1 };
	regions[2] = (struct cdm_cxl_region){ "region2", 64 * BLOCK, 4 * BLOCK,
					      mem3, 1 };
	found = (struct cdm_devices){ dax, 5, regions, 3 };
	list_calls = 0;
	list_err = 0;
	kernel_reset();		/* malloc as usual */
}

static struct cdm_ctx *new_ctx(void)
{
	struct cdm_ctx *c = NULL;

	assert_int_equal(cdm_new(&c), 0);
	cdm__set_devices(c, fake_list);
	return c;
}

static int teardown(void **state)
{
	fakesys_remove();
	return 0;
}

/* a node's backings as "kind dev region size-in-blocks memdev+memdev; ..." */
static const char *describe(struct cdm_node *node)
{
	static char buf[512];
	struct cdm_backing *b;
	size_t len = 0;
	int i;

	buf[0] = '\0';
	cdm_backing_foreach(node, b) {
		assert_ptr_equal(cdm_backing_get_node(b), node);
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s %s %s %llu ",
				len ? "; " : "", cdm_backing_kind_name(cdm_backing_get_kind(b)),
				cdm_backing_get_devname(b) ?: "-",
				cdm_backing_get_cxl_region(b) ?: "-",
				cdm_backing_get_size(b) / BLOCK);
		for (i = 0; i < cdm_backing_get_nr_cxl_memdevs(b); i++)
			len += snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? "+" : "",
					cdm_backing_get_cxl_memdev(b, i));
		if (!i)
			len += snprintf(buf + len, sizeof(buf) - len, "-");
	}
	return buf;
}

static void several_per_node(void **state)
{
	struct cdm_node *n0, *n1, *n2;
	struct cdm_backing *b;
	struct cdm_ctx *ctx;

	machine();
	ctx = new_ctx();
	n0 = cdm_node_get_by_id(ctx, 0);
	n1 = cdm_node_get_by_id(ctx, 1);
	n2 = cdm_node_get_by_id(ctx, 2);
	assert_non_null(n2);
	assert_int_equal(list_calls, 0);	/* not before a backing is asked for */

	assert_string_equal(describe(n0), "ram - - 8 -");
	assert_string_equal(describe(n1), "cxl dax0.0 region0 4 mem0+mem1; "
			    "cxl dax1.0 region1 2 mem2; dax dax2.0 - 2 -");
	assert_string_equal(describe(n2), "cxl - region2 4 mem3; ram - - 2 -");
	assert_int_equal(list_calls, 1);	/* one probe for every node */

	b = cdm_backing_get_first(n1);
	assert_int_equal(cdm_backing_get_kind(b), CDM_BACKING_CXL_REGION);
	assert_null(cdm_backing_get_cxl_memdev(b, 2));
	assert_string_equal(cdm_get_last_error(ctx), "node 1: region0: memdev 2: 2 known");
	assert_null(cdm_backing_get_cxl_memdev(b, -1));
	assert_string_equal(cdm_get_last_error(ctx), "node 1: region0: memdev -1: 2 known");
	assert_string_equal(cdm_backing_kind_name(CDM_BACKING_RAM), "ram");
	assert_string_equal(cdm_backing_kind_name(CDM_BACKING_DAX), "dax");
	assert_string_equal(cdm_backing_kind_name(CDM_BACKING_CXL_REGION), "cxl");
	assert_string_equal(cdm_backing_kind_name(0), "unknown");
	assert_null(cdm_backing_get_next(cdm_backing_get_next(cdm_backing_get_next(b))));
	assert_int_equal(list_calls, 1);
	cdm_unref(ctx);
}

/* The driver holding each backing's memory, "-" for none: "kmem,-" */
static const char *drivers_of(struct cdm_node *node)
{
	static char buf[256];
	struct cdm_backing *b;
	size_t len = 0;

	buf[0] = '\0';
	cdm_backing_foreach(node, b)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? "," : "",
				cdm_backing_get_driver(b) ?: "-");
	return buf;
}

static void cxl_cdm_link(const char *dev, const char *driver)
{
	char rel[128], target[128];

	snprintf(rel, sizeof(rel), "bus/dax/devices/%s/driver", dev);
	snprintf(target, sizeof(target), "../../../../bus/dax/drivers/%s", driver);
	fakesys_write(rel, NULL);
	fakesys_symlink(rel, target);
}

/*
 * Node 3: dax3.0 of region3, bound to cxl_cdm with its memory online
 * (libdaxctl finds no kmem memory in it), and dax4.0, bound to
 * device_dax, on the same node. cxl_cdm's device backs the node as
 * kmem's do, with its region and memdevs; device_dax's backs nothing.
 * Its memory offline, it backs nothing either (its blocks, while the
 * kernel still lists them, are the region's); a device that moves from
 * cxl_cdm to kmem over the same blocks makes a new list.
 */
static void cxl_cdm_held(void **state)
{
	struct cdm_backing *b, *b2;
	struct cdm_node *n3;
	struct cdm_ctx *ctx;

	machine();
	fakesys_machine(four, 4);
	blocks(3, 80, 4, true);
	dax[5] = (struct cdm_dax_dev){ "dax3.0", 3, 80 * BLOCK, 4 * BLOCK, false };
	dax[6] = (struct cdm_dax_dev){ "dax4.0", 3, 88 * BLOCK, 2 * BLOCK, false };
	regions[3] = (struct cdm_cxl_region){ "region3", 80 * BLOCK, 4 * BLOCK, mem45, 2 };
	found.nr_dax = 7;
	found.nr_regions = 4;
	cxl_cdm_link("dax3.0", "cxl_cdm");
	fakesys_write("bus/dax/devices/dax3.0/cxl_cdm/online", "1\n");
	cxl_cdm_link("dax4.0", "device_dax");
	ctx = new_ctx();
	n3 = cdm_node_get_by_id(ctx, 3);
	assert_non_null(n3);
	assert_string_equal(describe(n3), "cxl dax3.0 region3 4 mem4+mem5");
	assert_string_equal(drivers_of(n3), "cxl_cdm");
	assert_string_equal(drivers_of(cdm_node_get_by_id(ctx, 1)), "kmem,kmem,kmem");
	assert_string_equal(drivers_of(cdm_node_get_by_id(ctx, 2)), "-,-");
	assert_string_equal(drivers_of(cdm_node_get_by_id(ctx, 0)), "-");

	/* offline, its blocks still listed a moment: the region's, no driver */
	fakesys_write("bus/dax/devices/dax3.0/cxl_cdm/online", "0\n");
	assert_int_equal(cdm_refresh(ctx), 0);
	assert_string_equal(describe(n3), "cxl - region3 4 mem4+mem5");
	assert_string_equal(drivers_of(n3), "-");
	/* and gone */
	blocks_remove(3, 80, 4);
	assert_int_equal(cdm_refresh(ctx), 0);
	assert_string_equal(describe(n3), "");
	/* no online attribute (cxl_cdm being unbound): not online */
	blocks(3, 80, 4, true);
	fakesys_write("bus/dax/devices/dax3.0/cxl_cdm/online", NULL);
	assert_int_equal(cdm_refresh(ctx), 0);
	assert_string_equal(drivers_of(n3), "-");

	/* the same blocks through kmem: another list, the old one readable */
	fakesys_write("bus/dax/devices/dax3.0/cxl_cdm/online", "1\n");
	assert_int_equal(cdm_refresh(ctx), 0);
	assert_string_equal(drivers_of(n3), "cxl_cdm");
	b = cdm_backing_get_first(n3);
	cxl_cdm_link("dax3.0", "kmem");
	dax[5].kmem_online = true;
	assert_int_equal(cdm_refresh(ctx), 0);
	b2 = cdm_backing_get_first(n3);
	assert_ptr_not_equal(b2, b);
	assert_string_equal(cdm_backing_get_driver(b2), "kmem");
	assert_string_equal(cdm_backing_get_driver(b), "cxl_cdm");
	assert_string_equal(cdm_backing_get_devname(b), "dax3.0");
	cdm_unref(ctx);
}

/* Without memory blocks in sysfs (no memory hotplug) sizes are the
 * devices' and no plain RAM is told; a malformed block size is an error
 * naming the file, and a failed probe is tried again on the next call. */
static void probe_errors(void **state)
{
	struct cdm_ctx *ctx;
	struct cdm_node *n1;

	machine();
	fakesys_write("devices/system/memory/block_size_bytes", NULL);
	found.nr_dax = 3;	/* as libdaxctl: devices with memory online */
	ctx = new_ctx();
	assert_string_equal(describe(cdm_node_get_by_id(ctx, 0)), "");
	assert_string_equal(describe(cdm_node_get_by_id(ctx, 1)), "cxl dax0.0 region0 4 mem0+mem1; "
			    "cxl dax1.0 region1 2 mem2; dax dax2.0 - 2 -");
	assert_string_equal(describe(cdm_node_get_by_id(ctx, 2)), "");
	cdm_unref(ctx);

	found.nr_dax = 5;
	fakesys_write("devices/system/memory/block_size_bytes", "0x12z\n");
	ctx = new_ctx();
	n1 = cdm_node_get_by_id(ctx, 1);
	assert_null(cdm_backing_get_first(n1));
	assert_non_null(strstr(cdm_get_last_error(ctx), "block_size_bytes: malformed"));
	fakesys_write("devices/system/memory/block_size_bytes", "8000000\n");
	list_err = -ENOMEM;
	assert_null(cdm_backing_get_first(n1));
	assert_string_equal(cdm_get_last_error(ctx), "backing devices: Cannot allocate memory");
	list_err = 0;
	kernel.malloc_budget = 0;
	assert_null(cdm_backing_get_first(n1));
	assert_non_null(strstr(cdm_get_last_error(ctx), "out of memory"));
	kernel.malloc_budget = -1;
	/* none found is no error */
	assert_string_equal(describe(cdm_node_get_by_id(ctx, 0)), "ram - - 8 -");
	assert_string_equal(cdm_get_last_error(ctx), "");
	assert_non_null(cdm_backing_get_first(n1));
	assert_int_equal(list_calls, 5);
	cdm_unref(ctx);
}

/*
 * cdm_refresh(): node 3 hot-added (dax3.0 of region3 onlined by kmem),
 * dax2.0 taken out of node 1; a list that did not change keeps its
 * objects, one that did gets new ones and the old stay readable.
 */
static void refresh(void **state)
{
	struct cdm_backing *b0, *b2, *b;
	struct cdm_node *n0, *n1, *n3;
	struct cdm_ctx *ctx;

	machine();
	ctx = new_ctx();
	n0 = cdm_node_get_by_id(ctx, 0);
	n1 = cdm_node_get_by_id(ctx, 1);
	b0 = cdm_backing_get_first(n0);
	b2 = cdm_backing_get_next(cdm_backing_get_next(cdm_backing_get_first(n1)));
	assert_string_equal(cdm_backing_get_devname(b2), "dax2.0");

	fakesys_machine(four, 4);
	blocks(3, 80, 4, true);
	blocks_remove(1, 44, 2);
	dax[2] = (struct cdm_dax_dev){ "dax3.0", 3, 80 * BLOCK, 4 * BLOCK, true };
	regions[3] = (struct cdm_cxl_region){ "region3", 80 * BLOCK, 4 * BLOCK,
					      mem45, 2 };
	found.nr_regions = 4;
	/* nothing read again before the refresh */
	assert_string_equal(describe(n1), "cxl dax0.0 region0 4 mem0+mem1; "
			    "cxl dax1.0 region1 2 mem2; dax dax2.0 - 2 -");
	assert_int_equal(list_calls, 1);
	assert_int_equal(cdm_refresh(ctx), 0);
	assert_int_equal(list_calls, 1);	/* probed again when asked */
	n3 = cdm_node_get_by_id(ctx, 3);
	assert_non_null(n3);
	assert_string_equal(describe(n3), "cxl dax3.0 region3 4 mem4+mem5");
	assert_int_equal(list_calls, 2);
	assert_string_equal(describe(n1), "cxl dax0.0 region0 4 mem0+mem1; "
			    "cxl dax1.0 region1 2 mem2");
	assert_ptr_equal(cdm_backing_get_first(n0), b0);
	/* the removed device: still readable, in a list of its own */
	assert_string_equal(cdm_backing_get_devname(b2), "dax2.0");
	assert_int_equal(cdm_backing_get_size(b2), 2 * BLOCK);
	assert_ptr_equal(cdm_backing_get_node(b2), n1);
	assert_null(cdm_backing_get_next(b2));

	/* node 3 removed: its object says so and has no backing left */
	fakesys_machine(three, 3);
	blocks_remove(3, 80, 4);
	found.nr_dax = 2;
	assert_int_equal(cdm_refresh(ctx), 0);
	assert_false(cdm_node_is_online(n3));
	assert_null(cdm_backing_get_first(n3));
	b = cdm_backing_get_first(n1);
	assert_string_equal(cdm_backing_get_cxl_region(b), "region0");
	cdm_unref(ctx);
}

/* Threads asking for the first time all at once: one probe, one list. */
#define THREADS 4

struct first_ask {
	struct cdm_ctx *ctx;
	pthread_barrier_t start;
	struct cdm_backing *got[THREADS];
};

struct asker {
	struct first_ask *ask;
	int index;
};

static void *ask(void *p)
{
	struct asker *a = p;

	pthread_barrier_wait(&a->ask->start);
	a->ask->got[a->index] = cdm_backing_get_first(cdm_node_get_by_id(a->ask->ctx, 1));
	return NULL;
}

static void concurrent_first_probe(void **state)
{
	struct first_ask first = { 0 };
	struct asker askers[THREADS];
	pthread_t threads[THREADS];
	int i;

	machine();
	first.ctx = new_ctx();
	assert_int_equal(pthread_barrier_init(&first.start, NULL, THREADS), 0);
	for (i = 0; i < THREADS; i++) {
		askers[i] = (struct asker){ &first, i };
		assert_int_equal(pthread_create(&threads[i], NULL, ask, &askers[i]), 0);
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);
	pthread_barrier_destroy(&first.start);
	assert_int_equal(list_calls, 1);
	for (i = 0; i < THREADS; i++) {
		assert_non_null(first.got[i]);
		assert_ptr_equal(first.got[i], first.got[0]);
	}
	assert_string_equal(cdm_backing_get_devname(first.got[0]), "dax0.0");
	cdm_unref(first.ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(several_per_node, teardown),
		cmocka_unit_test_teardown(probe_errors, teardown),
		cmocka_unit_test_teardown(refresh, teardown),
		cmocka_unit_test_teardown(cxl_cdm_held, teardown),
		cmocka_unit_test_teardown(concurrent_first_probe, teardown),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("libcdm backing", tests, NULL, NULL);
}
