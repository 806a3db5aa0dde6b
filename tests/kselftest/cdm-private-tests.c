// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdm-private-tests: the user ABI of cdm_private.ko, pools of device-private
 * memory, as kernel/drivers/cxl-cdm/uapi/linux/cdm_private.h promises it,
 * on /dev/cdm_private0 (and /dev/cdm_private1 where a test needs a second
 * pool).
 *
 *   dev   the pool itself and memory that is not plain anonymous memory:
 *         open/close, INFO, growth by chunks and the size limit, a mix of
 *         populated and unpopulated pages, shared and file mappings, device
 *         exclusive access, a second pool, other processes (pidfd, EPERM);
 *   anon  private anonymous memory, once of small pages and once of THP
 *         (variants "page" and "thp"): device reads and writes, migration
 *         both ways and by CPU fault, close, exit, fork, munmap, mremap,
 *         mprotect, MADV_DONTNEED with pages on the device, memcg charges;
 *   abi   every argument the driver must refuse, and how.
 *
 * Tests compare counters of the pool before and after (STATS), so they
 * expect to be alone on pool 0; pool_growth expects a pool that is not
 * full grown yet (tests/vm/guest/cdm-private.sh loads the module afresh).
 * CDM_PRIVATE_CAPACITY_MB and CDM_PRIVATE_CHUNK_MB, when set, are the
 * module parameters INFO must report.
 */
#include "kselftest_harness.h"
#include "cdm-private.h"

#include <grp.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/magic.h>

/*
 * The harness's TEST_F wrapper reads a local after longjmp() and so sets
 * off -Wclobbered, which -Wextra enables (the kernel's selftest Makefiles
 * build without it).
 */
#pragma GCC diagnostic ignored "-Wclobbered"

#define MIB		(1UL << 20)
#define THP_SIZE	(2UL << 20)
#define BUF_SIZE	(4 * MIB)	/* two THP */
#define NOBODY		65534

static const char no_device[] = "no /dev/cdm_private0: cdm_private.ko is not loaded";

/*
 * SIZE bytes of private anonymous memory at a 2 MiB boundary, of THP
 * (MADV_HUGEPAGE) or never of THP (MADV_NOHUGEPAGE); NULL on failure.
 */
static char *map_anon(size_t size, bool thp)
{
	size_t len = size + THP_SIZE;
	char *p, *a;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)p + THP_SIZE - 1) & ~(THP_SIZE - 1));
	if (a > p)
		munmap(p, a - p);
	munmap(a + size, p + len - (a + size));
	if (madvise(a, size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		munmap(a, size);
		return NULL;
	}
	return a;
}

static bool thp_disabled(void)
{
	char mode[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (!f)
		return true;
	if (!fgets(mode, sizeof(mode), f))
		mode[0] = '\0';
	fclose(f);
	return !mode[0] || strstr(mode, "[never]");
}

/* AnonHugePages of the mapping that holds ADDR, in kB; -1 if not found */
static long anon_huge_kb(const void *addr)
{
	unsigned long start, end;
	char line[256];
	bool in = false;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
			in = (uintptr_t)addr >= start && (uintptr_t)addr < end;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* The start of this process's [vvar] mapping (VM_IO | VM_PFNMAP), or NULL */
static void *vvar_start(void)
{
	unsigned long start, end;
	char line[512];
	void *found = NULL;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strstr(line, "[vvar]") && sscanf(line, "%lx-%lx", &start, &end) == 2)
			found = (void *)start;
	}
	fclose(f);
	return found;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? (int)n : 0;
}

static int read_u64(const char *path, uint64_t *v)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%" SCNu64, v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

static int open_pidfd(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

static int become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -errno;
	return 0;
}

static int snapshot(int fd, const void *addr, size_t npages, uint8_t *states)
{
	return cdm_cmd(fd, CDM_PRIVATE_IOC_SNAPSHOT, addr, npages, states, NULL);
}

static size_t count_state(const uint8_t *states, size_t n, uint8_t state)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += states[i] == state;
	return c;
}

/* Pages in system memory, readable or writable */
static size_t count_ram(const uint8_t *states, size_t n)
{
	return count_state(states, n, CDM_PRIVATE_PAGE_RAM) +
	       count_state(states, n, CDM_PRIVATE_PAGE_RAM_WRITE);
}

/* A range command with a pidfd (CDM_PRIVATE_F_PIDFD): 0 or -errno */
static int cdm_cmd_pidfd(int fd, unsigned long cmd, int pidfd, uint64_t addr,
			 uint64_t npages, void *buf, uint64_t *done)
{
	struct cdm_private_range r;
	int ret;

	cdm_range_init(&r, (void *)(uintptr_t)addr, npages, buf);
	r.flags = CDM_PRIVATE_F_PIDFD;
	r.pidfd = pidfd;
	ret = cdm_ioctl(fd, cmd, &r);
	if (done)
		*done = ret ? 0 : r.done;
	return ret;
}

/*
 * A forked helper process and a pipe each way, one 64-bit word at a time.
 * Helpers never use ASSERT (the harness's jump belongs to the test
 * process): they report values and the test asserts on them. A helper
 * whose parent is gone reads EOF and exits.
 */
struct peer {
	pid_t pid;
	int rd;		/* words from the other side */
	int wr;		/* words to the other side */
};

#define PEER_GONE	INT64_MIN
#define EXITED_OK(status)	(WIFEXITED(status) && WEXITSTATUS(status) == 0)

/* fork(): the child's pid in the parent, 0 in the child, -1 on failure */
static pid_t peer_fork(struct peer *p)
{
	int down[2], up[2];

	if (pipe(down))
		return -1;
	if (pipe(up)) {
		close(down[0]);
		close(down[1]);
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	fflush(stdout);
	fflush(stderr);
	p->pid = fork();
	if (p->pid < 0) {
		close(down[0]);
		close(down[1]);
		close(up[0]);
		close(up[1]);
		return -1;
	}
	if (p->pid == 0) {
		close(down[1]);
		close(up[0]);
		p->rd = down[0];
		p->wr = up[1];
	} else {
		close(down[0]);
		close(up[1]);
		p->rd = up[0];
		p->wr = down[1];
	}
	return p->pid;
}

static void peer_put(const struct peer *p, int64_t v)
{
	if (write(p->wr, &v, sizeof(v)) != sizeof(v) && p->pid == 0)
		_exit(1);
}

static int64_t peer_get(const struct peer *p)
{
	size_t got = 0;
	int64_t v;

	while (got < sizeof(v)) {
		ssize_t n = read(p->rd, (char *)&v + got, sizeof(v) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return PEER_GONE;
		got += n;
	}
	return v;
}

/* In the helper: the parent's next word; the parent gone ends the helper */
static int64_t peer_wait(const struct peer *p)
{
	int64_t v = peer_get(p);

	if (v == PEER_GONE)
		_exit(1);
	return v;
}

/* In the parent: close the pipes and reap the helper; its wait status */
static int peer_reap(struct peer *p)
{
	int status = -1;

	close(p->rd);
	close(p->wr);
	while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/*
 * Copy-on-write after fork, shared by fork_cow and exclusive_cow.
 * cow_fork() forks a child that waits; cow_finish() has the parent write
 * NEW over BUF, then the child checks that it still sees OLD, writes data
 * of its own and sees them, and the parent checks that it sees NEW.
 */
static pid_t cow_fork(struct peer *c, char *buf, size_t size, uint64_t old)
{
	const uint64_t mine = old ^ 0x5eed0000000ULL;
	pid_t pid = peer_fork(c);

	if (pid != 0)
		return pid;
	peer_wait(c);
	peer_put(c, pattern_bad(buf, size, old));
	pattern_fill(buf, size, mine);
	peer_put(c, pattern_bad(buf, size, mine));
	peer_wait(c);
	_exit(0);
}

static void cow_finish(struct __test_metadata *_metadata, struct peer *c,
		       char *buf, size_t size, uint64_t new)
{
	int status;

	pattern_fill(buf, size, new);
	peer_put(c, 1);
	/* the child: the data of before the fork, not the parent's writes */
	ASSERT_EQ(0, peer_get(c));
	/* the child: its own writes */
	ASSERT_EQ(0, peer_get(c));
	peer_put(c, 1);
	status = peer_reap(c);
	ASSERT_TRUE(EXITED_OK(status));
	/* the parent: its own writes, not the child's */
	ASSERT_EQ(0UL, pattern_bad(buf, size, new));
}

/* ------------------------------------------------------------------ */
/* dev: the pool, and memory that is not plain private anonymous memory */

FIXTURE(dev)
{
	int fd;
	size_t page;
};

FIXTURE_SETUP(dev)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = cdm_open(0);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "%s", no_device);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(dev, open_close)
{
	struct cdm_private_info info;
	int fd2;

	ASSERT_EQ(0, cdm_info(self->fd, &info));
	/* a second open file beside the first */
	fd2 = cdm_open(0);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, cdm_info(fd2, &info));
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	/* and again after both are closed */
	fd2 = cdm_open(0);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, cdm_info(fd2, &info));
	ASSERT_EQ(0, close(fd2));
}

TEST_F(dev, info)
{
	struct cdm_private_stats stats;
	struct cdm_private_info info;
	const char *env;
	int i, fd1;

	ASSERT_EQ(0, cdm_info(self->fd, &info));
	EXPECT_EQ((uint32_t)CDM_PRIVATE_ABI_VERSION, info.abi_version);
	EXPECT_EQ(self->page, info.page_size);
	EXPECT_EQ(0U, info.pool_id);
	ASSERT_LT(0UL, info.chunk);
	ASSERT_LT(0UL, info.capacity);
	EXPECT_EQ(0UL, info.capacity % self->page);
	EXPECT_EQ(0UL, info.chunk % self->page);
	EXPECT_LE(info.allocated, info.capacity);
	EXPECT_TRUE(info.allocated % info.chunk == 0 || info.allocated == info.capacity);
	EXPECT_LE(info.used, info.allocated);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0UL, info.reserved[i]);
	env = getenv("CDM_PRIVATE_CAPACITY_MB");
	if (env)
		EXPECT_EQ(strtoull(env, NULL, 0) * MIB, info.capacity);
	env = getenv("CDM_PRIVATE_CHUNK_MB");
	if (env)
		EXPECT_EQ(strtoull(env, NULL, 0) * MIB, info.chunk);

	ASSERT_EQ(0, cdm_stats(self->fd, &stats));
	EXPECT_EQ(0U, stats.pad);
	for (i = 0; i < 6; i++)
		EXPECT_EQ(0UL, stats.reserved[i]);
	EXPECT_EQ(stats.pages_on_device * self->page, info.used);

	fd1 = cdm_open(1);
	if (fd1 >= 0) {
		ASSERT_EQ(0, cdm_info(fd1, &info));
		EXPECT_EQ(1U, info.pool_id);
		close(fd1);
	}
}

/*
 * Growth by chunks: pages that fit in the chunks made so far take no new
 * one; the page after them adds exactly one chunk (or what is left up to
 * the capacity). Twice, where the capacity allows.
 */
