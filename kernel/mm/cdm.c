// SPDX-License-Identifier: GPL-2.0
/*
 * Coherent device memory (CDM) nodes.
 *
 * Memory on a device that CPUs access coherently (a CXL Type-3 memory
 * expander, the HBM of a cache-coherent accelerator) shows up as a NUMA
 * node without CPUs. Nobody should land there by accident, and whoever
 * asks for it must get it. Nodes get the N_COHERENT_DEVICE state at boot
 * (cdm_nodes=<nodelist>) and are listed in
 * /sys/devices/system/node/has_coherent_device.
 *
 * Isolation costs nothing per allocation: it is decided when zonelists
 * are built. find_next_best_node() leaves CDM nodes out of every fallback
 * list but their own, so with node 1 marked CDM on a two-node machine:
 *
 *	node 0 zonelist: 0		(default allocations, slab, page cache)
 *	node 1 zonelist: 1 0		(explicit requests for node 1)
 *
 * Explicit requests reach it through a third zonelist
 * per node, ZONELIST_CDM, which holds the CDM nodes too, ordered by
 * distance (cdm_zonelist_order()):
 *
 *	node 0 ZONELIST_CDM: 0 1	(node 0 first, then node 1)
 *
 * An allocation uses it when its gfp mask has __GFP_CDM, which memory
 * policies naming a CDM node add (cdm_nodes_gfp() in mm/internal.h) and
 * the page allocator adds for tasks whose cpuset names one in its mems
 * (decided when the cpuset changes). So bind, preferred, preferred-many,
 * (weighted) interleave, home_node, bulk and slab allocations and cpusets
 * behave as if the node were an ordinary CPU-less node, nearest first,
 * while default allocations never see it. __GFP_THISNODE and page
 * migration name the node directly.
 *
 * Background mechanisms that pick a node themselves stay out as well:
 * boot-time interleaving, the default hugetlb pool and reclaim demotion
 * use cdm_default_memory_nodes(), and khugepaged collapses into a CDM
 * node only a range that already lies there entirely or whose policy
 * names the node (cdm_collapse_excluded(), cdm_vma_policy_named()). A
 * node named by cdm_nodes= is wholly ZONE_MOVABLE, like hot-added device
 * memory, so kernel allocations never land there.
 *
 * Drivers hot-add device memory as a CDM node with cdm_add_memory() and
 * take it back with cdm_remove_memory().
 */

#define pr_fmt(fmt) "cdm: " fmt

#include <linux/cdm.h>
#include <linux/hugetlb.h>
#include <linux/init.h>
#include <linux/kobject.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/memory-tiers.h>
#include <linux/mempolicy.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/numa.h>
#include <linux/printk.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/swap.h>
#include <linux/sysfs.h>
#include <linux/topology.h>

#include "internal.h"

DEFINE_STATIC_KEY_FALSE(cdm_nodes_present);

/*
 * cdm_zonelist_order - node order of @local's zonelist for explicit requests
 * @local: the node whose ZONELIST_CDM is built
 * @order: its default fallback order, which holds no CDM node but @local;
 *	MAX_NUMNODES entries
 * @nr: number of nodes in @order
 *
 * Inserts every other CDM node with memory into @order, nearest first:
 * after the nodes at the same or a smaller distance from @local. The
 * ordinary nodes keep their order, so a request naming ordinary and CDM
 * nodes fills the nearest first, as it would if the CDM nodes were
 * ordinary CPU-less nodes.
 * Return: the number of nodes now in @order.
 */
int cdm_zonelist_order(int local, int *order, int nr)
{
	int n, i, pos;

	for_each_node_state(n, N_COHERENT_DEVICE) {
		if (n == local || !node_state(n, N_MEMORY))
			continue;
		for (pos = 0; pos < nr; pos++)
			if (node_distance(local, order[pos]) >
			    node_distance(local, n))
				break;
		for (i = nr; i > pos; i--)
			order[i] = order[i - 1];
		order[pos] = n;
		nr++;
	}
	return nr;
}

/*
 * cdm_default_memory_nodes - the nodes with memory that default
 * allocations may use: N_MEMORY without the CDM nodes. Fills @mask and
 * returns it, for callers that spread allocations over "all nodes".
 */
nodemask_t *cdm_default_memory_nodes(nodemask_t *mask)
{
	nodes_andnot(*mask, node_states[N_MEMORY],
		     node_states[N_COHERENT_DEVICE]);
	return mask;
}

