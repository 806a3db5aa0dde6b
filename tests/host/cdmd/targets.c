// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Targets to processes (daemon/targets.c) on this host's real /proc, with
 * child processes named for the test (one with ") (" in its name, as
 * /proc/PID/stat's parser must survive) and a cgroup tree laid out in a
 * temporary directory (its cgroup.procs files list the children):
 * matches by name, expression, pid and cgroup (nested), the first
 * target's claim, the start time that tells a reused pid apart, kernel
 * threads and cdmd itself left out, processes that exit dropped and new
 * ones picked up by the next scan, or dropped by a recheck between
 * scans.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "targets.h"

static char cgroot[] = "/tmp/cdmd-cgroup-XXXXXX";

/* a child named @name that waits to be killed */
static pid_t child(const char *name)
{
	int ready[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		prctl(PR_SET_NAME, name);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);	/* named by now */
	close(ready[0]);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static struct cdmd_config *config(void)
{
	struct cdmd_config *cfg = calloc(1, sizeof(*cfg));

	assert_non_null(cfg);
	return cfg;
}

static void add_target(struct cdmd_config *cfg, enum cdmd_match match, const char *arg)
{
	struct cdmd_target *t = &cfg->targets[cfg->nr_targets++];

	snprintf(t->name, sizeof(t->name), "t%d", cfg->nr_targets - 1);
	t->match = match;
	t->match_arg = strdup(arg);
	if (match == CDMD_MATCH_REGEX)
		assert_int_equal(regcomp(&t->regex, arg, REG_EXTENDED | REG_NOSUB), 0);
	if (match == CDMD_MATCH_PID)
		t->pid = atoi(arg);
}

static int scan(const struct cdmd_config *cfg, struct cdmd_scan *s)
{
	return cdmd_targets_scan(cfg, "/proc", cgroot, getpid(), s, stderr);
}

static int target_of(const struct cdmd_scan *s, pid_t pid)
{
	const struct cdmd_proc *p = cdmd_scan_find(s, pid);

	return p ? p->target : -1;
}

static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024], *f;
	unsigned long long v = 0;
	FILE *in;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	in = fopen(path, "r");
	assert_non_null(in);
	assert_non_null(fgets(buf, sizeof(buf), in));
	fclose(in);
	f = strrchr(buf, ')') + 2;	/* field 3 */
	for (i = 3; i < 22; i++)
		f = strchr(f, ' ') + 1;
	sscanf(f, "%llu", &v);
	return v;
}

/* a kernel thread's pid (flags field 9 has PF_KTHREAD), or 0 where
 * /proc shows none (a container) */
static pid_t kthread_pid(void)
{
	char path[64], buf[1024], *f;
	unsigned long flags;
	pid_t pid;
	FILE *in;
	int i;

	for (pid = 2; pid < 200; pid++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		in = fopen(path, "r");
		if (!in)
			continue;
		f = fgets(buf, sizeof(buf), in) ? strrchr(buf, ')') : NULL;
		fclose(in);
		if (!f)
			continue;
		f += 2;
		for (i = 3; i < 9 && f; i++)
			f = strchr(f, ' ') ? strchr(f, ' ') + 1 : NULL;
		if (f && sscanf(f, "%lu", &flags) == 1 && (flags & 0x00200000))
			return pid;
	}
	return 0;
}

static void write_procs(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cgroot, rel);
	mkdir(path, 0755);
	strcat(path, "/cgroup.procs");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void by_name_regex_pid(void **state)
{
	pid_t a = child("cdmdtst-a"), b = child("cdmdtst-b"), odd = child("a) b (c");
	struct cdmd_config *cfg = config();
	struct cdmd_scan s = { 0 };
	char pid[16];
	size_t i;

	add_target(cfg, CDMD_MATCH_COMM, "cdmdtst-a");
	add_target(cfg, CDMD_MATCH_REGEX, "^cdmdtst-[ab]$");
	add_target(cfg, CDMD_MATCH_COMM, "a) b (c");
	snprintf(pid, sizeof(pid), "%d", getpid());
	add_target(cfg, CDMD_MATCH_PID, pid);	/* cdmd itself: never */
	assert_int_equal(scan(cfg, &s), 0);
	assert_int_equal(target_of(&s, a), 0);	/* the first target's */
	assert_int_equal(target_of(&s, b), 1);
	assert_int_equal(target_of(&s, odd), 2);
	assert_int_equal(target_of(&s, getpid()), -1);
	assert_int_equal(s.nr, 3);
	assert_int_equal(cdmd_scan_find(&s, a)->start_time, start_time(a));
	for (i = 1; i < s.nr; i++)
		assert_true(s.procs[i - 1].pid < s.procs[i].pid);
	/* b exits, a new one comes: the next scan knows */
	reap(b);
	b = child("cdmdtst-b");
	assert_int_equal(scan(cfg, &s), 0);
	assert_int_equal(target_of(&s, b), 1);
	assert_int_equal(s.nr, 3);
	reap(a);
	reap(b);
	reap(odd);
	assert_int_equal(scan(cfg, &s), 0);
	assert_int_equal(s.nr, 0);
	cdmd_scan_free(&s);
	cdmd_config_free(cfg);
}

