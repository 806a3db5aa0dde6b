// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * isolate_cpusets (daemon/cpusets.c) on a cgroup tree of plain files in
 * a temporary directory, with a /proc of PID/cgroup files beside it.
 * write(2) is wrapped: a write into the tree goes to a small fake of
 * the kernel's cgroup v2 files (controllers switched in
 * cgroup.subtree_control, making and removing the children's cpuset
 * files, EBUSY while a child still uses one, ENOSPC for emptying a
 * populated cgroup's cpuset.mems as kernel/cgroup/cpuset.c's
 * validate_change() does, an errno injected on one file) and is counted.
 * The real kernel side is tested in the VM.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cpusets.h"

static char base[PATH_MAX], cg[PATH_MAX + 8], proc[PATH_MAX + 8];
static int writes;			/* writes into the tree */
static char fail_path[PATH_MAX * 2];	/* a write to it fails with fail_errno */
static int fail_errno;

/* ---- the tree ---- */

/* the text of printf(@fmt, ...) into the array @buf */
#define FORMAT(buf, fmt) do {						\
		va_list args;						\
									\
		va_start(args, fmt);					\
		vsnprintf(buf, sizeof(buf), fmt, args);			\
		va_end(args);						\
	} while (0)

static void put(const char *content, const char *fmt, ...)
{
	char path[PATH_MAX * 2];
	FILE *f;

	FORMAT(path, fmt);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

/* the file's content, "(none)" when it cannot be read */
static const char *get(const char *fmt, ...)
{
	static char buf[4096];
	char path[PATH_MAX * 2];
	size_t n;
	FILE *f;

	FORMAT(path, fmt);
	f = fopen(path, "r");
	if (!f)
		return "(none)";
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* a top-level cgroup; @mems NULL: no cpuset files; @procs "": none */
static void cgroup(const char *name, const char *mems, const char *procs)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", cg, name);
	assert_int_equal(mkdir(path, 0755), 0);
	put(procs, "%s/cgroup.procs", path);
	put("", "%s/cgroup.subtree_control", path);
	if (mems) {
		put(mems, "%s/cpuset.mems", path);
		put("\n", "%s/cpuset.cpus", path);
	}
}

static void in_cgroup(pid_t pid, const char *content)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%d", proc, pid);
	mkdir(path, 0755);
	put(content, "%s/cgroup", path);
}

/*
 * The root with the cpuset controller off or on, four top-level cgroups
 * with processes (cpuset files of @mems when on), target pid 4242 in
 * machine.slice, 4444 in the root cgroup, 4343 gone
 */
static void tree(bool on, const char *mems)
{
	assert_int_equal(mkdir(cg, 0755), 0);
	assert_int_equal(mkdir(proc, 0755), 0);
	put("cpuset cpu io memory pids\n", "%s/cgroup.controllers", cg);
	put(on ? "cpuset memory pids\n" : "memory pids\n", "%s/cgroup.subtree_control", cg);
	put("0-1\n", "%s/cpuset.mems.effective", cg);
	cgroup("system.slice", on ? mems : NULL, "812\n813\n");
	cgroup("user.slice", on ? mems : NULL, "1000\n");
	cgroup("init.scope", on ? mems : NULL, "1\n");
	cgroup("machine.slice", on ? mems : NULL, "4242\n");
	in_cgroup(4242, "0::/machine.slice/vm1.scope\n");
	in_cgroup(4444, "0::/\n");
}

static struct cdmd_proc procs[] = { { 4242, 1, 0 }, { 4343, 1, 0 }, { 4444, 1, 1 } };
static const struct cdmd_scan scan = { procs, 3, 3, 0 };

static struct cdm_nodeset fast(void)
{
	struct cdm_nodeset set;

	cdm_nodeset_zero(&set);
	cdm_nodeset_add(&set, 0);
	return set;
}

/* a stream whose text lands in *@msg once closed (the last text freed) */
static FILE *said_into(char **msg)
{
	static size_t len;
	FILE *err;

	free(*msg);
	err = open_memstream(msg, &len);
	assert_non_null(err);
	return err;
}

/* apply, restore and take over with what they said on err into *@msg */
static int apply_at(struct cdmd_cpusets *st, const char *root, const struct cdm_nodeset *nodes,
		    char **msg)
{
	FILE *err = said_into(msg);
	int rc = cdmd_cpusets_apply(st, root, nodes, &scan, proc, err);

	fclose(err);
	return rc;
}

