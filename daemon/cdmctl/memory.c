// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdmctl residency and cdmctl migrate: the pages of a process, per node
 * and per device-private pool, and moving them to a node, or to a pool
 * and back. Both take --pid and an optional --range START-END.
 *
 * A migration that ends short of its goal still says what it did, in
 * JSON too: result "partial" (exit 3) when it moved some pages, "error"
 * (exit 1) when it moved none, with the error that stopped it. SIGINT or
 * SIGTERM during a migration stops it after the chunks under way, and
 * the summary says what moved.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cdmctl.h"

const char residency_usage[] =
	"usage: cdmctl residency --pid PID [--range START-END] [--json]\n"
	"\n"
	"  -p, --pid PID            process to look at\n"
	"  -r, --range START-END    only this range (hex 0x... or decimal, page aligned)\n"
	"  -j, --json               JSON object\n"
	"  -h, --help               this text\n";

const char migrate_usage[] =
	"usage: cdmctl migrate --pid PID --to NODE [--from NODES] [--range START-END]\n"
	"                      [--shared] [--method METHOD] [--threads N]\n"
	"                      [--batch PAGES] [--json] [--quiet]\n"
	"       cdmctl migrate --pid PID (--to POOL | --from POOL) [--range START-END]\n"
	"                      [--json] [--quiet]\n"
	"\n"
	"  -p, --pid PID            process whose pages move\n"
	"  -t, --to NODE|POOL       target node, or device-private pool (cdm_privateN or\n"
	"                           /dev/cdm_privateN, see cdmctl devices)\n"
	"  -f, --from NODES|POOL    only pages now on these nodes (numactl's syntax), or\n"
	"                           the pool whose pages come back to system memory\n"
	"  -r, --range START-END    only this range (hex 0x... or decimal, page aligned)\n"
	"  -s, --shared             also pages other processes map (needs CAP_SYS_NICE)\n"
	"  -m, --method METHOD      auto, move_pages or migrate_pages (default auto)\n"
	"  -T, --threads N          worker threads (1-64, default 1)\n"
	"  -b, --batch PAGES        pages per move_pages call (default 16384)\n"
	"  -j, --json               JSON summary, with the pages that did not move (also\n"
	"                           when the migration fails)\n"
	"  -q, --quiet              no progress on a terminal\n"
	"  -h, --help               this text\n"
	"\n"
	"With a POOL only --pid, --range, --json and --quiet apply.\n";

struct mem_args {
	pid_t pid;
	int to, threads, batch;
	bool have_range, json, quiet, shared;
	uint64_t start, end;
	const char *from;	/* node list as given, parsed by the library */
	enum cdm_migrate_method method;
	/* a device-private pool, as given until found, then its name: --to
	 * moves pages to it, --from brings them back */
	const char *pool_to, *pool_from;
	int node_opt;		/* the first option given that only --to NODE takes */
};

/* the options of a migration to a node that one to or from a pool does
 * not take, and why */
static const struct {
	int opt;
	const char *name, *why;
} node_only[] = {
	{ 'T', "--threads", "the cdm_private driver moves a pool's pages in one request" },
	{ 'b', "--batch", "the cdm_private driver moves a pool's pages in one request" },
	{ 'm', "--method", "the cdm_private driver moves a pool's pages itself (migrate_vma)" },
	{ 's', "--shared", "a pool takes private anonymous memory only" },
};

/*
 * --to or --from @arg: *@pool = @arg when it names a pool rather than
 * nodes (no node number or node list begins "cdm_private" or "/dev/"),
 * else NULL. A malformed pool name (libcdm's cdm_pool_check_name()) is
 * bad input, as a malformed node number is: a usage error (returned),
 * nothing done. Whether the pool exists is libcdm's to say, at run time.
 */
static int parse_pool_arg(const char *cmd, const char *opt, const char *arg, const char **pool)
{
	*pool = NULL;
	if (strncmp(arg, "/dev/", 5) && strncmp(arg, "cdm_private", 11))
		return 0;
	if (cdm_pool_check_name(NULL, arg))
		return cdmctl_usage_error(cmd, "%s '%s': not a pool name (cdm_privateN or "
					  "/dev/cdm_privateN, N 0-%d)", opt, arg,
					  CDM_MAX_POOLS - 1);
	*pool = arg;
	return 0;
}

/* The combinations of --to, --from and the node-only options that a pool
 * refuses; 0 when there is none or no pool */
