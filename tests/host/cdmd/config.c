// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdmd.conf through daemon/config.c on a fake 3-node machine (node 0:
 * CPUs and memory; nodes 1 and 2: memory only): every key read and its
 * default applied; every kind of bad file - syntax, sections, keys,
 * values out of range or hostile, keys of the other policy, what one key
 * means for another - refused with "FILE:LINE: message", all problems of
 * a file reported, and no configuration handed out; cdmd.conf(5) lists
 * every key with the type, default and range the parser uses.
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
#include "config.h"
#include "fakesys.h"

static const struct fake_node machine[] = {
	{ 0, "0-1", 4096, "10 20 20" },
	{ 1, "", 2048, "20 10 20" },
	{ 2, "", 2048, "20 20 10" },
};

static struct cdm_ctx *ctx;
static char path[] = "/tmp/cdmd-conf-test-XXXXXX";
static char *errors;
static size_t errors_len;

static int setup(void **state)
{
	int fd;

	fakesys_new();
	fakesys_machine(machine, 3);
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return cdm_new(&ctx);
}

static int teardown(void **state)
{
	cdm_unref(ctx);
	fakesys_remove();
	unlink(path);
	free(errors);
	return 0;
}

/* Load @text as the file: the loader's return value; its messages in
 * `errors`; *@cfg set only on success */
static int load(const char *text, size_t len, struct cdmd_config **cfg)
{
	FILE *f = fopen(path, "w"), *err;
	int rc;

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	free(errors);
	errors = NULL;
	err = open_memstream(&errors, &errors_len);
	assert_non_null(err);
	rc = cdmd_config_load(ctx, path, err, cfg);
	fclose(err);
	return rc;
}

static struct cdmd_config *load_ok(const char *text)
{
	struct cdmd_config *cfg = NULL;

	if (load(text, strlen(text), &cfg))
		fail_msg("refused: %s", errors);
	assert_string_equal(errors, "");
	return cfg;
}

/* @text is refused with, among its messages, one that starts
 * "PATH:LINE: @want" */
static void refused(const char *text, int line, const char *want)
{
	struct cdmd_config *cfg = (struct cdmd_config *)&cfg;
	char expect[512];

	assert_int_equal(load(text, strlen(text), &cfg), -EINVAL);
	assert_ptr_equal(cfg, &cfg);	/* untouched */
	snprintf(expect, sizeof(expect), "%s:%d: %s", path, line, want);
	if (!strstr(errors, expect))
		fail_msg("for:\n%s\nwant '%s', got:\n%s", text, expect, errors);
}

static int nr_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static char *nodes(const struct cdm_nodeset *set)
{
	static char buf[64];

	assert_true(cdm_nodeset_format(set, buf, sizeof(buf)) >= 0);
	return buf;
}

#define TIERING "[target t]\nmatch = comm:app\npolicy = tiering\nslow_nodes = 1\n"

static void defaults(void **state)
{
	struct cdmd_config *cfg = load_ok("; nothing but one target\n" TIERING);
	struct cdmd_target *t = &cfg->targets[0];

	assert_int_equal(cfg->interval_ms, 1000);
	assert_int_equal(cfg->tracker, CDMD_TRACKER_AUTO);
	assert_null(cfg->socket_group);
	assert_int_equal(cfg->metrics_port, 0);
	assert_false(cfg->isolate_cpusets);
	assert_int_equal(cfg->nr_targets, 1);
	assert_string_equal(t->name, "t");
	assert_int_equal(t->line, 2);
	assert_int_equal(t->match, CDMD_MATCH_COMM);
	assert_string_equal(t->match_arg, "app");
	assert_int_equal(t->policy, CDMD_POLICY_TIERING);
	assert_string_equal(nodes(&t->fast_nodes), "0");	/* the nodes with CPUs */
	assert_string_equal(nodes(&t->slow_nodes), "1");
	assert_int_equal(t->promote_accesses, 5);
	assert_int_equal(t->demote_accesses, 0);
	assert_int_equal(t->cold_age_s, 5);
	assert_int_equal(t->min_residency_s, 10);
	assert_int_equal(t->rate_mb_s, 256);
	assert_int_equal(t->fast_free_mb, 256);
	assert_int_equal(t->pingpong_window_s, 60);
	cdmd_config_free(cfg);
}

