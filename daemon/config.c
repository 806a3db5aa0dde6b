// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdmd.conf: parsed with libinih, checked key by key against one table
 * (keys[] below, which cdmd.conf(5) documents and tests/host/cdmd-config
 * holds the page to), then as a whole (what one key means for another).
 * Every problem is reported with its file and line, not only the first;
 * a file with any problem gives no configuration at all.
 *
 * libinih as Debian builds it hands the handler no line number, so the
 * file reaches it through a reader of ours that counts lines and
 * refuses, before libinih sees them, the lines it would misread: too
 * long (libinih would cut them in two), a NUL byte, a header without its
 * ']', a line that is neither "key = value", a header nor a comment.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config.h"
#include "protocol.h"

#define LINE_MAX_BYTES	1024

enum key_type { KEY_UINT, KEY_BOOL, KEY_TRACKER, KEY_STRING, KEY_MATCH, KEY_POLICY, KEY_NODES };

/* which targets a key applies to */
#define FOR_ANY		0
#define FOR_TIERING	(1u << CDMD_POLICY_TIERING)
#define FOR_BIND	(1u << CDMD_POLICY_BIND)

struct key {
	const char *name;
	bool target;			/* [target NAME], else [cdmd] */
	enum key_type type;
	size_t offset;			/* in struct cdmd_config or struct cdmd_target */
	unsigned int min, max;		/* KEY_UINT */
	const char *def;		/* as written in the file; NULL: required */
	unsigned int policies;		/* target keys: FOR_* */
	const char *doc_type, *doc_range;	/* for cdmd.conf(5) */
};

#define GLOBAL(n, t, f, lo, hi, d, dt, dr) \
	{ n, false, t, offsetof(struct cdmd_config, f), lo, hi, d, FOR_ANY, dt, dr }
#define TARGET(n, t, f, lo, hi, d, p, dt, dr) \
	{ n, true, t, offsetof(struct cdmd_target, f), lo, hi, d, p, dt, dr }

static const struct key keys[] = {
	GLOBAL("interval_ms", KEY_UINT, interval_ms, 100, 60000, "1000",
	       "integer", "100-60000 (ms)"),
	GLOBAL("tracker", KEY_TRACKER, tracker, 0, 0, "auto", "word", "auto, damon, idle"),
	GLOBAL("socket_group", KEY_STRING, socket_group, 0, 0, "",
	       "group name", "a group in /etc/group, or empty: root only"),
	GLOBAL("metrics_port", KEY_UINT, metrics_port, 0, 65535, "0",
	       "integer", "0 (off) or 1024-65535"),
	GLOBAL("isolate_cpusets", KEY_BOOL, isolate_cpusets, 0, 1, "no",
	       "boolean", "yes, no"),
	TARGET("match", KEY_MATCH, match, 0, 0, NULL, FOR_ANY, "kind:value",
	       "cgroup:/sys/fs/cgroup/PATH, comm:NAME, regex:ERE, pid:N"),
	TARGET("policy", KEY_POLICY, policy, 0, 0, NULL, FOR_ANY, "word", "tiering, bind"),
	TARGET("fast_nodes", KEY_NODES, fast_nodes, 0, 0, "(the nodes with CPUs)", FOR_TIERING,
	       "node list", "numactl's syntax, online nodes with memory"),
	TARGET("slow_nodes", KEY_NODES, slow_nodes, 0, 0, NULL, FOR_TIERING,
	       "node list", "numactl's syntax, none of fast_nodes"),
	TARGET("promote_accesses", KEY_UINT, promote_accesses, 1, 1000, "5", FOR_TIERING,
	       "integer", "1-1000, above demote_accesses"),
	TARGET("demote_accesses", KEY_UINT, demote_accesses, 0, 999, "0", FOR_TIERING,
	       "integer", "0-999, below promote_accesses"),
	TARGET("cold_age_s", KEY_UINT, cold_age_s, 0, 86400, "5", FOR_TIERING,
	       "integer", "0-86400 (s)"),
	TARGET("min_residency_s", KEY_UINT, min_residency_s, 0, 86400, "10", FOR_TIERING,
	       "integer", "0-86400 (s)"),
	TARGET("rate_mb_s", KEY_UINT, rate_mb_s, 1, 100000, "256", FOR_TIERING,
	       "integer", "1-100000 (MiB/s)"),
	TARGET("fast_free_mb", KEY_UINT, fast_free_mb, 0, 1048576, "256", FOR_TIERING,
	       "integer", "0-1048576 (MiB)"),
	TARGET("pingpong_window_s", KEY_UINT, pingpong_window_s, 1, 86400, "60", FOR_TIERING,
	       "integer", "1-86400 (s)"),
	TARGET("nodes", KEY_NODES, nodes, 0, 0, NULL, FOR_BIND,
	       "node list", "numactl's syntax, online nodes with memory"),
};
#define NR_KEYS ((int)(sizeof(keys) / sizeof(keys[0])))

