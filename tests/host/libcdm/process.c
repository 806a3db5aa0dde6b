// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libcdm on the real kernel of the host, without root or a VM: residency
 * and a same-node migration of this process's own pages (content checked),
 * and every kind of bad request: gone and zombie processes, other users'
 * processes, offline nodes, bad and unmapped ranges, bad policies.
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
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <libcdm.h>
#include <numa.h>

#define MIB (1UL << 20)

static struct cdm_ctx *ctx;
static long ps;

static int setup(void **state)
{
	unsetenv("CDM_SYSFS_ROOT");
	ps = sysconf(_SC_PAGESIZE);
	return cdm_new(&ctx);
}

static int teardown(void **state)
{
	cdm_unref(ctx);
	return 0;
}

/* Pages of the last update on @node, a node number it answers for */
static unsigned long long pages_on(struct cdm_residency *res, int node)
{
	unsigned long long pages = ~0ULL;
	int rc = cdm_residency_get_pages(res, node, &pages);

	if (rc)
		fail_msg("node %d: %d '%s'", node, rc, cdm_get_last_error(ctx));
	return pages;
}

static void expect_msg(const char *want)
{
	if (!strstr(cdm_get_last_error(ctx), want))
		fail_msg("message '%s' lacks '%s'", cdm_get_last_error(ctx), want);
}

static uint64_t fill(uint64_t *p, size_t len)
{
	uint64_t sum = 0, x = 88172645463325252ULL;
	size_t i;

	for (i = 0; i < len / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x;
		sum = (sum ^ x) * 0x100000001b3ULL;
	}
	return sum;
}

static uint64_t checksum(const uint64_t *p, size_t len)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < len / 8; i++)
		sum = (sum ^ p[i]) * 0x100000001b3ULL;
	return sum;
}

/* A node with memory and CPUs on this host (0 on most machines). */
static int home_node(void)
{
	struct cdm_node *node;

	cdm_node_foreach(ctx, node)
		if (cdm_node_has_memory(node))
			return cdm_node_get_id(node);
	fail_msg("no node with memory: %s", cdm_get_last_error(ctx));
	return -1;
}

static void residency_self(void **state)
{
	struct cdm_residency *res;
	int node = home_node();
	size_t len = 16 * MIB;
	void *p, *q;

	assert_int_equal(cdm_alloc_on_node(ctx, len, node, CDM_ALLOC_POPULATE, &p), 0);
	q = mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(q != MAP_FAILED);

	assert_int_equal(cdm_residency_new(ctx, 0, &res), 0);
	assert_int_equal(cdm_residency_set_range(res, (uintptr_t)p, (uintptr_t)p + len), 0);
	assert_int_equal(cdm_residency_update(res), 0);
	assert_int_equal(cdm_residency_get_total(res), len / ps);
	assert_int_equal(pages_on(res, node), len / ps);
	assert_int_equal(cdm_residency_get_not_present(res), 0);
	assert_int_equal(cdm_residency_get_max_node(res), node);

	assert_int_equal(cdm_residency_set_source(res, CDM_RESIDENCY_MOVE_PAGES), 0);
	assert_int_equal(cdm_residency_update(res), 0);
	assert_int_equal(cdm_residency_get_source_used(res), CDM_RESIDENCY_MOVE_PAGES);
	assert_int_equal(pages_on(res, node), len / ps);
	assert_int_equal(cdm_residency_set_source(res, 7), -EINVAL);

	/* never touched: mapped, but no page anywhere */
	assert_int_equal(cdm_residency_set_range(res, (uintptr_t)q, (uintptr_t)q + 4 * MIB), 0);
	assert_int_equal(cdm_residency_update(res), 0);
	assert_int_equal(cdm_residency_get_not_present(res), 4 * MIB / ps);
	assert_int_equal(pages_on(res, node), 0);
	assert_int_equal(cdm_residency_get_max_node(res), -1);

	/* whole process: at least the 16 MiB above */
	cdm_residency_free(res);
	assert_int_equal(cdm_residency_new(ctx, getpid(), &res), 0);
	assert_int_equal(cdm_residency_update(res), 0);
	assert_true(pages_on(res, node) >= len / ps);
	assert_true(cdm_residency_get_total(res) >= (len + 4 * MIB) / ps);
	cdm_residency_free(res);
	munmap(q, 4 * MIB);
	assert_int_equal(cdm_free(ctx, p, len), 0);
}

