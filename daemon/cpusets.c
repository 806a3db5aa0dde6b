// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * isolate_cpusets (cpusets.h): the top-level cgroups' cpuset.mems kept
 * on the nodes with CPUs, as configs/cgroup-cpuset.md does by hand. A
 * round reads the root's two controller files, /proc/PID/cgroup of the
 * managed processes and each top-level cgroup's cpuset.mems, and writes
 * only what differs. Nothing below the top level is touched: in cgroup
 * v2 a cgroup's effective nodes are within its parent's.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpusets.h"
#include "targets.h"

/* a node list as text: 1024 nodes, every other one, take 2.5 KB */
#define MEMS_MAX	8192
/* cgroup.controllers, cgroup.subtree_control, /proc/PID/cgroup */
#define SMALL_MAX	4096
/* the longest file name cdmd reads in a cgroup directory, and its '/' */
#define FILE_NAME_MAX	sizeof("/cgroup.subtree_control")
/* garbage is shown this long at most */
#define SHOW_MAX	40

/*
 * Up to @size - 1 bytes of @path into @buf, without the trailing white
 * space, NUL-terminated. Never waits (O_NONBLOCK: a FIFO in place of a
 * cgroup file reads as empty). The length, or -errno; -EFBIG when the
 * file holds more.
 */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n = 0;
	char more;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	if (n > 0)
		n = read(fd, &more, 1) > 0 ? -EFBIG : 0;
	else if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	while (len && isspace((unsigned char)buf[len - 1]))
		len--;
	buf[len] = '\0';
	return len;
}

/*
 * @value and a newline, in one write as a cgroup file takes it. No
 * O_TRUNC: a cgroup file has no length, each write sets it anew.
 */
static int write_value(const char *path, const char *value)
{
	char buf[MEMS_MAX + 1];
	int fd, len, rc = 0;
	ssize_t n;

	len = snprintf(buf, sizeof(buf), "%s\n", value);
	if (len >= (int)sizeof(buf))
		return -E2BIG;
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		rc = -errno;
	else if (n != len)
		rc = -EIO;
	if (close(fd) && !rc)
		rc = -errno;
	return rc;
}

/* @word among the white-space separated words of @s */
static bool has_word(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (s += strspn(s, " \t\n"); *s; s += strspn(s, " \t\n")) {
		if (!strncmp(s, word, n) && (!s[n] || isspace((unsigned char)s[n])))
			return true;
		s += strcspn(s, " \t\n");
	}
	return false;
}

/* @len bytes of what was read, printable and cut short, for a message */
static const char *shown(const char *s, size_t len, char *buf)
{
	size_t i;

	for (i = 0; i < len && i < SHOW_MAX; i++)
		buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	strcpy(buf + i, len > SHOW_MAX ? "..." : "");
	return buf;
}

static int parse_node(const char **p, const char *end, unsigned int *node)
{
	const char *s = *p;
	unsigned int n = 0;

	if (s == end || !isdigit((unsigned char)*s))
		return -EINVAL;
	for (; s < end && isdigit((unsigned char)*s); s++) {
		n = n * 10 + (*s - '0');
		if (n >= CDM_MAX_NODES)
			return -ERANGE;
	}
	*p = s;
	*node = n;
	return 0;
}

/* The kernel's node list ("0-1,3"; "" for none) of @len bytes at @s */
static int parse_list(const char *s, size_t len, struct cdm_nodeset *set)
{
	const char *end = s + len;
	unsigned int a, b;
	int rc;

	cdm_nodeset_zero(set);
	if (!len)
		return 0;
	for (;;) {
		rc = parse_node(&s, end, &a);
		if (rc)
			return rc;
		b = a;
		if (s < end && *s == '-') {
			s++;
			rc = parse_node(&s, end, &b);
			if (rc)
				return rc;
			if (b < a)
				return -EINVAL;
		}
		while (a <= b)
			cdm_nodeset_add(set, a++);
		if (s == end)
			return 0;
		if (*s++ != ',')
			return -EINVAL;
	}
}

/* A problem on @err unless it is the one said last (*@said); returns @rc */
static int __attribute__((format(printf, 4, 5)))
say(int *said, int rc, FILE *err, const char *fmt, ...)
{
	va_list args;

	if (*said != rc) {
		va_start(args, fmt);
		vfprintf(err, fmt, args);
		va_end(args);
	}
	*said = rc;
	return rc;
}

