// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Memory policies on the host's own kernel, without root or a VM: one
 * node is enough for every policy to be set on a range and on the thread,
 * read back with get_mempolicy(2) by the test itself (not only through
 * libcdm's getters), and faulted in. Then every bad request, refused
 * before the kernel sees it and leaving the policy in place (a fake
 * machine supplies a node without memory); a kernel without weighted
 * interleave or preferred-many, played by a seccomp filter that answers
 * EINVAL for those modes as Linux 6.8 and 5.14 do; and node sets to and
 * from libnuma's struct bitmask.
 */
#include <errno.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <numa.h>
#include <numaif.h>

#include <libcdm.h>
#include "fakesys.h"
#include "../../vm/mempolicy-compat.h"

#ifndef MPOL_F_STATIC_NODES
#define MPOL_F_STATIC_NODES	(1 << 15)
#define MPOL_F_RELATIVE_NODES	(1 << 14)
#endif

#define MIB (1UL << 20)
#define LEN (4 * MIB)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct cdm_ctx *ctx;
static long ps;
static int home;		/* a node with memory in this process's cpuset */

static const struct {
	enum cdm_policy policy;
	const char *name;
	int mode;		/* the kernel's */
	bool takes_nodes;
} policies[] = {
	{ CDM_POLICY_DEFAULT, "default", MPOL_DEFAULT, false },
	{ CDM_POLICY_BIND, "bind", MPOL_BIND, true },
	{ CDM_POLICY_PREFERRED, "preferred", MPOL_PREFERRED, true },
	{ CDM_POLICY_PREFERRED_MANY, "preferred-many", MPOL_PREFERRED_MANY, true },
	{ CDM_POLICY_INTERLEAVE, "interleave", MPOL_INTERLEAVE, true },
	{ CDM_POLICY_WEIGHTED_INTERLEAVE, "weighted-interleave", MPOL_WEIGHTED_INTERLEAVE, true },
	{ CDM_POLICY_LOCAL, "local", MPOL_LOCAL, false },
};

static const struct {
	unsigned int flags;
	int mode_flags;
} node_flags[] = {
	{ 0, 0 },
	{ CDM_POLICY_F_STATIC_NODES, MPOL_F_STATIC_NODES },
	{ CDM_POLICY_F_RELATIVE_NODES, MPOL_F_RELATIVE_NODES },
};

/* the kernel's nodes this process may use (its cpuset's) */
static void mems_allowed(struct cdm_nodeset *set)
{
	cdm_nodeset_zero(set);
	if (get_mempolicy(NULL, (unsigned long *)set->bits, CDM_MAX_NODES + 1, NULL,
			  MPOL_F_MEMS_ALLOWED))
		fail_msg("get_mempolicy(MPOL_F_MEMS_ALLOWED): %s", strerror(errno));
}

static int setup(void **state)
{
	struct cdm_nodeset memory, allowed;
	int node;

	unsetenv("CDM_SYSFS_ROOT");
	ps = sysconf(_SC_PAGESIZE);
	if (cdm_new(&ctx) || cdm_get_memory_nodes(ctx, &memory))
		return -1;
	mems_allowed(&allowed);
	home = -1;
	cdm_nodeset_foreach(&memory, node)
		if (home < 0 && cdm_nodeset_has(&allowed, node))
			home = node;
	return home < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	cdm_unref(ctx);
	fakesys_remove();
	return 0;
}

static void expect_msg(struct cdm_ctx *c, const char *want)
{
	if (!strstr(cdm_get_last_error(c), want))
		fail_msg("message '%s' lacks '%s'", cdm_get_last_error(c), want);
}

static void one_node(struct cdm_nodeset *set, int node)
{
	cdm_nodeset_zero(set);
	cdm_nodeset_add(set, node);
}

static void *map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

/* the kernel's answer, asked directly: mode with its flags, and nodes */
static int kernel_policy(void *addr, struct cdm_nodeset *nodes)
{
	struct cdm_nodeset ignored;
	int mode;

	if (!nodes)
		nodes = &ignored;
	cdm_nodeset_zero(nodes);
	if (get_mempolicy(&mode, (unsigned long *)nodes->bits, CDM_MAX_NODES + 1, addr,
			  addr ? MPOL_F_ADDR : 0))
		fail_msg("get_mempolicy(%p): %s", addr, strerror(errno));
	return mode;
}

/* write every page, then count those move_pages(2) finds on @node (-1: on
 * any node) */
static long touch_and_count(char *p, size_t len, int node)
{
	size_t i, n = len / ps;
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));
	long on = 0;

	assert_non_null(pages);
	assert_non_null(status);
	for (i = 0; i < n; i++) {
		p[i * ps] = 1;
		pages[i] = p + i * ps;
	}
	if (move_pages(0, n, pages, NULL, status, 0))
		fail_msg("move_pages: %s", strerror(errno));
	for (i = 0; i < n; i++)
		on += node < 0 ? status[i] >= 0 : status[i] == node;
	free(pages);
	free(status);
	return on;
}

