// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdmd's control protocol (daemon/protocol.c), no root needed: every
 * form of request, valid and hostile (numbers past 64 bits, floats,
 * strings for integers, nulls, keys given twice, overlong or odd target
 * names, NULs, bad UTF-8, what json-c takes and JSON does not); frames
 * on socketpairs - whole, one byte at a time, two in one write, cut
 * short, too long; the output queue against a peer that does not read;
 * replies built and checked; the client against servers forked on a
 * socket in a temporary directory (not running, permission, a full
 * listen queue, an answer, an error, silence, garbage), and a server
 * loop as cdmd's answering pipelined requests in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "protocol.h"

#define REQ(cmd, rest) "{\"version\":1,\"command\":\"" cmd "\"" rest "}"
#define TOP(rest) REQ("top", "," rest)
#define TIMEOUT_MS 200

static char dir[] = "/tmp/cdmd-proto-XXXXXX";

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	/* a child dropped to nobody reaches the sockets inside */
	return chmod(dir, 0711);
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static long long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000LL + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* -- requests ----------------------------------------------------------- */

struct good {
	const char *body;
	enum cdmd_command command;
	unsigned int count;
	const char *target;
};

static const struct good goods[] = {
	{ REQ("status", ""), CDMD_CMD_STATUS, 0, "" },
	{ REQ("targets", ""), CDMD_CMD_TARGETS, 0, "" },
	{ REQ("reload", ""), CDMD_CMD_RELOAD, 0, "" },
	{ REQ("pause", ""), CDMD_CMD_PAUSE, 0, "" },
	{ REQ("resume", ""), CDMD_CMD_RESUME, 0, "" },
	{ REQ("pause", ",\"target\":\"db\""), CDMD_CMD_PAUSE, 0, "db" },
	{ REQ("resume", ",\"target\":\"db-2_x\""), CDMD_CMD_RESUME, 0, "db-2_x" },
	{ REQ("top", ""), CDMD_CMD_TOP, 20, "" },
	{ REQ("explain", ""), CDMD_CMD_EXPLAIN, 20, "" },
	{ TOP("\"count\":1"), CDMD_CMD_TOP, 1, "" },
	{ TOP("\"count\":1000"), CDMD_CMD_TOP, 1000, "" },
	{ TOP("\"target\":\"web\""), CDMD_CMD_TOP, 20, "web" },
	{ REQ("explain", ",\"count\":7,\"target\":\"Z\""), CDMD_CMD_EXPLAIN, 7, "Z" },
	{ "{\"target\":\"a\",\"count\":3,\"command\":\"top\",\"version\":1}", CDMD_CMD_TOP, 3, "a" },
	{ " \r\n\t{ \"version\" : 1 ,\n \"command\" : \"status\" }\n \t", CDMD_CMD_STATUS, 0, "" },
	{ "{\"\\u0076ersion\":1,\"command\":\"\\u0073tatus\"}", CDMD_CMD_STATUS, 0, "" },
	{ TOP("\"target\":\"abcdefghijklmnopqrstuvwxyz012345\""), CDMD_CMD_TOP, 20,
	  "abcdefghijklmnopqrstuvwxyz012345" },
	{ TOP("\"target\":\"AZaz09_-\""), CDMD_CMD_TOP, 20, "AZaz09_-" },
};

static void same_request(const struct cdmd_request *got, const struct cdmd_request *want,
			 const char *what)
{
	if (got->command != want->command || got->count != want->count ||
	    strcmp(got->target, want->target))
		fail_msg("%s: got %s/%u/'%s', want %s/%u/'%s'", what,
			 cdmd_command_name(got->command), got->count, got->target,
			 cdmd_command_name(want->command), want->count, want->target);
}

/* Every valid form is read as meant, and what cdmd_request_to_json()
 * makes of it reads back the same */
static void valid_requests(void **state)
{
	struct cdmd_request req, back, want;
	char err[256];
	json_object *obj;
	const char *text;
	size_t i, len;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];

		strcpy(err, "untouched");
		if (cdmd_request_parse(g->body, strlen(g->body), &req, err, sizeof(err)))
			fail_msg("refused %s: %s", g->body, err);
		assert_string_equal(err, "untouched");
		memset(&want, 0, sizeof(want));
		want.command = g->command;
		want.count = g->count;
		strcpy(want.target, g->target);
		same_request(&req, &want, g->body);
		assert_memory_equal(&req, &want, sizeof(req));	/* padding and tail zeroed */

		obj = cdmd_request_to_json(&req);
		assert_non_null(obj);
		text = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &len);
		if (cdmd_request_parse(text, len, &back, err, sizeof(err)))
			fail_msg("re-encoded %s as %s, refused: %s", g->body, text, err);
		assert_memory_equal(&back, &req, sizeof(req));
		json_object_put(obj);
	}
}

static void request_to_json(void **state)
{
	struct cdmd_request req = { .command = CDMD_CMD_TOP };
	json_object *obj;

	obj = cdmd_request_to_json(&req);	/* count 0: the daemon's default */
	assert_string_equal(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN),
			    "{\"version\":1,\"command\":\"top\"}");
	json_object_put(obj);
	req = (struct cdmd_request){ .command = CDMD_CMD_EXPLAIN, .count = 5, .target = "db" };
	obj = cdmd_request_to_json(&req);
	assert_string_equal(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN),
			    "{\"version\":1,\"command\":\"explain\",\"count\":5,\"target\":\"db\"}");
	json_object_put(obj);
	req.command = CDMD_NR_COMMANDS;
	assert_null(cdmd_request_to_json(&req));
	req.command = (enum cdmd_command)-1;
	assert_null(cdmd_request_to_json(&req));
	assert_null(cdmd_command_name(CDMD_NR_COMMANDS));
	assert_string_equal(cdmd_command_name(CDMD_CMD_RESUME), "resume");
}

struct bad {
	const char *name;
	const char *body;
	size_t len;
	int rc;
	const char *msg;	/* the message, whole */
};

/* sizeof, not strlen: a body may hold NULs */
#define BAD(n, b, r, m) { n, b, sizeof(b) - 1, r, m }
#define NOT_JSON "request: not JSON: "
#define E_TYPE(key, type, want) "\"" key "\": " type ", not " want
#define E_COUNT(v) "\"count\": " v " is out of range (1-1000)"
#define E_NAME "has a byte other than A-Z a-z 0-9 _ -"
#define KEYS "(version, command, count, target)"
#define CMDS "(status, targets, top, explain, reload, pause, resume)"

