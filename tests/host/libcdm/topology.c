// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libcdm topology over fake sysfs trees: a 4-node machine, a machine with
 * memory tiers, HMAT and the CDM node state, and a table of missing and
 * malformed files, each of which must give an errno and a message naming
 * the file, never a crash or a silent guess.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <libcdm.h>
#include "fakesys.h"

static const struct fake_node four[] = {
	{ 0, "0-1", 4096, "10 21 31 41" },
	{ 1, "2-3", 4096, "21 10 41 31" },
	{ 2, "", 2048, "31 41 10 51" },
	{ 3, "", 8192, "41 31 51 10" },
};

static const struct fake_node three[] = {
	{ 0, "0-1", 2048, "10 20 20" },
	{ 1, "", 1024, "20 10 20" },
	{ 2, "", 1024, "20 20 10" },
};

static int teardown(void **state)
{
	fakesys_remove();
	return 0;
}

static struct cdm_ctx *new_ctx(void)
{
	struct cdm_ctx *ctx = NULL;

	assert_int_equal(cdm_new(&ctx), 0);
	assert_non_null(ctx);
	return ctx;
}

static void four_nodes(void **state)
{
	struct cdm_ctx *ctx;
	struct cdm_node *node;
	struct cdm_nodeset set;
	int ids[4], n = 0;
	char buf[64];

	fakesys_new();
	fakesys_machine(four, 4);
	ctx = new_ctx();
	cdm_node_foreach(ctx, node)
		ids[n++] = cdm_node_get_id(node);
	assert_int_equal(n, 4);
	assert_int_equal(ids[0], 0);
	assert_int_equal(ids[3], 3);

	node = cdm_node_get_by_id(ctx, 1);
	assert_non_null(node);
	assert_string_equal(cdm_node_get_cpulist(node), "2-3");
	assert_int_equal(cdm_node_get_nr_cpus(node), 2);
	assert_false(cdm_node_is_cpuless(node));
	assert_int_equal(cdm_node_get_mem_total(node), 4096ULL << 20);
	assert_int_equal(cdm_node_get_mem_free(node), 3072ULL << 20);
	assert_int_equal(cdm_node_get_distance(node, 0), 21);
	assert_int_equal(cdm_node_get_distance(node, 3), 31);
	assert_int_equal(cdm_node_get_distance(node, 4), -ENOENT);
	assert_string_equal(cdm_get_last_error(ctx), "node 1: no distance to node 4");

	node = cdm_node_get_by_id(ctx, 3);
	assert_true(cdm_node_is_cpuless(node));
	assert_string_equal(cdm_node_get_cpulist(node), "");
	assert_int_equal(cdm_node_get_mem_total(node), 8192ULL << 20);
	/* stock kernel: no has_coherent_device, so nobody is told "no" */
	assert_int_equal(cdm_node_get_cdm_state(node), CDM_NODE_STATE_UNKNOWN);
	assert_string_equal(cdm_node_state_name(cdm_node_get_cdm_state(node)), "unknown");
	assert_int_equal(cdm_node_get_memory_tier(node), -ENOENT);
	assert_int_equal(cdm_node_get_read_bandwidth(node, 0), -ENOENT);
	assert_string_equal(cdm_get_last_error(ctx), "node 3: access0: no read_bandwidth");
	assert_null(cdm_node_get_initiators(node, 0));
	assert_null(cdm_node_get_dax_device(node));
	assert_null(cdm_node_get_cxl_region(node));
	assert_int_equal(cdm_node_get_nr_cxl_memdevs(node), 0);

	assert_null(cdm_node_get_by_id(ctx, 4));
	assert_string_equal(cdm_get_last_error(ctx), "node 4: not online");

	assert_int_equal(cdm_get_memory_nodes(ctx, &set), 0);
	assert_int_equal(cdm_nodeset_format(&set, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "0-3");
	assert_int_equal(cdm_nodeset_parse(ctx, "!0,2", &set), 0);
	cdm_nodeset_format(&set, buf, sizeof(buf));
	assert_string_equal(buf, "1,3");
	assert_null(cdm_unref(ctx));
}

static void tiers_hmat_cdm(void **state)
{
	struct cdm_ctx *ctx;
	struct cdm_node *n0, *n1, *n2;

	fakesys_new();
	fakesys_machine(three, 3);
	fakesys_write("devices/system/node/has_coherent_device", "1-2\n");
	fakesys_write("devices/virtual/memory_tiering/memory_tier4/nodelist", "0-1\n");
	fakesys_write("devices/virtual/memory_tiering/memory_tier22/nodelist", "2\n");
	/* a stray entry that is not a tier must be ignored */
	fakesys_write("devices/virtual/memory_tiering/uevent", "\n");
	fakesys_hmat(0, 0, 0, 20480, 20480, 10, 10);
	fakesys_hmat(1, 0, 0, 10240, 9000, 40, 45);
	fakesys_hmat(1, 1, 0, 10000, 8000, 41, 46);
	fakesys_hmat(2, 0, 0, 2048, 2048, 150, 150);
	/* latencies only: the kernel shows 0 for the bandwidths */
	fakesys_hmat(0, 1, 0, 0, 0, 11, 12);
	ctx = new_ctx();
	n0 = cdm_node_get_by_id(ctx, 0);
	n1 = cdm_node_get_by_id(ctx, 1);
	n2 = cdm_node_get_by_id(ctx, 2);
	assert_non_null(n0);
	assert_non_null(n1);
	assert_non_null(n2);

	assert_int_equal(cdm_node_get_cdm_state(n0), CDM_NODE_STATE_NO);
	assert_int_equal(cdm_node_get_cdm_state(n1), CDM_NODE_STATE_YES);
	assert_int_equal(cdm_node_get_cdm_state(n2), CDM_NODE_STATE_YES);
	assert_int_equal(cdm_node_get_memory_tier(n0), 4);
	assert_int_equal(cdm_node_get_memory_tier(n1), 4);
	assert_int_equal(cdm_node_get_memory_tier(n2), 22);

	assert_int_equal(cdm_node_get_read_bandwidth(n1, 0), 10240);
	assert_int_equal(cdm_node_get_write_bandwidth(n1, 0), 9000);
	assert_int_equal(cdm_node_get_read_latency(n1, 0), 40);
	assert_int_equal(cdm_node_get_write_latency(n1, 0), 45);
	assert_int_equal(cdm_node_get_read_bandwidth(n1, 1), 10000);
	assert_int_equal(cdm_node_get_write_latency(n1, 1), 46);
	assert_string_equal(cdm_node_get_initiators(n1, 0), "0");
	assert_int_equal(cdm_node_get_read_bandwidth(n0, 1), -ENOENT);
	assert_string_equal(cdm_get_last_error(ctx), "node 0: access1: no read_bandwidth");
	assert_int_equal(cdm_node_get_write_bandwidth(n0, 1), -ENOENT);
	assert_int_equal(cdm_node_get_read_latency(n0, 1), 11);
	assert_int_equal(cdm_node_get_write_latency(n0, 1), 12);
	assert_int_equal(cdm_node_get_read_latency(n2, 0), 150);
	assert_int_equal(cdm_node_get_read_latency(n2, 1), -ENOENT);
	assert_int_equal(cdm_node_get_read_latency(n2, 2), -EINVAL);
	assert_string_equal(cdm_get_last_error(ctx), "node 2: access class 2: only 0 and 1 exist");
	cdm_unref(ctx);
}

static void refcount(void **state)
{
	struct cdm_ctx *ctx;

	fakesys_new();
	fakesys_machine(three, 3);
	ctx = new_ctx();
	assert_ptr_equal(cdm_ref(ctx), ctx);
	assert_ptr_equal(cdm_unref(ctx), ctx);
	assert_non_null(cdm_node_get_first(ctx));
	assert_null(cdm_unref(ctx));
	assert_int_equal(cdm_new(NULL), -EINVAL);
}

/*
 * One file broken at a time on the three-node machine. want_err 0 means
 * the tree must still load (optional file), with want_msg checked against
 * the getter's message instead.
 */
static const struct {
	const char *rel;
	const char *content;		/* NULL: file removed */
	int want_err;
	const char *want_msg;
} broken[] = {
	{ "devices/system/node/online", NULL, ENOENT, "devices/system/node/online: No such file" },
	{ "devices/system/node/online", "\n", EINVAL, "online: no node online" },
	{ "devices/system/node/online", "0-", EINVAL, "online: malformed node list '0-'" },
	{ "devices/system/node/online", "2-0", EINVAL, "malformed node list '2-0'" },
	{ "devices/system/node/online", "0,,1", EINVAL, "malformed" },
	{ "devices/system/node/online", "-1", EINVAL, "malformed" },
	{ "devices/system/node/online", "99999999999999999999", EINVAL, "malformed" },
	{ "devices/system/node/online", "0-2 junk", EINVAL, "malformed" },
	{ "devices/system/node/online", "0-3", EINVAL, "node0/distance: malformed" },
	{ "devices/system/node/online", "0-2,5", EINVAL, "distance: malformed" },
	{ "devices/system/node/has_memory", NULL, ENOENT, "has_memory: No such file" },
	{ "devices/system/node/has_memory", "zero", EINVAL, "has_memory: malformed node list 'zero'" },
	{ "devices/system/node/has_cpu", "0x1", EINVAL, "has_cpu: malformed" },
	{ "devices/system/node/has_cpu", "0-1", EINVAL, "node 1: cpulist '' disagrees with has_cpu" },
	{ "devices/system/node/has_coherent_device", "1-", EINVAL, "has_coherent_device: malformed" },
	{ "devices/system/node/node1/cpulist", NULL, ENOENT, "node 1: " },
	{ "devices/system/node/node0/cpulist", "0-1,a", EINVAL, "node 0: " },
	{ "devices/system/node/node0/distance", "10 20", EINVAL, "node 0: " },
	{ "devices/system/node/node0/distance", "10 20 20 30", EINVAL, "more entries than online nodes" },
	{ "devices/system/node/node0/distance", "10 20 999", EINVAL, "malformed" },
	{ "devices/system/node/node2/distance", "10 x 20", EINVAL, "node 2: " },
	{ "devices/system/node/node2/meminfo", NULL, ENOENT, "node 2: " },
	{ "devices/system/node/node2/meminfo", "Node 2 MemFree: 5 kB\n", EINVAL, "no valid 'MemTotal' line" },
	{ "devices/system/node/node2/meminfo", "Node 1 MemTotal: 5 kB\n", EINVAL, "node 2: " },
	{ "devices/system/node/node2/meminfo", "Node 2 MemTotal: 99999999999999999999 kB\n", EINVAL, "no valid" },
	/* optional files: the tree loads, the value is reported absent */
	{ "devices/system/node/node1/access0/initiators/read_latency", "fast", 0, "node 1: access0: no read_latency" },
	{ "devices/system/node/node1/access0/initiators/read_latency", "-5", 0, "node 1: access0: no read_latency" },
	{ "devices/virtual/memory_tiering/memory_tier4/nodelist", "garbage", 0, NULL },
};

static void broken_files(void **state)
{
	char content[64];
	struct cdm_ctx *ctx;
	struct cdm_node *node;
	unsigned int i;
	int rc;

	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		fakesys_new();
		fakesys_machine(three, 3);
		fakesys_write("devices/virtual/memory_tiering/memory_tier4/nodelist", "0-2\n");
		fakesys_hmat(1, 0, 0, 10240, 10240, 40, 40);
		if (broken[i].content)
			snprintf(content, sizeof(content), "%s\n", broken[i].content);
		fakesys_write(broken[i].rel, broken[i].content ? content : NULL);
		ctx = new_ctx();
		node = cdm_node_get_first(ctx);
		if (broken[i].want_err) {
			if (node)
				fail_msg("case %u (%s): tree loaded", i, broken[i].rel);
			/* every later call reports the same failure */
			assert_null(cdm_node_get_by_id(ctx, 0));
			rc = cdm_migration_new(ctx, 0, 1, &(struct cdm_migration *){ 0 });
			if (rc != -broken[i].want_err)
				fail_msg("case %u (%s): got %d, want %d (%s)", i, broken[i].rel, rc,
					 -broken[i].want_err, cdm_get_last_error(ctx));
			if (!strstr(cdm_get_last_error(ctx), broken[i].want_msg))
				fail_msg("case %u: message '%s' lacks '%s'", i,
					 cdm_get_last_error(ctx), broken[i].want_msg);
		} else {
			if (!node)
				fail_msg("case %u (%s): %s", i, broken[i].rel, cdm_get_last_error(ctx));
			node = cdm_node_get_by_id(ctx, 1);
			if (strstr(broken[i].rel, "access0")) {
				assert_int_equal(cdm_node_get_read_latency(node, 0), -EINVAL);
				assert_string_equal(cdm_get_last_error(ctx), broken[i].want_msg);
				assert_int_equal(cdm_node_get_read_bandwidth(node, 0), 10240);
			} else {
				assert_int_equal(cdm_node_get_memory_tier(node), -ENOENT);
			}
		}
		cdm_unref(ctx);
		fakesys_remove();
	}
}

