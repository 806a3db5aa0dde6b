// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Node lists against numactl: every input of a generated table goes to
 * cdm_nodeset_parse() and to libnuma's numa_parse_nodestring() on the same
 * machine, and the answers must agree, except where libcdm differs on
 * purpose; each such case says why (enum why, and libcdm.h).
 *
 * libnuma reads its machine once, when it is loaded, from
 * /sys/devices/system/node and /proc/self/status; so libnuma is asked in a
 * child process, this program run again as "--oracle", which answers the
 * whole table on its standard output. For a fake machine the oracle's
 * fopen() and opendir() of those two places are sent to the fake tree
 * (fopen and opendir below take precedence over libc's for libnuma too).
 * Machines:
 *   host    the real one, as libnuma sees it (a one-node host knows only
 *           node 0); libcdm reads a copy of its node files
 *   dense   nodes 0-3, all with memory: "!" must agree with libnuma as is
 *   sparse  node 2 without memory, no node 4: ranges skip what is not
 *           allowed, "+" counts the allowed nodes only
 *   wide    nodes 0,63,64,65(no memory),1023: word boundaries, the top
 *
 * libnuma's "allowed" set is the caller's cpuset (Mems_allowed); libcdm's
 * is has_memory. The fakes set both alike; the host copy writes the cpuset
 * as has_memory, so that both sides see one allowed set everywhere.
 * numa_parse_nodestring_all() is not compared: its set is every node number
 * up to the highest, with or without memory, which no libcdm list means.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <numa.h>

#include <libcdm.h>
#include "fakesys.h"

/* set in the oracle's environment to the fake tree it must read */
#define ORACLE_SYSFS_ENV "CDM_TEST_LIBNUMA_SYSFS"

static const char *redirect(const char *path, char *buf, size_t len)
{
	static const char node_dir[] = "/sys/devices/system/node";
	const char *root = getenv(ORACLE_SYSFS_ENV);

	if (!root || !path)
		return path;
	if (!strncmp(path, node_dir, strlen(node_dir)))
		snprintf(buf, len, "%s%s", root, path + strlen("/sys"));
	else if (!strcmp(path, "/proc/self/status"))
		snprintf(buf, len, "%s/proc-self-status", root);
	else
		return path;
	return buf;
}

FILE *fopen(const char *path, const char *mode)
{
	static FILE *(*libc_fopen)(const char *, const char *);
	char buf[PATH_MAX];

	if (!libc_fopen)
		libc_fopen = (FILE *(*)(const char *, const char *))dlsym(RTLD_NEXT, "fopen");
	return libc_fopen(redirect(path, buf, sizeof(buf)), mode);
}

DIR *opendir(const char *path)
{
	static DIR *(*libc_opendir)(const char *);
	char buf[PATH_MAX];

	if (!libc_opendir)
		libc_opendir = (DIR *(*)(const char *))dlsym(RTLD_NEXT, "opendir");
	return libc_opendir(redirect(path, buf, sizeof(buf)));
}

/* libnuma's warnings would fill standard error with expected rejections */
void numa_warn(int num, char *fmt, ...)
{
}

void numa_error(char *where)
{
}

/* Why libcdm rejects a list on purpose, whatever libnuma answers. */
enum why {
	WHY_EMPTY	= 1 << 0,	/* "": libnuma gives the empty set */
	WHY_REVERSED	= 1 << 1,	/* "3-1": libnuma takes node 3 alone */
	WHY_NUMBER	= 1 << 2,	/* strtoul's reading: "010" is 8, "0x1", "-0", " +1" */
	WHY_ALL_IN_LIST	= 1 << 3,	/* "1,all": libnuma takes every allowed node */
	WHY_NOT_ALL	= 1 << 4,	/* "!all": never a node (libnuma: numbers below
					 * its node count that are not allowed) */
	WHY_DEVICE	= 1 << 5,	/* "netdev:lo": numactl's device names */
	WHY_COUNT	= 6
};

static const char *const why_names[WHY_COUNT] = {
	"empty list", "reversed range", "number strtoul reads otherwise",
	"'all' with other nodes", "'!all'", "device name",
};

struct part {
	const char *text;
	unsigned int why;
};

/* What may open a list (before the first item). */
static const struct part prefixes[] = {
	{ "", 0 }, { "!", 0 }, { "+", 0 }, { "!+", 0 }, { "+!", 0 }, { "!!", 0 },
	{ "++", WHY_NUMBER },		/* libnuma: '+', then strtoul's own sign */
	{ " ", 0 }, { " !", 0 }, { "! ", 0 },
};

/* Items of a list: numbers around the machines' nodes, ranges, whitespace
 * where strtoul skips it and where nothing does, and what is not numactl. */
static const struct part items[] = {
	{ "0", 0 }, { "1", 0 }, { "2", 0 }, { "3", 0 }, { "4", 0 }, { "5", 0 },
	{ "6", 0 }, { "63", 0 }, { "64", 0 }, { "65", 0 }, { "1023", 0 },
	{ "1024", 0 }, { "4096", 0 }, { "99999999999999999999", 0 },
	{ "18446744073709551615", 0 },
	{ "4294967297", WHY_NUMBER },		/* libnuma: node 1, cut to 32 bits */
	{ "0-1", 0 }, { "0-3", 0 }, { "1-3", 0 }, { "1-5", 0 }, { "2-2", 0 },
	{ "2-3", 0 }, { "0-6", 0 }, { "4-5", 0 }, { "60-70", 0 }, { "63-64", 0 },
	{ "64-1023", 0 }, { "0-1023", 0 }, { "0-1024", 0 }, { "1-1023", 0 },
	{ "3-1", WHY_REVERSED }, { "5-0", WHY_REVERSED }, { "64-63", WHY_REVERSED },
	{ "1023-0", WHY_REVERSED },
	{ " 1", 0 }, { "\t0", 0 }, { "\n3", 0 }, { "\v1", 0 }, { "\f2", 0 },
	{ "\r5", 0 }, { "  64", 0 }, { "0- 1", 0 }, { " 0-\t3", 0 },
	{ "1 ", 0 }, { "0 -1", 0 }, { "0 - 1", 0 }, { "0-1 ", 0 },
	{ "01", WHY_NUMBER }, { "00", WHY_NUMBER }, { "010", WHY_NUMBER },
	{ "0x1", WHY_NUMBER }, { "0X3", WHY_NUMBER }, { "-0", WHY_NUMBER },
	{ " +1", WHY_NUMBER }, { "1-+3", WHY_NUMBER }, { "1--0", WHY_NUMBER },
	{ "0-01", WHY_NUMBER }, { "08", 0 }, { "0x", 0 },
	{ "all", 0 }, { " all", 0 }, { "all ", 0 }, { "ALL", 0 }, { "al", 0 },
	{ "alll", 0 }, { "", 0 }, { "-", 0 }, { "-1", 0 }, { "1-", 0 },
	{ "--1", 0 }, { "1--2", 0 }, { "0-1-2", 0 }, { "0-4:2", 0 }, { "1:2", 0 },
	{ "0-5/2", 0 }, { "1.5", 0 }, { "1;2", 0 }, { "1 2", 0 }, { "x", 0 },
	{ "\xff", 0 },
	{ "netdev:lo", WHY_DEVICE }, { "pci:0000:00:00.0", WHY_DEVICE },
};

/* Items most lists are made of, for lists that are mostly valid */
static const struct part numbers[] = {
	{ "0", 0 }, { "1", 0 }, { "2", 0 }, { "3", 0 }, { "5", 0 }, { "63", 0 },
	{ "64", 0 }, { "65", 0 }, { "1023", 0 }, { "0-1", 0 }, { "0-3", 0 },
	{ "1-3", 0 }, { "1-5", 0 }, { "2-3", 0 }, { "3-5", 0 }, { "0-5", 0 },
	{ "60-70", 0 }, { "63-64", 0 }, { "64-1023", 0 }, { "0-1023", 0 },
	{ " 1", 0 }, { "\t3", 0 }, { "0- 1", 0 },
};

#define NR_PREFIXES (sizeof(prefixes) / sizeof(prefixes[0]))
#define NR_ITEMS (sizeof(items) / sizeof(items[0]))
#define NR_NUMBERS (sizeof(numbers) / sizeof(numbers[0]))
#define NR_TRIPLES 4000

struct nl_case {
	char in[80];
	unsigned int why;
	bool lone;		/* one item after a prefix that parses: its
				 * error is the list's error */
};

static struct nl_case *cases;
static int nr_cases;

static void add_case(const struct part *prefix, const struct part **list, int n)
{
	struct nl_case *c = &cases[nr_cases++];
	bool all = false;
	int i;

	snprintf(c->in, sizeof(c->in), "%s", prefix->text);
	c->why = prefix->why;
	for (i = 0; i < n; i++) {
		snprintf(c->in + strlen(c->in), sizeof(c->in) - strlen(c->in), "%s%s",
			 i ? "," : "", list[i]->text);
		c->why |= list[i]->why;
		all |= !strcmp(list[i]->text, "all");
	}
	if (all && n > 1)
		c->why |= WHY_ALL_IN_LIST;
	if (all && n == 1 && (!strcmp(prefix->text, "!") || !strcmp(prefix->text, "!+")))
		c->why |= WHY_NOT_ALL;
	if (!c->in[0])
		c->why |= WHY_EMPTY;
	c->lone = n == 1 && (!strcmp(prefix->text, "") || !strcmp(prefix->text, "!") ||
			     !strcmp(prefix->text, "+") || !strcmp(prefix->text, "!+"));
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The same table in the test and in the oracle: it is generated, not read. */
static void make_table(void)
{
	const struct part *list[3];
	unsigned int p, i, j;
	int t;

	cases = calloc(NR_PREFIXES * NR_ITEMS + 3 * NR_ITEMS * NR_ITEMS + 2 * NR_TRIPLES,
		       sizeof(*cases));
	if (!cases)
		abort();
	for (p = 0; p < NR_PREFIXES; p++)
		for (i = 0; i < NR_ITEMS; i++) {
			list[0] = &items[i];
			add_case(&prefixes[p], list, 1);
		}
	/* pairs under the three prefixes that mean something */
	for (p = 0; p < 3; p++)
		for (i = 0; i < NR_ITEMS; i++)
			for (j = 0; j < NR_ITEMS; j++) {
				list[0] = &items[i];
				list[1] = &items[j];
				add_case(&prefixes[p], list, 2);
			}
	for (t = 0; t < NR_TRIPLES; t++) {
		for (i = 0; i < 3; i++)
			list[i] = &items[next_rand() % NR_ITEMS];
		add_case(&prefixes[next_rand() % NR_PREFIXES], list, 3);
	}
	/* and under "", "!", "+", "!+", lists of numbers and ranges only */
	for (t = 0; t < NR_TRIPLES; t++) {
		for (i = 0; i < 3; i++)
			list[i] = &numbers[next_rand() % NR_NUMBERS];
		add_case(&prefixes[next_rand() % 4], list, 1 + next_rand() % 3);
	}
}

/* ---- the oracle: libnuma's answers, one line per case ---- */

/* "-" for a rejected list, else "=" and the nodes ("=0,3", "=" when none) */
static void print_answer(struct bitmask *mask)
{
	unsigned int node;
	bool first = true;

	if (!mask) {
		fputs("-", stdout);
		return;
	}
	fputs("=", stdout);
	for (node = 0; node < mask->size; node++)
		if (numa_bitmask_isbitset(mask, node)) {
			printf("%s%u", first ? "" : ",", node);
			first = false;
		}
	if (mask != numa_no_nodes_ptr && mask != numa_all_nodes_ptr)
		numa_bitmask_free(mask);
}

/* Each case, then the case without its leading '!': libcdm inverts
 * within the allowed set, libnuma within its node count (see check()). */
static int oracle(void)
{
	int i;

	for (i = 0; i < nr_cases; i++) {
		const char *in = cases[i].in;

		print_answer(numa_parse_nodestring(in));
		fputs(" ", stdout);
		print_answer(numa_parse_nodestring(in[0] == '!' ? in + 1 : in));
		fputs("\n", stdout);
	}
	printf("end %d\n", nr_cases);
	return fflush(stdout) ? 1 : 0;
}

struct answer {
	bool ok;
	struct cdm_nodeset set;
};

static bool read_answer(char **p, struct answer *a)
{
	char *end;
	long node;

	cdm_nodeset_zero(&a->set);
	a->ok = **p == '=';
	if (**p != '=' && **p != '-')
		return false;
	(*p)++;
	if (!a->ok)
		return true;
	while (**p >= '0' && **p <= '9') {
		node = strtol(*p, &end, 10);
		if (cdm_nodeset_add(&a->set, node))
			return false;
		*p = end;
		if (**p == ',')
			(*p)++;
	}
	return true;
}

/* ---- machines ---- */

static const struct fake_node dense[] = {
	{ 0, "0-1", 1024, "10 20 30 30" },
	{ 1, "2-3", 1024, "20 10 30 30" },
	{ 2, "", 512, "30 30 10 40" },
	{ 3, "", 512, "30 30 40 10" },
};

static const struct fake_node sparse[] = {
	{ 0, "0-1", 1024, "10 20 20 30 30" },
	{ 1, "2-3", 1024, "20 10 20 30 30" },
	{ 2, "4", 0, "20 20 10 30 30" },
	{ 3, "", 1024, "30 30 30 10 40" },
	{ 5, "", 1024, "30 30 30 40 10" },
};

static const struct fake_node wide[] = {
	{ 0, "0", 1024, "10 30 30 30 30" },
	{ 63, "", 1024, "30 10 20 20 20" },
	{ 64, "", 1024, "30 20 10 20 20" },
	{ 65, "1", 0, "30 20 20 10 20" },
	{ 1023, "", 1024, "30 20 20 20 10" },
};

/* libnuma's view of the caller's cpuset: every node with memory */
static void fake_status(const struct fake_node *nodes, int nr)
{
	uint32_t words[CDM_MAX_NODES / 32] = { 0 };
	char buf[1024], list[256] = "";
	int i;

	for (i = 0; i < nr; i++) {
		if (!nodes[i].mem_mib)
			continue;
		words[nodes[i].id / 32] |= 1u << (nodes[i].id % 32);
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%d",
			 *list ? "," : "", nodes[i].id);
	}
	/* the kernel's layout: 32-bit words, highest first */
	snprintf(buf, sizeof(buf), "Mems_allowed:\t");
	for (i = CDM_MAX_NODES / 32 - 1; i >= 0; i--)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%08x%s", words[i],
			 i ? "," : "\n");
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "Mems_allowed_list:\t%s\n", list);
	fakesys_write("proc-self-status", buf);
}

