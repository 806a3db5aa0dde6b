// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdmd's control protocol (protocol.h says what goes on the wire):
 * requests and replies checked key by key, frames read and written on
 * nonblocking sockets, and cdmctl's call.
 *
 * JSON is parsed by json-c in strict mode, nesting bounded. Strict as it
 * is, json-c still takes a few things JSON does not, and keeps the last
 * of two equal keys without a word: check_text() walks the accepted text
 * once more for those, and for UTF-8.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"

#define FRAME_HEAD	4		/* the length before each body */
#define TEXT_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define QUOTE_MAX	40		/* bytes of a peer's string a message repeats */
#define ERRNO_MAX	4095		/* the largest errno a reply may carry */

static const struct command {
	const char *name;
	bool count, target;		/* the arguments it takes */
} commands[CDMD_NR_COMMANDS] = {
	[CDMD_CMD_STATUS] = { "status" },
	[CDMD_CMD_TARGETS] = { "targets" },
	[CDMD_CMD_TOP] = { "top", true, true },
	[CDMD_CMD_EXPLAIN] = { "explain", true, true },
	[CDMD_CMD_RELOAD] = { "reload" },
	[CDMD_CMD_PAUSE] = { "pause", false, true },
	[CDMD_CMD_RESUME] = { "resume", false, true },
};
#define COMMAND_LIST	"status, targets, top, explain, reload, pause, resume"
#define NAME_CHARS	"A-Z a-z 0-9 _ -"

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* @rc, with the message in @err */
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

struct quoted {
	char s[QUOTE_MAX * 4 + 4];
};

/* A peer's @len bytes at @s as a message may repeat them: printable
 * ASCII, other bytes as \xNN, cut after QUOTE_MAX bytes */
static const char *quote(struct quoted *q, const char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && i < QUOTE_MAX; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			q->s[o++] = c;
		else
			o += sprintf(q->s + o, "\\x%02x", c);
	}
	strcpy(q->s + o, len > QUOTE_MAX ? "..." : "");
	return q->s;
}

static const char *type_name(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a number with a fraction or an exponent";
	case json_type_int:
		return "an integer";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "an unknown type";
}

/* @v is the string @s exactly (a NUL in @v does not end it) */
static bool string_is(json_object *v, const char *s)
{
	size_t n = strlen(s);

	return json_object_get_string_len(v) == (int)n && !memcmp(json_object_get_string(v), s, n);
}

/* @key of @obj, when it is of @type */
static bool get(json_object *obj, const char *key, enum json_type type, json_object **v)
{
	return json_object_object_get_ex(obj, key, v) && json_object_is_type(*v, type);
}

