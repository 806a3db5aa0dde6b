// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Device-private pools over a fake sysfs tree: which entries of
 * class/cdm_private are pools, in id order; a pool that goes away and
 * comes back is the same object; hostile names, flags, ranges and pids
 * each give an errno and a message naming the pool, before any device
 * is opened; a pool whose device file is missing (as on this host) is
 * -ENODEV naming /dev/cdm_privateN. Moving pages and reading counters
 * through a real driver is tests/vm/cdmctl-private.t's.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <libcdm.h>
#include "fakesys.h"

#define CLASS "class/cdm_private/"

static const struct fake_node machine[] = {
	{ 0, "0-1", 4096, "10 20" },
	{ 1, "", 2048, "20 10" },
};

static struct cdm_ctx *ctx;
static const char *root;

/* a pool's sysfs directory, as the driver's class device makes it */
static void add_pool(const char *name)
{
	char rel[128];

	snprintf(rel, sizeof(rel), CLASS "%s/dev", name);
	fakesys_write(rel, "240:0\n");
}

static void remove_pool(const char *name)
{
	char rel[128], path[512];

	snprintf(rel, sizeof(rel), CLASS "%s/dev", name);
	fakesys_write(rel, NULL);
	snprintf(path, sizeof(path), "%s/" CLASS "%s", root, name);
	assert_int_equal(rmdir(path), 0);
}

static int setup(void **state)
{
	root = fakesys_new();
	fakesys_machine(machine, 2);
	return cdm_new(&ctx);
}

static int teardown(void **state)
{
	cdm_unref(ctx);
	fakesys_remove();
	return 0;
}

static void expect_msg(const char *want)
{
	if (!strstr(cdm_get_last_error(ctx), want))
		fail_msg("message '%s' lacks '%s'", cdm_get_last_error(ctx), want);
}

static struct cdm_pool *by_name(const char *name)
{
	struct cdm_pool *pool = NULL;

	assert_int_equal(cdm_pool_get_by_name(ctx, name, &pool), 0);
	assert_non_null(pool);
	return pool;
}

/* no class directory (cdm_private not loaded): no pool, and no error */
static void no_driver(void **state)
{
	struct cdm_pool *pool = (struct cdm_pool *)&pool;

	assert_null(cdm_pool_get_first(ctx));
	assert_string_equal(cdm_get_last_error(ctx), "");
	assert_int_equal(cdm_pool_get_by_name(ctx, "cdm_private0", &pool), -ENODEV);
	expect_msg("cdm_private0: no such pool (is cdm_private loaded");
	assert_ptr_equal(pool, &pool);	/* untouched */
}

/* only cdm_privateN with N 0-63 written plainly are pools, in id order */
static void listing(void **state)
{
	static const char *const junk[] = { "cdm_private", "cdm_private01", "cdm_private64",
					    "cdm_privatex", "cdm_private1x", "cdm_private-1",
					    "foo", "cdm_private99999999999999999999" };
	struct cdm_pool *pool;
	int ids[8], nr = 0;
	size_t i;

	add_pool("cdm_private3");
	add_pool("cdm_private0");
	add_pool("cdm_private63");
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		add_pool(junk[i]);
	cdm_pool_foreach(ctx, pool) {
		assert_true(nr < 8);
		ids[nr++] = cdm_pool_get_id(pool);
		assert_ptr_equal(cdm_pool_get_ctx(pool), ctx);
	}
	assert_int_equal(nr, 3);
	assert_int_equal(ids[0], 0);
	assert_int_equal(ids[1], 3);
	assert_int_equal(ids[2], 63);
	pool = by_name("cdm_private3");
	assert_string_equal(cdm_pool_get_name(pool), "cdm_private3");
	assert_string_equal(cdm_pool_get_devpath(pool), "/dev/cdm_private3");
	assert_ptr_equal(by_name("/dev/cdm_private3"), pool);
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		remove_pool(junk[i]);
	remove_pool("cdm_private63");
}

/* a pool unloaded and loaded again: the same object, skipped meanwhile */
static void gone_and_back(void **state)
{
	struct cdm_pool *p0, *p3;

	p0 = by_name("cdm_private0");
	p3 = by_name("cdm_private3");
	remove_pool("cdm_private0");
	assert_ptr_equal(cdm_pool_get_first(ctx), p3);
	assert_null(cdm_pool_get_next(p3));
	assert_int_equal(cdm_pool_get_by_name(ctx, "cdm_private0", &p0), -ENODEV);
	expect_msg("cdm_private0: no such pool");
	/* what it handed out stays readable */
	assert_string_equal(cdm_pool_get_name(p0), "cdm_private0");
	add_pool("cdm_private0");
	assert_ptr_equal(cdm_pool_get_first(ctx), p0);
	assert_ptr_equal(cdm_pool_get_next(p0), p3);
}