static int apply(struct cdmd_cpusets *st, char **msg)
{
	struct cdm_nodeset set = fast();

	return apply_at(st, cg, &set, msg);
}

static void restore(struct cdmd_cpusets *st, char **msg)
{
	FILE *err = said_into(msg);

	cdmd_cpusets_restore(st, err);
	fclose(err);
	assert_null(st->root);
	assert_int_equal(st->nr, 0);
}

/* "@cg/@name: cpuset.mems left alone: ..." */
static const char *left_alone(const char *name, pid_t pid)
{
	static char line[PATH_MAX * 2];

	snprintf(line, sizeof(line), "%s/%s: cpuset.mems left alone: it holds pid %d, a target's "
		 "process, which may use the device nodes\n", cg, name, pid);
	return line;
}

static void assert_said(const char *msg, const char *fmt, ...)
{
	char line[PATH_MAX * 2];

	FORMAT(line, fmt);
	if (!strstr(msg, line))
		fail_msg("not said: %s\nsaid: %s", line, msg);
}

static int count_lines(const char *msg)
{
	int n = 0;

	for (; *msg; msg++)
		n += *msg == '\n';
	return n;
}

/* ---- the fake kernel behind write(2) ---- */

ssize_t __real_write(int fd, const void *buf, size_t n);