/* Add @val (taken over; NULL: out of memory) as @key of @obj: 0 or -ENOMEM */
static int add(json_object *obj, const char *key, json_object *val)
{
	if (!val)
		return -ENOMEM;
	if (json_object_object_add(obj, key, val)) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

/*
 * A key of the top-level object, the JSON string @lit (@len bytes), is
 * to have no NUL (json-c's keys end at one: "count\u0000x" would be
 * taken for "count") and not to be in @seen yet, where it is added.
 */
static int check_key(struct json_tokener **tok, json_object **seen, const char *lit,
		     size_t len, const char *what, char *err, size_t errlen)
{
	struct quoted q;
	json_object *key;
	const char *k;
	int n, rc = 0;

	if (!*tok)
		*tok = json_tokener_new();
	else
		json_tokener_reset(*tok);
	if (!*seen)
		*seen = json_object_new_object();
	if (!*tok || !*seen)
		return fail(err, errlen, -ENOMEM, "%s: out of memory", what);
	key = json_tokener_parse_ex(*tok, lit, len);
	if (!json_object_is_type(key, json_type_string)) {
		json_object_put(key);
		return fail(err, errlen, -EPROTO, "%s: a key json-c does not read back", what);
	}
	k = json_object_get_string(key);
	n = json_object_get_string_len(key);
	if (strlen(k) != (size_t)n)
		rc = fail(err, errlen, -EPROTO, "%s: key \"%s\" holds a NUL", what, quote(&q, k, n));
	else if (json_object_object_get_ex(*seen, k, NULL))
		rc = fail(err, errlen, -EPROTO, "%s: key \"%s\" given twice", what, quote(&q, k, n));
	else if (json_object_object_add(*seen, k, NULL))
		rc = fail(err, errlen, -ENOMEM, "%s: out of memory", what);
	json_object_put(key);
	return rc;
}

/*
 * The length of the UTF-8 sequence at @str (@len bytes left), 0 when it is
 * none: cut short, overlong, a surrogate, past U+10FFFF (RFC 3629).
 * json-c's own check (JSON_TOKENER_VALIDATE_UTF8) takes overlong forms.
 */
static size_t utf8_seq(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > len)
		return 0;
	cp = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * What json-c's strict mode takes and JSON does not: single quotes,
 * NaN, Infinity, "1.", raw control characters and invalid UTF-8 in
 * strings; and a top-level key given twice. @s is text json-c read as
 * one object, so strings are closed and brackets paired: outside
 * strings, JSON has only punctuation, numbers and the letters of true,
 * false and null.
 */
static int check_text(const char *s, size_t len, const char *what, char *err, size_t errlen)
{
	static const char outside[] = "{}[]:, \t\n\r-+.0123456789eEtruefalsn";
	struct json_tokener *tok = NULL;
	json_object *seen = NULL;
	bool key_next = false;
	struct quoted q;
	size_t i, n, start;
	int depth = 0, rc = 0;

	for (i = 0; i < len && !rc; i++) {
		unsigned char c = s[i];

		if (c == '"') {
			start = i;
			for (i++; i < len && s[i] != '"' && !rc; i += n) {
				c = s[i];
				n = c == '\\' ? 2 : utf8_seq(s + i, len - i);
				if (c < 0x20)
					rc = fail(err, errlen, -EPROTO, "%s: not JSON: a control "
						  "character in a string at byte %zu", what, i);
				else if (!n)
					rc = fail(err, errlen, -EPROTO, "%s: not JSON: invalid UTF-8 "
						  "at byte %zu", what, i);
			}
			if (!rc && depth == 1 && key_next)
				rc = check_key(&tok, &seen, s + start, i + 1 - start, what, err, errlen);
			key_next = false;
		} else if (!strchr(outside, c)) {
			rc = fail(err, errlen, -EPROTO, "%s: not JSON: '%s' at byte %zu", what,
				  quote(&q, s + i, 1), i);
		} else if (c == '.' && (i + 1 == len || s[i + 1] < '0' || s[i + 1] > '9')) {
			rc = fail(err, errlen, -EPROTO, "%s: not JSON: no digit after '.' at byte %zu",
				  what, i);
		} else if (c == '{' || c == '[') {
			key_next = ++depth == 1;
		} else if (c == '}' || c == ']') {
			depth--;
		} else if (c == ',') {
			key_next = depth == 1;
		}
	}
	if (tok)
		json_tokener_free(tok);
	json_object_put(seen);
	return rc;
}

/*
 * The @len bytes at @body as one JSON object, at most @max bytes long,
 * in *@obj; @what ("request", ...) begins the messages.
 */
static int parse_object(const char *body, size_t len, size_t max, const char *what,
			json_object **obj, char *err, size_t errlen)
{
	enum json_tokener_error e;
	struct json_tokener *tok;
	const char *nul;
	size_t end, i;
	int rc;

	*obj = NULL;
	if (!len)
		return fail(err, errlen, -EPROTO, "%s: empty", what);
	if (len > max)
		return fail(err, errlen, -E2BIG, "%s: %zu bytes, at most %zu", what, len, max);
	nul = memchr(body, '\0', len);
	if (nul)
		return fail(err, errlen, -EPROTO, "%s: not JSON: a NUL at byte %zu", what,
			    (size_t)(nul - body));
	for (i = 0; i < len && strchr(" \t\n\r", body[i]); i++)
		;
	if (i == len || body[i] != '{')
		return fail(err, errlen, -EPROTO, "%s: not a JSON object", what);
	tok = json_tokener_new_ex(CDMD_PROTO_DEPTH);
	if (!tok)
		return fail(err, errlen, -ENOMEM, "%s: out of memory", what);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	*obj = json_tokener_parse_ex(tok, body, len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (e == json_tokener_continue)
		rc = fail(err, errlen, -EPROTO, "%s: not JSON: it ends inside the object", what);
	else if (e == json_tokener_error_depth)
		rc = fail(err, errlen, -EPROTO, "%s: nested deeper than %d at byte %zu", what,
			  CDMD_PROTO_DEPTH, end);
	else if (e != json_tokener_success)
		rc = fail(err, errlen, -EPROTO, "%s: not JSON: %s at byte %zu", what,
			  json_tokener_error_desc(e), end);
	else if (end != len)
		rc = fail(err, errlen, -EPROTO, "%s: more after the object, at byte %zu", what, end);
	else if (!json_object_is_type(*obj, json_type_object))
		rc = fail(err, errlen, -EPROTO, "%s: not a JSON object", what);
	else
		rc = check_text(body, len, what, err, errlen);
	if (rc) {
		json_object_put(*obj);
		*obj = NULL;
	}
	return rc;
}

const char *cdmd_command_name(enum cdmd_command command)
{
	return (unsigned int)command < CDMD_NR_COMMANDS ? commands[command].name : NULL;
}

bool cdmd_target_name_valid(const char *name, size_t len)
{
	size_t i;

	if (!len || len > CDMD_PROTO_TARGET_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z') &&
		    !(c >= '0' && c <= '9') && c != '_' && c != '-')
			return false;
	}
	return true;
}

static int get_count(json_object *v, struct cdmd_request *req, char *err, size_t errlen)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int))
		return fail(err, errlen, -EINVAL, "\"count\": %s, not an integer", type_name(v));
	/* json-c keeps integers above INT64_MAX as unsigned, reads them
	 * back here as INT64_MAX, and caps larger ones at UINT64_MAX */
	n = json_object_get_int64(v);
	if (n < 1 || n > CDMD_PROTO_COUNT_MAX)
		return fail(err, errlen, -EINVAL, "\"count\": %s is out of range (1-%d)",
			    json_object_to_json_string_ext(v, TEXT_FLAGS), CDMD_PROTO_COUNT_MAX);
	req->count = n;
	return 0;
}

