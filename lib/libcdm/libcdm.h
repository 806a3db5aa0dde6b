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
 * Types and return values, the same for every call:
 *  - node ids, indexes into what an object lists, and how many it lists
 *    (CPUs, memdevs, failed pages): int. -1 is "no node" where a node id
 *    ends a walk (cdm_nodeset_next(), cdm_residency_get_max_node());
 *  - page and folio counts, sizes in bytes, and measures (bandwidth in
 *    MiB/s, latency in ns): unsigned long long;
 *  - addresses and lengths in another process's address space (ranges
 *    of residency and migration, the pages they report): uint64_t; the
 *    caller's own memory (placement, cdm_alloc()): void * and size_t;
 *  - thread counts, batch sizes, flags, weights, access classes:
 *    unsigned int; processes: pid_t (0: the caller).
 *  - Every call that can fail returns int: 0 on success, or a value that
 *    cannot be taken for an error (a length, a distance, a weight: never
 *    negative); a negative errno on failure, with cdm_get_last_error()
 *    naming the object and the cause (the node-set calls, which take no
 *    context, and calls given none return the errno alone).
 *  - A getter of one value that can fail returns int and writes the value
 *    through its last argument, a pointer that must not be NULL
 *    (-EINVAL), only on success: on failure it is left untouched. So a
 *    failure never reads as a plausible value (0 pages, 0 bytes free).
 *  - A getter that cannot fail returns the value itself: what was read
 *    with a valid object (a node's CPUs, MemTotal), or counted by its
 *    last update or run.
 *  - A call returning a pointer returns NULL on failure, with a message.
 *    One that can fail and also answer NULL (no backing, no initiators)
 *    clears the message first: "" then means that answer. The end of a
 *    walk (get_next) is not a failure.
 *
 * Threads: a context may be shared by threads. Its last error is each
 * thread's own, and cdm_ref()/cdm_unref() are atomic. The topology's
 * reads are locked: the first (from whichever call needs it), every
 * cdm_refresh() and each probe of backing devices run one at a time under
 * a mutex of the context, and every call may run in several threads at
 * once, cdm_refresh() included, while others iterate and read nodes and
 * backings without a lock (a reader sees each node as before or after a
 * refresh, never half of one). Only the setters of the context (log
 * function, priority, userdata) are not locked: set it up before other
 * threads use it. A migration runs worker threads of its own
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

/*
 * To and from libnuma's node masks (numa_allocate_nodemask(),
 * numa_get_mems_allowed(), numa_parse_nodestring(), ...). libcdm links
 * libnuma already; a program using these includes <numa.h> for the
 * struct. Nothing is changed on failure:
 *  from: -ERANGE when @bmp has a node above CDM_MAX_NODES - 1;
 *  to:   @bmp is cleared, then gets @set's nodes; -ERANGE when one is at
 *        or above @bmp's size (numa_bitmask_alloc(n) holds nodes 0..n-1).
 * -EINVAL for a NULL argument.
 */
struct bitmask;
int cdm_nodeset_from_bitmask(struct cdm_ctx *ctx, const struct bitmask *bmp,
			     struct cdm_nodeset *set);
int cdm_nodeset_to_bitmask(struct cdm_ctx *ctx, const struct cdm_nodeset *set,
			   struct bitmask *bmp);

/* ---- topology (topology.c, hmat.c, backing.c) ---- */
struct cdm_node;

struct cdm_node *cdm_node_get_first(struct cdm_ctx *ctx);
struct cdm_node *cdm_node_get_next(struct cdm_node *node);
#define cdm_node_foreach(ctx, node) \
	for (node = cdm_node_get_first(ctx); node != NULL; \
	     node = cdm_node_get_next(node))
/* NULL (and a message) when the node does not exist or is not online */
struct cdm_node *cdm_node_get_by_id(struct cdm_ctx *ctx, int id);
/*
 * Read the topology again: nodes hot-added (a CXL region onlined by
 * kmem) or removed since the last read, and every node's attributes;
 * backing devices are probed again at the next request. 0, or -errno
 * with a message naming the file: a read that fails (a node caught
 * half-way through a hot-add) changes nothing, so the last good
 * topology stays; after a first read that failed, a refresh is how to
 * try again (until then every call repeats that failure).
 * Objects stay valid until the context is freed: a node a refresh finds
 * gone keeps its struct cdm_node, marked offline (cdm_node_is_online()
 * false; the iterators and cdm_node_get_by_id() pass over it, and
 * cdm_node_get_next() of it goes on to the next online node) with the
 * attributes last read (cdm_node_get_mem_free(), read anew, fails), and
 * is the same object again if it comes back;
 * strings and backings handed out before a refresh stay readable, with
 * what was read then. A refresh never frees anything: what it replaces
 * is kept until the context is freed, and only what changed is replaced.
 */
int cdm_refresh(struct cdm_ctx *ctx);
/* false once a cdm_refresh() found the node gone */
bool cdm_node_is_online(struct cdm_node *node);
/* which nodes are online, have memory, have CPUs */
int cdm_get_online_nodes(struct cdm_ctx *ctx, struct cdm_nodeset *set);
int cdm_get_memory_nodes(struct cdm_ctx *ctx, struct cdm_nodeset *set);
/*
 * The nodes with memory where the calling thread may allocate: its
 * cpuset's (Mems_allowed_list in /proc/thread-self/status). A migration
 * the thread runs takes its new pages there too, so moves to another
 * node fail as if it were full. On a fake machine (CDM_SYSFS_ROOT), which
 * has no cpusets, every node with memory.
 */
int cdm_get_allowed_nodes(struct cdm_ctx *ctx, struct cdm_nodeset *set);

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

/* bytes, MemTotal of nodeN/meminfo as the last topology read found it
 * (cannot fail: a meminfo that does not read fails the read) */
unsigned long long cdm_node_get_mem_total(struct cdm_node *node);
/* bytes, MemFree of nodeN/meminfo, read anew on every call: 0 and
 * *@bytes, or the read's -errno (-ENOENT: the node is gone; -EINVAL: no
 * valid MemFree line) with *@bytes untouched */
int cdm_node_get_mem_free(struct cdm_node *node, unsigned long long *bytes);
/* SLIT distance to node @to (10-255); -ENOENT when unknown */
int cdm_node_get_distance(struct cdm_node *node, int to);
/* N of /sys/devices/virtual/memory_tiering/memory_tierN; -ENOENT (with a
 * message) when the node is in none */
int cdm_node_get_memory_tier(struct cdm_node *node);

/*
 * HMAT (nodeN/access0 = any initiator, access1 = CPU initiators), as the
 * last topology read found it: 0 and *@mib_s (MiB/s) or *@ns, or a
 * negative errno with the value untouched:
 *  -ENOENT  the firmware does not describe it (the kernel shows 0 for
 *           that, which is no measurement);
 *  -EINVAL  an access class other than 0 and 1; the kernel's file does
 *           not read as a number; a NULL value pointer.
 */
int cdm_node_get_read_bandwidth(struct cdm_node *node, unsigned int access,
				unsigned long long *mib_s);
int cdm_node_get_write_bandwidth(struct cdm_node *node, unsigned int access,
				 unsigned long long *mib_s);
int cdm_node_get_read_latency(struct cdm_node *node, unsigned int access,
			      unsigned long long *ns);
int cdm_node_get_write_latency(struct cdm_node *node, unsigned int access,
			       unsigned long long *ns);
/* node list of the initiators for that access class; NULL when none
 * (cdm_get_last_error() "") or for an access class other than 0 and 1
 * (with a message) */
const char *cdm_node_get_initiators(struct cdm_node *node, unsigned int access);

/*
 * What backs a node (backing.c): each part of its memory, in physical
 * address order; a node may hold several (two CXL regions, a region and
 * boot memory, ...). Probed for all nodes at the first request and at the
 * first after cdm_refresh(): dax devices and CXL regions through libdaxctl
 * and libcxl, the node's memory from its online memory blocks in sysfs.
 */
struct cdm_backing;

enum cdm_backing_kind {
	CDM_BACKING_RAM = 1,	/* memory of no dax device or CXL region: boot
				 * memory, or hot-added by another driver */
	CDM_BACKING_DAX,	/* a dax device onlined as system RAM (kmem)
				 * or as a CDM node (cxl_cdm), of no CXL
				 * region (soft-reserved, pmem) */
	CDM_BACKING_CXL_REGION,	/* a CXL region's memory, through its dax
				 * device (kmem, cxl_cdm) or hot-added
				 * without one */
};
/* "ram", "dax", "cxl"; "unknown" for anything else */
const char *cdm_backing_kind_name(enum cdm_backing_kind kind);

/* NULL when the node has none (no memory, or no memory blocks in sysfs
 * and no device), and when the probe fails: then with a message, else
 * cdm_get_last_error() reads "" */
struct cdm_backing *cdm_backing_get_first(struct cdm_node *node);
struct cdm_backing *cdm_backing_get_next(struct cdm_backing *backing);
#define cdm_backing_foreach(node, backing) \
	for (backing = cdm_backing_get_first(node); backing != NULL; \
	     backing = cdm_backing_get_next(backing))
struct cdm_node *cdm_backing_get_node(struct cdm_backing *backing);
enum cdm_backing_kind cdm_backing_get_kind(struct cdm_backing *backing);
/* the dax device ("dax0.0"); NULL for RAM and a region without one */
const char *cdm_backing_get_devname(struct cdm_backing *backing);
/* the CXL region ("region0"); NULL unless CDM_BACKING_CXL_REGION */
const char *cdm_backing_get_cxl_region(struct cdm_backing *backing);
/* the driver holding the memory of its dax device: "kmem" (system RAM)
 * or "cxl_cdm" (a CDM node, see cdm_dax_online()); NULL for RAM, a region
 * hot-added without a dax device, or a driver not known */
const char *cdm_backing_get_driver(struct cdm_backing *backing);
/* bytes of the node's online memory blocks it covers (whole blocks, so
 * more than its share of MemTotal, which leaves out what the kernel
 * reserves); the device's size when sysfs has no memory blocks */
unsigned long long cdm_backing_get_size(struct cdm_backing *backing);
/* the region's memdevs ("mem0"), in the region's target order: 0 when
 * not a region or none known; NULL (with a message) for an index outside
 * 0 .. nr - 1 */
int cdm_backing_get_nr_cxl_memdevs(struct cdm_backing *backing);
const char *cdm_backing_get_cxl_memdev(struct cdm_backing *backing, int index);

/* ---- dax devices as CDM nodes through cxl_cdm (dax.c) ---- */
/*
 * The out-of-tree cxl_cdm driver (kernel/drivers/cxl-cdm) onlines the
 * memory of a dax device (a CXL region's, typically) as a coherent device
 * memory node, its target_node. These two calls take the steps of its
 * README through sysfs (under the sysfs root), and need root. A device is
 * named "daxN.M", as the dax bus names it.
 * The context's topology is not read again: cdm_refresh() shows the node
 * they changed.
 */
/*
 * Node names: an administrator's label for a node, kept for this boot in
 * /run/cdm/node-names (CDM_NODE_NAMES in the environment names another
 * directory), one file per node. A name is a letter, then up to 30
 * letters, digits, '-', '_' or '.': never a node number or list.
 */
/* 0 when @name is a node name, else -EINVAL with a message quoting it */
int cdm_check_node_name(struct cdm_ctx *ctx, const char *name);
/* @node's name into @buf (at least 32 bytes): 0; -ENOENT when it has none
 * (no message); -EINVAL for bad arguments or a file that holds no name */
int cdm_get_node_name(struct cdm_ctx *ctx, int node, char *buf, size_t len);
/* the node named @name, or -ENOENT (said), -EINVAL (not a name) */
int cdm_get_node_by_name(struct cdm_ctx *ctx, const char *name);
/*
 * Name @node @name, or forget its name (@name NULL; 0 also when it had
 * none). The node must be online with memory (the topology is read anew:
 * cdm_refresh()): -ENODEV, -ENOMEM otherwise; -EEXIST when another node
 * has the name; -EINVAL a bad name or node id; -errno of the directory
 * or file (-EACCES: /run/cdm needs root). The same name again is 0.
 */
int cdm_set_node_name(struct cdm_ctx *ctx, int node, const char *name);

/* 0 when @devname is a dax device name, else -EINVAL with a message
 * quoting it (at most 40 bytes of it, unprintable ones as '?'); nothing
 * else is checked */
int cdm_dax_check_name(struct cdm_ctx *ctx, const char *devname);
/*
 * Put dax device @devname's memory online as a CDM node:
 *  - held by device_dax (or by no driver): named in cxl_cdm's new_id,
 *    unbound from device_dax, bound to cxl_cdm, whose probe onlines the
 *    memory; cxl_cdm is loaded (modprobe) if /sys/bus/dax/drivers/cxl_cdm
 *    is absent (never under a fake sysfs root);
 *  - held by cxl_cdm with its memory offline: cxl_cdm/online set to 1.
 * Returns 0 when it put the memory online, 1 when it was online through
 * cxl_cdm already (nothing done), with *@node (if not NULL) the device's
 * target node (-1: it has none); or a negative errno, the message naming
 * the device:
 *  -EINVAL  not a dax device name (see cdm_dax_check_name());
 *  -ENODEV  no such dax device;
 *  -EBUSY   held by kmem as system RAM: not taken (unbinding kmem with
 *           memory online would leave that memory online as ordinary RAM
 *           until reboot; "daxctl reconfigure-device --mode=devdax -f"
 *           takes it offline first, and refuses when it cannot), or held
 *           by another driver;
 *  -ENOENT  cxl_cdm is not loaded and modprobe did not load it;
 *  -EACCES  a write refused (not root);
 *  others   the errno of the write that failed: binding gives cxl_cdm's
 *           probe's (-EINVAL: the target node has CPUs or ordinary
 *           memory, or no valid one; the kernel log says which); the
 *           device is then no longer named in cxl_cdm's new_id and is
 *           given back to device_dax, and the message says so.
 */
int cdm_dax_online(struct cdm_ctx *ctx, const char *devname, int *node);
/*
 * Give dax device @devname to device_dax when kmem holds it (its memory
 * system RAM, or added and offline), as "daxctl reconfigure-device
 * --mode=devdax --force" does, through libdaxctl: its memory blocks
 * taken offline (the kernel migrates the pages in use elsewhere), the
 * device unbound from kmem and bound to device_dax, ready for
 * cdm_dax_online(). The offline runs in a child process (fork(2)), which
 * is killed when the time below is up: the kernel retries a block's
 * offline until the writer gets a signal. Returns 0 when it did, 1 when
 * kmem does not hold the device (nothing done); or a negative errno, the
 * message naming the device:
 *  -EBUSY       a block could not go offline (pages in use that cannot
 *               move, or a block in ZONE_NORMAL) within cxl_cdm's
 *               remove_timeout_ms (60 s when cxl_cdm is not loaded): the
 *               blocks are put back online and the device stays kmem's;
 *               nothing is lost;
 *  -EOPNOTSUPP  a context on a sysfs tree not the real one;
 *  -EINVAL, -ENODEV, others as for cdm_dax_online().
 */
int cdm_dax_take_from_kmem(struct cdm_ctx *ctx, const char *devname);
/*
 * Take dax device @devname's memory offline, the device staying bound to
 * cxl_cdm (cxl_cdm/online set to 0), which migrates the pages in use to
 * other nodes. With CDM_DAX_OFFLINE_RELEASE the device then goes back to
 * device_dax (named in its new_id, unbound from cxl_cdm, removed from
 * cxl_cdm's new_id, bound to device_dax), and a device of no driver is
 * bound to device_dax. Returns 0 when it changed something, 1 when the
 * device was offline already (not cxl_cdm's, or cxl_cdm's with its
 * memory offline and no release asked for), with *@node as for
 * cdm_dax_online(); or a negative errno, the message naming the device:
 *  -EBUSY   pages in use could not move (they do not fit elsewhere, or
 *           did not move within cxl_cdm's remove_timeout_ms): nothing is
 *           lost, the memory stays online, the message names the node
 *           (and the kernel log the reason); or the device is kmem's;
 *  -EINVAL, -ENODEV, -EACCES, others as for cdm_dax_online(); an unknown
 *           flag is -EINVAL.
 */
#define CDM_DAX_OFFLINE_RELEASE	(1u << 0)
int cdm_dax_offline(struct cdm_ctx *ctx, const char *devname, unsigned int flags,
		    int *node);

/* ---- placement (placement.c, weights.c) ---- */
/* The kernel's memory policies (mbind(2), set_mempolicy(2)) */
enum cdm_policy {
	CDM_POLICY_DEFAULT = 0,		/* none of its own: a range follows the
					 * thread's, a thread the system's; no nodes */
	CDM_POLICY_BIND,		/* only these nodes */
	CDM_POLICY_PREFERRED,		/* this one node first, then any */
	CDM_POLICY_PREFERRED_MANY,	/* these nodes first, then any (Linux 5.15) */
	CDM_POLICY_INTERLEAVE,		/* page by page over these nodes */
	CDM_POLICY_WEIGHTED_INTERLEAVE,	/* as interleave, each node's weight in
					 * pages per round (Linux 6.9; see
					 * cdm_node_get_interleave_weight()) */
	CDM_POLICY_LOCAL,		/* the node of the CPU that faults the page
					 * in; no nodes */
};
/* "default", "bind", "preferred", "preferred-many", "interleave",
 * "weighted-interleave", "local"; NULL for an unknown policy */
const char *cdm_policy_name(enum cdm_policy policy);
/* a name above to its policy; -EINVAL for anything else */
int cdm_policy_parse(struct cdm_ctx *ctx, const char *name,
		     enum cdm_policy *policy);

#define CDM_BIND_MOVE		(1u << 0)	/* move pages already there */
#define CDM_BIND_STRICT		(1u << 1)	/* fail when some cannot move */
#define CDM_ALLOC_POPULATE	(1u << 2)	/* fault every page in now */
/*
 * How the kernel reads the nodes when the task's cpuset changes, for
 * cdm_bind_range(), cdm_alloc() and cdm_set_thread_policy(); one or the
 * other, never with DEFAULT or LOCAL (MPOL_F_STATIC_NODES and
 * MPOL_F_RELATIVE_NODES):
 *  - neither: the nodes move with the cpuset (remapped onto its new nodes);
 *  - STATIC: the nodes as given, never remapped; those outside the cpuset
 *    are left out while they are;
 *  - RELATIVE: positions among the cpuset's memory nodes, not node numbers
 *    ({0,2}: its first and third, whichever they are; wrapped modulo their
 *    number), so libcdm does not check them against the machine.
 */
#define CDM_POLICY_F_STATIC_NODES	(1u << 3)
#define CDM_POLICY_F_RELATIVE_NODES	(1u << 4)

/*
 * Apply @policy over @nodes to [addr, addr+len) of the calling process
 * (flags: CDM_BIND_*, CDM_POLICY_F_*). The request is checked before the
 * kernel sees it; every call below returns 0 or a negative errno with a
 * message, and a failed call changes no policy (but -EIO):
 *  -EINVAL  an unknown policy or flag; nodes given to DEFAULT or LOCAL,
 *           none to the others ("policy bind: empty node list"), more
 *           than one to PREFERRED; STATIC and RELATIVE together; or no
 *           node of the set in the calling thread's cpuset;
 *  -ENODEV, -ENOMEM  a node not online, without memory ("node 2: has no
 *           memory"; not checked for RELATIVE);
 *  -EOPNOTSUPP  a kernel older than the policy ("policy weighted-
 *           interleave: weighted interleave needs Linux 6.9"; preferred-
 *           many: 5.15): the kernel says only EINVAL, libcdm, having
 *           checked the rest, says which; a caller may fall back to
 *           INTERLEAVE or PREFERRED;
 *  -EFAULT  the range is not mapped; -EIO (MOVE with STRICT) the policy
 *           is set but some pages could not move.
 */
int cdm_bind_range(struct cdm_ctx *ctx, void *addr, size_t len,
		   enum cdm_policy policy, const struct cdm_nodeset *nodes,
		   unsigned int flags);
/* Anonymous private memory with @policy (flags: CDM_ALLOC_POPULATE,
 * CDM_POLICY_F_*; errors as above); free with cdm_free(). */
int cdm_alloc(struct cdm_ctx *ctx, size_t len, enum cdm_policy policy,
	      const struct cdm_nodeset *nodes, unsigned int flags,
	      void **addr);
/* cdm_alloc() bound to @node */
int cdm_alloc_on_node(struct cdm_ctx *ctx, size_t len, int node,
		      unsigned int flags, void **addr);
int cdm_free(struct cdm_ctx *ctx, void *addr, size_t len);
/*
 * The calling thread's policy (set_mempolicy(2); flags: CDM_POLICY_F_*;
 * errors as cdm_bind_range()): for its later allocations outside ranges
 * with a policy of their own; threads and processes it creates afterwards
 * inherit it.
 */
int cdm_set_thread_policy(struct cdm_ctx *ctx, enum cdm_policy policy,
			  const struct cdm_nodeset *nodes, unsigned int flags);
/*
 * The policy of the calling thread, or of the mapping at @addr (DEFAULT
 * when it has none of its own: the thread's applies), as get_mempolicy(2)
 * gives it. *@nodes: as given, with STATIC or RELATIVE nodes; otherwise
 * those in effect (remapped if the cpuset changed); empty for DEFAULT and
 * LOCAL. @nodes and @flags (CDM_POLICY_F_*; the kernel's
 * MPOL_F_NUMA_BALANCING, which libcdm never sets, is left out) may be
 * NULL. -EFAULT when nothing is mapped at @addr; -EPROTO for a mode
 * libcdm does not know.
 */
int cdm_get_thread_policy(struct cdm_ctx *ctx, enum cdm_policy *policy,
			  struct cdm_nodeset *nodes, unsigned int *flags);
int cdm_get_range_policy(struct cdm_ctx *ctx, void *addr, enum cdm_policy *policy,
			 struct cdm_nodeset *nodes, unsigned int *flags);
/*
 * Weighted interleave's weight of a node: the pages it takes per round,
 * 1..255, system-wide, from <sysfs>/kernel/mm/mempolicy/
 * weighted_interleave/nodeN, read anew on each call. Errors:
 *  -EOPNOTSUPP  "kernel has no weighted interleave (Linux 6.9)": no such
 *               directory;
 *  -ENOENT      no weight for this node (the kernel lists nodes with
 *               memory; before 6.16 every possible node);
 *  -EINVAL      the file is malformed (getter); NULL @node;
 *  -ERANGE      (setter) a weight outside 1..255, refused before anything
 *               is written: 0 read "back to the default" before Linux 6.16
 *               and is an error since, so libcdm takes it on neither;
 *  -EACCES      (setter) writing needs root.
 * Since Linux 6.16 setting one weight also turns the kernel's automatic
 * weights (from HMAT bandwidths, its "auto" file) off, for every node.
 */
int cdm_node_get_interleave_weight(struct cdm_node *node);
int cdm_node_set_interleave_weight(struct cdm_node *node, unsigned int weight);

/* ---- residency (residency.c, pagemap.c) ---- */
struct cdm_residency;
struct cdm_pool;

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
 * total = pages on the nodes + on device-private pools + zero page +
 * swapped + not present + errors.
 */
/* on @node: 0 and *@pages (0 for a node that holds none, online or
 * not), or, *@pages untouched, -EINVAL for a negative node or a NULL
 * @pages, -ERANGE for one above CDM_MAX_NODES - 1 */
int cdm_residency_get_pages(struct cdm_residency *res, int node,
			    unsigned long long *pages);
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
 * the first 64 are kept. -ERANGE for an index outside them. @addr and
 * @err may be NULL. */
int cdm_residency_get_error(struct cdm_residency *res, int index,
			    uint64_t *addr, int *err);
/*
 * On device-private pool @pool's device (counted apart from swapped
 * pages, which they look like in the pagemap): 0 and *@pages, or -EINVAL
 * for a NULL argument. Each update asks every pool it can open; pages of
 * a pool it cannot open (-EACCES without root) stay counted as swapped,
 * which the update logs at LOG_INFO.
 */
int cdm_residency_get_pool_pages(struct cdm_residency *res, struct cdm_pool *pool,
				 unsigned long long *pages);
/* highest node holding pages, -1 when none */
int cdm_residency_get_max_node(struct cdm_residency *res);
void cdm_residency_free(struct cdm_residency *res);

/* ---- where a migration finds pages (pages.c) ---- */
struct cdm_range {
	uint64_t start, end;		/* [start, end) */
};

/*
 * The parts of @pid's address space (0: the caller's) in [@start, @end)
 * (both 0: all of it) that a migration walks: every mapping but those
 * with no access (PROT_NONE guards and reservations) and the kernel's
 * [vdso], [vvar] and [vsyscall]; the rest (gaps between mappings
 * included) holds no page a migration could move. From /proc/PID/maps,
 * with no walk of the page tables: cheap enough to ask before each
 * move, so that a range which is mostly gap is not moved as a whole.
 * 0 with *@ranges (in address order, clipped to the range; free() it)
 * and *@nr (0 when nothing is mapped there); -ESRCH for a process that
 * is gone, -EACCES without the right to read its map, -EINVAL for a
 * range that is empty or not page aligned, each with a message.
 */
int cdm_get_movable_ranges(struct cdm_ctx *ctx, pid_t pid, uint64_t start,
			   uint64_t end, struct cdm_range **ranges, size_t *nr);

/* ---- migration (migrate.c) ---- */
struct cdm_migration;

/*
 * Called after each chunk, from any worker thread, under an internal lock
 * (so calls never overlap; it must not call back into @mig). Returns 0 to
 * go on; anything else cancels the run: no worker starts another chunk,
 * the chunks under way finish and are reported too (their answers change
 * nothing), and cdm_migration_run() returns -ECANCELED with the counts of
 * every chunk done. With migrate_pages(2) (see cdm_migration_set_method())
 * it is called while the result is counted, after the one call that
 * moves everything, which cannot be stopped.
 */
typedef int (*cdm_progress_fn)(struct cdm_migration *mig,
			       unsigned long long done,
			       unsigned long long total, void *data);

int cdm_migration_new(struct cdm_ctx *ctx, pid_t pid, int to_node,
		      struct cdm_migration **mig);
int cdm_migration_set_range(struct cdm_migration *mig, uint64_t start,
			    uint64_t end);
/* worker threads (1..64, default 1). A worker that cannot be set up
 * (memory, a thread) leaves its share to the others: the run goes on
 * with fewer and says so at LOG_INFO; only when not even the first can
 * be set up does cdm_migration_run() fail, -ENOMEM, moving nothing.
 * Measured in QEMU (bench/migrate.sh 256 5, TCG, not hardware; ratios
 * of medians): small pages, 2 threads 1.66x one move_pages(2) call;
 * huge pages, 2 threads 1.33x of 1 thread moving the caller's own memory
 * and 1.05x moving another process's. Moving the caller's own memory the
 * workers are threads of the process whose pages move, and the kernel
 * unmaps each page with a TLB shootdown of the CPUs they run on (~250
 * per 256 MiB round trip). */
int cdm_migration_set_threads(struct cdm_migration *mig, unsigned int n);
/* pages per move_pages(2) call (default 16384), rounded up to whole
 * huge pages (512 with 4 KiB pages and 2 MiB THPs) */
int cdm_migration_set_batch(struct cdm_migration *mig, unsigned int pages);
void cdm_migration_set_progress(struct cdm_migration *mig,
				cdm_progress_fn fn, void *data);
/*
 * Move only the pages now on a node of @nodes ("move what is on node 2");
 * pages on other nodes stay where they are, counted by
 * cdm_migration_get_skipped(), not as failures. NULL: every node (the
 * default). -EINVAL, and nothing changed, for an empty set, a node not
 * online or without memory, or a set holding the target node; the
 * message names the nodes ("pid 42: source node 3: has no memory").
 */
int cdm_migration_set_from_nodes(struct cdm_migration *mig,
				 const struct cdm_nodeset *nodes);
/*
 * CDM_MIGRATE_SHARED: move the pages mapped by other processes as well
 * (shared libraries, COW after fork; MPOL_MF_MOVE_ALL), which the kernel
 * allows only with CAP_SYS_NICE: without it cdm_migration_run() fails with
 * -EPERM ("pid 42: moving shared pages needs CAP_SYS_NICE") before a
 * page moves. Unknown bits: -EINVAL, the flags set before stay.
 */
#define CDM_MIGRATE_SHARED	(1u << 0)
int cdm_migration_set_flags(struct cdm_migration *mig, unsigned int flags);
/*
 * The system call that moves the pages. The counts are the same either
 * way, from the kernel's answers to the same per-page queries:
 *  - MOVE_PAGES: move_pages(2), a call per chunk of `batch` pages;
 *  - MIGRATE_PAGES: migrate_pages(2), one call for the whole process
 *    (with a range: -EINVAL from whichever of this and
 *    cdm_migration_set_range() comes second) from the source nodes (all
 *    but the target without cdm_migration_set_from_nodes()). Every page
 *    is queried before and after it (meanwhile a bit per page of each
 *    64 MiB chunk holding source pages remembers them: 32 KiB per GiB);
 *    the pages it left on a source node go to move_pages(2) once more,
 *    which moves them or says why not (shared, busy). The kernel's own
 *    count of what it could not move is logged at LOG_INFO. It moves
 *    shared pages whenever the caller has CAP_SYS_NICE: then, without
 *    CDM_MIGRATE_SHARED, the run fails with -EINVAL before moving
 *    anything. CAP_SYS_NICE also lets it move to a node outside the
 *    process's cpuset, which move_pages(2) never does (-EACCES).
 *  - AUTO (the default) takes MIGRATE_PAGES for a whole process with
 *    source nodes set, when it treats shared pages as asked (the caller
 *    has CAP_SYS_NICE exactly when CDM_MIGRATE_SHARED is set), otherwise
 *    MOVE_PAGES. Why: the kernel then walks the page tables once per
 *    source node, in one call paying lru_cache_disable()'s expedited RCU
 *    sync once, where move_pages(2) pays it on every call and is handed
 *    every page's address. Without source nodes it would walk once per
 *    other node with memory.
 * -EINVAL for an unknown method, nothing changed.
 */
enum cdm_migrate_method {
	CDM_MIGRATE_METHOD_AUTO = 0,
	CDM_MIGRATE_METHOD_MOVE_PAGES,
	CDM_MIGRATE_METHOD_MIGRATE_PAGES,
};
int cdm_migration_set_method(struct cdm_migration *mig,
			     enum cdm_migrate_method method);
/* the method the last run used (AUTO resolved); AUTO: no run yet, or one
 * that failed before choosing */
enum cdm_migrate_method cdm_migration_get_method_used(struct cdm_migration *mig);
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
 * every chunk left (with migrate_pages(2): every chunk is counted, what
 * did not fit failed with ENOMEM);
 * -ECANCELED when the progress callback asked to stop;
 * -EINVAL migrate_pages(2) asked for by a caller with CAP_SYS_NICE
 * without CDM_MIGRATE_SHARED (see cdm_migration_set_method());
 * other negative errno when the migration itself failed: -ESRCH the
 * process is gone (also when it exits during the run: it is held by a
 * pidfd, so a process that reuses its pid is never touched); -EPERM no
 * ptrace read access to the process (the kernel's check: the same user
 * and the process dumpable, or CAP_SYS_PTRACE), or (CDM_MIGRATE_SHARED)
 * no CAP_SYS_NICE; -EACCES the target node is outside the process's
 * cpuset, or a security module refused (the message says which); ...
 * Pages mapped by other processes as well are moved only with
 * CDM_MIGRATE_SHARED; otherwise the kernel answers -EACCES for each,
 * counted by cdm_migration_get_shared().
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
 * left alone without CDM_MIGRATE_SHARED; not a failure */
unsigned long long cdm_migration_get_shared(struct cdm_migration *mig);
/* present on a node outside the source set (cdm_migration_set_from_nodes()):
 * left where they are, not a failure */
unsigned long long cdm_migration_get_skipped(struct cdm_migration *mig);
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
 * moving pages), or huge pages whose size sysfs does not tell; -EINVAL
 * for a NULL @folios. A range without huge pages needs no answer: 0 is
 * known.
 */
