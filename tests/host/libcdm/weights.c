// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Weighted-interleave weights over a fake sysfs tree: read, set and read
 * back; every bad weight, missing and malformed file, a kernel without the
 * directory, a writer without root, each giving an errno and a message
 * naming the node, with the file left as it was. The host's own weights
 * are only read.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <libcdm.h>
#include "fakesys.h"

#define WI_DIR "kernel/mm/mempolicy/weighted_interleave"

static const struct fake_node machine[] = {
	{ 0, "0-1", 4096, "10 20 20" },
	{ 1, "", 2048, "20 10 20" },	/* CXL expander: memory, no CPUs */
	{ 2, "2-3", 0, "20 20 10" },	/* CPUs, no memory: no weight file */
};

static struct cdm_ctx *ctx;
static const char *root;

static int setup(void **state)
{
	root = fakesys_new();
	fakesys_machine(machine, 3);
	fakesys_write(WI_DIR "/node0", "1\n");
	fakesys_write(WI_DIR "/node1", "1\n");
	return cdm_new(&ctx);
}

static int teardown(void **state)
{
	cdm_unref(ctx);
	fakesys_remove();
	return 0;
}

static struct cdm_node *node(int id)
{
	struct cdm_node *n = cdm_node_get_by_id(ctx, id);

	assert_non_null(n);
	return n;
}

static const char *file(int id)
{
	char rel[64];

	snprintf(rel, sizeof(rel), WI_DIR "/node%d", id);
	return fakesys_read(rel);
}

static void expect_msg(const char *want)
{
	if (!strstr(cdm_get_last_error(ctx), want))
		fail_msg("message '%s' lacks '%s'", cdm_get_last_error(ctx), want);
}

static void get_and_set(void **state)
{
	assert_int_equal(cdm_node_get_interleave_weight(node(0)), 1);
	assert_int_equal(cdm_node_get_interleave_weight(node(1)), 1);
	assert_int_equal(cdm_node_set_interleave_weight(node(1), 3), 0);
	assert_string_equal(file(1), "3\n");
	assert_int_equal(cdm_node_get_interleave_weight(node(1)), 3);
	assert_int_equal(cdm_node_get_interleave_weight(node(0)), 1);
	assert_int_equal(cdm_node_set_interleave_weight(node(1), 255), 0);
	assert_int_equal(cdm_node_get_interleave_weight(node(1)), 255);
	assert_int_equal(cdm_node_set_interleave_weight(node(1), 1), 0);
	assert_int_equal(cdm_node_get_interleave_weight(node(1)), 1);
	/* read anew each time: a change behind libcdm's back shows */
	fakesys_write(WI_DIR "/node0", "7\n");
	assert_int_equal(cdm_node_get_interleave_weight(node(0)), 7);
	fakesys_write(WI_DIR "/node0", "1\n");
	assert_string_equal(cdm_get_last_error(ctx), "");
}

/* 0 and above 255: -ERANGE, nothing written */
static void bad_weights(void **state)
{
	static const unsigned int weights[] = { 0, 256, 1000, UINT_MAX };
	char want[80];
	size_t i;

	fakesys_write(WI_DIR "/node1", "5\n");
	for (i = 0; i < sizeof(weights) / sizeof(weights[0]); i++) {
		assert_int_equal(cdm_node_set_interleave_weight(node(1), weights[i]), -ERANGE);
		snprintf(want, sizeof(want), "node 1: interleave weight %u outside 1-255",
			 weights[i]);
		assert_string_equal(cdm_get_last_error(ctx), want);
		assert_string_equal(file(1), "5\n");
	}
	/* a bad weight is refused even where the kernel has no weights */
	fakesys_write(WI_DIR "/node1", "1\n");
	assert_int_equal(cdm_node_get_interleave_weight(NULL), -EINVAL);
	assert_int_equal(cdm_node_set_interleave_weight(NULL, 1), -EINVAL);
}

/* a node the kernel has no weight for: ENOENT, and no file appears */
static void no_weight_file(void **state)
{
	assert_int_equal(cdm_node_get_interleave_weight(node(2)), -ENOENT);
	expect_msg("node 2: no weighted-interleave weight");
	expect_msg("has no memory");
	assert_int_equal(cdm_node_set_interleave_weight(node(2), 2), -ENOENT);
	expect_msg("node 2: no weighted-interleave weight");
	assert_null(file(2));

	fakesys_write(WI_DIR "/node1", NULL);
	assert_int_equal(cdm_node_get_interleave_weight(node(1)), -ENOENT);
	expect_msg("node 1: no weighted-interleave weight");
	assert_null(strstr(cdm_get_last_error(ctx), "has no memory"));
	assert_int_equal(cdm_node_set_interleave_weight(node(1), 2), -ENOENT);
	assert_null(file(1));
	fakesys_write(WI_DIR "/node1", "1\n");
}