static int get_target(json_object *v, struct cdmd_request *req, char *err, size_t errlen)
{
	struct quoted q;
	const char *s;
	size_t n;

	if (!json_object_is_type(v, json_type_string))
		return fail(err, errlen, -EINVAL, "\"target\": %s, not a string", type_name(v));
	s = json_object_get_string(v);
	n = json_object_get_string_len(v);
	if (!n)
		return fail(err, errlen, -EINVAL, "\"target\": empty (a name has 1-%d of %s)",
			    CDMD_PROTO_TARGET_MAX, NAME_CHARS);
	if (n > CDMD_PROTO_TARGET_MAX)
		return fail(err, errlen, -EINVAL, "\"target\": %zu bytes long (a name has 1-%d)",
			    n, CDMD_PROTO_TARGET_MAX);
	if (!cdmd_target_name_valid(s, n))
		return fail(err, errlen, -EINVAL, "\"target\": \"%s\" has a byte other than %s",
			    quote(&q, s, n), NAME_CHARS);
	memcpy(req->target, s, n);
	req->target[n] = '\0';
	return 0;
}

/* version and command first: another version may have other keys */
static int check_request(json_object *obj, struct cdmd_request *req, char *err, size_t errlen)
{
	const struct command *cmd;
	struct quoted q;
	json_object *v;
	int i, rc = 0;

	if (!json_object_object_get_ex(obj, "version", &v))
		return fail(err, errlen, -EINVAL, "\"version\": missing (%d)", CDMD_PROTO_VERSION);
	if (!json_object_is_type(v, json_type_int))
		return fail(err, errlen, -EINVAL, "\"version\": %s, not an integer", type_name(v));
	if (json_object_get_int64(v) != CDMD_PROTO_VERSION)
		return fail(err, errlen, -EPROTONOSUPPORT, "\"version\": %s is not supported "
			    "(cdmd speaks %d)", json_object_to_json_string_ext(v, TEXT_FLAGS),
			    CDMD_PROTO_VERSION);
	if (!json_object_object_get_ex(obj, "command", &v))
		return fail(err, errlen, -EINVAL, "\"command\": missing (%s)", COMMAND_LIST);
	if (!json_object_is_type(v, json_type_string))
		return fail(err, errlen, -EINVAL, "\"command\": %s, not a string", type_name(v));
	for (i = 0; i < CDMD_NR_COMMANDS && !string_is(v, commands[i].name); i++)
		;
	if (i == CDMD_NR_COMMANDS)
		return fail(err, errlen, -EINVAL, "\"command\": \"%s\" is not a command (%s)",
			    quote(&q, json_object_get_string(v), json_object_get_string_len(v)),
			    COMMAND_LIST);
	cmd = &commands[i];
	req->command = i;
	if (cmd->count)
		req->count = CDMD_PROTO_COUNT_DEFAULT;

	json_object_object_foreach(obj, key, val) {
		if (!strcmp(key, "version") || !strcmp(key, "command"))
			continue;
		if (!strcmp(key, "count") && cmd->count)
			rc = get_count(val, req, err, errlen);
		else if (!strcmp(key, "target") && cmd->target)
			rc = get_target(val, req, err, errlen);
		else if (!strcmp(key, "count") || !strcmp(key, "target"))
			rc = fail(err, errlen, -EINVAL, "\"%s\": command %s takes no %s", key,
				  cmd->name, key);
		else
			rc = fail(err, errlen, -EINVAL, "\"%s\": not a key of a request "
				  "(version, command, count, target)", quote(&q, key, strlen(key)));
		if (rc)
			return rc;
	}
	return 0;
}

