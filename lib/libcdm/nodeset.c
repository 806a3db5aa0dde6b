// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Node sets and the one list parser, in numactl's syntax:
 *
 *   "0-3,7"    nodes 0,1,2,3,7        (also the format of sysfs lists)
 *   "all"      every node with memory
 *   "!1"       every node with memory except 1 ("!0-1,3" likewise)
 *   "+0-1"     the first two nodes with memory ("!+0": all but the first)
 *
 * The same parser reads sysfs node lists and CPU lists, strictly, so a
 * malformed kernel file is an error, never a guess. A user's list may also
 * have whitespace before a number, as numactl's strtoul() skips it; what
 * numactl reads through strtoul() otherwise ("010" octal, "0x1", "-0") is
 * refused rather than read another way (libcdm.h lists the differences).
 * Sets also convert to and from libnuma's struct bitmask, at the end.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <numa.h>
#include <string.h>

#include "private.h"

CDM_EXPORT void cdm_nodeset_zero(struct cdm_nodeset *set)
{
	memset(set, 0, sizeof(*set));
}

CDM_EXPORT int cdm_nodeset_add(struct cdm_nodeset *set, int node)
{
	if (node < 0 || node >= CDM_MAX_NODES)
		return -ERANGE;
	set->bits[node / 64] |= 1ULL << (node % 64);
	return 0;
}

CDM_EXPORT int cdm_nodeset_del(struct cdm_nodeset *set, int node)
{
	if (node < 0 || node >= CDM_MAX_NODES)
		return -ERANGE;
	set->bits[node / 64] &= ~(1ULL << (node % 64));
	return 0;
}

CDM_EXPORT bool cdm_nodeset_has(const struct cdm_nodeset *set, int node)
{
	if (node < 0 || node >= CDM_MAX_NODES)
		return false;
	return set->bits[node / 64] & (1ULL << (node % 64));
}

CDM_EXPORT int cdm_nodeset_weight(const struct cdm_nodeset *set)
{
	int i, n = 0;

	for (i = 0; i < CDM_MAX_NODES / 64; i++)
		n += __builtin_popcountll(set->bits[i]);
	return n;
}

CDM_EXPORT int cdm_nodeset_next(const struct cdm_nodeset *set, int prev)
{
	int node = prev < 0 ? 0 : prev + 1;

	while (node < CDM_MAX_NODES) {
		uint64_t word = set->bits[node / 64] >> (node % 64);

		if (word)
			return node + __builtin_ctzll(word);
		node = (node / 64 + 1) * 64;
	}
	return -1;
}

/*
 * One number of a list, at *@p. A user's number may follow whitespace, as
 * numactl's strtoul() skips it, but not start with 0: strtoul() would
 * read "010" as octal 8, and libcdm does not guess which was meant.
 */
static int parse_number(const char **p, long max, unsigned int flags, long *val,
			const char **bad)
{
	const char *s = *p;
	long v = 0;

	if (flags & CDM_LIST_USER) {
		while (isspace((unsigned char)*s))
			s++;
		if (s[0] == '0' && isdigit((unsigned char)s[1])) {
			*bad = s;
			return -EINVAL;
		}
	}
	*bad = s;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (*s - '0');
		if (v > max)
			return -ERANGE;
		s++;
	}
	*p = s;
	*val = v;
	return 0;
}

int cdm__parse_list(const char *str, long max, unsigned int flags,
		    int (*add)(long from, long to, void *data), void *data,
		    const char **bad)
{
	const char *p = str;
	long from, to;
	int rc;

	*bad = NULL;
	if (!*p)
		return 0;
	for (;;) {
		rc = parse_number(&p, max, flags, &from, bad);
		if (rc)
			return rc;
		to = from;
		if (*p == '-') {
			p++;
			rc = parse_number(&p, max, flags, &to, bad);
			if (rc)
				return rc;
		}
		rc = add(from, to, data);
		if (rc)
			return rc;
		if (*p == '\0')
			break;
		*bad = p;
		if (*p != ',')
			return -EINVAL;
		p++;
	}
	*bad = NULL;
	return 0;
}

