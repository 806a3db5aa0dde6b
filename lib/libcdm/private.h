/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libcdm internals shared between its files; not installed. */
#ifndef _LIBCDM_PRIVATE_H_
#define _LIBCDM_PRIVATE_H_

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
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

/*
 * migrate_pages(2) as libcdm calls it: every page of @pid on a node of
 * @from to the nodes of @to; the syscall's value (what it could not move,
 * >= 0) or -errno. Host tests script it like move_pages.
 */
typedef long (*cdm_migrate_pages_fn)(struct cdm_ctx *ctx, pid_t pid,
				     const struct cdm_nodeset *from,
				     const struct cdm_nodeset *to);

/*
 * The PAGEMAP_SCAN ioctl of /proc/PID/pagemap (Linux 6.7, uapi
 * linux/fs.h), spelled out under libcdm's names: the build host's headers
 * may be older than the kernel the library runs on.
 */
struct cdm_page_region {
	uint64_t start, end;		/* bytes, [start, end) */
	uint64_t categories;
};

struct cdm_pm_scan_arg {
	uint64_t size;			/* sizeof(struct cdm_pm_scan_arg) */
	uint64_t flags;
	uint64_t start, end;		/* in: the range */
	uint64_t walk_end;		/* out: where the walk stopped */
	uint64_t vec, vec_len;		/* out: regions, how many fit */
	uint64_t max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};

#define CDM_PAGEMAP_SCAN	_IOWR('f', 16, struct cdm_pm_scan_arg)
#define CDM_PAGE_IS_PRESENT	(1 << 3)
#define CDM_PAGE_IS_HUGE	(1 << 6)	/* mapped by one PMD (THP) or hugetlb */

/*
 * PAGEMAP_SCAN on /proc/@pid/pagemap as libcdm calls it: the regions
 * written to @arg's vec, or -errno: the open's (EACCES, EPERM: no ptrace
 * read access; ENOENT: the process is gone) or the ioctl's (ENOTTY, or
 * EINVAL: a kernel without it). Host tests script it like move_pages.
 */
typedef long (*cdm_pagemap_scan_fn)(struct cdm_ctx *ctx, pid_t pid, struct cdm_pm_scan_arg *arg);

/*
 * The topology is read on first use and again by cdm_refresh(), under
 * the context's topology_lock; readers take no lock. What a read finds
 * is published whole (an atomic store of a pointer) and never changed
 * after: a later read that finds something else publishes another and
 * keeps the old one until the context is freed, so that whatever a
 * caller holds (a node, a string it was given) stays valid.
 */

/* One read of a node's attributes (topology.c, hmat.c) */
struct cdm_node_info {
	struct cdm_node_info *older;	/* the read this one replaced */
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
};

/* One node id of the context: made the first time a read finds it
 * online, freed with the context */
struct cdm_node {
	struct cdm_ctx *ctx;
	struct cdm_node *next;		/* atomic: a refresh inserts, in id order */
	int id;
	bool online;			/* atomic: false when a refresh finds it gone */
	struct cdm_node_info *info;	/* atomic: the latest read */
	struct cdm_backing *backings;	/* atomic: the latest probe (backing.c) */
};

static inline const struct cdm_node_info *cdm__node_info(struct cdm_node *node)
{
	return __atomic_load_n(&node->info, __ATOMIC_ACQUIRE);
}