/* Sum of a zone counter, or of managed pages (@item < 0), over @nodes */
static unsigned long cdm_nodes_pages(const nodemask_t *nodes, int item)
{
	unsigned long pages = 0;
	struct zone *zone;
	int nid;

	for_each_node_mask(nid, *nodes) {
		if (!node_state(nid, N_MEMORY))
			continue;
		for (zone = NODE_DATA(nid)->node_zones;
		     zone < NODE_DATA(nid)->node_zones + MAX_NR_ZONES; zone++)
			pages += item < 0 ? zone_managed_pages(zone) :
				 zone_page_state(zone, item);
	}
	return pages;
}

/*
 * cdm_ram_pages - memory of coherent device memory nodes outside hugetlb
 * pools
 *
 * Strict overcommit (vm_commit_limit()) promises default allocations only
 * memory they can get: it leaves this out of totalram_pages(), besides
 * hugetlb_total_pages(), which counts the CDM nodes' pools already.
 */
unsigned long cdm_ram_pages(void)
{
	unsigned long pages;
	int nid __maybe_unused;
	struct hstate *h __maybe_unused;

	if (!static_branch_unlikely(&cdm_nodes_present))
		return 0;
	pages = cdm_nodes_pages(&node_states[N_COHERENT_DEVICE], -1);
#ifdef CONFIG_HUGETLB_PAGE
	for_each_hstate(h)
		for_each_node_state(nid, N_COHERENT_DEVICE)
			pages -= min(pages, (unsigned long)h->nr_huge_pages_node[nid] <<
					    huge_page_order(h));
#endif
	return pages;
}

/*
 * cdm_free_pages - free pages on coherent device memory nodes
 *
 * Page cache and other default allocations cannot use them, so the dirty
 * limits (global_dirtyable_memory()) leave them out. A patched-out branch
 * while no CDM node exists.
 */
unsigned long cdm_free_pages(void)
{
	if (!static_branch_unlikely(&cdm_nodes_present))
		return 0;
	return cdm_nodes_pages(&node_states[N_COHERENT_DEVICE], NR_FREE_PAGES);
}

/*
 * cdm_vma_policy_named - the memory policy of @vma at @addr names a CDM
 * node: the range asked for device memory, so a huge page collapse may
 * put it there like on any node (khugepaged), not only when every page
 * already is.
 */
bool cdm_vma_policy_named(struct vm_area_struct *vma, unsigned long addr)
{
	struct mempolicy *pol;
	pgoff_t ilx;
	bool named;

	if (!static_branch_unlikely(&cdm_nodes_present))
		return false;
	pol = get_vma_policy(vma, addr, 0, &ilx);
	named = cdm_nodes_gfp(&pol->nodes);
	mpol_cond_put(pol);
	return named;
}

bool __cdm_collapse_excluded(int nid, const u32 *node_load)
{
	int n;

	if (!node_is_cdm(nid))
		return false;
	for_each_online_node(n)
		if (n != nid && node_load[n])
			return true;
	return !node_load[nid];
}

#ifdef CONFIG_MEMORY_HOTREMOVE
/*
 * Device memory hot-added as a CDM node.
 *
 * The node is marked before its first memory comes online, so the
 * zonelists rebuilt then already leave it out of everybody's fallback.
 * Its memory goes to ZONE_MOVABLE: nothing the kernel cannot migrate
 * lands there, so the driver can always get the memory back by
 * migrating what is in use to the ordinary nodes. Each range added is a
 * memory group of its own, and the node gets the memory tier its
 * HMAT/CDAT performance data calls for, as dax/kmem does.
 */
static DEFINE_MUTEX(cdm_hotplug_lock);
static nodemask_t cdm_boot_nodes;	/* marked by cdm_nodes=, stay marked */

/* A range added by cdm_add_memory(), under cdm_hotplug_lock */
struct cdm_range {
	struct list_head list;
	int nid;
	u64 start;
	u64 size;
	int mgid;			/* its memory group */
};

static LIST_HEAD(cdm_ranges);
static LIST_HEAD(cdm_memory_types);
static struct memory_dev_type *cdm_node_memory_type[MAX_NUMNODES];

/* Tier of device memory whose performance firmware does not report */
#define CDM_DEFAULT_ADISTANCE	(MEMTIER_ADISTANCE_DRAM * 5)

/*
 * Give @nid the memory tier of its performance (HMAT or CXL CDAT): CXL
 * memory is a slower tier than DRAM, not part of it.
 */
