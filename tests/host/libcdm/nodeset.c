// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Node lists in numactl syntax: a table of inputs with the canonical form
 * they print as (or the errno and message they must give), round trips of
 * generated sets, and hostile inputs. Nodes must be online with memory;
 * "all", "!" and "+" are relative to has_memory: the table runs on a fake
 * 4-node machine whose node 2 has no memory, the round trips on one with
 * every node number there is. nodeset-numactl.c compares with libnuma.
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

static const struct fake_node machine[] = {
	{ 0, "0", 1024, "10 20 20 20" },
	{ 1, "1", 1024, "20 10 20 20" },
	{ 2, "", 0, "20 20 10 20" },
	{ 3, "", 1024, "20 20 20 10" },
};

static struct cdm_ctx *ctx;

static int setup(void **state)
{
	fakesys_new();
	fakesys_machine(machine, 4);
	return cdm_new(&ctx);
}

/* Nodes 0-1023, all with memory (CPUs on node 0) */
static int setup_full(void **state)
{
	char rel[64], buf[64], distance[CDM_MAX_NODES * 3 + 1];
	int node;

	fakesys_new();
	fakesys_write("devices/system/node/online", "0-1023\n");
	fakesys_write("devices/system/node/has_memory", "0-1023\n");
	fakesys_write("devices/system/node/has_cpu", "0\n");
	for (node = 0; node < CDM_MAX_NODES; node++)
		memcpy(distance + node * 3, node < CDM_MAX_NODES - 1 ? "10 " : "10\n", 3);
	distance[CDM_MAX_NODES * 3] = '\0';
	for (node = 0; node < CDM_MAX_NODES; node++) {
		snprintf(rel, sizeof(rel), "devices/system/node/node%d/cpulist", node);
		fakesys_write(rel, node ? "\n" : "0\n");
		snprintf(rel, sizeof(rel), "devices/system/node/node%d/distance", node);
		fakesys_write(rel, distance);
		snprintf(rel, sizeof(rel), "devices/system/node/node%d/meminfo", node);
		snprintf(buf, sizeof(buf), "Node %d MemTotal:       1048576 kB\n", node);
		fakesys_write(rel, buf);
	}
	return cdm_new(&ctx);
}

static int teardown(void **state)
{
	cdm_unref(ctx);
	fakesys_remove();
	return 0;
}

