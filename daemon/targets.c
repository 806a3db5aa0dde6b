// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Targets: from the configuration's match keys to processes. A scan
 * reads /proc once (each process's stat: name, flags, start time) and
 * the cgroup directories of cgroup targets (cgroup.procs, recursively);
 * it costs one walk of /proc per interval, never a look at memory.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "targets.h"

#define PF_KTHREAD	0x00200000	/* include/linux/sched.h: a kernel thread */
#define CGROUP_ROOT	"/sys/fs/cgroup"
#define CGROUP_DEPTH	32		/* nesting a cgroup walk follows */

struct stat_info {
	char comm[16];
	unsigned long flags;
	unsigned long long start_time;
};

/*
 * /proc/PID/stat: "pid (comm) state ppid ... flags(9) ... starttime(22)".
 * comm may hold spaces and ')', so the fields start after the last ')'.
 * 0, -ENOENT when the process is gone, -EINVAL when it does not parse.
 */
static int read_stat(const char *proc_root, pid_t pid, struct stat_info *st)
{
	char path[PATH_MAX], buf[1024], *lp, *rp, *f;
	unsigned long long v;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "%s/%d/stat", proc_root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	buf[n] = '\0';
	lp = strchr(buf, '(');
	rp = strrchr(buf, ')');
	if (!lp || !rp || rp < lp || rp - lp - 1 >= (long)sizeof(st->comm))
		return -EINVAL;
	memcpy(st->comm, lp + 1, rp - lp - 1);
	st->comm[rp - lp - 1] = '\0';
	/* fields 3.. after ") " */
	f = rp + 1;
	for (i = 3; i <= 22; i++) {
		while (*f == ' ')
			f++;
		if (!*f)
			return -EINVAL;
		if (i == 9 || i == 22) {
			char *end;

			errno = 0;
			v = strtoull(f, &end, 10);
			if (errno || end == f)
				return -EINVAL;
			if (i == 9)
				st->flags = v;
			else
				st->start_time = v;
		}
		while (*f && *f != ' ')
			f++;
	}
	return 0;
}

static int add_proc(struct cdmd_scan *scan, pid_t pid, unsigned long long start, int target)
{
	struct cdmd_proc *p;

	if (scan->nr == scan->cap) {
		scan->cap = scan->cap ? scan->cap * 2 : 64;
		p = realloc(scan->procs, scan->cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		scan->procs = p;
	}
	scan->procs[scan->nr++] = (struct cdmd_proc){ pid, start, target };
	return 0;
}

/* pids are unique in a scan: a later target never takes a process */
static bool in_scan(const struct cdmd_scan *scan, pid_t pid)
{
	size_t i;

	for (i = 0; i < scan->nr; i++)
		if (scan->procs[i].pid == pid)
			return true;
	return false;
}

static bool user_process(const char *proc_root, pid_t pid, pid_t self, struct stat_info *st)
{
	return pid != self && !read_stat(proc_root, pid, st) && !(st->flags & PF_KTHREAD);
}

/* The processes of cgroup directory @dir and those below it */
static int scan_cgroup(struct cdmd_scan *scan, const char *proc_root, const char *dir,
		       int depth, int target, pid_t self)
{
	char path[PATH_MAX];
	struct stat_info st;
	struct dirent *d;
	long pid;
	FILE *f;
	DIR *dp;
	int rc = 0;

	if (snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= (int)sizeof(path))
		return 0;
	f = fopen(path, "re");
	if (f) {
		while (fscanf(f, "%ld", &pid) == 1 && !rc) {
			if (pid <= 0 || pid > INT_MAX || in_scan(scan, pid))
				continue;
			if (user_process(proc_root, pid, self, &st))
				rc = add_proc(scan, pid, st.start_time, target);
			else if (pid != self)
				scan->gone++;
		}
		fclose(f);
	}
	if (rc || depth == CGROUP_DEPTH)
		return rc;
	dp = opendir(dir);
	while (dp && !rc && (d = readdir(dp))) {
		if (d->d_type != DT_DIR || d->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) >= (int)sizeof(path))
			continue;
		rc = scan_cgroup(scan, proc_root, path, depth + 1, target, self);
	}
	if (dp)
		closedir(dp);
	return rc;
}

static bool matches(const struct cdmd_target *t, pid_t pid, const struct stat_info *st)
{
	switch (t->match) {
	case CDMD_MATCH_COMM:
		return !strcmp(st->comm, t->match_arg);
	case CDMD_MATCH_REGEX:
		return !regexec(&t->regex, st->comm, 0, NULL, 0);
	case CDMD_MATCH_PID:
		return pid == t->pid;
	case CDMD_MATCH_CGROUP:
		return false;	/* scan_cgroup's */
	}
	return false;
}

static int cmp_pid(const void *a, const void *b)
{
	const struct cdmd_proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* the entry of @pid among the first @n (sorted) entries of @scan, or NULL */
static struct cdmd_proc *find_sorted(struct cdmd_scan *scan, size_t n, pid_t pid)
{
	struct cdmd_proc key = { .pid = pid };

	return n ? bsearch(&key, scan->procs, n, sizeof(key), cmp_pid) : NULL;
}

/*
 * The cgroup targets' processes first, then one walk of /proc that reads
 * each process's stat once (and only if a target matches by name or
 * pid) and gives it to the first target, in configuration order, that
 * names it: a cgroup target's claim stands unless an earlier target
 * names the process too.
 */
int cdmd_targets_scan(const struct cdmd_config *cfg, const char *proc_root,
		      const char *cgroup_root, pid_t self, struct cdmd_scan *scan, FILE *err)
{
	bool by_name = false, have_stat;
	struct cdmd_proc *claimed;
	char dir[PATH_MAX];
	struct stat_info st;
	size_t nr_cgroup;
	struct dirent *d;
	int i, best, rc = 0;
	char *end;
	long pid;
	DIR *dp;

	scan->nr = 0;
	scan->gone = 0;
	for (i = 0; i < cfg->nr_targets && !rc; i++) {
		const struct cdmd_target *t = &cfg->targets[i];

		if (t->match != CDMD_MATCH_CGROUP) {
			by_name = true;
			continue;
		}
		snprintf(dir, sizeof(dir), "%s%s", cgroup_root, t->match_arg + strlen(CGROUP_ROOT));
		rc = scan_cgroup(scan, proc_root, dir, 0, i, self);
	}
	nr_cgroup = scan->nr;
	if (nr_cgroup)
		qsort(scan->procs, nr_cgroup, sizeof(*scan->procs), cmp_pid);
	dp = !rc && by_name ? opendir(proc_root) : NULL;
	if (!rc && by_name && !dp) {
		rc = -errno;
		fprintf(err, "%s: %s\n", proc_root, strerror(errno));
	}
	while (dp && !rc && (d = readdir(dp))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		pid = strtol(d->d_name, &end, 10);
		if (*end || pid <= 0 || pid > INT_MAX)
			continue;
		claimed = find_sorted(scan, nr_cgroup, pid);
		best = claimed ? claimed->target : cfg->nr_targets;
		have_stat = false;
		for (i = 0; i < best; i++) {
			const struct cdmd_target *t = &cfg->targets[i];

			if (t->match == CDMD_MATCH_CGROUP || (t->match == CDMD_MATCH_PID && pid != t->pid))
				continue;
			if (!have_stat && !user_process(proc_root, pid, self, &st))
				break;
			have_stat = true;
			if (matches(t, pid, &st)) {
				best = i;
				break;
			}
		}
		if (claimed)
			claimed->target = best;
		else if (best < cfg->nr_targets)
			rc = add_proc(scan, pid, st.start_time, best);
	}
	if (dp)
		closedir(dp);
	if (rc == -ENOMEM)
		fprintf(err, "scanning targets: out of memory\n");
	if (scan->nr)
		qsort(scan->procs, scan->nr, sizeof(*scan->procs), cmp_pid);
	return rc;
}

size_t cdmd_scan_recheck(struct cdmd_scan *scan, const char *proc_root)
{
	unsigned long long start;
	size_t i, n = 0;

	for (i = 0; i < scan->nr; i++)
		if (!cdmd_proc_start_time(proc_root, scan->procs[i].pid, &start) &&
		    start == scan->procs[i].start_time)
			scan->procs[n++] = scan->procs[i];
	i = scan->nr - n;
	scan->nr = n;
	return i;
}

int cdmd_proc_start_time(const char *proc_root, pid_t pid, unsigned long long *start_time)
{
	struct stat_info st;
	int rc = read_stat(proc_root, pid, &st);

	if (!rc)
		*start_time = st.start_time;
	return rc;
}

const struct cdmd_proc *cdmd_scan_find(const struct cdmd_scan *scan, pid_t pid)
{
	struct cdmd_proc key = { .pid = pid };

	return scan->nr ? bsearch(&key, scan->procs, scan->nr, sizeof(key), cmp_pid) : NULL;
}

void cdmd_scan_free(struct cdmd_scan *scan)
{
	free(scan->procs);
	memset(scan, 0, sizeof(*scan));
}