static bool copy_file(const char *from, const char *rel)
{
	char buf[16384];
	size_t n;
	FILE *f = fopen(from, "r");

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	fakesys_write(rel, buf);
	return true;
}

/* libcdm's copy of the host's node files; false when the host has none */
static bool copy_host(void)
{
	static const char *const lists[] = { "online", "possible", "has_cpu",
					     "has_normal_memory" };
	static const char *const files[] = { "cpulist", "distance", "meminfo" };
	char from[PATH_MAX], rel[PATH_MAX], line[4096];
	struct dirent *de;
	unsigned int i;
	bool cpuset = false;
	DIR *dir;
	FILE *f;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		snprintf(from, sizeof(from), "/sys/devices/system/node/%s", lists[i]);
		snprintf(rel, sizeof(rel), "devices/system/node/%s", lists[i]);
		if (!copy_file(from, rel) && i == 0)
			return false;
	}
	dir = opendir("/sys/devices/system/node");
	if (!dir)
		return false;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "node", 4) || de->d_name[4] < '0' || de->d_name[4] > '9')
			continue;
		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(from, sizeof(from), "/sys/devices/system/node/%s/%s", de->d_name,
				 files[i]);
			snprintf(rel, sizeof(rel), "devices/system/node/%s/%s", de->d_name,
				 files[i]);
			copy_file(from, rel);
		}
	}
	closedir(dir);
	/* has_memory := the cpuset, which is what libnuma allows */
	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Mems_allowed_list:", 18)) {
			fakesys_write("devices/system/node/has_memory", line + 18 + strspn(line + 18, " \t"));
			cpuset = true;
		}
	if (f)
		fclose(f);
	if (!cpuset)
		copy_file("/sys/devices/system/node/has_memory", "devices/system/node/has_memory");
	return true;
}