int cdmd_request_parse(const char *body, size_t len, struct cdmd_request *req,
		       char *err, size_t errlen)
{
	json_object *obj;
	int rc;

	memset(req, 0, sizeof(*req));
	rc = parse_object(body, len, CDMD_PROTO_MAX, "request", &obj, err, errlen);
	if (rc)
		return rc;
	rc = check_request(obj, req, err, errlen);
	json_object_put(obj);
	return rc;
}

json_object *cdmd_request_to_json(const struct cdmd_request *req)
{
	const char *name = cdmd_command_name(req->command);
	json_object *obj;

	if (!name)
		return NULL;
	obj = json_object_new_object();
	if (!obj)
		return NULL;
	/* count 0 is left out, for the daemon's default */
	if (add(obj, "version", json_object_new_int(CDMD_PROTO_VERSION)) ||
	    add(obj, "command", json_object_new_string(name)) ||
	    (req->count && add(obj, "count", json_object_new_int64(req->count))) ||
	    (req->target[0] && add(obj, "target", json_object_new_string(req->target)))) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

static json_object *reply_new(const char *result)
{
	json_object *reply = json_object_new_object();

	if (reply && (add(reply, "version", json_object_new_int(CDMD_PROTO_VERSION)) ||
		      add(reply, "result", json_object_new_string(result)))) {
		json_object_put(reply);
		return NULL;
	}
	return reply;
}

json_object *cdmd_reply_ok(json_object *data)
{
	json_object *reply = reply_new("ok");

	if (!reply) {
		json_object_put(data);
		return NULL;
	}
	if (add(reply, "data", data ? data : json_object_new_object())) {
		json_object_put(reply);
		return NULL;
	}
	return reply;
}

json_object *cdmd_reply_error(int err, const char *fmt, ...)
{
	json_object *reply = reply_new("error");
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!reply || !msg || add(reply, "errno", json_object_new_int(err < 0 ? -err : err)) ||
	    add(reply, "error", json_object_new_string(msg))) {
		json_object_put(reply);
		reply = NULL;
	}
	free(msg);
	return reply;
}

/* The daemon's message, with control characters but newline and tab as '?' */
static int daemon_error(char *err, size_t errlen, int rc, const char *msg)
{
	size_t i;

	if (!err || !errlen)
		return rc;
	snprintf(err, errlen, "%s", msg);
	for (i = 0; err[i]; i++)
		if (((unsigned char)err[i] < 0x20 && err[i] != '\n' && err[i] != '\t') ||
		    err[i] == 0x7f)
			err[i] = '?';
	return rc;
}

