// SPDX-License-Identifier: GPL-2.0
/*
 * cdm_private: the struct pages of a pool.
 *
 * Device-private pages need struct pages, and struct pages need a range
 * of physical addresses that nothing else uses: memremap_pages() with
 * MEMORY_DEVICE_PRIVATE makes them for a range that
 * request_free_mem_region() found free and claimed in iomem. A pool makes
 * none at load and grows in chunks as pages are asked for, up to its
 * capacity. With capacity_mb=256 chunk_mb=64, the first migration to the
 * device claims a free 128 MiB range (request_free_mem_region() aligns
 * to a memory section), memremap_pages() makes the 16384 struct pages of
 * its first 64 MiB and they go on the free list; three more chunks may
 * follow, then growth fails with -ENOMEM. A chunk whose size is not
 * a multiple of the hotplug subsection (2 MiB on x86-64) gets struct
 * pages up to the next one, and the pages past the capacity are never
 * handed out.
 *
 * On a machine whose physical address space is full (the limit the HMM
 * discussions warned about), request_free_mem_region() finds no range:
 * growth fails with -ENOSPC and one log line, and the pool stays as it
 * was. A chunk lives until the module is unloaded; the module cannot be
 * unloaded while a page of any pool is in use (cdm_private_pool_take()).
 */

#include <linux/err.h>
#include <linux/ioport.h>
#include <linux/lockdep.h>
#include <linux/memremap.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/numa.h>
#include <linux/printk.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "cdm_private.h"
#include "uapi/linux/cdm_private.h"

struct cdm_private_chunk {
	struct dev_pagemap pagemap;	/* ->owner is the pool */
	struct list_head list;		/* in pool->chunks */
	resource_size_t res_start;	/* the claimed iomem range */
	resource_size_t res_size;
};

void cdm_private_pool_init(struct cdm_private_pool *pool, unsigned int id,
			   unsigned long capacity, unsigned long chunk)
{
	pool->id = id;
	snprintf(pool->name, sizeof(pool->name), "cdm_private%u", id);
	pool->backend = &cdm_private_host_backend;
	pool->capacity = capacity;
	pool->chunk = min(chunk, capacity);
	mutex_init(&pool->grow_lock);
	INIT_LIST_HEAD(&pool->chunks);
	spin_lock_init(&pool->lock);
}

static void cdm_private_pool_push(struct cdm_private_pool *pool,
				  struct page *page)
{
	lockdep_assert_held(&pool->lock);
	page->zone_device_data = pool->free_pages;
	pool->free_pages = page;
	pool->nr_free++;
}

/* Add one chunk of struct pages to the free list */
static int cdm_private_pool_grow(struct cdm_private_pool *pool)
{
	struct cdm_private_chunk *chunk;
	unsigned long nr, pfn, i;
	struct resource *res;
	resource_size_t size;
	void *addr;
	int err;

	lockdep_assert_held(&pool->grow_lock);

	/* nr_allocated changes only under grow_lock */
	nr = min(pool->chunk, pool->capacity - pool->nr_allocated);
	if (!nr)
		return -ENOMEM;
	size = ALIGN((resource_size_t)nr << PAGE_SHIFT, SUBSECTION_SIZE);

	chunk = kzalloc(sizeof(*chunk), GFP_KERNEL);
	if (!chunk)
		return -ENOMEM;

	res = request_free_mem_region(&iomem_resource, size, pool->name);
	if (IS_ERR(res)) {
		err = PTR_ERR(res);
		if (err == -ERANGE) {
			pr_warn_ratelimited("%s: no free physical address range for %llu MiB of device-private pages\n",
					    pool->name, (u64)size / SZ_1M);
			err = -ENOSPC;
		}
		goto err_region;
	}
	chunk->res_start = res->start;
	chunk->res_size = resource_size(res);

	chunk->pagemap.type = MEMORY_DEVICE_PRIVATE;
	chunk->pagemap.range.start = res->start;
	chunk->pagemap.range.end = res->start + size - 1;
	chunk->pagemap.nr_range = 1;
	chunk->pagemap.ops = &cdm_private_pagemap_ops;
	chunk->pagemap.owner = pool;
	addr = memremap_pages(&chunk->pagemap, NUMA_NO_NODE);
	if (IS_ERR(addr)) {
		err = PTR_ERR(addr);
		pr_warn_ratelimited("%s: cannot make struct pages for %llu MiB of device-private memory: %pe\n",
				    pool->name, (u64)size / SZ_1M, addr);
		goto err_memremap;
	}
	list_add_tail(&chunk->list, &pool->chunks);

	pfn = PHYS_PFN(chunk->pagemap.range.start);
	spin_lock(&pool->lock);
	for (i = 0; i < nr; i++)
		cdm_private_pool_push(pool, pfn_to_page(pfn + i));
	pool->nr_allocated += nr;
	spin_unlock(&pool->lock);

	dev_dbg(&pool->dev, "grew by %lu to %lu of %lu pages\n", nr,
		pool->nr_allocated, pool->capacity);
	return 0;

err_memremap:
	release_mem_region(chunk->res_start, chunk->res_size);
err_region:
	kfree(chunk);
	return err;
}