TEST_F_TIMEOUT(dev, pool_growth, 300)
{
	struct cdm_private_info first, cur, next;
	size_t n, moved = 0, free_pages;
	uint64_t done, grown;
	int step;
	char *buf;

	ASSERT_EQ(0, cdm_info(self->fd, &first));
	if (first.allocated >= first.capacity)
		SKIP(return, "pool 0 is grown to its capacity already (%llu bytes): load the module afresh",
		     (unsigned long long)first.capacity);
	n = (first.allocated - first.used) / self->page + 2 * (first.chunk / self->page) + 2;
	if (n > first.capacity / self->page)
		n = first.capacity / self->page;
	buf = map_anon(n * self->page, false);
	ASSERT_NE(NULL, buf);
	pattern_fill(buf, n * self->page, 0x1000);

	cur = first;
	for (step = 0; step < 2 && cur.allocated < cur.capacity; step++) {
		free_pages = (cur.allocated - cur.used) / self->page;
		ASSERT_LE(moved + free_pages + 1, n);
		if (free_pages) {
			ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_TO_DEVICE,
					     buf + moved * self->page, free_pages, NULL, &done));
			ASSERT_EQ(free_pages, done);
			moved += free_pages;
			ASSERT_EQ(0, cdm_info(self->fd, &next));
			/* on demand only: the chunks made had room */
			ASSERT_EQ(cur.allocated, next.allocated);
		}
		ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_TO_DEVICE,
				     buf + moved * self->page, 1, NULL, &done));
		ASSERT_EQ(1UL, done);
		moved++;
		ASSERT_EQ(0, cdm_info(self->fd, &next));
		grown = cur.allocated + cur.chunk;
		if (grown > cur.capacity)
			grown = cur.capacity;
		ASSERT_EQ(grown, next.allocated);
		ASSERT_EQ(first.used + moved * self->page, next.used);
		cur = next;
	}
	ASSERT_LT(0, step);
	ASSERT_EQ(0UL, pattern_bad(buf, n * self->page, 0x1000));
	munmap(buf, n * self->page);
	ASSERT_EQ(0, cdm_info(self->fd, &next));
	ASSERT_EQ(first.used, next.used);
}

/*
 * More than the pool holds: TO_DEVICE moves what fits and counts the rest
 * in fail_nomem; again with nothing that fits, ENOMEM. Nothing is lost:
 * every byte reads back right, through the device and on the CPU.
 */
TEST_F_TIMEOUT(dev, pool_limit, 900)
{
	const size_t extra = 1024, piece = 1024;
	struct cdm_private_stats s0, s1, s2;
	struct cdm_private_info info;
	size_t room, n, size, i;
	uint64_t done;
	uint8_t *states;
	char *buf, *bounce;

	ASSERT_EQ(0, cdm_info(self->fd, &info));
	ASSERT_EQ(0, cdm_stats(self->fd, &s0));
	room = (info.capacity - info.used) / self->page;
	n = room + extra;
	size = n * self->page;
	buf = map_anon(size, false);
	ASSERT_NE(NULL, buf);
	states = malloc(n);
	bounce = malloc(piece * self->page);
	ASSERT_NE(NULL, states);
	ASSERT_NE(NULL, bounce);
	pattern_fill(buf, size, 0x2000);

	ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_TO_DEVICE, buf, n, NULL, &done));
	ASSERT_EQ(room, done);
	ASSERT_EQ(0, cdm_stats(self->fd, &s1));
	ASSERT_EQ(s0.to_device + room, s1.to_device);
	ASSERT_EQ(s0.fail_nomem + extra, s1.fail_nomem);
	ASSERT_EQ(s0.pages_on_device + room, s1.pages_on_device);
	ASSERT_EQ(0, cdm_info(self->fd, &info));
	ASSERT_EQ(info.capacity, info.allocated);
	ASSERT_EQ(info.capacity, info.used);

	/*
	 * The pool is full: nothing fits. fail_nomem counts at least the
	 * pages that needed room (the driver may count the whole range).
	 */
	ASSERT_EQ(-ENOMEM, cdm_cmd(self->fd, CDM_PRIVATE_IOC_TO_DEVICE, buf, n, NULL, &done));
	ASSERT_EQ(0, cdm_stats(self->fd, &s2));
	ASSERT_LE(s1.fail_nomem + extra, s2.fail_nomem);
	ASSERT_GE(s1.fail_nomem + n, s2.fail_nomem);
	ASSERT_EQ(s1.to_device, s2.to_device);
	ASSERT_EQ(s1.pages_on_device, s2.pages_on_device);

	ASSERT_EQ(0, snapshot(self->fd, buf, n, states));
	ASSERT_EQ(room, count_state(states, n, CDM_PRIVATE_PAGE_DEVICE));
	ASSERT_EQ(extra, count_state(states, n, CDM_PRIVATE_PAGE_RAM_WRITE));

	/* the device reads it all, from its memory and from system memory */
	for (i = 0; i < n; i += piece) {
		size_t len = n - i < piece ? n - i : piece;

		ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_READ, buf + i * self->page,
				     len, bounce, &done));
		ASSERT_EQ(len, done);
		ASSERT_EQ(0UL, pattern_bad(bounce, len * self->page,
					   0x2000 + i * self->page / 8));
	}
	/* the CPU reads it all, faulting it back */
	ASSERT_EQ(0UL, pattern_bad(buf, size, 0x2000));
	ASSERT_EQ(0, cdm_stats(self->fd, &s2));
	ASSERT_EQ(s1.cpu_faults + room, s2.cpu_faults);
	ASSERT_EQ(s0.pages_on_device, s2.pages_on_device);
	munmap(buf, size);
	free(bounce);
	free(states);
}

/*
 * A range of several mappings and kinds of page: never touched, the zero
 * page, read-only, read-write. What is populated moves; what is not may
 * (migrate_vma hands the driver holes of anonymous mappings) but need not;
 * SNAPSHOT agrees with done; reading back gives zeros and the data, and the
 * read-only page comes back read-only.
 */
TEST_F(dev, mixed)
{
	const size_t n = 8;
	struct cdm_private_stats s0, s1;
	uint8_t st[8];
	uint64_t done;
	size_t i;
	char *buf;

	buf = map_anon(n * self->page, false);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, *(volatile char *)(buf + self->page));
	pattern_fill_at(buf, 2 * self->page, 6 * self->page, 0x3000);
	ASSERT_EQ(0, mprotect(buf + 2 * self->page, self->page, PROT_READ));

	ASSERT_EQ(0, snapshot(self->fd, buf, n, st));
	ASSERT_EQ(CDM_PRIVATE_PAGE_NONE, st[0]);
	ASSERT_EQ(CDM_PRIVATE_PAGE_ZERO, st[1]);
	ASSERT_EQ(CDM_PRIVATE_PAGE_RAM, st[2]);
	for (i = 3; i < n; i++)
		ASSERT_EQ(CDM_PRIVATE_PAGE_RAM_WRITE, st[i]);

	ASSERT_EQ(0, cdm_stats(self->fd, &s0));
	ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_TO_DEVICE, buf, n, NULL, &done));
	ASSERT_EQ(0, snapshot(self->fd, buf, n, st));
	for (i = 2; i < n; i++)
		ASSERT_EQ(CDM_PRIVATE_PAGE_DEVICE, st[i]);
	ASSERT_TRUE(st[0] == CDM_PRIVATE_PAGE_DEVICE || st[0] == CDM_PRIVATE_PAGE_NONE);
	ASSERT_TRUE(st[1] == CDM_PRIVATE_PAGE_DEVICE || st[1] == CDM_PRIVATE_PAGE_ZERO);
	ASSERT_EQ(done, count_state(st, n, CDM_PRIVATE_PAGE_DEVICE));
	ASSERT_EQ(0, cdm_stats(self->fd, &s1));
	ASSERT_EQ(s0.to_device + done, s1.to_device);
	ASSERT_EQ(s0.pages_on_device + done, s1.pages_on_device);

	ASSERT_EQ(0UL, zero_bad(buf, 2 * self->page));
	ASSERT_EQ(0UL, pattern_bad_at(buf, 2 * self->page, 6 * self->page, 0x3000));
	ASSERT_EQ(0, snapshot(self->fd, buf, n, st));
	ASSERT_EQ(CDM_PRIVATE_PAGE_RAM, st[2]);
	ASSERT_EQ(n - 2, count_ram(st + 2, n - 2));
	ASSERT_EQ(0, cdm_stats(self->fd, &s1));
	ASSERT_EQ(s0.pages_on_device, s1.pages_on_device);
	munmap(buf, n * self->page);
}

/*
 * Shared memory stays in system memory (migrate_vma moves private
 * anonymous pages only): TO_DEVICE succeeds with nothing done.
 */
static void shared_stays(struct __test_metadata *_metadata, FIXTURE_DATA(dev) *self,
			 char *buf, size_t n)
{
	const size_t used = n - 4;
	struct cdm_private_stats s0, s1;
	uint8_t st[16];
	uint64_t done = 1;

	ASSERT_GE(sizeof(st), n);
	pattern_fill(buf, used * self->page, 0x4000);
	ASSERT_EQ(0, cdm_stats(self->fd, &s0));
	ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_TO_DEVICE, buf, n, NULL, &done));
	ASSERT_EQ(0UL, done);
	ASSERT_EQ(0, cdm_stats(self->fd, &s1));
	ASSERT_EQ(s0.to_device, s1.to_device);
	ASSERT_EQ(s0.pages_on_device, s1.pages_on_device);
	ASSERT_EQ(0, snapshot(self->fd, buf, n, st));
	ASSERT_EQ(used, count_state(st, used, CDM_PRIVATE_PAGE_RAM_WRITE));
	ASSERT_EQ(n - used, count_state(st + used, n - used, CDM_PRIVATE_PAGE_NONE));
	ASSERT_EQ(0UL, pattern_bad(buf, used * self->page, 0x4000));
	ASSERT_EQ(0UL, zero_bad(buf + used * self->page, (n - used) * self->page));
}

TEST_F(dev, shared_anon)
{
	const size_t n = 16;
	char *buf;

	buf = mmap(NULL, n * self->page, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	shared_stays(_metadata, self, buf, n);
	munmap(buf, n * self->page);
}

TEST_F(dev, shared_shmem)
{
	const size_t n = 16;
	char *buf;
	int fd;

	fd = memfd_create("cdm-private-shmem", MFD_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, n * self->page));
	buf = mmap(NULL, n * self->page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, buf);
	shared_stays(_metadata, self, buf, n);
	munmap(buf, n * self->page);
	close(fd);
}

/*
 * A private mapping of a file (tmpfs): pages only read are the file's
 * page cache and stay; pages written are anonymous copies and move; the
 * file keeps its own data.
 */