int cdm_migration_get_huge_moved(struct cdm_migration *mig, unsigned long long *folios);
/* never tried: move_pages(2) stops at a batch that fails (e.g. a pinned
 * page) and leaves the pages after it alone; they are passed again while
 * that gets further, a bounded number of times. Listed with ECANCELED. */
unsigned long long cdm_migration_get_not_attempted(struct cdm_migration *mig);
/* the pages listed: busy, failed and not attempted (the first 2^20) */
int cdm_migration_get_nr_failed_pages(struct cdm_migration *mig);
/* address and errno (positive) of the index-th page that did not move;
 * -ERANGE for an index outside the list. @addr and @err may be NULL. */
int cdm_migration_get_failed_page(struct cdm_migration *mig, int index,
				  uint64_t *addr, int *err);
struct cdm_ctx *cdm_migration_get_ctx(struct cdm_migration *mig);
void cdm_migration_free(struct cdm_migration *mig);

/* ---- device-private pools (pool.c) ---- */
/*
 * Memory of devices the CPU cannot address coherently (a PCIe accelerator
 * without CXL), as the cdm_private driver offers it: each pool is a
 * character device /dev/cdm_privateN (<sysfs>/class/cdm_private/
 * cdm_privateN) whose pages the CPU reaches only by migrating them back,
 * which a CPU fault does on its own. Pages move to a pool and back with
 * cdm_pool_migrate(); cdm_residency_update() counts the pages of each
 * pool apart from swapped ones.
 *
 * The pools are listed anew by cdm_pool_get_first() and
 * cdm_pool_get_by_name() (the module may be loaded or unloaded at any
 * time); an object stays valid until the context is freed, and a pool
 * gone since reads as such (cdm_pool_update() fails with -ENODEV).
 */

