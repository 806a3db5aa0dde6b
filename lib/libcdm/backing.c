// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The device behind a node: a dax device onlined as system RAM (kmem) on
 * that node, the CXL region whose address range holds it, and the memdevs
 * that region maps. Found through libdaxctl and libcxl, never by parsing
 * their sysfs by hand. Probed once for all nodes of a context, on first use.
 *
 * Those libraries read the real /sys: under a fake CDM_SYSFS_ROOT no node
 * has a backing device.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <cxl/libcxl.h>
#include <daxctl/libdaxctl.h>

#include "private.h"

static void quiet_daxctl(struct daxctl_ctx *c, int priority, const char *file,
			 int line, const char *fn, const char *format, va_list args)
{
}

static void quiet_cxl(struct cxl_ctx *c, int priority, const char *file,
		      int line, const char *fn, const char *format, va_list args)
{
}

static struct cdm_node *node_by_id(struct cdm_ctx *ctx, int id)
{
	struct cdm_node *node;

	for (node = ctx->nodes; node; node = node->next)
		if (node->id == id)
			return node;
	return NULL;
}

/* The CXL region containing [res, res + size) and its memdevs. */
static void find_cxl_region(struct cxl_ctx *cxl, struct cdm_node *node,
			    unsigned long long res, unsigned long long size)
{
	struct cxl_memdev_mapping *mapping;
	struct cxl_decoder *decoder, *ep;
	struct cxl_region *region;
	struct cxl_memdev *memdev;
	struct cxl_bus *bus;
	char **memdevs;

	cxl_bus_foreach(cxl, bus) {
		cxl_decoder_foreach(cxl_bus_get_port(bus), decoder) {
			cxl_region_foreach(decoder, region) {
				unsigned long long start = cxl_region_get_resource(region);
				unsigned long long len = cxl_region_get_size(region);

				if (start == ULLONG_MAX || len == ULLONG_MAX ||
				    res < start || res + size > start + len)
					continue;
				node->cxl_region = strdup(cxl_region_get_devname(region));
				cxl_mapping_foreach(region, mapping) {
					ep = cxl_mapping_get_decoder(mapping);
					memdev = ep ? cxl_decoder_get_memdev(ep) : NULL;
					if (!memdev)
						continue;
					memdevs = realloc(node->memdevs,
							  (node->nr_memdevs + 1) * sizeof(char *));
					if (!memdevs)
						return;
					node->memdevs = memdevs;
					memdevs[node->nr_memdevs] =
						strdup(cxl_memdev_get_devname(memdev));
					if (memdevs[node->nr_memdevs])
						node->nr_memdevs++;
				}
				return;
			}
		}
	}
}

static void probe_all(struct cdm_ctx *ctx)
{
	struct daxctl_region *region;
	struct daxctl_memory *mem;
	struct daxctl_ctx *dax;
	struct cxl_ctx *cxl = NULL;
	struct daxctl_dev *dev;
	struct cdm_node *node;

	for (node = ctx->nodes; node; node = node->next)
		node->backing_probed = true;
	if (!ctx->sysfs_is_real)
		return;
	if (daxctl_new(&dax)) {
		cdm_info(ctx, "libdaxctl unavailable: no backing devices");
		return;
	}
	daxctl_set_log_fn(dax, quiet_daxctl);
	if (cxl_new(&cxl))
		cxl = NULL;
	else
		cxl_set_log_fn(cxl, quiet_cxl);

	daxctl_region_foreach(dax, region) {
		daxctl_dev_foreach(region, dev) {
			if (!daxctl_dev_is_enabled(dev))
				continue;
			mem = daxctl_dev_get_memory(dev);
			if (!mem || daxctl_memory_is_online(mem) <= 0)
				continue;	/* devdax, or kmem with nothing online */
			node = node_by_id(ctx, daxctl_dev_get_target_node(dev));
			if (!node || node->dax_device)
				continue;
			node->dax_device = strdup(daxctl_dev_get_devname(dev));
			cdm_dbg(ctx, "node %d: backed by %s", node->id, node->dax_device);
			if (cxl)
				find_cxl_region(cxl, node, daxctl_dev_get_resource(dev),
						daxctl_dev_get_size(dev));
		}
	}
	if (cxl)
		cxl_unref(cxl);
	daxctl_unref(dax);
}

void cdm__backing_probe(struct cdm_node *node)
{
	if (!node->backing_probed)
		probe_all(node->ctx);
}

void cdm__backing_free(struct cdm_node *node)
{
	int i;

	free(node->dax_device);
	free(node->cxl_region);
	for (i = 0; i < node->nr_memdevs; i++)
		free(node->memdevs[i]);
	free(node->memdevs);
}

CDM_EXPORT const char *cdm_node_get_dax_device(struct cdm_node *node)
{
	cdm__backing_probe(node);
	return node->dax_device;
}

CDM_EXPORT const char *cdm_node_get_cxl_region(struct cdm_node *node)
{
	cdm__backing_probe(node);
	return node->cxl_region;
}

CDM_EXPORT int cdm_node_get_nr_cxl_memdevs(struct cdm_node *node)
{
	cdm__backing_probe(node);
	return node->nr_memdevs;
}

CDM_EXPORT const char *cdm_node_get_cxl_memdev(struct cdm_node *node, int index)
{
	cdm__backing_probe(node);
	if (index < 0 || index >= node->nr_memdevs)
		return NULL;
	return node->memdevs[index];
}