static int add_range(long from, long to, void *data)
{
	struct cdm_nodeset *set = data;
	long n;

	if (to < from)
		return -EINVAL;
	for (n = from; n <= to; n++)
		cdm_nodeset_add(set, n);
	return 0;
}

int cdm__nodeset_parse_plain(const char *str, struct cdm_nodeset *set)
{
	const char *bad;

	cdm_nodeset_zero(set);
	return cdm__parse_list(str, CDM_MAX_NODES - 1, 0, add_range, set, &bad);
}

/* A list from a user, checked against the machine as it is read. */
struct user_list {
	struct cdm_ctx *ctx;
	const char *str;		/* the whole list, for messages */
	struct cdm_nodeset online;
	struct cdm_nodeset allowed;	/* has_memory */
	bool relative;			/* "+": numbers count allowed nodes */
	struct cdm_nodeset *set;
	bool reported;			/* add_user_range() set the message */
};

/* The allowed node that "+@rank" names, -1 when there are not so many */
static long nth_allowed(const struct user_list *ul, long rank)
{
	int node;

	cdm_nodeset_foreach(&ul->allowed, node)
		if (rank-- == 0)
			return node;
	return -1;
}

static int check_node(struct user_list *ul, long node)
{
	const char *why;

	if (!cdm_nodeset_has(&ul->online, node))
		why = "is not online";
	else if (!cdm_nodeset_has(&ul->allowed, node))
		why = "has no memory";
	else
		return 0;
	ul->reported = true;
	return cdm__fail(ul->ctx, EINVAL, "node list '%.64s': node %ld %s", ul->str, node, why);
}

/*
 * As numactl: both ends of a range must be allowed nodes; nodes between
 * them that are not (no memory, or not online) are left out, so "0-3"
 * means the nodes with memory from 0 to 3.
 */
static int add_user_range(long from, long to, void *data)
{
	struct user_list *ul = data;
	long node, last;
	int rc;

	if (to < from) {
		ul->reported = true;
		return cdm__fail(ul->ctx, EINVAL, "node list '%.64s': range %s%ld-%ld is reversed",
				 ul->str, ul->relative ? "+" : "", from, to);
	}
	if (ul->relative) {
		last = cdm_nodeset_weight(&ul->allowed) - 1;
		if (to > last) {
			ul->reported = true;
			return cdm__fail(ul->ctx, EINVAL,
					 "node list '%.64s': +%ld is past the last node with memory (+%ld)",
					 ul->str, to, last);
		}
		from = nth_allowed(ul, from);
		to = nth_allowed(ul, to);
	}
	rc = check_node(ul, from);
	if (!rc)
		rc = check_node(ul, to);
	if (rc)
		return rc;
	for (node = from; node <= to; node++)
		if (cdm_nodeset_has(&ul->allowed, node))
			cdm_nodeset_add(ul->set, node);
	return 0;
}

CDM_EXPORT int cdm_nodeset_parse(struct cdm_ctx *ctx, const char *str,
				 struct cdm_nodeset *set)
{
	struct user_list ul = { .ctx = ctx, .str = str };
	struct cdm_nodeset parsed;
	const char *list, *bad;
	bool invert;
	int rc, i;

	if (!ctx || !set)
		return -EINVAL;
	cdm__clear_error(ctx);
	/* numactl takes "" as no node; here it is more likely a mistake */
	if (!str || !*str)
		return cdm__fail(ctx, EINVAL, "node list '': empty");
	rc = cdm_get_online_nodes(ctx, &ul.online);
	if (!rc)
		rc = cdm_get_memory_nodes(ctx, &ul.allowed);
	if (rc)
		return rc;

	/* "!" first, then "+", as numactl's "!+0-1" */
	list = str;
	invert = *list == '!';
	if (invert)
		list++;
	ul.relative = *list == '+';
	if (ul.relative)
		list++;

	if (!strcmp(list, "all")) {
		if (invert)
			return cdm__fail(ctx, EINVAL, "node list '%s': '!all' selects no node", str);
		*set = ul.allowed;
		return 0;
	}
	if (!*list)
		return cdm__fail(ctx, EINVAL, "node list '%s': no node after '%.*s'", str,
				 (int)(list - str), str);

