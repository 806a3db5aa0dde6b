// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdmctl: look at and move coherent device memory, and put it online.
 *
 *   cdmctl nodes [--json] [--human] [[--nodes] LIST]
 *   cdmctl devices [--json]
 *   cdmctl residency --pid PID [--range START-END] [--json]
 *   cdmctl migrate --pid PID --to NODE [--from NODES] [--range START-END]
 *                  [--shared] [--method METHOD] [--threads N] [--json]
 *   cdmctl migrate --pid PID (--to | --from) POOL [--range START-END] [--json]
 *   cdmctl online DAXDEV [--json]
 *   cdmctl offline DAXDEV [--release] [--json]
 *   cdmctl status | targets | reload [--socket PATH] [--json]
 *   cdmctl top | explain [--count N] [--target NAME] [--socket PATH] [--json]
 *   cdmctl pause | resume [--target NAME] [--socket PATH] [--json]
 *   cdmctl help [COMMAND]
 *
 * One table of subcommands; each family lives in its own file.
 */
#include <stdio.h>
#include <string.h>

#include "cdmctl.h"

static const struct cdmctl_cmd commands[] = {
	{ "nodes", cmd_nodes, nodes_usage,
	  "list NUMA nodes with CPUs, CDM state, tier, memory, HMAT, backing" },
	{ "devices", cmd_devices, devices_usage,
	  "list device-private memory pools (cdm_private) with their counters" },
	{ "residency", cmd_residency, residency_usage,
	  "pages per node and device-private pool of a process, or a range of it" },
	{ "migrate", cmd_migrate, migrate_usage,
	  "move a process's pages (or a range) to a node or a device-private pool" },
	{ "online", cmd_online, online_usage,
	  "put a dax device's memory online as a CDM node (cxl_cdm)" },
	{ "offline", cmd_offline, offline_usage,
	  "take a dax device's memory off its CDM node" },
	{ "status", cmd_daemon, status_usage,
	  "cdmd's state: tracker, rounds, bytes moved, free memory per node" },
	{ "targets", cmd_daemon, targets_usage,
	  "cdmd's targets: policy, nodes, processes, bytes moved, moves held back" },
	{ "top", cmd_daemon, top_usage,
	  "the hottest regions cdmd tracks, and where their pages are" },
	{ "explain", cmd_daemon, explain_usage,
	  "cdmd's latest moves: why, where to, and what moved" },
	{ "reload", cmd_daemon, reload_usage,
	  "make cdmd read its configuration again" },
	{ "pause", cmd_daemon, pause_usage,
	  "stop cdmd moving pages, for a target or all" },
	{ "resume", cmd_daemon, resume_usage,
	  "let cdmd move pages again" },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	unsigned int i;

	fprintf(f, "usage: cdmctl COMMAND [OPTIONS]\n"
		   "       cdmctl help [COMMAND]\n"
		   "       cdmctl --help | --version\n"
		   "\ncommands:\n");
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\noptions:\n"
		   "  -h, --help     this text\n"
		   "  --version      the versions of cdmctl and of the libcdm it runs with\n"
		   "\n'cdmctl help COMMAND' (or 'cdmctl COMMAND --help') describes a command; "
		   "see cdmctl(1).\n"
		   "exit status: 0 ok, 1 failed, 2 usage error, "
		   "3 partial (migrate: some pages moved, some not)\n");
}

static const struct cdmctl_cmd *find_command(const char *name)
{
	unsigned int i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

static int unknown_command(const char *who, const char *name)
{
	fprintf(stderr, "%s: unknown command '%s'\n", who, name);
	usage(stderr);
	return EXIT_USAGE;
}

/* cdmctl help [COMMAND]: what "cdmctl COMMAND --help" prints */
static int help(int argc, char **argv)
{
	const struct cdmctl_cmd *cmd;

	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	if (argc > 2) {
		fprintf(stderr, "cdmctl help: unexpected argument '%s'\n"
				"usage: cdmctl help [COMMAND]\n", argv[2]);
		return EXIT_USAGE;
	}
	cmd = find_command(argv[1]);
	if (!cmd)
		return unknown_command("cdmctl help", argv[1]);
	fputs(cmd->usage, stdout);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct cdmctl_cmd *cmd;
	struct cdm_ctx *ctx;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return help(1, argv);
	if (!strcmp(argv[1], "help"))
		return help(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version")) {
		printf("cdmctl %s\nlibcdm %s\n", CDMCTL_VERSION, cdm_get_version());
		return EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd)
		return unknown_command("cdmctl", argv[1]);
	rc = cdm_new(&ctx);
	if (rc)
		return cdmctl_error(argv[1], EXIT_FAILED, "libcdm: %s", strerror(-rc));
	rc = cmd->run(argc - 1, argv + 1, ctx);
	cdm_unref(ctx);
	return rc;
}
