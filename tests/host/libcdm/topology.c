// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libcdm topology over fake sysfs trees: a 4-node machine, a machine with
 * memory tiers, HMAT and the CDM node state, and a table of missing and
 * malformed files, each of which must give an errno and a message naming
 * the file, never a crash or a silent guess. Then cdm_refresh(): nodes
 * hot-added and removed after the context was made, the node objects a
 * caller holds staying valid across it, and threads reading the topology
 * for the first time, and while it is refreshed, at once.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
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

/* what a getter's value holds until the getter writes it */
#define UNTOUCHED 0x5a5a5a5a5a5a5a5aULL

typedef int (*hmat_getter)(struct cdm_node *node, unsigned int access,
			   unsigned long long *value);

/* An HMAT getter's value, or its -errno, having checked that it wrote the
 * value exactly when it succeeded */
static long long hmat(hmat_getter get, struct cdm_node *node, unsigned int access)
{
	unsigned long long value = UNTOUCHED;
	int rc = get(node, access, &value);

	if (rc && value != UNTOUCHED)
		fail_msg("node %d: access%u: failed (%d) but wrote %llu", cdm_node_get_id(node),
			 access, rc, value);
	if (!rc && value == UNTOUCHED)
		fail_msg("node %d: access%u: succeeded without a value", cdm_node_get_id(node),
			 access);
	return rc ? rc : (long long)value;
}

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
	unsigned long long bytes = 0;
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
	assert_int_equal(cdm_node_get_mem_free(node, &bytes), 0);
	assert_int_equal(bytes, 3072ULL << 20);
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
	assert_string_equal(cdm_get_last_error(ctx), "node 3: in no memory tier");
	assert_int_equal(hmat(cdm_node_get_read_bandwidth, node, 0), -ENOENT);
	assert_string_equal(cdm_get_last_error(ctx), "node 3: access0: no read_bandwidth");
	/* none is an answer, not a failure: the message is cleared */
	assert_null(cdm_node_get_initiators(node, 0));
	assert_string_equal(cdm_get_last_error(ctx), "");
	/* no memory blocks, and libdaxctl reads the real /sys: no backing */
	assert_null(cdm_backing_get_first(node));
	assert_true(cdm_node_is_online(node));

	assert_null(cdm_node_get_by_id(ctx, 4));
	assert_string_equal(cdm_get_last_error(ctx), "node 4: not online");

	assert_int_equal(cdm_get_memory_nodes(ctx, &set), 0);
	assert_int_equal(cdm_nodeset_format(&set, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "0-3");
	/* a fake machine has no cpusets: every node with memory, not the
	 * host's Mems_allowed (this host may have one node) */
	assert_int_equal(cdm_get_allowed_nodes(ctx, &set), 0);
	cdm_nodeset_format(&set, buf, sizeof(buf));
	assert_string_equal(buf, "0-3");
	assert_int_equal(cdm_get_allowed_nodes(ctx, NULL), -EINVAL);
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

	assert_int_equal(hmat(cdm_node_get_read_bandwidth, n1, 0), 10240);
	assert_int_equal(hmat(cdm_node_get_write_bandwidth, n1, 0), 9000);
	assert_int_equal(hmat(cdm_node_get_read_latency, n1, 0), 40);
	assert_int_equal(hmat(cdm_node_get_write_latency, n1, 0), 45);
	assert_int_equal(hmat(cdm_node_get_read_bandwidth, n1, 1), 10000);
	assert_int_equal(hmat(cdm_node_get_write_latency, n1, 1), 46);
	assert_string_equal(cdm_node_get_initiators(n1, 0), "0");
	assert_int_equal(hmat(cdm_node_get_read_bandwidth, n0, 1), -ENOENT);
	assert_string_equal(cdm_get_last_error(ctx), "node 0: access1: no read_bandwidth");
	assert_int_equal(hmat(cdm_node_get_write_bandwidth, n0, 1), -ENOENT);
	assert_int_equal(hmat(cdm_node_get_read_latency, n0, 1), 11);
	assert_int_equal(hmat(cdm_node_get_write_latency, n0, 1), 12);
	assert_int_equal(hmat(cdm_node_get_read_latency, n2, 0), 150);
	assert_int_equal(hmat(cdm_node_get_read_latency, n2, 1), -ENOENT);
	assert_int_equal(hmat(cdm_node_get_read_latency, n2, 2), -EINVAL);
	assert_string_equal(cdm_get_last_error(ctx), "node 2: access class 2: only 0 and 1 exist");
	assert_int_equal(cdm_node_get_read_bandwidth(n1, 0, NULL), -EINVAL);
	assert_string_equal(cdm_get_last_error(ctx),
			    "node 1: access0: read_bandwidth: NULL pointer for the value");
	/* a class that does not exist is a failure, not "no initiators" */
	assert_null(cdm_node_get_initiators(n1, 2));
	assert_string_equal(cdm_get_last_error(ctx), "node 1: access class 2: only 0 and 1 exist");
	assert_string_equal(cdm_node_get_initiators(n1, 1), "0");
	cdm_unref(ctx);
}

