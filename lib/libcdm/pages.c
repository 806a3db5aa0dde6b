// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What residency and migration walk: the VMAs of a process (from
 * /proc/PID/smaps, which also says whether a VMA holds transparent huge
 * pages), clipped to an optional range, and the size of such a huge page;
 * the same VMAs from /proc/PID/maps for callers that only ask where a
 * migration could find pages (cdm_get_movable_ranges());
 * and the doors to move_pages(2), migrate_pages(2) and PAGEMAP_SCAN they
 * go through, which host tests replace with a scripted kernel.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <numaif.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

static long page_size;

long cdm__page_size(void)
{
	if (!page_size)
		page_size = sysconf(_SC_PAGESIZE);
	return page_size;
}

void cdm__set_page_size(long size)
{
	page_size = size;
}

/*
 * A PMD-mapped THP spans hpage_pmd_size bytes: 2 MiB with 4 KiB pages,
 * but 512 MiB on arm64 with 64 KiB pages, 2 or 16 MiB on ppc64 (radix or
 * hash MMU). Without the file (a kernel built without THP) no block is
 * huge. Read once per context; two threads reading it at once read the
 * same value.
 */
long cdm__thp_pmd_size(struct cdm_ctx *ctx)
{
	long size = __atomic_load_n(&ctx->thp_pmd_size, __ATOMIC_RELAXED);
	char path[PATH_MAX];
	int rc;

	if (size)
		return size > 0 ? size : 0;
	rc = cdm__sysfs_path(ctx, path, sizeof(path),
			     "/kernel/mm/transparent_hugepage/hpage_pmd_size");
	if (!rc)
		rc = cdm__read_long(path, &size);
	if (!rc && (size <= 0 || size & (size - 1)))
		rc = -EINVAL;	/* a power of two, as every PMD */
	if (rc) {
		cdm_dbg(ctx, "%s: %s: no transparent huge pages", path, strerror(-rc));
		size = -1;
	}
	__atomic_store_n(&ctx->thp_pmd_size, size, __ATOMIC_RELAXED);
	return size > 0 ? size : 0;
}

long cdm__move_pages(struct cdm_ctx *ctx, pid_t pid, unsigned long count, void **pages,
		     const int *nodes, int *status, int flags)
{
	long rc;

	if (ctx->move_pages)
		return ctx->move_pages(ctx, pid, count, pages, nodes, status, flags);
	rc = move_pages(pid, count, pages, nodes, status, flags);
	return rc < 0 ? -errno : rc;
}

void cdm__set_move_pages(struct cdm_ctx *ctx, cdm_move_pages_fn fn)
{
	ctx->move_pages = fn;
}

/* maxnode counts bits and the kernel ignores the last one (as mbind's) */
long cdm__migrate_pages(struct cdm_ctx *ctx, pid_t pid, const struct cdm_nodeset *from,
			const struct cdm_nodeset *to)
{
	long rc;

	if (ctx->migrate_pages)
		return ctx->migrate_pages(ctx, pid, from, to);
	rc = migrate_pages(pid, CDM_MAX_NODES + 1, (const unsigned long *)from->bits,
			   (const unsigned long *)to->bits);
	return rc < 0 ? -errno : rc;
}

void cdm__set_migrate_pages(struct cdm_ctx *ctx, cdm_migrate_pages_fn fn)
{
	ctx->migrate_pages = fn;
}

/* One open per call (pagemap.c's): a migration asks once per chunk of up
 * to 64 MiB. A pagemap played by cdm__set_pagemap() has no ioctl. */
long cdm__pagemap_scan(struct cdm_ctx *ctx, pid_t pid, struct cdm_pm_scan_arg *arg)
{
	struct cdm_pagemap pm;
	long rc;

	if (ctx->pagemap_scan)
		return ctx->pagemap_scan(ctx, pid, arg);
	rc = cdm__pagemap_open(ctx, pid, &pm);
	if (!rc && pm.fd < 0)
		rc = -ENOTTY;
	if (!rc) {
		rc = ioctl(pm.fd, CDM_PAGEMAP_SCAN, arg);
		if (rc < 0)
			rc = -errno;
	}
	cdm__pagemap_close(&pm);
	return rc;
}