static FILE *start_oracle(const char *fake_root, pid_t *pid)
{
	int fds[2];

	if (pipe(fds))
		return NULL;
	fflush(stdout);
	*pid = fork();
	if (*pid < 0)
		return NULL;
	if (*pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		if (fake_root)
			setenv(ORACLE_SYSFS_ENV, fake_root, 1);
		execl("/proc/self/exe", "nodeset-numactl", "--oracle", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	return fdopen(fds[0], "r");
}

static bool dense_from_zero(const struct cdm_nodeset *set)
{
	int node, expect = 0;

	cdm_nodeset_foreach(set, node)
		if (node != expect++)
			return false;
	return true;
}

/* @s with C escapes: inputs hold newlines and other bytes that TAP would not carry */
static const char *quote(const char *s, char buf[512])
{
	size_t n = 0;

	for (; *s && n < 500; s++) {
		unsigned char ch = *s;

		if (ch == '\n')
			n += sprintf(buf + n, "\\n");
		else if (ch == '\t')
			n += sprintf(buf + n, "\\t");
		else if (ch < ' ' || ch >= 0x7f)
			n += sprintf(buf + n, "\\x%02x", ch);
		else
			buf[n++] = ch;
	}
	buf[n] = '\0';
	return buf;
}

static void show(const struct cdm_nodeset *set, char *buf, size_t len)
{
	if (cdm_nodeset_format(set, buf, len) < 0)
		snprintf(buf, len, "(too long)");
}

/* What the cases of one machine came to */
struct tally {
	unsigned int same_nodes;	/* both accept, the same nodes */
	unsigned int both_refuse;
	unsigned int on_purpose[WHY_COUNT];	/* libcdm refuses, libnuma accepts */
	unsigned int inverted;		/* "!": libnuma's own answer is another */
	unsigned int differ;
};

/*
 * One case: what libcdm must answer, from libnuma's answers @a (the list)
 * and @rest (the list without a leading '!'). 1 and what differs in @out,
 * or 0 and the case counted in @t.
 */
static int check(const struct nl_case *c, struct cdm_ctx *ctx, const struct answer *a,
		 const struct answer *rest, const struct cdm_nodeset *allowed,
		 struct tally *t, char *out, size_t len)
{
	struct cdm_nodeset got, want;
	bool want_ok;
	char gbuf[256], wbuf[256], q[512], m[512];
	int rc, i;

	memset(&got, 0x5a, sizeof(got));
	rc = cdm_nodeset_parse(ctx, c->in, &got);

	if (c->why) {
		want_ok = false;
	} else if (c->in[0] == '!' && c->in[1] != '!' && c->in[1] != '\0') {
		/* libcdm inverts within the allowed set; libnuma flips node
		 * numbers below numa_num_configured_nodes() (a count, not the
		 * highest node), which differs only where nodes are sparse */
		want_ok = rest->ok;
		for (i = 0; i < CDM_MAX_NODES / 64; i++)
			want.bits[i] = allowed->bits[i] & ~rest->set.bits[i];
		if (a->ok != rest->ok || (a->ok && dense_from_zero(allowed) &&
					  memcmp(&a->set, &want, sizeof(want)))) {
			snprintf(out, len, "'%s': libnuma's inversion is not what this test assumes",
				 quote(c->in, q));
			return 1;
		}
	} else {
		want_ok = a->ok;
		want = a->set;
	}

	if (want_ok && rc) {
		show(&want, wbuf, sizeof(wbuf));
		snprintf(out, len, "'%s': libcdm rejects it (%s), libnuma gives '%s'",
			 quote(c->in, q), quote(cdm_get_last_error(ctx), m), wbuf);
		return 1;
	}
	if (!want_ok && !rc) {
		show(&got, gbuf, sizeof(gbuf));
		snprintf(out, len, "'%s': libcdm gives '%s', %s", quote(c->in, q), gbuf,
			 c->why ? "libcdm must reject it" : "libnuma rejects it");
		return 1;
	}
	if (rc) {
		if (rc != -EINVAL && rc != -ERANGE) {
			snprintf(out, len, "'%s': libcdm fails with %d, not -EINVAL or -ERANGE",
				 quote(c->in, q), rc);
			return 1;
		}
		if (!strstr(cdm_get_last_error(ctx), "node list '")) {
			snprintf(out, len, "'%s': message '%s' does not name the list",
				 quote(c->in, q), quote(cdm_get_last_error(ctx), m));
			return 1;
		}
		if (c->why == WHY_REVERSED && c->lone &&
		    !strstr(cdm_get_last_error(ctx), "reversed")) {
			snprintf(out, len, "'%s': message '%s' does not say reversed",
				 quote(c->in, q), quote(cdm_get_last_error(ctx), m));
			return 1;
		}
		if (!a->ok)
			t->both_refuse++;
		for (i = 0; a->ok && i < WHY_COUNT; i++)
			if (c->why & (1u << i))
				t->on_purpose[i]++;
		return 0;
	}
	if (memcmp(&got, &want, sizeof(got))) {
		show(&got, gbuf, sizeof(gbuf));
		show(&want, wbuf, sizeof(wbuf));
		snprintf(out, len, "'%s': libcdm gives '%s', libnuma '%s'", quote(c->in, q), gbuf,
			 wbuf);
		return 1;
	}
	if (memcmp(&a->set, &want, sizeof(want)))
		t->inverted++;
	else
		t->same_nodes++;
	return 0;
}

/* Every case on one machine (@nodes NULL: the host); fails on any difference. */
static void compare_on(const char *name, const struct fake_node *nodes, int nr)
{
	struct tally t = { 0 };
	int i;
	struct answer a, rest;
	struct cdm_nodeset allowed;
	struct cdm_ctx *ctx;
	const char *root;
	char line[8192], complaint[2048], *p;
	FILE *answers;
	pid_t pid = -1;
	int status;

	root = fakesys_new();
	if (nodes) {
		fakesys_machine(nodes, nr);
		fake_status(nodes, nr);
	} else if (!copy_host()) {
		fakesys_remove();
		skip();		/* no /sys/devices/system/node: nothing to compare with */
	}
	assert_int_equal(cdm_new(&ctx), 0);
	assert_int_equal(cdm_get_memory_nodes(ctx, &allowed), 0);
	answers = start_oracle(nodes ? root : NULL, &pid);
	assert_non_null(answers);

	for (i = 0; i < nr_cases; i++) {
		p = line;
		if (!fgets(line, sizeof(line), answers) || !read_answer(&p, &a) ||
		    *p++ != ' ' || !read_answer(&p, &rest) || *p != '\n')
			fail_msg("%s: the oracle's answer %d is '%.40s'", name, i, line);
		if (check(&cases[i], ctx, &a, &rest, &allowed, &t, complaint,
			  sizeof(complaint)) && ++t.differ <= 50)
			printf("# %s: %s\n", name,
			       t.differ < 50 ? complaint : "(further differences not shown)");
	}
	if (!fgets(line, sizeof(line), answers) || atoi(line + 4) != nr_cases)
		fail_msg("%s: the oracle did not finish: '%.40s'", name, line);
	fclose(answers);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	show(&allowed, line, sizeof(line));
	printf("# %s, allowed nodes %s: %d cases compared with numa_parse_nodestring(): "
	       "%u differ; %u the same nodes, %u refused by both, %u '!' lists inverted "
	       "within the allowed nodes where libnuma gives others\n", name, line, nr_cases,
	       t.differ, t.same_nodes, t.both_refuse, t.inverted);
	for (i = 0; i < WHY_COUNT; i++)
		if (t.on_purpose[i])
			printf("#   refused by libcdm on purpose, accepted by libnuma: %u, %s\n",
			       t.on_purpose[i], why_names[i]);
	cdm_unref(ctx);
	fakesys_remove();
	if (t.differ)
		fail_msg("%s: %u of %d cases differ from libnuma", name, t.differ, nr_cases);
}

static void host_machine(void **state)
{
	compare_on("host", NULL, 0);
}

static void dense_machine(void **state)
{
	compare_on("dense", dense, sizeof(dense) / sizeof(dense[0]));
}

static void sparse_machine(void **state)
{
	compare_on("sparse", sparse, sizeof(sparse) / sizeof(sparse[0]));
}

static void wide_machine(void **state)
{
	compare_on("wide", wide, sizeof(wide) / sizeof(wide[0]));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(host_machine),
		cmocka_unit_test(dense_machine),
		cmocka_unit_test(sparse_machine),
		cmocka_unit_test(wide_machine),
	};

	make_table();
	if (argc == 2 && !strcmp(argv[1], "--oracle"))
		return oracle();
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("libcdm node lists against numactl", tests,
					   NULL, NULL);
}