static const struct bad bads[] = {
	/* not one JSON object */
	BAD("empty", "", -EPROTO, "request: empty"),
	BAD("whitespace", " \n", -EPROTO, "request: not a JSON object"),
	BAD("array", "[" REQ("status", "") "]", -EPROTO, "request: not a JSON object"),
	BAD("number", "1", -EPROTO, "request: not a JSON object"),
	BAD("string", "\"status\"", -EPROTO, "request: not a JSON object"),
	BAD("null", "null", -EPROTO, "request: not a JSON object"),
	BAD("byte order mark", "\xef\xbb\xbf" REQ("status", ""), -EPROTO,
	    "request: not a JSON object"),
	BAD("cut short", "{\"version\":1,\"command\":\"sta", -EPROTO,
	    NOT_JSON "it ends inside the object"),
	BAD("trailing bytes", REQ("status", "") "x", -EPROTO,
	    NOT_JSON "unexpected character at byte 32"),
	BAD("two objects", REQ("status", "") REQ("status", ""), -EPROTO,
	    NOT_JSON "unexpected character at byte 32"),
	BAD("trailing comma", REQ("status", ","), -EPROTO,
	    NOT_JSON "unexpected character at byte 32"),
	BAD("NUL byte", "{\"version\":1,\0\"command\":\"status\"}", -EPROTO,
	    NOT_JSON "a NUL at byte 13"),
	BAD("NUL after the object", REQ("status", "") "\0", -EPROTO,
	    NOT_JSON "a NUL at byte 32"),
	BAD("invalid UTF-8", TOP("\"target\":\"\xff\""), -EPROTO,
	    NOT_JSON "invalid UTF-8 at byte 39"),
	BAD("overlong UTF-8", TOP("\"target\":\"\xc0\xaf\""), -EPROTO,
	    NOT_JSON "invalid UTF-8 at byte 39"),
	BAD("UTF-8 surrogate", TOP("\"target\":\"\xed\xa0\x80\""), -EPROTO,
	    NOT_JSON "invalid UTF-8 at byte 39"),
	BAD("UTF-8 past U+10FFFF", TOP("\"target\":\"\xf4\x90\x80\x80\""), -EPROTO,
	    NOT_JSON "invalid UTF-8 at byte 39"),
	BAD("UTF-8 in a key", "{\"v\x80\":1}", -EPROTO, NOT_JSON "invalid UTF-8 at byte 3"),
	BAD("UTF-8 cut short", TOP("\"target\":\"\xe2\x82\""), -EPROTO,
	    NOT_JSON "invalid UTF-8 at byte 39"),
	BAD("single quotes", "{'version':1,'command':'status'}", -EPROTO,
	    NOT_JSON "unexpected character at byte 23"),
	BAD("single-quoted key", "{'version':1,\"command\":\"status\"}", -EPROTO,
	    NOT_JSON "''' at byte 1"),
	BAD("single-quoted value", REQ("top", ",\"target\":'db'"), -EPROTO,
	    NOT_JSON "unexpected character at byte 38"),
	BAD("NaN", TOP("\"count\":NaN"), -EPROTO, NOT_JSON "'N' at byte 37"),
	BAD("Infinity", TOP("\"count\":Infinity"), -EPROTO, NOT_JSON "'I' at byte 37"),
	BAD("no digit after the point", TOP("\"count\":1."), -EPROTO,
	    NOT_JSON "no digit after '.' at byte 38"),
	BAD("leading zero", TOP("\"count\":01"), -EPROTO,
	    NOT_JSON "number expected at byte 39"),
	BAD("plus sign", TOP("\"count\":+1"), -EPROTO,
	    NOT_JSON "unexpected character at byte 37"),
	BAD("hexadecimal", TOP("\"count\":0x10"), -EPROTO,
	    NOT_JSON "number expected at byte 38"),
	BAD("comment", "{/* hi */\"version\":1}", -EPROTO,
	    NOT_JSON "quoted object property name expected at byte 1"),
	BAD("raw tab in a string", TOP("\"target\":\"a\tb\""), -EPROTO,
	    NOT_JSON "a control character in a string at byte 40"),
	BAD("raw newline in a key", "{\"ver\nsion\":1}", -EPROTO,
	    NOT_JSON "a control character in a string at byte 5"),
	BAD("bad escape", TOP("\"target\":\"\\x41\""), -EPROTO,
	    NOT_JSON "invalid string sequence at byte 40"),
	BAD("nested 17 deep", REQ("status", ",\"x\":[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]"), -EPROTO,
	    "request: nested deeper than 16 at byte 51"),
	/* keys json-c would take silently */
	BAD("count twice", TOP("\"count\":5,\"count\":6"), -EPROTO,
	    "request: key \"count\" given twice"),
	BAD("version twice", "{\"version\":2,\"version\":1,\"command\":\"status\"}", -EPROTO,
	    "request: key \"version\" given twice"),
	BAD("command twice, once escaped",
	    "{\"version\":1,\"command\":\"reload\",\"c\\u006fmmand\":\"status\"}", -EPROTO,
	    "request: key \"command\" given twice"),
	BAD("key with a NUL", TOP("\"count\\u0000x\":5"), -EPROTO,
	    "request: key \"count\\x00x\" holds a NUL"),
	/* version */
	BAD("no version", "{\"command\":\"status\"}", -EINVAL, "\"version\": missing (1)"),
	BAD("version 2", "{\"version\":2,\"command\":\"status\"}", -EPROTONOSUPPORT,
	    "\"version\": 2 is not supported (cdmd speaks 1)"),
	BAD("version 0", "{\"version\":0,\"command\":\"status\"}", -EPROTONOSUPPORT,
	    "\"version\": 0 is not supported (cdmd speaks 1)"),
	BAD("version -1", "{\"version\":-1,\"command\":\"status\"}", -EPROTONOSUPPORT,
	    "\"version\": -1 is not supported (cdmd speaks 1)"),
	BAD("version 2^64+1", "{\"version\":18446744073709551617,\"command\":\"status\"}",
	    -EPROTONOSUPPORT, "\"version\": 18446744073709551615 is not supported (cdmd speaks 1)"),
	BAD("version string", "{\"version\":\"1\",\"command\":\"status\"}", -EINVAL,
	    E_TYPE("version", "a string", "an integer")),
	BAD("version float", "{\"version\":1.0,\"command\":\"status\"}", -EINVAL,
	    E_TYPE("version", "a number with a fraction or an exponent", "an integer")),
	BAD("version null", "{\"version\":null,\"command\":\"status\"}", -EINVAL,
	    E_TYPE("version", "null", "an integer")),
	BAD("version true", "{\"version\":true,\"command\":\"status\"}", -EINVAL,
	    E_TYPE("version", "a boolean", "an integer")),
	/* command */
	BAD("no command", "{\"version\":1}", -EINVAL, "\"command\": missing " CMDS),
	BAD("empty object", "{}", -EINVAL, "\"version\": missing (1)"),
	BAD("command null", "{\"version\":1,\"command\":null}", -EINVAL,
	    E_TYPE("command", "null", "a string")),
	BAD("command number", "{\"version\":1,\"command\":1}", -EINVAL,
	    E_TYPE("command", "an integer", "a string")),
	BAD("command array", "{\"version\":1,\"command\":[\"status\"]}", -EINVAL,
	    E_TYPE("command", "an array", "a string")),
	BAD("command object", "{\"version\":1,\"command\":{}}", -EINVAL,
	    E_TYPE("command", "an object", "a string")),
	BAD("command empty", REQ("", ""), -EINVAL, "\"command\": \"\" is not a command " CMDS),
	BAD("command in capitals", REQ("STATUS", ""), -EINVAL,
	    "\"command\": \"STATUS\" is not a command " CMDS),
	BAD("command prefix", REQ("stat", ""), -EINVAL,
	    "\"command\": \"stat\" is not a command " CMDS),
	BAD("command and a space", REQ("status ", ""), -EINVAL,
	    "\"command\": \"status \" is not a command " CMDS),
	BAD("command and a NUL", REQ("status\\u0000", ""), -EINVAL,
	    "\"command\": \"status\\x00\" is not a command " CMDS),
	BAD("command with quotes", REQ("st\\\"a\\\\", ""), -EINVAL,
	    "\"command\": \"st\\x22a\\x5c\" is not a command " CMDS),
	BAD("command long", REQ("statusstatusstatusstatusstatusstatusstatusstatus", ""), -EINVAL,
	    "\"command\": \"statusstatusstatusstatusstatusstatusstat...\" is not a command " CMDS),
	/* count */
	BAD("count 0", TOP("\"count\":0"), -EINVAL, E_COUNT("0")),
	BAD("count -0", TOP("\"count\":-0"), -EINVAL, E_COUNT("0")),
	BAD("count -1", TOP("\"count\":-1"), -EINVAL, E_COUNT("-1")),
	BAD("count 1001", TOP("\"count\":1001"), -EINVAL, E_COUNT("1001")),
	BAD("count 2^31", TOP("\"count\":2147483648"), -EINVAL, E_COUNT("2147483648")),
	BAD("count 2^32+5", TOP("\"count\":4294967301"), -EINVAL, E_COUNT("4294967301")),
	BAD("count 2^63", TOP("\"count\":9223372036854775808"), -EINVAL,
	    E_COUNT("9223372036854775808")),
	BAD("count 2^64", TOP("\"count\":18446744073709551616"), -EINVAL,
	    E_COUNT("18446744073709551615")),
	BAD("count -2^63-1", TOP("\"count\":-9223372036854775809"), -EINVAL,
	    E_COUNT("-9223372036854775808")),
	BAD("count 1.5", TOP("\"count\":1.5"), -EINVAL,
	    E_TYPE("count", "a number with a fraction or an exponent", "an integer")),
	BAD("count 5.0", TOP("\"count\":5.0"), -EINVAL,
	    E_TYPE("count", "a number with a fraction or an exponent", "an integer")),
	BAD("count 1e2", TOP("\"count\":1e2"), -EINVAL,
	    E_TYPE("count", "a number with a fraction or an exponent", "an integer")),
	BAD("count string", TOP("\"count\":\"5\""), -EINVAL,
	    E_TYPE("count", "a string", "an integer")),
	BAD("count null", TOP("\"count\":null"), -EINVAL, E_TYPE("count", "null", "an integer")),
	BAD("count true", TOP("\"count\":true"), -EINVAL,
	    E_TYPE("count", "a boolean", "an integer")),
	BAD("count array", TOP("\"count\":[5]"), -EINVAL,
	    E_TYPE("count", "an array", "an integer")),
	BAD("count for status", REQ("status", ",\"count\":5"), -EINVAL,
	    "\"count\": command status takes no count"),
	BAD("count for pause", REQ("pause", ",\"count\":5"), -EINVAL,
	    "\"count\": command pause takes no count"),
	BAD("count for resume", REQ("resume", ",\"count\":5"), -EINVAL,
	    "\"count\": command resume takes no count"),
	/* target */
	BAD("target empty", TOP("\"target\":\"\""), -EINVAL,
	    "\"target\": empty (a name has 1-32 of A-Z a-z 0-9 _ -)"),
	BAD("target 33 bytes", TOP("\"target\":\"abcdefghijklmnopqrstuvwxyz0123456\""), -EINVAL,
	    "\"target\": 33 bytes long (a name has 1-32)"),
	BAD("target 4 KiB", TOP("\"target\":\"" "0123456789abcdef0123456789abcdef0123456789abcdef"
				"0123456789abcdef0123456789abcdef\""),
	    -EINVAL, "\"target\": 80 bytes long (a name has 1-32)"),
	BAD("target with a space", TOP("\"target\":\"a b\""), -EINVAL,
	    "\"target\": \"a b\" " E_NAME),
	BAD("target with a slash", TOP("\"target\":\"../etc\""), -EINVAL,
	    "\"target\": \"../etc\" " E_NAME),
	BAD("target not ASCII", TOP("\"target\":\"caf\xc3\xa9\""), -EINVAL,
	    "\"target\": \"caf\\xc3\\xa9\" " E_NAME),
	BAD("target with a NUL", TOP("\"target\":\"a\\u0000b\""), -EINVAL,
	    "\"target\": \"a\\x00b\" " E_NAME),
	BAD("target with a newline", TOP("\"target\":\"a\\nb\""), -EINVAL,
	    "\"target\": \"a\\x0ab\" " E_NAME),
	BAD("target number", TOP("\"target\":1"), -EINVAL,
	    E_TYPE("target", "an integer", "a string")),
	BAD("target null", TOP("\"target\":null"), -EINVAL, E_TYPE("target", "null", "a string")),
	BAD("target array", TOP("\"target\":[\"db\"]"), -EINVAL,
	    E_TYPE("target", "an array", "a string")),
	BAD("target for status", REQ("status", ",\"target\":\"db\""), -EINVAL,
	    "\"target\": command status takes no target"),
	BAD("target for targets", REQ("targets", ",\"target\":\"db\""), -EINVAL,
	    "\"target\": command targets takes no target"),
	BAD("target for reload", REQ("reload", ",\"target\":\"db\""), -EINVAL,
	    "\"target\": command reload takes no target"),
	/* other keys */
	BAD("unknown key", REQ("status", ",\"verbose\":true"), -EINVAL,
	    "\"verbose\": not a key of a request " KEYS),
	BAD("key in capitals", TOP("\"Count\":5"), -EINVAL, "\"Count\": not a key of a request " KEYS),
	BAD("empty key", REQ("status", ",\"\":1"), -EINVAL, "\"\": not a key of a request " KEYS),
	BAD("escaped control in a key", REQ("status", ",\"\\u0001\":1"), -EINVAL,
	    "\"\\x01\": not a key of a request " KEYS),
	BAD("unknown key, nested 16 deep", REQ("status", ",\"x\":[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]"),
	    -EINVAL, "\"x\": not a key of a request " KEYS),
	BAD("first bad key in order", TOP("\"zz\":1,\"count\":0"), -EINVAL,
	    "\"zz\": not a key of a request " KEYS),
};

