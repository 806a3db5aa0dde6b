// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Node sets and the one list parser, in numactl's syntax:
 *
 *   "0-3,7"    nodes 0,1,2,3,7        (also the format of sysfs lists)
 *   "all"      every node with memory
 *   "!1"       every node with memory except 1 ("!0-1,3" likewise)
 *
 * The same strict parser reads sysfs node lists and CPU lists, so a
 * malformed kernel file is an error, never a guess.
 */
#include <ctype.h>
#include <errno.h>
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

static int parse_number(const char **p, long max, long *val)
{
	const char *s = *p;
	long v = 0;

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

int cdm__parse_list(const char *str, long max,
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
		*bad = p;
		rc = parse_number(&p, max, &from);
		if (rc)
			return rc;
		to = from;
		if (*p == '-') {
			p++;
			*bad = p;
			rc = parse_number(&p, max, &to);
			if (rc)
				return rc;
			if (to < from)
				return -EINVAL;
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

	for (n = from; n <= to; n++)
		cdm_nodeset_add(set, n);
	return 0;
}

int cdm__nodeset_parse_plain(const char *str, struct cdm_nodeset *set)
{
	const char *bad;

	cdm_nodeset_zero(set);
	return cdm__parse_list(str, CDM_MAX_NODES - 1, add_range, set, &bad);
}

CDM_EXPORT int cdm_nodeset_parse(struct cdm_ctx *ctx, const char *str,
				 struct cdm_nodeset *set)
{
	struct cdm_nodeset parsed, all;
	const char *list, *bad;
	bool invert;
	int rc, i;

	if (!ctx || !set)
		return -EINVAL;
	cdm__clear_error(ctx);
	if (!str || !*str)
		return cdm__fail(ctx, EINVAL, "node list '': empty");
	invert = str[0] == '!';
	list = invert ? str + 1 : str;

	if (!strcmp(list, "all") || invert) {
		rc = cdm_get_memory_nodes(ctx, &all);
		if (rc)
			return rc;
	}
	if (!strcmp(list, "all")) {
		if (invert)
			return cdm__fail(ctx, EINVAL, "node list '%s': '!all' selects no node", str);
		*set = all;
		return 0;
	}
	if (!*list)
		return cdm__fail(ctx, EINVAL, "node list '%s': no node after '!'", str);

	cdm_nodeset_zero(&parsed);
	rc = cdm__parse_list(list, CDM_MAX_NODES - 1, add_range, &parsed, &bad);
	if (rc == -ERANGE)
		return cdm__fail(ctx, ERANGE, "node list '%.64s': node number at '%.16s' above %d",
				 str, bad, CDM_MAX_NODES - 1);
	if (rc)
		return cdm__fail(ctx, EINVAL, "node list '%.64s': unexpected '%.16s'", str,
				 bad && *bad ? bad : "end");
	if (invert)
		for (i = 0; i < CDM_MAX_NODES / 64; i++)
			parsed.bits[i] = all.bits[i] & ~parsed.bits[i];
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