TEST_F(dev, file_private)
{
	const size_t n = 16, size = n * self->page;
	const uint64_t file_seed = 0x5000, anon_seed = 0x6000;
	struct cdm_private_stats s0, s1;
	uint8_t before[16], st[16];
	uint64_t done;
	char *buf, *data;
	size_t i;
	int fd;

	fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		fd = memfd_create("cdm-private-file", MFD_CLOEXEC);
	ASSERT_LE(0, fd);
	data = malloc(size);
	ASSERT_NE(NULL, data);
	pattern_fill(data, size, file_seed);
	ASSERT_EQ((ssize_t)size, pwrite(fd, data, size, 0));
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, buf);

	/* pages 0-3 untouched, 4-7 read (file pages), 8-15 written (anon) */
	ASSERT_EQ(0UL, pattern_bad_at(buf, 4 * self->page, 4 * self->page, file_seed));
	pattern_fill_at(buf, 8 * self->page, 8 * self->page, anon_seed);
	ASSERT_EQ(0, snapshot(self->fd, buf, n, before));
	for (i = 4; i < 8; i++)
		ASSERT_EQ(CDM_PRIVATE_PAGE_RAM, before[i]);
	for (i = 8; i < n; i++)
		ASSERT_EQ(CDM_PRIVATE_PAGE_RAM_WRITE, before[i]);

	ASSERT_EQ(0, cdm_stats(self->fd, &s0));
	ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_TO_DEVICE, buf, n, NULL, &done));
	ASSERT_EQ(8UL, done);
	ASSERT_EQ(0, snapshot(self->fd, buf, n, st));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(before[i], st[i]);	/* file pages and holes stay */
	for (i = 8; i < n; i++)
		ASSERT_EQ(CDM_PRIVATE_PAGE_DEVICE, st[i]);
	ASSERT_EQ(0, cdm_stats(self->fd, &s1));
	ASSERT_EQ(s0.pages_on_device + 8, s1.pages_on_device);

	ASSERT_EQ(0UL, pattern_bad(buf, 8 * self->page, file_seed));
	ASSERT_EQ(0UL, pattern_bad_at(buf, 8 * self->page, 8 * self->page, anon_seed));
	memset(data, 0, size);
	ASSERT_EQ((ssize_t)size, pread(fd, data, size, 0));
	ASSERT_EQ(0UL, pattern_bad(data, size, file_seed));
	ASSERT_EQ(0, cdm_stats(self->fd, &s1));
	ASSERT_EQ(s0.pages_on_device, s1.pages_on_device);
	munmap(buf, size);
	free(data);
	close(fd);
}

/* EXCLUSIVE_PAGES pages of test data for device-exclusive access */
#define EXCLUSIVE_PAGES	256

static char *exclusive_buf(struct __test_metadata *_metadata, FIXTURE_DATA(dev) *self,
			   uint64_t seed)
{
	const size_t n = EXCLUSIVE_PAGES;
	uint64_t done;
	char *buf;

	buf = map_anon(n * self->page, false);
	if (!buf)
		return NULL;
	pattern_fill(buf, n * self->page, seed);
	if (cdm_cmd(self->fd, CDM_PRIVATE_IOC_EXCLUSIVE, buf, n, NULL, &done) || done != n) {
		TH_LOG("EXCLUSIVE of %zu pages: done %llu", n, (unsigned long long)done);
		munmap(buf, n * self->page);
		return NULL;
	}
	return buf;
}

/*
 * Exclusive access: every page exclusive, the device reads the data, the
 * CPU's first touch takes exclusivity back and the CPU's writes land.
 */
TEST_F(dev, exclusive)
{
	const size_t n = EXCLUSIVE_PAGES, size = n * self->page;
	uint8_t st[EXCLUSIVE_PAGES];
	uint64_t done, *w;
	size_t i, bad = 0;
	char *buf, *bounce;

	buf = exclusive_buf(_metadata, self, 0x7000);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, snapshot(self->fd, buf, n, st));
	ASSERT_EQ(n, count_state(st, n, CDM_PRIVATE_PAGE_EXCLUSIVE));
	ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_CHECK_EXCLUSIVE, buf, n, NULL, &done));
	ASSERT_EQ(n, done);

	bounce = malloc(size);
	ASSERT_NE(NULL, bounce);
	ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_READ, buf, n, bounce, &done));
	ASSERT_EQ(n, done);
	ASSERT_EQ(0UL, pattern_bad(bounce, size, 0x7000));

	w = (uint64_t *)buf;
	for (i = 0; i < size / 8; i++)
		w[i]++;
	ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_CHECK_EXCLUSIVE, buf, n, NULL, &done));
	ASSERT_EQ(0UL, done);
	ASSERT_EQ(0, snapshot(self->fd, buf, n, st));
	ASSERT_EQ(n, count_state(st, n, CDM_PRIVATE_PAGE_RAM_WRITE));
	for (i = 0; i < size / 8; i++)
		bad += w[i] != pattern_word(0x7000, i) + 1;
	ASSERT_EQ(0UL, bad);
	free(bounce);
	munmap(buf, size);
}

/* mprotect() takes exclusivity back; the device may no longer write */
TEST_F(dev, exclusive_mprotect)
{
	const size_t n = EXCLUSIVE_PAGES, size = n * self->page;
	struct cdm_private_stats s0, s1;
	uint64_t done;
	char *buf, *src;

	buf = exclusive_buf(_metadata, self, 0x8000);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, mprotect(buf, size, PROT_READ));
	ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_CHECK_EXCLUSIVE, buf, n, NULL, &done));
	ASSERT_EQ(0UL, done);

	src = malloc(size);
	ASSERT_NE(NULL, src);
	pattern_fill(src, size, 0x8100);
	ASSERT_EQ(0, cdm_stats(self->fd, &s0));
	ASSERT_EQ(-EPERM, cdm_cmd(self->fd, CDM_PRIVATE_IOC_WRITE, buf, n, src, &done));
	ASSERT_EQ(0, cdm_stats(self->fd, &s1));
	ASSERT_EQ(s0.device_writes, s1.device_writes);
	ASSERT_EQ(0UL, pattern_bad(buf, size, 0x8000));
	ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_READ, buf, n, src, &done));
	ASSERT_EQ(n, done);
	ASSERT_EQ(0UL, pattern_bad(src, size, 0x8000));
	free(src);
	munmap(buf, size);
}

/* fork() takes exclusivity back; parent and child then copy on write */
TEST_F(dev, exclusive_cow)
{
	const size_t n = EXCLUSIVE_PAGES, size = n * self->page;
	uint8_t st[EXCLUSIVE_PAGES];
	struct peer c;
	uint64_t done;
	char *buf;

	buf = exclusive_buf(_metadata, self, 0x9000);
	ASSERT_NE(NULL, buf);
	ASSERT_LT(0, cow_fork(&c, buf, size, 0x9000));
	ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_CHECK_EXCLUSIVE, buf, n, NULL, &done));
	ASSERT_EQ(0UL, done);
	ASSERT_EQ(0, snapshot(self->fd, buf, n, st));
	/* shared with the child now: read-only in system memory */
	ASSERT_EQ(n, count_state(st, n, CDM_PRIVATE_PAGE_RAM));
	cow_finish(_metadata, &c, buf, size, 0x9100);
	munmap(buf, size);
}

/*
 * Two pools: pages on pool 1 are OTHER_DEVICE to pool 0, which neither
 * takes them (they are not in system memory) nor brings them back (they
 * are not its own); the CPU does, from pool 1.
 */
TEST_F(dev, other_device)
{
	const size_t n = 64, size = n * self->page;
	struct cdm_private_stats a0, a1, b0, b1;
	struct cdm_private_info info;
	uint8_t st[64];
	uint64_t done;
	char *buf;
	int fd1;

	fd1 = cdm_open(1);
	if (fd1 < 0 && errno == ENOENT)
		SKIP(return, "no /dev/cdm_private1 (load cdm_private with pools=2)");
	ASSERT_LE(0, fd1);
	ASSERT_EQ(0, cdm_info(fd1, &info));
	ASSERT_EQ(1U, info.pool_id);
	buf = map_anon(size, false);
	ASSERT_NE(NULL, buf);
	pattern_fill(buf, size, 0xa000);
	ASSERT_EQ(0, cdm_stats(self->fd, &a0));
	ASSERT_EQ(0, cdm_stats(fd1, &b0));

	ASSERT_EQ(0, cdm_cmd(fd1, CDM_PRIVATE_IOC_TO_DEVICE, buf, n, NULL, &done));
	ASSERT_EQ(n, done);
	ASSERT_EQ(0, snapshot(fd1, buf, n, st));
	ASSERT_EQ(n, count_state(st, n, CDM_PRIVATE_PAGE_DEVICE));
	ASSERT_EQ(0, snapshot(self->fd, buf, n, st));
	ASSERT_EQ(n, count_state(st, n, CDM_PRIVATE_PAGE_OTHER_DEVICE));
	ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_TO_DEVICE, buf, n, NULL, &done));
	ASSERT_EQ(0UL, done);
	ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_TO_RAM, buf, n, NULL, &done));
	ASSERT_EQ(0UL, done);
	ASSERT_EQ(0, cdm_stats(self->fd, &a1));
	ASSERT_EQ(0, cdm_stats(fd1, &b1));
	ASSERT_EQ(a0.pages_on_device, a1.pages_on_device);
	ASSERT_EQ(b0.pages_on_device + n, b1.pages_on_device);

	ASSERT_EQ(0UL, pattern_bad(buf, size, 0xa000));
	ASSERT_EQ(0, cdm_stats(fd1, &b1));
	ASSERT_EQ(b0.cpu_faults + n, b1.cpu_faults);
	ASSERT_EQ(b0.pages_on_device, b1.pages_on_device);
	munmap(buf, size);
	close(fd1);
}

/*
 * A helper process with N pages of test data (SEED) in its memory, for
 * the pidfd tests. It sends their address, then waits; a word from the
 * parent has it check the data and send the count of wrong words, then
 * exit. With DROP it first becomes nobody, dumpable (DROP 1) or not
 * (DROP 2).
 */
static pid_t data_holder(struct peer *c, size_t size, uint64_t seed, int drop)
{
	pid_t pid = peer_fork(c);
	char *buf;

	if (pid != 0)
		return pid;
	if (drop && (become_nobody() || prctl(PR_SET_DUMPABLE, drop == 1 ? 1 : 0)))
		_exit(1);
	buf = map_anon(size, false);
	if (!buf)
		_exit(1);
	pattern_fill(buf, size, seed);
	peer_put(c, (int64_t)(uintptr_t)buf);
	peer_wait(c);
	peer_put(c, pattern_bad(buf, size, seed));
	_exit(0);
}

/* Tell a data holder to check its data; the count of wrong words it saw */
static int64_t holder_check(struct peer *c, int *status)
{
	int64_t bad;

	peer_put(c, 1);
	bad = peer_get(c);
	*status = peer_reap(c);
	return bad;
}

/*
 * CDM_PRIVATE_F_PIDFD: migration and snapshots of another process's
 * memory (and of the caller's own through its own pidfd).
 */
