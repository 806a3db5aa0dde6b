// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What libcdm says when it may not do something, and whose message a
 * thread reads: against the scripted kernel of fakekernel.c.
 *
 *  - permission errors name what the kernel checks: EPERM is ptrace read
 *    access to the process, EACCES a security module (whole call) or the
 *    process's cpuset (a move), -EACCES per page a page mapped by others;
 *    EPERM and EACCES never stand for each other;
 *  - the last error is per thread: two threads failing on one context
 *    each read their own message back, and a migration's workers neither
 *    mix theirs in nor run the application's signal handlers.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fakekernel.h"
#include "private.h"

#define PTRACE_NEEDS "(needs ptrace read access: same user and dumpable, or CAP_SYS_PTRACE)"

/* How a case sets the kernel up, and what libcdm must say */
struct perm_case {
	void (*check)(const struct perm_case *c);	/* migration_case, residency_case */
	const char *what;
	unsigned int fail_from, fail_call;	/* see struct fake_kernel */
	int fail_err;
	int bad_every;		/* every Nth page shared (move) or -EACCES (query) */
	int rc;
	const char *msg;	/* %d: this pid */
};

static void expect_result(const struct perm_case *c, int rc)
{
	char msg[256];

	snprintf(msg, sizeof(msg), c->msg, getpid());
	if (rc != c->rc || strcmp(cdm_get_last_error(ctx), msg))
		fail_msg("%s: %d '%s', want %d '%s'", c->what, rc, cdm_get_last_error(ctx),
			 c->rc, msg);
}

/* Set the kernel up for @c: every bad_every-th of the first 512 pages
 * mapped by others (@shared) or answering -EACCES to a query */
static void script(const struct perm_case *c, bool shared)
{
	int p;

	kernel_reset();
	kernel.fail_from = c->fail_from;
	kernel.fail_call = c->fail_call;
	kernel.fail_err = c->fail_err;
	for (p = 0; c->bad_every && p < 512; p += c->bad_every) {
		if (shared)
			kernel.page[p].shared = true;
		else
			kernel.page[p].node = -EACCES;
	}
}

static void migration_case(const struct perm_case *c)
{
	struct cdm_migration *mig;
	int rc;

	script(c, true);
	assert_int_equal(cdm_migration_new(ctx, 0, TARGET, &mig), 0);
	assert_int_equal(cdm_migration_set_range(mig, (uintptr_t)base, (uintptr_t)addr_of(512)), 0);
	rc = cdm_migration_run(mig);
	expect_result(c, rc);
	assert_int_equal(cdm_migration_get_moved(mig), pages_on(TARGET));
	if (c->bad_every) {
		/* -EACCES per page: shared, not a failure, not listed */
		assert_int_equal(cdm_migration_get_shared(mig), 512 / c->bad_every);
		assert_int_equal(cdm_migration_get_moved(mig), 512 - 512 / c->bad_every);
		assert_int_equal(cdm_migration_get_nr_failed_pages(mig), 0);
	}
	cdm_migration_free(mig);
}

/*
 * Residency through move_pages in query mode. The kernel's query writes a
 * node, -ENOENT or -EFAULT per page, never -EACCES: should a page answer
 * an error all the same, it counts as an error of that page, with its
 * errno, not as a failure of the update.
 */
static void residency_case(const struct perm_case *c)
{
	unsigned long long pages = 0;
	struct cdm_residency *res;
	int rc;

	script(c, false);
	assert_int_equal(cdm_residency_new(ctx, 0, &res), 0);
	assert_int_equal(cdm_residency_set_source(res, CDM_RESIDENCY_MOVE_PAGES), 0);
	assert_int_equal(cdm_residency_set_range(res, (uintptr_t)base, (uintptr_t)addr_of(512)), 0);
	rc = cdm_residency_update(res);
	expect_result(c, rc);
	if (!rc) {
		assert_int_equal(cdm_residency_get_errors(res), 512 / c->bad_every);
		assert_int_equal(cdm_residency_get_not_present(res), 0);
		assert_int_equal(cdm_residency_get_pages(res, HOME, &pages), 0);
		assert_int_equal(pages, 512 - 512 / c->bad_every);
	}
	cdm_residency_free(res);
}

