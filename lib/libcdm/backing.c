// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What backs a node: a list of its parts, in physical address order, as
 * many as the node has (two CXL regions in one node is an ordinary
 * machine):
 *
 *   CXL_REGION  a dax device onlined as system RAM (kmem) or as a CDM
 *               node (cxl_cdm) in a CXL region, or a region's memory
 *               hot-added without one (our kernel's cdm_add_memory());
 *               with the region's memdevs
 *   DAX         such a dax device in no CXL region (soft-reserved memory
 *               through dax_hmem, a pmem namespace)
 *   RAM         the rest of the node's memory: boot memory, or memory
 *               another driver hot-added; one per node
 *
 * dax devices and CXL regions are found through libdaxctl and libcxl,
 * never by parsing their sysfs by hand, except what libdaxctl does not
 * tell: the driver of a device whose memory kmem does not hold, and
 * cxl_cdm's online attribute (dax.c reads both under the sysfs root, so
 * host tests fake them). A backing names the driver holding its memory.
 * Which memory is the node's comes
 * from its memory blocks (nodeN/memoryM, the online ones), and a backing
 * counts the blocks it covers. Without memory blocks in sysfs (a kernel
 * without memory hotplug, which has no kmem either) sizes are the
 * devices' and no RAM is told.
 *
 * Probed for every node of a context at the first request, and at the
 * first after a cdm_refresh(), under the topology lock. A node's list is
 * published whole and kept while a probe finds it unchanged; a changed
 * one is replaced and the old one freed with the context.
 *
 * Those libraries read the real /sys: under a fake CDM_SYSFS_ROOT only
 * RAM is found, unless a host test plays them (cdm__set_devices()).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <cxl/libcxl.h>
#include <daxctl/libdaxctl.h>

#include "private.h"

void cdm__set_devices(struct cdm_ctx *ctx, cdm_devices_fn fn)
{
	ctx->list_devices = fn;
}

void cdm__quiet_daxctl(struct daxctl_ctx *c, int priority, const char *file, int line,
		       const char *fn, const char *format, va_list args)
{
}

static void quiet_cxl(struct cxl_ctx *c, int priority, const char *file,
		      int line, const char *fn, const char *format, va_list args)
{
}

/* ---- what libdaxctl and libcxl find ---- */

static void devices_free(struct cdm_devices *devs)
{
	size_t i;
	int j;

	for (i = 0; i < devs->nr_dax; i++)
		free(devs->dax[i].devname);
	for (i = 0; i < devs->nr_regions; i++) {
		free(devs->regions[i].devname);
		for (j = 0; j < devs->regions[i].nr_memdevs; j++)
			free(devs->regions[i].memdevs[j]);
		free(devs->regions[i].memdevs);
	}
	free(devs->dax);
	free(devs->regions);
	*devs = (struct cdm_devices){ 0 };
}

/* grow @*array of @nr elements of @size by one, zeroed */
static void *grow(void *array, size_t nr, size_t size)
{
	char *p = realloc(array, (nr + 1) * size);

	if (p)
		memset(p + nr * size, 0, size);
	return p;
}

static int add_dax(struct cdm_devices *devs, struct daxctl_dev *dev, bool kmem_online)
{
	struct cdm_dax_dev *d = grow(devs->dax, devs->nr_dax, sizeof(*d));

	if (!d)
		return -ENOMEM;
	devs->dax = d;
	d += devs->nr_dax;
	d->devname = strdup(daxctl_dev_get_devname(dev));
	if (!d->devname)
		return -ENOMEM;
	d->node = daxctl_dev_get_target_node(dev);
	d->start = daxctl_dev_get_resource(dev);
	d->size = daxctl_dev_get_size(dev);
	d->kmem_online = kmem_online;
	devs->nr_dax++;
	return 0;
}