TEST_F(dev, pidfd_migrate)
{
	const size_t n = 64, size = n * self->page;
	struct cdm_private_stats s0, s1;
	uint8_t st[64];
	uint64_t done, addr;
	struct peer c;
	int pidfd, status;
	char *own;

	own = map_anon(size, false);
	ASSERT_NE(NULL, own);
	pattern_fill(own, size, 0xb100);
	pidfd = open_pidfd(getpid());
	ASSERT_LE(0, pidfd);
	ASSERT_EQ(0, cdm_cmd_pidfd(self->fd, CDM_PRIVATE_IOC_TO_DEVICE, pidfd,
				   (uintptr_t)own, n, NULL, &done));
	ASSERT_EQ(n, done);
	ASSERT_EQ(0, snapshot(self->fd, own, n, st));
	ASSERT_EQ(n, count_state(st, n, CDM_PRIVATE_PAGE_DEVICE));
	ASSERT_EQ(0UL, pattern_bad(own, size, 0xb100));
	close(pidfd);

	ASSERT_EQ(0, cdm_stats(self->fd, &s0));
	ASSERT_LT(0, data_holder(&c, size, 0xb000, 0));
	addr = peer_get(&c);
	ASSERT_NE((uint64_t)PEER_GONE, addr);
	pidfd = open_pidfd(c.pid);
	ASSERT_LE(0, pidfd);
	ASSERT_EQ(0, cdm_cmd_pidfd(self->fd, CDM_PRIVATE_IOC_TO_DEVICE, pidfd, addr, n, NULL, &done));
	ASSERT_EQ(n, done);
	ASSERT_EQ(0, cdm_cmd_pidfd(self->fd, CDM_PRIVATE_IOC_SNAPSHOT, pidfd, addr, n, st, NULL));
	ASSERT_EQ(n, count_state(st, n, CDM_PRIVATE_PAGE_DEVICE));
	ASSERT_EQ(0, cdm_stats(self->fd, &s1));
	ASSERT_EQ(s0.pages_on_device + n, s1.pages_on_device);
	ASSERT_EQ(0, cdm_cmd_pidfd(self->fd, CDM_PRIVATE_IOC_TO_RAM, pidfd, addr, n, NULL, &done));
	ASSERT_EQ(n, done);
	ASSERT_EQ(0, cdm_cmd_pidfd(self->fd, CDM_PRIVATE_IOC_SNAPSHOT, pidfd, addr, n, st, NULL));
	ASSERT_EQ(n, count_state(st, n, CDM_PRIVATE_PAGE_RAM_WRITE));
	ASSERT_EQ(0, cdm_cmd_pidfd(self->fd, CDM_PRIVATE_IOC_TO_DEVICE, pidfd, addr, n, NULL, &done));
	ASSERT_EQ(n, done);

	/* the holder reads its data back, faulting it in from the device */
	ASSERT_EQ(0, holder_check(&c, &status));
	ASSERT_TRUE(EXITED_OK(status));
	ASSERT_EQ(0, cdm_stats(self->fd, &s1));
	ASSERT_EQ(s0.cpu_faults + n, s1.cpu_faults);
	ASSERT_EQ(s0.pages_on_device, s1.pages_on_device);
	close(pidfd);
	munmap(own, size);
}

/*
 * A pidfd of a process the caller may not move pages of (move_pages(2)'s
 * rule: ptrace read access with real credentials): EPERM, nothing moved.
 * The caller runs as nobody; the targets are a root process and a
 * non-dumpable nobody process; a dumpable nobody process is the control
 * (allowed), and root may move the root process's pages.
 */
TEST_F(dev, pidfd_eperm)
{
	const size_t n = 16, size = n * self->page;
	enum { T_ROOT, T_UNDUMPABLE, T_ALLOWED, NR_TARGETS };
	/* data_holder()'s DROP: stay root, nobody not dumpable, nobody dumpable */
	const int drop[NR_TARGETS] = { [T_ROOT] = 0, [T_UNDUMPABLE] = 2, [T_ALLOWED] = 1 };
	struct peer t[NR_TARGETS], u;
	int64_t got[NR_TARGETS][3];
	uint64_t addr[NR_TARGETS], done;
	int pidfd[NR_TARGETS], i, j, status;
	uint8_t st[16];

	if (geteuid() != 0)
		SKIP(return, "needs root, to run the caller and the targets as nobody");
	for (i = 0; i < NR_TARGETS; i++) {
		ASSERT_LT(0, data_holder(&t[i], size, 0xc000 + i * 0x100, drop[i]));
		addr[i] = peer_get(&t[i]);
		ASSERT_NE((uint64_t)PEER_GONE, addr[i]);
		pidfd[i] = open_pidfd(t[i].pid);
		ASSERT_LE(0, pidfd[i]);
	}

	ASSERT_LE(0, peer_fork(&u));
	if (u.pid == 0) {
		uint8_t ust[16];

		peer_put(&u, become_nobody());
		for (i = 0; i < NR_TARGETS; i++) {
			peer_put(&u, cdm_cmd_pidfd(self->fd, CDM_PRIVATE_IOC_TO_DEVICE, pidfd[i],
						   addr[i], n, NULL, &done));
			peer_put(&u, done);
			peer_put(&u, cdm_cmd_pidfd(self->fd, CDM_PRIVATE_IOC_SNAPSHOT, pidfd[i],
						   addr[i], n, ust, NULL));
		}
		peer_wait(&u);
		_exit(0);
	}
	ASSERT_EQ(0, peer_get(&u));	/* the caller is nobody */
	for (i = 0; i < NR_TARGETS; i++)
		for (j = 0; j < 3; j++)
			got[i][j] = peer_get(&u);
	peer_put(&u, 1);
	status = peer_reap(&u);
	ASSERT_TRUE(EXITED_OK(status));

	ASSERT_EQ(-EPERM, got[T_ROOT][0]);
	ASSERT_EQ(-EPERM, got[T_ROOT][2]);
	ASSERT_EQ(-EPERM, got[T_UNDUMPABLE][0]);
	ASSERT_EQ(-EPERM, got[T_UNDUMPABLE][2]);
	ASSERT_EQ(0, got[T_ALLOWED][0]);
	ASSERT_EQ((int64_t)n, got[T_ALLOWED][1]);
	ASSERT_EQ(0, got[T_ALLOWED][2]);

	/* nothing of the refused ones moved; root may move them */
	for (i = T_ROOT; i <= T_UNDUMPABLE; i++) {
		ASSERT_EQ(0, cdm_cmd_pidfd(self->fd, CDM_PRIVATE_IOC_SNAPSHOT, pidfd[i],
					   addr[i], n, st, NULL));
		ASSERT_EQ(n, count_state(st, n, CDM_PRIVATE_PAGE_RAM_WRITE));
	}
	ASSERT_EQ(0, cdm_cmd_pidfd(self->fd, CDM_PRIVATE_IOC_TO_DEVICE, pidfd[T_ROOT],
				   addr[T_ROOT], n, NULL, &done));
	ASSERT_EQ(n, done);
	for (i = 0; i < NR_TARGETS; i++) {
		ASSERT_EQ(0, holder_check(&t[i], &status));
		ASSERT_TRUE(EXITED_OK(status));
		close(pidfd[i]);
	}
}

/*
 * The device's own accesses (READ, WRITE, EXCLUSIVE) are for the process
 * that opened the file: a child that inherited it gets EPERM for them,
 * while its migrations and snapshots act on its own memory.
 */
TEST_F(dev, other_process)
{
	const size_t n = 16, size = n * self->page;
	int64_t got[7];
	struct peer c;
	uint64_t done;
	char *buf, *bounce;
	int i, status;

	buf = map_anon(size, false);
	bounce = malloc(size);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, bounce);
	pattern_fill(buf, size, 0xd000);

	ASSERT_LE(0, peer_fork(&c));
	if (c.pid == 0) {
		char *own = map_anon(size, false);
		uint8_t st[16];

		if (!own)
			_exit(1);
		pattern_fill(own, size, 0xd100);
		peer_put(&c, cdm_cmd(self->fd, CDM_PRIVATE_IOC_READ, own, n, bounce, NULL));
		peer_put(&c, cdm_cmd(self->fd, CDM_PRIVATE_IOC_WRITE, own, n, bounce, NULL));
		peer_put(&c, cdm_cmd(self->fd, CDM_PRIVATE_IOC_EXCLUSIVE, own, n, NULL, NULL));
		peer_put(&c, cdm_cmd(self->fd, CDM_PRIVATE_IOC_TO_DEVICE, own, n, NULL, &done));
		peer_put(&c, done);
		peer_put(&c, snapshot(self->fd, own, n, st) ? -1 :
			     (int64_t)count_state(st, n, CDM_PRIVATE_PAGE_DEVICE));
		peer_put(&c, pattern_bad(own, size, 0xd100));
		peer_wait(&c);
		_exit(0);
	}
	for (i = 0; i < 7; i++)
		got[i] = peer_get(&c);
	peer_put(&c, 1);
	status = peer_reap(&c);
	ASSERT_TRUE(EXITED_OK(status));
	ASSERT_EQ(-EPERM, got[0]);
	ASSERT_EQ(-EPERM, got[1]);
	ASSERT_EQ(-EPERM, got[2]);
	ASSERT_EQ(0, got[3]);
	ASSERT_EQ((int64_t)n, got[4]);
	ASSERT_EQ((int64_t)n, got[5]);
	ASSERT_EQ(0, got[6]);

	/* the opener still may */
	ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_READ, buf, n, bounce, &done));
	ASSERT_EQ(n, done);
	ASSERT_EQ(0UL, pattern_bad(bounce, size, 0xd000));
	free(bounce);
	munmap(buf, size);
}

struct unmapper {
	char *addr;
	size_t len;
	unsigned int delay_us;
};

static void *unmap_later(void *arg)
{
	struct unmapper *u = arg;

	usleep(u->delay_us);
	munmap(u->addr, u->len);
	return NULL;
}

/*
 * The device reads a range while another thread unmaps half of it: the
 * read either completes with the right data or fails with EFAULT.
 */
TEST_F(dev, read_during_munmap)
{
	const size_t n = 256, size = n * self->page;
	struct unmapper u;
	pthread_t thread;
	uint64_t done;
	int round, ret;
	char *buf, *bounce;

	bounce = malloc(size);
	ASSERT_NE(NULL, bounce);
	for (round = 0; round < 8; round++) {
		buf = map_anon(size, false);
		ASSERT_NE(NULL, buf);
		pattern_fill(buf, size, 0xe000 + round * 0x100);
		u.addr = buf + size / 2;
		u.len = size / 2;
		u.delay_us = round * 300;
		ASSERT_EQ(0, pthread_create(&thread, NULL, unmap_later, &u));
		ret = cdm_cmd(self->fd, CDM_PRIVATE_IOC_READ, buf, n, bounce, &done);
		ASSERT_EQ(0, pthread_join(thread, NULL));
		if (ret == 0) {
			ASSERT_EQ(n, done);
			ASSERT_EQ(0UL, pattern_bad(bounce, size, 0xe000 + round * 0x100));
		} else {
			ASSERT_EQ(-EFAULT, ret);
		}
		munmap(buf, size / 2);
	}
	free(bounce);
}

/* ------------------------------------------------------------------ */
/*
 * anon: private anonymous memory, of small pages or of THP. Timeouts of
 * 120 s: thousands of page migrations and faults on a TCG guest with the
 * debug kernel.
 */

FIXTURE(anon)
{
	int fd;
	size_t page;
	size_t size;
	size_t npages;
	char *buf;
	uint8_t *st;		/* npages, for SNAPSHOT */
	struct cdm_private_stats s0;	/* when the test began */
};

FIXTURE_VARIANT(anon)
{
	bool thp;
};

FIXTURE_VARIANT_ADD(anon, page)
{
	.thp = false,
};

FIXTURE_VARIANT_ADD(anon, thp)
{
	.thp = true,
};

