// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fakepool.so: the cdm_private driver's character devices for cdmctl's
 * host tests (tests/host/cdmctl-devices.t), put in front of libc's open()
 * and ioctl() with LD_PRELOAD. No host has /dev/cdm_privateN; this
 * answers libcdm's ioctls for the pools a test names, so that cdmctl
 * devices and cdmctl migrate --to/--from POOL run to their end without
 * the module, root or a VM. Nothing moves: a migration only counts.
 *
 *   FAKEPOOL_IDS=0,3     the pools whose device opens (the others fail
 *                        with ENOENT, as on any host)
 *   FAKEPOOL_OPEN_ERRNO=E  opening any of them fails with errno E
 *                        (EACCES: not root)
 *   FAKEPOOL_ABI=N       INFO answers ABI version N (default 1)
 *   FAKEPOOL_DONE=N      each TO_DEVICE/TO_RAM call moves at most N pages
 *                        (default: every page it is given)
 *   FAKEPOOL_FAIL_AT=N   the Nth TO_DEVICE/TO_RAM call (from 1) fails, with
 *   FAKEPOOL_ERRNO=E     errno E (default ENOMEM: the pool is full)
 *   FAKEPOOL_LOG=FILE    one line per such call: "to_device NPAGES DONE"
 *                        or "to_ram ...", DONE "-" for a failed call
 *
 * Pool N's counters are fixed, for a test to check field by field:
 * capacity (N + 1) GiB, allocated (N + 1) * 256 MiB, used (N + 1) * 4 MiB;
 * pages_on_device, to_device, to_ram, cpu_faults, fail_busy, fail_nomem,
 * fail_other 1000 * (N + 1) + 1 ... + 7. SNAPSHOT says no page is on the
 * device. Every other open() and ioctl() is the system call's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/cdm_private.h>

#define MAX_FDS 1024

static int pool_of_fd[MAX_FDS];	/* pool id + 1 of a fake device's fd, 0: none */
static unsigned long move_calls;

static int env_int(const char *name, int dflt)
{
	const char *s = getenv(name);

	return s && *s ? atoi(s) : dflt;
}

/* N of "/dev/cdm_privateN" when FAKEPOOL_IDS lists it, else -1 */
static int faked_pool(const char *path)
{
	const char *ids = getenv("FAKEPOOL_IDS"), *p;
	char *end;
	long id, n;

	if (!ids || strncmp(path, "/dev/cdm_private", 16))
		return -1;
	id = strtol(path + 16, &end, 10);
	if (end == path + 16 || *end || id < 0)
		return -1;
	for (p = ids; *p; p = *end ? end + 1 : end) {
		n = strtol(p, &end, 10);
		if (end == p)
			return -1;
		if (n == id)
			return id;
	}
	return -1;
}

static int open_path(const char *path, int flags, mode_t mode)
{
	int id = faked_pool(path), err = env_int("FAKEPOOL_OPEN_ERRNO", 0), fd;

	if (id < 0)
		return syscall(SYS_openat, AT_FDCWD, path, flags, mode);
	if (err) {
		errno = err;
		return -1;
	}
	fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", flags, 0);
	if (fd >= 0 && fd < MAX_FDS)
		pool_of_fd[fd] = id + 1;
	return fd;
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list args;

	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
		va_start(args, flags);
		mode = va_arg(args, mode_t);
		va_end(args);
	}
	return open_path(path, flags, mode);
}

int open64(const char *path, int flags, ...)
	__attribute__((alias("open")));

int close(int fd)
{
	if (fd >= 0 && fd < MAX_FDS)
		pool_of_fd[fd] = 0;
	return syscall(SYS_close, fd);
}

static void log_move(const char *what, unsigned long long npages, long long done)
{
	const char *path = getenv("FAKEPOOL_LOG");
	FILE *f;

	if (!path || !(f = fopen(path, "a")))
		return;
	if (done < 0)
		fprintf(f, "%s %llu -\n", what, npages);
	else
		fprintf(f, "%s %llu %lld\n", what, npages, done);
	fclose(f);
}

static int fake_ioctl(int id, unsigned long req, void *arg)
{
	unsigned long long n = id + 1, max;
	struct cdm_private_range *range = arg;
	struct cdm_private_stats *stats = arg;
	struct cdm_private_info *info = arg;
	const char *what = "to_device";

	switch (_IOC_NR(req)) {
	case _IOC_NR(CDM_PRIVATE_IOC_INFO):
		info->abi_version = env_int("FAKEPOOL_ABI", CDM_PRIVATE_ABI_VERSION);
		info->page_size = sysconf(_SC_PAGESIZE);
		info->pool_id = id;
		info->capacity = n << 30;
		info->allocated = n << 28;
		info->chunk = 1 << 28;
		info->used = n << 22;
		return 0;
	case _IOC_NR(CDM_PRIVATE_IOC_STATS):
		stats->pages_on_device = 1000 * n + 1;
		stats->to_device = 1000 * n + 2;
		stats->to_ram = 1000 * n + 3;
		stats->cpu_faults = 1000 * n + 4;
		stats->fail_busy = 1000 * n + 5;
		stats->fail_nomem = 1000 * n + 6;
		stats->fail_other = 1000 * n + 7;
		return 0;
	case _IOC_NR(CDM_PRIVATE_IOC_TO_RAM):
		what = "to_ram";
		/* fall through */
	case _IOC_NR(CDM_PRIVATE_IOC_TO_DEVICE):
		if (++move_calls == (unsigned long)env_int("FAKEPOOL_FAIL_AT", 0)) {
			log_move(what, range->npages, -1);
			errno = env_int("FAKEPOOL_ERRNO", ENOMEM);
			return -1;
		}
		max = env_int("FAKEPOOL_DONE", -1) < 0 ? range->npages :
		      (unsigned long long)env_int("FAKEPOOL_DONE", 0);
		range->done = range->npages < max ? range->npages : max;
		log_move(what, range->npages, range->done);
		return 0;
	case _IOC_NR(CDM_PRIVATE_IOC_SNAPSHOT):
		memset((void *)(uintptr_t)range->buf, CDM_PRIVATE_PAGE_NONE, range->npages);
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list args;
	void *arg;

	va_start(args, req);
	arg = va_arg(args, void *);
	va_end(args);
	if (fd >= 0 && fd < MAX_FDS && pool_of_fd[fd] && _IOC_TYPE(req) == CDM_PRIVATE_IOC_MAGIC)
		return fake_ioctl(pool_of_fd[fd] - 1, req, arg);
	return syscall(SYS_ioctl, fd, req, arg);
}