static void invalid_requests(void **state)
{
	struct cdmd_request req;
	char err[256];
	int rc, wrong = 0;
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];

		err[0] = '\0';
		rc = cdmd_request_parse(b->body, b->len, &req, err, sizeof(err));
		if (rc != b->rc || strcmp(err, b->msg)) {
			print_message("# %s: got %d '%s', want %d '%s'\n", b->name, rc, err,
				      b->rc, b->msg);
			wrong++;
		}
	}
	if (wrong)
		fail_msg("%d of %zu bad requests not refused as they should be", wrong, i);
}

/* CDMD_PROTO_MAX bytes are a request; one more is not. No message
 * buffer is fine too. */
static void request_size(void **state)
{
	static const char head[] = REQ("status", "");
	struct cdmd_request req;
	char *body = malloc(CDMD_PROTO_MAX + 1), err[256];

	assert_non_null(body);
	memset(body, ' ', CDMD_PROTO_MAX + 1);
	memcpy(body, head, sizeof(head) - 1);
	assert_int_equal(cdmd_request_parse(body, CDMD_PROTO_MAX, &req, err, sizeof(err)), 0);
	assert_int_equal(req.command, CDMD_CMD_STATUS);
	assert_int_equal(cdmd_request_parse(body, CDMD_PROTO_MAX + 1, &req, err, sizeof(err)),
			 -E2BIG);
	assert_string_equal(err, "request: 65537 bytes, at most 65536");
	assert_int_equal(cdmd_request_parse(body, CDMD_PROTO_MAX + 1, &req, NULL, 0), -E2BIG);
	/* @len bytes, not up to a NUL */
	assert_int_equal(cdmd_request_parse(" \n" REQ("status", ""), 2, &req, err, sizeof(err)),
			 -EPROTO);
	assert_string_equal(err, "request: not a JSON object");
	assert_int_equal(cdmd_request_parse(REQ("status", ""), 31, &req, err, sizeof(err)),
			 -EPROTO);
	assert_string_equal(err, NOT_JSON "it ends inside the object");
	assert_int_equal(cdmd_request_parse("{}", 2, &req, err, 8), -EINVAL);
	assert_string_equal(err, "\"versio");	/* cut to the buffer */
	free(body);
	assert_true(cdmd_target_name_valid("a-b", 3));
	assert_true(cdmd_target_name_valid("a b", 1));	/* @len bytes only */
	assert_false(cdmd_target_name_valid("a b", 3));
	assert_false(cdmd_target_name_valid("a", 0));
	assert_false(cdmd_target_name_valid("abcdefghijklmnopqrstuvwxyz0123456", 33));
}