/*
 * MemFree is read anew on every call, so it can fail (the node gone, its
 * meminfo not as the kernel writes it): then the errno and a message,
 * the value untouched, never a plausible 0. MemTotal, read with the
 * node, cannot fail.
 */
static void mem_free(void **state)
{
	unsigned long long bytes = UNTOUCHED;
	struct cdm_node *node;
	struct cdm_ctx *ctx;

	fakesys_new();
	fakesys_machine(three, 3);
	ctx = new_ctx();
	node = cdm_node_get_by_id(ctx, 2);
	assert_non_null(node);
	assert_int_equal(cdm_node_get_mem_free(node, &bytes), 0);
	assert_int_equal(bytes, 768ULL << 20);

	/* read anew; a full node's 0 is a value */
	fakesys_write("devices/system/node/node2/meminfo",
		      "Node 2 MemTotal:        1048576 kB\nNode 2 MemFree:              0 kB\n");
	assert_int_equal(cdm_node_get_mem_free(node, &bytes), 0);
	assert_int_equal(bytes, 0);

	bytes = UNTOUCHED;
	fakesys_write("devices/system/node/node2/meminfo", "Node 2 MemTotal:        1048576 kB\n");
	assert_int_equal(cdm_node_get_mem_free(node, &bytes), -EINVAL);
	assert_int_equal(bytes, UNTOUCHED);
	assert_non_null(strstr(cdm_get_last_error(ctx), "node 2: "));
	assert_non_null(strstr(cdm_get_last_error(ctx), "no valid 'MemFree' line"));

	fakesys_write("devices/system/node/node2/meminfo", NULL);
	assert_int_equal(cdm_node_get_mem_free(node, &bytes), -ENOENT);
	assert_int_equal(bytes, UNTOUCHED);
	assert_non_null(strstr(cdm_get_last_error(ctx), "node2/meminfo"));
	assert_int_equal(cdm_node_get_mem_total(node), 1024ULL << 20);

	assert_int_equal(cdm_node_get_mem_free(node, NULL), -EINVAL);
	assert_string_equal(cdm_get_last_error(ctx), "node 2: MemFree: NULL pointer for the value");
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
	{ "devices/system/node/node1/access0/initiators/read_latency", "fast", 0, "node 1: access0: read_latency: malformed" },
	{ "devices/system/node/node1/access0/initiators/read_latency", "-5", 0, "node 1: access0: read_latency: malformed" },
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
				assert_int_equal(hmat(cdm_node_get_read_latency, node, 0), -EINVAL);
				assert_string_equal(cdm_get_last_error(ctx), broken[i].want_msg);
				assert_int_equal(hmat(cdm_node_get_read_bandwidth, node, 0), 10240);
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

/* the ids cdm_node_foreach() goes through, as "0,1,3" */
static const char *iterated(struct cdm_ctx *ctx)
{
	static char buf[128];
	struct cdm_node *node;
	size_t len = 0;

	buf[0] = '\0';
	cdm_node_foreach(ctx, node)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%d", len ? "," : "",
				cdm_node_get_id(node));
	return buf;
}