/* Whole-call EPERM and EACCES, -EACCES per page, moving and querying */
static void permission_errors(void **state)
{
	static const struct perm_case cases[] = {
		{ migration_case, "no ptrace access", 1, 0, EPERM, 0, -EPERM,
		  "pid %d: moving pages not permitted " PTRACE_NEEDS },
		{ migration_case, "no ptrace access, on a move", 0, 1, EPERM, 0, -EPERM,
		  "pid %d: moving pages not permitted " PTRACE_NEEDS },
		{ migration_case, "a security module says no", 1, 0, EACCES, 0, -EACCES,
		  "pid %d: moving pages denied by a security module (EACCES)" },
		{ migration_case, "node outside the cpuset", 0, 1, EACCES, 0, -EACCES,
		  "pid %d: node 1 is not in its cpuset's mems (no capability overrides that)" },
		{ migration_case, "pages mapped by others", 0, 0, 0, 8, 0, "" },
		{ residency_case, "query: no ptrace access", 1, 0, EPERM, 0, -EPERM,
		  "pid %d: page query not permitted " PTRACE_NEEDS },
		{ residency_case, "query: a security module says no", 1, 0, EACCES, 0, -EACCES,
		  "pid %d: page query denied by a security module (EACCES)" },
		{ residency_case, "query: -EACCES on some pages", 0, 0, 0, 8, 0, "" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cases[i].check(&cases[i]);
}

#define ROUNDS 10000

struct failing_thread {
	pthread_t tid;
	int id;			/* fails with pid -id */
	unsigned int wrong;	/* rounds that read another message */
	char first_wrong[CDM_ERR_LEN];
};

/* Fail, let the other thread run, read the message back: ours? */
static void *fail_in_a_loop(void *arg)
{
	struct failing_thread *t = arg;
	struct cdm_residency *res;
	char want[64];
	unsigned int i;

	snprintf(want, sizeof(want), "pid %d: invalid", -t->id);
	for (i = 0; i < ROUNDS; i++) {
		if (cdm_residency_new(ctx, -t->id, &res) != -EINVAL)
			t->wrong++;
		sched_yield();
		if (!strcmp(cdm_get_last_error(ctx), want))
			continue;
		if (!t->wrong++)
			snprintf(t->first_wrong, sizeof(t->first_wrong), "'%s' in round %u",
				 cdm_get_last_error(ctx), i);
	}
	return NULL;
}

/* Two threads, one context: each reads its own last error, always. */
static void last_error_per_thread(void **state)
{
	struct failing_thread t[2] = { { .id = 1 }, { .id = 2 } };
	struct cdm_residency *res;
	int i;

	/* this thread's message outlives the others' */
	assert_int_equal(cdm_residency_new(ctx, -9, &res), -EINVAL);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i].tid, NULL, fail_in_a_loop, &t[i]), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i].tid, NULL), 0);
	for (i = 0; i < 2; i++)
		if (t[i].wrong)
			fail_msg("thread %d: %u of %u rounds read another message, first %s",
				 t[i].id, t[i].wrong, ROUNDS, t[i].first_wrong);
	assert_string_equal(cdm_get_last_error(ctx), "pid -9: invalid");
}

/*
 * Keyed by context as well: each of 4 contexts keeps its own message in
 * one thread, a fifth takes the oldest one's place, and a new context
 * (maybe at a freed one's address) starts with none.
 */
static void last_error_per_context(void **state)
{
	struct cdm_residency *res;
	struct cdm_ctx *c[5];
	char want[64];
	int i;

	for (i = 0; i < 5; i++) {
		assert_int_equal(cdm_new(&c[i]), 0);
		assert_int_equal(cdm_residency_new(c[i], -100 - i, &res), -EINVAL);
	}
	assert_string_equal(cdm_get_last_error(c[0]), "");
	for (i = 1; i < 5; i++) {
		snprintf(want, sizeof(want), "pid %d: invalid", -100 - i);
		assert_string_equal(cdm_get_last_error(c[i]), want);
	}
	cdm_unref(c[4]);
	assert_int_equal(cdm_new(&c[4]), 0);
	assert_string_equal(cdm_get_last_error(c[4]), "");
	for (i = 0; i < 5; i++)
		cdm_unref(c[i]);
}