FIXTURE_SETUP(anon)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = cdm_open(0);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "%s", no_device);
	ASSERT_LE(0, self->fd);
	if (variant->thp && thp_disabled())
		SKIP(return, "THP disabled (transparent_hugepage/enabled is never)");
	self->size = BUF_SIZE;
	self->npages = self->size / self->page;
	self->buf = map_anon(self->size, variant->thp);
	ASSERT_NE(NULL, self->buf);
	self->st = malloc(self->npages);
	ASSERT_NE(NULL, self->st);
	ASSERT_EQ(0, cdm_stats(self->fd, &self->s0));
}

FIXTURE_TEARDOWN(anon)
{
	if (self->buf)
		munmap(self->buf, self->size);
	free(self->st);
	if (self->fd >= 0)
		close(self->fd);
}

/* Fill the buffer with SEED's pattern and move it all to the device */
static void fill_to_device(struct __test_metadata *_metadata, FIXTURE_DATA(anon) *self,
			   uint64_t seed)
{
	uint64_t done;

	pattern_fill(self->buf, self->size, seed);
	ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_TO_DEVICE, self->buf, self->npages,
			     NULL, &done));
	ASSERT_EQ(self->npages, done);
	ASSERT_EQ(0, snapshot(self->fd, self->buf, self->npages, self->st));
	ASSERT_EQ(self->npages, count_state(self->st, self->npages, CDM_PRIVATE_PAGE_DEVICE));
}

/* Pages of the pool in use now, less those in use when the test began */
static int64_t pages_added(FIXTURE_DATA(anon) *self)
{
	struct cdm_private_stats s;

	if (cdm_stats(self->fd, &s))
		return PEER_GONE;
	return (int64_t)(s.pages_on_device - self->s0.pages_on_device);
}

/*
 * The device reads read-only memory: two pages never written (the first
 * never touched, the second the zero page, with small pages) read as
 * zeros, the rest as written; nothing moves.
 */
TEST_F_TIMEOUT(anon, device_read, 120)
{
	struct cdm_private_range r;
	struct cdm_private_stats s1;
	char *bounce;

	ASSERT_EQ(0, *(volatile char *)(self->buf + self->page));
	pattern_fill_at(self->buf, 2 * self->page, self->size - 2 * self->page, 0x11000);
	ASSERT_EQ(0, mprotect(self->buf, self->size, PROT_READ));
	bounce = malloc(self->size);
	ASSERT_NE(NULL, bounce);
	memset(bounce, 0xa5, self->size);

	cdm_range_init(&r, self->buf, self->npages, bounce);
	ASSERT_EQ(0, cdm_ioctl(self->fd, CDM_PRIVATE_IOC_READ, &r));
	ASSERT_EQ(self->npages, r.done);
	if (!variant->thp)
		ASSERT_LE(1UL, r.faults);	/* page 0 had to be faulted in */
	ASSERT_EQ(0UL, zero_bad(bounce, 2 * self->page));
	ASSERT_EQ(0UL, pattern_bad_at(bounce, 2 * self->page, self->size - 2 * self->page,
				      0x11000));
	ASSERT_EQ(0, cdm_stats(self->fd, &s1));
	ASSERT_EQ(self->s0.device_reads + self->npages, s1.device_reads);
	ASSERT_EQ(self->s0.to_device, s1.to_device);
	ASSERT_EQ(0, snapshot(self->fd, self->buf, self->npages, self->st));
	ASSERT_EQ(0UL, count_state(self->st, self->npages, CDM_PRIVATE_PAGE_DEVICE));
	free(bounce);
}

/* PROT_NONE memory cannot be read by the device: EFAULT, buf untouched */
TEST_F_TIMEOUT(anon, device_read_prot_none, 120)
{
	char *bounce;
	size_t i, bad = 0;

	pattern_fill(self->buf, self->size, 0x12000);
	ASSERT_EQ(0, mprotect(self->buf, self->size, PROT_NONE));
	bounce = malloc(self->size);
	ASSERT_NE(NULL, bounce);
	memset(bounce, 0xa5, self->size);
	ASSERT_EQ(-EFAULT, cdm_cmd(self->fd, CDM_PRIVATE_IOC_READ, self->buf, self->npages,
				   bounce, NULL));
	for (i = 0; i < self->size; i++)
		bad += (unsigned char)bounce[i] != 0xa5;
	ASSERT_EQ(0UL, bad);
	ASSERT_EQ(0, mprotect(self->buf, self->size, PROT_READ));
	ASSERT_EQ(0UL, pattern_bad(self->buf, self->size, 0x12000));
	free(bounce);
}

/* The device writes memory never touched: it is faulted in, writable */
TEST_F_TIMEOUT(anon, device_write, 120)
{
	struct cdm_private_range r;
	struct cdm_private_stats s1;
	char *src;

	src = malloc(self->size);
	ASSERT_NE(NULL, src);
	pattern_fill(src, self->size, 0x13000);
	cdm_range_init(&r, self->buf, self->npages, src);
	ASSERT_EQ(0, cdm_ioctl(self->fd, CDM_PRIVATE_IOC_WRITE, &r));
	ASSERT_EQ(self->npages, r.done);
	ASSERT_LE(1UL, r.faults);
	ASSERT_EQ(0, cdm_stats(self->fd, &s1));
	ASSERT_EQ(self->s0.device_writes + self->npages, s1.device_writes);
	ASSERT_EQ(0, snapshot(self->fd, self->buf, self->npages, self->st));
	ASSERT_EQ(self->npages, count_state(self->st, self->npages, CDM_PRIVATE_PAGE_RAM_WRITE));
	ASSERT_EQ(0UL, pattern_bad(self->buf, self->size, 0x13000));
	free(src);
}

/* Read-only memory cannot be written by the device: EPERM, data intact */
TEST_F_TIMEOUT(anon, device_write_prot, 120)
{
	struct cdm_private_stats s1;
	char *src;

	pattern_fill(self->buf, self->size, 0x14000);
	ASSERT_EQ(0, mprotect(self->buf, self->size, PROT_READ));
	src = malloc(self->size);
	ASSERT_NE(NULL, src);
	pattern_fill(src, self->size, 0x14100);
	ASSERT_EQ(-EPERM, cdm_cmd(self->fd, CDM_PRIVATE_IOC_WRITE, self->buf, self->npages,
				  src, NULL));
	ASSERT_EQ(0, cdm_stats(self->fd, &s1));
	ASSERT_EQ(self->s0.device_writes, s1.device_writes);
	ASSERT_EQ(0UL, pattern_bad(self->buf, self->size, 0x14000));
	free(src);
}

/*
 * To the device and back by CPU faults: SNAPSHOT says RAM, DEVICE, RAM;
 * the counters follow; the data are intact. THP: the buffer is backed by
 * huge pages first (migrate_vma splits them on the way).
 */
TEST_F_TIMEOUT(anon, migrate, 120)
{
	struct cdm_private_info info;
	struct cdm_private_stats s1;

	pattern_fill(self->buf, self->size, 0x15000);
	if (variant->thp)
		ASSERT_LE((long)(THP_SIZE / 1024), anon_huge_kb(self->buf));
	ASSERT_EQ(0, snapshot(self->fd, self->buf, self->npages, self->st));
	ASSERT_EQ(self->npages, count_state(self->st, self->npages, CDM_PRIVATE_PAGE_RAM_WRITE));

	fill_to_device(_metadata, self, 0x15000);
	ASSERT_EQ(0, cdm_stats(self->fd, &s1));
	ASSERT_EQ(self->s0.to_device + self->npages, s1.to_device);
	ASSERT_EQ(self->s0.pages_on_device + self->npages, s1.pages_on_device);
	ASSERT_EQ(0, cdm_info(self->fd, &info));
	ASSERT_LE(self->size, info.used);

	ASSERT_EQ(0UL, pattern_bad(self->buf, self->size, 0x15000));
	ASSERT_EQ(0, snapshot(self->fd, self->buf, self->npages, self->st));
	ASSERT_EQ(self->npages, count_ram(self->st, self->npages));
	ASSERT_EQ(0, cdm_stats(self->fd, &s1));
	ASSERT_EQ(self->s0.cpu_faults + self->npages, s1.cpu_faults);
	ASSERT_EQ(self->s0.to_ram, s1.to_ram);
	ASSERT_EQ(self->s0.pages_on_device, s1.pages_on_device);
}

/* To the device and back by TO_RAM; then TO_RAM finds nothing to do */
TEST_F_TIMEOUT(anon, migrate_to_ram, 120)
{
	struct cdm_private_stats s1;
	uint64_t done;

	fill_to_device(_metadata, self, 0x16000);
	ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_TO_RAM, self->buf, self->npages,
			     NULL, &done));
	ASSERT_EQ(self->npages, done);
	ASSERT_EQ(0, snapshot(self->fd, self->buf, self->npages, self->st));
	ASSERT_EQ(self->npages, count_state(self->st, self->npages, CDM_PRIVATE_PAGE_RAM_WRITE));
	ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_TO_RAM, self->buf, self->npages,
			     NULL, &done));
	ASSERT_EQ(0UL, done);
	ASSERT_EQ(0UL, pattern_bad(self->buf, self->size, 0x16000));
	ASSERT_EQ(0, cdm_stats(self->fd, &s1));
	ASSERT_EQ(self->s0.to_ram + self->npages, s1.to_ram);
	ASSERT_EQ(self->s0.cpu_faults, s1.cpu_faults);
	ASSERT_EQ(self->s0.pages_on_device, s1.pages_on_device);
}

/*
 * The CPU faults half of it back; TO_DEVICE of the whole range then moves
 * that half alone (the other is on the device already).
 */
TEST_F_TIMEOUT(anon, migrate_fault, 120)
{
	const size_t half = self->npages / 2, hsize = self->size / 2;
	struct cdm_private_stats s1;
	uint64_t done;

	fill_to_device(_metadata, self, 0x17000);
	ASSERT_EQ(0UL, pattern_bad(self->buf, hsize, 0x17000));
	ASSERT_EQ(0, snapshot(self->fd, self->buf, self->npages, self->st));
	ASSERT_EQ(half, count_ram(self->st, half));
	ASSERT_EQ(half, count_state(self->st + half, half, CDM_PRIVATE_PAGE_DEVICE));
	ASSERT_EQ(0, cdm_stats(self->fd, &s1));
	ASSERT_EQ(self->s0.cpu_faults + half, s1.cpu_faults);

	ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_TO_DEVICE, self->buf, self->npages,
			     NULL, &done));
	ASSERT_EQ(half, done);
	ASSERT_EQ(0, snapshot(self->fd, self->buf, self->npages, self->st));
	ASSERT_EQ(self->npages, count_state(self->st, self->npages, CDM_PRIVATE_PAGE_DEVICE));
	ASSERT_EQ((int64_t)self->npages, pages_added(self));
	ASSERT_EQ(0UL, pattern_bad(self->buf, self->size, 0x17000));
	ASSERT_EQ(0, pages_added(self));
}

/* Round trips with new data each time */
TEST_F_TIMEOUT(anon, migrate_multiple, 300)
{
	const int rounds = 8;
	struct cdm_private_stats s1;
	int c;

	for (c = 0; c < rounds; c++) {
		fill_to_device(_metadata, self, 0x18000 + c * 0x1000000ULL);
		ASSERT_EQ(0UL, pattern_bad(self->buf, self->size, 0x18000 + c * 0x1000000ULL));
	}
	ASSERT_EQ(0, cdm_stats(self->fd, &s1));
	ASSERT_EQ(self->s0.to_device + rounds * self->npages, s1.to_device);
	ASSERT_EQ(self->s0.cpu_faults + rounds * self->npages, s1.cpu_faults);
	ASSERT_EQ(self->s0.pages_on_device, s1.pages_on_device);
}

