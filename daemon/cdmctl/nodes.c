// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdmctl nodes: one line (or JSON object) per online node, or per node of
 * a list: CPUs or "cpuless", CDM state (yes/no/unknown), memory tier,
 * size and free, HMAT bandwidth/latency (the table: access0 read; JSON:
 * every value of each access class) and what backs it: each dax device,
 * CXL region or plain RAM of the node (the table: comma-separated; JSON:
 * an array) and the drivers holding their memory (kmem, cxl_cdm). JSON
 * leaves out what the machine does not say, the table shows "-".
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cdmctl.h"

const char nodes_usage[] =
	"usage: cdmctl nodes [--json] [--human] [[--nodes] LIST]\n"
	"\n"
	"  LIST               only these nodes, in numactl's syntax: 1,3  0-2  !0  all\n"
	"                     (nodes with memory; see cdmctl(1)); default: every online\n"
	"                     node\n"
	"  -n, --nodes LIST   the same, as an option\n"
	"  -j, --json         JSON array, one object per node (sizes in bytes)\n"
	"  -u, --human        with --json: sizes as strings with units\n"
	"  -h, --help         this text\n";

/* HMAT values of one access class as JSON, NULL when it has none */
static json_object *access_json(struct cdm_node *node, unsigned int access)
{
	static const struct {
		const char *key;
		int (*get)(struct cdm_node *node, unsigned int access,
			   unsigned long long *value);
	} attrs[] = {
		{ "read_bandwidth", cdm_node_get_read_bandwidth },
		{ "write_bandwidth", cdm_node_get_write_bandwidth },
		{ "read_latency", cdm_node_get_read_latency },
		{ "write_latency", cdm_node_get_write_latency },
	};
	const char *initiators = cdm_node_get_initiators(node, access);
	json_object *obj = NULL;
	unsigned long long v;
	unsigned int i;

	if (initiators) {
		obj = json_object_new_object();
		json_object_object_add(obj, "initiators", json_object_new_string(initiators));
	}
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if (attrs[i].get(node, access, &v))
			continue;
		if (!obj)
			obj = json_object_new_object();
		json_object_object_add(obj, attrs[i].key, json_object_new_int64(v));
	}
	return obj;
}

/* one backing: kind, dax, region, memdevs, driver, size */
static json_object *backing_json(struct cdm_backing *b, bool human)
{
	json_object *obj = json_object_new_object(), *memdevs;
	int i, n = cdm_backing_get_nr_cxl_memdevs(b);
	const char *s;

	json_object_object_add(obj, "kind", json_object_new_string(
		cdm_backing_kind_name(cdm_backing_get_kind(b))));
	if ((s = cdm_backing_get_devname(b)))
		json_object_object_add(obj, "dax", json_object_new_string(s));
	if ((s = cdm_backing_get_cxl_region(b)))
		json_object_object_add(obj, "region", json_object_new_string(s));
	if (n > 0) {
		memdevs = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(memdevs, json_object_new_string(
				cdm_backing_get_cxl_memdev(b, i)));
		json_object_object_add(obj, "memdevs", memdevs);
	}
	if ((s = cdm_backing_get_driver(b)))
		json_object_object_add(obj, "driver", json_object_new_string(s));
	json_object_object_add(obj, "size", json_size(cdm_backing_get_size(b), human));
	return obj;
}