static const struct {
	const char *in;
	const char *out;	/* canonical form; NULL: must fail */
	int err;
	const char *msg;	/* substring of the error message */
} table[] = {
	{ "0", "0", 0, NULL },
	{ "3", "3", 0, NULL },
	{ "0-1", "0-1", 0, NULL },
	{ "0-1,3", "0-1,3", 0, NULL },
	{ "3,0-1", "0-1,3", 0, NULL },
	{ "3,1,0,1", "0-1,3", 0, NULL },
	{ "0-1,1-1", "0-1", 0, NULL },
	{ "3-3", "3", 0, NULL },
	{ "0,3", "0,3", 0, NULL },
	/* a range leaves out what is between its ends and has no memory */
	{ "0-3", "0-1,3", 0, NULL },
	{ "1-3", "1,3", 0, NULL },
	{ "all", "0-1,3", 0, NULL },
	{ "!1", "0,3", 0, NULL },
	{ "!0-1,3", "", 0, NULL },
	{ "!0-3", "", 0, NULL },
	/* "+": the Nth node with memory */
	{ "+0", "0", 0, NULL },
	{ "+2", "3", 0, NULL },
	{ "+1-2", "1,3", 0, NULL },
	{ "+0,2", "0,3", 0, NULL },
	{ "+all", "0-1,3", 0, NULL },
	{ "!+0", "1,3", 0, NULL },
	{ "!+1-2", "0", 0, NULL },
	/* whitespace before a number, as numactl's strtoul() skips it */
	{ " 1", "1", 0, NULL },
	{ "0, 1", "0-1", 0, NULL },
	{ "0-\t3", "0-1,3", 0, NULL },
	{ "\n3", "3", 0, NULL },
	{ "! 1", "0,3", 0, NULL },
	{ "+ 1", "1", 0, NULL },
	{ "", NULL, EINVAL, "node list '': empty" },
	{ "!", NULL, EINVAL, "no node after '!'" },
	{ "+", NULL, EINVAL, "no node after '+'" },
	{ "!+", NULL, EINVAL, "no node after '!+'" },
	{ "!all", NULL, EINVAL, "'!all' selects no node" },
	{ "!+all", NULL, EINVAL, "'!all' selects no node" },
	{ "2", NULL, EINVAL, "node list '2': node 2 has no memory" },
	{ "1-2", NULL, EINVAL, "node 2 has no memory" },
	{ "!2", NULL, EINVAL, "node 2 has no memory" },
	{ "5", NULL, EINVAL, "node list '5': node 5 is not online" },
	{ "0-7", NULL, EINVAL, "node 7 is not online" },
	{ "!5", NULL, EINVAL, "node 5 is not online" },
	{ "1023", NULL, EINVAL, "node 1023 is not online" },
	{ "+3", NULL, EINVAL, "+3 is past the last node with memory (+2)" },
	{ "+1-5", NULL, EINVAL, "+5 is past the last node with memory (+2)" },
	{ "1024", NULL, ERANGE, "above 1023" },
	{ "0-4096", NULL, ERANGE, "above 1023" },
	{ "99999999999999999999999", NULL, ERANGE, "above 1023" },
	{ "3-1", NULL, EINVAL, "node list '3-1': range 3-1 is reversed" },
	{ "+2-0", NULL, EINVAL, "range +2-0 is reversed" },
	{ "9-5", NULL, EINVAL, "range 9-5 is reversed" },
	{ "007", NULL, EINVAL, "'007' has a leading zero (numactl reads octal)" },
	{ "0-01", NULL, EINVAL, "'01' has a leading zero" },
	{ "1,", NULL, EINVAL, "unexpected 'end'" },
	{ ",1", NULL, EINVAL, "unexpected ',1'" },
	{ "1,,2", NULL, EINVAL, "unexpected ',2'" },
	{ "1-", NULL, EINVAL, "unexpected 'end'" },
	{ "1--2", NULL, EINVAL, "unexpected '-2'" },
	{ "-1", NULL, EINVAL, "unexpected '-1'" },
	{ "-0", NULL, EINVAL, "unexpected '-0'" },
	{ "++1", NULL, EINVAL, "unexpected '+1'" },
	{ "0,+1", NULL, EINVAL, "unexpected '+1'" },
	{ "+!1", NULL, EINVAL, "unexpected '!1'" },
	{ "1 ", NULL, EINVAL, "unexpected ' '" },
	{ "1 ,3", NULL, EINVAL, "unexpected ' ,3'" },
	{ "1\n", NULL, EINVAL, NULL },
	{ " !1", NULL, EINVAL, "unexpected '!1'" },
	{ " all", NULL, EINVAL, NULL },
	{ "all ", NULL, EINVAL, NULL },
	{ "!!1", NULL, EINVAL, "unexpected '!1'" },
	{ "all,1", NULL, EINVAL, "'all' stands alone" },
	{ "1,all", NULL, EINVAL, "'all' stands alone" },
	{ "ALL", NULL, EINVAL, NULL },
	{ "0x1", NULL, EINVAL, "unexpected 'x1'" },
	{ "1.5", NULL, EINVAL, NULL },
	{ "\xff\xfe", NULL, EINVAL, NULL },
	{ "1:2", NULL, EINVAL, "unexpected ':2'" },
	{ "0-3:2", NULL, EINVAL, "unexpected ':2'" },	/* no strides in numactl */
	{ "netdev:lo", NULL, EINVAL, NULL },		/* nor its device names */
};

static void parse_table(void **state)
{
	struct cdm_nodeset set;
	char buf[4096];
	unsigned int i;
	int rc;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		memset(&set, 0xa5, sizeof(set));
		rc = cdm_nodeset_parse(ctx, table[i].in, &set);
		if (table[i].out) {
			if (rc)
				fail_msg("'%s': %d %s", table[i].in, rc, cdm_get_last_error(ctx));
			assert_true(cdm_nodeset_format(&set, buf, sizeof(buf)) >= 0);
			if (strcmp(buf, table[i].out))
				fail_msg("'%s' printed as '%s', want '%s'", table[i].in, buf,
					 table[i].out);
			assert_string_equal(cdm_get_last_error(ctx), "");
		} else {
			if (rc != -table[i].err)
				fail_msg("'%s': got %d, want %d", table[i].in, rc, -table[i].err);
			if (table[i].msg && !strstr(cdm_get_last_error(ctx), table[i].msg))
				fail_msg("'%s': message '%s' lacks '%s'", table[i].in,
					 cdm_get_last_error(ctx), table[i].msg);
			/* the message names the input */
			if (*table[i].in && table[i].in[0] != '\xff' &&
			    !strstr(cdm_get_last_error(ctx), "node list '"))
				fail_msg("'%s': message '%s' does not name the list", table[i].in,
					 cdm_get_last_error(ctx));
		}
	}
}