static void every_key(void **state)
{
	struct cdmd_config *cfg = load_ok(
		"\xef\xbb\xbf# a full file\n"
		"[cdmd]\n"
		"interval_ms = 100\n"
		"tracker = damon   ; inline comment\n"
		"socket_group = root\n"
		"metrics_port = 9464\n"
		"isolate_cpusets = yes\n"
		"\n"
		"[target db-1]\n"
		"match = regex:^(postgres|mysqld)$\n"
		"policy = tiering\n"
		"fast_nodes = 0\n"
		"slow_nodes = 1-2\n"
		"promote_accesses = 1000\n"
		"demote_accesses = 999\n"
		"cold_age_s = 86400\n"
		"min_residency_s = 86400\n"
		"rate_mb_s = 100000\n"
		"fast_free_mb = 1048576\n"
		"pingpong_window_s = 1\n"
		"[target batch]\n"
		"match = cgroup:/sys/fs/cgroup/batch.slice\n"
		"policy = bind\n"
		"nodes = !0\n"
		"[target one]\n"
		"match = pid:4194304\n"
		"policy=bind\n"
		"nodes=2\n");

	assert_int_equal(cfg->interval_ms, 100);
	assert_int_equal(cfg->tracker, CDMD_TRACKER_DAMON);
	assert_string_equal(cfg->socket_group, "root");
	assert_int_equal(cfg->metrics_port, 9464);
	assert_true(cfg->isolate_cpusets);
	assert_int_equal(cfg->nr_targets, 3);
	assert_int_equal(cfg->targets[0].match, CDMD_MATCH_REGEX);
	assert_int_equal(regexec(&cfg->targets[0].regex, "mysqld", 0, NULL, 0), 0);
	assert_int_not_equal(regexec(&cfg->targets[0].regex, "mysql", 0, NULL, 0), 0);
	assert_string_equal(nodes(&cfg->targets[0].slow_nodes), "1-2");
	assert_int_equal(cfg->targets[0].promote_accesses, 1000);
	assert_int_equal(cfg->targets[0].demote_accesses, 999);
	assert_int_equal(cfg->targets[0].cold_age_s, 86400);
	assert_int_equal(cfg->targets[0].min_residency_s, 86400);
	assert_int_equal(cfg->targets[0].rate_mb_s, 100000);
	assert_int_equal(cfg->targets[0].fast_free_mb, 1048576);
	assert_int_equal(cfg->targets[0].pingpong_window_s, 1);
	assert_int_equal(cfg->targets[1].match, CDMD_MATCH_CGROUP);
	assert_string_equal(cfg->targets[1].match_arg, "/sys/fs/cgroup/batch.slice");
	assert_int_equal(cfg->targets[1].policy, CDMD_POLICY_BIND);
	assert_string_equal(nodes(&cfg->targets[1].nodes), "1-2");
	assert_int_equal(cfg->targets[2].match, CDMD_MATCH_PID);
	assert_int_equal(cfg->targets[2].pid, 4194304);
	assert_string_equal(nodes(&cfg->targets[2].nodes), "2");
	cdmd_config_free(cfg);
}