static const char *online_list(struct cdm_ctx *ctx)
{
	static char buf[128];
	struct cdm_nodeset set;

	assert_int_equal(cdm_get_online_nodes(ctx, &set), 0);
	assert_true(cdm_nodeset_format(&set, buf, sizeof(buf)) >= 0);
	return buf;
}

/* what the kernel takes away with a node: its directory's files */
static void remove_node_files(int id)
{
	static const char *const files[] = { "cpulist", "distance", "meminfo" };
	char rel[128];
	unsigned int i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(rel, sizeof(rel), "devices/system/node/node%d/%s", id, files[i]);
		fakesys_write(rel, NULL);
	}
}

/* node 3 hot-added: a CXL region onlined by kmem, CPU-less, CDM */
static const struct fake_node three_plus[] = {
	{ 0, "0-1", 2048, "10 20 20 30" },
	{ 1, "", 1024, "20 10 20 30" },
	{ 2, "", 1024, "20 20 10 30" },
	{ 3, "", 4096, "30 30 30 10" },
};

/* ... then node 1 removed (distance files list the online nodes only),
 * CPUs 2-3 onlined in node 0 */
static const struct fake_node one_removed[] = {
	{ 0, "0-3", 2048, "10 20 30" },
	{ 2, "", 1024, "20 10 30" },
	{ 3, "", 4096, "30 30 10" },
};

/* ... and node 1 back, with twice the memory */
static const struct fake_node one_back[] = {
	{ 0, "0-3", 2048, "10 20 20 30" },
	{ 1, "", 2048, "20 10 20 30" },
	{ 2, "", 1024, "20 20 10 30" },
	{ 3, "", 4096, "30 30 30 10" },
};