/* ---- who holds a managed process ---- */

struct holder {
	char name[NAME_MAX + 1];	/* a top-level cgroup */
	pid_t pid;			/* one of the scan's processes in it */
};

/*
 * The top-level cgroup of @pid, "system.slice" of /proc/PID/cgroup's
 * "0::/system.slice/ssh.service", into @name. False when it has none:
 * gone, in the root cgroup, or not in cgroup v2.
 */
static bool top_cgroup(const char *proc_root, pid_t pid, char *name, size_t size)
{
	char path[PATH_MAX], buf[SMALL_MAX], *line, *save;
	size_t len;

	snprintf(path, sizeof(path), "%s/%d/cgroup", proc_root, pid);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return false;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "0::/", 4))
			continue;
		len = strcspn(line + 4, "/");
		if (!len || len >= size)
			return false;
		memcpy(name, line + 4, len);
		name[len] = '\0';
		return true;
	}
	return false;
}

/* The top-level cgroups that hold a process of @scan, one pid of each */
static int find_holders(const struct cdmd_scan *scan, const char *proc_root,
			struct holder **holders, size_t *nr)
{
	struct holder *h, *all = NULL;
	size_t i, j, n = 0;
	char name[NAME_MAX + 1];

	for (i = 0; i < scan->nr; i++) {
		if (!top_cgroup(proc_root, scan->procs[i].pid, name, sizeof(name)))
			continue;
		for (j = 0; j < n && strcmp(all[j].name, name); j++)
			;
		if (j < n)
			continue;
		h = realloc(all, (n + 1) * sizeof(*all));
		if (!h) {
			free(all);
			return -ENOMEM;
		}
		all = h;
		strcpy(all[n].name, name);
		all[n++].pid = scan->procs[i].pid;
	}
	*holders = all;
	*nr = n;
	return 0;
}

static const struct holder *holder_of(const struct holder *holders, size_t nr, const char *name)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (!strcmp(holders[i].name, name))
			return &holders[i];
	return NULL;
}

/* ---- the top-level cgroups ---- */

static const char *name_of(const struct cdmd_cpusets *st, const struct cdmd_cpuset *c)
{
	return c->path + strlen(st->root) + 1;
}

static struct cdmd_cpuset *find_cgroup(const struct cdmd_cpusets *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->nr; i++)
		if (!strcmp(name_of(st, &st->cgroups[i]), name))
			return &st->cgroups[i];
	return NULL;
}

/* @name's entry, made when it is new; NULL when out of memory */
static struct cdmd_cpuset *cgroup_of(struct cdmd_cpusets *st, const char *name)
{
	struct cdmd_cpuset *c = find_cgroup(st, name);
	char *path;

	if (c)
		return c;
	if (st->nr == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 8;

		c = realloc(st->cgroups, cap * sizeof(*c));
		if (!c)
			return NULL;
		st->cgroups = c;
		st->cap = cap;
	}
	if (asprintf(&path, "%s/%s", st->root, name) < 0)
		return NULL;
	c = &st->cgroups[st->nr++];
	*c = (struct cdmd_cpuset){ .path = path };
	return c;
}

/* the cgroups the last walk did not find are gone */
static void forget_unseen(struct cdmd_cpusets *st)
{
	size_t i, n = 0;

	for (i = 0; i < st->nr; i++) {
		if (st->cgroups[i].seen) {
			st->cgroups[n++] = st->cgroups[i];
			continue;
		}
		free(st->cgroups[i].path);
		free(st->cgroups[i].old);
	}
	st->nr = n;
}

/* a directory, not a link to one */
static bool is_dir(DIR *dp, const struct dirent *d)
{
	struct stat sb;

	if (d->d_type != DT_UNKNOWN)
		return d->d_type == DT_DIR;
	return !fstatat(dirfd(dp), d->d_name, &sb, AT_SYMLINK_NOFOLLOW) && S_ISDIR(sb.st_mode);
}

/*
 * The cpuset controller on in the root's cgroup.subtree_control, which
 * gives each top-level cgroup its cpuset files: 1 when cdmd wrote it, 0
 * when it was on, -errno
 */