const struct cdmd_key_doc *cdmd_config_key_doc(int index)
{
	static struct cdmd_key_doc doc;

	if (index < 0 || index >= NR_KEYS)
		return NULL;
	doc = (struct cdmd_key_doc){
		.name = keys[index].name, .section = keys[index].target ? "target" : "cdmd",
		.type = keys[index].doc_type, .def = !keys[index].def ? "none (required)" : !*keys[index].def ? "empty" :
		       keys[index].def,
		.range = keys[index].doc_range,
	};
	return &doc;
}

struct parse {
	struct cdm_ctx *ctx;
	const char *path;
	FILE *in, *err;
	int line, errors;
	char *buf;			/* the line being read (getline) */
	size_t cap;
	struct cdmd_config *cfg;
	struct cdmd_target *target;	/* the section being read; NULL: [cdmd] or none */
	bool in_cdmd, in_bad;		/* in [cdmd]; in a section refused already */
	int cdmd_line;			/* of [cdmd]; 0: none yet */
	unsigned long long global_set;
	int key_line[64];		/* line of each key of keys[] in this section */
};

static void begin_section(struct parse *p, const char *section);
static void finish_target(struct parse *p);

static void problem(struct parse *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct parse *p, int line, const char *fmt, ...)
{
	va_list ap;

	p->errors++;
	fprintf(p->err, "%s:%d: ", p->path, line);
	va_start(ap, fmt);
	vfprintf(p->err, fmt, ap);
	va_end(ap);
	fputc('\n', p->err);
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' ||
			   end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* What libinih must not see: the reason, or NULL for a line it reads right */
static const char *bad_line(char *line, size_t len)
{
	char *t;

	if (len > LINE_MAX_BYTES)
		return "line too long (1024 bytes at most)";
	if (strlen(line) != len)
		return "NUL byte in the line";
	t = trim(line);
	if (!*t || *t == ';' || *t == '#')
		return NULL;
	if (*t == '[')
		return t[strlen(t) - 1] == ']' ? NULL : "section header without ']'";
	if (!strchr(t, '='))
		return "not 'key = value', a [section] or a comment";
	if (*t == '=')
		return "no key before '='";
	return NULL;
}

/* libinih's reader: the next line, counted; a bad one reported and
 * handed over as a comment */
static char *read_line(char *str, int num, void *stream)
{
	struct parse *p = stream;
	ssize_t len = getline(&p->buf, &p->cap, p->in);
	const char *why;
	char *line;

	if (len < 0)
		return NULL;
	p->line++;
	/* a UTF-8 byte order mark at the start, as libinih allows */
	if (p->line == 1 && len >= 3 && !memcmp(p->buf, "\xef\xbb\xbf", 3)) {
		memmove(p->buf, p->buf + 3, len - 2);
		len -= 3;
	}
	why = bad_line(p->buf, len);
	if (why) {
		problem(p, p->line, "%s", why);
		snprintf(str, num, ";\n");
		return str;
	}
	line = trim(p->buf);
	if (*line == '[') {
		/* ours: libinih calls no handler for a header, and an empty
		 * section or one repeated would go unseen */
		line[strlen(line) - 1] = '\0';
		begin_section(p, trim(line + 1));
		snprintf(str, num, ";\n");
		return str;
	}
	if (strlen(line) + 2 > (size_t)num) {
		problem(p, p->line, "line too long (%d bytes at most)", num - 2);
		snprintf(str, num, ";\n");
		return str;
	}
	snprintf(str, num, "%s\n", line);
	return str;
}

static bool parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *val)
{
	unsigned long v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
		if (v > max)
			return false;
	}
	if (v < min)
		return false;
	*val = v;
	return true;
}