/*
 * The device reads and writes pages that are on it in place: they stay
 * there, the CPU takes no fault until it touches them, then sees what the
 * device wrote.
 */
TEST_F_TIMEOUT(anon, device_access_on_device, 120)
{
	struct cdm_private_stats s1;
	uint64_t done;
	char *bounce;

	bounce = malloc(self->size);
	ASSERT_NE(NULL, bounce);
	fill_to_device(_metadata, self, 0x19000);
	ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_READ, self->buf, self->npages,
			     bounce, &done));
	ASSERT_EQ(self->npages, done);
	ASSERT_EQ(0UL, pattern_bad(bounce, self->size, 0x19000));

	pattern_fill(bounce, self->size, 0x19100);
	ASSERT_EQ(0, cdm_cmd(self->fd, CDM_PRIVATE_IOC_WRITE, self->buf, self->npages,
			     bounce, &done));
	ASSERT_EQ(self->npages, done);
	ASSERT_EQ(0, snapshot(self->fd, self->buf, self->npages, self->st));
	ASSERT_EQ(self->npages, count_state(self->st, self->npages, CDM_PRIVATE_PAGE_DEVICE));
	ASSERT_EQ(0, cdm_stats(self->fd, &s1));
	ASSERT_EQ(self->s0.cpu_faults, s1.cpu_faults);
	ASSERT_EQ(self->s0.device_reads + self->npages, s1.device_reads);
	ASSERT_EQ(self->s0.device_writes + self->npages, s1.device_writes);

	ASSERT_EQ(0UL, pattern_bad(self->buf, self->size, 0x19100));
	ASSERT_EQ(0, cdm_stats(self->fd, &s1));
	ASSERT_EQ(self->s0.cpu_faults + self->npages, s1.cpu_faults);
	free(bounce);
}

/*
 * The device file is closed while pages are on the device: the data come
 * back intact and no device page stays in use.
 */
TEST_F_TIMEOUT(anon, close_while_on_device, 120)
{
	struct cdm_private_stats s1;
	int fd;

	fill_to_device(_metadata, self, 0x1a000);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_EQ(0UL, pattern_bad(self->buf, self->size, 0x1a000));
	fd = cdm_open(0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, cdm_stats(fd, &s1));
	ASSERT_EQ(self->s0.pages_on_device, s1.pages_on_device);
	close(fd);
}

/*
 * A process exits with pages on the device (it inherited the open file
 * and moved its own memory): the pool gets them back.
 */
TEST_F_TIMEOUT(anon, process_exit, 120)
{
	struct peer c;
	int status;

	ASSERT_LE(0, peer_fork(&c));
	if (c.pid == 0) {
		char *own = map_anon(self->size, variant->thp);
		uint64_t done;

		if (!own)
			_exit(1);
		pattern_fill(own, self->size, 0x1b000);
		peer_put(&c, cdm_cmd(self->fd, CDM_PRIVATE_IOC_TO_DEVICE, own, self->npages,
				     NULL, &done));
		peer_put(&c, done);
		peer_wait(&c);
		_exit(0);
	}
	ASSERT_EQ(0, peer_get(&c));
	ASSERT_EQ((int64_t)self->npages, peer_get(&c));
	ASSERT_EQ((int64_t)self->npages, pages_added(self));
	peer_put(&c, 1);
	status = peer_reap(&c);
	ASSERT_TRUE(EXITED_OK(status));
	ASSERT_EQ(0, pages_added(self));
}

/*
 * fork() with the buffer on the device: the child shares the device
 * pages until either side writes; then each sees its own data.
 */
TEST_F_TIMEOUT(anon, fork_cow, 120)
{
	struct peer c;

	fill_to_device(_metadata, self, 0x1c000);
	ASSERT_LT(0, cow_fork(&c, self->buf, self->size, 0x1c000));
	ASSERT_EQ(0, snapshot(self->fd, self->buf, self->npages, self->st));
	ASSERT_EQ(self->npages, count_state(self->st, self->npages, CDM_PRIVATE_PAGE_DEVICE));
	ASSERT_EQ((int64_t)self->npages, pages_added(self));
	cow_finish(_metadata, &c, self->buf, self->size, 0x1c100);
	ASSERT_EQ(0, pages_added(self));
}

/* munmap() of a part frees its device pages; the rest is intact */
TEST_F_TIMEOUT(anon, munmap, 120)
{
	const size_t q = self->npages / 4, qsize = self->size / 4;

	fill_to_device(_metadata, self, 0x1d000);
	ASSERT_EQ(0, munmap(self->buf + qsize, qsize));
	ASSERT_EQ((int64_t)(self->npages - q), pages_added(self));
	ASSERT_EQ(-EFAULT, snapshot(self->fd, self->buf + qsize, q, self->st));
	ASSERT_EQ(0UL, pattern_bad(self->buf, qsize, 0x1d000));
	ASSERT_EQ(0UL, pattern_bad_at(self->buf, 2 * qsize, self->size - 2 * qsize, 0x1d000));
	ASSERT_EQ(0, pages_added(self));
}

/*
 * mremap() to a new place, twice the size: the device pages move with the
 * mapping, the old place is gone, the new tail reads as zeros.
 */
TEST_F_TIMEOUT(anon, mremap, 120)
{
	char *target, *moved;

	fill_to_device(_metadata, self, 0x1e000);
	target = map_anon(2 * self->size, variant->thp);
	ASSERT_NE(NULL, target);
	moved = mremap(self->buf, self->size, 2 * self->size, MREMAP_MAYMOVE | MREMAP_FIXED,
		       target);
	ASSERT_EQ(target, moved);
	ASSERT_EQ(-EFAULT, snapshot(self->fd, self->buf, self->npages, self->st));
	self->buf = moved;
	self->size *= 2;
	ASSERT_EQ(0, snapshot(self->fd, moved, self->npages, self->st));
	ASSERT_EQ(self->npages, count_state(self->st, self->npages, CDM_PRIVATE_PAGE_DEVICE));
	ASSERT_EQ(0, snapshot(self->fd, moved + self->size / 2, self->npages, self->st));
	ASSERT_EQ(0UL, count_state(self->st, self->npages, CDM_PRIVATE_PAGE_DEVICE));
	ASSERT_EQ((int64_t)self->npages, pages_added(self));
	ASSERT_EQ(0UL, pattern_bad(moved, self->size / 2, 0x1e000));
	ASSERT_EQ(0UL, zero_bad(moved + self->size / 2, self->size / 2));
	ASSERT_EQ(0, pages_added(self));
}

/*
 * mprotect(PROT_READ) leaves the pages on the device; they come back
 * read-only; made writable again, they take the CPU's writes.
 */
TEST_F_TIMEOUT(anon, mprotect, 120)
{
	fill_to_device(_metadata, self, 0x1f000);
	ASSERT_EQ(0, mprotect(self->buf, self->size, PROT_READ));
	ASSERT_EQ(0, snapshot(self->fd, self->buf, self->npages, self->st));
	ASSERT_EQ(self->npages, count_state(self->st, self->npages, CDM_PRIVATE_PAGE_DEVICE));
	ASSERT_EQ(0UL, pattern_bad(self->buf, self->size, 0x1f000));
	ASSERT_EQ(0, snapshot(self->fd, self->buf, self->npages, self->st));
	ASSERT_EQ(self->npages, count_state(self->st, self->npages, CDM_PRIVATE_PAGE_RAM));
	ASSERT_EQ(0, pages_added(self));
	ASSERT_EQ(0, mprotect(self->buf, self->size, PROT_READ | PROT_WRITE));
	pattern_fill(self->buf, self->size, 0x1f100);
	ASSERT_EQ(0UL, pattern_bad(self->buf, self->size, 0x1f100));
}

/*
 * MADV_DONTNEED on half: its device pages are freed, it reads as zeros
 * (private anonymous memory), the other half is intact.
 */
TEST_F_TIMEOUT(anon, dontneed, 120)
{
	const size_t half = self->npages / 2, hsize = self->size / 2;

	fill_to_device(_metadata, self, 0x20000);
	ASSERT_EQ(0, madvise(self->buf, hsize, MADV_DONTNEED));
	ASSERT_EQ((int64_t)half, pages_added(self));
	ASSERT_EQ(0, snapshot(self->fd, self->buf, half, self->st));
	ASSERT_EQ(half, count_state(self->st, half, CDM_PRIVATE_PAGE_NONE));
	ASSERT_EQ(0UL, zero_bad(self->buf, hsize));
	ASSERT_EQ(0UL, pattern_bad_at(self->buf, hsize, hsize, 0x20000));
	ASSERT_EQ(0, pages_added(self));
}

/*
 * memcg: a child in a cgroup of its own allocates 32 MiB; memory.current
 * stays (within 4 MiB) while they are on the device and after they come
 * back, and drops to (almost) nothing once the child is gone.
 */
TEST_F_TIMEOUT(anon, memcg, 300)
{
	const size_t size = 32 * MIB, n = size / self->page, tol = 4 * MIB;
	uint64_t before, on_device, back, after;
	char cg[96], current[128];
	struct statfs fs;
	struct peer c;
	int ret, status;

	if (statfs("/sys/fs/cgroup", &fs) || fs.f_type != CGROUP2_SUPER_MAGIC)
		SKIP(return, "no cgroup v2 at /sys/fs/cgroup");
	ret = write_str("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	if (ret)
		SKIP(return, "cannot enable the memory controller in /sys/fs/cgroup: %s",
		     strerror(-ret));
	snprintf(cg, sizeof(cg), "/sys/fs/cgroup/cdm-private-memcg.%d", getpid());
	snprintf(current, sizeof(current), "%s/memory.current", cg);
	ASSERT_EQ(0, mkdir(cg, 0755));

	ASSERT_LE(0, peer_fork(&c));
	if (c.pid == 0) {
		char procs[128], *own;
		uint64_t done;

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
		if (write_str(procs, "0"))
			_exit(1);
		own = map_anon(size, variant->thp);
		if (!own)
			_exit(1);
		pattern_fill(own, size, 0x21000);
		peer_put(&c, 0);
		peer_wait(&c);
		peer_put(&c, cdm_cmd(self->fd, CDM_PRIVATE_IOC_TO_DEVICE, own, n, NULL, &done));
		peer_put(&c, done);
		peer_wait(&c);
		peer_put(&c, cdm_cmd(self->fd, CDM_PRIVATE_IOC_TO_RAM, own, n, NULL, &done));
		peer_put(&c, done);
		peer_put(&c, pattern_bad(own, size, 0x21000));
		peer_wait(&c);
		_exit(0);
	}
	ASSERT_EQ(0, peer_get(&c));
	ASSERT_EQ(0, read_u64(current, &before));
	ASSERT_LE(size, before);

	peer_put(&c, 1);
	ASSERT_EQ(0, peer_get(&c));
	ASSERT_EQ((int64_t)n, peer_get(&c));
	ASSERT_EQ(0, read_u64(current, &on_device));
	ASSERT_EQ((int64_t)n, pages_added(self));

	peer_put(&c, 1);
	ASSERT_EQ(0, peer_get(&c));
	ASSERT_EQ((int64_t)n, peer_get(&c));
	ASSERT_EQ(0, peer_get(&c));
	ASSERT_EQ(0, read_u64(current, &back));
	peer_put(&c, 1);
	status = peer_reap(&c);
	ASSERT_TRUE(EXITED_OK(status));
	ASSERT_EQ(0, read_u64(current, &after));
	rmdir(cg);

	TH_LOG("memory.current: %" PRIu64 " before, %" PRIu64 " on the device, %" PRIu64
	       " back, %" PRIu64 " after exit", before, on_device, back, after);
	ASSERT_LT(absdiff(on_device, before), tol);
	ASSERT_LT(absdiff(back, before), tol);
	ASSERT_LT(after, tol);
	ASSERT_EQ(0, pages_added(self));
}

/* ------------------------------------------------------------------ */
/* abi: arguments the driver must refuse */

#define ABI_PAGES	4
#define ABI_SEED	0x30000

FIXTURE(abi)
{
	int fd;
	size_t page;
	char *buf;		/* ABI_PAGES pages of test data */
	char *bounce;		/* as large, for READ, WRITE and SNAPSHOT */
	struct cdm_private_stats s0;
};

FIXTURE_SETUP(abi)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = cdm_open(0);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "%s", no_device);
	ASSERT_LE(0, self->fd);
	self->buf = map_anon(ABI_PAGES * self->page, false);
	ASSERT_NE(NULL, self->buf);
	pattern_fill(self->buf, ABI_PAGES * self->page, ABI_SEED);
	self->bounce = malloc(ABI_PAGES * self->page);
	ASSERT_NE(NULL, self->bounce);
	memset(self->bounce, 0x5a, ABI_PAGES * self->page);
	ASSERT_EQ(0, cdm_stats(self->fd, &self->s0));
}