/* The node a relative set's first node lands on: as the kernel folds it
 * onto the nodes the cpuset allows (mpol_relative_nodemask()). */
static int relative_target(int rel)
{
	struct cdm_nodeset allowed, memory;
	int node, i, nth;

	mems_allowed(&allowed);
	assert_int_equal(cdm_get_memory_nodes(ctx, &memory), 0);
	for (i = 0; i < CDM_MAX_NODES / 64; i++)
		allowed.bits[i] &= memory.bits[i];
	nth = rel % cdm_nodeset_weight(&allowed);
	cdm_nodeset_foreach(&allowed, node)
		if (nth-- == 0)
			return node;
	return -1;
}

/* where pages go under policies[i] over the home node alone; -1: any node
 * (local and default follow the CPU) */
static int expected_node(size_t i, unsigned int flags)
{
	if (!policies[i].takes_nodes)
		return -1;
	return flags & CDM_POLICY_F_RELATIVE_NODES ? relative_target(home) : home;
}

static void check_names(void **state)
{
	enum cdm_policy policy;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(policies); i++) {
		assert_string_equal(cdm_policy_name(policies[i].policy), policies[i].name);
		assert_int_equal(cdm_policy_parse(ctx, policies[i].name, &policy), 0);
		assert_int_equal(policy, policies[i].policy);
	}
	assert_int_equal(cdm_policy_parse(ctx, "weighted", &policy), -EINVAL);
	expect_msg(ctx, "weighted-interleave");
	expect_msg(ctx, "local");
}

/*
 * Each policy, with each way of reading nodes, on a range: what the kernel
 * holds for the range afterwards (asked with get_mempolicy(2)), what
 * libcdm's getter reads back, and where the pages go.
 */