	cdm_nodeset_zero(&parsed);
	ul.set = &parsed;
	rc = cdm__parse_list(list, CDM_MAX_NODES - 1, CDM_LIST_USER, add_user_range, &ul, &bad);
	if (rc && ul.reported)
		return rc;
	if (rc == -ERANGE)
		return cdm__fail(ctx, ERANGE, "node list '%.64s': node number at '%.16s' above %d",
				 str, bad, CDM_MAX_NODES - 1);
	if (rc && bad[0] == '0' && isdigit((unsigned char)bad[1]))
		return cdm__fail(ctx, EINVAL,
				 "node list '%.64s': '%.*s' has a leading zero (numactl reads octal)",
				 str, (int)strspn(bad, "0123456789"), bad);
	if (rc && !strncmp(bad, "all", 3))
		return cdm__fail(ctx, EINVAL, "node list '%.64s': 'all' stands alone", str);
	if (rc)
		return cdm__fail(ctx, EINVAL, "node list '%.64s': unexpected '%.16s'", str,
				 *bad ? bad : "end");
	if (invert)
		for (i = 0; i < CDM_MAX_NODES / 64; i++)
			parsed.bits[i] = ul.allowed.bits[i] & ~parsed.bits[i];
	*set = parsed;
	return 0;
}

CDM_EXPORT int cdm_nodeset_format(const struct cdm_nodeset *set, char *buf,
				  size_t len)
{
	size_t used = 0;
	int node, last, n;

	if (!buf || !len)
		return -ENOSPC;
	buf[0] = '\0';
	for (node = cdm_nodeset_next(set, -1); node >= 0;
	     node = cdm_nodeset_next(set, last)) {
		last = node;
		while (cdm_nodeset_has(set, last + 1))
			last++;
		if (last == node)
			n = snprintf(buf + used, len - used, "%s%d", used ? "," : "", node);
		else
			n = snprintf(buf + used, len - used, "%s%d-%d", used ? "," : "",
				     node, last);
		if (n < 0 || (size_t)n >= len - used) {
			buf[used] = '\0';
			return -ENOSPC;
		}
		used += n;
	}
	return used;
}

/*
 * libnuma's struct bitmask: maskp holds size bits in unsigned longs (its
 * definition in <numa.h> is part of libnuma's ABI). Read a word at a time,
 * so that a wide, sparse mask costs little; written through numa_bitmask_*.
 */
#define ULONG_BITS (sizeof(unsigned long) * CHAR_BIT)

CDM_EXPORT int cdm_nodeset_from_bitmask(struct cdm_ctx *ctx, const struct bitmask *bmp,
					struct cdm_nodeset *set)
{
	unsigned long i, word, node;
	struct cdm_nodeset out;

	if (!ctx || !bmp || !set)
		return -EINVAL;
	cdm__clear_error(ctx);
	cdm_nodeset_zero(&out);
	for (i = 0; i * ULONG_BITS < bmp->size; i++) {
		for (word = bmp->maskp[i]; word; word &= word - 1) {
			node = i * ULONG_BITS + __builtin_ctzl(word);
			if (node >= bmp->size)
				break;
			if (node >= CDM_MAX_NODES)
				return cdm__fail(ctx, ERANGE, "bitmask: node %lu above the last "
						 "libcdm knows (%d)", node, CDM_MAX_NODES - 1);
			cdm_nodeset_add(&out, node);
		}
	}
	*set = out;
	return 0;
}

CDM_EXPORT int cdm_nodeset_to_bitmask(struct cdm_ctx *ctx, const struct cdm_nodeset *set,
				      struct bitmask *bmp)
{
	int node;

	if (!ctx || !set || !bmp)
		return -EINVAL;
	cdm__clear_error(ctx);
	if (bmp->size < CDM_MAX_NODES) {
		node = cdm_nodeset_next(set, (int)bmp->size - 1);
		if (node >= 0)
			return cdm__fail(ctx, ERANGE, "bitmask of %lu nodes: node %d does not fit",
					 bmp->size, node);
	}
	numa_bitmask_clearall(bmp);
	cdm_nodeset_foreach(set, node)
		numa_bitmask_setbit(bmp, node);
	return 0;
}