#define CDM_MAX_POOLS 64

/* NULL when there is none (cdm_private not loaded): not an error, the
 * last error is then "" */
struct cdm_pool *cdm_pool_get_first(struct cdm_ctx *ctx);
struct cdm_pool *cdm_pool_get_next(struct cdm_pool *pool);
#define cdm_pool_foreach(ctx, pool) \
	for (pool = cdm_pool_get_first(ctx); pool != NULL; \
	     pool = cdm_pool_get_next(pool))
/* 0 when @name is a pool's name, "cdm_privateN" or "/dev/cdm_privateN"
 * (N 0-63 as the kernel prints it), else -EINVAL with a message quoting
 * it (at most 64 bytes; none without a context); nothing else checked */
int cdm_pool_check_name(struct cdm_ctx *ctx, const char *name);
/* The pool named @name (as above): 0 and *@pool; or, *@pool untouched,
 * -EINVAL for a bad name (or NULL argument), -ENODEV when there is no
 * such pool now, -errno when the pools could not be listed */
int cdm_pool_get_by_name(struct cdm_ctx *ctx, const char *name, struct cdm_pool **pool);
struct cdm_ctx *cdm_pool_get_ctx(struct cdm_pool *pool);
int cdm_pool_get_id(struct cdm_pool *pool);		/* N of cdm_privateN */
const char *cdm_pool_get_name(struct cdm_pool *pool);	/* "cdm_privateN" */
const char *cdm_pool_get_devpath(struct cdm_pool *pool);	/* "/dev/cdm_privateN" */
/*
 * Read the pool's size and counters (the driver's INFO and STATS ioctls)
 * for the getters below, which answer what the last update read (0
 * before the first). 0, or -errno with a message naming the device:
 * -ENODEV the pool is gone, -EACCES opening it needs root (mode 0600),
 * -EPROTO a driver of another ABI version.
 */