static void refresh_hot_add_remove(void **state)
{
	struct cdm_node *n0, *n1, *n2, *n3;
	unsigned long long bytes = UNTOUCHED;
	const char *cpus0;
	struct cdm_ctx *ctx;

	fakesys_new();
	fakesys_machine(three, 3);
	fakesys_write("devices/system/node/has_coherent_device", "1-2\n");
	fakesys_write("devices/virtual/memory_tiering/memory_tier4/nodelist", "0\n");
	fakesys_write("devices/virtual/memory_tiering/memory_tier22/nodelist", "1-2\n");
	ctx = new_ctx();
	assert_string_equal(iterated(ctx), "0,1,2");
	n0 = cdm_node_get_by_id(ctx, 0);
	n1 = cdm_node_get_by_id(ctx, 1);
	n2 = cdm_node_get_by_id(ctx, 2);
	cpus0 = cdm_node_get_cpulist(n0);
	assert_string_equal(cpus0, "0-1");

	/* hot-added: unseen until the context is refreshed */
	fakesys_machine(three_plus, 4);
	fakesys_write("devices/system/node/has_coherent_device", "1-3\n");
	fakesys_write("devices/virtual/memory_tiering/memory_tier22/nodelist", "1-3\n");
	assert_string_equal(iterated(ctx), "0,1,2");
	assert_null(cdm_node_get_by_id(ctx, 3));
	assert_int_equal(cdm_refresh(ctx), 0);
	assert_string_equal(iterated(ctx), "0,1,2,3");
	assert_string_equal(online_list(ctx), "0-3");
	/* the same objects for the nodes that stayed */
	assert_ptr_equal(cdm_node_get_by_id(ctx, 0), n0);
	assert_ptr_equal(cdm_node_get_by_id(ctx, 1), n1);
	assert_ptr_equal(cdm_node_get_next(n2), cdm_node_get_by_id(ctx, 3));
	n3 = cdm_node_get_by_id(ctx, 3);
	assert_non_null(n3);
	assert_true(cdm_node_is_online(n3));
	assert_true(cdm_node_is_cpuless(n3));
	assert_int_equal(cdm_node_get_mem_total(n3), 4096ULL << 20);
	assert_int_equal(cdm_node_get_cdm_state(n3), CDM_NODE_STATE_YES);
	assert_int_equal(cdm_node_get_memory_tier(n3), 22);
	assert_int_equal(cdm_node_get_distance(n3, 0), 30);
	/* the nodes that stayed know their distance to it */
	assert_int_equal(cdm_node_get_distance(n0, 3), 30);
	assert_int_equal(cdm_node_get_distance(n1, 3), 30);

	/* node 1 removed, node 0's CPUs grow */
	fakesys_machine(one_removed, 3);
	remove_node_files(1);
	fakesys_write("devices/system/node/has_coherent_device", "2-3\n");
	fakesys_write("devices/virtual/memory_tiering/memory_tier22/nodelist", "2-3\n");
	assert_int_equal(cdm_refresh(ctx), 0);
	assert_string_equal(iterated(ctx), "0,2,3");
	assert_string_equal(online_list(ctx), "0,2-3");
	assert_null(cdm_node_get_by_id(ctx, 1));
	assert_string_equal(cdm_get_last_error(ctx), "node 1: not online");
	/* ... but the caller's pointer stays valid, marked gone, with what
	 * was last read of it */
	assert_false(cdm_node_is_online(n1));
	assert_int_equal(cdm_node_get_id(n1), 1);
	assert_ptr_equal(cdm_node_get_ctx(n1), ctx);
	assert_string_equal(cdm_node_get_cpulist(n1), "");
	assert_int_equal(cdm_node_get_mem_total(n1), 1024ULL << 20);
	assert_int_equal(cdm_node_get_mem_free(n1, &bytes), -ENOENT);
	assert_int_equal(bytes, UNTOUCHED);
	assert_non_null(strstr(cdm_get_last_error(ctx), "node 1: "));
	assert_non_null(strstr(cdm_get_last_error(ctx), "node1/meminfo"));
	/* iteration goes on from a removed node to the next online one */
	assert_ptr_equal(cdm_node_get_next(n1), n2);
	assert_int_equal(cdm_node_get_distance(n0, 3), 30);
	assert_int_equal(cdm_node_get_distance(n0, 2), 20);
	assert_int_equal(cdm_node_get_distance(n0, 1), -ENOENT);
	/* a node list naming it is refused */
	assert_int_equal(cdm_nodeset_parse(ctx, "1", &(struct cdm_nodeset){ 0 }), -EINVAL);
	/* strings handed out before stay as they were */
	assert_string_equal(cpus0, "0-1");
	assert_string_equal(cdm_node_get_cpulist(n0), "0-3");
	assert_int_equal(cdm_node_get_nr_cpus(n0), 4);

	/* node 1 back: the same object, online again, read anew */
	fakesys_machine(one_back, 4);
	assert_int_equal(cdm_refresh(ctx), 0);
	assert_string_equal(iterated(ctx), "0,1,2,3");
	assert_ptr_equal(cdm_node_get_by_id(ctx, 1), n1);
	assert_true(cdm_node_is_online(n1));
	assert_int_equal(cdm_node_get_mem_total(n1), 2048ULL << 20);
	assert_int_equal(cdm_node_get_cdm_state(n1), CDM_NODE_STATE_NO);
	assert_int_equal(cdm_node_get_memory_tier(n1), -ENOENT);
	/* nothing changed: nothing moves */
	assert_int_equal(cdm_refresh(ctx), 0);
	assert_ptr_equal(cdm_node_get_by_id(ctx, 1), n1);
	assert_string_equal(iterated(ctx), "0,1,2,3");
	assert_null(cdm_unref(ctx));
}