static uint64_t rng = 0x1234567;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* parse(format(S)) == S for many generated sets, sparse and dense */
static void round_trips(void **state)
{
	struct cdm_nodeset set, back;
	char buf[8192];
	int i, j, node, len;

	for (i = 0; i < 2000; i++) {
		cdm_nodeset_zero(&set);
		for (j = next_rand() % 64; j > 0; j--) {
			node = next_rand() % (i % 2 ? CDM_MAX_NODES : 80);
			cdm_nodeset_add(&set, node);
		}
		len = cdm_nodeset_format(&set, buf, sizeof(buf));
		assert_true(len >= 0);
		assert_int_equal(len, strlen(buf));
		if (!cdm_nodeset_weight(&set))
			continue;	/* "" is not valid user input */
		assert_int_equal(cdm_nodeset_parse(ctx, buf, &back), 0);
		assert_memory_equal(&set, &back, sizeof(set));
	}
}

static void set_operations(void **state)
{
	struct cdm_nodeset set;
	char buf[8], big[4096];
	int node, n = 0;

	cdm_nodeset_zero(&set);
	assert_int_equal(cdm_nodeset_next(&set, -1), -1);
	assert_int_equal(cdm_nodeset_add(&set, -1), -ERANGE);
	assert_int_equal(cdm_nodeset_add(&set, CDM_MAX_NODES), -ERANGE);
	assert_false(cdm_nodeset_has(&set, CDM_MAX_NODES));
	assert_false(cdm_nodeset_has(&set, -7));
	assert_int_equal(cdm_nodeset_add(&set, 0), 0);
	assert_int_equal(cdm_nodeset_add(&set, 64), 0);
	assert_int_equal(cdm_nodeset_add(&set, CDM_MAX_NODES - 1), 0);
	cdm_nodeset_foreach(&set, node)
		n++;
	assert_int_equal(n, 3);
	assert_int_equal(cdm_nodeset_weight(&set), 3);
	assert_int_equal(cdm_nodeset_del(&set, 64), 0);
	assert_false(cdm_nodeset_has(&set, 64));
	/* too small a buffer: -ENOSPC and still a terminated string */
	assert_int_equal(cdm_nodeset_format(&set, buf, 4), -ENOSPC);
	assert_true(strlen(buf) < 4);
	assert_int_equal(cdm_nodeset_format(&set, buf, 0), -ENOSPC);
	/* the longest list: every other node */
	cdm_nodeset_zero(&set);
	for (node = 0; node < CDM_MAX_NODES; node += 2)
		cdm_nodeset_add(&set, node);
	assert_true(cdm_nodeset_format(&set, big, sizeof(big)) > 0);
	assert_int_equal(cdm_nodeset_parse(ctx, big, &set), 0);
	assert_int_equal(cdm_nodeset_weight(&set), CDM_MAX_NODES / 2);
	assert_int_equal(cdm_nodeset_parse(NULL, "1", &set), -EINVAL);
	assert_int_equal(cdm_nodeset_parse(ctx, NULL, &set), -EINVAL);
}

/* Random bytes from the list alphabet: never a crash, always 0 or -errno. */
static void random_garbage(void **state)
{
	static const char alphabet[] = "0123456789,-!+al \t";
	struct cdm_nodeset set;
	char in[40];
	int i, j, len, rc;

	for (i = 0; i < 20000; i++) {
		len = next_rand() % (sizeof(in) - 1);
		for (j = 0; j < len; j++)
			in[j] = alphabet[next_rand() % (sizeof(alphabet) - 1)];
		in[len] = '\0';
		rc = cdm_nodeset_parse(ctx, in, &set);
		assert_true(rc == 0 || rc == -EINVAL || rc == -ERANGE);
		if (rc)
			assert_true(strlen(cdm_get_last_error(ctx)) > 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(parse_table, setup, teardown),
		cmocka_unit_test_setup_teardown(round_trips, setup_full, teardown),
		cmocka_unit_test_setup_teardown(set_operations, setup_full, teardown),
		cmocka_unit_test_setup_teardown(random_garbage, setup, teardown),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("libcdm nodeset", tests, NULL, NULL);
}