static void range_policies(void **state)
{
	unsigned int flags;
	enum cdm_policy policy;
	struct cdm_nodeset set, got, kernel;
	size_t i, f;
	int rc, mode;
	char *p;

	one_node(&set, home);
	for (i = 0; i < ARRAY_SIZE(policies); i++) {
		for (f = 0; f < ARRAY_SIZE(node_flags); f++) {
			if (!policies[i].takes_nodes && f)
				continue;
			p = map(LEN);
			rc = cdm_bind_range(ctx, p, LEN, policies[i].policy,
					    policies[i].takes_nodes ? &set : NULL, node_flags[f].flags);
			if (rc)
				fail_msg("%s, flags 0x%x: %d %s", policies[i].name,
					 node_flags[f].flags, rc, cdm_get_last_error(ctx));
			mode = kernel_policy(p, &kernel);
			assert_int_equal(mode, policies[i].mode | node_flags[f].mode_flags);
			assert_int_equal(cdm_nodeset_weight(&kernel), policies[i].takes_nodes);
			if (policies[i].takes_nodes)
				assert_true(cdm_nodeset_has(&kernel, home));

			assert_int_equal(cdm_get_range_policy(ctx, p + ps, &policy, &got, &flags), 0);
			assert_int_equal(policy, policies[i].policy);
			assert_int_equal(flags, node_flags[f].flags);
			assert_memory_equal(&got, &kernel, sizeof(got));
			assert_int_equal(touch_and_count(p, LEN, expected_node(i, node_flags[f].flags)),
					 LEN / ps);
			munmap(p, LEN);
		}
	}

	/* relative nodes are positions in the cpuset's nodes, not node numbers */
	one_node(&set, 5);
	p = map(LEN);
	assert_int_equal(cdm_bind_range(ctx, p, LEN, CDM_POLICY_BIND, &set,
					CDM_POLICY_F_RELATIVE_NODES), 0);
	assert_int_equal(kernel_policy(p, &kernel), MPOL_BIND | MPOL_F_RELATIVE_NODES);
	assert_memory_equal(&kernel, &set, sizeof(set));
	assert_int_equal(touch_and_count(p, LEN, relative_target(5)), LEN / ps);
	/* and back to no policy of its own */
	assert_int_equal(cdm_bind_range(ctx, p, LEN, CDM_POLICY_DEFAULT, NULL, 0), 0);
	assert_int_equal(kernel_policy(p, NULL), MPOL_DEFAULT);
	assert_int_equal(cdm_get_range_policy(ctx, p, &policy, NULL, NULL), 0);
	assert_int_equal(policy, CDM_POLICY_DEFAULT);
	munmap(p, LEN);
}

/* The same on the calling thread, with fresh memory faulted in after. */
static void thread_policies(void **state)
{
	unsigned int flags;
	enum cdm_policy policy;
	struct cdm_nodeset set, got, kernel;
	size_t i, f;
	int rc;
	char *p;

	one_node(&set, home);
	for (i = 0; i < ARRAY_SIZE(policies); i++) {
		for (f = 0; f < ARRAY_SIZE(node_flags); f++) {
			if (!policies[i].takes_nodes && f)
				continue;
			rc = cdm_set_thread_policy(ctx, policies[i].policy,
						   policies[i].takes_nodes ? &set : NULL,
						   node_flags[f].flags);
			if (rc)
				fail_msg("%s, flags 0x%x: %d %s", policies[i].name,
					 node_flags[f].flags, rc, cdm_get_last_error(ctx));
			assert_int_equal(kernel_policy(NULL, &kernel),
					 policies[i].mode | node_flags[f].mode_flags);
			assert_int_equal(cdm_get_thread_policy(ctx, &policy, &got, &flags), 0);
			assert_int_equal(policy, policies[i].policy);
			assert_int_equal(flags, node_flags[f].flags);
			assert_memory_equal(&got, &kernel, sizeof(got));
			p = map(LEN);
			assert_int_equal(touch_and_count(p, LEN, expected_node(i, node_flags[f].flags)),
					 LEN / ps);
			munmap(p, LEN);
		}
	}
	assert_int_equal(cdm_set_thread_policy(ctx, CDM_POLICY_DEFAULT, NULL, 0), 0);
	assert_int_equal(kernel_policy(NULL, NULL), MPOL_DEFAULT);
}

/* cdm_alloc() takes the new policies and flags too; cdm_alloc_on_node() binds */
static void alloc_policies(void **state)
{
	struct cdm_nodeset set;
	void *p;

	one_node(&set, home);
	assert_int_equal(cdm_alloc(ctx, LEN, CDM_POLICY_WEIGHTED_INTERLEAVE, &set,
				   CDM_ALLOC_POPULATE | CDM_POLICY_F_STATIC_NODES, &p), 0);
	assert_int_equal(kernel_policy(p, NULL), MPOL_WEIGHTED_INTERLEAVE | MPOL_F_STATIC_NODES);
	assert_int_equal(touch_and_count(p, LEN, home), LEN / ps);
	cdm_free(ctx, p, LEN);
	assert_int_equal(cdm_alloc(ctx, LEN, CDM_POLICY_LOCAL, NULL, CDM_ALLOC_POPULATE, &p), 0);
	assert_int_equal(kernel_policy(p, NULL), MPOL_LOCAL);
	cdm_free(ctx, p, LEN);
	assert_int_equal(cdm_alloc_on_node(ctx, LEN, home, 0, &p), 0);
	assert_int_equal(kernel_policy(p, NULL), MPOL_BIND);
	cdm_free(ctx, p, LEN);
}