static int cdm_init_memory_type(int nid)
{
	int adist = CDM_DEFAULT_ADISTANCE;
	struct memory_dev_type *mtype;

	mt_calc_adistance(nid, &adist);
	mtype = mt_find_alloc_memory_type(adist, &cdm_memory_types);
	if (IS_ERR(mtype))
		return PTR_ERR(mtype);
	init_node_memory_type(nid, mtype);
	cdm_node_memory_type[nid] = mtype;
	return 0;
}

static void cdm_clear_memory_type(int nid)
{
	if (!cdm_node_memory_type[nid])
		return;
	clear_node_memory_type(nid, cdm_node_memory_type[nid]);
	cdm_node_memory_type[nid] = NULL;
}

static struct cdm_range *cdm_find_range(int nid, u64 start, u64 size)
{
	struct cdm_range *range;

	list_for_each_entry(range, &cdm_ranges, list)
		if (range->nid == nid && range->start == start &&
		    range->size == size)
			return range;
	return NULL;
}

/* add_memory_resource() does not say whether onlining worked: check it */
static int cdm_block_online_movable(struct memory_block *mem, void *arg)
{
	if (mem->state == MEM_ONLINE)
		return zone_idx(mem->zone) == ZONE_MOVABLE ? 0 : -EINVAL;
	mem->online_type = MMOP_ONLINE_MOVABLE;
	return device_online(&mem->dev);
}

static int cdm_check_range(int nid, u64 start, u64 size)
{
	u64 block = memory_block_size_bytes();

	if (nid < 0 || nid >= MAX_NUMNODES || !node_possible(nid)) {
		pr_err("node %d does not exist\n", nid);
		return -EINVAL;
	}
	if (!size || !IS_ALIGNED(start, block) || !IS_ALIGNED(size, block) ||
	    start + size < start) {
		pr_err("node %d: range %#llx+%#llx is not made of %#llx-byte memory blocks\n",
		       nid, start, size, block);
		return -EINVAL;
	}
	return 0;
}

/* Offlining in a kthread of its own, which can be told to give up */
struct cdm_offline {
	struct completion done;
	u64 start;
	u64 size;
	int err;
};

static int cdm_offline_fn(void *data)
{
	struct cdm_offline *off = data;

	/* offline_pages() gives up with -EINTR once a signal is pending */
	allow_signal(SIGKILL);
	off->err = offline_and_remove_memory(off->start, off->size);
	complete(&off->done);
	return 0;
}

/* Undoing an add whose onlining failed: nothing is in use yet */
#define CDM_UNDO_TIMEOUT_MS	10000

/*
 * Offline and remove @range, migrating what is in use. offline_pages()
 * retries a page that does not migrate until a signal arrives, and a
 * driver's remove() in a kworker never gets one: so the offlining runs in
 * a kthread that is sent SIGKILL after @timeout_ms, or as soon as the
 * caller gets a fatal signal. Memory that was offlined by then is onlined
 * again by offline_and_remove_memory(), so the range stays whole.
 */
static int cdm_remove_range(struct cdm_range *range, unsigned int timeout_ms)
{
	struct cdm_offline off = {
		.start = range->start,
		.size = range->size,
	};
	struct task_struct *task;
	int nid = range->nid;
	long left;

	init_completion(&off.done);
	task = kthread_create(cdm_offline_fn, &off, "cdm_remove/%d", nid);
	if (IS_ERR(task))
		return PTR_ERR(task);
	get_task_struct(task);
	wake_up_process(task);
	left = wait_for_completion_killable_timeout(&off.done,
						    msecs_to_jiffies(timeout_ms));
	if (left <= 0) {
		send_sig(SIGKILL, task, 1);
		wait_for_completion(&off.done);
	}
	put_task_struct(task);

	if (off.err == -EINTR) {
		if (left < 0) {
			pr_err("node %d: removing %#llx+%#llx interrupted, the memory stays online\n",
			       nid, range->start, range->size);
			return -EINTR;
		}
		pr_err("node %d: removing %#llx+%#llx gave up after %u ms: pages in use did not migrate, the memory stays online\n",
		       nid, range->start, range->size, timeout_ms);
		return -EBUSY;
	}
	if (off.err) {
		pr_err("node %d: removing %#llx+%#llx failed: %d\n",
		       nid, range->start, range->size, off.err);
		return off.err;
	}

	list_del(&range->list);
	memory_group_unregister(range->mgid);
	kfree(range);
	lock_device_hotplug();
	if (!node_state(nid, N_MEMORY)) {
		cdm_clear_memory_type(nid);
		if (!node_isset(nid, cdm_boot_nodes))
			node_clear_state(nid, N_COHERENT_DEVICE);
	}
	unlock_device_hotplug();
	return 0;
}

