// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdmctl: look at and move coherent device memory.
 *
 *   cdmctl nodes [--json] [--human]
 *   cdmctl residency --pid PID [--range START-END] [--json]
 *   cdmctl migrate --pid PID --to NODE [--range START-END] [--threads N] [--json]
 *
 * One table of subcommands; each family lives in its own file.
 */
#include <stdio.h>
#include <string.h>

#include "cdmctl.h"

static const struct cdmctl_cmd commands[] = {
	{ "nodes", cmd_nodes, "list NUMA nodes with CPUs, CDM state, tier, memory, HMAT, backing" },
	{ "residency", cmd_residency, "pages per node of a process or a range of it" },
	{ "migrate", cmd_migrate, "move a process's pages (or a range) to a node" },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	unsigned int i;

	fprintf(f, "usage: cdmctl COMMAND [OPTIONS]\n\ncommands:\n");
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'cdmctl COMMAND --help' describes a command; see cdmctl(1).\n"
		   "exit status: 0 ok, 1 operation failed, 2 usage error\n");
}

int main(int argc, char **argv)
{
	struct cdm_ctx *ctx;
	unsigned int i;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("cdmctl 1\n");
		return EXIT_OK;
	}
	for (i = 0; i < NR_COMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		rc = cdm_new(&ctx);
		if (rc)
			return cdmctl_error(argv[1], EXIT_FAILED, "libcdm: %s", strerror(-rc));
		rc = commands[i].run(argc - 1, argv + 1, ctx);
		cdm_unref(ctx);
		return rc;
	}
	fprintf(stderr, "cdmctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