/*
 * Bad requests, each to a range, the thread and an allocation: the errno,
 * a message naming what is wrong, and the policies in place before (bind
 * on the range, preferred on the thread) still there.
 */
#define HOME -2
#define END -3
static const struct bad {
	enum cdm_policy policy;
	bool null_nodes;
	int nodes[3];		/* HOME: the host's node; END-terminated */
	unsigned int flags;
	int err;
	const char *msg;
} bad[] = {
	{ CDM_POLICY_BIND, false, { HOME, END }, CDM_POLICY_F_STATIC_NODES | CDM_POLICY_F_RELATIVE_NODES,
	  EINVAL, "policy bind: CDM_POLICY_F_STATIC_NODES and CDM_POLICY_F_RELATIVE_NODES" },
	{ CDM_POLICY_WEIGHTED_INTERLEAVE, false, { END }, 0,
	  EINVAL, "policy weighted-interleave: empty node list" },
	{ CDM_POLICY_WEIGHTED_INTERLEAVE, false, { END }, CDM_POLICY_F_RELATIVE_NODES,
	  EINVAL, "policy weighted-interleave: empty node list" },
	{ CDM_POLICY_INTERLEAVE, true, { END }, 0, EINVAL, "policy interleave: empty node list" },
	{ CDM_POLICY_PREFERRED_MANY, true, { END }, CDM_POLICY_F_STATIC_NODES,
	  EINVAL, "policy preferred-many: empty node list" },
	{ CDM_POLICY_WEIGHTED_INTERLEAVE, false, { HOME, 777, END }, 0, ENODEV, "node 777: not online" },
	{ CDM_POLICY_BIND, false, { 777, END }, CDM_POLICY_F_STATIC_NODES, ENODEV, "node 777: not online" },
	{ CDM_POLICY_PREFERRED, false, { HOME, 777, END }, 0, EINVAL, "takes exactly one node" },
	{ CDM_POLICY_LOCAL, false, { HOME, END }, 0, EINVAL, "policy local: takes no nodes" },
	{ CDM_POLICY_DEFAULT, false, { HOME, END }, 0, EINVAL, "policy default: takes no nodes" },
	{ CDM_POLICY_LOCAL, true, { END }, CDM_POLICY_F_STATIC_NODES,
	  EINVAL, "policy local: takes no node flags" },
	{ CDM_POLICY_DEFAULT, true, { END }, CDM_POLICY_F_RELATIVE_NODES,
	  EINVAL, "policy default: takes no node flags" },
	{ 99, false, { HOME, END }, 0, EINVAL, "policy 99: unknown" },
	{ -1, false, { HOME, END }, 0, EINVAL, "policy -1: unknown" },
	{ CDM_POLICY_BIND, false, { HOME, END }, 1u << 20, EINVAL, "unknown flags 0x100000" },
};

static const struct cdm_nodeset *bad_nodes(const struct bad *b, struct cdm_nodeset *set)
{
	int i;

	if (b->null_nodes)
		return NULL;
	cdm_nodeset_zero(set);
	for (i = 0; b->nodes[i] != END; i++)
		cdm_nodeset_add(set, b->nodes[i] == HOME ? home : b->nodes[i]);
	return set;
}

