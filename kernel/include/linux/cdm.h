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

struct folio;
struct list_head;

/**
 * struct cdm_copy_engine - copies the contents of unmapped folios for
 *	page migration, e.g. with DMA (see cdm_register_copy_engine())
 * @name: shown in /sys/kernel/mm/cdm/copy_engine
 * @copy: copy @src[i] to @dst[i] for i < @nr, folios of equal size.
 *	Returns how many of them, from the first, were copied; the CPU
 *	copies the others (counted as fallbacks). -EOPNOTSUPP declines the
 *	batch, any other negative errno means nothing was copied. May sleep.
 */
struct cdm_copy_engine {
	const char *name;
	int (*copy)(struct cdm_copy_engine *engine, struct folio **dst,
		    struct folio **src, unsigned int nr);
};

#ifdef CONFIG_COHERENT_DEVICE_MEMORY
DECLARE_STATIC_KEY_FALSE(cdm_nodes_present);
DECLARE_STATIC_KEY_FALSE(cdm_copy_engine_present);

int cdm_register_copy_engine(struct cdm_copy_engine *engine);
void cdm_unregister_copy_engine(struct cdm_copy_engine *engine);
void __cdm_copy_batch(struct list_head *src_folios,
		      struct list_head *dst_folios);

/*
 * cdm_copy_batch - let the registered copy engine copy a migration batch
 * @src_folios: unmapped folios, TLBs flushed
 * @dst_folios: their destinations, in the same order
 */
static inline void cdm_copy_batch(struct list_head *src_folios,
				  struct list_head *dst_folios)
{
	if (static_branch_unlikely(&cdm_copy_engine_present))
		__cdm_copy_batch(src_folios, dst_folios);
}

/* mm/migrate.c */
bool migrate_folio_copy_offloadable(struct folio *src);
void migrate_folio_mark_copied(struct folio *dst);

static inline bool node_is_cdm(int nid)
{
	return node_state(nid, N_COHERENT_DEVICE);
}

int __cdm_policy_node(int nid, const nodemask_t *nodes);

/*
 * cdm_policy_node - node whose zonelist serves a policy allocation
 * @nid: the node the allocation would start from (usually the local one)
 * @nodes: the nodes the memory policy allows
 *
 * A CDM node is in no other node's zonelist, so an allocation that
 * starts from @nid can never reach a CDM node in @nodes. Returns the
 * CDM node of @nodes nearest to @nid when there is one, else @nid.
 * Costs a patched-out branch while no CDM node exists.
 */
static inline int cdm_policy_node(int nid, const nodemask_t *nodes)
{
	if (static_branch_unlikely(&cdm_nodes_present))
		return __cdm_policy_node(nid, nodes);
	return nid;
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
int cdm_remove_memory(int nid, u64 start, u64 size);
#else
static inline int cdm_add_memory(int nid, u64 start, u64 size,
				 const char *resource_name)
{
	return -EOPNOTSUPP;
}

static inline int cdm_remove_memory(int nid, u64 start, u64 size)
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

static inline void cdm_copy_batch(struct list_head *src_folios,
				  struct list_head *dst_folios)
{
}

static inline bool node_is_cdm(int nid)
{
	return false;
}

static inline int cdm_policy_node(int nid, const nodemask_t *nodes)
{
	return nid;
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