/* -- frames --------------------------------------------------------------- */

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
}

/* @body (its strlen) as a frame at @buf: the frame's length */
static size_t frame(char *buf, const char *body)
{
	size_t n = strlen(body);

	buf[0] = n >> 24;
	buf[1] = n >> 16;
	buf[2] = n >> 8;
	buf[3] = n;
	memcpy(buf + 4, body, n);
	return n + 4;
}

static void head_only(int fd, uint32_t len)
{
	unsigned char h[4] = { len >> 24, len >> 16, len >> 8, len };

	assert_int_equal(write(fd, h, 4), 4);
}

static void body_is(struct cdmd_frame_reader *r, const char *want)
{
	const char *body;
	size_t len;

	body = cdmd_frame_body(r, &len);
	assert_non_null(body);
	assert_string_equal(body, want);	/* NUL-terminated too */
	assert_int_equal(len, strlen(want));
}

static int pending(int fd)
{
	int n;

	assert_int_equal(ioctl(fd, FIONREAD, &n), 0);
	return n;
}

static void frame_whole(void **state)
{
	static const char *const body = REQ("top", ",\"count\":3");
	struct cdmd_frame_reader r;
	char buf[256], err[128];
	int sv[2];

	pair(sv);
	cdmd_frame_reader_init(&r, CDMD_PROTO_MAX);
	assert_null(cdmd_frame_body(&r, NULL));
	assert_int_equal(cdmd_frame_read(&r, sv[1], err, sizeof(err)), 0);	/* nothing yet */
	assert_int_equal(write(sv[0], buf, frame(buf, body)), strlen(body) + 4);
	assert_int_equal(cdmd_frame_read(&r, sv[1], err, sizeof(err)), 1);
	body_is(&r, body);
	assert_int_equal(cdmd_frame_read(&r, sv[1], err, sizeof(err)), 1);	/* until reset */
	cdmd_frame_reader_reset(&r);
	assert_null(cdmd_frame_body(&r, NULL));
	assert_int_equal(cdmd_frame_read(&r, sv[1], err, sizeof(err)), 0);
	close(sv[0]);
	assert_int_equal(cdmd_frame_read(&r, sv[1], err, sizeof(err)), -EPIPE);
	assert_string_equal(err, "the connection closed");
	cdmd_frame_reader_free(&r);
	close(sv[1]);
}

/* Two frames, written a byte at a time: each is whole at its last byte */
static void frame_byte_by_byte(void **state)
{
	static const char *const one = REQ("status", ""), *const two = REQ("reload", "");
	struct cdmd_frame_reader r;
	char buf[256], err[128];
	size_t n, i, end1;
	int sv[2], rc;

	pair(sv);
	cdmd_frame_reader_init(&r, CDMD_PROTO_MAX);
	end1 = frame(buf, one);
	n = end1 + frame(buf + end1, two);
	for (i = 0; i < n; i++) {
		assert_int_equal(write(sv[0], buf + i, 1), 1);
		rc = cdmd_frame_read(&r, sv[1], err, sizeof(err));
		assert_int_equal(rc, i + 1 == end1 || i + 1 == n);
		if (i + 1 == end1) {
			body_is(&r, one);
			cdmd_frame_reader_reset(&r);
		}
	}
	body_is(&r, two);
	cdmd_frame_reader_free(&r);
	close(sv[0]);
	close(sv[1]);
}

/* Two frames in one write: the reader takes the first and leaves the
 * second in the socket */
static void frame_two_in_one_write(void **state)
{
	static const char *const one = REQ("status", ""), *const two = TOP("\"count\":9");
	struct cdmd_frame_reader r;
	char buf[256], err[128];
	size_t n;
	int sv[2];

	pair(sv);
	cdmd_frame_reader_init(&r, CDMD_PROTO_MAX);
	n = frame(buf, one);
	n += frame(buf + n, two);
	assert_int_equal(write(sv[0], buf, n), n);
	assert_int_equal(cdmd_frame_read(&r, sv[1], err, sizeof(err)), 1);
	body_is(&r, one);
	assert_int_equal(pending(sv[1]), strlen(two) + 4);
	cdmd_frame_reader_reset(&r);
	assert_int_equal(cdmd_frame_read(&r, sv[1], err, sizeof(err)), 1);
	body_is(&r, two);
	assert_int_equal(pending(sv[1]), 0);
	cdmd_frame_reader_free(&r);
	close(sv[0]);
	close(sv[1]);
}

/* A length the reader refuses: @rc and @msg, and again at the next call */
static void refused_head(uint32_t len, int rc, const char *msg)
{
	struct cdmd_frame_reader r;
	char err[128];
	int sv[2];

	pair(sv);
	cdmd_frame_reader_init(&r, CDMD_PROTO_MAX);
	head_only(sv[0], len);
	assert_int_equal(write(sv[0], "{}", 2), 2);
	assert_int_equal(cdmd_frame_read(&r, sv[1], err, sizeof(err)), rc);
	assert_string_equal(err, msg);
	assert_int_equal(pending(sv[1]), 2);	/* the body is not read */
	assert_int_equal(cdmd_frame_read(&r, sv[1], err, sizeof(err)), rc);
	assert_string_equal(err, "the connection is out of step");
	assert_null(cdmd_frame_body(&r, NULL));
	cdmd_frame_reader_free(&r);
	close(sv[0]);
	close(sv[1]);
}

