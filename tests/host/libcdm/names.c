// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Node names (lib/libcdm/names.c) over a fake machine, kept in a
 * directory of the fake tree (CDM_NODE_NAMES): hostile names refused
 * before anything is written; a name set, read back, found by name, set
 * again; another node's name refused (EEXIST); nodes without memory or
 * offline refused; a name forgotten; a file libcdm did not write read as
 * no name; a directory that cannot be made said.
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

/* nodes 0 and 2 with memory, 3 without */
static const struct fake_node three[] = {
	{ 0, "0-1", 1024, "10 20 20" },
	{ 2, "", 1024, "20 10 20" },
	{ 3, "", 0, "20 20 10" },
};

static struct cdm_ctx *ctx;
static char dir[512];

static void expect_msg(const char *want)
{
	if (!strstr(cdm_get_last_error(ctx), want))
		fail_msg("message '%s' lacks '%s'", cdm_get_last_error(ctx), want);
}

static const char *name_of(int node)
{
	static char buf[64];

	if (cdm_get_node_name(ctx, node, buf, sizeof(buf)))
		return "<none>";
	return buf;
}

static int setup(void **state)
{
	const char *root = fakesys_new();

	fakesys_machine(three, 3);
	snprintf(dir, sizeof(dir), "%s/run/cdm/node-names", root);
	setenv("CDM_NODE_NAMES", dir, 1);
	return cdm_new(&ctx);
}

static int teardown(void **state)
{
	cdm_unref(ctx);
	fakesys_remove();
	return 0;
}

static void hostile_names(void **state)
{
	const char *bad[] = { "", "1", "2x", "-a", ".a", "a b", "a/b", "../x", "a\nb", "é",
			      "abcdefghijklmnopqrstuvwxyz123456", "all", NULL };
	size_t i;

	for (i = 0; bad[i]; i++) {
		if (!strcmp(bad[i], "all")) {	/* a word, not a list: a name */
			assert_int_equal(cdm_check_node_name(ctx, bad[i]), 0);
			continue;
		}
		assert_int_equal(cdm_set_node_name(ctx, 2, bad[i]), -EINVAL);
		expect_msg("not a node name");
	}
	assert_int_equal(cdm_check_node_name(ctx, NULL), -EINVAL);
	assert_int_equal(cdm_check_node_name(ctx, "abcdefghijklmnopqrstuvwxyz12345"), 0);
	assert_int_equal(cdm_check_node_name(ctx, "hbm-0_a.b"), 0);
	assert_int_equal(access(dir, F_OK), -1);	/* nothing made */
}

static void set_get_find(void **state)
{
	char buf[8];

	assert_string_equal(name_of(2), "<none>");
	assert_int_equal(cdm_get_node_name(ctx, 2, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cdm_get_node_by_name(ctx, "hbm0"), -ENOENT);
	expect_msg("no node is named 'hbm0'");
	assert_int_equal(cdm_set_node_name(ctx, 2, "hbm0"), 0);
	assert_string_equal(name_of(2), "hbm0");
	assert_string_equal(fakesys_read("run/cdm/node-names/node2"), "hbm0\n");
	assert_int_equal(cdm_get_node_by_name(ctx, "hbm0"), 2);
	assert_int_equal(cdm_set_node_name(ctx, 2, "hbm0"), 0);	/* again */
	assert_int_equal(cdm_set_node_name(ctx, 0, "hbm0"), -EEXIST);
	expect_msg("node 0: 'hbm0' names node 2 already");
	assert_string_equal(name_of(0), "<none>");
	assert_int_equal(cdm_set_node_name(ctx, 2, "fast"), 0);	/* renamed */
	assert_int_equal(cdm_get_node_by_name(ctx, "hbm0"), -ENOENT);
	assert_int_equal(cdm_set_node_name(ctx, 0, "hbm0"), 0);
	assert_int_equal(cdm_get_node_by_name(ctx, "hbm0"), 0);
}

static void bad_nodes(void **state)
{
	assert_int_equal(cdm_set_node_name(ctx, 3, "empty"), -ENOMEM);
	expect_msg("node 3: has no memory");
	assert_int_equal(cdm_set_node_name(ctx, 1, "gone"), -ENODEV);
	expect_msg("node 1: not online");
	assert_int_equal(cdm_set_node_name(ctx, -1, "x"), -EINVAL);
	assert_int_equal(cdm_set_node_name(ctx, 1 << 20, "x"), -EINVAL);
	assert_int_equal(cdm_get_node_by_name(ctx, "empty"), -ENOENT);
}

static void forget_and_foreign(void **state)
{
	assert_int_equal(cdm_set_node_name(ctx, 2, NULL), 0);
	assert_string_equal(name_of(2), "<none>");
	assert_int_equal(cdm_set_node_name(ctx, 2, NULL), 0);	/* none: fine */
	fakesys_write("run/cdm/node-names/node2", "no good\n");
	assert_int_equal(cdm_get_node_name(ctx, 2, (char[64]){ 0 }, 64), -EINVAL);
	expect_msg("node 2: its name in");
	assert_int_equal(cdm_get_node_by_name(ctx, "no"), -ENOENT);
	fakesys_write("run/cdm/node-names/node2", NULL);
	/* a writer's temporary file, or another file: no node's name */
	fakesys_write("run/cdm/node-names/node2.4242", "ghost\n");
	fakesys_write("run/cdm/node-names/notes", "ghost\n");
	assert_int_equal(cdm_get_node_by_name(ctx, "ghost"), -ENOENT);
	fakesys_write("run/cdm/node-names/node2.4242", NULL);
	fakesys_write("run/cdm/node-names/notes", NULL);
}

static void directory_fails(void **state)
{
	char file[600];
	FILE *f;

	snprintf(file, sizeof(file), "%s/plainfile", dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(file, sizeof(file), "%s/plainfile/names", dir);
	setenv("CDM_NODE_NAMES", file, 1);
	assert_int_equal(cdm_set_node_name(ctx, 2, "x"), -ENOTDIR);
	expect_msg("node 2: creating");
	setenv("CDM_NODE_NAMES", dir, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hostile_names),
		cmocka_unit_test(set_get_find),
		cmocka_unit_test(bad_nodes),
		cmocka_unit_test(forget_and_foreign),
		cmocka_unit_test(directory_fails),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("libcdm names", tests, setup, teardown);
}
