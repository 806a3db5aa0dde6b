// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdmctl online and cdmctl offline: a dax device's memory as a coherent
 * device memory node through the cxl_cdm driver, and back (libcdm's
 * cdm_dax_online() and cdm_dax_offline(), which take the steps of the
 * driver's README). Both are idempotent: a device in the state asked for
 * already is a success that says so ("changed": false in JSON).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cdmctl.h"

const char online_usage[] =
	"usage: cdmctl online DAXDEV [--from-kmem] [--node-name NAME] [--json]\n"
	"\n"
	"  DAXDEV             the dax device (daxN.M) whose memory becomes a CDM node\n"
	"                     through the cxl_cdm driver, loaded if it is not\n"
	"  -k, --from-kmem    take it from kmem first (its memory offline, then\n"
	"                     device_dax), as 'daxctl reconfigure-device --mode=devdax'\n"
	"  -n, --node-name NAME  then name its node NAME (a letter, then letters,\n"
	"                     digits, '-', '_', '.'; shown by 'cdmctl nodes')\n"
	"  -j, --json         JSON object\n"
	"  -h, --help         this text\n";

const char offline_usage[] =
	"usage: cdmctl offline DAXDEV [--release] [--json]\n"
	"\n"
	"  DAXDEV             the dax device (daxN.M) whose memory leaves its CDM node\n"
	"  -r, --release      then give the device back to device_dax\n"
	"  -j, --json         JSON object\n"
	"  -h, --help         this text\n";

/*
 * Options and the one DAXDEV argument of @cmd; -1 after --help. The name
 * is checked here, so that a malformed one is a usage error (exit 2), as
 * any bad input; a well-formed name of no device is a failure (exit 1).
 */
static int parse_args(const char *cmd, int argc, char **argv, struct cdm_ctx *ctx,
		      bool offline, bool *json, bool *release, bool *from_kmem,
		      const char **name, const char **dev)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "release", no_argument, NULL, 'r' },		/* offline only */
		{ "from-kmem", no_argument, NULL, 'k' },	/* online only */
		{ "node-name", required_argument, NULL, 'n' },	/* online only */
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*json = *release = *from_kmem = false;
	*dev = *name = NULL;
	opterr = 0;
	while ((c = getopt_long(argc, argv, offline ? ":jhr" : ":jhkn:", options, NULL)) != -1) {
		switch (c) {
		case 'j':
			*json = true;
			break;
		case 'r':
			if (!offline)
				return cdmctl_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
			*release = true;
			break;
		case 'k':
			if (offline)
				return cdmctl_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
			*from_kmem = true;
			break;
		case 'n':
			if (offline)	/* argv[optind - 1] may be its value */
				return cdmctl_usage_error(cmd, "unknown option '--node-name'");
			if (cdm_check_node_name(ctx, optarg))
				return cdmctl_usage_error(cmd, "--node-name: %s",
							  cdm_get_last_error(ctx));
			*name = optarg;
			break;
		case ':':
			return cdmctl_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
		case 'h':
			fputs(offline ? offline_usage : online_usage, stdout);
			return -1;
		default:
			return cdmctl_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return cdmctl_usage_error(cmd, "DAXDEV is required");
	*dev = argv[optind++];
	if (optind < argc)
		return cdmctl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (cdm_dax_check_name(ctx, *dev))
		return cdmctl_usage_error(cmd, "%s", cdm_get_last_error(ctx));
	return 0;
}

/* {"device": DEV} and, when known, "node" */
static json_object *json_head(const char *dev, int node)
{
	json_object *obj = json_object_new_object();

	json_object_object_add(obj, "device", json_object_new_string(dev));
	if (node >= 0)
		json_object_object_add(obj, "node", json_object_new_int(node));
	return obj;
}

/* What a call that returned @rc (0 changed, 1 nothing to do) did: text
 * or JSON. Returns the exit code. */
static int report(const char *cmd, struct cdm_ctx *ctx, bool json, const char *dev, int node,
		  int rc, bool online, bool release, bool from_kmem, const char *name)
{
	json_object *obj;
	char where[64] = "";

	if (rc < 0)
		return cdmctl_fail(cmd, json, json_head(dev, -1), -rc, cdm_get_last_error(ctx));
	if (json) {
		obj = json_head(dev, node);
		json_add_result(obj, "ok", 0, NULL);
		json_object_object_add(obj, "online", json_object_new_boolean(online));
		json_object_object_add(obj, "changed", json_object_new_boolean(!rc));
		if (online)
			json_object_object_add(obj, "taken_from_kmem",
					       json_object_new_boolean(from_kmem));
		if (name)
			json_object_object_add(obj, "name", json_object_new_string(name));
		json_print(obj);
		return EXIT_OK;
	}
	if (node >= 0)
		snprintf(where, sizeof(where), " node %d%s%.32s", node, name ? " named " : "",
			 name ? name : "");
	if (online)
		printf(rc ? "%s: already online as CDM%s (cxl_cdm); nothing done\n" :
		       from_kmem ? "%s: taken from kmem; online as CDM%s (cxl_cdm)\n" :
		       "%s: online as CDM%s (cxl_cdm)\n", dev, where);
	else if (rc)
		printf("%s: already offline%s; nothing done\n", dev,
		       release ? " and not cxl_cdm's" : "");
	else
		printf("%s: offline, none of its memory in%s%s\n", dev, *where ? where : " a node",
		       release ? "; given back to device_dax" : "");
	return EXIT_OK;
}

/* cdmctl online or offline: the command line, the call, what it did */
/* Name @node @name after an online: 0 when it was named so already, 1
 * when it is now; -errno, said */
static int name_node(struct cdm_ctx *ctx, const char *cmd, bool json, const char *dev,
		     int node, const char *name)
{
	char had[64], msg[512];
	int rc;

	if (node < 0)
		rc = -ENODEV;
	else if (!cdm_get_node_name(ctx, node, had, sizeof(had)) && !strcmp(had, name))
		return 0;
	else
		rc = cdm_set_node_name(ctx, node, name);
	if (!rc)
		return 1;
	snprintf(msg, sizeof(msg), "%s: online as CDM node %d, but not named '%s': %s", dev, node,
		 name, rc == -ENODEV ? "it has no target node" : cdm_get_last_error(ctx));
	cdmctl_fail(cmd, json, json_head(dev, node), -rc, msg);
	return rc;
}

/* After an offline: a node left without memory keeps no name */
static void forget_name(struct cdm_ctx *ctx, int node)
{
	struct cdm_node *n;

	if (node < 0 || cdm_refresh(ctx))
		return;
	n = cdm_node_get_by_id(ctx, node);
	if (!n || !cdm_node_get_mem_total(n))
		cdm_set_node_name(ctx, node, NULL);
}

static int dax_command(const char *cmd, int argc, char **argv, struct cdm_ctx *ctx, bool offline)
{
	bool json, release, from_kmem, taken = false;
	const char *dev, *name;
	int rc, node = -1, named;

	rc = parse_args(cmd, argc, argv, ctx, offline, &json, &release, &from_kmem, &name, &dev);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (from_kmem) {
		rc = cdm_dax_take_from_kmem(ctx, dev);
		if (rc < 0)
			return report(cmd, ctx, json, dev, node, rc, true, false, false, NULL);
		taken = !rc;
	}
	if (offline)
		rc = cdm_dax_offline(ctx, dev, release ? CDM_DAX_OFFLINE_RELEASE : 0, &node);
	else
		rc = cdm_dax_online(ctx, dev, &node);
	if (taken && rc == 1)
		rc = 0;		/* taken from kmem: a change, whatever online found */
	if (offline && rc >= 0)
		forget_name(ctx, node);
	if (!offline && rc >= 0 && name) {
		named = name_node(ctx, cmd, json, dev, node, name);
		if (named < 0)
			return EXIT_FAILED;
		if (named)
			rc = 0;	/* named anew: a change */
	}
	return report(cmd, ctx, json, dev, node, rc, !offline, release, taken, name);
}

int cmd_online(int argc, char **argv, struct cdm_ctx *ctx)
{
	return dax_command("online", argc, argv, ctx, false);
}

int cmd_offline(int argc, char **argv, struct cdm_ctx *ctx)
{
	return dax_command("offline", argc, argv, ctx, true);
}
