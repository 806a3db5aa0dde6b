// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdmctl status, targets, top, explain, reload, pause and resume: what
 * cdmd does, asked on its control socket (daemon/protocol.h). Each
 * command is one request. With --json its reply's data is printed as it
 * came, "result": "ok" added; else it is read into a summary (status), a
 * block per target, a table of regions (top), a line per decision
 * (explain, as cdmd logs them) or one line (reload, pause, resume).
 *
 * The command line is checked before cdmctl connects, by the daemon's
 * own rules (count 1-1000, cdmd_target_name_valid()), so that a bad
 * argument is a usage error that never reaches the daemon. The text
 * output reads replies leniently: a key another version of cdmd does
 * not send shows as "-" or 0, and keys it adds are left out (--json
 * shows them).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>

#include "cdmctl.h"
#include "control.h"

/* a reload, or a round that holds the daemon, may take a moment */
#define DAEMON_TIMEOUT_MS	10000
#define DAEMON_TIMEOUT_MAX	3600000
#define SUN_PATH_LEN		sizeof(((struct sockaddr_un *)0)->sun_path)

#define SOCKET_HELP \
	"  -s, --socket PATH    cdmd's control socket (default $CDMCTL_SOCKET, else\n" \
	"                       " CDMD_SOCKET_PATH ")\n"
#define JSON_HELP(what) \
	"  -j, --json           JSON object: " what ", and result\n"
#define COUNT_HELP(what) \
	"  -c, --count N        the N " what " (1-1000, default 20)\n"
#define TARGET_HELP(what) \
	"  -t, --target NAME    " what "\n"
#define TAIL_HELP \
	"  -h, --help           this text\n" \
	"\n" \
	"cdmctl waits up to 10 s for cdmd's answer (CDMCTL_TIMEOUT_MS: milliseconds).\n" \
	"The socket is root's, or also its socket_group's (cdmd.conf(5)).\n"

const char status_usage[] =
	"usage: cdmctl status [--socket PATH] [--json]\n"
	"\n"
	SOCKET_HELP
	JSON_HELP("cdmd's state, its totals, free memory per node")
	TAIL_HELP;

const char targets_usage[] =
	"usage: cdmctl targets [--socket PATH] [--json]\n"
	"\n"
	SOCKET_HELP
	JSON_HELP("targets, an object per target (bytes)")
	TAIL_HELP;

const char top_usage[] =
	"usage: cdmctl top [--count N] [--target NAME] [--socket PATH] [--json]\n"
	"\n"
	COUNT_HELP("hottest regions")
	TARGET_HELP("only the regions of this target's processes")
	SOCKET_HELP
	JSON_HELP("regions, the hottest first (bytes)")
	TAIL_HELP;

const char explain_usage[] =
	"usage: cdmctl explain [--count N] [--target NAME] [--socket PATH] [--json]\n"
	"\n"
	COUNT_HELP("latest moves")
	TARGET_HELP("only the moves of this target")
	SOCKET_HELP
	JSON_HELP("decisions, the latest first")
	TAIL_HELP;

const char reload_usage[] =
	"usage: cdmctl reload [--socket PATH] [--json]\n"
	"\n"
	SOCKET_HELP
	JSON_HELP("config and targets")
	TAIL_HELP;

const char pause_usage[] =
	"usage: cdmctl pause [--target NAME] [--socket PATH] [--json]\n"
	"\n"
	TARGET_HELP("only this target (default: every target)")
	SOCKET_HELP
	JSON_HELP("paused, the targets paused now")
	TAIL_HELP;

const char resume_usage[] =
	"usage: cdmctl resume [--target NAME] [--socket PATH] [--json]\n"
	"\n"
	TARGET_HELP("only this target (default: every target)")
	SOCKET_HELP
	JSON_HELP("paused, the targets still paused")
	TAIL_HELP;

static void print_status(json_object *data, const struct cdmd_request *req);
static void print_targets(json_object *data, const struct cdmd_request *req);
static void print_top(json_object *data, const struct cdmd_request *req);
static void print_explain(json_object *data, const struct cdmd_request *req);
static void print_reload(json_object *data, const struct cdmd_request *req);
static void print_paused(json_object *data, const struct cdmd_request *req);