static void syntax(void **state)
{
	char text[4096];

	refused("[cdmd]\ninterval_ms 100\n", 2, "not 'key = value', a [section] or a comment");
	refused("[cdmd\n", 1, "section header without ']'");
	refused("[cdmd]\n= 100\n", 2, "no key before '='");
	memset(text, 'x', sizeof(text));
	memcpy(text, "[cdmd]\ninterval_ms = ", 21);
	text[2000] = '\n';
	text[2001] = '\0';
	refused(text, 2, "line too long (1024 bytes at most)");
	/* a NUL before the newline: load() passes the length */
	{
		struct cdmd_config *cfg = NULL;
		static const char nul[] = "[cdmd]\ntracker = auto\0damon\n";

		assert_int_equal(load(nul, sizeof(nul) - 1, &cfg), -EINVAL);
		assert_non_null(strstr(errors, ":2: NUL byte in the line"));
	}
	refused("interval_ms = 100\n", 1, "'interval_ms' outside any section ([cdmd] or [target NAME])");
}

static void sections(void **state)
{
	char text[8192];
	int i, n = 0;

	refused("[daemon]\ninterval_ms = 100\n", 1, "unknown section [daemon] (cdmd, or target NAME)");
	refused("[cdmd]\n[cdmd]\n", 2, "[cdmd] again (first on line 1)");
	refused("[target]\n", 1, "unknown section [target] (cdmd, or target NAME)");
	refused("[target a b]\n", 1, "target 'a b': a name has 1-32 letters, digits, '_' or '-'");
	refused("[target ../x]\n", 1, "target '../x': a name has 1-32 letters, digits, '_' or '-'");
	refused("[target abcdefghijabcdefghijabcdefghijabc]\n", 1,
		"target 'abcdefghijabcdefghijabcdefghijabc': a name has 1-32 letters, digits, "
		"'_' or '-'");
	refused(TIERING "[target t]\n", 5, "target 't' again (first on line 1)");
	for (i = 0; i < CDMD_MAX_TARGETS + 1; i++)
		n += snprintf(text + n, sizeof(text) - n,
			      "[target t%d]\nmatch = pid:%d\npolicy = bind\nnodes = 1\n", i, i + 1);
	refused(text, 4 * CDMD_MAX_TARGETS + 1, "target 't64': more than 64 targets");
	/* an empty target is seen, though libinih calls nothing for it */
	refused("[target empty]\n", 1, "target 'empty': no match (required)");
	refused("[target empty]\n", 1, "target 'empty': no policy (required: tiering or bind)");
}

static void keys(void **state)
{
	refused("[cdmd]\nintervall_ms = 100\n", 2, "unknown key 'intervall_ms' in [cdmd]");
	refused("[cdmd]\nmatch = pid:1\n", 2, "unknown key 'match' in [cdmd]");
	refused(TIERING "interval_ms = 100\n", 5, "unknown key 'interval_ms' in [target]");
	refused("[cdmd]\ntracker = auto\ntracker = idle\n", 3,
		"tracker set again in this section (line 2)");
	refused(TIERING "nodes = 1\n", 5, "nodes: not a key of policy tiering");
	refused("[target b]\npromote_accesses = 3\nmatch = pid:1\npolicy = bind\nnodes = 1\n", 2,
		"promote_accesses: not a key of policy bind");
	refused("[target b]\nmatch = pid:1\npolicy = bind\n", 1,
		"target 'b': policy bind needs nodes");
	refused("[target t]\nmatch = pid:1\npolicy = tiering\n", 1,
		"target 't': policy tiering needs slow_nodes");
	refused(TIERING "fast_nodes = 0-1\n", 5, "target 't': node 1 is both fast and slow");
	refused(TIERING "promote_accesses = 3\ndemote_accesses = 3\n", 6,
		"target 't': demote_accesses 3 not below promote_accesses 3 (a page would be "
		"hot and cold at once)");
	refused("[cdmd]\nsocket_group = no-such-group-cdm\n", 1,
		"socket_group 'no-such-group-cdm': no such group");
}