int cdmd_reply_parse(const char *body, size_t len, json_object **data,
		     char *err, size_t errlen)
{
	static const char what[] = "reply from cdmd";
	json_object *obj, *v, *ok, *msg;
	int rc = 0;

	*data = NULL;
	rc = parse_object(body, len, CDMD_PROTO_MAX_REPLY, what, &obj, err, errlen);
	if (rc)
		return rc;
	if (!get(obj, "version", json_type_int, &v) || json_object_get_int64(v) != CDMD_PROTO_VERSION)
		rc = fail(err, errlen, -EPROTO, "%s: not version %d", what, CDMD_PROTO_VERSION);
	else if (!get(obj, "result", json_type_string, &v))
		rc = fail(err, errlen, -EPROTO, "%s: no \"result\" string", what);
	else if (string_is(v, "ok") && !get(obj, "data", json_type_object, &ok))
		rc = fail(err, errlen, -EPROTO, "%s: \"ok\" without a \"data\" object", what);
	else if (string_is(v, "ok"))
		*data = json_object_get(ok);
	else if (!string_is(v, "error"))
		rc = fail(err, errlen, -EPROTO, "%s: \"result\" is neither \"ok\" nor \"error\"", what);
	else if (!get(obj, "errno", json_type_int, &v) || json_object_get_int64(v) < 1 ||
		 json_object_get_int64(v) > ERRNO_MAX)
		rc = fail(err, errlen, -EPROTO, "%s: \"error\" without an \"errno\" of 1-%d",
			  what, ERRNO_MAX);
	else if (!get(obj, "error", json_type_string, &msg))
		rc = fail(err, errlen, -EPROTO, "%s: \"error\" without an \"error\" message", what);
	else
		rc = daemon_error(err, errlen, -json_object_get_int(v), json_object_get_string(msg));
	json_object_put(obj);
	return rc;
}

void cdmd_frame_reader_init(struct cdmd_frame_reader *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
}

/* The header is in: its length, and room for the body */
static int take_head(struct cdmd_frame_reader *r, char *err, size_t errlen)
{
	char *body;

	r->len = (size_t)r->head[0] << 24 | r->head[1] << 16 | r->head[2] << 8 | r->head[3];
	if (!r->len)
		return fail(err, errlen, -EPROTO, "a frame of length 0");
	if (r->len > r->max)
		return fail(err, errlen, -E2BIG, "a frame of %zu bytes, at most %zu", r->len, r->max);
	if (r->cap < r->len + 1) {
		body = realloc(r->body, r->len + 1);
		if (!body)
			return fail(err, errlen, -ENOMEM, "a frame of %zu bytes: out of memory", r->len);
		r->body = body;
		r->cap = r->len + 1;
	}
	r->body[r->len] = '\0';
	return 0;
}