static json_object *node_json(struct cdm_node *node, bool human)
{
	json_object *obj = json_object_new_object(), *dist, *backings = NULL, *access;
	struct cdm_nodeset online;
	int id = cdm_node_get_id(node), other;
	struct cdm_backing *b;
	unsigned long long mem_free;
	char name[64];
	unsigned int a;

	json_object_object_add(obj, "node", json_object_new_int(id));
	json_object_object_add(obj, "cpus", json_object_new_string(cdm_node_get_cpulist(node)));
	json_object_object_add(obj, "cpuless", json_object_new_boolean(cdm_node_is_cpuless(node)));
	json_object_object_add(obj, "cdm", json_object_new_string(
		cdm_node_state_name(cdm_node_get_cdm_state(node))));
	if (!cdm_get_node_name(cdm_node_get_ctx(node), id, name, sizeof(name)))
		json_object_object_add(obj, "name", json_object_new_string(name));
	if (cdm_node_get_memory_tier(node) >= 0)
		json_object_object_add(obj, "tier", json_object_new_int(cdm_node_get_memory_tier(node)));
	json_object_object_add(obj, "size", json_size(cdm_node_get_mem_total(node), human));
	if (!cdm_node_get_mem_free(node, &mem_free))
		json_object_object_add(obj, "free", json_size(mem_free, human));

	dist = json_object_new_object();
	if (!cdm_get_online_nodes(cdm_node_get_ctx(node), &online)) {
		cdm_nodeset_foreach(&online, other) {
			char key[16];
			int d = cdm_node_get_distance(node, other);

			snprintf(key, sizeof(key), "%d", other);
			if (d >= 0)
				json_object_object_add(dist, key, json_object_new_int(d));
		}
	}
	json_object_object_add(obj, "distance", dist);

	for (a = 0; a < 2; a++) {
		char key[16];

		snprintf(key, sizeof(key), "access%u", a);
		if ((access = access_json(node, a)))
			json_object_object_add(obj, key, access);
	}
	cdm_backing_foreach(node, b) {
		if (!backings)
			backings = json_object_new_array();
		json_object_array_add(backings, backing_json(b, human));
	}
	if (backings)
		json_object_object_add(obj, "backing", backings);
	return obj;
}

/* "dax0.0/region0,ram": the dax device and/or region of each backing, or
 * its kind; "-" when none */
static const char *backing_list(struct cdm_node *node, char *buf, size_t len)
{
	const char *dax, *region;
	struct cdm_backing *b;
	size_t n = 0;

	snprintf(buf, len, "-");
	cdm_backing_foreach(node, b) {
		dax = cdm_backing_get_devname(b);
		region = cdm_backing_get_cxl_region(b);
		if (n < len)
			n += snprintf(buf + n, len - n, "%s%s%s%s", n ? "," : "",
				      dax ? dax : "", dax && region ? "/" : "",
				      region ? region : dax ? "" :
				      cdm_backing_kind_name(cdm_backing_get_kind(b)));
	}
	return buf;
}

/* "cxl_cdm", "kmem,cxl_cdm": the drivers holding the memory of the
 * node's backings, each once, in their order; "-" when none */
static const char *driver_list(struct cdm_node *node, char *buf, size_t len)
{
	const char *seen[8], *driver;
	unsigned int nr = 0, i;
	struct cdm_backing *b;
	size_t n = 0;

	snprintf(buf, len, "-");
	cdm_backing_foreach(node, b) {
		driver = cdm_backing_get_driver(b);
		for (i = 0; driver && i < nr; i++)
			if (!strcmp(seen[i], driver))
				driver = NULL;	/* listed already */
		if (!driver || nr == sizeof(seen) / sizeof(seen[0]))
			continue;
		seen[nr++] = driver;
		if (n < len)
			n += snprintf(buf + n, len - n, "%s%s", n ? "," : "", driver);
	}
	return buf;
}