/* every value a key refuses, with the range the man page gives */
static void values(void **state)
{
	static const struct {
		const char *line, *want;
	} bad[] = {
		{ "interval_ms = 99", "interval_ms = '99': not 100-60000 (ms)" },
		{ "interval_ms = 60001", "interval_ms = '60001': not 100-60000 (ms)" },
		{ "interval_ms = 1e3", "interval_ms = '1e3': not 100-60000 (ms)" },
		{ "interval_ms = -100", "interval_ms = '-100': not 100-60000 (ms)" },
		{ "interval_ms = +100", "interval_ms = '+100': not 100-60000 (ms)" },
		{ "interval_ms = 0100", "interval_ms = '0100': not 100-60000 (ms)" },
		{ "interval_ms = 0x100", "interval_ms = '0x100': not 100-60000 (ms)" },
		{ "interval_ms = 99999999999999999999999",
		  "interval_ms = '99999999999999999999999': not 100-60000 (ms)" },
		{ "interval_ms =", "interval_ms = '': not 100-60000 (ms)" },
		{ "interval_ms = 1 000", "interval_ms = '1 000': not 100-60000 (ms)" },
		{ "tracker = DAMON", "tracker = 'DAMON': not auto, damon, idle" },
		{ "metrics_port = 80", "metrics_port = '80': not 0 (off) or 1024-65535" },
		{ "metrics_port = 65536", "metrics_port = '65536': not 0 (off) or 1024-65535" },
		{ "isolate_cpusets = true", "isolate_cpusets = 'true': not yes, no" },
	};
	static const struct {
		const char *line, *want;
	} bad_target[] = {
		{ "policy = tier", "policy = 'tier': not tiering, bind" },
		{ "match = app", "match 'app': not cgroup:PATH, comm:NAME, regex:ERE or pid:N" },
		{ "match = cgroup:/tmp/x", "match 'cgroup:/tmp/x': a cgroup is a directory under "
		  "/sys/fs/cgroup/, without '..'" },
		{ "match = cgroup:/sys/fs/cgroup/../../etc", "match 'cgroup:/sys/fs/cgroup/../../etc': "
		  "a cgroup is a directory under /sys/fs/cgroup/, without '..'" },
		{ "match = cgroup:/sys/fs/cgroup/a/..", "match 'cgroup:/sys/fs/cgroup/a/..': a cgroup "
		  "is a directory under /sys/fs/cgroup/, without '..'" },
		{ "match = cgroup:/sys/fs/cgroup/", "match 'cgroup:/sys/fs/cgroup/': a cgroup is a "
		  "directory under /sys/fs/cgroup/, without '..'" },
		{ "match = comm:", "match 'comm:': a command name has 1-15 bytes" },
		{ "match = comm:0123456789abcdef", "match 'comm:0123456789abcdef': a command name has "
		  "1-15 bytes" },
		{ "match = regex:(", "match 'regex:(': " },
		{ "match = pid:0", "match 'pid:0': not a process id" },
		{ "match = pid:-1", "match 'pid:-1': not a process id" },
		{ "match = pid:2147483648", "match 'pid:2147483648': not a process id" },
		{ "promote_accesses = 0", "promote_accesses = '0': not 1-1000, above demote_accesses" },
		{ "rate_mb_s = 0", "rate_mb_s = '0': not 1-100000 (MiB/s)" },
		{ "pingpong_window_s = 86401", "pingpong_window_s = '86401': not 1-86400 (s)" },
		{ "cold_age_s = 86401", "cold_age_s = '86401': not 0-86400 (s)" },
		{ "fast_nodes = 5", "fast_nodes: " },
		{ "fast_nodes = 0-", "fast_nodes: " },
		{ "fast_nodes = ", "fast_nodes: " },
	};
	char text[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[cdmd]\n%s\n", bad[i].line);
		refused(text, 2, bad[i].want);
	}
	/* each after the other keys a tiering target needs, but itself */
	for (i = 0; i < sizeof(bad_target) / sizeof(bad_target[0]); i++) {
		const char *key = bad_target[i].line;

		snprintf(text, sizeof(text), "[target t]\n%s%s%s%s\n",
			 strncmp(key, "match", 5) ? "match = comm:app\n" : "",
			 strncmp(key, "policy", 6) ? "policy = tiering\n" : "",
			 strncmp(key, "slow_nodes", 10) ? "slow_nodes = 1\n" : "", key);
		refused(text, nr_lines(text), bad_target[i].want);
	}
}

