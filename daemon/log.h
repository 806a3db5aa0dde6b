/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cdmd's log: one line per message on stderr, which systemd hands to the
 * journal. Under systemd (JOURNAL_STREAM set) each line starts with
 * "<N>", the syslog priority the journal files it under; on a terminal
 * with the level's name.
 */
#ifndef CDMD_LOG_H
#define CDMD_LOG_H

#include <stdarg.h>
#include <syslog.h>

/* messages above @priority (LOG_ERR .. LOG_DEBUG) are dropped */
void cdmd_log_init(int priority);
int cdmd_log_priority(void);
void cdmd_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cdmd_vlog(int priority, const char *fmt, va_list args);

#define log_err(...)	cdmd_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	cdmd_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	cdmd_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	cdmd_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	cdmd_log(LOG_DEBUG, __VA_ARGS__)

#endif