static int add_region(struct cdm_devices *devs, struct cxl_region *region)
{
	struct cdm_cxl_region *r = grow(devs->regions, devs->nr_regions, sizeof(*r));
	struct cxl_memdev_mapping *mapping;
	struct cxl_memdev *memdev;
	struct cxl_decoder *ep;
	char **memdevs;

	if (!r)
		return -ENOMEM;
	devs->regions = r;
	r += devs->nr_regions++;	/* counted now: freed with the rest */
	r->devname = strdup(cxl_region_get_devname(region));
	if (!r->devname)
		return -ENOMEM;
	r->start = cxl_region_get_resource(region);
	r->size = cxl_region_get_size(region);
	cxl_mapping_foreach(region, mapping) {
		ep = cxl_mapping_get_decoder(mapping);
		memdev = ep ? cxl_decoder_get_memdev(ep) : NULL;
		if (!memdev)
			continue;
		memdevs = grow(r->memdevs, r->nr_memdevs, sizeof(char *));
		if (!memdevs)
			return -ENOMEM;
		r->memdevs = memdevs;
		memdevs[r->nr_memdevs] = strdup(cxl_memdev_get_devname(memdev));
		if (!memdevs[r->nr_memdevs])
			return -ENOMEM;
		r->nr_memdevs++;
	}
	return 0;
}

/* The dax devices bound to a driver (kmem's with memory online said so)
 * and the CXL regions with an address range: 0 (nothing when a library
 * cannot be used), or -ENOMEM */
static int list_devices(struct cdm_ctx *ctx, struct cdm_devices *devs)
{
	struct daxctl_region *dax_region;
	struct cxl_decoder *decoder;
	struct cxl_region *region;
	struct daxctl_memory *mem;
	struct daxctl_ctx *dax;
	struct daxctl_dev *dev;
	struct cxl_ctx *cxl;
	struct cxl_bus *bus;
	int rc = 0;

	if (!ctx->sysfs_is_real)
		return 0;
	if (daxctl_new(&dax)) {
		cdm_info(ctx, "libdaxctl unavailable: no dax devices");
		return 0;
	}
	daxctl_set_log_fn(dax, cdm__quiet_daxctl);
	daxctl_region_foreach(dax, dax_region) {
		daxctl_dev_foreach(dax_region, dev) {
			if (!daxctl_dev_is_enabled(dev))
				continue;
			/* NULL unless kmem holds it */
			mem = daxctl_dev_get_memory(dev);
			rc = add_dax(devs, dev, mem && daxctl_memory_is_online(mem) > 0);
			if (rc)
				goto out_dax;
		}
	}
	if (cxl_new(&cxl)) {
		cdm_info(ctx, "libcxl unavailable: no CXL regions");
		goto out_dax;
	}
	cxl_set_log_fn(cxl, quiet_cxl);
	cxl_bus_foreach(cxl, bus) {
		cxl_decoder_foreach(cxl_bus_get_port(bus), decoder) {
			cxl_region_foreach(decoder, region) {
				if (cxl_region_get_resource(region) == ULLONG_MAX ||
				    cxl_region_get_size(region) == ULLONG_MAX)
					continue;	/* not sized yet */
				rc = add_region(devs, region);
				if (rc)
					goto out_cxl;
			}
		}
	}
out_cxl:
	cxl_unref(cxl);
out_dax:
	daxctl_unref(dax);
	return rc;
}

/* The region holding [start, start + size), NULL when none */
static const struct cdm_cxl_region *region_of(const struct cdm_devices *devs,
					      uint64_t start, uint64_t size)
{
	const struct cdm_cxl_region *r;
	size_t i;

	for (i = 0; i < devs->nr_regions; i++) {
		r = &devs->regions[i];
		if (start >= r->start && start + size <= r->start + r->size)
			return r;
	}
	return NULL;
}

/* ---- a node's list ---- */

static void backing_free(struct cdm_backing *b)
{
	int i;

	free(b->devname);
	free(b->region);
	for (i = 0; i < b->nr_memdevs; i++)
		free(b->memdevs[i]);
	free(b->memdevs);
	free(b);
}

void cdm__backings_free(struct cdm_backing *list)
{
	struct cdm_backing *next;

	for (; list; list = next) {
		next = list->next;
		backing_free(list);
	}
}

void cdm__backings_free_all(struct cdm_ctx *ctx)
{
	struct cdm_backing *list, *older;
	struct cdm_node *node;

	for (node = ctx->nodes; node; node = node->next) {
		cdm__backings_free(node->backings);
		node->backings = NULL;
	}
	for (list = ctx->retired_backings; list; list = older) {
		older = list->older;
		cdm__backings_free(list);
	}
	ctx->retired_backings = NULL;
}