/* @dir or a cgroup below it has a process */
static bool populated(const char *dir)
{
	char path[PATH_MAX * 2];
	struct dirent *d;
	bool yes;
	DIR *dp;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	yes = strcmp(get("%s", path), "") && strcmp(get("%s", path), "(none)");
	dp = opendir(dir);
	while (dp && !yes && (d = readdir(dp))) {
		if (d->d_type != DT_DIR || d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		yes = populated(path);
	}
	if (dp)
		closedir(dp);
	return yes;
}

static bool has(const char *words, const char *word)
{
	char copy[4096], *w, *save;

	snprintf(copy, sizeof(copy), "%s", words);
	for (w = strtok_r(copy, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
		if (!strcmp(w, word))
			return true;
	return false;
}

/* the cpuset files of each child of @dir made (on) or removed */
static void cpuset_files(const char *dir, bool on)
{
	char path[PATH_MAX * 2];
	struct dirent *d;
	DIR *dp = opendir(dir);

	assert_non_null(dp);
	while ((d = readdir(dp))) {
		if (d->d_type != DT_DIR || d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (on) {
			put("\n", "%s/cpuset.mems", path);
			put("\n", "%s/cpuset.cpus", path);
		} else {
			unlink(strcat(path, "/cpuset.mems"));
			strcpy(strrchr(path, '/'), "/cpuset.cpus");
			unlink(path);
		}
	}
	closedir(dp);
}

/* a child of @dir enables @ctrl below itself */
static bool child_uses(const char *dir, const char *ctrl)
{
	char path[PATH_MAX * 2];
	struct dirent *d;
	bool yes = false;
	DIR *dp = opendir(dir);

	while (dp && !yes && (d = readdir(dp))) {
		if (d->d_type != DT_DIR || d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/cgroup.subtree_control", dir, d->d_name);
		yes = has(get("%s", path), ctrl);
	}
	if (dp)
		closedir(dp);
	return yes;
}

static const char *const ctrls[] = { "cpuset", "cpu", "io", "memory", "pids" };
#define NR_CTRLS	(sizeof(ctrls) / sizeof(ctrls[0]))

/*
 * "+cpuset -memory" on the controllers of @path into @out, in the
 * kernel's order, or -errno: -ENOENT for one the root does not have,
 * -EBUSY for one a child still enables
 */
static int subtree_control(const char *path, const char *value, char *out, size_t len)
{
	char dir[PATH_MAX], words[8192], *w, *save;
	bool on[NR_CTRLS], was_on;
	size_t i, used = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	for (i = 0; i < NR_CTRLS; i++)
		on[i] = has(get("%s", path), ctrls[i]);
	was_on = on[0];
	snprintf(words, sizeof(words), "%s", value);
	for (w = strtok_r(words, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
		for (i = 0; i < NR_CTRLS && strcmp(w + 1, ctrls[i]); i++)
			;
		if (i == NR_CTRLS || (*w != '+' && *w != '-'))
			return -EINVAL;
		if (*w == '+' && !strcmp(dir, cg) && !has(get("%s/cgroup.controllers", dir), w + 1))
			return -ENOENT;
		if (*w == '-' && on[i] && child_uses(dir, w + 1))
			return -EBUSY;
		on[i] = *w == '+';
	}
	if (on[0] != was_on)
		cpuset_files(dir, on[0]);
	for (i = 0, *out = '\0'; i < NR_CTRLS; i++)
		if (on[i])
			used += snprintf(out + used, len - used, "%s%s", used ? " " : "", ctrls[i]);
	snprintf(out + used, len - used, "\n");
	return 0;
}

ssize_t __wrap_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	char link[64], path[PATH_MAX], value[8192], out[8192 + 8], dir[PATH_MAX], *name;
	size_t len;
	ssize_t l;
	int rc = 0;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	l = readlink(link, path, sizeof(path) - 1);
	if (l < 0 || strncmp(path, cg, strlen(cg)) || path[strlen(cg)] != '/')
		return __real_write(fd, buf, n);
	path[l] = '\0';
	writes++;
	if (!strcmp(path, fail_path)) {
		errno = fail_errno;
		return -1;
	}
	len = n < sizeof(value) - 1 ? n : sizeof(value) - 1;
	memcpy(value, buf, len);
	while (len && (value[len - 1] == '\n' || value[len - 1] == ' '))
		len--;
	value[len] = '\0';
	snprintf(dir, sizeof(dir), "%s", path);
	name = strrchr(dir, '/');
	*name++ = '\0';
	snprintf(out, sizeof(out), "%s\n", value);
	if (!strcmp(name, "cgroup.subtree_control"))
		rc = subtree_control(path, value, out, sizeof(out));
	else if (!strcmp(name, "cpuset.mems") && !*value && populated(dir) &&
		 strcmp(get("%s", path), "\n"))
		rc = -ENOSPC;
	if (rc) {
		errno = -rc;
		return -1;
	}
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(pwrite(fd, out, strlen(out), 0), (ssize_t)strlen(out));
	return n;
}

/* ---- tests ---- */

static void enables_and_isolates(void **state)
{
	struct cdmd_cpusets st = { 0 };
	char path[PATH_MAX * 2], *msg = NULL;
	struct stat before, after;
	int w;

	tree(false, NULL);
	assert_int_equal(apply(&st, &msg), 4);
	assert_string_equal(msg, left_alone("machine.slice", 4242));
	assert_int_equal(writes, 4);
	assert_true(st.enabled);
	assert_string_equal(get("%s/cgroup.subtree_control", cg), "cpuset memory pids\n");
	assert_string_equal(get("%s/system.slice/cpuset.mems", cg), "0\n");
	assert_string_equal(get("%s/user.slice/cpuset.mems", cg), "0\n");
	assert_string_equal(get("%s/init.scope/cpuset.mems", cg), "0\n");
	assert_string_equal(get("%s/machine.slice/cpuset.mems", cg), "\n");

	/* all as it should be: nothing written, nothing said again */
	snprintf(path, sizeof(path), "%s/system.slice/cpuset.mems", cg);
	assert_int_equal(stat(path, &before), 0);
	w = writes;
	usleep(10000);
	assert_int_equal(apply(&st, &msg), 0);
	assert_string_equal(msg, "");
	assert_int_equal(writes, w);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
	assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);

	/* cdmd enabled the controller: -cpuset takes the cpuset files away,
	 * as they were; the emptied ones fell back first, said nothing */
	restore(&st, &msg);
	assert_string_equal(msg, "");
	assert_string_equal(get("%s/cgroup.subtree_control", cg), "memory pids\n");
	assert_string_equal(get("%s/system.slice/cpuset.mems", cg), "(none)");
	assert_string_equal(get("%s/machine.slice/cpuset.mems", cg), "(none)");
	free(msg);
}

static void gives_back(void **state)
{
	struct cdmd_cpusets st = { 0 };
	char *msg = NULL;

	tree(true, "\n");
	put("0-1\n", "%s/system.slice/cpuset.mems", cg);
	put("1\n", "%s/init.scope/cpuset.mems", cg);
	cgroup("empty.slice", "\n", "");
	cgroup("idle.slice", "0\n", "7\n");
	assert_int_equal(apply(&st, &msg), 4);
	assert_string_equal(msg, left_alone("machine.slice", 4242));
	assert_false(st.enabled);
	assert_string_equal(get("%s/system.slice/cpuset.mems", cg), "0\n");
	assert_string_equal(get("%s/init.scope/cpuset.mems", cg), "0\n");
	assert_string_equal(get("%s/user.slice/cpuset.mems", cg), "0\n");
	assert_string_equal(get("%s/empty.slice/cpuset.mems", cg), "0\n");

	/* the values before, to the letter; the populated user.slice's empty
	 * one is refused by the kernel: the root's nodes, said; the
	 * controller stays on, as it was */
	restore(&st, &msg);
	assert_string_equal(get("%s/system.slice/cpuset.mems", cg), "0-1\n");
	assert_string_equal(get("%s/init.scope/cpuset.mems", cg), "1\n");
	assert_string_equal(get("%s/empty.slice/cpuset.mems", cg), "\n");
	assert_string_equal(get("%s/user.slice/cpuset.mems", cg), "0-1\n");
	assert_string_equal(get("%s/idle.slice/cpuset.mems", cg), "0\n");
	assert_string_equal(get("%s/machine.slice/cpuset.mems", cg), "\n");
	assert_string_equal(get("%s/cgroup.subtree_control", cg), "cpuset memory pids\n");
	assert_int_equal(count_lines(msg), 1);
	assert_said(msg, "%s/user.slice/cpuset.mems: was empty (all nodes); the kernel does not "
		    "empty it while the cgroup has processes: it has the root's "
		    "cpuset.mems.effective instead\n", cg);
	free(msg);
}

static void follows_changes(void **state)
{
	struct cdmd_cpusets st = { 0 };
	char path[PATH_MAX * 2], *msg = NULL;
	int w;

	tree(true, "\n");
	assert_int_equal(apply(&st, &msg), 3);
	assert_int_equal(st.nr, 4);

	/* a new cgroup is taken in */
	cgroup("new.slice", "\n", "");
	assert_int_equal(apply(&st, &msg), 1);
	assert_string_equal(msg, "");
	assert_string_equal(get("%s/new.slice/cpuset.mems", cg), "0\n");
	assert_int_equal(st.nr, 5);

	/* one gone is forgotten */
	snprintf(path, sizeof(path), "rm -rf '%s/user.slice'", cg);
	assert_int_equal(system(path), 0);
	assert_int_equal(apply(&st, &msg), 0);
	assert_int_equal(st.nr, 4);
	for (size_t i = 0; i < st.nr; i++)
		assert_null(strstr(st.cgroups[i].path, "user.slice"));

	/* the target moves: its new cgroup gets back what it had (empty,
	 * refused with processes in it: the root's nodes), its old one is
	 * isolated; then nothing more is written */
	in_cgroup(4242, "0::/system.slice/vm1.service\n");
	assert_int_equal(apply(&st, &msg), 2);
	assert_string_equal(msg, left_alone("system.slice", 4242));
	assert_string_equal(get("%s/system.slice/cpuset.mems", cg), "0-1\n");
	assert_string_equal(get("%s/machine.slice/cpuset.mems", cg), "0\n");
	w = writes;
	assert_int_equal(apply(&st, &msg), 0);
	assert_string_equal(msg, "");
	assert_int_equal(writes, w);

	/* and back: isolated again, said again when held again */
	in_cgroup(4242, "0::/machine.slice/vm1.scope\n");
	assert_int_equal(apply(&st, &msg), 2);
	assert_string_equal(msg, left_alone("machine.slice", 4242));
	assert_string_equal(get("%s/system.slice/cpuset.mems", cg), "0\n");

	restore(&st, &msg);
	assert_string_equal(get("%s/new.slice/cpuset.mems", cg), "\n");
	assert_string_equal(get("%s/system.slice/cpuset.mems", cg), "0-1\n");
	assert_string_equal(get("%s/machine.slice/cpuset.mems", cg), "0-1\n");
	assert_int_equal(count_lines(msg), 3);	/* system, init, machine fell back */
	free(msg);
}

static void hostile(void **state)
{
	struct cdmd_cpusets st = { 0 };
	char path[PATH_MAX * 2], *msg = NULL, *big;
	int i;

	tree(true, "\n");
	put("zz\x01 0-\n", "%s/system.slice/cpuset.mems", cg);
	big = malloc(1 << 20);
	assert_non_null(big);
	for (i = 0; i < (1 << 20) - 1; i += 2)
		memcpy(big + i, "0,", 2);
	big[(1 << 20) - 1] = '\0';
	put(big, "%s/user.slice/cpuset.mems", cg);
	free(big);
	snprintf(path, sizeof(path), "%s/init.scope/cpuset.mems", cg);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/bare", cg);
	assert_int_equal(mkdir(path, 0755), 0);
	cgroup("range.slice", "0-1024\n", "");
	cgroup("reversed.slice", "3-1\n", "");
	cgroup("comma.slice", "0,\n", "");
	cgroup("dir.slice", NULL, "");
	snprintf(path, sizeof(path), "%s/dir.slice/cpuset.mems", cg);
	assert_int_equal(mkdir(path, 0755), 0);
	cgroup("ok.slice", "\n", "");
	put("notes\n", "%s/notes", cg);
	snprintf(path, sizeof(path), "%s/link.slice", cg);
	assert_int_equal(symlink("ok.slice", path), 0);
	/* the target's cgroup file is garbage: it holds no cgroup */
	in_cgroup(4242, "\xff\x01garbage\n0::\n");

	assert_int_equal(apply(&st, &msg), 2);	/* machine.slice, ok.slice */
	assert_said(msg, "%s/system.slice/cpuset.mems: not a node list: 'zz? 0-'\n", cg);
	assert_said(msg, "%s/user.slice/cpuset.mems: File too large\n", cg);
	assert_said(msg, "%s/init.scope/cpuset.mems: No such file or directory\n", cg);
	assert_said(msg, "%s/bare/cpuset.mems: No such file or directory\n", cg);
	assert_said(msg, "%s/range.slice/cpuset.mems: not a node list: '0-1024'\n", cg);
	assert_said(msg, "%s/reversed.slice/cpuset.mems: not a node list: '3-1'\n", cg);
	assert_said(msg, "%s/comma.slice/cpuset.mems: not a node list: '0,'\n", cg);
	assert_said(msg, "%s/dir.slice/cpuset.mems: Is a directory\n", cg);
	assert_int_equal(count_lines(msg), 8);
	assert_string_equal(get("%s/ok.slice/cpuset.mems", cg), "0\n");
	assert_string_equal(get("%s/machine.slice/cpuset.mems", cg), "0\n");
	assert_string_equal(get("%s/system.slice/cpuset.mems", cg), "zz\x01 0-\n");
	assert_null(strstr(msg, "notes"));
	assert_null(strstr(msg, "link.slice"));

	/* said once */
	assert_int_equal(apply(&st, &msg), 0);
	assert_string_equal(msg, "");

	/* garbage is shown cut short */
	cgroup("long.slice", "0-1,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", "");
	assert_int_equal(apply(&st, &msg), 0);
	assert_said(msg, "%s/long.slice/cpuset.mems: not a node list: "
		    "'0-1,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'\n", cg);

	restore(&st, &msg);
	assert_string_equal(get("%s/ok.slice/cpuset.mems", cg), "\n");
	free(msg);
}

static void write_fails(void **state)
{
	struct cdmd_cpusets st = { 0 };
	char path[PATH_MAX * 2], *msg = NULL;

	tree(true, "\n");
	in_cgroup(4242, "0::/\n");
	snprintf(path, sizeof(path), "%s/machine.slice/cpuset.mems", cg);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0644), 0);
	snprintf(fail_path, sizeof(fail_path), "%s/system.slice/cpuset.mems", cg);
	fail_errno = EBUSY;

	assert_int_equal(apply(&st, &msg), 2);
	assert_int_equal(count_lines(msg), 2);
	assert_said(msg, "%s/machine.slice/cpuset.mems: writing 0: No such device or address\n",
		    cg);
	assert_said(msg, "%s/system.slice/cpuset.mems: writing 0: Device or resource busy\n", cg);
	assert_string_equal(get("%s/user.slice/cpuset.mems", cg), "0\n");
	assert_string_equal(get("%s/init.scope/cpuset.mems", cg), "0\n");
	assert_string_equal(get("%s/system.slice/cpuset.mems", cg), "\n");

	/* the same failures: not said again; another errno is */
	assert_int_equal(apply(&st, &msg), 0);
	assert_string_equal(msg, "");
	fail_errno = EINVAL;
	assert_int_equal(apply(&st, &msg), 0);
	assert_said(msg, "%s/system.slice/cpuset.mems: writing 0: Invalid argument\n", cg);
	assert_int_equal(count_lines(msg), 1);
	assert_int_equal(apply(&st, &msg), 0);
	assert_string_equal(msg, "");

	/* it works again */
	fail_path[0] = '\0';
	assert_int_equal(apply(&st, &msg), 1);
	assert_string_equal(msg, "");
	assert_string_equal(get("%s/system.slice/cpuset.mems", cg), "0\n");

	/* a write back that fails is said, the others go on */
	snprintf(fail_path, sizeof(fail_path), "%s/user.slice/cpuset.mems", cg);
	fail_errno = EBUSY;
	restore(&st, &msg);
	assert_said(msg, "%s/user.slice/cpuset.mems: writing back '': Device or resource busy\n",
		    cg);
	assert_string_equal(get("%s/init.scope/cpuset.mems", cg), "0-1\n");
	assert_string_equal(get("%s/system.slice/cpuset.mems", cg), "0-1\n");
	free(msg);
}

static void root_problems(void **state)
{
	struct cdmd_cpusets st = { 0 };
	struct cdm_nodeset none, set = fast();
	char *msg = NULL;

	tree(false, NULL);
	cdm_nodeset_zero(&none);
	assert_int_equal(apply_at(&st, cg, &none, &msg), -EINVAL);
	assert_said(msg, "%s: no memory node with CPUs to keep the top-level cgroups on\n", cg);
	assert_int_equal(apply_at(&st, cg, &none, &msg), -EINVAL);
	assert_string_equal(msg, "");	/* said once */

	put("cpu io memory pids\n", "%s/cgroup.controllers", cg);
	assert_int_equal(apply(&st, &msg), -EOPNOTSUPP);
	assert_said(msg, "%s/cgroup.controllers: no cpuset controller (bound to a cgroup v1 "
		    "hierarchy?)\n", cg);
	assert_int_equal(apply(&st, &msg), -EOPNOTSUPP);
	assert_string_equal(msg, "");

	put("cpuset cpu io memory pids\n", "%s/cgroup.controllers", cg);
	snprintf(fail_path, sizeof(fail_path), "%s/cgroup.subtree_control", cg);
	fail_errno = EPERM;
	assert_int_equal(apply(&st, &msg), -EPERM);
	assert_said(msg, "%s/cgroup.subtree_control: writing +cpuset: Operation not permitted\n",
		    cg);
	assert_false(st.enabled);
	assert_string_equal(get("%s/system.slice/cpuset.mems", cg), "(none)");
	fail_path[0] = '\0';
	assert_int_equal(apply(&st, &msg), 4);
	assert_string_equal(msg, left_alone("machine.slice", 4242));
	assert_true(st.enabled);

	assert_int_equal(apply_at(&st, "/nonexistent", &set, &msg), -EINVAL);
	assert_said(msg, "/nonexistent: cpusets are kept under %s until restored\n", cg);
	restore(&st, &msg);
	assert_string_equal(msg, "");

	assert_int_equal(apply_at(&st, "/nonexistent", &set, &msg), -ENOENT);
	assert_string_equal(msg, "/nonexistent/cgroup.controllers: No such file or directory\n");
	restore(&st, &msg);
	assert_string_equal(msg, "");
	free(msg);
}

/* the root as tree(false) made it, before cdmd */
static void cpuset_off(void)
{
	put("memory pids\n", "%s/cgroup.subtree_control", cg);
	cpuset_files(cg, false);
}

static void left_enabled(void **state)
{
	struct cdmd_cpusets st = { 0 };
	char *msg = NULL;

	/* a cgroup enables cpuset below itself */
	tree(false, NULL);
	assert_int_equal(apply(&st, &msg), 4);
	put("cpuset\n", "%s/system.slice/cgroup.subtree_control", cg);
	restore(&st, &msg);
	assert_said(msg, "%s/cgroup.subtree_control: cpuset left enabled: "
		    "%s/system.slice/cgroup.subtree_control is 'cpuset'\n", cg, cg);
	assert_said(msg, "%s/init.scope/cpuset.mems: was empty (all nodes)", cg);
	assert_int_equal(count_lines(msg), 4);	/* and system, user, init fell back */
	assert_string_equal(get("%s/cgroup.subtree_control", cg), "cpuset memory pids\n");

	/* on before cdmd: left on, the values before put back */
	put("\n", "%s/system.slice/cgroup.subtree_control", cg);
	assert_int_equal(apply(&st, &msg), 3);
	assert_false(st.enabled);
	restore(&st, &msg);
	assert_string_equal(msg, "");
	assert_string_equal(get("%s/cgroup.subtree_control", cg), "cpuset memory pids\n");
	assert_string_equal(get("%s/user.slice/cpuset.mems", cg), "0-1\n");

	/* the target's cgroup got nodes from someone else */
	cpuset_off();
	assert_int_equal(apply(&st, &msg), 4);
	put("1\n", "%s/machine.slice/cpuset.mems", cg);
	restore(&st, &msg);
	assert_said(msg, "%s/cgroup.subtree_control: cpuset left enabled: "
		    "%s/machine.slice/cpuset.mems is '1'\n", cg, cg);
	assert_string_equal(get("%s/machine.slice/cpuset.mems", cg), "1\n");

	/* the kernel refuses */
	cpuset_off();
	assert_int_equal(apply(&st, &msg), 4);
	snprintf(fail_path, sizeof(fail_path), "%s/cgroup.subtree_control", cg);
	fail_errno = EBUSY;
	restore(&st, &msg);
	assert_said(msg, "%s/cgroup.subtree_control: cpuset left enabled: writing -cpuset: "
		    "Device or resource busy\n", cg);
	fail_path[0] = '\0';

	/* nothing in the way: -cpuset, the files go */
	cpuset_off();
	assert_int_equal(apply(&st, &msg), 4);
	restore(&st, &msg);
	assert_string_equal(msg, "");
	assert_string_equal(get("%s/cgroup.subtree_control", cg), "memory pids\n");
	assert_string_equal(get("%s/machine.slice/cpuset.mems", cg), "(none)");
	free(msg);
}

static int take_over(struct cdmd_cpusets *st, const char *journal, const char *proc_root,
		     char **msg)
{
	FILE *err = said_into(msg);
	int rc = cdmd_cpusets_take_over(st, journal, cg, proc_root, err);

	fclose(err);
	return rc;
}

/*
 * A cdmd killed by SIGKILL gives nothing back; the next one finds the
 * cgroups on the fast nodes. The journal tells it what they were: its
 * restore gives back the values before the first cdmd, not what it found.
 */
static void killed_then_restarted(void **state)
{
	struct cdmd_cpusets st = { 0 }, next = { 0 };
	char journal[PATH_MAX * 2], *msg = NULL;

	snprintf(journal, sizeof(journal), "%s/cpusets", base);
	tree(false, NULL);
	assert_int_equal(take_over(&st, journal, proc, &msg), 0);	/* none yet */
	assert_string_equal(msg, "");
	assert_int_equal(apply(&st, &msg), 4);		/* +cpuset, and 3 cgroups */
	assert_true(st.enabled);
	put("1\n", "%s/system.slice/cpuset.mems", cg);	/* someone's own value */
	assert_int_equal(apply(&st, &msg), 1);
	assert_string_equal(get("%s/system.slice/cpuset.mems", cg), "0\n");
	assert_string_not_equal(get("%s", journal), "(none)");

	/* the cdmd that wrote it still runs (this process, under /proc) */
	assert_int_equal(take_over(&next, journal, "/proc", &msg), 0);
	assert_said(msg, "%s: written by cdmd %d, which runs: left alone", journal, (int)getpid());
	assert_null(next.journal);
	cdmd_cpusets_free(&next);

	/* gone (no such pid under the fake /proc): taken over */
	cdmd_cpusets_free(&st);			/* SIGKILL: nothing given back */
	assert_int_equal(take_over(&next, journal, proc, &msg), 3);
	assert_said(msg, "%s: cdmd %d, which is gone, changed the cpuset.mems of 3 cgroups and "
		    "enabled the controller: taken over, to be given back\n", journal,
		    (int)getpid());
	/* isolation on again: nothing to write, what was before kept */
	assert_int_equal(apply(&next, &msg), 0);
	restore(&next, &msg);
	assert_string_equal(get("%s/system.slice/cpuset.mems", cg), "(none)");
	assert_string_equal(get("%s/cgroup.subtree_control", cg), "memory pids\n");
	assert_string_equal(get("%s", journal), "(none)");
	assert_non_null(next.journal);			/* for the next apply */
	cdmd_cpusets_free(&next);

	/* taken over and given back at once (isolate_cpusets off now) */
	assert_int_equal(take_over(&st, journal, proc, &msg), 0);
	assert_int_equal(apply(&st, &msg), 4);
	put("1\n", "%s/init.scope/cpuset.mems", cg);
	cdmd_cpusets_free(&st);
	assert_int_equal(take_over(&next, journal, proc, &msg), 3);
	restore(&next, &msg);
	assert_string_equal(msg, "");
	assert_string_equal(get("%s/init.scope/cpuset.mems", cg), "(none)");
	assert_string_equal(get("%s/cgroup.subtree_control", cg), "memory pids\n");
	cdmd_cpusets_free(&next);
	free(msg);
}

/* A journal cdmd did not write, or not for this root: nothing written,
 * the file removed, said */
static void hostile_journals(void **state)
{
	static const char *const bad[] = {
		"",
		"garbage\n",
		"cdmd -1 5\nroot %zu:%s\nenabled 0\n",
		"cdmd 999999 5\nroot 4:/etc\nenabled 0\ncgroup 0 6:passwd 1:0\n",
		"cdmd 999999 5\nroot %zu:%s\nenabled 2\n",
		"cdmd 999999 5\nroot %zu:%s\nenabled 0\ncgroup 0 2:.. 1:0\n",
		"cdmd 999999 5\nroot %zu:%s\nenabled 0\ncgroup 0 3:a/b 1:0\n",
		"cdmd 999999 5\nroot %zu:%s\nenabled 0\ncgroup 0 0: 1:0\n",
		"cdmd 999999 5\nroot %zu:%s\nenabled 0\ncgroup 0 10:user.slice 7:0;reboo\n",
		"cdmd 999999 5\nroot %zu:%s\nenabled 0\ncgroup 0 10:user.slice 999999:0\n",
		"cdmd 999999 5\nroot %zu:%s\nenabled 0\ncgroup 0 10:user.slice 1:0\n"
		"cgroup 0 10:user.slice 1:1\n",
		"cdmd 999999 5\nroot %zu:%s\nenabled 0\ncgroup 0 10:user.slice 1:0\nrm -rf\n",
		"cdmd 999999 5\nroot %zu:%s\nenabled 1\ncgroup 0 10:user.slice 4:0",
		"cdmd 999999 5\nroot 99999999999999999999:x\n",
		"cdmd 999999 5\nrooX %zu:%s\nenabled 0\n",
		"cdmd 999999 5\nroot %zu:%s\nenabled 0\ncgroup 7 10:user.slice 1:0\n",
		"cdmd 999999 5\nroot %zu:%s\nenabled 0\ncgroupX 0 10:user.slice 1:0\n",
		"cdmx 999999 5\nroot %zu:%s\nenabled 0\n",
	};
	struct cdmd_cpusets st = { 0 };
	char journal[PATH_MAX * 2], text[PATH_MAX * 4], *msg = NULL;
	size_t i;
	int w;

	snprintf(journal, sizeof(journal), "%s/cpusets", base);
	tree(true, "0-1\n");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), bad[i], strlen(cg), cg);
		put(text, "%s", journal);
		w = writes;
		if (take_over(&st, journal, proc, &msg) != -EINVAL)
			fail_msg("journal %zu taken: '%s': %s", i, text, msg);
		assert_said(msg, "%s: not a journal of cdmd's for %s: not taken over, removed\n",
			    journal, cg);
		assert_null(st.root);
		assert_int_equal(st.nr, 0);
		assert_string_equal(get("%s", journal), "(none)");
		restore(&st, &msg);
		assert_int_equal(writes, w);
		cdmd_cpusets_free(&st);
	}
	assert_string_equal(get("%s/user.slice/cpuset.mems", cg), "0-1\n");
	free(msg);
}

static int setup(void **state)
{
	snprintf(base, sizeof(base), "/tmp/cdmd-cpusets-XXXXXX");
	if (!mkdtemp(base))
		return -1;
	snprintf(cg, sizeof(cg), "%s/cg", base);
	snprintf(proc, sizeof(proc), "%s/proc", base);
	writes = 0;
	fail_path[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(enables_and_isolates, setup, teardown),
		cmocka_unit_test_setup_teardown(gives_back, setup, teardown),
		cmocka_unit_test_setup_teardown(follows_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(write_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(root_problems, setup, teardown),
		cmocka_unit_test_setup_teardown(left_enabled, setup, teardown),
		cmocka_unit_test_setup_teardown(killed_then_restarted, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile_journals, setup, teardown),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("cdmd cpusets", tests, NULL, NULL);
}