void cdm__set_pagemap_scan(struct cdm_ctx *ctx, cdm_pagemap_scan_fn fn)
{
	ctx->pagemap_scan = fn;
}

/* Exited, or a zombie: move_pages then says EINVAL (no mm), not ESRCH. */
static bool pid_gone(pid_t pid)
{
	char path[64], buf[512], *paren;
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	rc = cdm__read_file(path, buf, sizeof(buf));
	if (rc == -ENOENT || rc == -ESRCH)
		return true;
	paren = rc > 0 ? strrchr(buf, ')') : NULL;
	return paren && (paren[1] == ' ') && (paren[2] == 'Z' || paren[2] == 'X');
}

/*
 * What the kernel checks before it moves or looks at another process's
 * pages (find_mm_struct() in mm/migrate.c): ptrace read access with the
 * real credentials, EPERM without it; then the security modules' say
 * (security_task_movememory(), EACCES from SELinux or Smack). A move to a
 * node outside the process's cpuset is EACCES for the whole call, set by
 * the caller that knows the node (migrate.c). The two errnos are kept as
 * the kernel gave them.
 */
int cdm__pid_error_at(struct cdm_ctx *ctx, pid_t pid, int err, const char *what,
		      const char *file, int line, const char *fn)
{
	if (err == EINVAL && pid > 0 && pid_gone(pid))
		err = ESRCH;
	switch (err) {
	case ESRCH:
		return cdm__fail_at(ctx, err, file, line, fn, "pid %d: no such process", pid);
	case EPERM:
		return cdm__fail_at(ctx, err, file, line, fn, "pid %d: %s not permitted "
				    CDM_PTRACE_NEEDS, pid, what);
	case EACCES:
		return cdm__fail_at(ctx, err, file, line, fn, "pid %d: %s denied by a security "
				    "module (EACCES)", pid, what);
	default:
		return cdm__fail_at(ctx, err, file, line, fn, "pid %d: %s: %s", pid, what,
				    strerror(err));
	}
}

/*
 * move_pages(2) of no page still goes through the kernel's permission
 * checks: asked first, it says EPERM or EACCES before /proc/PID/smaps
 * would say EACCES for either. Other answers (no move_pages in this
 * kernel, a zombie's EINVAL) are left to the calls that follow.
 */
int cdm__check_access(struct cdm_ctx *ctx, pid_t pid, const char *what)
{
	long rc = cdm__move_pages(ctx, pid, 0, NULL, NULL, NULL, 0);

	if (rc == -EPERM || rc == -EACCES || rc == -ESRCH)
		return cdm__pid_error(ctx, pid, -rc, what);
	return 0;
}

