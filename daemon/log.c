// SPDX-License-Identifier: GPL-2.0-or-later
/* cdmd's log (log.h) */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static int max_priority = LOG_INFO;
static bool journal;

static const char *const level_names[] = {
	[LOG_EMERG] = "emergency", [LOG_ALERT] = "alert", [LOG_CRIT] = "critical",
	[LOG_ERR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void cdmd_log_init(int priority)
{
	max_priority = priority;
	journal = getenv("JOURNAL_STREAM") != NULL;
}

int cdmd_log_priority(void)
{
	return max_priority;
}

void cdmd_vlog(int priority, const char *fmt, va_list args)
{
	if (priority > max_priority)
		return;
	flockfile(stderr);
	if (journal)
		fprintf(stderr, "<%d>", priority);
	else
		fprintf(stderr, "cdmd: %s: ", level_names[priority & 7]);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void cdmd_log(int priority, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	cdmd_vlog(priority, fmt, args);
	va_end(args);
}