/* all problems at once, in line order, and a file that is not there */
static void all_problems(void **state)
{
	struct cdmd_config *cfg = NULL;
	static const char text[] = "[cdmd]\ninterval_ms = 1\ntracker = x\n[bad]\n" TIERING
				   "rate_mb_s = 0\n";

	assert_int_equal(load(text, strlen(text), &cfg), -EINVAL);
	assert_null(cfg);
	assert_int_equal(nr_lines(errors), 4);
	assert_non_null(strstr(errors, ":2: interval_ms"));
	assert_true(strstr(errors, ":2: ") < strstr(errors, ":3: tracker"));
	assert_true(strstr(errors, ":3: ") < strstr(errors, ":4: unknown section"));
	assert_true(strstr(errors, ":4: ") < strstr(errors, ":9: rate_mb_s"));
	unlink(path);
	free(errors);
	errors = NULL;
	{
		FILE *err = open_memstream(&errors, &errors_len);

		assert_int_equal(cdmd_config_load(ctx, path, err, &cfg), -ENOENT);
		fclose(err);
	}
	assert_null(cfg);
	assert_non_null(strstr(errors, ": No such file or directory"));
}

/* the example in configs/ is a good file */
static void example(void **state)
{
	struct cdmd_config *cfg = NULL;
	FILE *err;

	free(errors);
	errors = NULL;
	err = open_memstream(&errors, &errors_len);
	assert_int_equal(cdmd_config_load(ctx, CDMD_CONF_EXAMPLE, err, &cfg), 0);
	fclose(err);
	assert_string_equal(errors, "");
	assert_int_equal(cfg->nr_targets, 2);
	assert_int_equal(cfg->targets[0].demote_accesses, 1);
	assert_int_equal(cfg->targets[1].policy, CDMD_POLICY_BIND);
	cdmd_config_free(cfg);
}

/* cdmd.conf(5) gives every key with its type, default and range */
static void man_page(void **state)
{
	const struct cdmd_key_doc *doc;
	char want[512], *page = NULL, *s, *d;
	size_t len = 0;
	FILE *f = fopen(CDMD_CONF_MAN, "r");
	int i;

	assert_non_null(f);
	assert_int_equal(getdelim(&page, &len, '\0', f) > 0, 1);
	fclose(f);
	/* troff's escapes off: "\-" is "-", "\fI...\fR" fonts */
	for (s = d = page; *s; s++) {
		if (s[0] == '\\' && s[1] == '-') {
			*d++ = '-';
			s++;
		} else if (s[0] == '\\' && s[1] == 'f' && s[2]) {
			s += 2;
		} else if (s[0] == '\\' && s[1] == '&') {
			s++;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
	for (i = 0; (doc = cdmd_config_key_doc(i)); i++) {
		snprintf(want, sizeof(want), ".TP\n.B %s\n%s, in [%s]. Default: %s. %s.\n",
			 doc->name, doc->type, doc->section, doc->def, doc->range);
		if (!strstr(page, want))
			fail_msg("cdmd.conf.5 lacks:\n%s", want);
	}
	assert_int_equal(i, 17);
	free(page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(every_key),
		cmocka_unit_test(syntax),
		cmocka_unit_test(sections),
		cmocka_unit_test(keys),
		cmocka_unit_test(values),
		cmocka_unit_test(all_problems),
		cmocka_unit_test(example),
		cmocka_unit_test(man_page),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("cdmd.conf", tests, setup, teardown);
}