/* both NULL or equal: comparing two reads */
static inline bool cdm__same_string(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* One read of the node lists; err != 0: the read failed with message msg */
struct cdm_topology {
	struct cdm_topology *older;
	int err;
	char msg[CDM_ERR_LEN];
	struct cdm_nodeset online, memory, cpu, coherent;
	bool coherent_known;
};

/* The device (or memory) behind part of a node; a probe's list is
 * published whole, as a node's info (backing.c) */
struct cdm_backing {
	struct cdm_node *node;
	struct cdm_backing *next;
	struct cdm_backing *older;	/* list heads: a replaced list, to free */
	enum cdm_backing_kind kind;
	char *devname;			/* dax device; NULL: none */
	char *region;			/* CXL region; NULL: none */
	const char *driver;		/* static: CDM_DRIVER_*; NULL: none known */
	char **memdevs;
	int nr_memdevs;
	unsigned long long size;
	uint64_t start;			/* lowest physical address: the order */
};

/*
 * What libdaxctl and libcxl find, as backing.c asks for it: the dax
 * devices bound to a driver, each with its target node and physical
 * range and whether libdaxctl found it onlined as system RAM (kmem) with
 * memory online, and the CXL regions with theirs. The others' driver
 * (cxl_cdm) is read from the sysfs root (dax.c). Host tests play it
 * through cdm__set_devices() (hidden, as cdm__set_move_pages()); the
 * strings and arrays are then the test's.
 */
struct cdm_dax_dev {
	char *devname;
	int node;
	uint64_t start, size;
	bool kmem_online;
};

struct cdm_cxl_region {
	char *devname;
	uint64_t start, size;
	char **memdevs;
	int nr_memdevs;
};

struct cdm_devices {
	struct cdm_dax_dev *dax;
	size_t nr_dax;
	struct cdm_cxl_region *regions;
	size_t nr_regions;
};

/* fills @devs: 0, or -errno (the probe fails with a message saying so) */
typedef int (*cdm_devices_fn)(struct cdm_ctx *ctx, struct cdm_devices *devs);
void cdm__set_devices(struct cdm_ctx *ctx, cdm_devices_fn fn);

/* The zero page's PFNs (pagemap.c): [pfn, pfn + nr) (several on MIPS,
 * s390 and LoongArch, coloured by address), and the huge zero page's;
 * nr 0: none */
struct cdm_zero_pfns {
	uint64_t pfn, nr;
	uint64_t huge_pfn, huge_nr;
};

struct cdm_ctx {
	int refcount;		/* atomic: objects of several threads hold it */
	unsigned long long id;	/* keys this context's last error in each thread */
	cdm_log_fn log_fn;
	int log_priority;
	void *userdata;
	char sysfs_root[256];
	bool sysfs_is_real;
	/* topology, read on first use and by cdm_refresh() (topology.c) */
	pthread_mutex_t topology_lock;	/* serialises reads, refreshes, probes */
	struct cdm_topology *topology;	/* atomic; NULL: not read yet. Its
					 * error is repeated on every later
					 * call until a refresh succeeds */
	struct cdm_node *nodes;		/* atomic: every node ever online */
	bool backings_probed;		/* atomic: a refresh clears it */
	struct cdm_backing *retired_backings;	/* replaced lists (heads) */
	cdm_devices_fn list_devices;	/* NULL: libdaxctl and libcxl */
	cdm_move_pages_fn move_pages;	/* NULL: the system call */
	cdm_migrate_pages_fn migrate_pages;	/* NULL: the system call */
	cdm_pagemap_scan_fn pagemap_scan;	/* NULL: the ioctl */
	long thp_pmd_size;	/* bytes, read once (pages.c); 0 unread, -1 no THP */
	const struct cdm_pagemap_seam *pagemap_seam;	/* NULL: /proc (pagemap.c) */
	/*
	 * The zero page's PFNs, learnt by the first update that could
	 * (pagemap.c): the small zero page's never change, the huge zero
	 * page's stay while the probe that found it stays mapped, to the
	 * context's end. A part not learnt yet (nr or huge_nr 0: the probe
	 * failed, PFNs were hidden, no huge zero page then) is probed for
	 * again at the next update; a failure is never kept.
	 */
	pthread_mutex_t zero_lock;
	struct cdm_zero_pfns zero;
	void *huge_zero_probe;		/* NULL: none kept */
	size_t huge_zero_probe_len;
	/* device-private pools ever listed, in id order (pool.c); the
	 * list grows under topology_lock, readers take no lock */
	struct cdm_pool *pools;		/* atomic */
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
/* @name as a message may show it: printable ASCII, the first 40 bytes,
 * "..." after a longer one (@buf: at least 48 bytes) */
const char *cdm__shown(const char *name, char *buf, size_t len);
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
/* Write @str to the attribute @path in one write (no O_CREAT: a missing
 * attribute is -ENOENT): 0, or -errno of the open or of the write (the
 * kernel's store). */
int cdm__write_file(const char *path, const char *str);
/* The last part of the symbolic link @path's target ("kmem" of
 * .../drivers/kmem): 0, or -errno (-ENOENT: no link) */
int cdm__read_link_name(const char *path, char *buf, size_t len);
/* Memory blocks (<sysfs>/devices/system/memory): their size, from
 * block_size_bytes; 0, -ENOENT (no memory hotplug) or -EINVAL */
int cdm__memory_block_bytes(struct cdm_ctx *ctx, unsigned long long *bytes);
/* @fn for each block node @node lists (nodeN/memoryM): 0 (also when the
 * node's directory is gone), or @fn's error */
int cdm__node_memory_blocks(struct cdm_ctx *ctx, int node,
			    int (*fn)(unsigned long block, void *data), void *data);

/* nodeset.c: the list parser ("0-3,7") for both sysfs and user input;
 * calls @add for each number or range as written (@to < @from when it is
 * reversed: @add decides); -EINVAL/-ERANGE on bad input with @bad
 * pointing at the offending character, or @add's error. */
#define CDM_LIST_USER	(1u << 0)	/* numactl's input: whitespace before a
					 * number, no leading zero */
int cdm__parse_list(const char *str, long max, unsigned int flags,
		    int (*add)(long from, long to, void *data), void *data,
		    const char **bad);
int cdm__nodeset_parse_plain(const char *str, struct cdm_nodeset *set);

/* topology.c */
/* read the topology if no read was done: 0, or the read's -errno with
 * its message (repeated until a refresh succeeds) */
int cdm__topology_read(struct cdm_ctx *ctx);
/* the latest read that succeeded; only after cdm__topology_read() == 0 */
const struct cdm_topology *cdm__topology(struct cdm_ctx *ctx);
void cdm__topology_free(struct cdm_ctx *ctx);
/* 0 when @node is online with memory; otherwise -errno with a message */
int cdm__check_memory_node(struct cdm_ctx *ctx, int node);

/* hmat.c */
void cdm__hmat_read(struct cdm_ctx *ctx, int id, struct cdm_node_info *info,
		    const char *nodedir);
bool cdm__hmat_equal(const struct cdm_node_info *a, const struct cdm_node_info *b);

/* dax.c: dax devices and the drivers holding them */
#define CDM_DRIVER_KMEM		"kmem"
#define CDM_DRIVER_CXL_CDM	"cxl_cdm"
/* The driver holding dax device @devname (a name the bus gave it) in @buf,
 * "" when none: 0, or -errno reading its driver link */
int cdm__dax_driver(struct cdm_ctx *ctx, const char *devname, char *buf, size_t len);
/* cxl_cdm holds @devname with its memory online (cxl_cdm/online 1) */
bool cdm__dax_cxl_cdm_online(struct cdm_ctx *ctx, const char *devname);

/* backing.c: a log function for libdaxctl that says nothing (libcdm says
 * what failed in its own message) */
struct daxctl_ctx;
void cdm__quiet_daxctl(struct daxctl_ctx *c, int priority, const char *file, int line,
		       const char *fn, const char *format, va_list args);

/* backing.c */
/* the node's list, probed for every node if not since the last read */
void cdm__backings_free(struct cdm_backing *list);
void cdm__backings_free_all(struct cdm_ctx *ctx);

/* pages.c: helpers shared by residency.c and migrate.c */
struct cdm_vma {
	uint64_t start, end;
	bool thp;		/* a page mapped huge (cdm__find_huge()): try
				 * PMD-size folios whole */
	bool anon;		/* private and of no file ([heap], [stack] too) */
};
/* Ranges to walk for @pid: [start, end) if given (end != 0), else every
 * accessible VMA from /proc/PID/maps. -ESRCH with a message when gone. */
int cdm__collect_ranges(struct cdm_ctx *ctx, pid_t pid, uint64_t start,
			uint64_t end, struct cdm_vma **vmas, size_t *nr);
/* Marks those of *@vmas (cdm__collect_ranges()'s for [@start, @end))
 * that hold a page mapped huge, walking their page tables only
 * (PAGEMAP_SCAN). Where PAGEMAP_SCAN fails (*@scan_err its errno: before
 * Linux 6.7, pagemap not readable) or there is no THP, *@vmas is read
 * again from smaps. 0, or -errno with a message. */
int cdm__find_huge(struct cdm_ctx *ctx, pid_t pid, uint64_t start, uint64_t end,
		   struct cdm_vma **vmas, size_t *nr, int *scan_err);
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
/* migrate_pages(2) through the context's seam, and the seam (as above) */
long cdm__migrate_pages(struct cdm_ctx *ctx, pid_t pid, const struct cdm_nodeset *from,
			const struct cdm_nodeset *to);
void cdm__set_migrate_pages(struct cdm_ctx *ctx, cdm_migrate_pages_fn fn);
/* PAGEMAP_SCAN through the context's seam, and the seam (as above) */
long cdm__pagemap_scan(struct cdm_ctx *ctx, pid_t pid, struct cdm_pm_scan_arg *arg);
void cdm__set_pagemap_scan(struct cdm_ctx *ctx, cdm_pagemap_scan_fn fn);
/* Host tests play a machine with another base page size (hidden too) */
void cdm__set_page_size(long size);
/* Bytes a PMD-mapped transparent huge page spans, from sysfs once per
 * context; 0 when the kernel has no THP (no block is huge then) */
long cdm__thp_pmd_size(struct cdm_ctx *ctx);

/* pagemap.c: /proc/PID/pagemap for residency, PFN -> node, the zero page */
#define CDM_PM_PRESENT		(1ULL << 63)
#define CDM_PM_SWAP		(1ULL << 62)
#define CDM_PM_PFN_MASK		((1ULL << 55) - 1)

/*
 * The pagemap as libcdm reads it, for host tests to play (set with
 * cdm__set_pagemap(), hidden as cdm__set_move_pages()): @read gives @n
 * entries of @pid's pagemap from @addr's (n == 0: the open, may the
 * caller read it at all), 0 or -errno (-ESRCH: the process is gone);
 * @zero_pfns what the zero-page probe finds, or -EPERM when PFNs are
 * hidden from the caller; asked only while the context has not learnt
 * them all (@zero holds what it knows).
 */
struct cdm_pagemap_seam {
	int (*read)(struct cdm_ctx *ctx, pid_t pid, uint64_t addr, unsigned long n,
		    uint64_t *entries);
	int (*zero_pfns)(struct cdm_ctx *ctx, struct cdm_zero_pfns *zero);
};
void cdm__set_pagemap(struct cdm_ctx *ctx, const struct cdm_pagemap_seam *seam);

/* PFN -> node through the memory blocks each node lists in sysfs */
struct cdm_pfnmap {
	unsigned long block_pages;
	int *block_node;		/* -1: block of no node */
	size_t nr_blocks;
	/* blocks looked up again after a miss and still of no node */
	uint64_t no_node[16];
	unsigned int nr_no_node;
};

/* Where residency puts a page that is on no node; -errno: an error */
enum cdm_page_place {
	CDM_PAGE_NOT_PRESENT = -10000,	/* below every -errno */
	CDM_PAGE_SWAPPED,
	CDM_PAGE_ZERO,
	/* on device-private pool N: CDM_PAGE_POOL - N */
	CDM_PAGE_POOL = -20000,
};

/* one process's pagemap, open for one update */
struct cdm_pagemap {
	struct cdm_ctx *ctx;
	pid_t pid;
	int fd;				/* -1: not open, or the seam */
	struct cdm_pfnmap map;
	struct cdm_zero_pfns zero;	/* the context's, when PFNs are used */
};
/* The one open of /proc/PID/pagemap (pid 0: the caller's own,
 * /proc/self), or the seam's: 0 or -errno of the open (EACCES: procfs's
 * ptrace check). cdm__pagemap_close() it either way. */
int cdm__pagemap_open(struct cdm_ctx *ctx, pid_t pid, struct cdm_pagemap *pm);
/* @n entries from @addr's: 0, -ESRCH (the process is gone) or -errno */
int cdm__pagemap_read(struct cdm_pagemap *pm, uint64_t addr, unsigned long n,
		      uint64_t *entries);
/* Nodes from PFNs: the zero page's PFNs (learnt once per context, see
 * struct cdm_ctx) and the PFN map. -EPERM when PFNs are hidden (no
 * CAP_SYS_ADMIN; once the zero page's are learnt, the first present
 * page read says so instead), -ENOENT without memory blocks */
int cdm__pagemap_use_pfns(struct cdm_pagemap *pm);
/* The place of the page of @entry: a node from its PFN, a
 * cdm_page_place, or -ENXIO (an error: in no node's memory, even after
 * reading the memory blocks again). Returns 0, or -EPERM (PFN hidden),
 * -ENOMEM, a sysfs error: the pagemap source cannot go on. */
int cdm__pagemap_place(struct cdm_pagemap *pm, uint64_t entry, int *place);
void cdm__pagemap_close(struct cdm_pagemap *pm);
/* the context's end: the zero-page probe it kept, unmapped */
void cdm__zero_pfns_free(struct cdm_ctx *ctx);

/* pool.c: device-private pools */
void cdm__pools_free(struct cdm_ctx *ctx);
/* open @pool's device: the fd, or -errno with a message (-ENODEV: gone,
 * -EACCES: not permitted) */
int cdm__pool_open(struct cdm_pool *pool);
/* The pools one residency update asks (those it could open) about @pid */
struct cdm_pool_query {
	int nr;
	int fd[CDM_MAX_POOLS], id[CDM_MAX_POOLS];
	int pidfd;			/* -1: the caller itself */
	unsigned char *snap;
};
/* 0 (also when no pool can be opened: logged), or -errno with a message */
int cdm__pool_query_open(struct cdm_ctx *ctx, pid_t pid, struct cdm_pool_query *q);
/* Of the @n pages from @addr, those placed CDM_PAGE_SWAPPED that a pool
 * holds become CDM_PAGE_POOL - its id */
void cdm__pool_query_place(struct cdm_pool_query *q, uint64_t addr, unsigned long n,
			   int *place);
void cdm__pool_query_close(struct cdm_pool_query *q);

#endif
