/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libcdm internals shared between its files; not installed. */
#ifndef _LIBCDM_PRIVATE_H_
#define _LIBCDM_PRIVATE_H_

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "libcdm.h"

#define CDM_EXPORT __attribute__((visibility("default")))

#define CDM_ERR_LEN 256

struct daxctl_ctx;
struct cxl_ctx;

/*
 * move_pages(2) as libcdm calls it (nodes == NULL: query only), returning
 * the syscall's value or -errno. Host tests put their own in a context to
 * play the kernel's part: per-page statuses, a positive return part-way,
 * whole-call errors. Called from several worker threads at once.
 */
typedef long (*cdm_move_pages_fn)(struct cdm_ctx *ctx, pid_t pid, unsigned long count,
				  void **pages, const int *nodes, int *status, int flags);

struct cdm_node {
	struct cdm_ctx *ctx;
	struct cdm_node *next;
	int id;
	char *cpulist;
	int nr_cpus;
	bool has_memory;
	enum cdm_node_state cdm_state;
	unsigned long long mem_total;
	int *distances;		/* indexed by node id, -1 unknown */
	int nr_distances;
	int tier;		/* -ENOENT when none */
	/* HMAT, per access class 0 and 1, -ENOENT when absent */
	long read_bw[2], write_bw[2], read_lat[2], write_lat[2];
	char *initiators[2];
	/* backing device, filled on first request (backing.c) */
	bool backing_probed;
	char *dax_device;
	char *cxl_region;
	char **memdevs;
	int nr_memdevs;
};

struct cdm_ctx {
	int refcount;		/* atomic: objects of several threads hold it */
	unsigned long long id;	/* keys this context's last error in each thread */
	cdm_log_fn log_fn;
	int log_priority;
	void *userdata;
	char sysfs_root[256];
	bool sysfs_is_real;
	/* topology, read lazily once (topology.c) */
	bool topology_read;
	int topology_err;
	char topology_msg[CDM_ERR_LEN];	/* repeated on every later call */
	struct cdm_node *nodes;
	struct cdm_nodeset online, memory, cpu, coherent;
	bool coherent_known;
	cdm_move_pages_fn move_pages;	/* NULL: the system call */
};

/* libcdm.c: logging and the last error (per thread and context) */
void cdm__log(struct cdm_ctx *ctx, int priority, const char *file, int line,
	      const char *fn, const char *format, ...)
	__attribute__((format(printf, 6, 7)));
#define cdm_dbg(ctx, ...) cdm__log(ctx, LOG_DEBUG, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define cdm_info(ctx, ...) cdm__log(ctx, LOG_INFO, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define cdm_err_log(ctx, ...) cdm__log(ctx, LOG_ERR, __FILE__, __LINE__, __func__, __VA_ARGS__)
/*
 * Record "@fmt" as the calling thread's last error on @ctx, log it, return
 * -@err. A macro so that the log names the function that failed, not
 * this helper.
 */
