// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdmctl nodes: one line (or JSON object) per online node: CPUs or
 * "cpuless", CDM state (yes/no/unknown), memory tier, size and free,
 * HMAT bandwidth/latency (access0) and the dax device / CXL region behind
 * it. JSON leaves out what the machine does not say.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cdmctl.h"

static const char nodes_usage[] =
	"usage: cdmctl nodes [--json] [--human]\n"
	"\n"
	"  -j, --json     JSON array, one object per node (sizes in bytes)\n"
	"  -u, --human    with --json: sizes as strings with units\n"
	"  -h, --help     this text\n";

static json_object *node_json(struct cdm_node *node, bool human)
{
	json_object *obj = json_object_new_object(), *dist, *memdevs;
	struct cdm_nodeset online;
	int id = cdm_node_get_id(node), other, i, n;
	long v;
	const char *s;

	json_object_object_add(obj, "node", json_object_new_int(id));
	json_object_object_add(obj, "cpus", json_object_new_string(cdm_node_get_cpulist(node)));
	json_object_object_add(obj, "cpuless", json_object_new_boolean(cdm_node_is_cpuless(node)));
	json_object_object_add(obj, "cdm", json_object_new_string(
		cdm_node_state_name(cdm_node_get_cdm_state(node))));
	if (cdm_node_get_memory_tier(node) >= 0)
		json_object_object_add(obj, "tier", json_object_new_int(cdm_node_get_memory_tier(node)));
	json_object_object_add(obj, "size", json_size(cdm_node_get_mem_total(node), human));
	json_object_object_add(obj, "free", json_size(cdm_node_get_mem_free(node), human));

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

	if ((v = cdm_node_get_read_bandwidth(node, 0)) >= 0)
		json_object_object_add(obj, "read_bandwidth", json_object_new_int64(v));
	if ((v = cdm_node_get_write_bandwidth(node, 0)) >= 0)
		json_object_object_add(obj, "write_bandwidth", json_object_new_int64(v));
	if ((v = cdm_node_get_read_latency(node, 0)) >= 0)
		json_object_object_add(obj, "read_latency", json_object_new_int64(v));
	if ((v = cdm_node_get_write_latency(node, 0)) >= 0)
		json_object_object_add(obj, "write_latency", json_object_new_int64(v));
	if ((s = cdm_node_get_initiators(node, 0)))
		json_object_object_add(obj, "initiators", json_object_new_string(s));
	if ((s = cdm_node_get_dax_device(node)))
		json_object_object_add(obj, "dax", json_object_new_string(s));
	if ((s = cdm_node_get_cxl_region(node)))
		json_object_object_add(obj, "region", json_object_new_string(s));
	n = cdm_node_get_nr_cxl_memdevs(node);
	if (n > 0) {
		memdevs = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(memdevs, json_object_new_string(
				cdm_node_get_cxl_memdev(node, i)));
		json_object_object_add(obj, "memdevs", memdevs);
	}
	return obj;
}

static void node_line(struct cdm_node *node)
{
	char size[32], free[32], bw[32] = "-", lat[32] = "-", tier[16] = "-", backing[128] = "-";
	const char *dax = cdm_node_get_dax_device(node), *region = cdm_node_get_cxl_region(node);
	long v;

	if ((v = cdm_node_get_read_bandwidth(node, 0)) >= 0)
		snprintf(bw, sizeof(bw), "%ld MiB/s", v);
	if ((v = cdm_node_get_read_latency(node, 0)) >= 0)
		snprintf(lat, sizeof(lat), "%ld ns", v);
	if (cdm_node_get_memory_tier(node) >= 0)
		snprintf(tier, sizeof(tier), "%d", cdm_node_get_memory_tier(node));
	if (dax)
		snprintf(backing, sizeof(backing), "%s%s%s", dax, region ? "/" : "",
			 region ? region : "");
	printf("%-4d %-10s %-7s %-4s %11s %11s %12s %8s  %s\n", cdm_node_get_id(node),
	       cdm_node_is_cpuless(node) ? "cpuless" : cdm_node_get_cpulist(node),
	       cdm_node_state_name(cdm_node_get_cdm_state(node)), tier,
	       format_size(cdm_node_get_mem_total(node), size, sizeof(size)),
	       format_size(cdm_node_get_mem_free(node), free, sizeof(free)), bw, lat, backing);
}

int cmd_nodes(int argc, char **argv, struct cdm_ctx *ctx)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "human", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, human = false;
	struct cdm_node *node;
	json_object *array;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":juh", options, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'u':
			human = true;
			break;
		case 'h':
			fputs(nodes_usage, stdout);
			return EXIT_OK;
		default:
			return cdmctl_usage_error("nodes", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cdmctl_usage_error("nodes", "unexpected argument '%s'", argv[optind]);

	node = cdm_node_get_first(ctx);
	if (!node)
		return cdmctl_error("nodes", EXIT_FAILED, "%s", cdm_get_last_error(ctx));
	if (json) {
		array = json_object_new_array();
		cdm_node_foreach(ctx, node)
			json_object_array_add(array, node_json(node, human));
		json_print(array);
		return EXIT_OK;
	}
	printf("%-4s %-10s %-7s %-4s %11s %11s %12s %8s  %s\n", "NODE", "CPUS", "CDM", "TIER",
	       "SIZE", "FREE", "READ-BW", "LATENCY", "BACKING");
	cdm_node_foreach(ctx, node)
		node_line(node);
	return EXIT_OK;
}
