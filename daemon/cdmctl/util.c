// SPDX-License-Identifier: GPL-2.0-or-later
/* cdmctl helpers: messages, strict argument parsers, sizes, JSON output. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdmctl.h"

int cdmctl_error(const char *cmd, int code, const char *fmt, ...)
{
	va_list args;

	fprintf(stderr, "cdmctl %s: ", cmd);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
	return code;
}

int cdmctl_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list args;

	fprintf(stderr, "cdmctl %s: ", cmd);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fprintf(stderr, "\nsee 'cdmctl %s --help'\n", cmd);
	return EXIT_USAGE;
}

void json_add_result(json_object *obj, const char *result, int err, const char *msg)
{
	json_object *error;

	json_object_object_add(obj, "result", json_object_new_string(result));
	if (!err)
		return;
	error = json_object_new_object();
	json_object_object_add(error, "errno", json_object_new_int(err));
	json_object_object_add(error, "message", json_object_new_string(msg));
	json_object_object_add(obj, "error", error);
}

int cdmctl_fail(const char *cmd, bool json, json_object *obj, int err, const char *msg)
{
	cdmctl_error(cmd, EXIT_FAILED, "%s", msg);
	if (!json) {
		json_object_put(obj);
		return EXIT_FAILED;
	}
	if (!obj)
		obj = json_object_new_object();
	json_add_result(obj, "error", err, msg);
	json_print(obj);
	return EXIT_FAILED;
}

static bool parse_u64(const char *s, uint64_t *val)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	*val = strtoull(s, &end, 0);
	return !errno && *end == '\0';
}

bool parse_int(const char *s, int min, int max, int *val)
{
	char *end;
	long v;

	/* strtol() would skip leading whitespace and take a + */
	if (!s || !*s || isspace((unsigned char)*s) || *s == '+')
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*val = v;
	return true;
}

bool parse_pid(const char *s, pid_t *pid)
{
	int v;

	if (!parse_int(s, 1, INT_MAX, &v))
		return false;
	*pid = v;
	return true;
}

bool parse_range(const char *s, uint64_t *start, uint64_t *end)
{
	char buf[64], *dash;

	if (!s || strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (!dash)
		return false;
	*dash = '\0';
	return parse_u64(buf, start) && parse_u64(dash + 1, end);
}

const char *format_size(unsigned long long bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = bytes;
	unsigned int u = 0;

	while (v >= 1024 && u < sizeof(units) / sizeof(units[0]) - 1) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", bytes);
	else
		snprintf(buf, len, "%.2f %s", v, units[u]);
	return buf;
}

json_object *json_size(unsigned long long bytes, bool human)
{
	char buf[32];

	if (human)
		return json_object_new_string(format_size(bytes, buf, sizeof(buf)));
	return json_object_new_int64(bytes > INT64_MAX ? INT64_MAX : (int64_t)bytes);
}

void json_print(json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}