FIXTURE_TEARDOWN(abi)
{
	if (self->buf)
		munmap(self->buf, ABI_PAGES * self->page);
	free(self->bounce);
	if (self->fd >= 0)
		close(self->fd);
}

enum arg_kind { ARG_INFO, ARG_STATS, ARG_RANGE };

static const struct ioc {
	const char *name;
	unsigned long cmd;
	enum arg_kind kind;
	bool buf;	/* @buf is a buffer (READ, WRITE, SNAPSHOT) */
	bool pidfd;	/* CDM_PRIVATE_F_PIDFD allowed */
} iocs[] = {
	{ "INFO", CDM_PRIVATE_IOC_INFO, ARG_INFO, false, false },
	{ "STATS", CDM_PRIVATE_IOC_STATS, ARG_STATS, false, false },
	{ "TO_DEVICE", CDM_PRIVATE_IOC_TO_DEVICE, ARG_RANGE, false, true },
	{ "TO_RAM", CDM_PRIVATE_IOC_TO_RAM, ARG_RANGE, false, true },
	{ "READ", CDM_PRIVATE_IOC_READ, ARG_RANGE, true, false },
	{ "WRITE", CDM_PRIVATE_IOC_WRITE, ARG_RANGE, true, false },
	{ "SNAPSHOT", CDM_PRIVATE_IOC_SNAPSHOT, ARG_RANGE, true, true },
	{ "EXCLUSIVE", CDM_PRIVATE_IOC_EXCLUSIVE, ARG_RANGE, false, false },
	{ "CHECK_EXCLUSIVE", CDM_PRIVATE_IOC_CHECK_EXCLUSIVE, ARG_RANGE, false, false },
};

#define for_each_ioc(ioc)	for (ioc = iocs; ioc < iocs + sizeof(iocs) / sizeof(iocs[0]); ioc++)

union arg {
	struct cdm_private_info info;
	struct cdm_private_stats stats;
	struct cdm_private_range range;
	unsigned char raw[256];
};

/* A valid argument for IOC in A (page 0 of the buffer), the rest zero; its size */
static size_t arg_valid(FIXTURE_DATA(abi) *self, const struct ioc *ioc, union arg *a)
{
	memset(a, 0, sizeof(*a));
	switch (ioc->kind) {
	case ARG_INFO:
		a->info.size = sizeof(a->info);
		return sizeof(a->info);
	case ARG_STATS:
		a->stats.size = sizeof(a->stats);
		return sizeof(a->stats);
	default:
		cdm_range_init(&a->range, self->buf, 1, ioc->buf ? self->bounce : NULL);
		return sizeof(a->range);
	}
}

/*
 * ARG's ioctl failed as it should: with ERR (or ERR2, when not 0), and
 * say which one it was when it did not.
 */
static bool refused(struct __test_metadata *_metadata, FIXTURE_DATA(abi) *self,
		    const struct ioc *ioc, union arg *a, int err, int err2, const char *what)
{
	int ret = cdm_ioctl(self->fd, ioc->cmd, a);

	if (ret == -err || (err2 && ret == -err2))
		return true;
	TH_LOG("%s with %s: got %d (%s), want -%d (or -%d)", ioc->name, what, ret,
	       ret ? strerror(-ret) : "success", err, err2 ? err2 : err);
	return false;
}

/*
 * Nothing moved, nothing was read or written by the device since the
 * test began, and the buffer is as it was.
 */
static void nothing_done(struct __test_metadata *_metadata, FIXTURE_DATA(abi) *self)
{
	struct cdm_private_stats s;
	uint8_t st[ABI_PAGES];

	ASSERT_EQ(0, cdm_stats(self->fd, &s));
	EXPECT_EQ(self->s0.to_device, s.to_device);
	EXPECT_EQ(self->s0.to_ram, s.to_ram);
	EXPECT_EQ(self->s0.device_reads, s.device_reads);
	EXPECT_EQ(self->s0.device_writes, s.device_writes);
	EXPECT_EQ(self->s0.pages_on_device, s.pages_on_device);
	ASSERT_EQ(0, snapshot(self->fd, self->buf, ABI_PAGES, st));
	EXPECT_EQ((size_t)ABI_PAGES, count_state(st, ABI_PAGES, CDM_PRIVATE_PAGE_RAM_WRITE));
	EXPECT_EQ(0UL, pattern_bad(self->buf, ABI_PAGES * self->page, ABI_SEED));
}

TEST_F(abi, size_too_small)
{
	const struct ioc *ioc;
	union arg a;
	int bad = 0;

	for_each_ioc(ioc) {
		size_t known = arg_valid(self, ioc, &a);
		const uint32_t sizes[] = { 0, 4, 8, known - 8, known - 1 };
		unsigned int i;

		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			arg_valid(self, ioc, &a);
			a.range.size = sizes[i];	/* @size leads every structure */
			bad += !refused(_metadata, self, ioc, &a, EINVAL, 0, "a small size");
		}
	}
	ASSERT_EQ(0, bad);
	nothing_done(_metadata, self);
}

/*
 * A larger structure (a newer caller's) is fine while the bytes this
 * driver does not know are zero, EINVAL otherwise.
 */
TEST_F(abi, size_larger)
{
	const struct ioc *ioc;
	union arg a;
	int bad = 0;

	for_each_ioc(ioc) {
		size_t known = arg_valid(self, ioc, &a);
		int ret;

		a.range.size = known + 16;
		ret = cdm_ioctl(self->fd, ioc->cmd, &a);
		if (ret) {
			TH_LOG("%s with size %zu, zero beyond %zu: %s", ioc->name, known + 16,
			       known, strerror(-ret));
			bad++;
		}
	}
	ASSERT_EQ(0, bad);
	/*
	 * Those calls moved page 0 to the device and back, read it, wrote
	 * back what they read and made it exclusive: a CPU write takes it
	 * back; its data are as they were. Counting starts anew.
	 */
	*(volatile char *)self->buf = *(volatile char *)self->buf;
	ASSERT_EQ(0UL, pattern_bad(self->buf, ABI_PAGES * self->page, ABI_SEED));
	ASSERT_EQ(0, cdm_stats(self->fd, &self->s0));
	for_each_ioc(ioc) {
		size_t known = arg_valid(self, ioc, &a);

		a.range.size = known + 16;
		a.raw[known + 15] = 1;
		bad += !refused(_metadata, self, ioc, &a, EINVAL, 0, "a nonzero last byte");
		arg_valid(self, ioc, &a);
		a.range.size = known + 16;
		a.raw[known] = 0x80;
		bad += !refused(_metadata, self, ioc, &a, EINVAL, 0, "a nonzero first new byte");
	}
	ASSERT_EQ(0, bad);
	nothing_done(_metadata, self);
}

TEST_F(abi, reserved_nonzero)
{
	struct cdm_private_range r;
	const struct ioc *ioc;
	union arg a;
	int i, bad = 0;

	for_each_ioc(ioc) {
		switch (ioc->kind) {
		case ARG_INFO:
			for (i = 0; i < 4; i++) {
				arg_valid(self, ioc, &a);
				a.info.reserved[i] = 1;
				bad += !refused(_metadata, self, ioc, &a, EINVAL, 0, "reserved[]");
			}
			break;
		case ARG_STATS:
			arg_valid(self, ioc, &a);
			a.stats.pad = 1;
			bad += !refused(_metadata, self, ioc, &a, EINVAL, 0, "pad");
			for (i = 0; i < 6; i++) {
				arg_valid(self, ioc, &a);
				a.stats.reserved[i] = 1ULL << 63;
				bad += !refused(_metadata, self, ioc, &a, EINVAL, 0, "reserved[]");
			}
			break;
		default:
			arg_valid(self, ioc, &a);
			a.range.pad = 1;
			bad += !refused(_metadata, self, ioc, &a, EINVAL, 0, "pad");
			for (i = 0; i < 3; i++) {
				arg_valid(self, ioc, &a);
				a.range.reserved[i] = 1ULL << 63;
				bad += !refused(_metadata, self, ioc, &a, EINVAL, 0, "reserved[]");
			}
		}
	}
	ASSERT_EQ(0, bad);
	nothing_done(_metadata, self);
	/* and zero on return */
	cdm_range_init(&r, self->buf, ABI_PAGES, self->bounce);
	ASSERT_EQ(0, cdm_ioctl(self->fd, CDM_PRIVATE_IOC_SNAPSHOT, &r));
	ASSERT_EQ(0U, r.pad);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0UL, r.reserved[i]);
}

/*
 * Unknown flags; CDM_PRIVATE_F_PIDFD where it does not apply; a pidfd
 * without the flag; @buf where the command takes none.
 */