static void migrate_same_node(void **state)
{
	struct cdm_migration *mig;
	int node = home_node();
	size_t len = 32 * MIB;
	uint64_t sum;
	void *p;

	assert_int_equal(cdm_alloc_on_node(ctx, len, node, CDM_ALLOC_POPULATE, &p), 0);
	sum = fill(p, len);
	assert_int_equal(cdm_migration_new(ctx, 0, node, &mig), 0);
	assert_int_equal(cdm_migration_set_range(mig, (uintptr_t)p, (uintptr_t)p + len), 0);
	assert_int_equal(cdm_migration_set_threads(mig, 2), 0);
	assert_int_equal(cdm_migration_set_batch(mig, 1000), 0);	/* rounded to 1024 */
	assert_int_equal(cdm_migration_run(mig), 0);
	assert_int_equal(cdm_migration_get_pages(mig), len / ps);
	assert_int_equal(cdm_migration_get_already(mig), len / ps);
	assert_int_equal(cdm_migration_get_moved(mig), 0);
	assert_int_equal(cdm_migration_get_failed(mig) + cdm_migration_get_busy(mig), 0);
	assert_int_equal(cdm_migration_get_nr_failed_pages(mig), 0);
	assert_int_equal(cdm_migration_get_failed_page(mig, 0, NULL, NULL), -ERANGE);
	assert_int_equal(cdm_migration_get_failed_page(mig, -1, NULL, NULL), -ERANGE);
	assert_int_equal(checksum(p, len), sum);
	cdm_migration_free(mig);

	/* whole address space of this process, also a no-op */
	assert_int_equal(cdm_migration_new(ctx, getpid(), node, &mig), 0);
	assert_int_equal(cdm_migration_run(mig), 0);
	assert_true(cdm_migration_get_already(mig) >= len / ps);
	assert_int_equal(cdm_migration_get_moved(mig), 0);
	cdm_migration_free(mig);
	assert_int_equal(checksum(p, len), sum);
	cdm_free(ctx, p, len);
}

static pid_t unused_pid(void)
{
	pid_t pid;

	for (pid = 4000000; pid > 1000; pid -= 7919)
		if (kill(pid, 0) && errno == ESRCH)
			return pid;
	fail_msg("no unused pid");
	return -1;
}

static void bad_processes(void **state)
{
	struct cdm_migration *mig;
	struct cdm_residency *res;
	int node = home_node(), rc;
	char want[64];
	pid_t pid;

	pid = unused_pid();
	snprintf(want, sizeof(want), "pid %d: no such process", pid);
	assert_int_equal(cdm_migration_new(ctx, pid, node, &mig), -ESRCH);
	assert_string_equal(cdm_get_last_error(ctx), want);
	assert_int_equal(cdm_residency_new(ctx, pid, &res), -ESRCH);
	assert_string_equal(cdm_get_last_error(ctx), want);
	assert_int_equal(cdm_residency_new(ctx, -5, &res), -EINVAL);
	expect_msg("pid -5: invalid");

	/* a zombie: the kernel says EINVAL (no mm); we say it is gone */
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(0);
	usleep(100000);
	assert_int_equal(cdm_migration_new(ctx, pid, node, &mig), 0);
	rc = cdm_migration_run(mig);
	if (rc != -ESRCH)
		fail_msg("zombie: %d %s", rc, cdm_get_last_error(ctx));
	snprintf(want, sizeof(want), "pid %d: no such process", pid);
	expect_msg(want);
	cdm_migration_free(mig);
	assert_int_equal(cdm_residency_new(ctx, pid, &res), 0);
	assert_int_equal(cdm_residency_update(res), -ESRCH);
	cdm_residency_free(res);
	waitpid(pid, NULL, 0);
}

/*
 * pagemap agrees with move_pages page for page where it can: its PFNs need
 * root. Unprivileged, pagemap is refused with the reason and the automatic
 * choice falls back to move_pages.
 */
