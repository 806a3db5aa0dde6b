// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fakemove.so: move_pages(2) for cdmctl's host tests, put in front of
 * libnuma's with LD_PRELOAD (libcdm calls libnuma's move_pages). It plays
 * a kernel that has every page of the process on node 0 and moves pages
 * where it is asked, until a scripted failure lets a test stop a real
 * cdmctl migrate half-way, without root and without touching the
 * process:
 *
 *   FAKEMOVE_FAIL_AT=N   the Nth call that moves pages (from 1) fails, and
 *                        so does every later one; unset or 0: none fails
 *   FAKEMOVE_ERRNO=E     how: ESRCH or EPERM, the call fails whole (the
 *                        process went away, lost permission: the run
 *                        stops); ENOMEM, the call fails whole with no page
 *                        moved (the target is full); EBUSY, the call
 *                        returns 0 with -EBUSY for every page (pages left
 *                        behind, the run goes on)
 *   FAKEMOVE_LOG=FILE    one line per call: "check", "query N", "move N",
 *                        with " all" after those asked with MPOL_MF_MOVE_ALL
 *   FAKEMOVE_NO_CAP_SYS_NICE=1
 *                        a caller without CAP_SYS_NICE: EPERM for every
 *                        call with MPOL_MF_MOVE_ALL
 *   FAKEMOVE_SLEEP_MS=N  each call that moves pages first sleeps N ms (a
 *                        long migration, for a test to stop half-way)
 *
 * Queries answer node 0 for every page: libcdm asks again only about
 * pages a call did not move (the statuses of a clean call say where the
 * moved ones are), and those are still on node 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <numaif.h>

static unsigned long move_calls;

static void log_call(const char *what, unsigned long count, int flags)
{
	const char *path = getenv("FAKEMOVE_LOG");
	FILE *f;

	if (!path || !*path)
		return;
	f = fopen(path, "a");
	if (!f)
		return;
	if (!strcmp(what, "check"))
		fprintf(f, "check%s\n", flags & MPOL_MF_MOVE_ALL ? " all" : "");
	else
		fprintf(f, "%s %lu%s\n", what, count, flags & MPOL_MF_MOVE_ALL ? " all" : "");
	fclose(f);
}

static int fail_errno(void)
{
	static const struct {
		const char *name;
		int err;
	} names[] = { { "ESRCH", ESRCH }, { "EPERM", EPERM }, { "ENOMEM", ENOMEM },
		      { "EBUSY", EBUSY } };
	const char *env = getenv("FAKEMOVE_ERRNO");
	unsigned int i;

	for (i = 0; env && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(env, names[i].name))
			return names[i].err;
	return ESRCH;
}

long move_pages(int pid, unsigned long count, void **pages, const int *nodes, int *status,
		int flags)
{
	const char *env = getenv("FAKEMOVE_FAIL_AT"), *sleep_ms = getenv("FAKEMOVE_SLEEP_MS");
	unsigned long fail_at = env ? strtoul(env, NULL, 10) : 0, call, i;
	const char *no_cap = getenv("FAKEMOVE_NO_CAP_SYS_NICE");
	struct timespec nap;
	int err;

	if (no_cap && *no_cap == '1' && (flags & MPOL_MF_MOVE_ALL)) {
		log_call(count ? "move" : "check", count, flags);
		errno = EPERM;
		return -1;
	}
	if (!count) {		/* libcdm's permission checks */
		log_call("check", 0, flags);
		return 0;
	}
	if (!nodes) {
		log_call("query", count, flags);
		for (i = 0; i < count; i++)
			status[i] = 0;
		return 0;
	}
	log_call("move", count, flags);
	if (sleep_ms) {
		nap.tv_sec = strtoul(sleep_ms, NULL, 10) / 1000;
		nap.tv_nsec = strtoul(sleep_ms, NULL, 10) % 1000 * 1000000;
		nanosleep(&nap, NULL);
	}
	call = __atomic_add_fetch(&move_calls, 1, __ATOMIC_RELAXED);
	if (!fail_at || call < fail_at) {
		for (i = 0; i < count; i++)
			status[i] = nodes[i];
		return 0;
	}
	err = fail_errno();
	if (err == EBUSY) {
		for (i = 0; i < count; i++)
			status[i] = -EBUSY;
		return 0;
	}
	errno = err;
	return -1;
}
