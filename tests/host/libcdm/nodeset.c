// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Node lists in numactl syntax: a table of inputs with the canonical form
 * they print as (or the errno they must give), round trips of generated
 * sets, and hostile inputs. "all" and "!" are relative to has_memory of a
 * fake 4-node machine whose node 2 has no memory.
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
	{ "0-3", "0-3", 0, NULL },
	{ "0-3,7", "0-3,7", 0, NULL },
	{ "7,0-3", "0-3,7", 0, NULL },
	{ "1,2,3", "1-3", 0, NULL },
	{ "3,1,2,1", "1-3", 0, NULL },
	{ "0-1,1-2", "0-2", 0, NULL },
	{ "5-5", "5", 0, NULL },
	{ "0,2,4,6", "0,2,4,6", 0, NULL },
	{ "63-64", "63-64", 0, NULL },
	{ "1023", "1023", 0, NULL },
	{ "0-1023", "0-1023", 0, NULL },
	{ "007", "7", 0, NULL },
	{ "all", "0-1,3", 0, NULL },		/* node 2 has no memory */
	{ "!1", "0,3", 0, NULL },
	{ "!0-1,3", "", 0, NULL },
	{ "!5", "0-1,3", 0, NULL },
	{ "", NULL, EINVAL, "node list '': empty" },
	{ "!", NULL, EINVAL, "no node after '!'" },
	{ "!all", NULL, EINVAL, "'!all' selects no node" },
	{ "1024", NULL, ERANGE, "above 1023" },
	{ "0-4096", NULL, ERANGE, "above 1023" },
	{ "99999999999999999999999", NULL, ERANGE, "above 1023" },
	{ "3-1", NULL, EINVAL, "unexpected '1'" },
	{ "1,", NULL, EINVAL, "unexpected 'end'" },
	{ ",1", NULL, EINVAL, "unexpected ',1'" },
	{ "1,,2", NULL, EINVAL, "unexpected ',2'" },
	{ "1-", NULL, EINVAL, "unexpected 'end'" },
	{ "1--2", NULL, EINVAL, "unexpected '-2'" },
	{ "-1", NULL, EINVAL, "unexpected '-1'" },
	{ "+1", NULL, EINVAL, "unexpected '+1'" },
	{ " 1", NULL, EINVAL, NULL },
	{ "1 ", NULL, EINVAL, "unexpected ' '" },
	{ "1\n", NULL, EINVAL, NULL },
	{ "!!1", NULL, EINVAL, "unexpected '!1'" },
	{ "all,1", NULL, EINVAL, NULL },
	{ "ALL", NULL, EINVAL, NULL },
	{ "0x1", NULL, EINVAL, "unexpected 'x1'" },
	{ "1.5", NULL, EINVAL, NULL },
	{ "\xff\xfe", NULL, EINVAL, NULL },
	{ "1:2", NULL, EINVAL, NULL },
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
	static const char alphabet[] = "0123456789,-!al ";
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
		cmocka_unit_test(parse_table),
		cmocka_unit_test(round_trips),
		cmocka_unit_test(set_operations),
		cmocka_unit_test(random_garbage),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("libcdm nodeset", tests, setup, teardown);
}
