/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcdm: see and move coherent device memory (CPU-less NUMA nodes: CXL
 * Type-3 expanders, accelerator HBM).
 *
 * Conventions (as libcxl/libdaxctl):
 *  - everything hangs off a struct cdm_ctx (cdm_new/cdm_ref/cdm_unref);
 *  - objects are reached with get_first/get_next and foreach macros, their
 *    attributes with cdm_<object>_get_<attribute>();
 *  - calls return a negative errno on failure and leave a message naming
 *    the object and the cause in cdm_get_last_error(), kept per thread
 *    (see there);
 *  - the library never prints or exits: messages go through the context's
 *    log function (CDM_LOG=err|info|debug turns on logging to stderr;
 *    off by default).
 *
 * Threads: a context may be shared by threads. Its last error is each
 * thread's own, and cdm_ref()/cdm_unref() are atomic. The setters of the
 * context (log function, priority, userdata) and the first read of the
 * topology (and of a node's backing device) are not locked: set it up and
 * read it (e.g. cdm_node_get_first()) before other threads use it. A migration runs worker threads of its own
 * (cdm_migration_set_threads()); they block every signal, so the
 * application's signal handlers never run on them.
 */
#ifndef _LIBCDM_H_
#define _LIBCDM_H_

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- context, logging, errors (libcdm.c) ---- */
struct cdm_ctx;

int cdm_new(struct cdm_ctx **ctx);
struct cdm_ctx *cdm_ref(struct cdm_ctx *ctx);
struct cdm_ctx *cdm_unref(struct cdm_ctx *ctx);

/*
 * Called for each message at or above the context's priority, from the
 * thread that met it: several threads at once (a migration's workers,
 * application threads sharing the context), so it must be thread-safe.
 * The default writes each line to stderr under stderr's stdio lock.
 */
typedef void (*cdm_log_fn)(struct cdm_ctx *ctx, int priority, const char *file,
			   int line, const char *fn, const char *format,
			   va_list args);
void cdm_set_log_fn(struct cdm_ctx *ctx, cdm_log_fn log_fn);
int cdm_get_log_priority(struct cdm_ctx *ctx);
void cdm_set_log_priority(struct cdm_ctx *ctx, int priority);
void cdm_set_userdata(struct cdm_ctx *ctx, void *userdata);
void *cdm_get_userdata(struct cdm_ctx *ctx);

/*
 * "node 3: not online": the message of the calling thread's last failed
 * call on @ctx, like errno per thread, so threads sharing a context never
 * read each other's; "" when its last call succeeded or set nothing. A
 * migration's workers hand theirs to the thread that ran it. The string
 * stays valid until this thread's next call on @ctx; a thread keeps the
 * messages of the last 4 contexts it failed on (an older one reads "").
 */
const char *cdm_get_last_error(struct cdm_ctx *ctx);
/* where sysfs is read from: "/sys" or $CDM_SYSFS_ROOT (host tests) */
const char *cdm_get_sysfs_root(struct cdm_ctx *ctx);
/* the version of the libcdm running ("1.0.0"), which may be newer than
 * the one a program was built against; needs no context */
const char *cdm_get_version(void);

/* ---- node sets in numactl syntax (nodeset.c) ---- */
#define CDM_MAX_NODES 1024

struct cdm_nodeset {
	uint64_t bits[CDM_MAX_NODES / 64];
};

void cdm_nodeset_zero(struct cdm_nodeset *set);
int cdm_nodeset_add(struct cdm_nodeset *set, int node);
int cdm_nodeset_del(struct cdm_nodeset *set, int node);
bool cdm_nodeset_has(const struct cdm_nodeset *set, int node);
int cdm_nodeset_weight(const struct cdm_nodeset *set);
/* first node > @prev (pass -1 to start), -1 at the end */
int cdm_nodeset_next(const struct cdm_nodeset *set, int prev);
#define cdm_nodeset_foreach(set, node) \
	for (node = cdm_nodeset_next(set, -1); node >= 0; \
	     node = cdm_nodeset_next(set, node))

/*
 * numactl's node lists: "0-3,7", "all", "!1" (the allowed nodes but 1),
 * "+0-1" (the first two allowed nodes), "!+0"; whitespace may come before
 * a number. Allowed means has_memory, not the caller's cpuset as in
 * numactl (the kernel applies cpusets where the set is used). A node named
 * or ending a range must be online with memory; nodes between the ends
 * that are not are left out. Returns 0, or -EINVAL (-ERANGE above
 * CDM_MAX_NODES - 1) with a message naming the list and the node.
 * Where numa_parse_nodestring() reads something else, libcdm refuses: ""
 * (libnuma: no node), "!all", reversed ranges ("3-1": node 3), "all" among
 * other nodes, numbers strtoul() reads its way ("010" is 8, "0x1", "-0",
 * a sign, past 32 bits), device names ("netdev:lo"). "!" inverts within
 * the allowed nodes; libnuma flips node numbers below its count of nodes
 * with memory, so the two differ when nodes are sparse or memoryless.
 * tests/host/libcdm/nodeset-numactl.c holds libcdm to this.
 */
int cdm_nodeset_parse(struct cdm_ctx *ctx, const char *str,
		      struct cdm_nodeset *set);
/* Shortest range form ("0-3,7"; "" for the empty set). Returns the length
 * written (without the NUL) or -ENOSPC when @len is too small. */
int cdm_nodeset_format(const struct cdm_nodeset *set, char *buf, size_t len);

/* ---- topology (topology.c, hmat.c, backing.c) ---- */
struct cdm_node;

struct cdm_node *cdm_node_get_first(struct cdm_ctx *ctx);
struct cdm_node *cdm_node_get_next(struct cdm_node *node);
#define cdm_node_foreach(ctx, node) \
	for (node = cdm_node_get_first(ctx); node != NULL; \
	     node = cdm_node_get_next(node))
/* NULL (and a message) when the node does not exist or is not online */
struct cdm_node *cdm_node_get_by_id(struct cdm_ctx *ctx, int id);
/* which nodes are online, have memory, have CPUs */
int cdm_get_online_nodes(struct cdm_ctx *ctx, struct cdm_nodeset *set);
int cdm_get_memory_nodes(struct cdm_ctx *ctx, struct cdm_nodeset *set);

struct cdm_ctx *cdm_node_get_ctx(struct cdm_node *node);
int cdm_node_get_id(struct cdm_node *node);
/* "0-1" or "" for a CPU-less node */
const char *cdm_node_get_cpulist(struct cdm_node *node);
int cdm_node_get_nr_cpus(struct cdm_node *node);
bool cdm_node_is_cpuless(struct cdm_node *node);
bool cdm_node_has_memory(struct cdm_node *node);

enum cdm_node_state {
	CDM_NODE_STATE_UNKNOWN = 0,	/* kernel does not say (stock kernel) */
	CDM_NODE_STATE_NO,
	CDM_NODE_STATE_YES,
};
enum cdm_node_state cdm_node_get_cdm_state(struct cdm_node *node);
const char *cdm_node_state_name(enum cdm_node_state state);

/* bytes; 0 with a message when meminfo is unreadable */
unsigned long long cdm_node_get_mem_total(struct cdm_node *node);
/* read anew on every call */
unsigned long long cdm_node_get_mem_free(struct cdm_node *node);
/* SLIT distance to node @to; negative errno when unknown */
int cdm_node_get_distance(struct cdm_node *node, int to);
/* N of /sys/devices/virtual/memory_tiering/memory_tierN; -ENOENT if none */
int cdm_node_get_memory_tier(struct cdm_node *node);

/* HMAT (nodeN/access0 = any initiator, access1 = CPU initiators): MiB/s
 * and ns; -ENOENT when the firmware does not describe them (the kernel
 * shows those as 0) */
long cdm_node_get_read_bandwidth(struct cdm_node *node, unsigned int access);
long cdm_node_get_write_bandwidth(struct cdm_node *node, unsigned int access);
long cdm_node_get_read_latency(struct cdm_node *node, unsigned int access);
long cdm_node_get_write_latency(struct cdm_node *node, unsigned int access);
/* node list of the initiators for that access class, NULL when none */
const char *cdm_node_get_initiators(struct cdm_node *node, unsigned int access);

/* Device behind a node (libdaxctl, libcxl); NULL when none. */
const char *cdm_node_get_dax_device(struct cdm_node *node);
const char *cdm_node_get_cxl_region(struct cdm_node *node);
int cdm_node_get_nr_cxl_memdevs(struct cdm_node *node);
const char *cdm_node_get_cxl_memdev(struct cdm_node *node, int index);

/* ---- placement (placement.c) ---- */
enum cdm_policy {
	CDM_POLICY_DEFAULT = 0,
	CDM_POLICY_BIND,
	CDM_POLICY_PREFERRED,
	CDM_POLICY_PREFERRED_MANY,
	CDM_POLICY_INTERLEAVE,
};
const char *cdm_policy_name(enum cdm_policy policy);
/* "bind", "preferred", ...; -EINVAL for anything else */
int cdm_policy_parse(struct cdm_ctx *ctx, const char *name,
		     enum cdm_policy *policy);

#define CDM_BIND_MOVE		(1u << 0)	/* move pages already there */
#define CDM_BIND_STRICT		(1u << 1)	/* fail when some cannot move */
#define CDM_ALLOC_POPULATE	(1u << 2)	/* fault every page in now */

/* Apply @policy over @nodes to [addr, addr+len) of the calling process. */
int cdm_bind_range(struct cdm_ctx *ctx, void *addr, size_t len,
		   enum cdm_policy policy, const struct cdm_nodeset *nodes,
		   unsigned int flags);
/* Anonymous private memory with @policy; free with cdm_free(). */
int cdm_alloc(struct cdm_ctx *ctx, size_t len, enum cdm_policy policy,
	      const struct cdm_nodeset *nodes, unsigned int flags,
	      void **addr);
int cdm_alloc_on_node(struct cdm_ctx *ctx, size_t len, int node,
		      unsigned int flags, void **addr);
int cdm_free(struct cdm_ctx *ctx, void *addr, size_t len);

/* ---- residency (residency.c, pagemap.c) ---- */
struct cdm_residency;

/*
 * pid 0 = the calling process; whole address space unless a range is set.
 * cdm_residency_update() on another process needs what move_pages(2)
 * needs to query it: ptrace read access (the same user and the process
 * dumpable, or CAP_SYS_PTRACE), else -EPERM; -EACCES when a security
 * module refuses. Both sources read /proc/PID/pagemap too, which asks
 * for the same access (-EACCES from procfs otherwise); page frame
 * numbers there need CAP_SYS_ADMIN.
 */
int cdm_residency_new(struct cdm_ctx *ctx, pid_t pid,
		      struct cdm_residency **res);
int cdm_residency_set_range(struct cdm_residency *res, uint64_t start,
			    uint64_t end);
/*
 * Where a page's node comes from; every other state is read from
 * /proc/PID/pagemap's flags (present, swapped), so both sources count
 * the same pages the same way, whatever the caller's privileges:
 *  - PAGEMAP: the page frame number there (shown to CAP_SYS_ADMIN only)
 *    and the memory blocks each node lists in sysfs, read anew for every
 *    update and again when a PFN lies in none of them (memory hot-added
 *    since, maybe a node the context does not know yet);
 *  - MOVE_PAGES: move_pages(2) asked about each present page.
 * One source counts a whole update: AUTO takes PAGEMAP when PFNs are
 * visible, else MOVE_PAGES, and when PAGEMAP fails part-way it counts
 * the whole range again with MOVE_PAGES (logged at info level);
 * cdm_residency_get_source_used() says which.
 * /proc/PID/numa_maps is not used, though its N<node>= counts are exact
 * and a whole process costs one read: it leaves out the zero page,
 * swapped and untouched pages alike (only their sum could be had, as the
 * total minus the N counts), counts hugetlb pages as huge pages, and
 * whole VMAs only. Taking it for whole-process requests alone would make
 * the answer depend on how the question was put.
 */
enum cdm_residency_source {
	CDM_RESIDENCY_AUTO = 0,		/* pagemap if PFNs are visible, else move_pages */
	CDM_RESIDENCY_MOVE_PAGES,
	CDM_RESIDENCY_PAGEMAP,		/* needs CAP_SYS_ADMIN */
};
int cdm_residency_set_source(struct cdm_residency *res,
			     enum cdm_residency_source source);
int cdm_residency_update(struct cdm_residency *res);
/* the source the last update counted all its pages with (AUTO resolves
 * to one of the two; AUTO itself: no update yet) */
enum cdm_residency_source cdm_residency_get_source_used(struct cdm_residency *res);
/*
 * Page counts of the last update. Each page of the range is counted once:
 * total = pages on the nodes + zero page + swapped + not present + errors.
 */
/* on @node (0 for a node number out of range) */
unsigned long long cdm_residency_get_pages(struct cdm_residency *res,
					   int node);
unsigned long long cdm_residency_get_total(struct cdm_residency *res);
/* the shared zero page (read, never written): on no node of the
 * process's own, whichever source counts (pagemap: its PFN, learnt from
 * a page libcdm maps read-only and reads; move_pages: -EFAULT) */
unsigned long long cdm_residency_get_zero_page(struct cdm_residency *res);
/* a swap entry in the page table: swapped out (or, for a moment, being
 * migrated) */
unsigned long long cdm_residency_get_swapped(struct cdm_residency *res);
/* nothing in the page table: never touched, or dropped since
 * (MADV_DONTNEED, file pages reclaimed) */
unsigned long long cdm_residency_get_not_present(struct cdm_residency *res);
/* present, but on no node that could be told: ENXIO for memory in no
 * node's memory blocks (device memory), or the errno move_pages(2) gave
 * for the page. The one difference left between the sources: a raw PFN
 * mapping (VM_PFNMAP, /dev/mem) of system RAM is on its node for
 * pagemap, ENXIO for move_pages, which sees no page there. */
unsigned long long cdm_residency_get_errors(struct cdm_residency *res);
/* address and errno (positive) of the index-th error, in address order;
 * the first 64 are kept. -ERANGE past them. */
int cdm_residency_get_error(struct cdm_residency *res, unsigned int index,
			    uint64_t *addr, int *err);
/* highest node holding pages, -1 when none */
int cdm_residency_get_max_node(struct cdm_residency *res);
void cdm_residency_free(struct cdm_residency *res);

/* ---- migration (migrate.c) ---- */
struct cdm_migration;

/* called after each chunk, from any worker thread, under an internal lock */
typedef void (*cdm_progress_fn)(struct cdm_migration *mig,
				unsigned long long done,
				unsigned long long total, void *data);

int cdm_migration_new(struct cdm_ctx *ctx, pid_t pid, int to_node,
		      struct cdm_migration **mig);
int cdm_migration_set_range(struct cdm_migration *mig, uint64_t start,
			    uint64_t end);
/* worker threads (1..64, default 1). A worker that cannot be set up
 * (memory, a thread) leaves its share to the others: the run goes on
 * with fewer and says so at LOG_INFO; only when not even the first can
 * be set up does cdm_migration_run() fail, -ENOMEM, moving nothing. */
int cdm_migration_set_threads(struct cdm_migration *mig, unsigned int n);
/* pages per move_pages(2) call (default 16384), rounded up to whole
 * huge pages (512 with 4 KiB pages and 2 MiB THPs) */
int cdm_migration_set_batch(struct cdm_migration *mig, unsigned int pages);
void cdm_migration_set_progress(struct cdm_migration *mig,
				cdm_progress_fn fn, void *data);
/*
 * 0 when every present page of the range that is the process's own is on
 * the target node afterwards: pages shared with other processes stay where
 * they are (see cdm_migration_get_shared()) and do not make a run fail,
 * or no whole-process migration would ever succeed;
 * -EAGAIN when some pages could not move: busy, failed or not attempted
 * (see the counters and failed pages: nothing is hidden; a later run may
 * move them);
 * -ENOSPC when the target node is full: the run stops at the first chunk
 * of which nothing fits ("node N: full"), instead of asking again for
 * every chunk left;
 * other negative errno when the migration itself failed: -ESRCH the
 * process is gone (also when it exits during the run: it is held by a
 * pidfd, so a process that reuses its pid is never touched); -EPERM no
 * ptrace read access to the process (the kernel's check: the same user
 * and the process dumpable, or CAP_SYS_PTRACE); -EACCES the target node
 * is outside the process's cpuset (no capability overrides that), or a
 * security module refused (the message says which); ...
 * Pages mapped by other processes as well are never moved: that takes
 * MPOL_MF_MOVE_ALL and CAP_SYS_NICE, which libcdm does not use; the kernel
 * answers -EACCES for each, counted by cdm_migration_get_shared().
 * The counts of the chunks done so far stay readable in every case.
 */
int cdm_migration_run(struct cdm_migration *mig);

/* page counts of the last run */
unsigned long long cdm_migration_get_pages(struct cdm_migration *mig);
unsigned long long cdm_migration_get_moved(struct cdm_migration *mig);
unsigned long long cdm_migration_get_already(struct cdm_migration *mig);
unsigned long long cdm_migration_get_busy(struct cdm_migration *mig);
unsigned long long cdm_migration_get_failed(struct cdm_migration *mig);
unsigned long long cdm_migration_get_not_present(struct cdm_migration *mig);
/* mapped by other processes as well (shared libraries, COW after fork):
 * move_pages leaves them alone without MPOL_MF_MOVE_ALL; not a failure */
unsigned long long cdm_migration_get_shared(struct cdm_migration *mig);
/*
 * Transparent huge pages moved whole: blocks of the kernel's
 * hpage_pmd_size (2 MiB with 4 KiB pages) whose pages all moved to the
 * target and that the kernel says are still mapped by one huge page
 * there (PAGEMAP_SCAN, Linux 6.7). A folio the kernel split on the way
 * (no huge page free on the target) moved, but is not counted.
 * 0 with *@folios set, or -ENODATA when the kernel could not say for
 * blocks that moved: the count is unknown, not guessed (*@folios is
 * left alone), and the message says why: no PAGEMAP_SCAN (before Linux
 * 6.7), /proc/PID/pagemap not readable (the same ptrace read access as
 * moving pages), or huge pages whose size sysfs does not tell. A range
 * without huge pages needs no answer: 0 is known.
 */
int cdm_migration_get_huge_moved(struct cdm_migration *mig, unsigned long long *folios);
/* never tried: move_pages(2) stops at a batch that fails (e.g. a pinned
 * page) and leaves the pages after it alone; they are passed again while
 * that gets further, a bounded number of times. Listed with ECANCELED. */
unsigned long long cdm_migration_get_not_attempted(struct cdm_migration *mig);
unsigned int cdm_migration_get_nr_failed_pages(struct cdm_migration *mig);
/* address and errno (positive) of the index-th page that did not move */
int cdm_migration_get_failed_page(struct cdm_migration *mig,
				  unsigned int index, uint64_t *addr,
				  int *err);
struct cdm_ctx *cdm_migration_get_ctx(struct cdm_migration *mig);
void cdm_migration_free(struct cdm_migration *mig);

#ifdef __cplusplus
}
#endif
#endif /* _LIBCDM_H_ */