/*
 * Under the device hotplug lock, which onlining through sysfs takes too:
 * the checks of @nid's CPUs and memory hold until the range is online.
 */
static int cdm_add_range(struct cdm_range *range, const char *resource_name)
{
	int nid = range->nid;
	bool marked = false, first;
	int err;

	if (!node_is_cdm(nid)) {
		if (node_state(nid, N_CPU)) {
			pr_err("node %d has CPUs: not a device memory node\n", nid);
			return -EINVAL;
		}
		if (node_state(nid, N_MEMORY)) {
			pr_err("node %d already has ordinary memory\n", nid);
			return -EINVAL;
		}
	}
	first = !node_state(nid, N_MEMORY);
	if (first) {
		err = cdm_init_memory_type(nid);
		if (err) {
			pr_err("node %d: no memory tier: %d\n", nid, err);
			return err;
		}
	}
	if (!node_is_cdm(nid)) {
		node_set_state(nid, N_COHERENT_DEVICE);
		static_branch_enable(&cdm_nodes_present);
		marked = true;
	}

	/* Online at once: never offline and visible to auto-online or udev */
	err = __add_memory_driver_managed(range->mgid, range->start,
					  range->size, resource_name,
					  MHP_NID_IS_MGID | MHP_ONLINE_MOVABLE);
	if (err) {
		pr_err("node %d: adding %#llx+%#llx failed: %d\n",
		       nid, range->start, range->size, err);
		if (first)
			cdm_clear_memory_type(nid);
		if (marked)
			node_clear_state(nid, N_COHERENT_DEVICE);
	}
	return err;
}

/**
 * cdm_add_memory - hot-add device memory as a coherent device memory node
 * @nid: the node the device memory belongs to; it must have no CPUs and no
 *	memory other than coherent device memory
 * @start: physical start address, aligned to memory_block_size_bytes()
 * @size: size in bytes, a multiple of memory_block_size_bytes()
 * @resource_name: "System RAM ($DRIVER)", shown in /proc/iomem
 *
 * Marks @nid as N_COHERENT_DEVICE, gives it the memory tier its HMAT or
 * CDAT performance calls for when this is its first memory, and adds the
 * range as driver-managed system RAM in a memory group of its own,
 * onlined to ZONE_MOVABLE before anybody else can online it: whatever
 * the auto-online policy or udev rules say, no memory block of it is ever
 * in a kernel zone, so the node's kswapd and kcompactd stacks and any
 * other kernel memory stay on the ordinary nodes.
 * Context: process context, may sleep; takes the device hotplug lock.
 * Return: 0, or -EINVAL for a bad node or range, -EEXIST when the range
 * is already in use, another negative errno from memory hotplug. On
 * error nothing stays added, unless onlining failed and offlining again
 * failed too: the range then stays for cdm_remove_memory().
 */
int cdm_add_memory(int nid, u64 start, u64 size, const char *resource_name)
{
	struct cdm_range *range;
	int err;

	err = cdm_check_range(nid, start, size);
	if (err)
		return err;

	guard(mutex)(&cdm_hotplug_lock);
	range = kzalloc(sizeof(*range), GFP_KERNEL);
	if (!range)
		return -ENOMEM;
	range->nid = nid;
	range->start = start;
	range->size = size;
	err = memory_group_register_static(nid, PFN_UP(size));
	if (err < 0) {
		pr_err("node %d: no memory group for %#llx+%#llx: %d\n",
		       nid, start, size, err);
		goto free;
	}
	range->mgid = err;

	lock_device_hotplug();
	err = cdm_add_range(range, resource_name);
	if (err) {
		unlock_device_hotplug();
		goto unregister;
	}
	list_add(&range->list, &cdm_ranges);
	err = walk_memory_blocks(start, size, NULL, cdm_block_online_movable);
	unlock_device_hotplug();
	if (err) {
		pr_err("node %d: onlining %#llx+%#llx failed: %d\n",
		       nid, start, size, err);
		/* On failure it stays added, for cdm_remove_memory() */
		cdm_remove_range(range, CDM_UNDO_TIMEOUT_MS);
		return err;
	}
	pr_info("node %d: %llu MiB of device memory online\n", nid, size >> 20);
	return 0;

unregister:
	memory_group_unregister(range->mgid);
free:
	kfree(range);
	return err;
}
EXPORT_SYMBOL_GPL(cdm_add_memory);