/* An embedded NUL or an oversized file is not a node list. */
static void binary_files(void **state)
{
	struct cdm_ctx *ctx;
	char big[8192];
	FILE *f;
	char path[4200];

	fakesys_new();
	fakesys_machine(three, 3);
	snprintf(path, sizeof(path), "%s/devices/system/node/has_cpu", getenv("CDM_SYSFS_ROOT"));
	f = fopen(path, "w");
	assert_non_null(f);
	fwrite("0\0" "1", 1, 3, f);
	fclose(f);
	ctx = new_ctx();
	assert_null(cdm_node_get_first(ctx));
	assert_non_null(strstr(cdm_get_last_error(ctx), "has_cpu"));
	cdm_unref(ctx);

	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fakesys_machine(three, 3);
	fakesys_write("devices/system/node/has_cpu", big);
	ctx = new_ctx();
	assert_null(cdm_node_get_first(ctx));
	assert_non_null(strstr(cdm_get_last_error(ctx), "has_cpu: malformed"));
	cdm_unref(ctx);
}

static void no_sysfs_root(void **state)
{
	struct cdm_ctx *ctx;

	setenv("CDM_SYSFS_ROOT", "/nonexistent/libcdm-test", 1);
	ctx = new_ctx();
	assert_string_equal(cdm_get_sysfs_root(ctx), "/nonexistent/libcdm-test");
	assert_null(cdm_node_get_first(ctx));
	assert_string_equal(cdm_get_last_error(ctx),
			    "/nonexistent/libcdm-test/devices/system/node/online: No such file or directory");
	cdm_unref(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(four_nodes, teardown),
		cmocka_unit_test_teardown(tiers_hmat_cdm, teardown),
		cmocka_unit_test_teardown(refcount, teardown),
		cmocka_unit_test_teardown(broken_files, teardown),
		cmocka_unit_test_teardown(binary_files, teardown),
		cmocka_unit_test(no_sysfs_root),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("libcdm topology", tests, NULL, NULL);
}
