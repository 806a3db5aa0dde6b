// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The library context: reference count, log function and level, the
 * last error message, and the sysfs root (CDM_SYSFS_ROOT for host tests).
 * Logging is off unless CDM_LOG (err, info, debug or 0-7) turns it on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

static void log_stderr(struct cdm_ctx *ctx, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args)
{
	fprintf(stderr, "libcdm: %s: ", fn);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

static int log_priority_from_env(const char *env)
{
	char *end;
	long prio;

	if (!env || !*env)
		return -1;	/* silent: callers read cdm_get_last_error() */
	if (!strcmp(env, "err"))
		return LOG_ERR;
	if (!strcmp(env, "info"))
		return LOG_INFO;
	if (!strcmp(env, "debug"))
		return LOG_DEBUG;
	prio = strtol(env, &end, 10);
	if (end != env && *end == '\0' && prio >= 0 && prio <= LOG_DEBUG)
		return prio;
	return LOG_ERR;
}

CDM_EXPORT int cdm_new(struct cdm_ctx **ctx)
{
	const char *root = secure_getenv("CDM_SYSFS_ROOT");
	struct cdm_ctx *c;

	if (!ctx)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->refcount = 1;
	c->log_fn = log_stderr;
	c->log_priority = log_priority_from_env(secure_getenv("CDM_LOG"));
	if (!root || !*root) {
		root = "/sys";
		c->sysfs_is_real = true;
	}
	if (strlen(root) >= sizeof(c->sysfs_root)) {
		free(c);
		return -ENAMETOOLONG;
	}
	strcpy(c->sysfs_root, root);
	cdm_dbg(c, "sysfs root %s", c->sysfs_root);
	*ctx = c;
	return 0;
}

CDM_EXPORT struct cdm_ctx *cdm_ref(struct cdm_ctx *ctx)
{
	if (ctx)
		ctx->refcount++;
	return ctx;
}

static void free_topology(struct cdm_ctx *ctx)
{
	struct cdm_node *node, *next;

	for (node = ctx->nodes; node; node = next) {
		next = node->next;
		cdm__backing_free(node);
		free(node->cpulist);
		free(node->distances);
		free(node->initiators[0]);
		free(node->initiators[1]);
		free(node);
	}
	ctx->nodes = NULL;
}

CDM_EXPORT struct cdm_ctx *cdm_unref(struct cdm_ctx *ctx)
{
	if (!ctx || --ctx->refcount > 0)
		return ctx;
	free_topology(ctx);
	free(ctx);
	return NULL;
}

CDM_EXPORT void cdm_set_log_fn(struct cdm_ctx *ctx, cdm_log_fn log_fn)
{
	ctx->log_fn = log_fn ? log_fn : log_stderr;
}

CDM_EXPORT int cdm_get_log_priority(struct cdm_ctx *ctx)
{
	return ctx->log_priority;
}

CDM_EXPORT void cdm_set_log_priority(struct cdm_ctx *ctx, int priority)
{
	ctx->log_priority = priority;
}

CDM_EXPORT void cdm_set_userdata(struct cdm_ctx *ctx, void *userdata)
{
	ctx->userdata = userdata;
}

CDM_EXPORT void *cdm_get_userdata(struct cdm_ctx *ctx)
{
	return ctx->userdata;
}

CDM_EXPORT const char *cdm_get_last_error(struct cdm_ctx *ctx)
{
	return ctx ? ctx->last_error : "no context";
}

CDM_EXPORT const char *cdm_get_sysfs_root(struct cdm_ctx *ctx)
{
	return ctx->sysfs_root;
}

void cdm__log(struct cdm_ctx *ctx, int priority, const char *file, int line,
	      const char *fn, const char *format, ...)
{
	va_list args;

	if (!ctx || priority > ctx->log_priority)
		return;
	va_start(args, format);
	ctx->log_fn(ctx, priority, file, line, fn, format, args);
	va_end(args);
}

int cdm__fail_at(struct cdm_ctx *ctx, int err, const char *file, int line, const char *fn,
		 const char *fmt, ...)
{
	va_list args;

	if (!ctx)
		return -err;
	va_start(args, fmt);
	vsnprintf(ctx->last_error, sizeof(ctx->last_error), fmt, args);
	va_end(args);
	cdm__log(ctx, LOG_ERR, file, line, fn, "%s", ctx->last_error);
	return -err;
}

void cdm__clear_error(struct cdm_ctx *ctx)
{
	if (ctx)
		ctx->last_error[0] = '\0';
}