int cdm__check_pid(struct cdm_ctx *ctx, pid_t pid)
{
	char path[64];

	if (pid < 0)
		return cdm__fail(ctx, EINVAL, "pid %d: invalid", pid);
	if (pid == 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (access(path, F_OK))
		return cdm__fail(ctx, ESRCH, "pid %d: no such process", pid);
	return 0;
}

int cdm__check_range(struct cdm_ctx *ctx, uint64_t start, uint64_t end)
{
	uint64_t mask = cdm__page_size() - 1;

	if (start >= end)
		return cdm__fail(ctx, EINVAL, "range 0x%" PRIx64 "-0x%" PRIx64 ": empty",
				 start, end);
	if ((start & mask) || (end & mask))
		return cdm__fail(ctx, EINVAL, "range 0x%" PRIx64 "-0x%" PRIx64
				 ": not page aligned", start, end);
	return 0;
}

int cdm__set_range(struct cdm_ctx *ctx, uint64_t *startp, uint64_t *endp,
		   uint64_t start, uint64_t end)
{
	int rc = cdm__check_range(ctx, start, end);

	if (rc)
		return rc;
	*startp = start;
	*endp = end;
	return 0;
}

/* Mappings whose pages move_pages cannot or must not touch. */
static bool special_vma(const char *perms, const char *name)
{
	if (perms[0] != 'r' && perms[1] != 'w' && perms[2] != 'x')
		return true;		/* PROT_NONE: guard pages, reservations */
	return !strcmp(name, "[vsyscall]") || !strncmp(name, "[vvar", 5) ||
	       !strcmp(name, "[vdso]");
}

/* Private memory of no file: what device-private pools take */
static bool anon_vma(const char *perms, const char *name)
{
	return perms[3] == 'p' && (!*name || *name == '[');
}

static int add_vma(struct cdm_vma **vmas, size_t *nr, size_t *cap,
		   uint64_t start, uint64_t end, bool thp, bool anon)
{
	struct cdm_vma *v;

	if (*nr == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		v = realloc(*vmas, *cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		*vmas = v;
	}
	(*vmas)[(*nr)++] = (struct cdm_vma){ .start = start, .end = end, .thp = thp,
					     .anon = anon };
	return 0;
}

/*
 * The VMAs of @pid in [@start, @end) (all when @end is 0) from /proc/PID/
 * @file: "smaps" also says which hold transparent huge pages, at the cost
 * of a walk of every page table of the process (cdm__find_huge() asks
 * PAGEMAP_SCAN instead); "maps" costs no walk.
 */
static int collect_vmas(struct cdm_ctx *ctx, pid_t pid, const char *file, uint64_t start,
			uint64_t end, struct cdm_vma **vmas, size_t *nr)
{
	uint64_t vstart = 0, vend = 0, lo, hi;
	bool have = false, thp = false, skip = true, anon = false;
	char path[64], line[PATH_MAX + 128], perms[8], name[PATH_MAX];
	unsigned long kb;
	size_t cap = 0;
	FILE *f;
	int rc = 0, err;

	*vmas = NULL;
	*nr = 0;
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	else
		snprintf(path, sizeof(path), "/proc/self/%s", file);
	f = fopen(path, "re");
	if (!f) {
		err = errno;
		if (err == EACCES)	/* procfs's own ptrace check (mm_access) */
			return cdm__fail(ctx, err, "pid %d: reading %s not permitted "
					 CDM_PTRACE_NEEDS, pid ? pid : getpid(), path);
		return cdm__pid_error(ctx, pid ? pid : getpid(), err == ENOENT ? ESRCH : err,
				      "reading the memory map");
	}
	/* One more iteration after EOF flushes the last VMA. */
	for (;;) {
		bool eof = !fgets(line, sizeof(line), f);
		uint64_t a, b;

		if (!eof && sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s", &a, &b, perms) != 3) {
			if (sscanf(line, "AnonHugePages: %lu kB", &kb) == 1 && kb)
				thp = true;
			continue;
		}
		/* a header line (or EOF): the previous VMA is complete */
		if (have && !skip) {
			lo = vstart;
			hi = vend;
			if (end) {
				lo = lo > start ? lo : start;
				hi = hi < end ? hi : end;
			}
			if (lo < hi && add_vma(vmas, nr, &cap, lo, hi, thp, anon)) {
				rc = cdm__fail(ctx, ENOMEM, "pid %d: out of memory", pid);
				break;
			}
		}
		if (eof)
			break;
		name[0] = '\0';
		sscanf(line, "%*s %*s %*s %*s %*s %4095s", name);
		vstart = a;
		vend = b;
		have = true;
		thp = false;
		skip = special_vma(perms, name);
		anon = anon_vma(perms, name);
	}
	if (!rc && ferror(f))
		rc = cdm__pid_error(ctx, pid, errno == EIO ? ESRCH : errno, "reading the memory map");
	fclose(f);
	/* a zombie's smaps reads empty: that is a gone process, not no memory */
	if (!rc && pid > 0 && pid_gone(pid))
		rc = cdm__fail(ctx, ESRCH, "pid %d: no such process", pid);
	if (rc) {
		free(*vmas);
		*vmas = NULL;
		*nr = 0;
	}
	return rc;
}

/* collect_vmas() of a range, which must hold some mapping */
static int collect_range_vmas(struct cdm_ctx *ctx, pid_t pid, const char *file, uint64_t start,
			      uint64_t end, struct cdm_vma **vmas, size_t *nr)
{
	int rc = collect_vmas(ctx, pid, file, start, end, vmas, nr);

	if (!rc && !*nr && end)
		rc = cdm__fail(ctx, EFAULT, "range 0x%" PRIx64 "-0x%" PRIx64 ": not mapped",
			       start, end);
	return rc;
}

int cdm__collect_ranges(struct cdm_ctx *ctx, pid_t pid, uint64_t start,
			uint64_t end, struct cdm_vma **vmas, size_t *nr)
{
	return collect_range_vmas(ctx, pid, "maps", start, end, vmas, nr);
}

/* regions asked of PAGEMAP_SCAN per call: a call goes on from where the
 * last one stopped, so this bounds the stack, not what is found */
#define HUGE_REGIONS	64

/*
 * Which of @vmas (address order, apart) hold a page mapped huge, by
 * PAGEMAP_SCAN over their span alone: the page tables of the range are
 * walked (a PMD at a time where huge), not the whole process's, as a
 * read of smaps would. 0, or -errno (ENOTTY, EINVAL: no PAGEMAP_SCAN).
 */
static int scan_huge(struct cdm_ctx *ctx, pid_t pid, struct cdm_vma *vmas, size_t nr)
{
	struct cdm_page_region found[HUGE_REGIONS];
	struct cdm_pm_scan_arg arg = {
		.size = sizeof(arg), .start = vmas[0].start, .end = vmas[nr - 1].end,
		.vec = (uintptr_t)found, .vec_len = HUGE_REGIONS,
		.category_mask = CDM_PAGE_IS_HUGE, .return_mask = CDM_PAGE_IS_HUGE,
	};
	size_t v = 0;
	long got, r;

	for (;;) {
		got = cdm__pagemap_scan(ctx, pid, &arg);
		if (got < 0)
			return got;
		for (r = 0; r < got; r++) {
			while (v < nr && vmas[v].end <= found[r].start)
				v++;
			for (; v < nr && vmas[v].start < found[r].end; v++)
				vmas[v].thp = true;
			if (v)
				v--;	/* the next region may fall in the last one too */
		}
		/* the walk stops early only when the regions filled the vec */
		if (got < HUGE_REGIONS || arg.walk_end >= arg.end || arg.walk_end <= arg.start)
			return 0;
		arg.start = arg.walk_end;
	}
}

int cdm__find_huge(struct cdm_ctx *ctx, pid_t pid, uint64_t start, uint64_t end,
		   struct cdm_vma **vmas, size_t *nr, int *scan_err)
{
	int rc;

	*scan_err = 0;
	if (!*nr)
		return 0;
	/* a kernel without THP has no hpage_pmd_size: smaps says */
	if (cdm__thp_pmd_size(ctx)) {
		rc = scan_huge(ctx, pid, *vmas, *nr);
		if (!rc)
			return 0;
		if (rc == -ESRCH || rc == -ENOENT)
			return cdm__fail(ctx, ESRCH, "pid %d: no such process", pid);
		/* before Linux 6.7, or pagemap not readable */
		*scan_err = -rc;
		cdm_dbg(ctx, "pid %d: PAGEMAP_SCAN: %s: huge pages from smaps", pid,
			strerror(-rc));
	}
	/* smaps walks every page table of the process */
	free(*vmas);
	return collect_range_vmas(ctx, pid, "smaps", start, end, vmas, nr);
}

CDM_EXPORT int cdm_get_movable_ranges(struct cdm_ctx *ctx, pid_t pid, uint64_t start,
				      uint64_t end, struct cdm_range **ranges, size_t *nr)
{
	struct cdm_vma *vmas = NULL;
	struct cdm_range *r = NULL;
	size_t n = 0, i;
	int rc;

	if (!ctx || !ranges || !nr)
		return -EINVAL;
	*ranges = NULL;
	*nr = 0;
	if (pid < 0)
		return cdm__fail(ctx, EINVAL, "pid %d: not a process id", pid);
	if (start || end) {
		rc = cdm__check_range(ctx, start, end);
		if (rc)
			return rc;
	}
	rc = collect_vmas(ctx, pid, "maps", start, end, &vmas, &n);
	if (rc)
		return rc;
	if (n) {
		r = calloc(n, sizeof(*r));
		if (!r) {
			free(vmas);
			return cdm__fail(ctx, ENOMEM, "pid %d: out of memory for %zu ranges", pid, n);
		}
	}
	for (i = 0; i < n; i++)
		r[i] = (struct cdm_range){ .start = vmas[i].start, .end = vmas[i].end };
	free(vmas);
	*ranges = r;
	*nr = n;
	return 0;
}