static void residency_sources(void **state)
{
	struct cdm_residency *res;
	int node = home_node();
	size_t len = 16 * MIB;
	void *p;

	assert_int_equal(cdm_alloc_on_node(ctx, len, node, CDM_ALLOC_POPULATE, &p), 0);
	assert_int_equal(cdm_residency_new(ctx, 0, &res), 0);
	assert_int_equal(cdm_residency_set_range(res, (uintptr_t)p, (uintptr_t)p + len), 0);
	assert_int_equal(cdm_residency_set_source(res, CDM_RESIDENCY_MOVE_PAGES), 0);
	assert_int_equal(cdm_residency_update(res), 0);
	assert_int_equal(pages_on(res, node), len / ps);
	if (getuid() != 0) {
		assert_int_equal(cdm_residency_set_source(res, CDM_RESIDENCY_PAGEMAP), 0);
		assert_int_equal(cdm_residency_update(res), -EPERM);
		assert_non_null(strstr(cdm_get_last_error(ctx), "PFNs hidden (needs CAP_SYS_ADMIN)"));
		assert_int_equal(cdm_residency_set_source(res, CDM_RESIDENCY_AUTO), 0);
		assert_int_equal(cdm_residency_update(res), 0);
		assert_int_equal(cdm_residency_get_source_used(res), CDM_RESIDENCY_MOVE_PAGES);
		assert_int_equal(pages_on(res, node), len / ps);
		goto out;
	}
	assert_int_equal(cdm_residency_set_source(res, CDM_RESIDENCY_PAGEMAP), 0);
	assert_int_equal(cdm_residency_update(res), 0);
	assert_int_equal(cdm_residency_get_source_used(res), CDM_RESIDENCY_PAGEMAP);
	assert_int_equal(pages_on(res, node), len / ps);
	assert_int_equal(cdm_residency_get_not_present(res), 0);
	assert_int_equal(cdm_residency_set_source(res, CDM_RESIDENCY_AUTO), 0);
	assert_int_equal(cdm_residency_update(res), 0);
	assert_int_equal(cdm_residency_get_source_used(res), CDM_RESIDENCY_PAGEMAP);
out:
	cdm_residency_free(res);
	munmap(p, len);
}

/*
 * Pages mapped to the zero page (a read-only mapping read, never written),
 * small and, where THP gives one, the huge zero page: the same count from
 * every source the caller may use (pagemap only as root), on no node.
 */
static void residency_zero_page(void **state)
{
	static const enum cdm_residency_source sources[] = {
		CDM_RESIDENCY_MOVE_PAGES, CDM_RESIDENCY_AUTO, CDM_RESIDENCY_PAGEMAP,
	};
	struct cdm_residency *res;
	size_t len = 8 * MIB, i, s;
	char *p, *huge;
	int sum = 0, node;

	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	/* the second half in 2 MiB blocks that may take the huge zero page */
	huge = (char *)(((uintptr_t)p + len / 2 + 2 * MIB - 1) & ~(2 * MIB - 1));
	madvise(p, len / 2, MADV_NOHUGEPAGE);
	madvise(huge, p + len - huge, MADV_HUGEPAGE);
	for (i = 0; i < len; i += ps)
		sum += ((volatile char *)p)[i];
	assert_int_equal(sum, 0);
	assert_int_equal(cdm_residency_new(ctx, 0, &res), 0);
	assert_int_equal(cdm_residency_set_range(res, (uintptr_t)p, (uintptr_t)p + len), 0);
	for (s = 0; s < sizeof(sources) / sizeof(sources[0]); s++) {
		if (sources[s] == CDM_RESIDENCY_PAGEMAP && getuid() != 0)
			continue;
		assert_int_equal(cdm_residency_set_source(res, sources[s]), 0);
		if (cdm_residency_update(res))
			fail_msg("source %d: %s", sources[s], cdm_get_last_error(ctx));
		for (node = 0; node < CDM_MAX_NODES; node++)
			if (pages_on(res, node))
				fail_msg("source %d: %llu zero pages on node %d", sources[s],
					 pages_on(res, node), node);
		assert_int_equal(cdm_residency_get_zero_page(res), len / ps);
		assert_int_equal(cdm_residency_get_not_present(res), 0);
		assert_int_equal(cdm_residency_get_errors(res), 0);
		assert_int_equal(cdm_residency_get_max_node(res), -1);
	}
	cdm_residency_free(res);
	munmap(p, len);
}