static void bad_requests(void **state)
{
	struct cdm_nodeset set, kernel, before_range, before_thread;
	const struct cdm_nodeset *nodes;
	void *p, *q, *untouched = (void *)0x1234;
	size_t i;
	int rc;

	p = map(LEN);
	one_node(&set, home);
	assert_int_equal(cdm_bind_range(ctx, p, LEN, CDM_POLICY_BIND, &set, 0), 0);
	assert_int_equal(cdm_set_thread_policy(ctx, CDM_POLICY_PREFERRED, &set, 0), 0);
	kernel_policy(p, &before_range);
	kernel_policy(NULL, &before_thread);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		nodes = bad_nodes(&bad[i], &set);
		rc = cdm_bind_range(ctx, p, LEN, bad[i].policy, nodes, bad[i].flags);
		if (rc != -bad[i].err)
			fail_msg("bad[%zu] range: %d (%s)", i, rc, cdm_get_last_error(ctx));
		expect_msg(ctx, bad[i].msg);
		assert_int_equal(kernel_policy(p, &kernel), MPOL_BIND);
		assert_memory_equal(&kernel, &before_range, sizeof(kernel));

		rc = cdm_set_thread_policy(ctx, bad[i].policy, nodes, bad[i].flags);
		if (rc != -bad[i].err)
			fail_msg("bad[%zu] thread: %d (%s)", i, rc, cdm_get_last_error(ctx));
		expect_msg(ctx, bad[i].msg);
		assert_int_equal(kernel_policy(NULL, &kernel), MPOL_PREFERRED);
		assert_memory_equal(&kernel, &before_thread, sizeof(kernel));

		q = untouched;
		rc = cdm_alloc(ctx, LEN, bad[i].policy, nodes, bad[i].flags, &q);
		if (rc != -bad[i].err)
			fail_msg("bad[%zu] alloc: %d (%s)", i, rc, cdm_get_last_error(ctx));
		expect_msg(ctx, bad[i].msg);
		assert_ptr_equal(q, untouched);
	}

	/* flags of one call are unknown to the others */
	one_node(&set, home);
	assert_int_equal(cdm_set_thread_policy(ctx, CDM_POLICY_BIND, &set, CDM_BIND_MOVE), -EINVAL);
	expect_msg(ctx, "unknown flags 0x1");
	assert_int_equal(cdm_bind_range(ctx, p, LEN, CDM_POLICY_BIND, &set, CDM_ALLOC_POPULATE),
			 -EINVAL);
	expect_msg(ctx, "unknown flags 0x4");
	assert_int_equal(cdm_alloc(ctx, LEN, CDM_POLICY_BIND, &set, CDM_BIND_STRICT, &q), -EINVAL);
	expect_msg(ctx, "unknown flags 0x2");
	assert_int_equal(kernel_policy(p, NULL), MPOL_BIND);
	assert_int_equal(kernel_policy(NULL, NULL), MPOL_PREFERRED);

	/* getters: an address nothing is mapped at, missing arguments */
	munmap(p, LEN);
	assert_int_equal(cdm_get_range_policy(ctx, p, &(enum cdm_policy){ 0 }, NULL, NULL), -EFAULT);
	expect_msg(ctx, ": not mapped");
	assert_int_equal(cdm_get_range_policy(ctx, p, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(cdm_get_thread_policy(ctx, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(cdm_get_thread_policy(NULL, &(enum cdm_policy){ 0 }, NULL, NULL), -EINVAL);
	assert_int_equal(cdm_set_thread_policy(NULL, CDM_POLICY_DEFAULT, NULL, 0), -EINVAL);

	assert_int_equal(cdm_set_thread_policy(ctx, CDM_POLICY_DEFAULT, NULL, 0), 0);
}

/* A node without memory, on a fake machine (the checks come before the
 * kernel: it never sees the request) */
static void memoryless_node(void **state)
{
	static const struct fake_node machine[] = {
		{ 0, "0", 1024, "10 20" },
		{ 1, "1", 0, "20 10" },
	};
	struct cdm_nodeset set;
	struct cdm_ctx *fake;
	void *p = map(LEN), *q = NULL;
	int thread_mode = kernel_policy(NULL, NULL);

	fakesys_new();
	fakesys_machine(machine, 2);
	assert_int_equal(cdm_new(&fake), 0);
	unsetenv("CDM_SYSFS_ROOT");
	cdm_nodeset_zero(&set);
	cdm_nodeset_add(&set, 0);
	cdm_nodeset_add(&set, 1);
	assert_int_equal(cdm_bind_range(fake, p, LEN, CDM_POLICY_WEIGHTED_INTERLEAVE, &set, 0),
			 -ENOMEM);
	assert_string_equal(cdm_get_last_error(fake), "node 1: has no memory");
	assert_int_equal(cdm_bind_range(fake, p, LEN, CDM_POLICY_BIND, &set,
					CDM_POLICY_F_STATIC_NODES), -ENOMEM);
	assert_string_equal(cdm_get_last_error(fake), "node 1: has no memory");
	assert_int_equal(kernel_policy(p, NULL), MPOL_DEFAULT);
	assert_int_equal(cdm_set_thread_policy(fake, CDM_POLICY_PREFERRED_MANY, &set, 0), -ENOMEM);
	assert_string_equal(cdm_get_last_error(fake), "node 1: has no memory");
	assert_int_equal(kernel_policy(NULL, NULL), thread_mode);
	assert_int_equal(cdm_alloc(fake, LEN, CDM_POLICY_INTERLEAVE, &set, 0, &q), -ENOMEM);
	assert_null(q);
	cdm_unref(fake);
	fakesys_remove();
	munmap(p, LEN);
}

/*
 * A kernel without MPOL_WEIGHTED_INTERLEAVE (before 6.9) or
 * MPOL_PREFERRED_MANY (before 5.15) answers EINVAL to mbind(2) and
 * set_mempolicy(2) with those modes. A seccomp filter plays it in a child:
 * the mode is mbind's third argument, set_mempolicy's first.
 */
#if defined(__x86_64__)
#define FILTER_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define FILTER_ARCH AUDIT_ARCH_AARCH64
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LOW(n) (offsetof(struct seccomp_data, args[n]))
#else
#define ARG_LOW(n) (offsetof(struct seccomp_data, args[n]) + 4)
#endif

#ifdef FILTER_ARCH
static int play_old_kernel(void)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FILTER_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mbind, 0, 2),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(2)),
		BPF_JUMP(BPF_JMP | BPF_JA, 2, 0, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_set_mempolicy, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(0)),
		/* the mode without MPOL_F_STATIC_NODES and friends (bits 13-15) */
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x1fff),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, MPOL_PREFERRED_MANY, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, MPOL_WEIGHTED_INTERLEAVE, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(insns), .filter = insns };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static int count_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int c, n = 0;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* in the child: no cmocka there, failures go to stderr and the exit code */
static int failures;
#define CHILD_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "# old kernel, line %d: ", __LINE__);	\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, " (last error: %s)\n", cdm_get_last_error(ctx)); \
		failures++;						\
	}								\
} while (0)

