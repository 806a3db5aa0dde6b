// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The library context: reference count, log function and level, the
 * last error message, and the sysfs root (CDM_SYSFS_ROOT for host tests);
 * the library's version.
 * Logging is off unless CDM_LOG (err, info, debug or 0-7) turns it on.
 *
 * The last error is kept per thread, like errno, and per context: each
 * thread has a few slots of thread-local storage, each holding the
 * message of one context, found by the context's id (unique for the life
 * of the process, so a context freed and another allocated at the same
 * address never read each other's message). No lock, no allocation, and
 * nothing to free when a thread exits or a context goes away.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

/* contexts a thread keeps a message for at once; the least recently
 * written slot goes to a new one */
#define ERROR_SLOTS 4

struct error_slot {
	unsigned long long ctx_id;	/* 0: free */
	unsigned long long written;	/* this thread's write count at the last write */
	char msg[CDM_ERR_LEN];
};

static __thread struct error_slot error_slots[ERROR_SLOTS];
static __thread unsigned long long error_writes;
static unsigned long long last_ctx_id;

static struct error_slot *error_slot_find(const struct cdm_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < ERROR_SLOTS; i++)
		if (error_slots[i].ctx_id == ctx->id)
			return &error_slots[i];
	return NULL;
}

/* The calling thread's slot for @ctx, about to be written: taken now if
 * it had none */
static struct error_slot *error_slot_write(const struct cdm_ctx *ctx)
{
	struct error_slot *slot = error_slot_find(ctx);
	unsigned int i;

	if (!slot) {
		slot = &error_slots[0];
		for (i = 1; i < ERROR_SLOTS; i++)
			if (error_slots[i].written < slot->written)
				slot = &error_slots[i];	/* a free slot has 0 */
		slot->ctx_id = ctx->id;
		slot->msg[0] = '\0';
	}
	slot->written = ++error_writes;
	return slot;
}

static void log_stderr(struct cdm_ctx *ctx, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args)
{
	flockfile(stderr);	/* one whole line, whatever other threads log */
	fprintf(stderr, "libcdm: %s: ", fn);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
	funlockfile(stderr);
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
	c->id = __atomic_add_fetch(&last_ctx_id, 1, __ATOMIC_RELAXED);
	pthread_mutex_init(&c->topology_lock, NULL);
	pthread_mutex_init(&c->zero_lock, NULL);
	c->log_fn = log_stderr;
	c->log_priority = log_priority_from_env(secure_getenv("CDM_LOG"));
	if (!root || !*root) {
		root = "/sys";
		c->sysfs_is_real = true;
	}
	if (strlen(root) >= sizeof(c->sysfs_root)) {
		pthread_mutex_destroy(&c->topology_lock);
		pthread_mutex_destroy(&c->zero_lock);
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
		__atomic_add_fetch(&ctx->refcount, 1, __ATOMIC_RELAXED);
	return ctx;
}

CDM_EXPORT struct cdm_ctx *cdm_unref(struct cdm_ctx *ctx)
{
	if (!ctx || __atomic_sub_fetch(&ctx->refcount, 1, __ATOMIC_ACQ_REL) > 0)
		return ctx;
	cdm__topology_free(ctx);
	cdm__zero_pfns_free(ctx);
	cdm__pools_free(ctx);
	pthread_mutex_destroy(&ctx->topology_lock);
	pthread_mutex_destroy(&ctx->zero_lock);
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
	struct error_slot *slot;

	if (!ctx)
		return "no context";
	slot = error_slot_find(ctx);
	return slot ? slot->msg : "";
}

CDM_EXPORT const char *cdm_get_sysfs_root(struct cdm_ctx *ctx)
{
	return ctx->sysfs_root;
}

/* LIBCDM_VERSION of lib/libcdm/Makefile.inc; "unknown" only in programs
 * that compile the sources in themselves (the fuzz target) */
#ifndef LIBCDM_VERSION
#define LIBCDM_VERSION "unknown"
#endif

CDM_EXPORT const char *cdm_get_version(void)
{
	return LIBCDM_VERSION;
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

const char *cdm__shown(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0; name[i] && i < 40 && i + 4 < len; i++)
		buf[i] = name[i] >= ' ' && name[i] <= '~' ? name[i] : '?';
	strcpy(buf + i, name[i] ? "..." : "");
	return buf;
}

int cdm__fail_at(struct cdm_ctx *ctx, int err, const char *file, int line, const char *fn,
		 const char *fmt, ...)
{
	struct error_slot *slot;
	va_list args;

	if (!ctx)
		return -err;
	slot = error_slot_write(ctx);
	va_start(args, fmt);
	vsnprintf(slot->msg, sizeof(slot->msg), fmt, args);
	va_end(args);
	cdm__log(ctx, LOG_ERR, file, line, fn, "%s", slot->msg);
	return -err;
}

int cdm__relay_error(struct cdm_ctx *ctx, int err, const char *msg)
{
	struct error_slot *slot;

	if (!ctx)
		return -err;
	slot = error_slot_write(ctx);
	if (slot->msg != msg)
		snprintf(slot->msg, sizeof(slot->msg), "%s", msg);
	return -err;
}

void cdm__clear_error(struct cdm_ctx *ctx)
{
	struct error_slot *slot = ctx ? error_slot_find(ctx) : NULL;

	if (slot)	/* free the slot: no message is what a missing slot says */
		*slot = (struct error_slot){ 0 };
}