static void by_pid(void **state)
{
	pid_t c = child("cdmdtst-c");
	struct cdmd_config *cfg = config();
	struct cdmd_scan s = { 0 };
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", c);
	add_target(cfg, CDMD_MATCH_PID, pid);
	assert_int_equal(scan(cfg, &s), 0);
	assert_int_equal(s.nr, 1);
	assert_int_equal(target_of(&s, c), 0);
	reap(c);
	assert_int_equal(scan(cfg, &s), 0);
	assert_int_equal(s.nr, 0);
	cdmd_scan_free(&s);
	cdmd_config_free(cfg);
}

static void by_cgroup(void **state)
{
	pid_t a = child("cdmdtst-a"), b = child("cdmdtst-b"), gone = child("cdmdtst-x");
	struct cdmd_config *cfg = config();
	struct cdmd_scan s = { 0 };
	pid_t kthread = kthread_pid();
	char text[128];

	reap(gone);
	/* a in jobs, b in jobs/inner/deeper; a kernel thread (where /proc
	 * shows one) and a process gone listed too */
	if (!kthread)
		print_message("# no kernel thread in /proc here: that part is not checked\n");
	snprintf(text, sizeof(text), "%d\n%d\n%d\n", a, kthread ? kthread : gone, gone);
	write_procs("jobs", text);
	write_procs("jobs/inner", "");
	snprintf(text, sizeof(text), "%d\n", b);
	write_procs("jobs/inner/deeper", text);
	add_target(cfg, CDMD_MATCH_REGEX, "^cdmdtst-b$");
	add_target(cfg, CDMD_MATCH_CGROUP, "/sys/fs/cgroup/jobs");
	add_target(cfg, CDMD_MATCH_CGROUP, "/sys/fs/cgroup/not-yet");
	assert_int_equal(scan(cfg, &s), 0);
	assert_int_equal(target_of(&s, a), 1);
	assert_int_equal(target_of(&s, b), 0);	/* named by the first target */
	if (kthread)
		assert_int_equal(target_of(&s, kthread), -1);
	assert_int_equal(target_of(&s, gone), -1);
	assert_int_equal(s.nr, 2);
	assert_true(s.gone >= 1);
	reap(a);
	reap(b);
	cdmd_scan_free(&s);
	cdmd_config_free(cfg);
}

/* Between scans: a process that exited drops out, as does one whose
 * pid shows another start time (a pid reused); the rest stay, in order */
static void recheck(void **state)
{
	pid_t a = child("cdmdtst-a"), b = child("cdmdtst-b"), c = child("cdmdtst-c");
	struct cdmd_config *cfg = config();
	struct cdmd_scan s = { 0 };
	struct cdmd_proc *p;

	add_target(cfg, CDMD_MATCH_REGEX, "^cdmdtst-[abc]$");
	assert_int_equal(scan(cfg, &s), 0);
	assert_int_equal(s.nr, 3);
	assert_int_equal(cdmd_scan_recheck(&s, "/proc"), 0);
	assert_int_equal(s.nr, 3);
	reap(b);
	p = (struct cdmd_proc *)cdmd_scan_find(&s, c);
	p->start_time++;
	assert_int_equal(cdmd_scan_recheck(&s, "/proc"), 2);
	assert_int_equal(s.nr, 1);
	assert_int_equal(s.procs[0].pid, a);
	assert_int_equal(s.procs[0].start_time, start_time(a));
	reap(a);
	reap(c);
	assert_int_equal(cdmd_scan_recheck(&s, "/proc"), 1);
	assert_int_equal(s.nr, 0);
	cdmd_scan_free(&s);
	cdmd_config_free(cfg);
}

static void no_proc(void **state)
{
	struct cdmd_config *cfg = config();
	struct cdmd_scan s = { 0 };
	char *msg = NULL;
	size_t len;
	FILE *err = open_memstream(&msg, &len);

	add_target(cfg, CDMD_MATCH_COMM, "x");
	assert_int_equal(cdmd_targets_scan(cfg, "/nonexistent-proc", cgroot, getpid(), &s, err),
			 -ENOENT);
	fclose(err);
	assert_string_equal(msg, "/nonexistent-proc: No such file or directory\n");
	free(msg);
	cdmd_scan_free(&s);
	cdmd_config_free(cfg);
}

static int setup(void **state)
{
	return mkdtemp(cgroot) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cgroot);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(by_name_regex_pid),
		cmocka_unit_test(by_pid),
		cmocka_unit_test(by_cgroup),
		cmocka_unit_test(recheck),
		cmocka_unit_test(no_proc),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("cdmd targets", tests, setup, teardown);
}
