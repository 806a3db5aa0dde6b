// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for cdmd's control protocol (daemon/protocol.c), built
 * with AddressSanitizer and UBSan together with it.
 *
 * LLVMFuzzerTestOneInput is the libFuzzer entry point (clang
 * -fsanitize=fuzzer -DCDM_LIBFUZZER). Without libFuzzer, main() is a
 * deterministic driver for make check-host: 200000 inputs mutated from a
 * seed corpus of requests, printing TAP. Any sanitizer report aborts
 * the run. Properties checked on every input, taken as a request body,
 * as a reply body and as a stream of frames:
 * - a request parses to 0 or a negative errno of the protocol's, with a
 *   message; a request read is in range, and re-encoded by
 *   cdmd_request_to_json() parses back to the same request;
 * - a reply gives its data, or a negative errno and a message;
 * - the frame reader takes no byte past the frame it returns and no
 *   body longer than its maximum.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol.h"

#define FRAME_MAX	64		/* the reader's maximum here: some lengths pass it */

static long nr_valid, nr_replies, nr_frames;

static void check_request(const char *in, size_t size)
{
	struct cdmd_request req, back;
	const char *text;
	char err[256];
	json_object *obj;
	size_t len;
	int rc;

	err[0] = '\0';
	rc = cdmd_request_parse(in, size, &req, err, sizeof(err));
	if (rc && rc != -EINVAL && rc != -EPROTO && rc != -E2BIG && rc != -EPROTONOSUPPORT)
		abort();
	if (rc) {
		if (!err[0])
			abort();
		return;
	}
	nr_valid++;
	if (!cdmd_command_name(req.command))
		abort();
	if (req.command == CDMD_CMD_TOP || req.command == CDMD_CMD_EXPLAIN ?
	    req.count < 1 || req.count > CDMD_PROTO_COUNT_MAX : req.count)
		abort();
	if (req.target[0] && !cdmd_target_name_valid(req.target, strlen(req.target)))
		abort();
	obj = cdmd_request_to_json(&req);
	if (!obj)
		abort();
	text = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &len);
	if (cdmd_request_parse(text, len, &back, err, sizeof(err)) ||
	    memcmp(&req, &back, sizeof(req)))
		abort();
	json_object_put(obj);
}

static void check_reply(const char *in, size_t size)
{
	json_object *data;
	char err[256];
	int rc;

	err[0] = '\0';
	rc = cdmd_reply_parse(in, size, &data, err, sizeof(err));
	if (rc > 0 || (rc < 0 && (data || !err[0])) ||
	    (!rc && !json_object_is_type(data, json_type_object)))
		abort();
	nr_replies += !rc;
	json_object_put(data);
}

/* The input as what a peer sent: frames are taken one by one, each
 * within the maximum, never more bytes than were sent */
static void check_frames(const uint8_t *data, size_t size)
{
	static int p[2] = { -1, -1 };
	struct cdmd_frame_reader r;
	size_t taken = 0, len;
	char err[128], sink[512];
	int rc;

	if (p[0] < 0 && pipe2(p, O_NONBLOCK | O_CLOEXEC))
		abort();
	if (size > sizeof(sink) || write(p[1], data, size) != (ssize_t)size)
		abort();
	cdmd_frame_reader_init(&r, FRAME_MAX);
	while ((rc = cdmd_frame_read(&r, p[0], err, sizeof(err))) == 1) {
		if (!cdmd_frame_body(&r, &len) || !len || len > FRAME_MAX)
			abort();
		taken += 4 + len;
		if (taken > size || memcmp(cdmd_frame_body(&r, NULL), data + taken - len, len))
			abort();
		nr_frames++;
		cdmd_frame_reader_reset(&r);
	}
	if (rc && rc != -E2BIG && rc != -EPROTO)
		abort();
	cdmd_frame_reader_free(&r);
	while (read(p[0], sink, sizeof(sink)) > 0)
		;
}

/* @data is exactly @size bytes on the heap, so that ASan sees a read
 * past the end (nothing says a body ends with a NUL) */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 512)
		return 0;
	check_request((const char *)data, size);
	check_reply((const char *)data, size);
	check_frames(data, size);
	return 0;
}

#ifndef CDM_LIBFUZZER
/* glibc's random() after srandom(1): the same inputs on every run */
#define next() ((size_t)random())
#define SEED(s) { s, sizeof(s) - 1 }