/* A refresh that fails leaves the topology as it was; one after a failed
 * first read tries again (the failure is no longer for good). */
static void refresh_failures(void **state)
{
	struct cdm_ctx *ctx;

	assert_int_equal(cdm_refresh(NULL), -EINVAL);

	fakesys_new();
	fakesys_machine(three, 3);
	ctx = new_ctx();
	/* a refresh before anything was read is the first read */
	assert_int_equal(cdm_refresh(ctx), 0);
	assert_string_equal(iterated(ctx), "0,1,2");

	/* caught half-way through a hot-add: node 3 online, no meminfo yet */
	fakesys_machine(three_plus, 4);
	fakesys_write("devices/system/node/node3/meminfo", NULL);
	assert_int_equal(cdm_refresh(ctx), -ENOENT);
	assert_non_null(strstr(cdm_get_last_error(ctx), "node 3: "));
	assert_non_null(strstr(cdm_get_last_error(ctx), "node3/meminfo"));
	assert_string_equal(iterated(ctx), "0,1,2");
	assert_string_equal(online_list(ctx), "0-2");
	assert_null(cdm_node_get_by_id(ctx, 3));
	/* the distances of the nodes kept are the ones read with them */
	assert_int_equal(cdm_node_get_distance(cdm_node_get_by_id(ctx, 0), 3), -ENOENT);
	fakesys_machine(three_plus, 4);
	assert_int_equal(cdm_refresh(ctx), 0);
	assert_string_equal(iterated(ctx), "0,1,2,3");
	cdm_unref(ctx);
	fakesys_remove();

	/* the first read fails, a refresh once the tree is whole succeeds */
	fakesys_new();
	fakesys_machine(three, 3);
	fakesys_write("devices/system/node/online", NULL);
	ctx = new_ctx();
	assert_null(cdm_node_get_first(ctx));
	assert_non_null(strstr(cdm_get_last_error(ctx), "online: No such file"));
	assert_int_equal(cdm_refresh(ctx), -ENOENT);
	assert_null(cdm_node_get_by_id(ctx, 0));
	assert_non_null(strstr(cdm_get_last_error(ctx), "online: No such file"));
	fakesys_write("devices/system/node/online", "0-2\n");
	assert_int_equal(cdm_refresh(ctx), 0);
	assert_string_equal(iterated(ctx), "0,1,2");
	assert_non_null(cdm_node_get_by_id(ctx, 2));
	cdm_unref(ctx);
}

/*
 * Threads on one context: the first read from all of them at once, then
 * readers going through the nodes while another thread refreshes the
 * topology over and over, the tree switching under it between two
 * machines (an atomic rename of the link CDM_SYSFS_ROOT names: a refresh
 * may still read a mix of the two and fail, which leaves what it had).
 * Every reader must always see an ordered walk of whole nodes. Run under
 * AddressSanitizer (build/tests/host/libcdm/san/topology) a node or
 * string freed under a reader is an error.
 */
#define READERS 4

struct race {
	struct cdm_ctx *ctx;
	pthread_barrier_t start;
	int stop;		/* atomic */
	int bad[READERS];
	unsigned long walks[READERS];
};

struct reader_arg {
	struct race *race;
	int index;
};