static int enable_cpuset(struct cdmd_cpusets *st, FILE *err)
{
	char path[PATH_MAX], buf[SMALL_MAX];
	ssize_t n;
	int rc;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", st->root);
	n = read_file(path, buf, sizeof(buf));
	if (n < 0)
		return say(&st->said, n, err, "%s: %s\n", path, strerror(-n));
	if (!has_word(buf, "cpuset"))
		return say(&st->said, -EOPNOTSUPP, err,
			   "%s: no cpuset controller (bound to a cgroup v1 hierarchy?)\n", path);
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", st->root);
	n = read_file(path, buf, sizeof(buf));
	if (n < 0)
		return say(&st->said, n, err, "%s: %s\n", path, strerror(-n));
	if (has_word(buf, "cpuset"))
		return 0;
	rc = write_value(path, "+cpuset");
	if (rc)
		return say(&st->said, rc, err, "%s: writing +cpuset: %s\n", path, strerror(-rc));
	st->enabled = true;
	return 1;
}

/*
 * @c's cpuset.mems back to what it was: 0, or 1 when it was empty and
 * the kernel refused to empty it again, so that it got the root's nodes,
 * all of them, which an empty one inherits; -errno
 */
static int put_back(const struct cdmd_cpusets *st, const struct cdmd_cpuset *c)
{
	char path[PATH_MAX], root_mems[PATH_MAX], all[MEMS_MAX];
	ssize_t n;
	int rc;

	snprintf(path, sizeof(path), "%s/cpuset.mems", c->path);
	rc = write_value(path, c->old);
	if (rc != -ENOSPC || *c->old)
		return rc;
	/* kernel/cgroup/cpuset.c, validate_change(): a cgroup with
	 * processes may not go from some nodes to none */
	snprintf(root_mems, sizeof(root_mems), "%s/cpuset.mems.effective", st->root);
	n = read_file(root_mems, all, sizeof(all));
	if (n <= 0)
		return n ? n : rc;
	rc = write_value(path, all);
	return rc ? rc : 1;
}

/* @c holds @pid of a target, whose nodes are its own business: what
 * cdmd took from it, it gets back. 1 when written, 0, -errno */
static int leave_alone(const struct cdmd_cpusets *st, struct cdmd_cpuset *c, pid_t pid,
		       FILE *err)
{
	int rc;

	if (!c->held)
		fprintf(err, "%s: cpuset.mems left alone: it holds pid %d, a target's process, "
			"which may use the device nodes\n", c->path, pid);
	c->held = true;
	if (!c->old || c->fell_back)
		return 0;
	rc = put_back(st, c);
	if (rc < 0)
		return say(&c->said, rc, err, "%s/cpuset.mems: writing back '%s': %s\n", c->path,
			   c->old, strerror(-rc));
	c->said = 0;
	if (rc == 1) {		/* "" stays what restore gives back */
		c->fell_back = true;
		return 1;
	}
	free(c->old);
	c->old = NULL;
	return 1;
}

/* @c on the nodes @fast (@want as text): 1 when written, 0 when it was
 * on them, -errno */
static int isolate(struct cdmd_cpuset *c, const struct cdm_nodeset *fast, const char *want,
		   FILE *err)
{
	char path[PATH_MAX], cur[MEMS_MAX], show[SHOW_MAX + 4];
	struct cdm_nodeset set;
	bool saved = false;
	ssize_t n;
	int rc;

	c->held = false;
	snprintf(path, sizeof(path), "%s/cpuset.mems", c->path);
	n = read_file(path, cur, sizeof(cur));
	if (n < 0)
		return say(&c->said, n, err, "%s: %s\n", path, strerror(-n));
	if (parse_list(cur, n, &set))
		return say(&c->said, -EINVAL, err, "%s: not a node list: '%s'\n", path,
			   shown(cur, n, show));
	if (!memcmp(set.bits, fast->bits, sizeof(set.bits))) {
		c->said = 0;
		return 0;
	}
	if (!c->old) {
		c->old = strdup(cur);
		if (!c->old)
			return say(&c->said, -ENOMEM, err, "%s: out of memory\n", path);
		saved = true;
	}
	rc = write_value(path, want);
	if (rc) {
		if (saved) {
			free(c->old);
			c->old = NULL;
		}
		return say(&c->said, rc, err, "%s: writing %s: %s\n", path, want, strerror(-rc));
	}
	c->fell_back = false;
	c->said = 0;
	return 1;
}

