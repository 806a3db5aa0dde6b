// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Placement of the calling process's memory: a policy over a node set
 * applied to a range with mbind(2) (libnuma's wrapper), or to fresh
 * anonymous memory. Nodes are checked first (online, with memory), so a
 * bad node is "node 3: not online", not a bare EINVAL from the kernel.
 */
#include <errno.h>
#include <inttypes.h>
#include <numaif.h>
#include <string.h>
#include <sys/mman.h>

#include "private.h"

#ifndef MPOL_PREFERRED_MANY
#define MPOL_PREFERRED_MANY 5		/* Linux 5.15 */
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23		/* Linux 5.14 */
#endif

static const char *const policy_names[] = {
	[CDM_POLICY_DEFAULT] = "default",
	[CDM_POLICY_BIND] = "bind",
	[CDM_POLICY_PREFERRED] = "preferred",
	[CDM_POLICY_PREFERRED_MANY] = "preferred-many",
	[CDM_POLICY_INTERLEAVE] = "interleave",
};

static const int policy_modes[] = {
	[CDM_POLICY_DEFAULT] = MPOL_DEFAULT,
	[CDM_POLICY_BIND] = MPOL_BIND,
	[CDM_POLICY_PREFERRED] = MPOL_PREFERRED,
	[CDM_POLICY_PREFERRED_MANY] = MPOL_PREFERRED_MANY,
	[CDM_POLICY_INTERLEAVE] = MPOL_INTERLEAVE,
};

#define NR_POLICIES (sizeof(policy_names) / sizeof(policy_names[0]))

CDM_EXPORT const char *cdm_policy_name(enum cdm_policy policy)
{
	if ((unsigned int)policy >= NR_POLICIES)
		return NULL;
	return policy_names[policy];
}

CDM_EXPORT int cdm_policy_parse(struct cdm_ctx *ctx, const char *name,
				enum cdm_policy *policy)
{
	unsigned int i;

	for (i = 0; name && i < NR_POLICIES; i++) {
		if (!strcmp(name, policy_names[i])) {
			*policy = i;
			return 0;
		}
	}
	return cdm__fail(ctx, EINVAL, "policy '%.32s': unknown (default, bind, preferred, "
			 "preferred-many, interleave)", name ? name : "");
}

static int check_nodes(struct cdm_ctx *ctx, enum cdm_policy policy,
		       const struct cdm_nodeset *nodes)
{
	int node, rc, weight = nodes ? cdm_nodeset_weight(nodes) : 0;

	if ((unsigned int)policy >= NR_POLICIES)
		return cdm__fail(ctx, EINVAL, "policy %d: unknown", policy);
	if (policy == CDM_POLICY_DEFAULT) {
		if (weight)
			return cdm__fail(ctx, EINVAL, "policy default: takes no nodes");
		return 0;
	}
	if (!weight)
		return cdm__fail(ctx, EINVAL, "policy %s: empty node list", policy_names[policy]);
	if (policy == CDM_POLICY_PREFERRED && weight != 1)
		return cdm__fail(ctx, EINVAL, "policy preferred: takes exactly one node "
				 "(preferred-many takes several)");
	cdm_nodeset_foreach(nodes, node) {
		rc = cdm__check_memory_node(ctx, node);
		if (rc)
			return rc;
	}
	return 0;
}

CDM_EXPORT int cdm_bind_range(struct cdm_ctx *ctx, void *addr, size_t len,
			      enum cdm_policy policy, const struct cdm_nodeset *nodes,
			      unsigned int flags)
{
	uint64_t start = (uintptr_t)addr, end = start + len;
	unsigned int mflags = 0;
	int rc, err;

	if (!ctx)
		return -EINVAL;
	cdm__clear_error(ctx);
	if (flags & ~(CDM_BIND_MOVE | CDM_BIND_STRICT))
		return cdm__fail(ctx, EINVAL, "range 0x%" PRIx64 ": unknown flags 0x%x",
				 start, flags);
	if (end < start)
		return cdm__fail(ctx, EINVAL, "range 0x%" PRIx64 "+0x%zx: wraps", start, len);
	rc = cdm__check_range(ctx, start, end);
	if (!rc)
		rc = check_nodes(ctx, policy, nodes);
	if (rc)
		return rc;
	if (flags & CDM_BIND_MOVE)
		mflags |= MPOL_MF_MOVE;
	if (flags & CDM_BIND_STRICT)
		mflags |= MPOL_MF_STRICT;
	/* maxnode counts bits and the kernel ignores the last one */
	if (mbind(addr, len, policy_modes[policy],
		  policy == CDM_POLICY_DEFAULT ? NULL : (const unsigned long *)nodes->bits,
		  policy == CDM_POLICY_DEFAULT ? 0 : CDM_MAX_NODES + 1, mflags)) {
		err = errno;
		switch (err) {
		case EFAULT:
			return cdm__fail(ctx, EFAULT, "range 0x%" PRIx64 "-0x%" PRIx64
					 ": not mapped", start, end);
		case EIO:
			return cdm__fail(ctx, EIO, "range 0x%" PRIx64 "-0x%" PRIx64
					 ": some pages could not move (policy %s set)",
					 start, end, policy_names[policy]);
		default:
			return cdm__fail(ctx, err, "range 0x%" PRIx64 "-0x%" PRIx64
					 ": mbind %s: %s", start, end, policy_names[policy],
					 strerror(err));
		}
	}
	return 0;
}

CDM_EXPORT int cdm_alloc(struct cdm_ctx *ctx, size_t len, enum cdm_policy policy,
			 const struct cdm_nodeset *nodes, unsigned int flags,
			 void **addr)
{
	size_t ps = cdm__page_size();
	void *p;
	int rc, err;

	if (!ctx || !addr)
		return -EINVAL;
	cdm__clear_error(ctx);
	if (flags & ~CDM_ALLOC_POPULATE)
		return cdm__fail(ctx, EINVAL, "allocation: unknown flags 0x%x", flags);
	if (!len || len > SIZE_MAX - ps)
		return cdm__fail(ctx, EINVAL, "allocation of %zu bytes: invalid size", len);
	len = (len + ps - 1) / ps * ps;
	rc = check_nodes(ctx, policy, nodes);
	if (rc)
		return rc;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		err = errno;
		return cdm__fail(ctx, err, "allocation of %zu bytes: %s", len, strerror(err));
	}
	rc = cdm_bind_range(ctx, p, len, policy, nodes, 0);
	if (!rc && (flags & CDM_ALLOC_POPULATE) && madvise(p, len, MADV_POPULATE_WRITE)) {
		err = errno;
		rc = cdm__fail(ctx, err, "allocation of %zu bytes with policy %s: populating: %s",
			       len, policy_names[policy], strerror(err));
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