/* Base pages held by free huge pages of @nid */
static unsigned long cdm_free_huge_pages(int nid)
{
	unsigned long pages = 0;
#ifdef CONFIG_HUGETLB_PAGE
	struct hstate *h;

	for_each_hstate(h)
		pages += (unsigned long)h->free_huge_pages_node[nid] <<
			 huge_page_order(h);
#endif
	return pages;
}

/*
 * Pages reclaim could free in @zone. Not zone_reclaimable_pages(): since
 * 6.12.y it answers with the free pages when nothing is reclaimable, which
 * would count them twice here.
 */
static unsigned long cdm_zone_reclaimable(struct zone *zone)
{
	unsigned long nr = zone_page_state_snapshot(zone, NR_ZONE_INACTIVE_FILE) +
			   zone_page_state_snapshot(zone, NR_ZONE_ACTIVE_FILE);

	if (get_nr_swap_pages() > 0)
		nr += zone_page_state_snapshot(zone, NR_ZONE_INACTIVE_ANON) +
		      zone_page_state_snapshot(zone, NR_ZONE_ACTIVE_ANON);
	return nr;
}

/*
 * Pages that offlining would have to migrate out of @nid, and room for
 * them on the ordinary nodes (free above the high watermark and the
 * lowmem reserve that protects a zone from movable allocations, plus what
 * reclaim can free). Free huge pages are dissolved, not migrated. The
 * estimate is conservative for a node made of several ranges: every page
 * in use on the node counts.
 */
static bool cdm_room_elsewhere(int nid, unsigned long *used,
			       unsigned long *room)
{
	struct zone *zone = &NODE_DATA(nid)->node_zones[ZONE_MOVABLE];
	unsigned long free_huge = cdm_free_huge_pages(nid);
	nodemask_t nodes;
	int n;

	*used = zone_managed_pages(zone) - zone_page_state(zone, NR_FREE_PAGES);
	*used -= min(*used, free_huge);
	*room = 0;
	for_each_node_mask(n, *cdm_default_memory_nodes(&nodes)) {
		for (zone = NODE_DATA(n)->node_zones;
		     zone < NODE_DATA(n)->node_zones + MAX_NR_ZONES; zone++) {
			unsigned long free, keep;

			if (!populated_zone(zone))
				continue;
			/* what the allocator keeps back from a movable page */
			keep = high_wmark_pages(zone) +
			       zone->lowmem_reserve[ZONE_MOVABLE];
			free = zone_page_state(zone, NR_FREE_PAGES);
			if (free > keep)
				*room += free - keep;
			*room += cdm_zone_reclaimable(zone);
		}
	}
	return *used <= *room;
}

/**
 * cdm_remove_memory - take back device memory added by cdm_add_memory()
 * @nid: the node it was added to
 * @start: physical start address, as passed to cdm_add_memory()
 * @size: size in bytes, as passed to cdm_add_memory()
 * @timeout_ms: how long migrating the pages in use may take
 *
 * Offlines the range, migrating pages in use to the ordinary nodes, and
 * removes it with its memory group. A node left without memory loses its
 * memory tier and stops being a CDM node unless cdm_nodes= named it.
 * Refuses at once when the pages in use do not fit into the ordinary
 * nodes; gives up after @timeout_ms when they fit but some do not migrate
 * (pinned, or held by the kernel). Either way the range stays online
 * with its contents, as before the call.
 * Context: process context, may sleep up to @timeout_ms; a fatal signal
 * ends the wait. Safe in a kworker, which gets no signals.
 * Return: 0, -EINVAL for a bad node or a range that is not one that
 * cdm_add_memory() added to @nid, -EBUSY when the pages in use do not fit
 * elsewhere or did not migrate within @timeout_ms, -EINTR on a fatal
 * signal, another negative errno from memory hotplug.
 */
int cdm_remove_memory(int nid, u64 start, u64 size, unsigned int timeout_ms)
{
	unsigned long used, room;
	struct cdm_range *range;
	int err;

	err = cdm_check_range(nid, start, size);
	if (err)
		return err;

	guard(mutex)(&cdm_hotplug_lock);
	if (!node_is_cdm(nid)) {
		pr_err("node %d is not a coherent device memory node\n", nid);
		return -EINVAL;
	}
	range = cdm_find_range(nid, start, size);
	if (!range) {
		pr_err("node %d: range %#llx+%#llx is not one cdm_add_memory() added to this node\n",
		       nid, start, size);
		return -EINVAL;
	}
	if (!cdm_room_elsewhere(nid, &used, &room)) {
		pr_err("node %d: %lu MiB in use, room for %lu MiB on the other nodes\n",
		       nid, used >> (20 - PAGE_SHIFT), room >> (20 - PAGE_SHIFT));
		return -EBUSY;
	}
	err = cdm_remove_range(range, timeout_ms);
	if (err)
		return err;
	pr_info("node %d: %llu MiB of device memory removed, %lu MiB in use moved (room for %lu MiB)\n",
		nid, size >> 20, used >> (20 - PAGE_SHIFT), room >> (20 - PAGE_SHIFT));
	return 0;
}
EXPORT_SYMBOL_GPL(cdm_remove_memory);
#endif /* CONFIG_MEMORY_HOTREMOVE */