int cdmd_frame_read(struct cdmd_frame_reader *r, int fd, char *err, size_t errlen)
{
	size_t want;
	ssize_t n;
	char *to;
	int e, rc;

	if (r->error)
		return fail(err, errlen, r->error, "the connection is out of step");
	for (;;) {
		if (r->got < FRAME_HEAD) {
			to = (char *)r->head + r->got;
			want = FRAME_HEAD - r->got;
		} else if (r->got - FRAME_HEAD < r->len) {
			to = r->body + r->got - FRAME_HEAD;
			want = r->len - (r->got - FRAME_HEAD);
		} else {
			return 1;
		}
		n = read(fd, to, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		e = errno;
		r->got += n > 0 ? n : 0;
		if (n > 0)
			rc = r->got == FRAME_HEAD ? take_head(r, err, errlen) : 0;
		else if (n < 0)
			rc = fail(err, errlen, -e, "read: %s", strerror(e));
		else if (r->got && r->got < FRAME_HEAD)
			rc = fail(err, errlen, -EPROTO, "the connection closed after %zu of the "
				  "%d bytes of a frame's length", r->got, FRAME_HEAD);
		else if (r->got)
			rc = fail(err, errlen, -EPROTO, "the connection closed after %zu of the "
				  "%zu bytes of a frame", r->got - FRAME_HEAD, r->len);
		else
			rc = fail(err, errlen, -EPIPE, "the connection closed");
		if (rc) {
			r->error = rc;
			return rc;
		}
	}
}

const char *cdmd_frame_body(const struct cdmd_frame_reader *r, size_t *len)
{
	if (r->error || r->got < FRAME_HEAD || r->got - FRAME_HEAD < r->len)
		return NULL;
	if (len)
		*len = r->len;
	return r->body;
}

void cdmd_frame_reader_reset(struct cdmd_frame_reader *r)
{
	r->got = 0;
	r->len = 0;
	r->error = 0;
}

void cdmd_frame_reader_free(struct cdmd_frame_reader *r)
{
	free(r->body);
	cdmd_frame_reader_init(r, r->max);
}

void cdmd_frame_out_init(struct cdmd_frame_out *out, size_t max)
{
	memset(out, 0, sizeof(*out));
	out->max = max;
}

int cdmd_frame_out_append(struct cdmd_frame_out *out, json_object *obj)
{
	const char *text;
	size_t n, need;
	char *buf, *p;

	text = json_object_to_json_string_length(obj, TEXT_FLAGS, &n);
	if (!text)
		return -ENOMEM;
	if (!n || n > out->max)
		return -E2BIG;
	if (out->off) {
		memmove(out->buf, out->buf + out->off, out->len - out->off);
		out->len -= out->off;
		out->off = 0;
	}
	need = out->len + FRAME_HEAD + n;
	if (need > out->cap) {
		buf = realloc(out->buf, need);
		if (!buf)
			return -ENOMEM;
		out->buf = buf;
		out->cap = need;
	}
	p = out->buf + out->len;
	p[0] = n >> 24;
	p[1] = n >> 16;
	p[2] = n >> 8;
	p[3] = n;
	memcpy(p + FRAME_HEAD, text, n);
	out->len = need;
	return 0;
}

ssize_t cdmd_frame_out_flush(struct cdmd_frame_out *out, int fd)
{
	ssize_t n;

	while (out->off < out->len) {
		n = send(fd, out->buf + out->off, out->len - out->off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return -errno;
		out->off += n;
	}
	if (out->off == out->len)
		out->off = out->len = 0;
	return out->len - out->off;
}

void cdmd_frame_out_free(struct cdmd_frame_out *out)
{
	free(out->buf);
	cdmd_frame_out_init(out, out->max);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The time @timeout_ms from now; -1, no limit, for a negative one */
static int64_t deadline_in(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* Milliseconds to @deadline, for poll(): 0 when it has passed, -1 for none */
static int ms_left(int64_t deadline)
{
	int64_t left = deadline - now_ms();

	return deadline < 0 ? -1 : left > 0 ? (int)left : 0;
}

/* Until @fd has @events (or an error or hangup, for the next call to
 * find): 0, -ETIMEDOUT at @deadline, -errno */
static int wait_for(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	for (;;) {
		if (deadline >= 0 && !ms_left(deadline))
			return -ETIMEDOUT;
		n = poll(&p, 1, ms_left(deadline));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int write_until(int fd, json_object *obj, int64_t deadline)
{
	struct cdmd_frame_out out;
	ssize_t left;
	int rc;

	cdmd_frame_out_init(&out, CDMD_PROTO_MAX_REPLY);
	rc = cdmd_frame_out_append(&out, obj);
	while (!rc) {
		left = cdmd_frame_out_flush(&out, fd);
		if (left <= 0) {
			rc = left;
			break;
		}
		rc = wait_for(fd, POLLOUT, deadline);
	}
	cdmd_frame_out_free(&out);
	return rc;
}

int cdmd_frame_write(int fd, json_object *obj, int timeout_ms)
{
	return write_until(fd, obj, deadline_in(timeout_ms));
}

/*
 * Connect, waiting @timeout_ms at most: a daemon whose listen queue is
 * full makes connect() wait, up to SO_SNDTIMEO on a unix socket (0
 * there means for ever).
 */
static int connect_daemon(int fd, const char *path, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = timeout_ms % 1000 * 1000 };
	int e;

	if (!tv.tv_sec && !tv.tv_usec)
		tv.tv_usec = 1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(err, errlen, -ENAMETOOLONG, "%s: socket path too long (%zu bytes at most)",
			    path, sizeof(sa.sun_path) - 1);
	strcpy(sa.sun_path, path);
	if (timeout_ms >= 0 && setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return fail(err, errlen, -errno, "%s: SO_SNDTIMEO: %s", path, strerror(errno));
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return fcntl(fd, F_SETFL, O_NONBLOCK) ? fail(err, errlen, -errno, "%s: O_NONBLOCK: %s",
							      path, strerror(errno)) : 0;
	e = errno;
	switch (e) {
	case ENOENT:
		return fail(err, errlen, -e, "cdmd is not running (no socket at %s)", path);
	case ECONNREFUSED:
		return fail(err, errlen, -e, "cdmd is not running (nobody listens at %s)", path);
	case EACCES:
	case EPERM:
		return fail(err, errlen, -e, "%s: permission denied (root or the socket group)", path);
	case EAGAIN:
		return fail(err, errlen, -ETIMEDOUT, "cdmd did not answer in %d ms (its queue is full)",
			    timeout_ms);
	}
	return fail(err, errlen, -e, "%s: %s", path, strerror(e));
}

/* One reply frame from @fd, by @deadline, in @in */
static int read_reply(int fd, struct cdmd_frame_reader *in, int64_t deadline, int timeout_ms,
		      char *err, size_t errlen)
{
	char msg[256];
	int rc;

	do {
		rc = cdmd_frame_read(in, fd, msg, sizeof(msg));
	} while (!rc && !(rc = wait_for(fd, POLLIN, deadline)));
	if (rc == 1)
		return 0;
	if (rc == -ETIMEDOUT)
		return fail(err, errlen, rc, "cdmd did not answer in %d ms", timeout_ms);
	if (rc == -EPIPE)
		return fail(err, errlen, -ECONNRESET, "cdmd closed the connection without answering");
	if (rc == -E2BIG || rc == -EPROTO)
		return fail(err, errlen, rc, "reply from cdmd: %s", msg);
	return fail(err, errlen, rc, "reply from cdmd: %s", rc == -ENOMEM ? msg : strerror(-rc));
}

int cdmd_client_call(const char *socket_path, const struct cdmd_request *req, int timeout_ms,
		     json_object **data, char *err, size_t errlen)
{
	int64_t deadline = deadline_in(timeout_ms);
	struct cdmd_frame_reader in;
	json_object *obj;
	const char *body;
	size_t len = 0;
	int fd, rc;

	*data = NULL;
	if (!cdmd_command_name(req->command))
		return fail(err, errlen, -EINVAL, "request: %d is not a command", req->command);
	obj = cdmd_request_to_json(req);
	if (!obj)
		return fail(err, errlen, -ENOMEM, "request: out of memory");
	cdmd_frame_reader_init(&in, CDMD_PROTO_MAX_REPLY);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		rc = fail(err, errlen, -errno, "socket: %s", strerror(errno));
	else
		rc = connect_daemon(fd, socket_path, timeout_ms, err, errlen);
	if (!rc) {
		rc = write_until(fd, obj, deadline);
		if (rc == -ETIMEDOUT)
			fail(err, errlen, rc, "cdmd did not answer in %d ms", timeout_ms);
		else if (rc == -EPIPE || rc == -ECONNRESET)
			fail(err, errlen, rc, "cdmd closed the connection without answering");
		else if (rc)
			fail(err, errlen, rc, "%s: %s", socket_path, strerror(-rc));
	}
	if (!rc)
		rc = read_reply(fd, &in, deadline, timeout_ms, err, errlen);
	if (!rc) {
		body = cdmd_frame_body(&in, &len);
		rc = cdmd_reply_parse(body, len, data, err, errlen);
	}
	if (fd >= 0)
		close(fd);
	cdmd_frame_reader_free(&in);
	json_object_put(obj);
	return rc;
}