/* What the fake kernel saw of the callers' signal masks */
static struct {
	pthread_t main_thread;
	sigset_t main_mask;
	unsigned int worker_calls, unblocked_calls, main_mask_changed;
	int unblocked_sig;
} seen;

/* Signals a thread can block (not SIGKILL, SIGSTOP, nor glibc's own) */
static bool blockable(int sig)
{
	return sig != SIGKILL && sig != SIGSTOP && (sig < 32 || sig >= SIGRTMIN);
}

static void check_sigmask(bool query)
{
	sigset_t mask;
	int sig;

	pthread_sigmask(SIG_BLOCK, NULL, &mask);
	if (pthread_equal(pthread_self(), seen.main_thread)) {
		/* the caller's own thread works too, its mask untouched */
		for (sig = 1; sig <= SIGRTMAX; sig++)
			if (blockable(sig) && sigismember(&mask, sig) !=
			    sigismember(&seen.main_mask, sig))
				seen.main_mask_changed++;
	} else {
		seen.worker_calls++;
		for (sig = 1; sig <= SIGRTMAX; sig++) {
			if (blockable(sig) && !sigismember(&mask, sig)) {
				seen.unblocked_calls++;
				seen.unblocked_sig = sig;
				break;
			}
		}
	}
	/* a slow kernel, so that every worker gets a chunk */
	if (query)
		usleep(2000);
}

static void migrate_4_threads(int want_rc)
{
	struct cdm_migration *mig;
	int rc;

	assert_int_equal(cdm_migration_new(ctx, 0, TARGET, &mig), 0);
	assert_int_equal(cdm_migration_set_range(mig, (uintptr_t)base,
						 (uintptr_t)addr_of(NR_PAGES)), 0);
	assert_int_equal(cdm_migration_set_threads(mig, 4), 0);
	assert_int_equal(cdm_migration_set_batch(mig, 256), 0);
	rc = cdm_migration_run(mig);
	if (rc != want_rc)
		fail_msg("4 threads: %d '%s', want %d", rc, cdm_get_last_error(ctx), want_rc);
	cdm_migration_free(mig);
}

/*
 * A migration with 4 threads: the 3 threads libcdm starts have every signal
 * blocked from their first call on (the application's handlers must not
 * run on them), the calling thread's mask stays as it was; and a fatal
 * error met by any of them is what the caller reads.
 */
static void workers_block_signals(void **state)
{
	sigset_t usr1, before, after;
	char want[256];

	/* a mask of the caller's own, which libcdm must give back as it was */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, &before);
	memset(&seen, 0, sizeof(seen));
	seen.main_thread = pthread_self();
	pthread_sigmask(SIG_BLOCK, NULL, &seen.main_mask);
	kernel.hook = check_sigmask;

	migrate_4_threads(0);
	assert_int_equal(pages_on(TARGET), NR_PAGES);
	if (!seen.worker_calls)
		fail_msg("no move_pages call from a worker thread");
	if (seen.unblocked_calls)
		fail_msg("%u of %u worker calls with signal %d not blocked", seen.unblocked_calls,
			 seen.worker_calls, seen.unblocked_sig);
	assert_int_equal(seen.main_mask_changed, 0);
	pthread_sigmask(SIG_BLOCK, NULL, &after);
	assert_int_equal(sigismember(&after, SIGUSR1), 1);
	assert_int_equal(sigismember(&after, SIGTERM), 0);

	/* the 6th call fails: some thread meets it, the caller reads it */
	kernel_reset();
	kernel.hook = check_sigmask;
	kernel.fail_from = 6;
	kernel.fail_err = EPERM;
	migrate_4_threads(-EPERM);
	snprintf(want, sizeof(want), "pid %d: moving pages not permitted " PTRACE_NEEDS,
		 getpid());
	assert_string_equal(cdm_get_last_error(ctx), want);
	kernel.hook = NULL;
	pthread_sigmask(SIG_SETMASK, &before, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(permission_errors, fake_kernel_reset),
		cmocka_unit_test_setup(last_error_per_thread, fake_kernel_reset),
		cmocka_unit_test(last_error_per_context),
		cmocka_unit_test_setup(workers_block_signals, fake_kernel_reset),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("libcdm errors: permissions, threads", tests,
					   fake_kernel_setup, fake_kernel_teardown);
}