static int check_pool_args(const char *cmd, const struct mem_args *a)
{
	const char *pool = a->pool_to ? a->pool_to : a->pool_from;
	unsigned int i;

	if (!pool)
		return 0;
	if (a->pool_to && a->pool_from)
		return cdmctl_usage_error(cmd, "--to %s and --from %s: a pool's pages move to "
					  "or from system memory, never straight to another pool",
					  a->pool_to, a->pool_from);
	if (a->pool_from && a->to >= 0)
		return cdmctl_usage_error(cmd, "--to: with --from %s, pages come back where "
					  "the process's memory policy puts them; move them on "
					  "with another cdmctl migrate", a->pool_from);
	if (a->pool_to && a->from)
		return cdmctl_usage_error(cmd, "--from %s: with --to %s, every private anonymous "
					  "page of the process (or range) moves, wherever it is",
					  a->from, a->pool_to);
	for (i = 0; i < sizeof(node_only) / sizeof(node_only[0]); i++)
		if (node_only[i].opt == a->node_opt)
			return cdmctl_usage_error(cmd, "%s: not with a pool (%s): %s",
						  node_only[i].name, pool, node_only[i].why);
	return 0;
}

static const char *const method_names[] = {
	[CDM_MIGRATE_METHOD_AUTO] = "auto",
	[CDM_MIGRATE_METHOD_MOVE_PAGES] = "move_pages",
	[CDM_MIGRATE_METHOD_MIGRATE_PAGES] = "migrate_pages",
};

static bool parse_method(const char *s, enum cdm_migrate_method *method)
{
	unsigned int i;

	for (i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++) {
		if (!strcmp(s, method_names[i])) {
			*method = i;
			return true;
		}
	}
	return false;
}

/* Common option parsing; @migrate enables the options only migrate has. */
static int parse_args(const char *cmd, int argc, char **argv, bool migrate,
		      struct mem_args *a)
{
	/* residency sees only the first four */
	static const struct option options[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "range", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	}, migrate_options[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "range", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "to", required_argument, NULL, 't' },
		{ "threads", required_argument, NULL, 'T' },
		{ "batch", required_argument, NULL, 'b' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "from", required_argument, NULL, 'f' },
		{ "shared", no_argument, NULL, 's' },
		{ "method", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->to = -1;
	a->threads = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, migrate ? ":p:r:jht:T:b:qf:sm:" : ":p:r:jh",
				migrate ? migrate_options : options, NULL)) != -1) {
		if (!a->node_opt && strchr("Tbms", c))
			a->node_opt = c;
		switch (c) {
		case 'p':
			if (!parse_pid(optarg, &a->pid))
				return cdmctl_usage_error(cmd, "--pid '%s': not a process id", optarg);
			break;
		case 'r':
			if (!parse_range(optarg, &a->start, &a->end))
				return cdmctl_usage_error(cmd, "--range '%s': not START-END", optarg);
			a->have_range = true;
			break;
		case 'j':
			a->json = true;
			break;
		case 't':
			/* the last --to counts, node or pool */
			a->to = -1;
			if (parse_pool_arg(cmd, "--to", optarg, &a->pool_to))
				return EXIT_USAGE;
			if (!a->pool_to && !parse_int(optarg, 0, CDM_MAX_NODES - 1, &a->to))
				return cdmctl_usage_error(cmd, "--to '%s': not a node number", optarg);
			break;
		case 'T':
			if (!parse_int(optarg, 1, 64, &a->threads))
				return cdmctl_usage_error(cmd, "--threads '%s': not 1-64", optarg);
			break;
		case 'b':
			if (!parse_int(optarg, 1, 1 << 20, &a->batch))
				return cdmctl_usage_error(cmd, "--batch '%s': not 1-1048576", optarg);
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'f':
			if (parse_pool_arg(cmd, "--from", optarg, &a->pool_from))
				return EXIT_USAGE;
			a->from = a->pool_from ? NULL : optarg;
			break;
		case 's':
			a->shared = true;
			break;
		case 'm':
			if (!parse_method(optarg, &a->method))
				return cdmctl_usage_error(cmd, "--method '%s': not auto, move_pages or migrate_pages",
							  optarg);
			break;
		case 'h':
			fputs(migrate ? migrate_usage : residency_usage, stdout);
			return -1;
		case ':':
			return cdmctl_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
		default:
			return cdmctl_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cdmctl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (!a->pid)
		return cdmctl_usage_error(cmd, "--pid is required");
	if (migrate && a->to < 0 && !a->pool_to && !a->pool_from)
		return cdmctl_usage_error(cmd, "--to is required");
	return check_pool_args(cmd, a);
}

/* what both commands' JSON begins with: pid, target and source (migrate:
 * a node number, a node list, a pool's name), range */
static json_object *json_head(const struct mem_args *a, bool migrate)
{
	json_object *obj = json_object_new_object();
	char buf[64];

	json_object_object_add(obj, "pid", json_object_new_int(a->pid));
	if (a->pool_to)
		json_object_object_add(obj, "to", json_object_new_string(a->pool_to));
	else if (migrate && !a->pool_from)
		json_object_object_add(obj, "to", json_object_new_int(a->to));
	if (a->from || a->pool_from)
		json_object_object_add(obj, "from", json_object_new_string(a->from ? a->from :
									   a->pool_from));
	if (a->have_range) {
		snprintf(buf, sizeof(buf), "0x%" PRIx64 "-0x%" PRIx64, a->start, a->end);
		json_object_object_add(obj, "range", json_object_new_string(buf));
	}
	return obj;
}

/* EBUSY for EBUSY: what the JSON output names an errno by */
static const char *errno_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "unknown";
}