static void frame_bad_lengths(void **state)
{
	refused_head(0, -EPROTO, "a frame of length 0");
	refused_head(CDMD_PROTO_MAX + 1, -E2BIG, "a frame of 65537 bytes, at most 65536");
	refused_head(UINT32_MAX, -E2BIG, "a frame of 4294967295 bytes, at most 65536");
	refused_head(0x80000000u, -E2BIG, "a frame of 2147483648 bytes, at most 65536");
}

/* The peer closes after @n bytes of a frame of @body */
static void cut_at(size_t n, const char *body, const char *msg)
{
	struct cdmd_frame_reader r;
	char buf[256], err[128];
	int sv[2];

	pair(sv);
	cdmd_frame_reader_init(&r, CDMD_PROTO_MAX);
	frame(buf, body);
	assert_int_equal(write(sv[0], buf, n), n);
	close(sv[0]);
	assert_int_equal(cdmd_frame_read(&r, sv[1], err, sizeof(err)), -EPROTO);
	assert_string_equal(err, msg);
	cdmd_frame_reader_free(&r);
	close(sv[1]);
}

static void frame_cut_short(void **state)
{
	struct cdmd_frame_reader r;
	char err[128];

	cut_at(1, "{}", "the connection closed after 1 of the 4 bytes of a frame's length");
	cut_at(3, "{}", "the connection closed after 3 of the 4 bytes of a frame's length");
	cut_at(4, "{}", "the connection closed after 0 of the 2 bytes of a frame");
	cut_at(9, REQ("status", ""), "the connection closed after 5 of the 32 bytes of a frame");
	cdmd_frame_reader_init(&r, 16);
	assert_int_equal(cdmd_frame_read(&r, -1, err, sizeof(err)), -EBADF);
	assert_string_equal(err, "read: Bad file descriptor");
	cdmd_frame_reader_free(&r);
}

/* A frame of exactly the reply maximum, through the output queue and
 * the reader in turns on one thread; one byte more is refused */
static void frame_largest(void **state)
{
	struct cdmd_frame_reader r;
	struct cdmd_frame_out out;
	struct cdmd_request req;
	json_object *big, *data;
	char *s, err[128];
	size_t len;
	int sv[2], rc;
	ssize_t left;

	pair(sv);
	/* {"s":"xxx..."} */
	s = malloc(CDMD_PROTO_MAX_REPLY);
	assert_non_null(s);
	memset(s, 'x', CDMD_PROTO_MAX_REPLY - 8);
	s[CDMD_PROTO_MAX_REPLY - 8] = '\0';
	big = json_object_new_object();
	json_object_object_add(big, "s", json_object_new_string(s));
	cdmd_frame_out_init(&out, CDMD_PROTO_MAX_REPLY);
	cdmd_frame_reader_init(&r, CDMD_PROTO_MAX_REPLY);
	assert_int_equal(cdmd_frame_out_append(&out, big), 0);
	do {
		left = cdmd_frame_out_flush(&out, sv[0]);
		assert_true(left >= 0);
		rc = cdmd_frame_read(&r, sv[1], err, sizeof(err));
		assert_true(rc >= 0);
	} while (!rc);
	assert_int_equal(left, 0);
	assert_non_null(cdmd_frame_body(&r, &len));
	assert_int_equal(len, CDMD_PROTO_MAX_REPLY);
	assert_int_equal(cdmd_request_parse(cdmd_frame_body(&r, NULL), len, &req, err, sizeof(err)),
			 -E2BIG);
	assert_int_equal(cdmd_reply_parse(cdmd_frame_body(&r, NULL), len, &data, err, sizeof(err)),
			 -EPROTO);
	assert_string_equal(err, "reply from cdmd: not version 1");

	json_object_object_add(big, "s", json_object_new_string(strcat(s, "y")));
	assert_int_equal(cdmd_frame_out_append(&out, big), -E2BIG);
	assert_int_equal(cdmd_frame_write(sv[0], big, 0), -E2BIG);
	assert_int_equal(cdmd_frame_out_flush(&out, sv[0]), 0);	/* nothing queued */
	json_object_put(big);
	free(s);
	cdmd_frame_out_free(&out);
	cdmd_frame_reader_free(&r);
	close(sv[0]);
	close(sv[1]);
}

static json_object *filler(size_t bytes)
{
	json_object *obj = json_object_new_object();
	char *s = malloc(bytes + 1);

	memset(s, 'f', bytes);
	s[bytes] = '\0';
	json_object_object_add(obj, "fill", json_object_new_string(s));
	free(s);
	return obj;
}

/* A peer that does not read: the queue keeps what the socket does not
 * take and flush returns at once, on a blocking socket too; the frames
 * arrive whole and in order when the peer reads */
static void out_queue_stuck_peer(void **state)
{
	json_object *one = filler(100000), *two = cdmd_reply_ok(NULL);
	struct cdmd_frame_reader r;
	struct cdmd_frame_out out;
	int sv[2], sndbuf = 4096, rc;
	ssize_t left, again;
	struct timespec t0;
	char err[128];
	size_t len;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	cdmd_frame_out_init(&out, CDMD_PROTO_MAX_REPLY);
	assert_int_equal(cdmd_frame_out_append(&out, one), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	left = cdmd_frame_out_flush(&out, sv[0]);	/* sv[0] blocks */
	assert_true(left > 0 && left < 100000 + 20);
	again = cdmd_frame_out_flush(&out, sv[0]);
	assert_int_equal(again, left);
	assert_true(ms_since(&t0) < 100);
	assert_int_equal(cdmd_frame_out_append(&out, two), 0);	/* behind the first */
	assert_int_equal(cdmd_frame_out_flush(&out, sv[0]),
			 left + 4 + strlen(json_object_to_json_string_ext(two, JSON_C_TO_STRING_PLAIN)));

	cdmd_frame_reader_init(&r, CDMD_PROTO_MAX_REPLY);
	while (!(rc = cdmd_frame_read(&r, sv[1], err, sizeof(err))))
		assert_true(cdmd_frame_out_flush(&out, sv[0]) >= 0);
	assert_int_equal(rc, 1);
	assert_non_null(cdmd_frame_body(&r, &len));
	assert_string_equal(cdmd_frame_body(&r, NULL),
			    json_object_to_json_string_ext(one, JSON_C_TO_STRING_PLAIN));
	cdmd_frame_reader_reset(&r);
	while (!(rc = cdmd_frame_read(&r, sv[1], err, sizeof(err))))
		assert_true(cdmd_frame_out_flush(&out, sv[0]) >= 0);
	assert_int_equal(rc, 1);
	body_is(&r, "{\"version\":1,\"result\":\"ok\",\"data\":{}}");
	assert_int_equal(cdmd_frame_out_flush(&out, sv[0]), 0);

	/* the peer gone: -EPIPE, and no SIGPIPE to end this process */
	close(sv[1]);
	assert_int_equal(cdmd_frame_out_append(&out, two), 0);
	assert_int_equal(cdmd_frame_out_flush(&out, sv[0]), -EPIPE);
	assert_int_equal(cdmd_frame_out_flush(&out, -1), -EBADF);
	json_object_put(one);
	json_object_put(two);
	cdmd_frame_out_free(&out);
	cdmd_frame_reader_free(&r);
	close(sv[0]);
}

static void write_frames(void **state)
{
	json_object *big = filler(300000), *small = cdmd_reply_error(-ENOENT, "no %s", "x");
	struct cdmd_frame_reader r;
	int sv[2], sndbuf = 4096;
	struct timespec t0;
	char err[128];
	long long ms;

	pair(sv);
	cdmd_frame_reader_init(&r, CDMD_PROTO_MAX_REPLY);
	assert_int_equal(cdmd_frame_write(sv[0], small, TIMEOUT_MS), 0);
	assert_int_equal(cdmd_frame_read(&r, sv[1], err, sizeof(err)), 1);
	body_is(&r, "{\"version\":1,\"result\":\"error\",\"errno\":2,\"error\":\"no x\"}");

	/* nobody reads: the write gives up at its timeout */
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cdmd_frame_write(sv[0], big, TIMEOUT_MS), -ETIMEDOUT);
	ms = ms_since(&t0);
	if (ms < TIMEOUT_MS - 10 || ms > TIMEOUT_MS + 1000)
		fail_msg("timed out after %lld ms, want %d", ms, TIMEOUT_MS);
	close(sv[1]);
	assert_int_equal(cdmd_frame_write(sv[0], small, TIMEOUT_MS), -EPIPE);
	json_object_put(big);
	json_object_put(small);
	cdmd_frame_reader_free(&r);
	close(sv[0]);
}

