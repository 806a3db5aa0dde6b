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
 * The same function picks demotion targets, so reclaim never demotes
 * into a CDM node. Explicit requests reach it through its own zonelist:
 * __GFP_THISNODE and page migration name the node directly, MPOL_PREFERRED
 * and (weighted) interleave start from it, and MPOL_BIND/PREFERRED_MANY
 * start from the CDM node in their mask (cdm_policy_node()). Because a
 * CDM node's list holds no other CDM node, a bind mask with several CDM
 * nodes fills the one nearest to the CPU; interleave spreads over all.
 *
 * Background mechanisms that pick a node themselves stay out as well:
 * the default hugetlb pool spreads over cdm_default_memory_nodes(), and
 * khugepaged collapses into a CDM node only a range that already lies
 * there entirely (cdm_collapse_excluded()).
 */

#define pr_fmt(fmt) "cdm: " fmt

#include <linux/cdm.h>
#include <linux/init.h>
#include <linux/nodemask.h>
#include <linux/numa.h>
#include <linux/printk.h>
#include <linux/topology.h>

DEFINE_STATIC_KEY_FALSE(cdm_nodes_present);

int __cdm_policy_node(int nid, const nodemask_t *nodes)
{
	int n, best = nid, best_distance = INT_MAX;

	for_each_node_state(n, N_COHERENT_DEVICE) {
		if (!node_isset(n, *nodes))
			continue;
		if (node_distance(nid, n) < best_distance) {
			best = n;
			best_distance = node_distance(nid, n);
		}
	}
	return best;
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