TEST_F(abi, flags)
{
	const uint32_t unknown[] = { 1u << 1, 1u << 31, ~CDM_PRIVATE_F_PIDFD };
	const struct ioc *ioc;
	union arg a;
	int pidfd, bad = 0;
	unsigned int i;

	pidfd = open_pidfd(getpid());
	ASSERT_LE(0, pidfd);
	for_each_ioc(ioc) {
		if (ioc->kind != ARG_RANGE)
			continue;
		for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
			arg_valid(self, ioc, &a);
			a.range.flags = unknown[i];
			bad += !refused(_metadata, self, ioc, &a, EINVAL, 0, "an unknown flag");
		}
		arg_valid(self, ioc, &a);
		a.range.pidfd = pidfd;
		bad += !refused(_metadata, self, ioc, &a, EINVAL, 0, "a pidfd, no F_PIDFD");
		if (!ioc->pidfd) {
			arg_valid(self, ioc, &a);
			a.range.flags = CDM_PRIVATE_F_PIDFD;
			a.range.pidfd = pidfd;
			bad += !refused(_metadata, self, ioc, &a, EINVAL, 0, "F_PIDFD");
		}
		if (!ioc->buf) {
			arg_valid(self, ioc, &a);
			a.range.buf = (uintptr_t)self->bounce;
			bad += !refused(_metadata, self, ioc, &a, EINVAL, 0, "a buf");
		}
	}
	close(pidfd);
	ASSERT_EQ(0, bad);
	nothing_done(_metadata, self);
}

/* Every range command refuses ADDR, NPAGES with ERR (or ERR2) */
static int range_refused(struct __test_metadata *_metadata, FIXTURE_DATA(abi) *self,
			 uint64_t addr, uint64_t npages, int err, int err2, const char *what)
{
	const struct ioc *ioc;
	union arg a;
	int bad = 0;

	for_each_ioc(ioc) {
		if (ioc->kind != ARG_RANGE)
			continue;
		arg_valid(self, ioc, &a);
		a.range.addr = addr;
		a.range.npages = npages;
		bad += !refused(_metadata, self, ioc, &a, err, err2, what);
	}
	return bad;
}

TEST_F(abi, addr_unaligned)
{
	uint64_t addr = (uintptr_t)self->buf;
	int bad = 0;

	bad += range_refused(_metadata, self, addr + 1, 1, EINVAL, 0, "addr + 1");
	bad += range_refused(_metadata, self, addr + self->page / 2, 1, EINVAL, 0, "addr + page/2");
	bad += range_refused(_metadata, self, addr + self->page - 8, 1, EINVAL, 0, "addr + page-8");
	ASSERT_EQ(0, bad);
	nothing_done(_metadata, self);
}

TEST_F(abi, npages_zero)
{
	ASSERT_EQ(0, range_refused(_metadata, self, (uintptr_t)self->buf, 0, EINVAL, 0,
				   "npages 0"));
	nothing_done(_metadata, self);
}

/* addr + npages pages beyond 2^64 */
TEST_F(abi, overflow)
{
	uint64_t addr = (uintptr_t)self->buf, top = ~(uint64_t)(self->page - 1);
	int bad = 0;

	bad += range_refused(_metadata, self, addr, UINT64_MAX, EINVAL, 0, "npages 2^64-1");
	bad += range_refused(_metadata, self, addr, (UINT64_MAX / self->page) + 1, EINVAL, 0,
			     "npages * page = 2^64");
	bad += range_refused(_metadata, self, addr, 1ULL << 63, EINVAL, 0, "npages 2^63");
	bad += range_refused(_metadata, self, top, 2, EINVAL, 0, "the last page + 1");
	ASSERT_EQ(0, bad);
	nothing_done(_metadata, self);
}

/*
 * Ranges beyond the user address space (x86-64: 47 bits, 56 with 5-level
 * paging): never mapped, so EFAULT; EINVAL is as fair an answer.
 */
TEST_F(abi, beyond_task_size)
{
	int bad = 0;

	bad += range_refused(_metadata, self, 1ULL << 62, 1, EFAULT, EINVAL, "2^62");
	bad += range_refused(_metadata, self, 1ULL << 57, 16, EFAULT, EINVAL, "2^57");
	bad += range_refused(_metadata, self, 0x7ffffffff000ULL, 1, EFAULT, EINVAL,
			     "0x7ffffffff000");
	bad += range_refused(_metadata, self, 0x7fffffffe000ULL, 2, EFAULT, EINVAL,
			     "across 0x7ffffffff000");
	ASSERT_EQ(0, bad);
	nothing_done(_metadata, self);
}

/*
 * A hole in the range, a range past the end of a mapping, a range never
 * mapped: EFAULT, nothing done (page 0, mapped, stays as it was).
 */
TEST_F(abi, unmapped)
{
	const size_t size = 3 * self->page;
	uint8_t st[1];
	int bad = 0;
	size_t i;
	char *p;

	p = map_anon(size, false);
	ASSERT_NE(NULL, p);
	pattern_fill(p, size, 0x31000);
	ASSERT_EQ(0, munmap(p + self->page, self->page));
	bad += range_refused(_metadata, self, (uintptr_t)p, 3, EFAULT, 0, "a hole");
	ASSERT_EQ(0, munmap(p + 2 * self->page, self->page));
	bad += range_refused(_metadata, self, (uintptr_t)p, 2, EFAULT, 0, "past the end");
	ASSERT_EQ(0, snapshot(self->fd, p, 1, st));
	ASSERT_EQ(CDM_PRIVATE_PAGE_RAM_WRITE, st[0]);
	ASSERT_EQ(0UL, pattern_bad(p, self->page, 0x31000));
	ASSERT_EQ(0, munmap(p, self->page));
	bad += range_refused(_metadata, self, (uintptr_t)p, 1, EFAULT, 0, "nothing mapped");
	ASSERT_EQ(0, bad);
	/* READ copied nothing into its buffer */
	for (i = 0; i < ABI_PAGES * self->page; i++)
		bad += (unsigned char)self->bounce[i] != 0x5a;
	ASSERT_EQ(0, bad);
	nothing_done(_metadata, self);
}

/*
 * The vDSO's [vvar] is VM_IO | VM_PFNMAP: no struct pages to move, mirror
 * or take; every command refuses it (EINVAL or EFAULT), except that the
 * two that only look may answer instead: SNAPSHOT with the page as ERROR,
 * CHECK_EXCLUSIVE with none exclusive.
 */
TEST_F(abi, vm_pfnmap)
{
	const struct ioc *ioc;
	uint8_t st[1] = { 0 };
	union arg a;
	void *vvar;
	int ret, bad = 0;

	vvar = vvar_start();
	if (!vvar)
		SKIP(return, "no [vvar] mapping in /proc/self/maps");
	for_each_ioc(ioc) {
		if (ioc->kind != ARG_RANGE)
			continue;
		arg_valid(self, ioc, &a);
		a.range.addr = (uintptr_t)vvar;
		if (ioc->cmd == CDM_PRIVATE_IOC_SNAPSHOT) {
			a.range.buf = (uintptr_t)st;
			ret = cdm_ioctl(self->fd, ioc->cmd, &a);
			if (ret == 0 && st[0] == CDM_PRIVATE_PAGE_ERROR)
				continue;
			if (ret == -EINVAL || ret == -EFAULT)
				continue;
			TH_LOG("SNAPSHOT of [vvar]: %d, state %u", ret, st[0]);
			bad++;
			continue;
		}
		if (ioc->cmd == CDM_PRIVATE_IOC_CHECK_EXCLUSIVE) {
			ret = cdm_ioctl(self->fd, ioc->cmd, &a);
			if ((ret == 0 && a.range.done == 0) || ret == -EINVAL || ret == -EFAULT)
				continue;
			TH_LOG("CHECK_EXCLUSIVE of [vvar]: %d, done %llu", ret,
			       (unsigned long long)a.range.done);
			bad++;
			continue;
		}
		bad += !refused(_metadata, self, ioc, &a, EINVAL, EFAULT, "[vvar]");
	}
	ASSERT_EQ(0, bad);
	nothing_done(_metadata, self);
}

/*
 * READ, WRITE, SNAPSHOT with no buffer (EINVAL: @buf 0 says "none"; or
 * EFAULT), or one they may not write (EFAULT)
 */
TEST_F(abi, buf_bad)
{
	const struct ioc *ioc;
	union arg a;
	uint8_t st[ABI_PAGES];
	int bad = 0;
	char *ro;

	ro = mmap(NULL, self->page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	for_each_ioc(ioc) {
		if (!ioc->buf)
			continue;
		arg_valid(self, ioc, &a);
		a.range.buf = 0;
		bad += !refused(_metadata, self, ioc, &a, EINVAL, EFAULT, "buf NULL");
		if (ioc->cmd == CDM_PRIVATE_IOC_WRITE)
			continue;
		arg_valid(self, ioc, &a);
		a.range.buf = (uintptr_t)ro;
		bad += !refused(_metadata, self, ioc, &a, EFAULT, 0, "a read-only buf");
	}
	ASSERT_EQ(0, bad);
	ASSERT_EQ(0UL, zero_bad(ro, self->page));
	ASSERT_EQ(0, snapshot(self->fd, self->buf, ABI_PAGES, st));
	ASSERT_EQ((size_t)ABI_PAGES, count_state(st, ABI_PAGES, CDM_PRIVATE_PAGE_RAM_WRITE));
	ASSERT_EQ(0UL, pattern_bad(self->buf, ABI_PAGES * self->page, ABI_SEED));
	munmap(ro, self->page);
}

/* F_PIDFD with something that is no pidfd: EBADF */
TEST_F(abi, pidfd_bad)
{
	const struct ioc *ioc;
	union arg a;
	int bad = 0, nul, closed;
	unsigned int i;

	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nul);
	closed = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, closed);
	close(closed);
	for_each_ioc(ioc) {
		const int fds[] = { -1, nul, closed, self->fd };

		if (!ioc->pidfd)
			continue;
		for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
			arg_valid(self, ioc, &a);
			a.range.flags = CDM_PRIVATE_F_PIDFD;
			a.range.pidfd = fds[i];
			bad += !refused(_metadata, self, ioc, &a, EBADF, 0, "a bad pidfd");
		}
	}
	close(nul);
	ASSERT_EQ(0, bad);
	nothing_done(_metadata, self);
}

TEST_F(abi, unknown_ioctl)
{
	const unsigned long cmds[] = {
		_IO(CDM_PRIVATE_IOC_MAGIC, 0x4f),
		_IOWR(CDM_PRIVATE_IOC_MAGIC, 0x49, struct cdm_private_range),
		_IOWR(CDM_PRIVATE_IOC_MAGIC, 0x3f, struct cdm_private_range),
		_IOWR(CDM_PRIVATE_IOC_MAGIC, 0x01, struct cdm_private_range),
		_IOWR('x', 0x42, struct cdm_private_range),
	};
	union arg a;
	unsigned int i;
	int ret, bad = 0;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		memset(&a, 0, sizeof(a));
		cdm_range_init(&a.range, self->buf, 1, NULL);
		ret = cdm_ioctl(self->fd, cmds[i], &a);
		if (ret != -ENOTTY) {
			TH_LOG("ioctl %#lx: %d, want -ENOTTY", cmds[i], ret);
			bad++;
		}
	}
	ASSERT_EQ(0, bad);
	nothing_done(_metadata, self);
}

TEST_F(abi, null_arg)
{
	const struct ioc *ioc;
	int ret, bad = 0;

	for_each_ioc(ioc) {
		ret = cdm_ioctl(self->fd, ioc->cmd, NULL);
		if (ret != -EFAULT) {
			TH_LOG("%s with a NULL argument: %d, want -EFAULT", ioc->name, ret);
			bad++;
		}
	}
	ASSERT_EQ(0, bad);
	nothing_done(_metadata, self);
}

TEST_HARNESS_MAIN