/*
 * Copy offload.
 *
 * migrate_pages_batch() unmaps a batch of folios, flushes the TLBs once
 * and then moves the folios one by one, each with a CPU copy. A copy
 * engine (DMA channels of the device holding the memory) can copy the
 * batch at once instead. __cdm_copy_batch() offers it the folios whose
 * references are final (migrate_folio_copy_offloadable()), so that no
 * writer can change a source after it was copied, in runs from one node
 * to another, each to the engine registered for either node:
 *
 *	unmap 512 folios, flush TLBs, keep those with final references
 *	cdm_copy_folios():  engine->copy(batch of 512) returns 384
 *	                    dst[0..383] marked PAGE_CONTENT_COPIED
 *	move each folio:    __migrate_folio() skips the copy for marked
 *	                    folios, copies dst[384..511] itself (fallbacks)
 *
 * One engine per node: engines serve disjoint node sets. Unregistering
 * waits for the copies in flight. The counters are per CPU, summed when
 * read from /sys/kernel/mm/cdm/.
 */
DEFINE_STATIC_KEY_FALSE(cdm_copy_engine_present);
static DEFINE_MUTEX(cdm_engine_lock);
DEFINE_STATIC_SRCU(cdm_engine_srcu);
static LIST_HEAD(cdm_engines);

struct cdm_copy_stats {
	unsigned long engine_copied;	/* folios an engine copied */
	unsigned long cpu_copied;	/* folios of the batches the CPU copied */
	unsigned long fallback;		/* an engine failed them, CPU copied */
	unsigned long declined;		/* an engine declined them */
};

static DEFINE_PER_CPU(struct cdm_copy_stats, cdm_copy_stats);

/**
 * cdm_register_copy_engine - let an engine copy migrations of its nodes
 * @engine: the engine; @engine->nodes names the nodes it serves: it is
 *	offered every batch of folios migrating from or to one of them
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL for an engine without a name, copy function or
 * nodes, or with nodes that do not exist, -EBUSY when another engine
 * already serves one of its nodes.
 */
int cdm_register_copy_engine(struct cdm_copy_engine *engine)
{
	struct cdm_copy_engine *other;

	if (!engine || !engine->name || !engine->copy ||
	    nodes_empty(engine->nodes) ||
	    !nodes_subset(engine->nodes, node_possible_map))
		return -EINVAL;

	guard(mutex)(&cdm_engine_lock);
	list_for_each_entry(other, &cdm_engines, list) {
		if (nodes_intersects(other->nodes, engine->nodes)) {
			pr_err("copy engine %s: nodes %*pbl overlap those of %s\n",
			       engine->name, nodemask_pr_args(&engine->nodes),
			       other->name);
			return -EBUSY;
		}
	}
	list_add_tail_rcu(&engine->list, &cdm_engines);
	static_branch_enable(&cdm_copy_engine_present);
	pr_info("copy engine %s registered for nodes %*pbl\n", engine->name,
		nodemask_pr_args(&engine->nodes));
	return 0;
}
EXPORT_SYMBOL_GPL(cdm_register_copy_engine);

/**
 * cdm_unregister_copy_engine - stop offering migrations to an engine
 * @engine: an engine registered with cdm_register_copy_engine()
 *
 * Returns once no copy of the engine is in flight any more.
 * Context: process context, may sleep.
 */
void cdm_unregister_copy_engine(struct cdm_copy_engine *engine)
{
	guard(mutex)(&cdm_engine_lock);
	list_del_rcu(&engine->list);
	if (list_empty(&cdm_engines))
		static_branch_disable(&cdm_copy_engine_present);
	synchronize_srcu(&cdm_engine_srcu);
	pr_info("copy engine %s unregistered\n", engine->name);
}
EXPORT_SYMBOL_GPL(cdm_unregister_copy_engine);