static int set_match(struct parse *p, struct cdmd_target *t, const char *value)
{
	static const char *const kinds[] = {
		[CDMD_MATCH_CGROUP] = "cgroup:", [CDMD_MATCH_COMM] = "comm:",
		[CDMD_MATCH_REGEX] = "regex:", [CDMD_MATCH_PID] = "pid:",
	};
	const char *arg = NULL;
	unsigned int i, pid;
	int rc;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (!strncmp(value, kinds[i], strlen(kinds[i]))) {
			arg = value + strlen(kinds[i]);
			break;
		}
	}
	if (!arg) {
		problem(p, p->line, "match '%.64s': not cgroup:PATH, comm:NAME, regex:ERE or pid:N",
			value);
		return -EINVAL;
	}
	switch (i) {
	case CDMD_MATCH_CGROUP:
		if (strncmp(arg, "/sys/fs/cgroup/", 15) || strstr(arg, "/../") ||
		    !strcmp(arg + strlen(arg) - 3, "/..") || arg[15] == '\0') {
			problem(p, p->line, "match '%.64s': a cgroup is a directory under "
				"/sys/fs/cgroup/, without '..'", value);
			return -EINVAL;
		}
		break;
	case CDMD_MATCH_COMM:
		/* the kernel keeps 15 bytes of a command name (TASK_COMM_LEN) */
		if (!*arg || strlen(arg) > 15) {
			problem(p, p->line, "match '%.64s': a command name has 1-15 bytes", value);
			return -EINVAL;
		}
		break;
	case CDMD_MATCH_REGEX:
		rc = regcomp(&t->regex, arg, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char msg[128];

			regerror(rc, &t->regex, msg, sizeof(msg));
			problem(p, p->line, "match '%.64s': %s", value, msg);
			return -EINVAL;
		}
		break;
	case CDMD_MATCH_PID:
		if (!parse_uint(arg, 1, INT_MAX, &pid)) {
			problem(p, p->line, "match '%.64s': not a process id", value);
			return -EINVAL;
		}
		t->pid = pid;
		break;
	}
	if (t->match_arg) {
		if (t->match == CDMD_MATCH_REGEX)
			regfree(&t->regex);
		free(t->match_arg);
	}
	t->match = i;
	t->match_arg = strdup(arg);
	return t->match_arg ? 0 : -ENOMEM;
}

const char *const cdmd_tracker_kind_names[] = {
	[CDMD_TRACKER_AUTO] = "auto", [CDMD_TRACKER_DAMON] = "damon", [CDMD_TRACKER_IDLE] = "idle",
	NULL
};
const char *const cdmd_policy_names[] = {
	[CDMD_POLICY_TIERING] = "tiering", [CDMD_POLICY_BIND] = "bind", NULL
};

/* @value's place in @words, or -1 */
static int word_index(const char *const *words, const char *value)
{
	int i;

	for (i = 0; words[i]; i++)
		if (!strcmp(words[i], value))
			return i;
	return -1;
}

/* @value into the field @k describes of @base ([cdmd] or a target) */
static int set_value(struct parse *p, const struct key *k, void *base, const char *value)
{
	void *field = (char *)base + k->offset;
	unsigned int *u = field;
	int rc, word;

	switch (k->type) {
	case KEY_UINT:
		if (!parse_uint(value, k->min, k->max, u) ||
		    (u == &p->cfg->metrics_port && *u && *u < 1024))
			goto bad;
		return 0;
	case KEY_BOOL:
		if (!strcmp(value, "yes"))
			*(bool *)field = true;
		else if (!strcmp(value, "no"))
			*(bool *)field = false;
		else
			goto bad;
		return 0;
	case KEY_TRACKER:
		word = word_index(cdmd_tracker_kind_names, value);
		if (word < 0)
			goto bad;
		*(enum cdmd_tracker_kind *)field = word;
		return 0;
	case KEY_POLICY:
		word = word_index(cdmd_policy_names, value);
		if (word < 0)
			goto bad;
		*(enum cdmd_policy *)field = word;
		return 0;
	case KEY_STRING:
		free(*(char **)field);
		*(char **)field = *value ? strdup(value) : NULL;
		return *value && !*(char **)field ? -ENOMEM : 0;
	case KEY_MATCH:
		return set_match(p, base, value);
	case KEY_NODES:
		rc = cdm_nodeset_parse(p->ctx, value, field);
		if (rc) {
			problem(p, p->line, "%s: %s", k->name, cdm_get_last_error(p->ctx));
			return rc;
		}
		return 0;
	}
bad:
	problem(p, p->line, "%s = '%.64s': not %s", k->name, value, k->doc_range);
	return -EINVAL;
}