int cdm_pool_update(struct cdm_pool *pool);
/* bytes: what the pool may grow to, has struct pages for, holds data in */
unsigned long long cdm_pool_get_capacity(struct cdm_pool *pool);
unsigned long long cdm_pool_get_allocated(struct cdm_pool *pool);
unsigned long long cdm_pool_get_used(struct cdm_pool *pool);
/* pages: on the device now; moved to it, back by request, back by CPU
 * faults; that could not move (busy, no room, other reasons) */
unsigned long long cdm_pool_get_pages_on_device(struct cdm_pool *pool);
unsigned long long cdm_pool_get_to_device(struct cdm_pool *pool);
unsigned long long cdm_pool_get_to_ram(struct cdm_pool *pool);
unsigned long long cdm_pool_get_cpu_faults(struct cdm_pool *pool);
unsigned long long cdm_pool_get_fail_busy(struct cdm_pool *pool);
unsigned long long cdm_pool_get_fail_nomem(struct cdm_pool *pool);
unsigned long long cdm_pool_get_fail_other(struct cdm_pool *pool);

/*
 * Move the pages of process @pid (0: the caller) to the pool's device,
 * or with CDM_POOL_TO_RAM those on it back to system memory (where the
 * process's memory policy puts them): [@start, @end), or with both 0
 * every private anonymous mapping of the process (file, shared and
 * special mappings are left alone: the device takes anonymous memory
 * only). Another process is held by a pidfd and must be one the caller
 * may move pages of, as for move_pages(2). *@pages (may be NULL): the
 * pages asked about; *@moved: those that moved (pages already there, or
 * not present and not touched for TO_RAM, do not). 0 also when some did
 * not move (the pool's fail counters say why), or -errno with a
 * message naming the pool and the process. Once the arguments are
 * checked *@pages and *@moved are written in every case: on a failure,
 * what was asked and moved before it stopped. Errors:
 *  -EINVAL  unknown flags, a range not page aligned, or a range holding
 *           a mapping the device cannot take (I/O, PFN, hugetlb, DAX);
 *  -EFAULT  a hole in the range;
 *  -ENOMEM  the pool is full (nothing of the range moved);
 *  -ENOSPC  the pool could not grow (no free physical address range);
 *  -EPERM   no ptrace read access to the process;
 *  -ESRCH   the process is gone;
 *  -EACCES  opening the pool needs root; -ENODEV the pool is gone.
 * With a whole process, a mapping that goes away meanwhile is passed over.
 */
