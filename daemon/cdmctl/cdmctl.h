/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cdmctl: shared declarations of the command files. */
#ifndef CDMCTL_H
#define CDMCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>
#include <libcdm.h>

/* exit codes, documented in cdmctl(1) and checked against it by
 * tests/host/cdmctl-man.t */
#define EXIT_OK		0
#define EXIT_FAILED	1	/* the operation failed, nothing moved; message on stderr */
#define EXIT_USAGE	2	/* bad command line; nothing done */
#define EXIT_PARTIAL	3	/* migrate: some pages moved, some did not */

struct cdmctl_cmd {
	const char *name;
	int (*run)(int argc, char **argv, struct cdm_ctx *ctx);
	const char *usage;	/* its --help, and "cdmctl help NAME" */
	const char *summary;
};

int cmd_nodes(int argc, char **argv, struct cdm_ctx *ctx);
int cmd_residency(int argc, char **argv, struct cdm_ctx *ctx);
int cmd_migrate(int argc, char **argv, struct cdm_ctx *ctx);
int cmd_online(int argc, char **argv, struct cdm_ctx *ctx);
int cmd_offline(int argc, char **argv, struct cdm_ctx *ctx);
int cmd_devices(int argc, char **argv, struct cdm_ctx *ctx);
extern const char nodes_usage[], residency_usage[], migrate_usage[], online_usage[],
	offline_usage[], devices_usage[];
/* daemon.c: status, targets, top, explain, reload, pause, resume (cdmd's
 * control socket); argv[0] names the command */
int cmd_daemon(int argc, char **argv, struct cdm_ctx *ctx);
extern const char status_usage[], targets_usage[], top_usage[], explain_usage[],
	reload_usage[], pause_usage[], resume_usage[];

/* util.c */
/* "cdmctl CMD: MESSAGE" on stderr; returns @code */
int cdmctl_error(const char *cmd, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* usage error: message, "see cdmctl CMD --help", returns EXIT_USAGE */
int cdmctl_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * A failed operation, -@err with libcdm's message @msg (which names the
 * object): "cdmctl CMD: MSG" on stderr; with @json also on stdout as
 * @obj (NULL: a new object) with "result": "error" and "error":
 * {"errno": N, "message": MSG} added; @obj is consumed either way.
 * Returns EXIT_FAILED.
 */
int cdmctl_fail(const char *cmd, bool json, json_object *obj, int err, const char *msg);
/* add "result": @result and, when @err, "error": {"errno", "message"} */
void json_add_result(json_object *obj, const char *result, int err, const char *msg);
/* strict parsers; false on anything but a complete valid number */
bool parse_pid(const char *s, pid_t *pid);
bool parse_int(const char *s, int min, int max, int *val);
/* "START-END", each hex (0x...) or decimal */
bool parse_range(const char *s, uint64_t *start, uint64_t *end);
/* 1536 MiB -> "1.50 GiB" */
const char *format_size(unsigned long long bytes, char *buf, size_t len);
/* a size as a JSON value: bytes, or a string with units when @human */
json_object *json_size(unsigned long long bytes, bool human);
/* print @obj (pretty) to stdout and drop it */
void json_print(json_object *obj);

#endif