/* ---- the journal ---- */

/* @s as "LEN:BYTES": a cgroup's name may hold any byte but '/' and NUL */
static void put_field(FILE *f, const char *s)
{
	fprintf(f, "%zu:%s", strlen(s), s);
}

/* a "LEN:BYTES" field into @buf of @size; -EINVAL for anything else */
static int get_field(FILE *f, char *buf, size_t size)
{
	size_t len;

	if (fscanf(f, " %zu:", &len) != 1 || len >= size)
		return -EINVAL;
	if (len && fread(buf, 1, len, f) != len)
		return -EINVAL;
	buf[len] = '\0';
	return strlen(buf) == len ? 0 : -EINVAL;
}

/* What cdmd changed, written down in st->journal (a new file renamed
 * over the old), or the journal removed when there is nothing */
static int journal_write(const struct cdmd_cpusets *st)
{
	unsigned long long start = 0;
	char tmp[PATH_MAX], *slash;
	bool any = st->enabled;
	size_t i;
	FILE *f;

	if (!st->journal)
		return 0;
	for (i = 0; i < st->nr; i++)
		any |= st->cgroups[i].old != NULL;
	if (!any || !st->root)
		return unlink(st->journal) && errno != ENOENT ? -errno : 0;
	if (snprintf(tmp, sizeof(tmp), "%s.new", st->journal) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	slash = strrchr(tmp, '/');
	if (slash && slash != tmp) {	/* /run/cdmd, when nothing made it yet */
		*slash = '\0';
		mkdir(tmp, 0755);
		*slash = '/';
	}
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	cdmd_proc_start_time("/proc", getpid(), &start);
	fprintf(f, "cdmd %d %llu\nroot ", (int)getpid(), start);
	put_field(f, st->root);
	fprintf(f, "\nenabled %d\n", st->enabled);
	for (i = 0; i < st->nr; i++) {
		const struct cdmd_cpuset *c = &st->cgroups[i];

		if (!c->old)
			continue;
		fprintf(f, "cgroup %d ", c->fell_back);
		put_field(f, name_of(st, c));
		fputc(' ', f);
		put_field(f, c->old);
		fputc('\n', f);
	}
	if (fclose(f) || rename(tmp, st->journal)) {
		int rc = -errno;

		unlink(tmp);
		return rc;
	}
	return 0;
}

/* A cgroup a journal names: a direct child's name, its old value a
 * node list; into @st (whose root is set) */
static int take_cgroup(struct cdmd_cpusets *st, int fell_back, const char *name, const char *old)
{
	struct cdm_nodeset set;
	struct cdmd_cpuset *c;

	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
	    parse_list(old, strlen(old), &set) || find_cgroup(st, name))
		return -EINVAL;
	c = cgroup_of(st, name);
	if (!c)
		return -ENOMEM;
	c->old = strdup(old);
	if (!c->old)
		return -ENOMEM;
	c->fell_back = fell_back;
	return 0;
}

void cdmd_cpusets_free(struct cdmd_cpusets *st)
{
	size_t i;

	for (i = 0; i < st->nr; i++) {
		free(st->cgroups[i].path);
		free(st->cgroups[i].old);
	}
	free(st->cgroups);
	free(st->root);
	free(st->journal);
	memset(st, 0, sizeof(*st));
}