/* The errors residency kept (the first 64): address and errno name */
static json_object *residency_errors_json(struct cdm_residency *res)
{
	json_object *list = json_object_new_array(), *e;
	unsigned int i;
	uint64_t addr;
	char buf[32];
	int err;

	for (i = 0; !cdm_residency_get_error(res, i, &addr, &err); i++) {
		e = json_object_new_object();
		snprintf(buf, sizeof(buf), "0x%" PRIx64, addr);
		json_object_object_add(e, "address", json_object_new_string(buf));
		json_object_object_add(e, "errno", json_object_new_string(errno_name(err)));
		json_object_array_add(list, e);
	}
	return list;
}

/* The pages on each pool that holds some, after the nodes' (JSON: every
 * such pool, an empty array for none) */
static json_object *residency_pools_json(struct cdm_ctx *ctx, struct cdm_residency *res)
{
	json_object *list = json_object_new_array(), *p;
	long ps = sysconf(_SC_PAGESIZE);
	unsigned long long pages;
	struct cdm_pool *pool;

	cdm_pool_foreach(ctx, pool) {
		if (cdm_residency_get_pool_pages(res, pool, &pages) || !pages)
			continue;
		p = json_object_new_object();
		json_object_object_add(p, "pool", json_object_new_string(cdm_pool_get_name(pool)));
		json_object_object_add(p, "pages", json_object_new_int64(pages));
		json_object_object_add(p, "bytes", json_object_new_int64(pages * ps));
		json_object_array_add(list, p);
	}
	return list;
}

/* NODE is wide enough for a pool's name: cdm_private63 */
#define RESIDENCY_ROW "%-13s %12llu %12s"

