/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cdmd's configuration, /etc/cdm/cdmd.conf (cdmd.conf(5)): a [cdmd]
 * section for the daemon, a [target NAME] section for each set of
 * processes it manages.
 */
#ifndef CDMD_CONFIG_H
#define CDMD_CONFIG_H

#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include <libcdm.h>

#define CDMD_MAX_TARGETS	64
#define CDMD_TARGET_NAME_MAX	32

enum cdmd_tracker_kind {
	CDMD_TRACKER_AUTO,	/* DAMON when the kernel has it, else idle pages */
	CDMD_TRACKER_DAMON,
	CDMD_TRACKER_IDLE,
};

enum cdmd_match {
	CDMD_MATCH_CGROUP,	/* every process of a cgroup v2 directory */
	CDMD_MATCH_COMM,	/* processes named exactly so (/proc/PID/comm) */
	CDMD_MATCH_REGEX,	/* processes whose comm matches (POSIX ERE) */
	CDMD_MATCH_PID,		/* one process */
};

enum cdmd_policy {
	CDMD_POLICY_TIERING,	/* hot pages to the fast nodes, cold ones to the slow */
	CDMD_POLICY_BIND,	/* every page on the given nodes */
};

/* the words of the file for each value, NULL-terminated */
extern const char *const cdmd_tracker_kind_names[];
extern const char *const cdmd_policy_names[];

struct cdmd_target {
	char name[CDMD_TARGET_NAME_MAX + 1];
	int line;			/* of its [target NAME] header */
	enum cdmd_match match;
	char *match_arg;		/* the path, name or expression as given */
	regex_t regex;			/* CDMD_MATCH_REGEX */
	pid_t pid;			/* CDMD_MATCH_PID */
	enum cdmd_policy policy;
	/* tiering */
	struct cdm_nodeset fast_nodes, slow_nodes;
	unsigned int promote_accesses, demote_accesses;
	unsigned int cold_age_s, min_residency_s, rate_mb_s, fast_free_mb, pingpong_window_s;
	/* bind */
	struct cdm_nodeset nodes;
	unsigned long long keys_set;	/* bit per key of the table (config.c) */
};

struct cdmd_config {
	unsigned int interval_ms;
	enum cdmd_tracker_kind tracker;
	char *socket_group;		/* NULL: root only */
	unsigned int metrics_port;	/* 0: no metrics */
	bool isolate_cpusets;
	struct cdmd_target targets[CDMD_MAX_TARGETS];
	int nr_targets;
};

/*
 * Read @path: 0 and a new configuration in *@cfg, or -EINVAL after
 * writing every problem to @err as "PATH:LINE: message" (-errno with
 * "PATH: message" when the file cannot be read at all); *@cfg is then
 * untouched, so a reload that fails leaves the running configuration as
 * it was. Node lists are parsed by libcdm (numactl's syntax) against
 * @ctx's machine.
 */
int cdmd_config_load(struct cdm_ctx *ctx, const char *path, FILE *err,
		     struct cdmd_config **cfg);
void cdmd_config_free(struct cdmd_config *cfg);
/* The nodes with CPUs and memory (the fast nodes of a tiering target that
 * names none, what isolate_cpusets leaves the cgroups): 0, or -ENODEV */
int cdmd_cpu_nodes(struct cdm_ctx *ctx, struct cdm_nodeset *set);

/* The keys, for cdmd.conf(5) and its test: name, section ("cdmd" or
 * "target"), type, default and range as the man page shows them */
struct cdmd_key_doc {
	const char *name, *section, *type, *def, *range;
};
const struct cdmd_key_doc *cdmd_config_key_doc(int index);	/* NULL past the last */

#endif