static void node_line(struct cdm_node *node)
{
	char size[32], free[32] = "-", bw[32] = "-", lat[32] = "-", tier[16] = "-", backing[256],
	     driver[64], name[64] = "-";
	unsigned long long v;

	if (!cdm_node_get_read_bandwidth(node, 0, &v))
		snprintf(bw, sizeof(bw), "%llu MiB/s", v);
	if (!cdm_node_get_read_latency(node, 0, &v))
		snprintf(lat, sizeof(lat), "%llu ns", v);
	if (!cdm_node_get_mem_free(node, &v))
		format_size(v, free, sizeof(free));
	if (cdm_node_get_memory_tier(node) >= 0)
		snprintf(tier, sizeof(tier), "%d", cdm_node_get_memory_tier(node));
	if (cdm_get_node_name(cdm_node_get_ctx(node), cdm_node_get_id(node), name, sizeof(name)))
		strcpy(name, "-");
	printf("%-4d %-10s %-7s %-4s %11s %11s %12s %8s  %-10s %-8s %s\n", cdm_node_get_id(node),
	       cdm_node_is_cpuless(node) ? "cpuless" : cdm_node_get_cpulist(node),
	       cdm_node_state_name(cdm_node_get_cdm_state(node)), tier,
	       format_size(cdm_node_get_mem_total(node), size, sizeof(size)),
	       free, bw, lat, name, driver_list(node, driver, sizeof(driver)),
	       backing_list(node, backing, sizeof(backing)));
}

/*
 * The nodes of @list (NULL: every online node) into @set. The topology
 * is read first, so that a broken tree is a failure (exit 1) and only a
 * list the parser refuses (malformed, or naming a node that is not
 * online or has no memory) a usage error. Returns an exit code.
 */
static int select_nodes(struct cdm_ctx *ctx, const char *list, bool json,
			struct cdm_nodeset *set)
{
	struct cdm_nodeset online;
	int rc, node;

	rc = cdm_get_online_nodes(ctx, &online);
	if (rc)
		return cdmctl_fail("nodes", json, NULL, -rc, cdm_get_last_error(ctx));
	if (!list) {
		*set = online;
		return EXIT_OK;
	}
	if (cdm_nodeset_parse(ctx, list, set))
		return cdmctl_usage_error("nodes", "%s", cdm_get_last_error(ctx));
	/* a parser that takes any number (before numactl's rules) lets an
	 * offline node through: refused the same way */
	cdm_nodeset_foreach(set, node) {
		if (!cdm_nodeset_has(&online, node)) {
			cdm_node_get_by_id(ctx, node);	/* its message */
			return cdmctl_usage_error("nodes", "node list '%s': %s", list,
						  cdm_get_last_error(ctx));
		}
	}
	return EXIT_OK;
}

int cmd_nodes(int argc, char **argv, struct cdm_ctx *ctx)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "human", no_argument, NULL, 'u' },
		{ "nodes", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, human = false;
	const char *list = NULL;
	struct cdm_nodeset set;
	struct cdm_node *node;
	json_object *array;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jun:h", options, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'u':
			human = true;
			break;
		case 'n':
			if (list)
				return cdmctl_usage_error("nodes", "node list given twice ('%s' and '%s')",
							  list, optarg);
			list = optarg;
			break;
		case 'h':
			fputs(nodes_usage, stdout);
			return EXIT_OK;
		case ':':
			return cdmctl_usage_error("nodes", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cdmctl_usage_error("nodes", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		if (list)
			return cdmctl_usage_error("nodes", "node list given twice ('%s' and '%s')",
						  argv[optind], list);
		list = argv[optind++];
	}
	if (optind < argc)
		return cdmctl_usage_error("nodes", "unexpected argument '%s'", argv[optind]);

	rc = select_nodes(ctx, list, json, &set);
	if (rc)
		return rc;
	if (json) {
		array = json_object_new_array();
		cdm_node_foreach(ctx, node)
			if (cdm_nodeset_has(&set, cdm_node_get_id(node)))
				json_object_array_add(array, node_json(node, human));
		json_print(array);
		return EXIT_OK;
	}
	printf("%-4s %-10s %-7s %-4s %11s %11s %12s %8s  %-10s %-8s %s\n", "NODE", "CPUS", "CDM",
	       "TIER", "SIZE", "FREE", "READ-BW", "LATENCY", "NAME", "DRIVER", "BACKING");
	cdm_node_foreach(ctx, node)
		if (cdm_nodeset_has(&set, cdm_node_get_id(node)))
			node_line(node);
	return EXIT_OK;
}
