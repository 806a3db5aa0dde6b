/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Coherent device memory (CDM) nodes: NUMA nodes without CPUs whose memory
 * sits on a device and is reached only by explicit request.
 * See mm/cdm.c.
 */
#ifndef _LINUX_CDM_H
#define _LINUX_CDM_H

#include <linux/errno.h>
#include <linux/jump_label.h>
#include <linux/nodemask.h>
#include <linux/types.h>

#include <linux/list.h>
#include <linux/migrate_mode.h>

struct folio;

/**
 * struct cdm_copy_batch - folios of one migration batch for a copy engine
 * @dst: destination folios
 * @src: source folios, unmapped, TLBs flushed; nobody but migration
 *	holds a reference, so their contents no longer change
 * @nr: number of folios; @dst[i] and @src[i] are of equal size
 * @src_nid: the node every source folio is on
 * @dst_nid: the node every destination folio is on
 * @mode: the migration mode; in MIGRATE_ASYNC the engine must not sleep
 *	(reclaim and compaction migrate with many folio locks held)
 * @reason: why the folios move (enum migrate_reason), e.g. to decline
 *	compaction
 */
struct cdm_copy_batch {
	struct folio **dst;
	struct folio **src;
	unsigned int nr;
	int src_nid;
	int dst_nid;
	enum migrate_mode mode;
	int reason;
};

/**
 * struct cdm_copy_engine - copies folio contents for page migration, e.g.
 *	with the DMA channels of a device (see cdm_register_copy_engine())
 * @name: shown in /sys/kernel/mm/cdm/copy_engines
 * @nodes: the engine serves migrations from or to these nodes
 * @copy: copy @batch->src[i] to @batch->dst[i] for i < @batch->nr.
 *	Returns how many of them, from the first, were copied; the CPU
 *	copies the others (counted as fallbacks). -EOPNOTSUPP declines the
 *	batch (counted as declined), any other negative errno means nothing
 *	was copied. May sleep unless @batch->mode is MIGRATE_ASYNC.
 * @list: private to mm/cdm.c
 */
struct cdm_copy_engine {
	const char *name;
	nodemask_t nodes;
	int (*copy)(struct cdm_copy_engine *engine,
		    const struct cdm_copy_batch *batch);
	struct list_head list;
};

#ifdef CONFIG_COHERENT_DEVICE_MEMORY
DECLARE_STATIC_KEY_FALSE(cdm_nodes_present);

int cdm_register_copy_engine(struct cdm_copy_engine *engine);
void cdm_unregister_copy_engine(struct cdm_copy_engine *engine);

static inline bool node_is_cdm(int nid)
{
	return node_state(nid, N_COHERENT_DEVICE);
}

nodemask_t *cdm_default_memory_nodes(nodemask_t *mask);

bool __cdm_collapse_excluded(int nid, const u32 *node_load);

/*
 * cdm_collapse_excluded - keep a huge page collapse off a CDM node
 * @nid: candidate node for the collapsed huge page
 * @node_load: pages of the range found on each node (MAX_NUMNODES)
 *
 * True when @nid is a CDM node that does not already hold every page of
 * the range: the collapse would pull the others into device memory.
 */
static inline bool cdm_collapse_excluded(int nid, const u32 *node_load)
{
	if (static_branch_unlikely(&cdm_nodes_present))
		return __cdm_collapse_excluded(nid, node_load);
	return false;
}
#endif /* CONFIG_COHERENT_DEVICE_MEMORY */

#if defined(CONFIG_COHERENT_DEVICE_MEMORY) && defined(CONFIG_MEMORY_HOTREMOVE)
int cdm_add_memory(int nid, u64 start, u64 size, const char *resource_name);
int cdm_remove_memory(int nid, u64 start, u64 size, unsigned int timeout_ms);
#else
static inline int cdm_add_memory(int nid, u64 start, u64 size,
				 const char *resource_name)
{
	return -EOPNOTSUPP;
}

static inline int cdm_remove_memory(int nid, u64 start, u64 size,
				    unsigned int timeout_ms)
{
	return -EOPNOTSUPP;
}
#endif

#ifndef CONFIG_COHERENT_DEVICE_MEMORY
static inline int cdm_register_copy_engine(struct cdm_copy_engine *engine)
{
	return -EOPNOTSUPP;
}

static inline void cdm_unregister_copy_engine(struct cdm_copy_engine *engine)
{
}

static inline bool node_is_cdm(int nid)
{
	return false;
}

static inline nodemask_t *cdm_default_memory_nodes(nodemask_t *mask)
{
	return &node_states[N_MEMORY];
}

static inline bool cdm_collapse_excluded(int nid, const u32 *node_load)
{
	return false;
}
#endif /* CONFIG_COHERENT_DEVICE_MEMORY */

#endif /* _LINUX_CDM_H */