static bool lists_equal(const struct cdm_backing *a, const struct cdm_backing *b)
{
	int i;

	for (; a && b; a = a->next, b = b->next) {
		if (a->kind != b->kind || a->size != b->size || a->start != b->start ||
		    !cdm__same_string(a->devname, b->devname) ||
		    !cdm__same_string(a->driver, b->driver) ||
		    !cdm__same_string(a->region, b->region) || a->nr_memdevs != b->nr_memdevs)
			return false;
		for (i = 0; i < a->nr_memdevs; i++)
			if (strcmp(a->memdevs[i], b->memdevs[i]))
				return false;
	}
	return !a && !b;
}

/* The online memory blocks of a node, sorted */
struct blocks {
	struct cdm_ctx *ctx;
	unsigned long *ids;
	size_t nr;
};

static int add_online_block(unsigned long block, void *data)
{
	struct blocks *blocks = data;
	char path[PATH_MAX];
	unsigned long *ids;
	long online;

	if (cdm__sysfs_path(blocks->ctx, path, sizeof(path),
			    "/devices/system/memory/memory%lu/online", block) ||
	    cdm__read_long(path, &online) || online != 1)
		return 0;	/* offline, or gone since the node listed it */
	ids = grow(blocks->ids, blocks->nr, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	blocks->ids = ids;
	ids[blocks->nr++] = block;
	return 0;
}

static int cmp_block(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static int cmp_backing(const void *a, const void *b)
{
	const struct cdm_backing *x = *(struct cdm_backing *const *)a;
	const struct cdm_backing *y = *(struct cdm_backing *const *)b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* A node's list under construction */
struct builder {
	struct cdm_node *node;
	struct cdm_backing **items;
	size_t nr;
};

static struct cdm_backing *builder_add(struct builder *bl, enum cdm_backing_kind kind,
				       const char *devname, const struct cdm_cxl_region *r,
				       uint64_t start)
{
	struct cdm_backing *b, **items;
	int i;

	items = grow(bl->items, bl->nr, sizeof(*items));
	if (!items)
		return NULL;
	bl->items = items;
	b = malloc(sizeof(*b));
	if (!b)
		return NULL;
	*b = (struct cdm_backing){ .node = bl->node, .kind = kind, .start = start };
	items[bl->nr++] = b;	/* freed with the rest from now on */
	if (devname && !(b->devname = strdup(devname)))
		return NULL;
	if (!r)
		return b;
	b->region = strdup(r->devname);
	b->memdevs = calloc(r->nr_memdevs ? r->nr_memdevs : 1, sizeof(char *));
	if (!b->region || !b->memdevs)
		return NULL;
	for (i = 0; i < r->nr_memdevs; i++) {
		b->memdevs[i] = strdup(r->memdevs[i]);
		if (!b->memdevs[i])
			return NULL;
		b->nr_memdevs++;
	}
	return b;
}

/* The backing of the node's memory without a dax device that @r holds
 * (NULL: plain RAM), added at @start when there is none yet */
static struct cdm_backing *builder_rest(struct builder *bl, const struct cdm_cxl_region *r,
					uint64_t start)
{
	size_t i;

	for (i = 0; i < bl->nr; i++) {
		if (bl->items[i]->devname)
			continue;
		if (r ? bl->items[i]->kind == CDM_BACKING_CXL_REGION &&
			!strcmp(bl->items[i]->region, r->devname) :
			bl->items[i]->kind == CDM_BACKING_RAM)
			return bl->items[i];
	}
	return builder_add(bl, r ? CDM_BACKING_CXL_REGION : CDM_BACKING_RAM, NULL, r, start);
}

/* Node @node's list from @devs, the drivers holding them (@drivers, NULL
 * for a device that backs no node) and its memory blocks (@block_bytes 0:
 * none in sysfs) */
static int node_backings(struct cdm_node *node, const struct cdm_devices *devs,
			 const char *const *drivers, unsigned long long block_bytes,
			 struct cdm_backing **out)
{
	struct cdm_ctx *ctx = node->ctx;
	struct blocks blocks = { .ctx = ctx };
	struct builder bl = { .node = node };
	const struct cdm_dax_dev *d;
	const struct cdm_cxl_region *r;
	struct cdm_backing *b;
	unsigned long long covered;
	bool *used = NULL;
	uint64_t addr;
	size_t i, j;
	int rc;

	*out = NULL;
	rc = block_bytes ? cdm__node_memory_blocks(ctx, node->id, add_online_block, &blocks) : 0;
	if (rc)
		goto out;
	if (blocks.nr)
		qsort(blocks.ids, blocks.nr, sizeof(*blocks.ids), cmp_block);
	used = calloc(blocks.nr ? blocks.nr : 1, sizeof(*used));
	if (!used) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < devs->nr_dax; i++) {
		d = &devs->dax[i];
		if (d->node != node->id || !drivers[i])
			continue;
		covered = block_bytes ? 0 : d->size;
		for (j = 0; j < blocks.nr; j++) {
			addr = blocks.ids[j] * block_bytes;
			if (addr >= d->start && addr + block_bytes <= d->start + d->size) {
				used[j] = true;
				covered += block_bytes;
			}
		}
		if (!covered)
			continue;	/* none of its memory online in this node */
		r = region_of(devs, d->start, d->size);
		b = builder_add(&bl, r ? CDM_BACKING_CXL_REGION : CDM_BACKING_DAX,
				d->devname, r, d->start);
		if (!b) {
			rc = -ENOMEM;
			goto out;
		}
		b->size = covered;
		b->driver = drivers[i];
	}
	for (j = 0; j < blocks.nr; j++) {
		if (used[j])
			continue;
		addr = blocks.ids[j] * block_bytes;
		b = builder_rest(&bl, region_of(devs, addr, block_bytes), addr);
		if (!b) {
			rc = -ENOMEM;
			goto out;
		}
		b->size += block_bytes;
	}
	if (bl.nr)
		qsort(bl.items, bl.nr, sizeof(*bl.items), cmp_backing);
	for (i = bl.nr; i-- > 0;) {
		bl.items[i]->next = *out;
		*out = bl.items[i];
	}
	bl.nr = 0;
out:
	for (i = 0; i < bl.nr; i++)
		backing_free(bl.items[i]);
	free(bl.items);
	free(blocks.ids);
	free(used);
	if (rc == -ENOMEM)
		return cdm__fail(ctx, ENOMEM, "node %d: backing devices: out of memory", node->id);
	return rc;
}

/* The driver holding the memory of dax device @d as a node's: kmem with
 * memory online, as libdaxctl said, or cxl_cdm with memory online; NULL
 * for any other (device_dax, kmem with nothing online) */
static const char *dax_holder(struct cdm_ctx *ctx, const struct cdm_dax_dev *d)
{
	const char *driver = NULL;

	if (d->kmem_online)
		driver = CDM_DRIVER_KMEM;
	else if (cdm__dax_cxl_cdm_online(ctx, d->devname))
		driver = CDM_DRIVER_CXL_CDM;
	if (driver)
		cdm_dbg(ctx, "%s: on node %d (%s)", d->devname, d->node, driver);
	return driver;
}

/* Every online node's list, published when all are made. Under the
 * topology lock. */
static int probe(struct cdm_ctx *ctx)
{
	struct cdm_devices devs = { 0 };
	unsigned long long block_bytes = 0;
	struct cdm_backing **lists, *cur;
	const char **drivers = NULL;
	struct cdm_node *node;
	char path[PATH_MAX];
	size_t i;
	int rc;

	lists = calloc(CDM_MAX_NODES, sizeof(*lists));
	if (!lists)
		return cdm__fail(ctx, ENOMEM, "backing devices: out of memory");
	rc = ctx->list_devices ? ctx->list_devices(ctx, &devs) : list_devices(ctx, &devs);
	if (rc) {
		rc = cdm__fail(ctx, -rc, "backing devices: %s", strerror(-rc));
		goto out;
	}
	drivers = calloc(devs.nr_dax ? devs.nr_dax : 1, sizeof(*drivers));
	if (!drivers) {
		rc = cdm__fail(ctx, ENOMEM, "backing devices: out of memory");
		goto out;
	}
	for (i = 0; i < devs.nr_dax; i++)
		drivers[i] = dax_holder(ctx, &devs.dax[i]);
	rc = cdm__memory_block_bytes(ctx, &block_bytes);
	if (rc == -ENOENT) {
		block_bytes = 0;
		rc = 0;
	} else if (rc) {
		cdm__sysfs_path(ctx, path, sizeof(path), "/devices/system/memory/block_size_bytes");
		rc = cdm__fail(ctx, -rc, "%s: %s", path,
			       rc == -EINVAL ? "malformed" : strerror(-rc));
		goto out;
	}
	for (node = ctx->nodes; node && !rc; node = node->next)
		if (node->online)
			rc = node_backings(node, &devs, drivers, block_bytes, &lists[node->id]);
	if (rc)
		goto out;

	for (node = ctx->nodes; node; node = node->next) {
		cur = node->backings;
		if (lists_equal(cur, lists[node->id]))
			continue;	/* freed below: the caller's pointers stay current */
		__atomic_store_n(&node->backings, lists[node->id], __ATOMIC_RELEASE);
		lists[node->id] = NULL;
		if (cur) {
			cur->older = ctx->retired_backings;
			ctx->retired_backings = cur;
		}
	}
	__atomic_store_n(&ctx->backings_probed, true, __ATOMIC_RELEASE);
out:
	for (node = ctx->nodes; node; node = node->next)
		cdm__backings_free(lists[node->id]);
	free(lists);
	free(drivers);
	if (!ctx->list_devices)
		devices_free(&devs);
	return rc;
}

CDM_EXPORT struct cdm_backing *cdm_backing_get_first(struct cdm_node *node)
{
	struct cdm_ctx *ctx;
	int rc = 0;

	if (!node)
		return NULL;
	ctx = node->ctx;
	cdm__clear_error(ctx);
	if (!__atomic_load_n(&ctx->backings_probed, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&ctx->topology_lock);
		if (!ctx->backings_probed)
			rc = probe(ctx);
		pthread_mutex_unlock(&ctx->topology_lock);
	}
	if (rc)
		return NULL;
	return __atomic_load_n(&node->backings, __ATOMIC_ACQUIRE);
}

CDM_EXPORT struct cdm_backing *cdm_backing_get_next(struct cdm_backing *backing)
{
	return backing ? backing->next : NULL;
}

CDM_EXPORT struct cdm_node *cdm_backing_get_node(struct cdm_backing *backing)
{
	return backing->node;
}

CDM_EXPORT enum cdm_backing_kind cdm_backing_get_kind(struct cdm_backing *backing)
{
	return backing->kind;
}

CDM_EXPORT const char *cdm_backing_kind_name(enum cdm_backing_kind kind)
{
	switch (kind) {
	case CDM_BACKING_RAM:
		return "ram";
	case CDM_BACKING_DAX:
		return "dax";
	case CDM_BACKING_CXL_REGION:
		return "cxl";
	default:
		return "unknown";
	}
}

CDM_EXPORT const char *cdm_backing_get_devname(struct cdm_backing *backing)
{
	return backing->devname;
}

CDM_EXPORT const char *cdm_backing_get_cxl_region(struct cdm_backing *backing)
{
	return backing->region;
}

CDM_EXPORT const char *cdm_backing_get_driver(struct cdm_backing *backing)
{
	return backing->driver;
}

CDM_EXPORT unsigned long long cdm_backing_get_size(struct cdm_backing *backing)
{
	return backing->size;
}

CDM_EXPORT int cdm_backing_get_nr_cxl_memdevs(struct cdm_backing *backing)
{
	return backing->nr_memdevs;
}

CDM_EXPORT const char *cdm_backing_get_cxl_memdev(struct cdm_backing *backing, int index)
{
	if (index < 0 || index >= backing->nr_memdevs) {
		cdm__fail(backing->node->ctx, ERANGE, "node %d: %s: memdev %d: %d known",
			  backing->node->id, backing->region ? backing->region :
			  cdm_backing_kind_name(backing->kind), index, backing->nr_memdevs);
		return NULL;
	}
	return backing->memdevs[index];
}