/* the arguments each request takes, as protocol.h lists them */
static const struct daemon_cmd {
	const char *name;
	enum cdmd_command command;
	bool count, target;
	const char *usage;
	void (*print)(json_object *data, const struct cdmd_request *req);
} daemon_cmds[] = {
	{ "status", CDMD_CMD_STATUS, false, false, status_usage, print_status },
	{ "targets", CDMD_CMD_TARGETS, false, false, targets_usage, print_targets },
	{ "top", CDMD_CMD_TOP, true, true, top_usage, print_top },
	{ "explain", CDMD_CMD_EXPLAIN, true, true, explain_usage, print_explain },
	{ "reload", CDMD_CMD_RELOAD, false, false, reload_usage, print_reload },
	{ "pause", CDMD_CMD_PAUSE, false, true, pause_usage, print_paused },
	{ "resume", CDMD_CMD_RESUME, false, true, resume_usage, print_paused },
};

struct daemon_args {
	struct cdmd_request req;
	const char *socket;
	int timeout_ms;
	bool json;
};

/* a path a unix socket can have */
static bool socket_path_valid(const char *path)
{
	return *path && strlen(path) < SUN_PATH_LEN;
}

/*
 * The options of @cmd into @a; -1 after --help. --count and --target are
 * options of the commands that take them only.
 */
static int parse_args(const struct daemon_cmd *cmd, int argc, char **argv, struct daemon_args *a)
{
	static const struct option all_options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "count", required_argument, NULL, 'c' },
		{ "target", required_argument, NULL, 't' },
	};
	struct option options[sizeof(all_options) / sizeof(all_options[0]) + 1] = { { 0 } };
	char shortopts[16] = ":s:jh";
	const char *name = cmd->name, *env;
	unsigned int i, n = 0;
	int c, count;

	for (i = 0; i < sizeof(all_options) / sizeof(all_options[0]); i++) {
		c = all_options[i].val;
		if ((c == 'c' && !cmd->count) || (c == 't' && !cmd->target))
			continue;
		options[n++] = all_options[i];
		if (c == 'c' || c == 't')
			strcat(shortopts, c == 'c' ? "c:" : "t:");
	}

	memset(a, 0, sizeof(*a));
	a->req.command = cmd->command;
	a->timeout_ms = DAEMON_TIMEOUT_MS;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, options, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!socket_path_valid(optarg))
				return cdmctl_usage_error(name, "--socket '%s': not a socket "
							  "path (1-%zu bytes)", optarg,
							  SUN_PATH_LEN - 1);
			a->socket = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		case 'c':
			if (!parse_int(optarg, 1, CDMD_PROTO_COUNT_MAX, &count))
				return cdmctl_usage_error(name, "--count '%s': not 1-%d", optarg,
							  CDMD_PROTO_COUNT_MAX);
			a->req.count = count;
			break;
		case 't':
			if (!cdmd_target_name_valid(optarg, strlen(optarg)))
				return cdmctl_usage_error(name, "--target '%s': not a target name "
							  "(1-%d of A-Z a-z 0-9 _ -)", optarg,
							  CDMD_PROTO_TARGET_MAX);
			strcpy(a->req.target, optarg);
			break;
		case 'h':
			fputs(cmd->usage, stdout);
			return -1;
		case ':':
			return cdmctl_usage_error(name, "option '%s' needs a value",
						  argv[optind - 1]);
		default:
			return cdmctl_usage_error(name, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cdmctl_usage_error(name, "unexpected argument '%s'", argv[optind]);
	env = getenv("CDMCTL_SOCKET");
	if (!a->socket && env && !socket_path_valid(env))
		return cdmctl_usage_error(name, "CDMCTL_SOCKET '%s': not a socket path "
					  "(1-%zu bytes)", env, SUN_PATH_LEN - 1);
	if (!a->socket)
		a->socket = env ? env : CDMD_SOCKET_PATH;
	env = getenv("CDMCTL_TIMEOUT_MS");
	if (env && !parse_int(env, 1, DAEMON_TIMEOUT_MAX, &a->timeout_ms))
		return cdmctl_usage_error(name, "CDMCTL_TIMEOUT_MS '%s': not 1-%d (milliseconds)",
					  env, DAEMON_TIMEOUT_MAX);
	return 0;
}