int cdmd_cpusets_take_over(struct cdmd_cpusets *st, const char *journal,
			   const char *cgroup_root, const char *proc_root, FILE *err)
{
	char root[PATH_MAX], name[NAME_MAX + 1], old[MEMS_MAX], word[16], *keep;
	unsigned long long start, now;
	int pid, enabled, fell_back, rc = 0;
	FILE *f;

	if (st->root)
		return say(&st->said, -EBUSY, err, "%s: cpusets already kept under %s\n", journal,
			   st->root);
	free(st->journal);
	st->journal = strdup(journal);
	if (!st->journal)
		return say(&st->said, -ENOMEM, err, "%s: out of memory\n", journal);
	f = fopen(journal, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		rc = -errno;
		fprintf(err, "%s: %s\n", journal, strerror(-rc));
		return rc;
	}
	if (fscanf(f, "%15s %d %llu", word, &pid, &start) != 3 || strcmp(word, "cdmd") ||
	    pid <= 0) {
		rc = -EINVAL;
		goto out;
	}
	if (!cdmd_proc_start_time(proc_root, pid, &now) && now == start) {
		fprintf(err, "%s: written by cdmd %d, which runs: left alone, and no journal "
			"kept by this cdmd\n", journal, pid);
		fclose(f);
		free(st->journal);
		st->journal = NULL;
		return 0;
	}
	if (fscanf(f, " %15s", word) != 1 || strcmp(word, "root") ||
	    get_field(f, root, sizeof(root)) || strcmp(root, cgroup_root) ||
	    fscanf(f, " %15s %d", word, &enabled) != 2 || strcmp(word, "enabled") ||
	    (enabled != 0 && enabled != 1)) {
		rc = -EINVAL;
		goto out;
	}
	st->root = strdup(root);
	if (!st->root) {
		rc = -ENOMEM;
		goto out;
	}
	st->enabled = enabled;
	/* then "cgroup FELL_BACK NAME OLD" lines, and nothing else */
	while (fscanf(f, " %15s", word) == 1) {
		if (strcmp(word, "cgroup") || fscanf(f, "%d", &fell_back) != 1 ||
		    (fell_back != 0 && fell_back != 1) || get_field(f, name, sizeof(name)) ||
		    get_field(f, old, sizeof(old))) {
			rc = -EINVAL;
			goto out;
		}
		rc = take_cgroup(st, fell_back, name, old);
		if (rc)
			goto out;
	}
out:
	fclose(f);
	if (!rc) {
		fprintf(err, "%s: cdmd %d, which is gone, changed the cpuset.mems of %zu cgroups%s: "
			"taken over, to be given back\n", journal, pid, st->nr,
			st->enabled ? " and enabled the controller" : "");
		rc = journal_write(st);		/* this cdmd's now */
		if (rc)
			fprintf(err, "%s: %s\n", journal, strerror(-rc));
		return (int)st->nr;
	}
	if (rc == -EINVAL)
		fprintf(err, "%s: not a journal of cdmd's for %s: not taken over, removed\n",
			journal, cgroup_root);
	else
		fprintf(err, "%s: %s: not taken over, removed\n", journal, strerror(-rc));
	unlink(journal);
	keep = st->journal;
	st->journal = NULL;
	cdmd_cpusets_free(st);
	st->journal = keep;
	return rc;
}

int cdmd_cpusets_apply(struct cdmd_cpusets *st, const char *cgroup_root,
		       const struct cdm_nodeset *fast, const struct cdmd_scan *scan,
		       const char *proc_root, FILE *err)
{
	struct holder *holders = NULL;
	const struct holder *h;
	struct cdmd_cpuset *c;
	char want[MEMS_MAX];
	size_t i, nr_holders;
	int rc, changed, written;
	struct dirent *d;
	DIR *dp;

	if (strlen(cgroup_root) + 1 + NAME_MAX + FILE_NAME_MAX > PATH_MAX)
		return say(&st->said, -ENAMETOOLONG, err, "%s: %s\n", cgroup_root,
			   strerror(ENAMETOOLONG));
	if (st->root && strcmp(st->root, cgroup_root))
		return say(&st->said, -EINVAL, err, "%s: cpusets are kept under %s until restored\n",
			   cgroup_root, st->root);
	if (!cdm_nodeset_weight(fast) || cdm_nodeset_format(fast, want, sizeof(want)) < 0)
		return say(&st->said, -EINVAL, err,
			   "%s: no memory node with CPUs to keep the top-level cgroups on\n",
			   cgroup_root);
	if (!st->root && !(st->root = strdup(cgroup_root)))
		return say(&st->said, -ENOMEM, err, "%s: out of memory\n", cgroup_root);
	changed = enable_cpuset(st, err);
	if (changed < 0)
		return changed;
	rc = find_holders(scan, proc_root, &holders, &nr_holders);
	if (rc)
		return say(&st->said, rc, err, "%s: out of memory\n", proc_root);
	dp = opendir(st->root);
	if (!dp) {
		rc = say(&st->said, -errno, err, "%s: %s\n", st->root, strerror(errno));
		goto out;
	}
	for (i = 0; i < st->nr; i++)
		st->cgroups[i].seen = false;
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.' || !is_dir(dp, d))
			continue;
		c = cgroup_of(st, d->d_name);
		if (!c) {
			rc = say(&st->said, -ENOMEM, err, "%s: out of memory\n", st->root);
			break;
		}
		c->seen = true;
		h = holder_of(holders, nr_holders, d->d_name);
		if ((h ? leave_alone(st, c, h->pid, err) : isolate(c, fast, want, err)) > 0)
			changed++;
	}
	closedir(dp);
	if (!rc) {
		forget_unseen(st);
		st->said = 0;
	}