static struct cdm_copy_engine *cdm_copy_engine_for(int src_nid, int dst_nid)
{
	struct cdm_copy_engine *engine;

	list_for_each_entry_srcu(engine, &cdm_engines, list,
				 srcu_read_lock_held(&cdm_engine_srcu))
		if (node_isset(src_nid, engine->nodes) ||
		    node_isset(dst_nid, engine->nodes))
			return engine;
	return NULL;
}

/*
 * In MIGRATE_ASYNC an engine must not sleep: reclaim and compaction
 * migrate with many folio locks held. Debug kernels call it with
 * preemption off there, so that an engine that sleeps is reported
 * ("sleeping function called from invalid context") where it does.
 */
static int cdm_engine_copy(struct cdm_copy_engine *engine,
			   const struct cdm_copy_batch *batch)
{
	bool atomic = IS_ENABLED(CONFIG_DEBUG_ATOMIC_SLEEP) &&
		      batch->mode == MIGRATE_ASYNC;
	int ret;

	if (atomic)
		preempt_disable();
	ret = engine->copy(engine, batch);
	if (atomic)
		preempt_enable();
	return ret;
}

/*
 * Hand @nr folios to the engines, in runs from one node to another, and
 * mark each destination an engine copied (migrate_folio_mark_copied()).
 * Counts @total folios: the batch, with those not offered.
 */
static void cdm_copy_folios(struct folio **dst, struct folio **src,
			    unsigned int nr, unsigned int total,
			    enum migrate_mode mode, int reason)
{
	unsigned long copied = 0, fallback = 0, declined = 0;
	unsigned int start, end, i;
	int idx;

	idx = srcu_read_lock(&cdm_engine_srcu);
	for (start = 0; start < nr; start = end) {
		struct cdm_copy_batch batch = {
			.dst = dst + start,
			.src = src + start,
			.src_nid = folio_nid(src[start]),
			.dst_nid = folio_nid(dst[start]),
			.mode = mode,
			.reason = reason,
		};
		struct cdm_copy_engine *engine;
		int ret;

		for (end = start + 1; end < nr; end++)
			if (folio_nid(src[end]) != batch.src_nid ||
			    folio_nid(dst[end]) != batch.dst_nid)
				break;
		batch.nr = end - start;
		engine = cdm_copy_engine_for(batch.src_nid, batch.dst_nid);
		if (!engine)
			continue;
		ret = cdm_engine_copy(engine, &batch);
		if (ret == -EOPNOTSUPP) {
			declined += batch.nr;
			continue;
		}
		if (WARN_ONCE(ret > (int)batch.nr,
			      "copy engine %s copied %d of %u folios\n",
			      engine->name, ret, batch.nr) || ret < 0)
			ret = 0;
		for (i = 0; i < ret; i++)
			migrate_folio_mark_copied(batch.dst[i]);
		copied += ret;
		fallback += batch.nr - ret;
	}
	srcu_read_unlock(&cdm_engine_srcu, idx);

	this_cpu_add(cdm_copy_stats.engine_copied, copied);
	this_cpu_add(cdm_copy_stats.cpu_copied, total - copied);
	this_cpu_add(cdm_copy_stats.fallback, fallback);
	this_cpu_add(cdm_copy_stats.declined, declined);
}

void __cdm_copy_batch(struct list_head *src_folios,
		      struct list_head *dst_folios, enum migrate_mode mode,
		      int reason)
{
	unsigned int total = list_count_nodes(src_folios), nr = 0;
	struct folio **src, **dst, *s, *d;

	if (!total)
		return;
	/* Demotion migrates from reclaim: do not recurse into it */
	src = kmalloc_array(2 * total, sizeof(*src), GFP_NOWAIT | __GFP_NOWARN);
	if (!src) {
		this_cpu_add(cdm_copy_stats.cpu_copied, total);
		return;
	}
	dst = src + total;
	d = list_first_entry(dst_folios, struct folio, lru);
	list_for_each_entry(s, src_folios, lru) {
		if (migrate_folio_copy_offloadable(s)) {
			src[nr] = s;
			dst[nr++] = d;
		}
		d = list_next_entry(d, lru);
	}
	/* Order the reference count checks before the copy (put_page()) */
	smp_rmb();
	cdm_copy_folios(dst, src, nr, total, mode, reason);
	kfree(src);
}