static const struct key *find_key(const char *name, bool target)
{
	int i;

	for (i = 0; i < NR_KEYS; i++)
		if (keys[i].target == target && !strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* one rule for a target's name, in the file and in requests for it */
_Static_assert(CDMD_TARGET_NAME_MAX == CDMD_PROTO_TARGET_MAX, "a target name's length");

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	unsigned long long *set, bit;
	const struct key *k;
	void *base;

	if (p->in_bad)		/* its header was refused, and said so */
		return 1;
	if (!p->in_cdmd && !p->target) {
		problem(p, p->line, "'%.64s' outside any section ([cdmd] or [target NAME])", name);
		return 1;
	}
	k = find_key(name, p->target);
	if (!k) {
		problem(p, p->line, "unknown key '%.64s' in [%s]", name,
			p->target ? "target" : "cdmd");
		return 1;
	}
	set = p->target ? &p->target->keys_set : &p->global_set;
	bit = 1ULL << (k - keys);
	if (*set & bit) {
		problem(p, p->line, "%s set again in this section (line %d)", k->name,
			p->key_line[k - keys]);
		return 1;
	}
	*set |= bit;
	p->key_line[k - keys] = p->line;
	base = p->target ? (void *)p->target : (void *)p->cfg;
	if (set_value(p, k, base, value) == -ENOMEM) {
		problem(p, p->line, "out of memory");
		return 0;
	}
	return 1;
}

/* The defaults of one section's keys (but the computed ones: "(...)") */
static void set_defaults(struct parse *p, bool target, void *base)
{
	int i;

	for (i = 0; i < NR_KEYS; i++)
		if (keys[i].target == target && keys[i].def && keys[i].def[0] != '(')
			set_value(p, &keys[i], base, keys[i].def);
}

/* A header line, seen by the reader before libinih: [cdmd], [target NAME] */
static void begin_section(struct parse *p, const char *section)
{
	struct cdmd_target *t;
	int i;

	finish_target(p);
	p->target = NULL;
	p->in_cdmd = false;
	p->in_bad = true;
	memset(p->key_line, 0, sizeof(p->key_line));
	if (!strcmp(section, "cdmd")) {
		if (p->cdmd_line) {
			problem(p, p->line, "[cdmd] again (first on line %d)", p->cdmd_line);
			return;
		}
		p->cdmd_line = p->line;
		p->in_cdmd = true;
		p->in_bad = false;
		return;
	}
	if (strncmp(section, "target ", 7)) {
		problem(p, p->line, "unknown section [%.64s] (cdmd, or target NAME)", section);
		return;
	}
	section += 7;
	if (!cdmd_target_name_valid(section, strlen(section))) {
		problem(p, p->line, "target '%.64s': a name has 1-%d letters, digits, '_' or '-'",
			section, CDMD_TARGET_NAME_MAX);
		return;
	}
	for (i = 0; i < p->cfg->nr_targets; i++) {
		if (!strcmp(p->cfg->targets[i].name, section)) {
			problem(p, p->line, "target '%s' again (first on line %d)", section,
				p->cfg->targets[i].line);
			return;
		}
	}
	if (p->cfg->nr_targets == CDMD_MAX_TARGETS) {
		problem(p, p->line, "target '%s': more than %d targets", section,
			CDMD_MAX_TARGETS);
		return;
	}
	t = &p->cfg->targets[p->cfg->nr_targets++];
	snprintf(t->name, sizeof(t->name), "%s", section);
	t->line = p->line;
	set_defaults(p, true, t);
	p->target = t;
	p->in_bad = false;
}

int cdmd_cpu_nodes(struct cdm_ctx *ctx, struct cdm_nodeset *set)
{
	struct cdm_node *node;

	cdm_nodeset_zero(set);
	cdm_node_foreach(ctx, node)
		if (cdm_node_has_memory(node) && !cdm_node_is_cpuless(node))
			cdm_nodeset_add(set, cdm_node_get_id(node));
	return cdm_nodeset_weight(set) ? 0 : -ENODEV;
}

/* The line of whichever of two keys in conflict came last (the
 * target's header when both have their defaults) */
static int later_line(struct parse *p, struct cdmd_target *t, const char *a, const char *b)
{
	int la = p->key_line[find_key(a, true) - keys];
	int lb = p->key_line[find_key(b, true) - keys];
	int l = la > lb ? la : lb;

	return l ? l : t->line;
}

#define KEY_SET(t, name) ((t)->keys_set & (1ULL << (find_key(name, true) - keys)))

/* What one key of the section just read means for another */
static void finish_target(struct parse *p)
{
	struct cdmd_target *t = p->target;
	struct cdm_nodeset both;
	int i, n;

	if (!t)
		return;
	if (!KEY_SET(t, "match"))
		problem(p, t->line, "target '%s': no match (required)", t->name);
	if (!KEY_SET(t, "policy")) {
		problem(p, t->line, "target '%s': no policy (required: tiering or bind)", t->name);
		return;
	}
	for (i = 0; i < NR_KEYS; i++) {
		if (keys[i].target && keys[i].policies &&
		    !(keys[i].policies & (1u << t->policy)) && (t->keys_set & (1ULL << i)))
			problem(p, p->key_line[i], "%s: not a key of policy %s", keys[i].name,
				cdmd_policy_names[t->policy]);
	}
	if (t->policy == CDMD_POLICY_BIND) {
		if (!KEY_SET(t, "nodes"))
			problem(p, t->line, "target '%s': policy bind needs nodes", t->name);
		return;
	}
	if (!KEY_SET(t, "slow_nodes"))
		problem(p, t->line, "target '%s': policy tiering needs slow_nodes", t->name);
	if (!KEY_SET(t, "fast_nodes") && cdmd_cpu_nodes(p->ctx, &t->fast_nodes))
		problem(p, t->line, "target '%s': no node has CPUs and memory: set fast_nodes",
			t->name);
	for (both = t->fast_nodes, n = 0; n < CDM_MAX_NODES; n++)
		if (!cdm_nodeset_has(&t->slow_nodes, n))
			cdm_nodeset_del(&both, n);
	if (cdm_nodeset_weight(&both))
		problem(p, later_line(p, t, "fast_nodes", "slow_nodes"),
			"target '%s': node %d is both fast and slow", t->name,
			cdm_nodeset_next(&both, -1));
	if (t->demote_accesses >= t->promote_accesses)
		problem(p, later_line(p, t, "promote_accesses", "demote_accesses"),
			"target '%s': demote_accesses %u not below promote_accesses %u "
			"(a page would be hot and cold at once)", t->name, t->demote_accesses,
			t->promote_accesses);
}

static void finish_global(struct parse *p)
{
	if (p->cfg->socket_group && !getgrnam(p->cfg->socket_group))
		problem(p, p->cdmd_line, "socket_group '%.64s': no such group",
			p->cfg->socket_group);
}

void cdmd_config_free(struct cdmd_config *cfg)
{
	int i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->nr_targets; i++) {
		if (cfg->targets[i].match == CDMD_MATCH_REGEX && cfg->targets[i].match_arg)
			regfree(&cfg->targets[i].regex);
		free(cfg->targets[i].match_arg);
	}
	free(cfg->socket_group);
	free(cfg);
}