/**
 * cdm_private_pool_prepare - grow a pool so that @nr pages are free
 * @pool: the pool
 * @nr: pages the caller is about to allocate
 *
 * Grows the pool (and may sleep) before the caller locks pages to
 * migrate, as far as the capacity allows; another thread may take the
 * pages first. Growth takes the memory hotplug lock: never call this
 * with pages locked for migration.
 *
 * Return: the pages free now (maybe fewer than @nr), or when none is:
 * -ENOMEM (the pool is at its capacity), -ENOSPC (no free physical
 * address range) or another error of the growth.
 */
long cdm_private_pool_prepare(struct cdm_private_pool *pool, unsigned long nr)
{
	unsigned long nr_free = READ_ONCE(pool->nr_free);
	int err = -ENOMEM;

	if (nr_free >= nr)
		return nr_free;

	guard(mutex)(&pool->grow_lock);
	while (READ_ONCE(pool->nr_free) < nr) {
		err = cdm_private_pool_grow(pool);
		if (err)
			break;
	}
	nr_free = READ_ONCE(pool->nr_free);
	return nr_free ? nr_free : err;
}

static struct page *cdm_private_pool_take(struct cdm_private_pool *pool)
{
	struct page *page;

	spin_lock(&pool->lock);
	page = pool->free_pages;
	if (page) {
		pool->free_pages = page->zone_device_data;
		pool->nr_free--;
		/*
		 * memunmap_pages() at unload would wait for every page in
		 * use, for as long as a process keeps it: hold the module
		 * while any is, so that rmmod fails with EBUSY instead.
		 * The caller's open file holds the module already.
		 */
		if (!pool->nr_used++)
			__module_get(THIS_MODULE);
	}
	spin_unlock(&pool->lock);
	return page;
}

/* @page is free again (backing released): back on the free list */
static void cdm_private_pool_put(struct cdm_private_pool *pool,
				 struct page *page)
{
	bool drained;

	spin_lock(&pool->lock);
	cdm_private_pool_push(pool, page);
	drained = !--pool->nr_used;
	spin_unlock(&pool->lock);
	/*
	 * Unload may go ahead now. It waits in memunmap_pages() until the
	 * core dropped the page's pgmap reference, after page_free returned.
	 */
	if (drained)
		module_put(THIS_MODULE);
}

/**
 * cdm_private_pool_alloc - a device page of @pool, with backing
 * @pool: the pool
 *
 * Takes a page off the free list; it does not grow the pool (the caller
 * holds pages locked for migration: cdm_private_pool_prepare() grows it
 * before). The page comes locked, with one reference
 * (zone_device_page_init()), and stale contents: the caller clears it or
 * copies into it before anyone can see it.
 *
 * Return: the page, or ERR_PTR(): -EAGAIN when the free list is empty,
 * -ENOMEM when no memory for the backing could be had.
 */
struct page *cdm_private_pool_alloc(struct cdm_private_pool *pool)
{
	struct page *dpage;
	int err;

	dpage = cdm_private_pool_take(pool);
	if (!dpage)
		return ERR_PTR(-EAGAIN);

	err = pool->backend->alloc(pool, dpage);
	if (err) {
		cdm_private_pool_put(pool, dpage);
		return ERR_PTR(err);
	}
	zone_device_page_init(dpage);
	return dpage;
}

/* dev_pagemap_ops.page_free: the last reference to a device page went */
void cdm_private_pool_free(struct page *dpage)
{
	struct cdm_private_pool *pool = cdm_private_page_pool(dpage);

	pool->backend->free(pool, dpage);
	cdm_private_pool_put(pool, dpage);
}

unsigned long cdm_private_pool_used(struct cdm_private_pool *pool)
{
	return READ_ONCE(pool->nr_used);
}

void cdm_private_pool_info(struct cdm_private_pool *pool,
			   struct cdm_private_info *info)
{
	unsigned long allocated, used;

	spin_lock(&pool->lock);
	allocated = pool->nr_allocated;
	used = pool->nr_used;
	spin_unlock(&pool->lock);

	info->abi_version = CDM_PRIVATE_ABI_VERSION;
	info->page_size = PAGE_SIZE;
	info->pool_id = pool->id;
	info->capacity = (u64)pool->capacity << PAGE_SHIFT;
	info->allocated = (u64)allocated << PAGE_SHIFT;
	info->chunk = (u64)pool->chunk << PAGE_SHIFT;
	info->used = (u64)used << PAGE_SHIFT;
}

/*
 * Module unload: no page is in use (the module would be held), so
 * memunmap_pages() does not wait for one; nobody can allocate either
 * (no file is open).
 */
void cdm_private_pool_destroy(struct cdm_private_pool *pool)
{
	struct cdm_private_chunk *chunk, *next;

	WARN_ON(pool->nr_used);
	list_for_each_entry_safe(chunk, next, &pool->chunks, list) {
		memunmap_pages(&chunk->pagemap);
		release_mem_region(chunk->res_start, chunk->res_size);
		list_del(&chunk->list);
		kfree(chunk);
	}
	pool->free_pages = NULL;
	pool->nr_free = 0;
	pool->nr_allocated = 0;
}