#define CDM_POOL_TO_RAM		(1u << 0)
int cdm_pool_migrate(struct cdm_pool *pool, pid_t pid, uint64_t start, uint64_t end,
		     unsigned int flags, unsigned long long *pages,
		     unsigned long long *moved);

/* ---- hints to cdmd (hints.c) ---- */
/*
 * A process telling cdmd (the cdm daemon) how a range of its own memory
 * is used, which beats what cdmd's access tracker guesses: HOT ranges are
 * promoted to the target's fast nodes and COLD ones demoted to its slow
 * nodes whatever the tracker saw; NODE puts the range on one node (one
 * of the target's nodes: cdmd passes over a hint to any other), moved as
 * bind moves it, within the same rate, room and ping-pong limits; CLEAR
 * forgets the hints on the range. A new hint replaces the ones it
 * overlaps; cdmd forgets a process's hints when it exits or is no longer
 * managed. cdmd acts on them at its next rounds: a hint changes no
 * memory policy and moves nothing itself.
 */
enum cdm_hint {
	CDM_HINT_HOT = 1,
	CDM_HINT_COLD,
	CDM_HINT_NODE,
	CDM_HINT_CLEAR,
};
/*
 * Hint [@addr, @addr + @len) of the calling process to cdmd: @addr page
 * aligned, @len > 0, rounded up to whole pages (as madvise(2) does);
 * @node the node for CDM_HINT_NODE (online, with memory), -1 for the
 * others. The request goes to cdmd's hint socket (/run/cdmd/hints.sock,
 * or $CDM_HINT_SOCKET) and the call waits at most 1 s for its answer.
 * Returns 0 when cdmd took the hint, or a negative errno with a message
 * naming the range ("hint 0x7f00000000-0x7f00200000: ..."):
 *  -EINVAL      an unknown hint, a range not page aligned, empty or
 *               wrapping around, a node not online or without memory,
 *               or a node given to a hint other than NODE: nothing is
 *               sent;
 *  -ENOENT      cdmd is not running (no socket, or no one answers);
 *  -ESRCH       this process is not one cdmd manages;
 *  -ENOSPC      cdmd holds as many hinted ranges of this process as it
 *               keeps (256; neighbouring ranges of the same hint count
 *               as one): clear some first;
 *  -ETIMEDOUT   cdmd did not answer within 1 s;
 *  -EAGAIN      cdmd's socket has too many connections waiting;
 *  -EACCES, -EPROTO, ...  the socket refused, an answer cdmd should not
 *               have given.
 * Thread-safe: each call has a connection of its own.
 */
int cdm_hint(struct cdm_ctx *ctx, const void *addr, size_t len, enum cdm_hint hint,
	     int node);

#ifdef __cplusplus
}
#endif
#endif /* _LIBCDM_H_ */