/* -- replies --------------------------------------------------------------- */

static const char *text(json_object *obj)
{
	return json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
}

static void replies(void **state)
{
	json_object *reply, *data;
	char err[256];
	const char *t;

	reply = cdmd_reply_ok(NULL);
	assert_string_equal(text(reply), "{\"version\":1,\"result\":\"ok\",\"data\":{}}");
	json_object_put(reply);

	data = json_object_new_object();
	json_object_object_add(data, "paused", json_object_new_boolean(1));
	reply = cdmd_reply_ok(data);
	t = text(reply);
	assert_int_equal(cdmd_reply_parse(t, strlen(t), &data, err, sizeof(err)), 0);
	assert_string_equal(text(data), "{\"paused\":true}");
	json_object_put(reply);
	json_object_put(data);

	reply = cdmd_reply_error(-EINVAL, "\"count\": %d is out of range", 0);
	t = text(reply);
	assert_string_equal(t, "{\"version\":1,\"result\":\"error\",\"errno\":22,"
			    "\"error\":\"\\\"count\\\": 0 is out of range\"}");
	data = (json_object *)&data;
	assert_int_equal(cdmd_reply_parse(t, strlen(t), &data, err, sizeof(err)), -EINVAL);
	assert_null(data);
	assert_string_equal(err, "\"count\": 0 is out of range");
	json_object_put(reply);

	/* a message of many lines (a reload's problems) keeps its newlines;
	 * other control characters do not reach the terminal */
	reply = cdmd_reply_error(-EINVAL, "a:1: x\na:2: y\033[2J\r");
	t = text(reply);
	assert_int_equal(cdmd_reply_parse(t, strlen(t), &data, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "a:1: x\na:2: y?[2J?");
	json_object_put(reply);
}

struct bad_reply {
	const char *body;
	int rc;
	const char *msg;
};

#define R "reply from cdmd: "

static const struct bad_reply bad_replies[] = {
	{ "", -EPROTO, R "empty" },
	{ "[]", -EPROTO, R "not a JSON object" },
	{ "{\"version\":1,\"result\":\"ok\",\"data\":{}", -EPROTO,
	  R "not JSON: it ends inside the object" },
	{ "{\"result\":\"ok\",\"data\":{}}", -EPROTO, R "not version 1" },
	{ "{\"version\":2,\"result\":\"ok\",\"data\":{}}", -EPROTO, R "not version 1" },
	{ "{\"version\":\"1\",\"result\":\"ok\",\"data\":{}}", -EPROTO, R "not version 1" },
	{ "{\"version\":1,\"data\":{}}", -EPROTO, R "no \"result\" string" },
	{ "{\"version\":1,\"result\":null}", -EPROTO, R "no \"result\" string" },
	{ "{\"version\":1,\"result\":\"maybe\"}", -EPROTO,
	  R "\"result\" is neither \"ok\" nor \"error\"" },
	{ "{\"version\":1,\"result\":\"ok\\u0000\",\"data\":{}}", -EPROTO,
	  R "\"result\" is neither \"ok\" nor \"error\"" },
	{ "{\"version\":1,\"result\":\"ok\"}", -EPROTO, R "\"ok\" without a \"data\" object" },
	{ "{\"version\":1,\"result\":\"ok\",\"data\":[]}", -EPROTO,
	  R "\"ok\" without a \"data\" object" },
	{ "{\"version\":1,\"result\":\"error\",\"error\":\"x\"}", -EPROTO,
	  R "\"error\" without an \"errno\" of 1-4095" },
	{ "{\"version\":1,\"result\":\"error\",\"errno\":0,\"error\":\"x\"}", -EPROTO,
	  R "\"error\" without an \"errno\" of 1-4095" },
	{ "{\"version\":1,\"result\":\"error\",\"errno\":-22,\"error\":\"x\"}", -EPROTO,
	  R "\"error\" without an \"errno\" of 1-4095" },
	{ "{\"version\":1,\"result\":\"error\",\"errno\":4096,\"error\":\"x\"}", -EPROTO,
	  R "\"error\" without an \"errno\" of 1-4095" },
	{ "{\"version\":1,\"result\":\"error\",\"errno\":\"22\",\"error\":\"x\"}", -EPROTO,
	  R "\"error\" without an \"errno\" of 1-4095" },
	{ "{\"version\":1,\"result\":\"error\",\"errno\":22}", -EPROTO,
	  R "\"error\" without an \"error\" message" },
	{ "{\"version\":1,\"result\":\"error\",\"errno\":22,\"error\":5}", -EPROTO,
	  R "\"error\" without an \"error\" message" },
	{ "{\"version\":1,\"result\":\"ok\",\"result\":\"error\",\"data\":{}}", -EPROTO,
	  R "key \"result\" given twice" },
	{ "{\"version\":1,\"result\":\"error\",\"errno\":2,\"error\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}",
	  -ENOENT, "caf\xc3\xa9 \xf0\x9f\x98\x80" },
	{ "{\"version\":1,\"result\":\"error\",\"errno\":2,\"error\":\"caf\xe9\"}", -EPROTO,
	  R "not JSON: invalid UTF-8 at byte 52" },
	/* keys it does not know: a later cdmd's, passed over */
	{ "{\"version\":1,\"result\":\"error\",\"errno\":16,\"error\":\"busy\",\"retry\":1}",
	  -EBUSY, "busy" },
	{ "{\"version\":1,\"result\":\"ok\",\"data\":{},\"took_ms\":3}", 0, "" },
};

static void bad_replies_refused(void **state)
{
	json_object *data;
	char err[256];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(bad_replies) / sizeof(bad_replies[0]); i++) {
		const struct bad_reply *b = &bad_replies[i];

		err[0] = '\0';
		rc = cdmd_reply_parse(b->body, strlen(b->body), &data, err, sizeof(err));
		if (rc != b->rc || strcmp(err, b->msg))
			fail_msg("%s: got %d '%s', want %d '%s'", b->body, rc, err, b->rc, b->msg);
		assert_true(rc ? !data : !!data);
		json_object_put(data);
	}
}