static void old_kernel_child(void)
{
	struct cdm_nodeset set;
	void *p = map(LEN), *q = NULL;
	int rc, maps, mode;

	one_node(&set, home);
	if (play_old_kernel()) {
		fprintf(stderr, "# seccomp: %s\n", strerror(errno));
		_exit(100);
	}
	/* the filter answers as an old kernel would */
	errno = 0;
	CHILD_CHECK(mbind(p, LEN, MPOL_WEIGHTED_INTERLEAVE, (unsigned long *)set.bits,
			  CDM_MAX_NODES + 1, 0) == -1 && errno == EINVAL, "filter: mbind %d", errno);

	rc = cdm_bind_range(ctx, p, LEN, CDM_POLICY_WEIGHTED_INTERLEAVE, &set, 0);
	CHILD_CHECK(rc == -EOPNOTSUPP, "range: %d", rc);
	CHILD_CHECK(strstr(cdm_get_last_error(ctx), "weighted interleave needs Linux 6.9"), "range msg");
	rc = cdm_bind_range(ctx, p, LEN, CDM_POLICY_WEIGHTED_INTERLEAVE, &set,
			    CDM_POLICY_F_STATIC_NODES);
	CHILD_CHECK(rc == -EOPNOTSUPP, "range, static: %d", rc);
	CHILD_CHECK(strstr(cdm_get_last_error(ctx), "weighted interleave needs Linux 6.9"),
		    "range, static msg");
	mode = kernel_policy(p, NULL);
	CHILD_CHECK(mode == MPOL_DEFAULT, "range policy changed: %d", mode);

	rc = cdm_set_thread_policy(ctx, CDM_POLICY_WEIGHTED_INTERLEAVE, &set, 0);
	CHILD_CHECK(rc == -EOPNOTSUPP, "thread: %d", rc);
	CHILD_CHECK(strstr(cdm_get_last_error(ctx), "weighted interleave needs Linux 6.9"), "thread msg");
	mode = kernel_policy(NULL, NULL);
	CHILD_CHECK(mode == MPOL_DEFAULT, "thread policy changed: %d", mode);

	rc = cdm_bind_range(ctx, p, LEN, CDM_POLICY_PREFERRED_MANY, &set, 0);
	CHILD_CHECK(rc == -EOPNOTSUPP, "preferred-many: %d", rc);
	CHILD_CHECK(strstr(cdm_get_last_error(ctx), "preferred-many needs Linux 5.15"),
		    "preferred-many msg");
	rc = cdm_set_thread_policy(ctx, CDM_POLICY_PREFERRED_MANY, &set, CDM_POLICY_F_RELATIVE_NODES);
	CHILD_CHECK(rc == -EOPNOTSUPP, "preferred-many thread: %d", rc);

	/* an allocation that cannot take its policy leaves no mapping behind */
	maps = count_mappings();
	rc = cdm_alloc(ctx, LEN, CDM_POLICY_WEIGHTED_INTERLEAVE, &set, CDM_ALLOC_POPULATE, &q);
	CHILD_CHECK(rc == -EOPNOTSUPP && !q, "alloc: %d %p", rc, q);
	CHILD_CHECK(count_mappings() == maps, "alloc left a mapping: %d -> %d", maps,
		    count_mappings());

	/* what the old kernel has still works */
	rc = cdm_bind_range(ctx, p, LEN, CDM_POLICY_INTERLEAVE, &set, 0);
	CHILD_CHECK(rc == 0, "interleave: %d", rc);
	CHILD_CHECK(kernel_policy(p, NULL) == MPOL_INTERLEAVE, "interleave not set");
	_exit(failures);
}
#endif