int cdm__fail_at(struct cdm_ctx *ctx, int err, const char *file, int line, const char *fn,
		 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
#define cdm__fail(ctx, err, ...) \
	cdm__fail_at(ctx, err, __FILE__, __LINE__, __func__, __VA_ARGS__)
/* Record @msg, which another thread (a migration worker) or an earlier
 * call already logged, as the calling thread's last error; return -@err */
int cdm__relay_error(struct cdm_ctx *ctx, int err, const char *msg);
void cdm__clear_error(struct cdm_ctx *ctx);

/* sysfs.c: files under the context's sysfs root */
int cdm__sysfs_path(struct cdm_ctx *ctx, char *buf, size_t len,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Read a whole small file, strip the trailing newline. -errno on failure. */
int cdm__read_file(const char *path, char *buf, size_t len);
int cdm__read_long(const char *path, long *val);

/* nodeset.c: strict list parser used for both user input and sysfs;
 * calls @add for each number; -EINVAL/-ERANGE on bad input with @bad
 * pointing at the offending character. */
int cdm__parse_list(const char *str, long max,
		    int (*add)(long from, long to, void *data), void *data,
		    const char **bad);
int cdm__nodeset_parse_plain(const char *str, struct cdm_nodeset *set);

/* topology.c */
int cdm__topology_read(struct cdm_ctx *ctx);
/* 0 when @node is online with memory; otherwise -errno with a message */
int cdm__check_memory_node(struct cdm_ctx *ctx, int node);

/* hmat.c */
void cdm__hmat_read(struct cdm_node *node, const char *nodedir);

/* backing.c */
void cdm__backing_probe(struct cdm_node *node);
void cdm__backing_free(struct cdm_node *node);

/* pages.c: helpers shared by residency.c and migrate.c */
struct cdm_vma {
	uint64_t start, end;
	bool thp;		/* AnonHugePages > 0: try 2 MiB folios whole */
};
/* Ranges to walk for @pid: [start, end) if given (end != 0), else every
 * accessible VMA from /proc/PID/maps. -ESRCH with a message when gone. */
int cdm__collect_ranges(struct cdm_ctx *ctx, pid_t pid, uint64_t start,
			uint64_t end, struct cdm_vma **vmas, size_t *nr);
long cdm__page_size(void);
/* start < end, both page aligned; -EINVAL with a message otherwise */
int cdm__check_range(struct cdm_ctx *ctx, uint64_t start, uint64_t end);
/* check [start, end) and store it in *startp, *endp */
int cdm__set_range(struct cdm_ctx *ctx, uint64_t *startp, uint64_t *endp,
		   uint64_t start, uint64_t end);
int cdm__check_pid(struct cdm_ctx *ctx, pid_t pid);
/* what ptrace_may_access(PTRACE_MODE_READ_REALCREDS) lets through */
#define CDM_PTRACE_NEEDS "(needs ptrace read access: same user and dumpable, or CAP_SYS_PTRACE)"
/*
 * move_pages(2) errno -> message naming the pid and the cause, logged at
 * the caller; returns -err. EPERM: no ptrace read access; EACCES: a
 * security module (a move's EACCES for the cpuset is migrate.c's).
 */
int cdm__pid_error_at(struct cdm_ctx *ctx, pid_t pid, int err, const char *what,
		      const char *file, int line, const char *fn);
#define cdm__pid_error(ctx, pid, err, what) \
	cdm__pid_error_at(ctx, pid, err, what, __FILE__, __LINE__, __func__)
/* Ask the kernel whether @pid's pages may be moved or queried (a move_pages
 * call of no page): 0, or -EPERM/-EACCES/-ESRCH with a message about @what */
int cdm__check_access(struct cdm_ctx *ctx, pid_t pid, const char *what);
/* move_pages(2) through the context's seam: >= 0 as the syscall, or -errno */
long cdm__move_pages(struct cdm_ctx *ctx, pid_t pid, unsigned long count, void **pages,
		     const int *nodes, int *status, int flags);
/* The seam itself: not exported (hidden, not in libcdm.sym); host tests
 * link libcdm.a to reach it. NULL restores the system call. */
void cdm__set_move_pages(struct cdm_ctx *ctx, cdm_move_pages_fn fn);

#define CDM_HUGE_SIZE (2UL << 20)

/* pagemap.c: PFN -> node through the nodes' memory blocks */
struct cdm_pfnmap {
	unsigned long block_pages;
	int *block_node;		/* -1: block of no node */
	size_t nr_blocks;
};
int cdm__pfnmap_build(struct cdm_ctx *ctx, struct cdm_pfnmap *map);
int cdm__pfnmap_node(const struct cdm_pfnmap *map, uint64_t pfn);
void cdm__pfnmap_free(struct cdm_pfnmap *map);
int cdm__pagemap_nodes(int fd, const struct cdm_pfnmap *map, uint64_t addr,
		       unsigned long n, uint64_t *entries, int *node);

#endif
