/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cdmd's control protocol, spoken on its unix stream socket by cdmd
 * (the server) and cdmctl (the client). Version 1.
 *
 * Frames. A frame is a 4-byte length, big-endian, then that many bytes
 * of one JSON object (RFC 8259, UTF-8). A request has 1 to
 * CDMD_PROTO_MAX bytes, a reply 1 to CDMD_PROTO_MAX_REPLY (top and
 * explain return lists). Not a frame, and answered with an error: a
 * length of 0 or above the maximum (the server answers and closes, as
 * it cannot find the next frame), or a body that is not exactly one
 * JSON object: other text before or after it (whitespace aside), an
 * array or a scalar, nesting deeper than CDMD_PROTO_DEPTH, invalid
 * UTF-8, a NUL byte, what json-c accepts and JSON does not (single
 * quotes, NaN, Infinity, "1.", raw control characters in strings), a
 * key given twice in the top-level object (json-c would keep the last:
 * the text is scanned for them). A client may send its next request
 * before the reply to the last: requests are answered one at a time,
 * in order.
 *
 * Requests.
 *	{"version": 1, "command": COMMAND, ARGS...}
 *
 *	command   arguments (all optional)
 *	status    -
 *	targets   -
 *	top       count, target
 *	explain   count, target
 *	reload    -
 *	pause     target
 *	resume    target
 *
 *	count   integer, 1-1000, default 20: how many entries to return
 *	target  string, 1-32 of A-Z a-z 0-9 _ -: a target's name
 *	        (cdmd.conf's [target NAME]); absent: every target
 *
 * Any other key, an argument the command does not take, a value of the
 * wrong type (null included) or out of range, a missing version or
 * command: an error whose message names the key and what is wrong with
 * its value. A version other than 1: EPROTONOSUPPORT.
 *
 * Replies.
 *	{"version": 1, "result": "ok", "data": {...}}
 *	{"version": 1, "result": "error", "errno": N, "error": "message"}
 * data is the command's answer; errno is positive (EINVAL for a bad
 * request, EPROTO for a body that is no request, E2BIG for a frame too
 * long, EPROTONOSUPPORT for another version). A client ignores keys it
 * does not know, so that replies can grow.
 *
 * Errors are negative errno with a message in the caller's buffer
 * (@err, @errlen; NULL, 0 for none) naming the key or the path.
 */
#ifndef CDMD_PROTOCOL_H
#define CDMD_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#define CDMD_PROTO_VERSION	1
#define CDMD_PROTO_MAX		65536		/* a request's body, bytes */
#define CDMD_PROTO_MAX_REPLY	(1024 * 1024)	/* a reply's body, bytes */
#define CDMD_PROTO_DEPTH	16		/* nesting of objects and arrays */
#define CDMD_PROTO_TARGET_MAX	32		/* a target name's bytes */
#define CDMD_PROTO_COUNT_MAX	1000
#define CDMD_PROTO_COUNT_DEFAULT 20

enum cdmd_command {
	CDMD_CMD_STATUS,
	CDMD_CMD_TARGETS,
	CDMD_CMD_TOP,
	CDMD_CMD_EXPLAIN,
	CDMD_CMD_RELOAD,
	CDMD_CMD_PAUSE,
	CDMD_CMD_RESUME,
	CDMD_NR_COMMANDS
};

struct cdmd_request {
	enum cdmd_command command;
	unsigned int count;		/* top, explain: 1-1000; else 0 */
	char target[CDMD_PROTO_TARGET_MAX + 1];	/* "": every target */
};

/* "status", ...; NULL for a value that is no command */
const char *cdmd_command_name(enum cdmd_command command);

/* A target name: 1-32 bytes of A-Z a-z 0-9 _ - (@len bytes at @name) */
bool cdmd_target_name_valid(const char *name, size_t len);

/*
 * Check the @len bytes at @body, a request frame's body, and fill *@req.
 * 0; -E2BIG (too long), -EPROTO (not one JSON object), -EINVAL (a key or
 * value), -EPROTONOSUPPORT (another version), -ENOMEM; with a message.
 */
int cdmd_request_parse(const char *body, size_t len, struct cdmd_request *req,
		       char *err, size_t errlen);
/* The request as the client sends it; NULL when out of memory or
 * @req->command is no command */
json_object *cdmd_request_to_json(const struct cdmd_request *req);