int main(int argc, char **argv)
{
	/* valid requests and replies, near misses, and frames */
	static const struct {
		const char *s;
		size_t len;
	} seeds[] = {
		SEED("{\"version\":1,\"command\":\"status\"}"),
		SEED("{\"version\":1,\"command\":\"targets\"}"),
		SEED("{\"version\":1,\"command\":\"reload\"}"),
		SEED("{\"version\":1,\"command\":\"pause\",\"target\":\"db\"}"),
		SEED("{\"version\":1,\"command\":\"resume\",\"target\":\"a-b_9\"}"),
		SEED("{\"version\":1,\"command\":\"top\",\"count\":5,\"target\":\"web\"}"),
		SEED("{\"version\":1,\"command\":\"explain\",\"count\":1000}"),
		SEED(" { \"command\" : \"top\" , \"version\" : 1 } "),
		SEED("{\"\\u0076ersion\":1,\"command\":\"t\\u006fp\",\"count\":20}"),
		SEED("{\"version\":1,\"command\":\"top\",\"count\":5,\"count\":6}"),
		SEED("{\"version\":2,\"command\":\"status\"}"),
		SEED("{\"version\":1,\"command\":\"top\",\"count\":1e3,\"x\":[[{}]]}"),
		SEED("{\"version\":1,\"command\":\"top\",\"target\":\"caf\xc3\xa9\"}"),
		SEED("{\"version\":1,\"result\":\"ok\",\"data\":{\"n\":[1,2.5,null,true]}}"),
		SEED("{\"version\":1,\"result\":\"error\",\"errno\":22,\"error\":\"bad\"}"),
		SEED("\0\0\0\x02{}\0\0\0\x21{\"version\":1,\"command\":\"status\"}\0\0\0"),
		SEED("\0\0\x01\0{}"),
	};
	static const char *const tokens[] = {
		"\"version\"", "\"command\"", "\"count\"", "\"target\"", "\"result\"",
		"\"data\"", "\"errno\"", "\"error\"", "\"status\"", "\"top\"", "\"explain\"",
		"\"pause\"", "1", "0", "-1", "1000", "1001", "9223372036854775808",
		"18446744073709551616", "1.5", "1e2", "null", "true", "[", "]", "{", "}",
		":", ",", "\\u0000", "\\ud800", "\"", "'", "NaN", "\xc0\xaf", "\xed\xa0\x80",
	};
	static const char alphabet[] = "{}[]\":,0123456789-+.eE tnfalsrue\\uABC_\t\n";
	long i, iterations = argc > 1 ? atol(argv[1]) : 200000;
	char buf[512];
	uint8_t *exact;
	size_t len, j, n;

	srandom(1);
	for (i = 0; i < iterations; i++) {
		j = next() % (sizeof(seeds) / sizeof(seeds[0]));
		len = seeds[j].len;
		memcpy(buf, seeds[j].s, len);
		/* a few mutations: replace, insert, a token, cut, a raw byte, a copy */
		for (j = next() % 5; j > 0; j--) {
			size_t at = len ? next() % len : 0;
			const char *t;

			switch (next() % 6) {
			case 0:
				if (len)
					buf[at] = alphabet[next() % (sizeof(alphabet) - 1)];
				break;
			case 1:
				if (len < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = alphabet[next() % (sizeof(alphabet) - 1)];
					len++;
				}
				break;
			case 2:
				t = tokens[next() % (sizeof(tokens) / sizeof(tokens[0]))];
				n = strlen(t);
				if (len + n <= sizeof(buf)) {
					memmove(buf + at + n, buf + at, len - at);
					memcpy(buf + at, t, n);
					len += n;
				}
				break;
			case 3:
				len = at;
				break;
			case 4:
				if (len)
					buf[at] = (char)next();
				break;
			default:
				n = len - at < 16 ? len - at : 16;
				if (len + n <= sizeof(buf)) {
					memmove(buf + at + n, buf + at, len - at);
					len += n;
				}
				break;
			}
		}
		exact = malloc(len ? len : 1);
		memcpy(exact, buf, len);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	printf("ok 1 - %ld mutated inputs as requests, replies and frames: no crash, "
	       "no sanitizer report, every error with a message\n", iterations);
	printf("%s 2 - some were valid requests, and round trip (%ld)\n",
	       nr_valid ? "ok" : "not ok", nr_valid);
	printf("%s 3 - some were valid replies (%ld)\n", nr_replies ? "ok" : "not ok", nr_replies);
	printf("%s 4 - some held whole frames (%ld)\n", nr_frames ? "ok" : "not ok", nr_frames);
	printf("1..4\n");
	return nr_valid && nr_replies && nr_frames ? 0 : 1;
}
#endif