int cdmd_config_load(struct cdm_ctx *ctx, const char *path, FILE *err,
		     struct cdmd_config **cfgp)
{
	struct parse p = { .ctx = ctx, .path = path, .err = err };
	int rc;

	p.in = fopen(path, "re");
	if (!p.in) {
		rc = errno;
		fprintf(err, "%s: %s\n", path, strerror(rc));
		return -rc;
	}
	p.cfg = calloc(1, sizeof(*p.cfg));
	if (!p.cfg) {
		fclose(p.in);
		fprintf(err, "%s: out of memory\n", path);
		return -ENOMEM;
	}
	set_defaults(&p, false, p.cfg);
	/* libinih's settings (Debian builds them as variables): a heap
	 * buffer for our longest line, no continuation lines */
	ini_use_stack = false;
	ini_max_line = LINE_MAX_BYTES + 3;
	ini_allow_multiline = false;
	ini_allow_no_value = false;
	rc = ini_parse_stream(read_line, &p, on_key, &p);
	finish_target(&p);
	finish_global(&p);
	if (ferror(p.in)) {
		rc = errno;
		fprintf(err, "%s: %s\n", path, strerror(rc));
		p.errors++;
	}
	fclose(p.in);
	free(p.buf);
	if (rc == -2) {
		fprintf(err, "%s: out of memory\n", path);
		p.errors++;
	}
	if (p.errors) {
		cdmd_config_free(p.cfg);
		return rc == -2 ? -ENOMEM : -EINVAL;
	}
	*cfgp = p.cfg;
	return 0;
}
