// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Placement of the calling process's memory: a policy over a node set,
 * applied to a range with mbind(2), to the calling thread with
 * set_mempolicy(2) (libnuma's wrappers), or to fresh anonymous memory,
 * and read back with get_mempolicy(2). Every request is checked first
 * (policy, flags, nodes online with memory), so a bad node is "node 3:
 * not online", not a bare EINVAL from the kernel; an EINVAL the kernel
 * still gives is then told apart: no node in the cpuset, or a kernel
 * older than the mode (its EINVAL for an unknown mode is all it says):
 *
 *   cdm_bind_range(ctx, p, len, CDM_POLICY_WEIGHTED_INTERLEAVE, {0,2}, 0)
 *     Linux 6.9+    mbind(p, len, MPOL_WEIGHTED_INTERLEAVE, ...) = 0
 *     Linux 6.8     mbind() = -1 EINVAL, node 0 or 2 in the cpuset
 *                   => -EOPNOTSUPP "... weighted interleave needs Linux 6.9"
 */
#include <errno.h>
#include <inttypes.h>
#include <numaif.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "private.h"

/* The uapi values (linux/mempolicy.h, which clashes with numaif.h) */
#ifndef MPOL_PREFERRED_MANY
#define MPOL_PREFERRED_MANY 5		/* Linux 5.15 */
#endif
#ifndef MPOL_WEIGHTED_INTERLEAVE
#define MPOL_WEIGHTED_INTERLEAVE 6	/* Linux 6.9 */
#endif
#ifndef MPOL_F_STATIC_NODES
#define MPOL_F_STATIC_NODES (1 << 15)
#endif
#ifndef MPOL_F_RELATIVE_NODES
#define MPOL_F_RELATIVE_NODES (1 << 14)
#endif
#ifndef MPOL_F_NUMA_BALANCING
#define MPOL_F_NUMA_BALANCING (1 << 13)
#endif
#define MPOL_MODE_FLAGS_ALL (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES | MPOL_F_NUMA_BALANCING)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23		/* Linux 5.14 */
#endif

static const struct {
	const char *name;
	int mode;
	bool takes_nodes;
	const char *needs;		/* a recent mode: the kernel it needs */
} policies[] = {
	[CDM_POLICY_DEFAULT] = { "default", MPOL_DEFAULT, false, NULL },
	[CDM_POLICY_BIND] = { "bind", MPOL_BIND, true, NULL },
	[CDM_POLICY_PREFERRED] = { "preferred", MPOL_PREFERRED, true, NULL },
	[CDM_POLICY_PREFERRED_MANY] = { "preferred-many", MPOL_PREFERRED_MANY, true,
					"preferred-many needs Linux 5.15" },
	[CDM_POLICY_INTERLEAVE] = { "interleave", MPOL_INTERLEAVE, true, NULL },
	[CDM_POLICY_WEIGHTED_INTERLEAVE] = { "weighted-interleave", MPOL_WEIGHTED_INTERLEAVE, true,
					     "weighted interleave needs Linux 6.9" },
	[CDM_POLICY_LOCAL] = { "local", MPOL_LOCAL, false, NULL },
};

#define NR_POLICIES (sizeof(policies) / sizeof(policies[0]))
#define NODE_FLAGS (CDM_POLICY_F_STATIC_NODES | CDM_POLICY_F_RELATIVE_NODES)

/* A request check_policy() passed, as the kernel takes it */
struct request {
	enum cdm_policy policy;
	const struct cdm_nodeset *nodes;	/* NULL when the policy takes none */
	unsigned int flags;			/* CDM_POLICY_F_* */
	int mode;				/* MPOL_* | MPOL_F_* */
};

CDM_EXPORT const char *cdm_policy_name(enum cdm_policy policy)
{
	if ((unsigned int)policy >= NR_POLICIES)
		return NULL;
	return policies[policy].name;
}

CDM_EXPORT int cdm_policy_parse(struct cdm_ctx *ctx, const char *name,
				enum cdm_policy *policy)
{
	unsigned int i;

	for (i = 0; name && i < NR_POLICIES; i++) {
		if (!strcmp(name, policies[i].name)) {
			*policy = i;
			return 0;
		}
	}
	return cdm__fail(ctx, EINVAL, "policy '%.32s': unknown (default, bind, preferred, "
			 "preferred-many, interleave, weighted-interleave, local)", name ? name : "");
}

/* @flags: CDM_POLICY_F_* only (the caller has refused the rest) */
static int check_policy(struct cdm_ctx *ctx, enum cdm_policy policy,
			const struct cdm_nodeset *nodes, unsigned int flags,
			struct request *rq)
{
	int node, rc, weight = nodes ? cdm_nodeset_weight(nodes) : 0;
	const char *name;

	if ((unsigned int)policy >= NR_POLICIES)
		return cdm__fail(ctx, EINVAL, "policy %d: unknown", policy);
	name = policies[policy].name;
	if ((flags & NODE_FLAGS) == NODE_FLAGS)
		return cdm__fail(ctx, EINVAL, "policy %s: CDM_POLICY_F_STATIC_NODES and "
				 "CDM_POLICY_F_RELATIVE_NODES together (one or the other)", name);
	if (!policies[policy].takes_nodes) {
		if (weight)
			return cdm__fail(ctx, EINVAL, "policy %s: takes no nodes", name);
		if (flags)
			return cdm__fail(ctx, EINVAL, "policy %s: takes no node flags "
					 "(static, relative)", name);
	} else {
		if (!weight)
			return cdm__fail(ctx, EINVAL, "policy %s: empty node list", name);
		if (policy == CDM_POLICY_PREFERRED && weight != 1)
			return cdm__fail(ctx, EINVAL, "policy preferred: takes exactly one node "
					 "(preferred-many takes several)");
		/* relative nodes are positions in the cpuset, not node numbers */
		if (!(flags & CDM_POLICY_F_RELATIVE_NODES)) {
			cdm_nodeset_foreach(nodes, node) {
				rc = cdm__check_memory_node(ctx, node);
				if (rc)
					return rc;
			}
		}
	}
	rq->policy = policy;
	rq->nodes = policies[policy].takes_nodes ? nodes : NULL;
	rq->flags = flags;
	rq->mode = policies[policy].mode;
	if (flags & CDM_POLICY_F_STATIC_NODES)
		rq->mode |= MPOL_F_STATIC_NODES;
	if (flags & CDM_POLICY_F_RELATIVE_NODES)
		rq->mode |= MPOL_F_RELATIVE_NODES;
	return 0;
}

/* The one place policies reach the kernel: a range (mbind), else the thread */
static long kernel_set_policy(const struct request *rq, void *addr, size_t len,
			      unsigned int mflags)
{
	const unsigned long *mask = rq->nodes ? (const unsigned long *)rq->nodes->bits : NULL;
	/* maxnode counts bits and the kernel ignores the last one */
	unsigned long maxnode = rq->nodes ? CDM_MAX_NODES + 1 : 0;

	if (addr)
		return mbind(addr, len, rq->mode, mask, maxnode, mflags);
	return set_mempolicy(rq->mode, mask, maxnode);
}

/*
 * The kernel refused a checked request with @err in @call: say why, about
 * @target ("range 0x1000-0x3000", "thread 1234"). An EINVAL with nodes outside
 * the cpuset is the cpuset's (every policy but relative ones needs one of
 * its nodes); otherwise, for a recent mode, the kernel's age.
 */
static int policy_error(struct cdm_ctx *ctx, const char *target, const char *call,
			const struct request *rq, int err)
{
	const char *name = policies[rq->policy].name;
	struct cdm_nodeset allowed;
	char want[64], have[64];
	bool any = false;
	int i;

	if (err == EINVAL && rq->nodes && !(rq->flags & CDM_POLICY_F_RELATIVE_NODES)) {
		cdm_nodeset_zero(&allowed);
		if (!get_mempolicy(NULL, (unsigned long *)allowed.bits, CDM_MAX_NODES + 1, NULL,
				   MPOL_F_MEMS_ALLOWED)) {
			for (i = 0; i < CDM_MAX_NODES / 64; i++)
				any |= (rq->nodes->bits[i] & allowed.bits[i]) != 0;
			if (!any) {
				cdm_nodeset_format(rq->nodes, want, sizeof(want));
				cdm_nodeset_format(&allowed, have, sizeof(have));
				return cdm__fail(ctx, EINVAL, "%s: policy %s: nodes %s outside this "
						 "thread's cpuset (mems allowed: %s)", target, name,
						 want, have);
			}
		}
	}
	if (err == EINVAL && policies[rq->policy].needs)
		return cdm__fail(ctx, EOPNOTSUPP, "%s: policy %s: %s (the kernel does not know it)",
				 target, name, policies[rq->policy].needs);
	return cdm__fail(ctx, err, "%s: %s %s: %s", target, call, name, strerror(err));
}

static int bind_checked(struct cdm_ctx *ctx, void *addr, size_t len, const struct request *rq,
			unsigned int mflags)
{
	uint64_t start = (uintptr_t)addr, end = start + len;
	char target[64];
	int err;

	if (!kernel_set_policy(rq, addr, len, mflags))
		return 0;
	err = errno;
	snprintf(target, sizeof(target), "range 0x%" PRIx64 "-0x%" PRIx64, start, end);
	switch (err) {
	case EFAULT:
		return cdm__fail(ctx, EFAULT, "%s: not mapped", target);
	case EIO:
		return cdm__fail(ctx, EIO, "%s: some pages could not move (policy %s set)",
				 target, policies[rq->policy].name);
	default:
		return policy_error(ctx, target, "mbind", rq, err);
	}
}

CDM_EXPORT int cdm_bind_range(struct cdm_ctx *ctx, void *addr, size_t len,
			      enum cdm_policy policy, const struct cdm_nodeset *nodes,
			      unsigned int flags)
{
	uint64_t start = (uintptr_t)addr, end = start + len;
	unsigned int mflags = 0;
	struct request rq;
	int rc;

	if (!ctx)
		return -EINVAL;
	cdm__clear_error(ctx);
	if (flags & ~(CDM_BIND_MOVE | CDM_BIND_STRICT | NODE_FLAGS))
		return cdm__fail(ctx, EINVAL, "range 0x%" PRIx64 ": unknown flags 0x%x", start,
				 flags & ~(CDM_BIND_MOVE | CDM_BIND_STRICT | NODE_FLAGS));
	if (end < start)
		return cdm__fail(ctx, EINVAL, "range 0x%" PRIx64 "+0x%zx: wraps", start, len);
	rc = cdm__check_range(ctx, start, end);
	if (!rc)
		rc = check_policy(ctx, policy, nodes, flags & NODE_FLAGS, &rq);
	if (rc)
		return rc;
	if (flags & CDM_BIND_MOVE)
		mflags |= MPOL_MF_MOVE;
	if (flags & CDM_BIND_STRICT)
		mflags |= MPOL_MF_STRICT;
	return bind_checked(ctx, addr, len, &rq, mflags);
}

CDM_EXPORT int cdm_set_thread_policy(struct cdm_ctx *ctx, enum cdm_policy policy,
				     const struct cdm_nodeset *nodes, unsigned int flags)
{
	struct request rq;
	char target[32];
	int rc;

	if (!ctx)
		return -EINVAL;
	cdm__clear_error(ctx);
	snprintf(target, sizeof(target), "thread %d", (int)gettid());
	if (flags & ~NODE_FLAGS)
		return cdm__fail(ctx, EINVAL, "%s: unknown flags 0x%x", target, flags & ~NODE_FLAGS);
	rc = check_policy(ctx, policy, nodes, flags, &rq);
	if (rc)
		return rc;
	if (kernel_set_policy(&rq, NULL, 0, 0))
		return policy_error(ctx, target, "set_mempolicy", &rq, errno);
	return 0;
}

static int get_policy(struct cdm_ctx *ctx, void *addr, enum cdm_policy *policy,
		      struct cdm_nodeset *nodes, unsigned int *flags)
{
	struct cdm_nodeset got;
	char target[64];
	unsigned int i;
	int mode, err;

	if (!ctx || !policy)
		return -EINVAL;
	cdm__clear_error(ctx);
	if (addr)
		snprintf(target, sizeof(target), "range 0x%" PRIxPTR, (uintptr_t)addr);
	else
		snprintf(target, sizeof(target), "thread %d", (int)gettid());
	cdm_nodeset_zero(&got);
	if (get_mempolicy(&mode, (unsigned long *)got.bits, CDM_MAX_NODES + 1, addr,
			  addr ? MPOL_F_ADDR : 0)) {
		err = errno;
		if (addr && err == EFAULT)
			return cdm__fail(ctx, EFAULT, "%s: not mapped", target);
		return cdm__fail(ctx, err, "%s: get_mempolicy: %s", target, strerror(err));
	}
	/* MPOL_F_NUMA_BALANCING, which libcdm does not set, is not reported */
	for (i = 0; i < NR_POLICIES; i++)
		if (policies[i].mode == (mode & ~MPOL_MODE_FLAGS_ALL))
			break;
	if (i == NR_POLICIES)
		return cdm__fail(ctx, EPROTO, "%s: kernel policy mode %d unknown to libcdm",
				 target, mode & ~MPOL_MODE_FLAGS_ALL);
	*policy = i;
	if (nodes)
		*nodes = got;
	if (flags)
		*flags = (mode & MPOL_F_STATIC_NODES ? CDM_POLICY_F_STATIC_NODES : 0) |
			 (mode & MPOL_F_RELATIVE_NODES ? CDM_POLICY_F_RELATIVE_NODES : 0);
	return 0;
}

CDM_EXPORT int cdm_get_thread_policy(struct cdm_ctx *ctx, enum cdm_policy *policy,
				     struct cdm_nodeset *nodes, unsigned int *flags)
{
	return get_policy(ctx, NULL, policy, nodes, flags);
}

CDM_EXPORT int cdm_get_range_policy(struct cdm_ctx *ctx, void *addr, enum cdm_policy *policy,
				    struct cdm_nodeset *nodes, unsigned int *flags)
{
	if (!addr)
		return -EINVAL;
	return get_policy(ctx, addr, policy, nodes, flags);
}

CDM_EXPORT int cdm_alloc(struct cdm_ctx *ctx, size_t len, enum cdm_policy policy,
			 const struct cdm_nodeset *nodes, unsigned int flags,
			 void **addr)
{
	size_t ps = cdm__page_size();
	struct request rq;
	void *p;
	int rc, err;

	if (!ctx || !addr)
		return -EINVAL;
	cdm__clear_error(ctx);
	if (flags & ~(CDM_ALLOC_POPULATE | NODE_FLAGS))
		return cdm__fail(ctx, EINVAL, "allocation: unknown flags 0x%x",
				 flags & ~(CDM_ALLOC_POPULATE | NODE_FLAGS));
	if (!len || len > SIZE_MAX - ps)
		return cdm__fail(ctx, EINVAL, "allocation of %zu bytes: invalid size", len);
	len = (len + ps - 1) / ps * ps;
	rc = check_policy(ctx, policy, nodes, flags & NODE_FLAGS, &rq);
	if (rc)
		return rc;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		err = errno;
		return cdm__fail(ctx, err, "allocation of %zu bytes: %s", len, strerror(err));
	}
	rc = bind_checked(ctx, p, len, &rq, 0);
	if (!rc && (flags & CDM_ALLOC_POPULATE) && madvise(p, len, MADV_POPULATE_WRITE)) {
		err = errno;
		rc = cdm__fail(ctx, err, "allocation of %zu bytes with policy %s: populating: %s",
			       len, policies[policy].name, strerror(err));
	}
	if (rc) {
		munmap(p, len);
		return rc;
	}
	*addr = p;
	return 0;
}

CDM_EXPORT int cdm_alloc_on_node(struct cdm_ctx *ctx, size_t len, int node,
				 unsigned int flags, void **addr)
{
	struct cdm_nodeset set;

	cdm_nodeset_zero(&set);
	if (cdm_nodeset_add(&set, node))
		return cdm__fail(ctx, EINVAL, "node %d: invalid node number", node);
	return cdm_alloc(ctx, len, CDM_POLICY_BIND, &set, flags, addr);
}

CDM_EXPORT int cdm_free(struct cdm_ctx *ctx, void *addr, size_t len)
{
	size_t ps = cdm__page_size();
	int err;

	if (!addr || !len)
		return 0;
	len = (len + ps - 1) / ps * ps;
	if (munmap(addr, len)) {
		err = errno;
		return cdm__fail(ctx, err, "range %p+0x%zx: munmap: %s", addr, len, strerror(err));
	}
	return 0;
}