int cmd_residency(int argc, char **argv, struct cdm_ctx *ctx)
{
	unsigned long long total, pages, present;
	long ps = sysconf(_SC_PAGESIZE);
	struct cdm_residency *res = NULL;
	json_object *obj, *nodes, *n;
	struct cdm_pool *pool;
	char id[16];
	struct mem_args a;
	char size[32];
	int rc, node, max;

	rc = parse_args("residency", argc, argv, false, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	rc = cdm_residency_new(ctx, a.pid, &res);
	if (!rc && a.have_range)
		rc = cdm_residency_set_range(res, a.start, a.end);
	if (!rc)
		rc = cdm_residency_update(res);
	if (rc) {
		cdm_residency_free(res);
		return cdmctl_fail("residency", a.json, json_head(&a, false), -rc,
				   cdm_get_last_error(ctx));
	}
	total = cdm_residency_get_total(res);
	max = cdm_residency_get_max_node(res);
	for (present = 0, node = 0; node <= max; node++)
		if (!cdm_residency_get_pages(res, node, &pages))
			present += pages;
	if (a.json) {
		obj = json_head(&a, false);
		nodes = json_object_new_array();
		json_add_result(obj, "ok", 0, NULL);
		json_object_object_add(obj, "pages", json_object_new_int64(total));
		json_object_object_add(obj, "present", json_object_new_int64(present));
		json_object_object_add(obj, "zero_page",
				       json_object_new_int64(cdm_residency_get_zero_page(res)));
		json_object_object_add(obj, "swapped",
				       json_object_new_int64(cdm_residency_get_swapped(res)));
		json_object_object_add(obj, "not_present",
				       json_object_new_int64(cdm_residency_get_not_present(res)));
		json_object_object_add(obj, "errors",
				       json_object_new_int64(cdm_residency_get_errors(res)));
		if (cdm_residency_get_errors(res))
			json_object_object_add(obj, "error_pages", residency_errors_json(res));
		json_object_object_add(obj, "source", json_object_new_string(
			cdm_residency_get_source_used(res) == CDM_RESIDENCY_PAGEMAP ?
			"pagemap" : "move_pages"));
		for (node = 0; node <= max; node++) {
			if (cdm_residency_get_pages(res, node, &pages) || !pages)
				continue;
			n = json_object_new_object();
			json_object_object_add(n, "node", json_object_new_int(node));
			json_object_object_add(n, "pages", json_object_new_int64(pages));
			json_object_object_add(n, "bytes", json_object_new_int64(pages * ps));
			json_object_array_add(nodes, n);
		}
		json_object_object_add(obj, "nodes", nodes);
		json_object_object_add(obj, "pools", residency_pools_json(ctx, res));
		json_print(obj);
	} else {
		printf("%-13s %12s %12s %7s\n", "NODE", "PAGES", "SIZE", "SHARE");
		for (node = 0; node <= max; node++) {
			if (cdm_residency_get_pages(res, node, &pages) || !pages)
				continue;
			snprintf(id, sizeof(id), "%d", node);
			printf(RESIDENCY_ROW " %6.1f%%\n", id, pages,
			       format_size(pages * ps, size, sizeof(size)),
			       100.0 * pages / present);
		}
		/* SHARE is of the pages on nodes, which the CPU reaches in place */
		cdm_pool_foreach(ctx, pool) {
			if (!cdm_residency_get_pool_pages(res, pool, &pages) && pages)
				printf(RESIDENCY_ROW " %7s\n", cdm_pool_get_name(pool), pages,
				       format_size(pages * ps, size, sizeof(size)), "-");
		}
		printf("%-13s %12llu\n", "zero", cdm_residency_get_zero_page(res));
		printf("%-13s %12llu\n", "swapped", cdm_residency_get_swapped(res));
		printf("%-13s %12llu\n", "absent", cdm_residency_get_not_present(res));
		printf("%-13s %12llu\n", "errors", cdm_residency_get_errors(res));
	}
	cdm_residency_free(res);
	return EXIT_OK;
}

static volatile sig_atomic_t stop_signal;

static void stop_migration(int sig)
{
	stop_signal = sig;
}

struct progress {
	bool show;		/* a person watches: a terminal on stderr */
	unsigned int last_pct;	/* ~0u: nothing shown yet */
};

/* After each chunk: the progress line, and a stop asked for by a signal. */
static int on_progress(struct cdm_migration *mig, unsigned long long done,
		       unsigned long long total, void *data)
{
	struct progress *p = data;
	unsigned int pct = total ? done * 100 / total : 100;

	if (p->show && pct != p->last_pct) {
		p->last_pct = pct;
		fprintf(stderr, "\rmigrating: %3u%% (%llu/%llu pages)", pct, done, total);
	}
	return stop_signal ? -1 : 0;
}

/*
 * How a run that returned @rc ended: ok; partial when it moved pages but
 * not all it should have (some busy or failed, the target full, or the
 * process gone half-way); error when it moved none. The counts are those
 * of the chunks done before it stopped.
 */
static int migrate_exit_code(struct cdm_migration *mig, int rc)
{
	if (!rc)
		return EXIT_OK;
	return cdm_migration_get_moved(mig) ? EXIT_PARTIAL : EXIT_FAILED;
}

/* the JSON result of a migration that exits with @code */
static const char *result_name(int code)
{
	return code == EXIT_OK ? "ok" : code == EXIT_PARTIAL ? "partial" : "error";
}

static void migrate_text(struct cdm_migration *mig, const struct mem_args *a)
{
	unsigned int i, nr = cdm_migration_get_nr_failed_pages(mig);
	unsigned long long huge;
	char huge_text[24] = "unknown";
	uint64_t addr;
	int err;

	/* unknown when the kernel could not tell which folios stayed whole */
	if (!cdm_migration_get_huge_moved(mig, &huge))
		snprintf(huge_text, sizeof(huge_text), "%llu", huge);
	printf("pid %d -> node %d: %llu pages: %llu moved (%s as huge pages), "
	       "%llu already there, %llu busy, %llu failed, %llu not attempted, "
	       "%llu not present, %llu shared with other processes",
	       a->pid, a->to, cdm_migration_get_pages(mig), cdm_migration_get_moved(mig),
	       huge_text, cdm_migration_get_already(mig),
	       cdm_migration_get_busy(mig), cdm_migration_get_failed(mig),
	       cdm_migration_get_not_attempted(mig), cdm_migration_get_not_present(mig),
	       cdm_migration_get_shared(mig));
	if (a->from)
		printf(", %llu on other nodes than %s", cdm_migration_get_skipped(mig), a->from);
	printf(" (%s)\n", method_names[cdm_migration_get_method_used(mig)]);
	for (i = 0; i < nr && i < 10; i++) {
		cdm_migration_get_failed_page(mig, i, &addr, &err);
		printf("  0x%" PRIx64 ": %s\n", addr, strerror(err));
	}
	if (nr > 10)
		printf("  ... %u more (--json lists them all)\n", nr - 10);
}

static json_object *migrate_json(struct cdm_migration *mig, const struct mem_args *a, int rc,
				 int code, const char *msg)
{
	unsigned int i, nr = cdm_migration_get_nr_failed_pages(mig);
	json_object *obj = json_head(a, true), *failed, *f;
	unsigned long long huge;
	uint64_t addr;
	char buf[32];
	int err;

	json_add_result(obj, result_name(code), -rc, msg);
	json_object_object_add(obj, "pages", json_object_new_int64(cdm_migration_get_pages(mig)));
	json_object_object_add(obj, "moved", json_object_new_int64(cdm_migration_get_moved(mig)));
	if (!cdm_migration_get_huge_moved(mig, &huge))	/* left out when unknown */
		json_object_object_add(obj, "huge_moved", json_object_new_int64(huge));
	json_object_object_add(obj, "already", json_object_new_int64(cdm_migration_get_already(mig)));
	json_object_object_add(obj, "busy", json_object_new_int64(cdm_migration_get_busy(mig)));
	json_object_object_add(obj, "failed", json_object_new_int64(cdm_migration_get_failed(mig)));
	json_object_object_add(obj, "not_attempted",
			       json_object_new_int64(cdm_migration_get_not_attempted(mig)));
	json_object_object_add(obj, "not_present",
			       json_object_new_int64(cdm_migration_get_not_present(mig)));
	json_object_object_add(obj, "shared", json_object_new_int64(cdm_migration_get_shared(mig)));
	if (a->from)
		json_object_object_add(obj, "skipped",
				       json_object_new_int64(cdm_migration_get_skipped(mig)));
	/* left out when the run failed before choosing */
	if (cdm_migration_get_method_used(mig) != CDM_MIGRATE_METHOD_AUTO)
		json_object_object_add(obj, "method", json_object_new_string(
			method_names[cdm_migration_get_method_used(mig)]));
	if (nr) {
		failed = json_object_new_array();
		for (i = 0; i < nr; i++) {
			cdm_migration_get_failed_page(mig, i, &addr, &err);
			f = json_object_new_object();
			snprintf(buf, sizeof(buf), "0x%" PRIx64, addr);
			json_object_object_add(f, "addr", json_object_new_string(buf));
			json_object_object_add(f, "error", json_object_new_string(errno_name(err)));
			json_object_array_add(failed, f);
		}
		json_object_object_add(obj, "failed_pages", failed);
	}
	return obj;
}

/*
 * cdmctl migrate --to POOL or --from POOL: one request to the cdm_private
 * driver (cdm_pool_migrate()), which moves what it can and counts what
 * could not move in the pool's fail counters; a request that succeeded
 * is exit 0 however many moved. A pool not found is a failure, not bad
 * input: the module may just not be loaded.
 */
static int migrate_pool(struct cdm_ctx *ctx, struct mem_args *a)
{
	unsigned long long pages = 0, moved = 0;
	struct cdm_pool *pool;
	json_object *obj;
	char msg[256];
	int rc, code;

	/* [0, 0) asks libcdm for the whole process: an empty range must not */
	if (a->have_range && a->start >= a->end) {
		snprintf(msg, sizeof(msg), "range 0x%" PRIx64 "-0x%" PRIx64 ": empty", a->start,
			 a->end);
		return cdmctl_fail("migrate", a->json, json_head(a, true), EINVAL, msg);
	}
	rc = cdm_pool_get_by_name(ctx, a->pool_to ? a->pool_to : a->pool_from, &pool);
	if (rc)
		return cdmctl_fail("migrate", a->json, json_head(a, true), -rc,
				   cdm_get_last_error(ctx));
	/* from here on the pool's name, whichever way it was given */
	if (a->pool_to)
		a->pool_to = cdm_pool_get_name(pool);
	else
		a->pool_from = cdm_pool_get_name(pool);
	rc = cdm_pool_migrate(pool, a->pid, a->start, a->end, a->pool_from ? CDM_POOL_TO_RAM : 0,
			      &pages, &moved);
	snprintf(msg, sizeof(msg), "%s", rc ? cdm_get_last_error(ctx) : "");
	/* a whole process moves mapping by mapping: should a failure come
	 * after some moved and libcdm count them, that is partial, as for a
	 * node (exit 1 says nothing moved) */
	code = !rc ? EXIT_OK : moved ? EXIT_PARTIAL : EXIT_FAILED;
	if (a->json) {
		obj = json_head(a, true);
		json_add_result(obj, result_name(code), -rc, msg);
		if (code != EXIT_FAILED) {
			json_object_object_add(obj, "pages", json_object_new_int64(pages));
			json_object_object_add(obj, "moved", json_object_new_int64(moved));
		}
		json_print(obj);
	} else if (code != EXIT_FAILED) {
		if (a->pool_to)
			printf("pid %d -> %s: %llu pages: %llu moved", a->pid, a->pool_to, pages,
			       moved);
		else
			printf("%s -> pid %d memory: %llu pages: %llu moved", a->pool_from,
			       a->pid, pages, moved);
		if (moved < pages)
			printf(", %llu did not move (already in place, or failed: see the fail "
			       "counters of cdmctl devices)", pages - moved);
		putchar('\n');
	}
	if (rc)
		cdmctl_error("migrate", code, "%s", msg);
	return code;
}

int cmd_migrate(int argc, char **argv, struct cdm_ctx *ctx)
{
	struct progress progress = { .last_pct = ~0u };
	struct sigaction stop = { .sa_handler = stop_migration };
	struct cdm_migration *mig = NULL;
	struct cdm_nodeset from;
	struct mem_args a;
	char msg[256];
	int rc, code;

	rc = parse_args("migrate", argc, argv, true, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (a.pool_to || a.pool_from)
		return migrate_pool(ctx, &a);
	/* a node list that names no usable node is bad input, as for nodes */
	if (a.from && cdm_nodeset_parse(ctx, a.from, &from))
		return cdmctl_usage_error("migrate", "--from: %s", cdm_get_last_error(ctx));
	rc = cdm_migration_new(ctx, a.pid, a.to, &mig);
	if (!rc && a.have_range)
		rc = cdm_migration_set_range(mig, a.start, a.end);
	if (!rc)
		rc = cdm_migration_set_threads(mig, a.threads);
	if (!rc && a.batch)
		rc = cdm_migration_set_batch(mig, a.batch);
	if (!rc && a.from)
		rc = cdm_migration_set_from_nodes(mig, &from);
	if (!rc && a.shared)
		rc = cdm_migration_set_flags(mig, CDM_MIGRATE_SHARED);
	if (!rc)
		rc = cdm_migration_set_method(mig, a.method);
	if (rc) {
		cdm_migration_free(mig);
		return cdmctl_fail("migrate", a.json, json_head(&a, true), -rc,
				   cdm_get_last_error(ctx));
	}
	progress.show = !a.quiet && isatty(STDERR_FILENO);
	cdm_migration_set_progress(mig, on_progress, &progress);
	sigemptyset(&stop.sa_mask);
	sigaction(SIGINT, &stop, NULL);
	sigaction(SIGTERM, &stop, NULL);
	rc = cdm_migration_run(mig);
	if (progress.last_pct != ~0u)
		fputc('\n', stderr);
	/* the message before other calls on the context replace it */
	snprintf(msg, sizeof(msg), "%s", rc ? cdm_get_last_error(ctx) : "");
	code = migrate_exit_code(mig, rc);
	/* what moved and what did not, also when the run stopped half-way;
	 * the text form leaves out the summary of a run that did nothing */
	if (a.json)
		json_print(migrate_json(mig, &a, rc, code, msg));
	else if (!rc || cdm_migration_get_pages(mig))
		migrate_text(mig, &a);
	if (rc)
		cdmctl_error("migrate", code, "%s", msg);
	cdm_migration_free(mig);
	return code;
}
