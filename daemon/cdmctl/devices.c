// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdmctl devices: the device-private memory pools of the cdm_private
 * driver (/dev/cdm_privateN), one line (or JSON object) each: sizes and
 * the driver's page counters. Pages move to a pool and back with cdmctl
 * migrate --to/--from POOL; cdmctl residency counts a process's pages on
 * each pool.
 *
 * Every pool is read before anything is printed, so a pool that cannot be
 * read (opening it needs root, or it went away) fails the command without
 * half a table: its counters are the point of the command.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "cdmctl.h"

const char devices_usage[] =
	"usage: cdmctl devices [--json]\n"
	"\n"
	"  -j, --json         JSON object: result and pools (sizes in bytes)\n"
	"  -h, --help         this text\n";

/* the JSON keys of a pool, in this order; the table prints the same */
static const struct {
	const char *key;
	unsigned long long (*get)(struct cdm_pool *pool);
} pool_attrs[] = {
	{ "capacity", cdm_pool_get_capacity },		/* bytes */
	{ "allocated", cdm_pool_get_allocated },
	{ "used", cdm_pool_get_used },
	{ "pages_on_device", cdm_pool_get_pages_on_device },	/* pages */
	{ "to_device", cdm_pool_get_to_device },
	{ "to_ram", cdm_pool_get_to_ram },
	{ "cpu_faults", cdm_pool_get_cpu_faults },
	{ "fail_busy", cdm_pool_get_fail_busy },
	{ "fail_nomem", cdm_pool_get_fail_nomem },
	{ "fail_other", cdm_pool_get_fail_other },
};

static json_object *pool_json(struct cdm_pool *pool)
{
	json_object *obj = json_object_new_object();
	unsigned int i;

	json_object_object_add(obj, "pool", json_object_new_string(cdm_pool_get_name(pool)));
	json_object_object_add(obj, "device", json_object_new_string(cdm_pool_get_devpath(pool)));
	for (i = 0; i < sizeof(pool_attrs) / sizeof(pool_attrs[0]); i++)
		json_object_object_add(obj, pool_attrs[i].key,
				       json_size(pool_attrs[i].get(pool), false));
	return obj;
}

/* NAME DEVICE CAPACITY ALLOCATED USED: the header's and each line's */
#define POOL_COLS "%-13s %-18s %10s %10s %10s "

static void pool_line(struct cdm_pool *pool)
{
	char capacity[32], allocated[32], used[32];

	printf(POOL_COLS "%10llu %10llu %10llu %10llu %10llu\n", cdm_pool_get_name(pool),
	       cdm_pool_get_devpath(pool),
	       format_size(cdm_pool_get_capacity(pool), capacity, sizeof(capacity)),
	       format_size(cdm_pool_get_allocated(pool), allocated, sizeof(allocated)),
	       format_size(cdm_pool_get_used(pool), used, sizeof(used)),
	       cdm_pool_get_pages_on_device(pool), cdm_pool_get_to_device(pool),
	       cdm_pool_get_to_ram(pool), cdm_pool_get_cpu_faults(pool),
	       cdm_pool_get_fail_busy(pool) + cdm_pool_get_fail_nomem(pool) +
	       cdm_pool_get_fail_other(pool));
}

int cmd_devices(int argc, char **argv, struct cdm_ctx *ctx)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cdm_pool *pool, *list[CDM_MAX_POOLS];
	json_object *obj, *pools;
	unsigned int nr = 0, i;
	bool json = false;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", options, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(devices_usage, stdout);
			return EXIT_OK;
		default:
			return cdmctl_usage_error("devices", "unknown option '%s'",
						  argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cdmctl_usage_error("devices", "unexpected argument '%s'", argv[optind]);

	/* one listing: each walk lists the pools anew, and the module may
	 * come or go between two */
	cdm_pool_foreach(ctx, pool) {
		if (nr == CDM_MAX_POOLS)
			break;
		rc = cdm_pool_update(pool);
		if (rc)
			return cdmctl_fail("devices", json, NULL, -rc, cdm_get_last_error(ctx));
		list[nr++] = pool;
	}
	/* NULL at the start is "none" only with no message (see libcdm.h);
	 * the call gives no errno, and a listing that fails is an I/O error */
	if (!nr && *cdm_get_last_error(ctx))
		return cdmctl_fail("devices", json, NULL, EIO, cdm_get_last_error(ctx));
	if (json) {
		obj = json_object_new_object();
		pools = json_object_new_array();
		json_add_result(obj, "ok", 0, NULL);
		for (i = 0; i < nr; i++)
			json_object_array_add(pools, pool_json(list[i]));
		json_object_object_add(obj, "pools", pools);
		json_print(obj);
		return EXIT_OK;
	}
	if (!nr) {
		puts("no device-private pools (is cdm_private loaded?)");
		return EXIT_OK;
	}
	printf(POOL_COLS "%10s %10s %10s %10s %10s\n", "NAME", "DEVICE", "CAPACITY", "ALLOCATED",
	       "USED", "ON-DEVICE", "TO-DEVICE", "TO-RAM", "CPU-FAULTS", "FAILED");
	for (i = 0; i < nr; i++)
		pool_line(list[i]);
	return EXIT_OK;
}