out:
	free(holders);
	if (changed > 0 && (written = journal_write(st)))
		say(&st->journal_said, written, err, "%s: %s: a cdmd killed now could not give "
		    "back what it changed\n", st->journal, strerror(-written));
	else if (changed > 0)
		st->journal_said = 0;
	return rc ? rc : changed;
}

/* ---- giving it back ---- */

/*
 * Why the controller must stay on: a top-level cgroup that enables it
 * below itself, or has cpuset values that cdmd did not write; into @why
 */
static bool cpuset_in_use(const struct cdmd_cpusets *st, char *why, size_t len)
{
	static const char *const files[] = {
		"cgroup.subtree_control", "cpuset.cpus", "cpuset.cpus.exclusive", "cpuset.mems",
	};
	char path[PATH_MAX], buf[MEMS_MAX], show[SHOW_MAX + 4];
	const struct cdmd_cpuset *c;
	bool used = false;
	struct dirent *d;
	ssize_t n;
	size_t i;
	DIR *dp;

	dp = opendir(st->root);
	while (dp && !used && (d = readdir(dp))) {
		if (d->d_name[0] == '.' || !is_dir(dp, d))
			continue;
		c = find_cgroup(st, d->d_name);
		for (i = 0; i < sizeof(files) / sizeof(files[0]) && !used; i++) {
			snprintf(path, sizeof(path), "%s/%s/%s", st->root, d->d_name, files[i]);
			n = read_file(path, buf, sizeof(buf));
			if (n <= 0)
				continue;
			if (i == 0)
				used = has_word(buf, "cpuset");
			else if (i < 3)
				used = true;
			else	/* cdmd's: what it wrote, or the root's nodes for an empty one */
				used = !c || !c->old || *c->old;
			if (used)
				snprintf(why, len, "%s is '%s'", path, shown(buf, n, show));
		}
	}
	if (dp)
		closedir(dp);
	return used;
}

/* -cpuset at the root, unless someone else uses it; true when done */
static bool disable_cpuset(const struct cdmd_cpusets *st, FILE *err)
{
	char path[PATH_MAX], why[PATH_MAX + 64];
	int rc;

	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", st->root);
	if (cpuset_in_use(st, why, sizeof(why))) {
		fprintf(err, "%s: cpuset left enabled: %s\n", path, why);
		return false;
	}
	rc = write_value(path, "-cpuset");
	if (rc)
		fprintf(err, "%s: cpuset left enabled: writing -cpuset: %s\n", path, strerror(-rc));
	return !rc;
}

void cdmd_cpusets_restore(struct cdmd_cpusets *st, FILE *err)
{
	struct cdmd_cpuset *c;
	char *journal;
	bool disabled = false;
	size_t i;
	int rc;

	for (i = 0; i < st->nr; i++) {
		c = &st->cgroups[i];
		if (!c->old)
			continue;
		rc = put_back(st, c);
		if (rc == 1)
			c->fell_back = true;
		else if (rc < 0 && rc != -ENOENT)	/* -ENOENT: gone */
			fprintf(err, "%s/cpuset.mems: writing back '%s': %s\n", c->path, c->old,
				strerror(-rc));
	}
	if (st->enabled)
		disabled = disable_cpuset(st, err);
	for (i = 0; i < st->nr; i++) {
		c = &st->cgroups[i];
		if (c->fell_back && !disabled)
			fprintf(err, "%s/cpuset.mems: was empty (all nodes); the kernel does not "
				"empty it while the cgroup has processes: it has the root's "
				"cpuset.mems.effective instead\n", c->path);
		free(c->path);
		free(c->old);
	}
	free(st->cgroups);
	free(st->root);
	journal = st->journal;
	memset(st, 0, sizeof(*st));
	st->journal = journal;
	if (journal && unlink(journal) && errno != ENOENT)
		fprintf(err, "%s: %s\n", journal, strerror(errno));
}