/* Not root (or root dropped to nobody): another user's process is EPERM. */
static void other_users_process(void **state)
{
	pid_t child, target = getpid();
	int status, node = home_node();
	bool as_root = getuid() == 0;

	child = fork();
	assert_true(child >= 0);
	if (!child) {
		struct cdm_migration *mig;
		struct cdm_residency *res;
		int rc;

		/* root becomes nobody, so the parent is another user's process;
		 * a test run unprivileged takes pid 1, which is root's */
		if (as_root && (setgid(65534) || setuid(65534)))
			_exit(10);
		if (!as_root)
			target = 1;
		/* changing uid made us undumpable: /proc/self would be root's */
		prctl(PR_SET_DUMPABLE, 1);
		if (cdm_migration_new(ctx, target, node, &mig))
			_exit(11);
		rc = cdm_migration_run(mig);
		if (rc != -EPERM || !strstr(cdm_get_last_error(ctx), "not permitted"))
			_exit(12);
		cdm_migration_free(mig);
		if (cdm_residency_new(ctx, target, &res) || cdm_residency_update(res) != -EPERM)
			_exit(13);
		cdm_residency_free(res);
		/* own pages: PFNs hidden, so AUTO falls back and PAGEMAP says why */
		if (cdm_residency_new(ctx, 0, &res) || cdm_residency_update(res) ||
		    cdm_residency_get_source_used(res) != CDM_RESIDENCY_MOVE_PAGES ||
		    cdm_residency_get_total(res) == 0)
			_exit(14);
		cdm_residency_set_source(res, CDM_RESIDENCY_PAGEMAP);
		if (cdm_residency_update(res) != -EPERM ||
		    !strstr(cdm_get_last_error(ctx), "PFNs hidden (needs CAP_SYS_ADMIN)"))
			_exit(15);
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void bad_requests(void **state)
{
	struct cdm_migration *mig;
	struct cdm_nodeset set;
	enum cdm_policy policy;
	int node = home_node();
	void *p, *hole;

	assert_int_equal(cdm_migration_new(ctx, 0, 777, &mig), -ENODEV);
	assert_string_equal(cdm_get_last_error(ctx), "node 777: not online");
	assert_int_equal(cdm_migration_new(ctx, 0, -1, &mig), -EINVAL);
	assert_string_equal(cdm_get_last_error(ctx), "node -1: invalid node number");
	assert_int_equal(cdm_migration_new(ctx, 0, 100000, &mig), -EINVAL);

	assert_int_equal(cdm_migration_new(ctx, 0, node, &mig), 0);
	assert_int_equal(cdm_migration_set_range(mig, 0x2000, 0x1000), -EINVAL);
	assert_string_equal(cdm_get_last_error(ctx), "range 0x2000-0x1000: empty");
	assert_int_equal(cdm_migration_set_range(mig, 0x1001, 0x3000), -EINVAL);
	assert_string_equal(cdm_get_last_error(ctx), "range 0x1001-0x3000: not page aligned");
	assert_int_equal(cdm_migration_set_threads(mig, 0), -EINVAL);
	assert_int_equal(cdm_migration_set_threads(mig, 65), -EINVAL);
	assert_int_equal(cdm_migration_set_batch(mig, 0), -EINVAL);
	/* a range with nothing mapped in it */
	hole = mmap(NULL, 8 * ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(hole != MAP_FAILED);
	munmap(hole, 8 * ps);
	assert_int_equal(cdm_migration_set_range(mig, (uintptr_t)hole,
						 (uintptr_t)hole + 8 * ps), 0);
	assert_int_equal(cdm_migration_run(mig), -EFAULT);
	expect_msg(": not mapped");
	cdm_migration_free(mig);

	/* placement */
	assert_int_equal(cdm_alloc(ctx, 0, CDM_POLICY_BIND, NULL, 0, &p), -EINVAL);
	assert_int_equal(cdm_alloc(ctx, MIB, CDM_POLICY_BIND, NULL, 0, &p), -EINVAL);
	expect_msg("policy bind: empty node list");
	cdm_nodeset_zero(&set);
	cdm_nodeset_add(&set, 777);
	assert_int_equal(cdm_alloc(ctx, MIB, CDM_POLICY_BIND, &set, 0, &p), -ENODEV);
	assert_string_equal(cdm_get_last_error(ctx), "node 777: not online");
	cdm_nodeset_add(&set, node);
	assert_int_equal(cdm_alloc(ctx, MIB, CDM_POLICY_PREFERRED, &set, 0, &p), -EINVAL);
	expect_msg("takes exactly one node");
	assert_int_equal(cdm_alloc(ctx, MIB, CDM_POLICY_DEFAULT, &set, 0, &p), -EINVAL);
	assert_int_equal(cdm_alloc(ctx, MIB, 99, &set, 0, &p), -EINVAL);
	assert_int_equal(cdm_alloc(ctx, MIB, CDM_POLICY_BIND, &set, 0x80, &p), -EINVAL);
	assert_int_equal(cdm_alloc(ctx, SIZE_MAX, CDM_POLICY_DEFAULT, NULL, 0, &p), -EINVAL);
	cdm_nodeset_zero(&set);
	cdm_nodeset_add(&set, node);
	assert_int_equal(cdm_bind_range(ctx, hole, 8 * ps, CDM_POLICY_BIND, &set, 0), -EFAULT);
	expect_msg(": not mapped");
	assert_int_equal(cdm_bind_range(ctx, (char *)hole + 1, 8 * ps, CDM_POLICY_BIND, &set, 0),
			 -EINVAL);
	expect_msg("not page aligned");
	assert_int_equal(cdm_bind_range(ctx, (void *)(uintptr_t)-4096, 8192, CDM_POLICY_BIND,
					&set, 0), -EINVAL);
	expect_msg("wraps");
	assert_int_equal(cdm_policy_parse(ctx, "bindd", &policy), -EINVAL);
	expect_msg("policy 'bindd': unknown");
	assert_int_equal(cdm_policy_parse(ctx, "preferred-many", &policy), 0);
	assert_int_equal(policy, CDM_POLICY_PREFERRED_MANY);
	assert_null(cdm_policy_name(42));

	/* every policy applies to a real range (one node: all equivalent) */
	for (policy = CDM_POLICY_BIND; policy <= CDM_POLICY_INTERLEAVE; policy++) {
		int rc = cdm_alloc(ctx, MIB, policy, &set, CDM_ALLOC_POPULATE, &p);

		if (rc)
			fail_msg("policy %s: %s", cdm_policy_name(policy), cdm_get_last_error(ctx));
		assert_int_equal(cdm_bind_range(ctx, p, MIB, CDM_POLICY_DEFAULT, NULL,
						CDM_BIND_MOVE), 0);
		cdm_free(ctx, p, MIB);
	}
}

/*
 * The movable ranges of this process around a layout of its own: a mapping,
 * a PROT_NONE guard, a hole, another mapping; clipped to a range; the
 * gone process, a bad range and missing arguments.
 */
static void movable_ranges(void **state)
{
	struct cdm_range *r = (struct cdm_range *)1;
	uint64_t a, guard, hole, b, end;
	size_t nr = 77, i;
	char *p;
	pid_t pid;

	/* 32 pages: 8 mapped, 8 PROT_NONE, 8 unmapped, 8 mapped */
	p = mmap(NULL, 32 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	a = (uintptr_t)p;
	guard = a + 8 * ps;
	hole = a + 16 * ps;
	b = a + 24 * ps;
	end = a + 32 * ps;
	assert_int_equal(mprotect((void *)(uintptr_t)guard, 8 * ps, PROT_NONE), 0);
	assert_int_equal(munmap((void *)(uintptr_t)hole, 8 * ps), 0);
	/* b's mapping may merge with one above it: ask for our 32 pages */
	assert_int_equal(cdm_get_movable_ranges(ctx, 0, a, end, &r, &nr), 0);
	assert_int_equal(nr, 2);
	assert_true(r[0].start == a && r[0].end == guard);
	assert_true(r[1].start == b && r[1].end == end);
	free(r);
	/* clipped inside a mapping; nothing in the guard or the hole */
	assert_int_equal(cdm_get_movable_ranges(ctx, getpid(), a + ps, a + 3 * ps, &r, &nr), 0);
	assert_int_equal(nr, 1);
	assert_true(r[0].start == a + ps && r[0].end == a + 3 * ps);
	free(r);
	assert_int_equal(cdm_get_movable_ranges(ctx, 0, guard, b, &r, &nr), 0);
	assert_int_equal(nr, 0);
	assert_null(r);
	/* the whole process: in address order, our two among them, no guard */
	assert_int_equal(cdm_get_movable_ranges(ctx, 0, 0, 0, &r, &nr), 0);
	assert_true(nr >= 2);
	for (i = 0; i < nr; i++) {
		assert_true(r[i].start < r[i].end);
		if (i)
			assert_true(r[i - 1].end <= r[i].start);
		assert_false(r[i].start < b && r[i].end > guard);
	}
	free(r);
	munmap(p, 8 * ps);
	munmap((void *)(uintptr_t)guard, 8 * ps);
	munmap((void *)(uintptr_t)b, 8 * ps);

	pid = unused_pid();
	assert_int_equal(cdm_get_movable_ranges(ctx, pid, 0, 0, &r, &nr), -ESRCH);
	expect_msg("no such process");
	assert_int_equal(cdm_get_movable_ranges(ctx, -3, 0, 0, &r, &nr), -EINVAL);
	expect_msg("pid -3");
	assert_int_equal(cdm_get_movable_ranges(ctx, 0, 0x2000, 0x1000, &r, &nr), -EINVAL);
	expect_msg("empty");
	assert_int_equal(cdm_get_movable_ranges(ctx, 0, 0x1001, 0x3000, &r, &nr), -EINVAL);
	expect_msg("not page aligned");
	assert_int_equal(cdm_get_movable_ranges(ctx, 0, 0, 0x3000, &r, &nr), 0);
	assert_int_equal(cdm_get_movable_ranges(NULL, 0, 0, 0, &r, &nr), -EINVAL);
	assert_int_equal(cdm_get_movable_ranges(ctx, 0, 0, 0, NULL, &nr), -EINVAL);
	assert_int_equal(cdm_get_movable_ranges(ctx, 0, 0, 0, &r, NULL), -EINVAL);
}

/* On the host's kernel: Mems_allowed of this thread, as libnuma reads it,
 * with the nodes that have memory */
static void allowed_nodes(void **state)
{
	struct cdm_nodeset set, memory;
	struct bitmask *mems = numa_get_mems_allowed();
	int node;

	assert_non_null(mems);
	assert_int_equal(cdm_get_allowed_nodes(ctx, &set), 0);
	assert_int_equal(cdm_get_memory_nodes(ctx, &memory), 0);
	assert_true(cdm_nodeset_weight(&set) >= 1);
	for (node = 0; node < CDM_MAX_NODES; node++) {
		bool want = node < (int)numa_bitmask_nbytes(mems) * 8 &&
			    numa_bitmask_isbitset(mems, node) && cdm_nodeset_has(&memory, node);

		if (cdm_nodeset_has(&set, node) != want)
			fail_msg("node %d: allowed %d, libnuma and has_memory say %d", node,
				 cdm_nodeset_has(&set, node), want);
	}
	numa_bitmask_free(mems);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(residency_self),
		cmocka_unit_test(residency_sources),
		cmocka_unit_test(residency_zero_page),
		cmocka_unit_test(migrate_same_node),
		cmocka_unit_test(bad_processes),
		cmocka_unit_test(other_users_process),
		cmocka_unit_test(bad_requests),
		cmocka_unit_test(movable_ranges),
		cmocka_unit_test(allowed_nodes),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("libcdm on this host's kernel", tests, setup, teardown);
}