/* -- the client -------------------------------------------------------------- */

static void sock_path(char *buf, const char *name)
{
	snprintf(buf, sizeof(((struct sockaddr_un *)0)->sun_path), "%s/%s", dir, name);
}

/* A socket bound at @path, listening with @backlog (negative: not) */
static int listener(const char *path, int backlog)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	unlink(path);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (backlog >= 0)
		assert_int_equal(listen(fd, backlog), 0);
	return fd;
}

static int call(const char *path, enum cdmd_command command, json_object **data, char *err,
		size_t errlen)
{
	struct cdmd_request req = { .command = command };

	return cdmd_client_call(path, &req, TIMEOUT_MS, data, err, errlen);
}

static void client_not_running(void **state)
{
	struct cdmd_request bad = { .command = CDMD_NR_COMMANDS };
	char path[200], want[256], err[256];
	json_object *data;
	int fd;

	sock_path(path, "none");
	assert_int_equal(call(path, CDMD_CMD_STATUS, &data, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "cdmd is not running (no socket at %s)", path);
	assert_string_equal(err, want);
	assert_null(data);

	/* a socket left behind by a cdmd that is gone */
	sock_path(path, "stale");
	fd = listener(path, -1);
	close(fd);
	assert_int_equal(call(path, CDMD_CMD_STATUS, &data, err, sizeof(err)), -ECONNREFUSED);
	snprintf(want, sizeof(want), "cdmd is not running (nobody listens at %s)", path);
	assert_string_equal(err, want);

	memset(path, 'p', 108);
	path[0] = '/';
	path[108] = '\0';
	assert_int_equal(call(path, CDMD_CMD_STATUS, &data, err, sizeof(err)), -ENAMETOOLONG);
	assert_non_null(strstr(err, ": socket path too long (107 bytes at most)"));

	assert_int_equal(cdmd_client_call(path, &bad, TIMEOUT_MS, &data, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "request: 7 is not a command");
}

/* A socket of mode 0: refused to anyone but root, so root's test drops
 * to nobody in a child */
static void client_permission(void **state)
{
	char path[108], want[256], err[256] = "";
	json_object *data;
	int fd, p[2], rc = 0, status;
	pid_t pid;

	sock_path(path, "private");
	fd = listener(path, 1);
	assert_int_equal(chmod(path, 0), 0);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		if (!getuid() && (setgroups(0, NULL) || setgid(65534) || setuid(65534)))
			_exit(77);
		rc = call(path, CDMD_CMD_STATUS, &data, err, sizeof(err));
		if (write(p[1], &rc, sizeof(rc)) != sizeof(rc) ||
		    write(p[1], err, sizeof(err)) != sizeof(err))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		skip();		/* no CAP_SETUID here */
	assert_int_equal(status, 0);
	assert_int_equal(read(p[0], &rc, sizeof(rc)), sizeof(rc));
	assert_int_equal(read(p[0], err, sizeof(err)), sizeof(err));
	close(p[0]);
	close(fd);
	assert_int_equal(rc, -EACCES);
	snprintf(want, sizeof(want), "%s: permission denied (root or the socket group)", path);
	assert_string_equal(err, want);
}

/* A daemon whose listen queue is full: connect() would wait for ever */
static void client_queue_full(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[108], err[256];
	struct timespec t0;
	json_object *data;
	int fd, queued;
	long long ms;

	sock_path(path, "full");
	fd = listener(path, 0);
	strcpy(sa.sun_path, path);
	queued = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_int_equal(connect(queued, (struct sockaddr *)&sa, sizeof(sa)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(call(path, CDMD_CMD_STATUS, &data, err, sizeof(err)), -ETIMEDOUT);
	ms = ms_since(&t0);
	assert_string_equal(err, "cdmd did not answer in 200 ms (its queue is full)");
	if (ms < TIMEOUT_MS - 10 || ms > TIMEOUT_MS + 1000)
		fail_msg("timed out after %lld ms, want %d", ms, TIMEOUT_MS);
	close(queued);
	close(fd);
}

enum server_mode {
	ANSWER,		/* data: the request as read */
	REFUSE,		/* an error reply */
	SILENT,		/* reads the request, never answers */
	HANG_UP,	/* closes without a word */
	GARBAGE,	/* a frame that is no reply */
	TOO_LONG,	/* a frame length above the reply maximum */
};

/* A child that takes one connection on @fd and behaves as @mode says */
static pid_t server(int fd, enum server_mode mode)
{
	struct cdmd_frame_reader r;
	struct cdmd_request req;
	json_object *reply, *data;
	char err[256];
	int c, rc;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid)
		return pid;
	c = accept(fd, NULL, NULL);
	cdmd_frame_reader_init(&r, CDMD_PROTO_MAX);
	if (c < 0 || cdmd_frame_read(&r, c, err, sizeof(err)) != 1)
		_exit(1);
	rc = cdmd_request_parse(cdmd_frame_body(&r, NULL), r.len, &req, err, sizeof(err));
	switch (mode) {
	case ANSWER:
		data = json_object_new_object();
		json_object_object_add(data, "command",
				       json_object_new_string(rc ? err : cdmd_command_name(req.command)));
		json_object_object_add(data, "count", json_object_new_int(req.count));
		json_object_object_add(data, "target", json_object_new_string(req.target));
		reply = cdmd_reply_ok(data);
		break;
	case REFUSE:
		reply = cdmd_reply_error(-ENOENT, "\"target\": no target \"%s\"", req.target);
		break;
	case SILENT:
		pause();
		_exit(0);
	case HANG_UP:
		_exit(0);
	case GARBAGE:
		reply = json_object_new_array();
		break;
	case TOO_LONG:
		head_only(c, CDMD_PROTO_MAX_REPLY + 1);
		pause();
		_exit(0);
	}
	_exit(cdmd_frame_write(c, reply, -1) ? 1 : 0);
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* The client's result and message against a server in @mode */
static int call_server(enum server_mode mode, const struct cdmd_request *req,
		       json_object **data, char *err, size_t errlen)
{
	char path[108];
	pid_t pid;
	int fd, rc;

	sock_path(path, "cdmd.sock");
	fd = listener(path, 8);
	pid = server(fd, mode);
	rc = cdmd_client_call(path, req, TIMEOUT_MS, data, err, errlen);
	reap(pid);
	close(fd);
	return rc;
}

static void client_calls(void **state)
{
	struct cdmd_request req = { .command = CDMD_CMD_TOP, .count = 7, .target = "db" };
	json_object *data;
	char err[256] = "";

	assert_int_equal(call_server(ANSWER, &req, &data, err, sizeof(err)), 0);
	assert_string_equal(text(data), "{\"command\":\"top\",\"count\":7,\"target\":\"db\"}");
	assert_string_equal(err, "");
	json_object_put(data);

	req = (struct cdmd_request){ .command = CDMD_CMD_EXPLAIN };
	assert_int_equal(call_server(ANSWER, &req, &data, err, sizeof(err)), 0);
	assert_string_equal(text(data), "{\"command\":\"explain\",\"count\":20,\"target\":\"\"}");
	json_object_put(data);

	req = (struct cdmd_request){ .command = CDMD_CMD_PAUSE, .target = "web" };
	assert_int_equal(call_server(REFUSE, &req, &data, err, sizeof(err)), -ENOENT);
	assert_null(data);
	assert_string_equal(err, "\"target\": no target \"web\"");

	assert_int_equal(call_server(HANG_UP, &req, &data, err, sizeof(err)), -ECONNRESET);
	assert_string_equal(err, "cdmd closed the connection without answering");
	assert_int_equal(call_server(GARBAGE, &req, &data, err, sizeof(err)), -EPROTO);
	assert_string_equal(err, "reply from cdmd: not a JSON object");
	assert_int_equal(call_server(TOO_LONG, &req, &data, err, sizeof(err)), -E2BIG);
	assert_string_equal(err, "reply from cdmd: a frame of 1048577 bytes, at most 1048576");
	assert_null(data);
}

static void client_timeout(void **state)
{
	struct cdmd_request req = { .command = CDMD_CMD_STATUS };
	struct timespec t0;
	json_object *data;
	char err[256];
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(call_server(SILENT, &req, &data, err, sizeof(err)), -ETIMEDOUT);
	ms = ms_since(&t0);
	assert_string_equal(err, "cdmd did not answer in 200 ms");
	assert_null(data);
	if (ms < TIMEOUT_MS - 10 || ms > TIMEOUT_MS + 1000)
		fail_msg("timed out after %lld ms, want %d", ms, TIMEOUT_MS);
}

/* -- a server loop, as cdmd's ------------------------------------------------- */

/*
 * One client on @fd, as cdmd serves them: poll, read a frame, answer
 * into the queue, read no more while the queue is not empty; a frame
 * the reader refuses is answered and the connection closed.
 */
static void serve(int fd)
{
	struct cdmd_frame_reader in;
	struct cdmd_frame_out out;
	struct cdmd_request req;
	bool closing = false;
	json_object *reply;
	const char *body;
	ssize_t left = 0;
	char err[256];
	size_t len;
	int rc;

	cdmd_frame_reader_init(&in, CDMD_PROTO_MAX);
	cdmd_frame_out_init(&out, CDMD_PROTO_MAX_REPLY);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = left ? POLLOUT : POLLIN };

		if (poll(&p, 1, -1) < 0)
			break;
		if (left || closing) {
			left = cdmd_frame_out_flush(&out, fd);
			if (left < 0 || (closing && !left))
				break;
			continue;
		}
		rc = cdmd_frame_read(&in, fd, err, sizeof(err));
		if (!rc)
			continue;
		if (rc == -EPIPE)
			break;
		if (rc == 1) {
			body = cdmd_frame_body(&in, &len);
			rc = cdmd_request_parse(body, len, &req, err, sizeof(err));
			cdmd_frame_reader_reset(&in);
		} else {
			closing = true;
		}
		reply = rc ? cdmd_reply_error(rc, "%s", err) :
			cdmd_reply_ok(json_object_new_string(cdmd_command_name(req.command)));
		if (cdmd_frame_out_append(&out, reply))
			break;
		json_object_put(reply);
		left = cdmd_frame_out_flush(&out, fd);
		if (left < 0 || (closing && !left))
			break;
	}
	cdmd_frame_reader_free(&in);
	cdmd_frame_out_free(&out);
}

/* Requests sent back to back in one write, a bad one among them, are
 * answered one by one in order; a frame too long is answered, then the
 * connection closed (its body unread) */
static void pipelined(void **state)
{
	static const char *const reqs[] = { REQ("status", ""), REQ("top", ",\"count\":0"),
					    REQ("reload", "") };
	static const char *const answers[] = {
		"{\"version\":1,\"result\":\"ok\",\"data\":\"status\"}",
		"{\"version\":1,\"result\":\"error\",\"errno\":22,"
		"\"error\":\"\\\"count\\\": 0 is out of range (1-1000)\"}",
		"{\"version\":1,\"result\":\"ok\",\"data\":\"reload\"}",
		"{\"version\":1,\"result\":\"error\",\"errno\":7,"
		"\"error\":\"a frame of 65537 bytes, at most 65536\"}",
	};
	struct cdmd_frame_reader r;
	char buf[512], err[128];
	size_t n = 0, i;
	int sv[2], rc;
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(sv[0]);
		fcntl(sv[1], F_SETFL, O_NONBLOCK);
		serve(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	for (i = 0; i < 3; i++)
		n += frame(buf + n, reqs[i]);
	assert_int_equal(write(sv[0], buf, n), n);
	head_only(sv[0], CDMD_PROTO_MAX + 1);
	assert_int_equal(write(sv[0], "{}", 2), 2);	/* left unread */
	cdmd_frame_reader_init(&r, CDMD_PROTO_MAX_REPLY);
	for (i = 0; i < 4; i++) {
		struct pollfd p = { .fd = sv[0], .events = POLLIN };

		while (!(rc = cdmd_frame_read(&r, sv[0], err, sizeof(err))))
			poll(&p, 1, 5000);
		assert_int_equal(rc, 1);
		body_is(&r, answers[i]);
		cdmd_frame_reader_reset(&r);
	}
	/* the reply came before the reset that closing with unread bytes gives */
	assert_int_equal(cdmd_frame_read(&r, sv[0], err, sizeof(err)), -ECONNRESET);
	cdmd_frame_reader_free(&r);
	close(sv[0]);
	reap(pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_requests),
		cmocka_unit_test(request_to_json),
		cmocka_unit_test(invalid_requests),
		cmocka_unit_test(request_size),
		cmocka_unit_test(frame_whole),
		cmocka_unit_test(frame_byte_by_byte),
		cmocka_unit_test(frame_two_in_one_write),
		cmocka_unit_test(frame_bad_lengths),
		cmocka_unit_test(frame_cut_short),
		cmocka_unit_test(frame_largest),
		cmocka_unit_test(out_queue_stuck_peer),
		cmocka_unit_test(write_frames),
		cmocka_unit_test(replies),
		cmocka_unit_test(bad_replies_refused),
		cmocka_unit_test(client_not_running),
		cmocka_unit_test(client_permission),
		cmocka_unit_test(client_queue_full),
		cmocka_unit_test(client_calls),
		cmocka_unit_test(client_timeout),
		cmocka_unit_test(pipelined),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("cdmd protocol", tests, setup, teardown);
}