static void old_kernel(void **state)
{
#ifdef FILTER_ARCH
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		old_kernel_child();
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status))
		fail_msg("child: status 0x%x", status);
	if (WEXITSTATUS(status))
		fail_msg("%d checks failed in the child (see stderr)", WEXITSTATUS(status));
#else
	skip();
#endif
}

/* Node sets to and from libnuma's struct bitmask */
static void bitmask_conversion(void **state)
{
	static const int nodes[] = { 0, 3, 63, 64, 65, 511, 1023 };
	struct bitmask *bmp = numa_bitmask_alloc(CDM_MAX_NODES);
	struct bitmask *small = numa_bitmask_alloc(64), *big = numa_bitmask_alloc(2048);
	struct bitmask *libnuma;
	struct cdm_nodeset set, back, before, kernel;
	char list[16];
	size_t i;
	int node;

	cdm_nodeset_zero(&set);
	for (i = 0; i < ARRAY_SIZE(nodes); i++)
		cdm_nodeset_add(&set, nodes[i]);
	numa_bitmask_setbit(bmp, 7);	/* stale: the conversion clears it */
	assert_int_equal(cdm_nodeset_to_bitmask(ctx, &set, bmp), 0);
	assert_int_equal(numa_bitmask_weight(bmp), ARRAY_SIZE(nodes));
	for (node = 0; node < CDM_MAX_NODES; node++)
		assert_int_equal(!!numa_bitmask_isbitset(bmp, node), cdm_nodeset_has(&set, node));
	memset(&back, 0xa5, sizeof(back));
	assert_int_equal(cdm_nodeset_from_bitmask(ctx, bmp, &back), 0);
	assert_memory_equal(&back, &set, sizeof(set));

	/* a wider bitmask: fine while its bits above 1023 are clear */
	numa_bitmask_setbit(big, 2047);
	assert_int_equal(cdm_nodeset_to_bitmask(ctx, &set, big), 0);
	assert_int_equal(numa_bitmask_weight(big), ARRAY_SIZE(nodes));
	assert_int_equal(cdm_nodeset_from_bitmask(ctx, big, &back), 0);
	assert_memory_equal(&back, &set, sizeof(set));
	numa_bitmask_setbit(big, 1500);
	before = back;
	assert_int_equal(cdm_nodeset_from_bitmask(ctx, big, &back), -ERANGE);
	assert_string_equal(cdm_get_last_error(ctx),
			    "bitmask: node 1500 above the last libcdm knows (1023)");
	assert_memory_equal(&back, &before, sizeof(back));

	/* a narrower one: node 64 does not fit in 64 bits; nothing written */
	numa_bitmask_setbit(small, 5);
	assert_int_equal(cdm_nodeset_to_bitmask(ctx, &set, small), -ERANGE);
	assert_string_equal(cdm_get_last_error(ctx),
			    "bitmask of 64 nodes: node 64 does not fit");
	assert_int_equal(numa_bitmask_weight(small), 1);
	assert_true(numa_bitmask_isbitset(small, 5));
	cdm_nodeset_zero(&back);
	cdm_nodeset_add(&back, 63);
	assert_int_equal(cdm_nodeset_to_bitmask(ctx, &back, small), 0);
	assert_int_equal(numa_bitmask_weight(small), 1);
	assert_true(numa_bitmask_isbitset(small, 63));

	/* libnuma's own masks: its cpuset is the kernel's, its lists parse alike */
	libnuma = numa_get_mems_allowed();
	assert_int_equal(cdm_nodeset_from_bitmask(ctx, libnuma, &back), 0);
	mems_allowed(&kernel);
	assert_memory_equal(&back, &kernel, sizeof(back));
	numa_bitmask_free(libnuma);
	snprintf(list, sizeof(list), "%d", home);
	libnuma = numa_parse_nodestring(list);
	assert_non_null(libnuma);
	assert_int_equal(cdm_nodeset_from_bitmask(ctx, libnuma, &back), 0);
	assert_int_equal(cdm_nodeset_parse(ctx, list, &set), 0);
	assert_memory_equal(&back, &set, sizeof(back));
	numa_bitmask_free(libnuma);
	libnuma = numa_allocate_nodemask();
	assert_int_equal(cdm_nodeset_to_bitmask(ctx, &set, libnuma), 0);
	assert_true(numa_bitmask_isbitset(libnuma, home));
	assert_int_equal(numa_bitmask_weight(libnuma), 1);
	numa_bitmask_free(libnuma);

	assert_int_equal(cdm_nodeset_to_bitmask(ctx, NULL, bmp), -EINVAL);
	assert_int_equal(cdm_nodeset_to_bitmask(ctx, &set, NULL), -EINVAL);
	assert_int_equal(cdm_nodeset_from_bitmask(ctx, NULL, &set), -EINVAL);
	assert_int_equal(cdm_nodeset_from_bitmask(ctx, bmp, NULL), -EINVAL);
	assert_int_equal(cdm_nodeset_from_bitmask(NULL, bmp, &set), -EINVAL);
	numa_bitmask_free(bmp);
	numa_bitmask_free(small);
	numa_bitmask_free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(check_names),
		cmocka_unit_test(range_policies),
		cmocka_unit_test(thread_policies),
		cmocka_unit_test(alloc_policies),
		cmocka_unit_test(bad_requests),
		cmocka_unit_test(memoryless_node),
		cmocka_unit_test(old_kernel),
		cmocka_unit_test(bitmask_conversion),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("libcdm placement on this host's kernel", tests,
					   setup, teardown);
}