static void bad_names(void **state)
{
	static const char *const names[] = { "", "cdm_private", "cdm_private00",
					     "cdm_private64", "cdm_private-1", "cdm_private+1",
					     "cdm_private 1", "/dev/../cdm_private0",
					     "cdm_private0/..", "/dev/", "/sys/class/cdm_private0",
					     "dev/cdm_private0", "cdm_private4294967296" };
	struct cdm_pool *pool = NULL;
	char longname[4096];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(cdm_pool_get_by_name(ctx, names[i], &pool), -EINVAL);
		expect_msg("not a pool name (cdm_privateN, N 0-63)");
		assert_int_equal(cdm_pool_check_name(ctx, names[i]), -EINVAL);
		assert_int_equal(cdm_pool_check_name(NULL, names[i]), -EINVAL);
	}
	assert_ptr_equal(pool, NULL);	/* untouched */
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(cdm_pool_get_by_name(ctx, longname, &pool), -EINVAL);
	expect_msg("not a pool name");
	assert_true(strlen(cdm_get_last_error(ctx)) < 200);
	assert_int_equal(cdm_pool_get_by_name(ctx, NULL, &pool), -EINVAL);
	expect_msg("NULL name");
	assert_int_equal(cdm_pool_get_by_name(ctx, "cdm_private0", NULL), -EINVAL);
	expect_msg("NULL pointer for the pool");
	assert_int_equal(cdm_pool_check_name(ctx, "cdm_private63"), 0);
	assert_int_equal(cdm_pool_check_name(NULL, "/dev/cdm_private0"), 0);
	/* absent, but a well-formed name: ENODEV */
	assert_int_equal(cdm_pool_get_by_name(ctx, "cdm_private7", &pool), -ENODEV);
	expect_msg("cdm_private7: no such pool (is cdm_private loaded, with pools=8 or more?)");
}

/* this host has no /dev/cdm_private0: every call that opens it says so */
static void no_device_file(void **state)
{
	struct cdm_pool *pool = by_name("cdm_private0");
	unsigned long long pages = 99, moved = 99;

	if (!access("/dev/cdm_private0", F_OK))
		skip();	/* the driver is loaded here: the VM tests cover it */
	assert_int_equal(cdm_pool_update(pool), -ENODEV);
	expect_msg("cdm_private0: /dev/cdm_private0: no such device");
	assert_int_equal(cdm_pool_get_capacity(pool), 0);
	assert_int_equal(cdm_pool_get_pages_on_device(pool), 0);
	assert_int_equal(cdm_pool_migrate(pool, 0, 0, 0, 0, &pages, &moved), -ENODEV);
	assert_int_equal(pages, 0);
	assert_int_equal(moved, 0);
	assert_int_equal(cdm_pool_migrate(pool, 0, 0, 0, CDM_POOL_TO_RAM, NULL, NULL), -ENODEV);
}

/* arguments are checked before the device is opened */
static void bad_arguments(void **state)
{
	struct cdm_pool *pool = by_name("cdm_private0");
	long ps = sysconf(_SC_PAGESIZE);
	unsigned long long pages = 99, moved = 99;

	assert_int_equal(cdm_pool_migrate(pool, 0, 0, 0, 0x2, &pages, &moved), -EINVAL);
	expect_msg("cdm_private0: unknown flags 0x2");
	assert_int_equal(pages, 99);	/* untouched before the work starts */
	assert_int_equal(cdm_pool_migrate(pool, 0, 0, 0, ~0u, NULL, NULL), -EINVAL);
	assert_int_equal(cdm_pool_migrate(pool, 0, ps + 1, 2 * ps, 0, NULL, NULL), -EINVAL);
	expect_msg("not page aligned");
	assert_int_equal(cdm_pool_migrate(pool, 0, 2 * ps, ps, 0, NULL, NULL), -EINVAL);
	expect_msg("empty");
	assert_int_equal(cdm_pool_migrate(pool, -1, 0, 0, 0, NULL, NULL), -EINVAL);
	expect_msg("pid -1: invalid");
}

/* residency's count of a pool: 0 before an update, NULLs refused */
static void residency_pool_pages(void **state)
{
	struct cdm_pool *pool = by_name("cdm_private3");
	unsigned long long pages = 99;
	struct cdm_residency *res;

	assert_int_equal(cdm_residency_new(ctx, 0, &res), 0);
	assert_int_equal(cdm_residency_get_pool_pages(res, pool, &pages), 0);
	assert_int_equal(pages, 0);
	pages = 99;
	assert_int_equal(cdm_residency_get_pool_pages(res, NULL, &pages), -EINVAL);
	expect_msg("residency: NULL pool");
	assert_int_equal(pages, 99);
	assert_int_equal(cdm_residency_get_pool_pages(res, pool, NULL), -EINVAL);
	expect_msg("residency: NULL pointer for the count");
	cdm_residency_free(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_driver),
		cmocka_unit_test(listing),
		cmocka_unit_test(gone_and_back),
		cmocka_unit_test(bad_names),
		cmocka_unit_test(no_device_file),
		cmocka_unit_test(bad_arguments),
		cmocka_unit_test(residency_pool_pages),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("libcdm device-private pools", tests, setup,
					   teardown);
}