static ssize_t copy_engines_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	struct cdm_copy_engine *engine;
	int len = 0;

	guard(mutex)(&cdm_engine_lock);
	list_for_each_entry(engine, &cdm_engines, list)
		len += sysfs_emit_at(buf, len, "%s %*pbl\n", engine->name,
				     nodemask_pr_args(&engine->nodes));
	return len;
}

static struct kobj_attribute copy_engines_attr = __ATTR_RO(copy_engines);

#define CDM_COUNTER_ATTR(_name, _field)					\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	unsigned long sum = 0;						\
	int cpu;							\
									\
	for_each_possible_cpu(cpu)					\
		sum += per_cpu(cdm_copy_stats, cpu)._field;		\
	return sysfs_emit(buf, "%lu\n", sum);				\
}									\
static struct kobj_attribute _name##_attr = __ATTR_RO(_name)

CDM_COUNTER_ATTR(engine_copied_folios, engine_copied);
CDM_COUNTER_ATTR(cpu_copied_folios, cpu_copied);
CDM_COUNTER_ATTR(fallback_folios, fallback);
CDM_COUNTER_ATTR(declined_folios, declined);

/*
 * MemTotal counts coherent device memory too; these split it into what
 * default allocations may use and what only explicit requests reach.
 */
static ssize_t default_memory_kb_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	nodemask_t nodes;

	return sysfs_emit(buf, "%lu\n",
			  cdm_nodes_pages(cdm_default_memory_nodes(&nodes), -1) <<
			  (PAGE_SHIFT - 10));
}

static struct kobj_attribute default_memory_kb_attr =
	__ATTR_RO(default_memory_kb);

static ssize_t device_memory_kb_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n",
			  cdm_nodes_pages(&node_states[N_COHERENT_DEVICE], -1) <<
			  (PAGE_SHIFT - 10));
}

static struct kobj_attribute device_memory_kb_attr =
	__ATTR_RO(device_memory_kb);

static struct attribute *cdm_attrs[] = {
	&default_memory_kb_attr.attr,
	&device_memory_kb_attr.attr,
	&copy_engines_attr.attr,
	&engine_copied_folios_attr.attr,
	&cpu_copied_folios_attr.attr,
	&fallback_folios_attr.attr,
	&declined_folios_attr.attr,
	NULL,
};

static const struct attribute_group cdm_attr_group = {
	.attrs = cdm_attrs,
};

/* /sys/kernel/mm/cdm: mm_kobj exists from postcore_initcall on */
static int __init cdm_sysfs_init(void)
{
	struct kobject *kobj = kobject_create_and_add("cdm", mm_kobj);
	int err;

	if (!kobj)
		return -ENOMEM;
	err = sysfs_create_group(kobj, &cdm_attr_group);
	if (err)
		kobject_put(kobj);
	return err;
}
subsys_initcall(cdm_sysfs_init);

/*
 * cdm_nodes=<nodelist>: mark nodes as coherent device memory before the
 * first zonelists are built. The nodes may still be memoryless: memory a
 * driver hot-adds to them later is isolated when it comes online.
 */
static int __init cdm_nodes_setup(char *str)
{
	nodemask_t nodes;
	int nid;

	if (!str || !*str || nodelist_parse(str, nodes)) {
		pr_err("cdm_nodes=%s: not a node list\n", str ? str : "");
		return -EINVAL;
	}
	/* Which nodes exist is known only later; cdm_init() checks. */
	for_each_node_mask(nid, nodes)
		node_set_state(nid, N_COHERENT_DEVICE);
#ifdef CONFIG_MEMORY_HOTREMOVE
	cdm_boot_nodes = nodes;
#endif
	return 0;
}
early_param("cdm_nodes", cdm_nodes_setup);

static int __init cdm_init(void)
{
	int nid;

	for_each_node_state(nid, N_COHERENT_DEVICE) {
		if (!node_possible(nid)) {
			pr_err("cdm_nodes: node %d does not exist\n", nid);
			node_clear_state(nid, N_COHERENT_DEVICE);
			continue;
		}
		/*
		 * A CDM node with CPUs still serves its own CPUs first (the
		 * local node heads every zonelist); only fallback into it
		 * is prevented.
		 */
		if (node_state(nid, N_CPU))
			pr_warn("node %d has CPUs; only other nodes' fallback into it is prevented\n",
				nid);
	}
	if (nodes_empty(node_states[N_COHERENT_DEVICE]))
		return 0;
	static_branch_enable(&cdm_nodes_present);
	pr_info("coherent device memory nodes: %*pbl\n",
		nodemask_pr_args(&node_states[N_COHERENT_DEVICE]));
	return 0;
}
core_initcall(cdm_init);