/*
 * Replies, built by the server. cdmd_reply_ok() takes over @data (NULL:
 * an empty object); @err is a negative errno. NULL when out of memory.
 */
json_object *cdmd_reply_ok(json_object *data);
json_object *cdmd_reply_error(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Check a reply frame's body, for the client. 0 and the data object
 * (the caller's to put) in *@data when the result is "ok"; the reply's
 * -errno with its message when it is "error"; -EPROTO (or -E2BIG,
 * -ENOMEM) when the body is no reply.
 */
int cdmd_reply_parse(const char *body, size_t len, json_object **data,
		     char *err, size_t errlen);

/*
 * Reading frames from a socket, for a poll loop: cdmd_frame_read()
 * takes what has arrived, never more than the current frame, so a
 * request sent right behind it stays in the socket for the next round.
 */
struct cdmd_frame_reader {
	size_t max;			/* the longest body taken */
	unsigned char head[4];		/* the length, as it arrives */
	size_t got;			/* bytes of the frame so far, header included */
	size_t len;			/* the body's length, once the header is in */
	char *body;			/* len bytes and a NUL */
	size_t cap;			/* allocated at body */
	int error;			/* the first error, returned from then on */
};

void cdmd_frame_reader_init(struct cdmd_frame_reader *r, size_t max);
/*
 * Read from @fd (nonblocking; a blocking one makes the call wait for the
 * whole frame): 1 when a whole frame is in (again until reset), 0 when
 * more must arrive. -E2BIG for a length above the maximum, -EPROTO for a
 * length of 0 or the peer closing within a frame, -EPIPE when it closed
 * between frames (its normal end), -errno from read: the connection is
 * then out of step, to be closed.
 */
int cdmd_frame_read(struct cdmd_frame_reader *r, int fd, char *err, size_t errlen);
/* The frame's body, NUL-terminated, once cdmd_frame_read() returned 1 */
const char *cdmd_frame_body(const struct cdmd_frame_reader *r, size_t *len);
/* Ready for the next frame (the buffer is kept) */
void cdmd_frame_reader_reset(struct cdmd_frame_reader *r);
void cdmd_frame_reader_free(struct cdmd_frame_reader *r);

/*
 * Frames waiting to be sent, for the server: a client that does not
 * read must not stop the daemon, so replies are queued and flushed when
 * poll() says POLLOUT. The server reads no more requests from a client
 * while its output waits, which bounds the queue.
 */
struct cdmd_frame_out {
	size_t max;			/* the longest body taken */
	char *buf;
	size_t off, len, cap;		/* bytes sent, queued, allocated */
};

void cdmd_frame_out_init(struct cdmd_frame_out *out, size_t max);
/* Queue @obj as a frame: 0, -E2BIG when its text is too long, -ENOMEM */
int cdmd_frame_out_append(struct cdmd_frame_out *out, json_object *obj);
/*
 * Send what the socket @fd takes now without waiting, blocking socket
 * or not (MSG_DONTWAIT; no SIGPIPE): the bytes still queued, or -errno
 * (-EPIPE when the peer is gone).
 */
ssize_t cdmd_frame_out_flush(struct cdmd_frame_out *out, int fd);
void cdmd_frame_out_free(struct cdmd_frame_out *out);

/*
 * Send @obj as one frame (of at most CDMD_PROTO_MAX_REPLY bytes) on the
 * socket @fd, waiting for it to take the bytes for @timeout_ms at most
 * (negative: no limit). 0, -ETIMEDOUT, -E2BIG, -ENOMEM, -errno of send.
 */
int cdmd_frame_write(int fd, json_object *obj, int timeout_ms);

/*
 * cdmctl's call: connect to @socket_path, send @req, wait for the reply,
 * all within @timeout_ms. 0 and the reply's data in *@data (the
 * caller's to put); the daemon's -errno and message when it answered
 * with an error; -ENOENT or -ECONNREFUSED "cdmd is not running (no
 * socket at PATH)", -EACCES "PATH: permission denied (root or the
 * socket group)", -ETIMEDOUT "cdmd did not answer in N ms", -EPROTO for
 * a reply that is none.
 */
int cdmd_client_call(const char *socket_path, const struct cdmd_request *req, int timeout_ms,
		     json_object **data, char *err, size_t errlen);

#endif
