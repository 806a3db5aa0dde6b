/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TAP for the C programs the VM tests run (tests/lib/tap.sh's results,
 * unnumbered): ok() for a result, diag() for a comment, done_testing()
 * for the plan and the exit status. Include it once per program.
 */
#ifndef CDM_TESTS_TAP_H
#define CDM_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_run, tap_failed;
/* called after a failed result, to say more (libcdm's last error) */
static void (*tap_on_failure)(void);

__attribute__((format(printf, 2, 3)))
static inline int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_run++;
	tap_failed += !cond;
	printf("%s - ", cond ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond && tap_on_failure)
		tap_on_failure();
	fflush(stdout);
	return cond;
}

__attribute__((format(printf, 1, 2)))
static inline void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* the plan, and the exit status: 1 when something failed */
static inline int done_testing(void)
{
	printf("1..%d\n", tap_run);
	return tap_failed ? 1 : 0;
}

#endif