/* every command of this file: the one argv[0] names */
int cmd_daemon(int argc, char **argv, struct cdm_ctx *ctx)
{
	const struct daemon_cmd *cmd = NULL;
	json_object *data, *out;
	struct daemon_args a;
	char msg[512];
	unsigned int i;
	int rc;

	for (i = 0; i < sizeof(daemon_cmds) / sizeof(daemon_cmds[0]) && !cmd; i++)
		if (!strcmp(argv[0], daemon_cmds[i].name))
			cmd = &daemon_cmds[i];
	if (!cmd)
		return cdmctl_error(argv[0], EXIT_USAGE, "not a command of cdmd");
	rc = parse_args(cmd, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;

	rc = cdmd_client_call(a.socket, &a.req, a.timeout_ms, &data, msg, sizeof(msg));
	if (rc)
		return cdmctl_fail(cmd->name, a.json, NULL, -rc, msg);
	if (!a.json) {
		cmd->print(data, &a.req);
		json_object_put(data);
		return EXIT_OK;
	}
	/* result first, as in the other commands' JSON; the daemon's keys after */
	out = json_object_new_object();
	json_add_result(out, "ok", 0, NULL);
	json_object_object_foreach(data, key, val)
		if (strcmp(key, "result"))
			json_object_object_add(out, key, json_object_get(val));
	json_object_put(data);
	json_print(out);
	return EXIT_OK;
}

/* Reading the reply: absent keys, or keys of another type, are "-" or 0 */

static json_object *member(json_object *obj, const char *key, enum json_type type)
{
	json_object *v;

	return json_object_object_get_ex(obj, key, &v) && json_object_is_type(v, type) ? v : NULL;
}

static const char *str(json_object *obj, const char *key)
{
	json_object *v = member(obj, key, json_type_string);

	return v ? json_object_get_string(v) : "-";
}

static unsigned long long num(json_object *obj, const char *key)
{
	json_object *v = member(obj, key, json_type_int);

	return v ? json_object_get_uint64(v) : 0;
}

static const char *yes_no(json_object *obj, const char *key)
{
	json_object *v = member(obj, key, json_type_boolean);

	return !v ? "-" : json_object_get_boolean(v) ? "yes" : "no";
}

/* @key of @obj, bytes, with units */
static const char *size(json_object *obj, const char *key, char *buf, size_t len)
{
	return format_size(num(obj, key), buf, len);
}

static size_t array_len(json_object *arr)
{
	return arr ? json_object_array_length(arr) : 0;
}

/* @part of @whole in percent, rounded */
static unsigned int percent(unsigned long long part, unsigned long long whole)
{
	return whole ? (part * 100 + whole / 2) / whole : 0;
}

/* 3723 -> "1h 02m 03s" */
static const char *duration(unsigned long long s, char *buf, size_t len)
{
	unsigned long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;

	if (d)
		snprintf(buf, len, "%llud %02lluh %02llum %02llus", d, h, m, s % 60);
	else if (h)
		snprintf(buf, len, "%lluh %02llum %02llus", h, m, s % 60);
	else if (m)
		snprintf(buf, len, "%llum %02llus", m, s % 60);
	else
		snprintf(buf, len, "%llus", s);
	return buf;
}

/* the values of the array @key of @obj, space-separated, or "none" */
static void print_list(json_object *obj, const char *key)
{
	json_object *arr = member(obj, key, json_type_array);
	size_t i, n = array_len(arr);

	if (!n)
		fputs("none", stdout);
	for (i = 0; i < n; i++)
		printf("%s%s", i ? " " : "",
		       json_object_get_string(json_object_array_get_idx(arr, i)));
}

/* a line of the status summary and of a target's block */
#define LABEL "%-14s"

/* when cdmd looks for its targets' processes: processes_found_by, said */
static const char *found_by(json_object *d)
{
	const char *by = str(d, "processes_found_by");

	return !strcmp(by, "events") ? "on process events" : !strcmp(by, "walk") ? "every round" : by;
}

static void print_status(json_object *d, const struct cdmd_request *req)
{
	json_object *nodes = member(d, "nodes", json_type_array), *n;
	char a[32], b[32], c[32], label[32];
	size_t i;

	printf(LABEL "%s (libcdm %s)\n", "cdmd:", str(d, "cdmd"), str(d, "libcdm"));
	printf(LABEL "%s\n", "config:", str(d, "config"));
	printf(LABEL "%s\n", "tracker:", str(d, "tracker"));
	printf(LABEL "%llu ms\n", "interval:", num(d, "interval_ms"));
	printf(LABEL "%s\n", "uptime:", duration(num(d, "uptime_s"), a, sizeof(a)));
	printf(LABEL "%llu, the last took %llu ms, the longest %llu ms\n", "rounds:",
	       num(d, "rounds"), num(d, "last_round_ms"), num(d, "longest_round_ms"));
	printf(LABEL "%s\n", "isolation:", yes_no(d, "isolation"));
	printf(LABEL "%s\n", "paused:", yes_no(d, "paused"));
	printf(LABEL "%llu, with %llu processes\n", "targets:", num(d, "targets"),
	       num(d, "processes"));
	printf(LABEL "%llu, %s\n", "target scans:", num(d, "target_scans"), found_by(d));
	printf(LABEL "promoted %s, demoted %s, bound %s\n", "moved:",
	       size(d, "promoted_bytes", a, sizeof(a)), size(d, "demoted_bytes", b, sizeof(b)),
	       size(d, "bound_bytes", c, sizeof(c)));
	for (i = 0; i < array_len(nodes); i++) {
		n = json_object_array_get_idx(nodes, i);
		snprintf(label, sizeof(label), "node %llu:", num(n, "node"));
		printf(LABEL "%s free of %s\n", label, size(n, "free_bytes", a, sizeof(a)),
		       size(n, "total_bytes", b, sizeof(b)));
	}
}

/* "min_residency 14 times (56.00 MiB), rate 3 times (12.00 MiB)": the
 * reasons a move was held back that count, "none" */
static void print_held(json_object *t)
{
	json_object *held = member(t, "held", json_type_object);
	const char *sep = "";
	char buf[32];

	printf(LABEL, "  held back:");
	if (held) {
		json_object_object_foreach(held, why, h) {
			if (!num(h, "times"))
				continue;
			printf("%s%s %llu times (%s)", sep, why, num(h, "times"),
			       size(h, "bytes", buf, sizeof(buf)));
			sep = ", ";
		}
	}
	puts(*sep ? "" : "none");
}

static void print_targets(json_object *d, const struct cdmd_request *req)
{
	json_object *list = member(d, "targets", json_type_array), *t;
	char a[32], b[32];
	size_t i;

	if (!array_len(list))
		puts("no targets (cdmd.conf has no [target NAME])");
	for (i = 0; i < array_len(list); i++) {
		t = json_object_array_get_idx(list, i);
		printf("%starget %s\n", i ? "\n" : "", str(t, "name"));
		printf(LABEL "%s\n", "  policy:", str(t, "policy"));
		printf(LABEL "%s\n", "  match:", str(t, "match"));
		if (member(t, "fast_nodes", json_type_string))
			printf(LABEL "fast %s, slow %s\n", "  nodes:", str(t, "fast_nodes"),
			       str(t, "slow_nodes"));
		else
			printf(LABEL "%s\n", "  nodes:", str(t, "nodes"));
		printf(LABEL "%s\n", "  paused:", yes_no(t, "paused"));
		printf(LABEL, "  processes:");
		print_list(t, "processes");
		printf("\n" LABEL "%llu\n", "  regions:", num(t, "regions"));
		if (!strcmp(str(t, "policy"), "bind"))
			printf(LABEL "bound %s\n", "  moved:",
			       size(t, "bound_bytes", a, sizeof(a)));
		else
			printf(LABEL "promoted %s, demoted %s\n", "  moved:",
			       size(t, "promoted_bytes", a, sizeof(a)),
			       size(t, "demoted_bytes", b, sizeof(b)));
		printf(LABEL "%llu, %llu failed\n", "  batches:", num(t, "batches"),
		       num(t, "failed_batches"));
		print_held(t);
	}
}

/* where a region's present pages are: "fast 80% slow 20%", "on nodes 100%" */
static const char *placement(json_object *r, char *buf, size_t len)
{
	unsigned long long present = num(r, "present_bytes");

	if (!present)
		snprintf(buf, len, "not present");
	else if (member(r, "fast_bytes", json_type_int))
		snprintf(buf, len, "fast %u%% slow %u%%", percent(num(r, "fast_bytes"), present),
			 percent(num(r, "slow_bytes"), present));
	else
		snprintf(buf, len, "on nodes %u%%", percent(num(r, "on_nodes_bytes"), present));
	return buf;
}

#define TOP_COLS "%-12s %7s %-29s %10s %8s %5s  %s\n"

static void print_top(json_object *d, const struct cdmd_request *req)
{
	json_object *list = member(d, "regions", json_type_array), *r;
	char pid[16], range[64], bytes[32], acc[32], age[16], where[48];
	size_t i;

	if (!array_len(list)) {
		puts("no regions (no process of a target, or no round yet)");
		return;
	}
	printf(TOP_COLS, "TARGET", "PID", "RANGE", "SIZE", "ACCESSES", "AGE", "WHERE");
	for (i = 0; i < array_len(list); i++) {
		r = json_object_array_get_idx(list, i);
		snprintf(pid, sizeof(pid), "%llu", num(r, "pid"));
		snprintf(range, sizeof(range), "%s-%s", str(r, "start"), str(r, "end"));
		snprintf(acc, sizeof(acc), "%llu/%llu", num(r, "accesses"), num(r, "samples"));
		snprintf(age, sizeof(age), "%llu", num(r, "age"));
		printf(TOP_COLS, str(r, "target"), pid, range,
		       size(r, "bytes", bytes, sizeof(bytes)), acc, age,
		       placement(r, where, sizeof(where)));
	}
}

/*
 * One decision as cdmd logs it: "12:34:56 db pid 1234: promote START-END
 * (64.00 MiB, accesses 18/20, age 3) to node 0: 16384 pages moved, 0
 * there already, 0 not moved", the pages shared with other processes,
 * the copy engine's counters and the error after it when there are
 */
static void print_decision(json_object *e)
{
	json_object *copied = member(e, "copied", json_type_object);
	const char *hint = str(e, "hint");
	time_t when = num(e, "time");
	char clock[16] = "-", bytes[32];
	struct tm tm;

	if (localtime_r(&when, &tm))
		strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	printf("%s %s pid %llu: %s %s-%s (%s, accesses %llu/%llu, age %llu%s%s) to node %llu: "
	       "%llu pages moved, %llu there already, %llu not moved", clock, str(e, "target"),
	       num(e, "pid"), str(e, "action"), str(e, "start"), str(e, "end"),
	       size(e, "estimated_bytes", bytes, sizeof(bytes)), num(e, "accesses"),
	       num(e, "samples"), num(e, "age"), strcmp(hint, "-") ? ", hinted " : "",
	       strcmp(hint, "-") ? hint : "", num(e, "to_node"), num(e, "moved_pages"),
	       num(e, "already_pages"), num(e, "not_moved_pages"));
	if (num(e, "shared_pages"))
		printf(", %llu shared with other processes", num(e, "shared_pages"));
	/* the counters move only when a copy engine is registered */
	if (copied && num(copied, "engine_folios") + num(copied, "cpu_folios") +
	    num(copied, "fallback_folios") + num(copied, "declined_folios"))
		printf(", folios copied by an engine %llu, by the CPU %llu (handed back %llu, "
		       "declined %llu)", num(copied, "engine_folios"), num(copied, "cpu_folios"),
		       num(copied, "fallback_folios"), num(copied, "declined_folios"));
	if (!strcmp(str(e, "result"), "error"))
		printf("; error: %s (errno %llu)", str(e, "error"), num(e, "errno"));
	putchar('\n');
}

static void print_explain(json_object *d, const struct cdmd_request *req)
{
	json_object *list = member(d, "decisions", json_type_array);
	size_t i;

	if (!array_len(list))
		puts("no moves yet");
	for (i = 0; i < array_len(list); i++)
		print_decision(json_object_array_get_idx(list, i));
}

static void print_reload(json_object *d, const struct cdmd_request *req)
{
	printf("reloaded %s: %llu target%s\n", str(d, "config"), num(d, "targets"),
	       num(d, "targets") == 1 ? "" : "s");
}

/* pause: "paused: db batch"; resume: "resumed db; paused: batch" */
static void print_paused(json_object *d, const struct cdmd_request *req)
{
	if (req->command == CDMD_CMD_RESUME)
		printf("resumed %s; ", req->target[0] ? req->target : "every target");
	fputs("paused: ", stdout);
	print_list(d, "paused");
	putchar('\n');
}