static void malformed(void **state)
{
	static const char *const contents[] = { "abc\n", "0\n", "256\n", "\n", "-1\n", "3 4\n",
						"99999999999999999999\n" };
	size_t i;

	for (i = 0; i < sizeof(contents) / sizeof(contents[0]); i++) {
		fakesys_write(WI_DIR "/node0", contents[i]);
		assert_int_equal(cdm_node_get_interleave_weight(node(0)), -EINVAL);
		expect_msg("node 0: ");
		expect_msg(WI_DIR "/node0: malformed");
	}
	fakesys_write(WI_DIR "/node0", "1\n");
	assert_int_equal(cdm_node_get_interleave_weight(node(0)), 1);
}

/* before Linux 6.9 there is no directory: EOPNOTSUPP, and none is made */
static void no_directory(void **state)
{
	char dir[PATH_MAX];
	struct stat st;

	fakesys_write(WI_DIR "/node0", NULL);
	fakesys_write(WI_DIR "/node1", NULL);
	snprintf(dir, sizeof(dir), "%s/" WI_DIR, root);
	assert_int_equal(rmdir(dir), 0);

	assert_int_equal(cdm_node_get_interleave_weight(node(0)), -EOPNOTSUPP);
	assert_string_equal(cdm_get_last_error(ctx),
			    "node 0: kernel has no weighted interleave (Linux 6.9)");
	assert_int_equal(cdm_node_set_interleave_weight(node(1), 2), -EOPNOTSUPP);
	assert_string_equal(cdm_get_last_error(ctx),
			    "node 1: kernel has no weighted interleave (Linux 6.9)");
	assert_int_equal(stat(dir, &st), -1);
	/* the weight is checked first all the same */
	assert_int_equal(cdm_node_set_interleave_weight(node(1), 0), -ERANGE);

	fakesys_write(WI_DIR "/node0", "1\n");
	fakesys_write(WI_DIR "/node1", "1\n");
}

/* writing needs root: EACCES saying so, the weight left as it was */
static void not_root(void **state)
{
	struct cdm_node *n1 = node(1);	/* looked up here: no cmocka in the child */
	char path[PATH_MAX];
	int status;
	pid_t pid;

	fakesys_write(WI_DIR "/node1", "4\n");
	snprintf(path, sizeof(path), "%s/" WI_DIR "/node1", root);
	if (getuid() != 0) {
		assert_int_equal(chmod(path, 0444), 0);
		assert_int_equal(cdm_node_set_interleave_weight(n1, 2), -EACCES);
		expect_msg("node 1: ");
		expect_msg("(writing weights needs root)");
		assert_string_equal(file(1), "4\n");
		assert_int_equal(chmod(path, 0644), 0);
		return;
	}
	/* as root: a child that is nobody, with the tree open to reading */
	assert_int_equal(chmod(root, 0755), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(10);
		if (cdm_node_get_interleave_weight(n1) != 4)
			_exit(11);
		if (cdm_node_set_interleave_weight(n1, 2) != -EACCES)
			_exit(12);
		if (!strstr(cdm_get_last_error(ctx), "(writing weights needs root)") ||
		    !strstr(cdm_get_last_error(ctx), "node 1: "))
			_exit(13);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(chmod(root, 0700), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(file(1), "4\n");
	fakesys_write(WI_DIR "/node1", "1\n");
}

/* The host's weights, read only: each memory node's, as its file says */
static void host_weights(void **state)
{
	struct cdm_ctx *host;
	struct cdm_node *n;
	char path[PATH_MAX], buf[16];
	int weight, checked = 0;
	FILE *f;

	unsetenv("CDM_SYSFS_ROOT");
	assert_int_equal(cdm_new(&host), 0);
	setenv("CDM_SYSFS_ROOT", root, 1);
	cdm_node_foreach(host, n) {
		if (!cdm_node_has_memory(n))
			continue;
		weight = cdm_node_get_interleave_weight(n);
		snprintf(path, sizeof(path),
			 "/sys/kernel/mm/mempolicy/weighted_interleave/node%d", cdm_node_get_id(n));
		f = fopen(path, "r");
		if (!f) {
			if (weight != -EOPNOTSUPP && weight != -ENOENT)
				fail_msg("node %d: %d without %s", cdm_node_get_id(n), weight, path);
			continue;
		}
		assert_non_null(fgets(buf, sizeof(buf), f));
		fclose(f);
		assert_int_equal(weight, atoi(buf));
		assert_true(weight >= 1 && weight <= 255);
		checked++;
	}
	print_message("# %d host node weights read\n", checked);
	cdm_unref(host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(get_and_set),
		cmocka_unit_test(bad_weights),
		cmocka_unit_test(no_weight_file),
		cmocka_unit_test(malformed),
		cmocka_unit_test(no_directory),
		cmocka_unit_test(not_root),
		cmocka_unit_test(host_weights),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("libcdm weighted-interleave weights", tests, setup,
					   teardown);
}