static void *reader(void *p)
{
	struct reader_arg *arg = p;
	struct race *race = arg->race;
	struct cdm_nodeset set;
	struct cdm_node *node;
	int n, prev, id, *bad = &race->bad[arg->index];
	const char *cpus;

	pthread_barrier_wait(&race->start);
	do {
		n = 0;
		prev = -1;
		cdm_node_foreach(race->ctx, node) {
			id = cdm_node_get_id(node);
			cpus = cdm_node_get_cpulist(node);
			if (id <= prev || !cpus || strlen(cpus) > 3 ||
			    cdm_node_get_mem_total(node) < (1024ULL << 20) ||
			    cdm_node_get_distance(node, id) != 10)
				(*bad)++;
			prev = id;
			n++;
		}
		if (n < 3 || n > 4)
			(*bad)++;
		if (cdm_get_online_nodes(race->ctx, &set) ||
		    cdm_nodeset_weight(&set) < 3 || !cdm_node_get_by_id(race->ctx, 2))
			(*bad)++;
		race->walks[arg->index]++;
	} while (!__atomic_load_n(&race->stop, __ATOMIC_RELAXED) ||
		 race->walks[arg->index] < 50);
	return NULL;
}

static void refresh_concurrent(void **state)
{
	char link[PATH_MAX + 8], tmp[PATH_MAX + 8], trees[2][PATH_MAX], dir[PATH_MAX];
	char cmd[PATH_MAX + 16];
	struct reader_arg args[READERS];
	struct race race = { 0 };
	pthread_t threads[READERS];
	int i, failed = 0;

	snprintf(trees[0], sizeof(trees[0]), "%s", fakesys_new());
	fakesys_machine(three, 3);
	snprintf(trees[1], sizeof(trees[1]), "%s", fakesys_new());
	fakesys_machine(three_plus, 4);
	snprintf(dir, sizeof(dir), "%s/libcdm-link.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(link, sizeof(link), "%s/root", dir);
	snprintf(tmp, sizeof(tmp), "%s/next", dir);
	assert_int_equal(symlink(trees[0], link), 0);
	setenv("CDM_SYSFS_ROOT", link, 1);

	race.ctx = new_ctx();
	assert_int_equal(pthread_barrier_init(&race.start, NULL, READERS + 1), 0);
	for (i = 0; i < READERS; i++) {
		args[i] = (struct reader_arg){ &race, i };
		assert_int_equal(pthread_create(&threads[i], NULL, reader, &args[i]), 0);
	}
	/* the readers' first calls read the topology, all at once, with
	 * this one's, which the tree stays for */
	pthread_barrier_wait(&race.start);
	assert_non_null(cdm_node_get_first(race.ctx));
	for (i = 0; i < 200; i++) {
		assert_int_equal(symlink(trees[(i + 1) % 2], tmp), 0);
		assert_int_equal(rename(tmp, link), 0);
		if (cdm_refresh(race.ctx))
			failed++;
	}
	__atomic_store_n(&race.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < READERS; i++) {
		pthread_join(threads[i], NULL);
		if (race.bad[i])
			fail_msg("reader %d: %d bad walks of %lu", i, race.bad[i], race.walks[i]);
	}
	pthread_barrier_destroy(&race.start);
	if (failed)
		printf("# %d of 200 refreshes read a mix of the two trees and failed\n", failed);

	/* the last switch was to the first tree: node 3 gone */
	assert_int_equal(cdm_refresh(race.ctx), 0);
	assert_string_equal(iterated(race.ctx), "0,1,2");
	assert_null(cdm_node_get_by_id(race.ctx, 3));
	assert_null(cdm_unref(race.ctx));

	unlink(link);
	rmdir(dir);
	fakesys_remove();	/* the second tree */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", trees[0]);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(four_nodes, teardown),
		cmocka_unit_test_teardown(tiers_hmat_cdm, teardown),
		cmocka_unit_test_teardown(mem_free, teardown),
		cmocka_unit_test_teardown(refcount, teardown),
		cmocka_unit_test_teardown(broken_files, teardown),
		cmocka_unit_test_teardown(binary_files, teardown),
		cmocka_unit_test(no_sysfs_root),
		cmocka_unit_test_teardown(refresh_hot_add_remove, teardown),
		cmocka_unit_test_teardown(refresh_failures, teardown),
		cmocka_unit_test_teardown(refresh_concurrent, teardown),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("libcdm topology", tests, NULL, NULL);
}
