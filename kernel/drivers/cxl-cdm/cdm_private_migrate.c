// SPDX-License-Identifier: GPL-2.0
/*
 * cdm_private: migration between system memory and a pool's device pages,
 * through the kernel's migrate_vma core (Documentation/mm/hmm.rst).
 *
 * A range moves one batch at a time, a PMD's worth of pages at most and
 * never across a PMD boundary: migrate_vma_setup() collects, locks and
 * unmaps a batch's pages, the driver allocates the destination pages and
 * copies, migrate_vma_pages() moves the struct page state over and
 * migrate_vma_finalize() maps the new pages (or the old ones again). In
 * 6.12 the collector splits a PMD-mapped THP and skips a PTE-mapped large
 * folio, and device-private pages are single pages: a THP reaches the
 * device as 512 small pages and comes back as such.
 *
 * Memory cgroups: folio_migrate_flags() moves the charge of a system page
 * to the device page that replaces it and back (mem_cgroup_migrate()),
 * migrate_vma_insert_page() charges a device page that fills a hole to
 * the mm's memcg, and free_zone_device_folio() uncharges a device page
 * before page_free. The driver charges nothing: the emulated backing of
 * a device page is not accounted, the device page is.
 */

#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/memremap.h>
#include <linux/migrate.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "cdm_private.h"
#include "uapi/linux/cdm_private.h"

#define CDM_PRIVATE_MIGRATE_BATCH	(PMD_SIZE >> PAGE_SHIFT)

/* Passes of a batch in a row that found the pool emptied by others */
#define CDM_PRIVATE_MIGRATE_STALLS	8

/* What became of a range's pages */
struct cdm_private_tally {
	u64 done;
	u64 busy;		/* not selected by migrate_vma_setup() */
	u64 nomem;		/* no device page (or system page) for it */
	u64 other;		/* refused by the core or the backend */
	int pool_err;		/* why there was no page */
	bool pool_full;		/* stop asking the pool in this call */
};

/*
 * Give a batch's selected system pages a device page each. Return the
 * number of entries dealt with: all of them, or those before the first
 * that found the free list empty (another thread took the pages grown
 * for this batch): the caller grows the pool, with no page locked, and
 * migrates the rest again.
 */
static unsigned long cdm_private_fill_device(struct cdm_private_pool *pool,
					     struct migrate_vma *args,
					     struct cdm_private_tally *t)
{
	unsigned long i;

	for (i = 0; i < args->npages; i++) {
		unsigned long src = args->src[i];
		struct page *spage = migrate_pfn_to_page(src);
		struct page *dpage;
		int err;

		if (!(src & MIGRATE_PFN_MIGRATE)) {
			t->busy++;
			continue;
		}
		/* on this device already: selected only to tell it apart */
		if (spage && is_device_private_page(spage))
			continue;
		/* the core moves anonymous pages only to device memory */
		if (spage && !PageAnon(spage)) {
			t->other++;
			continue;
		}
		if (t->pool_full) {
			t->nomem++;
			continue;
		}
		dpage = cdm_private_pool_alloc(pool);
		if (IS_ERR(dpage)) {
			if (PTR_ERR(dpage) == -EAGAIN)
				return i;
			/* no memory for the backing */
			t->nomem++;
			t->pool_err = PTR_ERR(dpage);
			t->pool_full = true;
			continue;
		}
		/* a hole or the zero page has no source: zeros */
		if (spage)
			err = pool->backend->copy_to_device(pool, dpage, spage);
		else
			err = pool->backend->clear(pool, dpage);
		if (err) {
			unlock_page(dpage);
			put_page(dpage);	/* page_free: back to the pool */
			t->other++;
			continue;
		}
		args->dst[i] = migrate_pfn(page_to_pfn(dpage));
	}
	return i;
}

/* A system page for the device page of entry @i, filled from it */
static int cdm_private_fill_one_ram(struct cdm_private_pool *pool,
				    struct migrate_vma *args, unsigned long i)
{
	struct page *dpage = migrate_pfn_to_page(args->src[i]);
	unsigned long addr = args->start + (i << PAGE_SHIFT);
	struct page *page;
	int err;

	page = alloc_page_vma(GFP_HIGHUSER_MOVABLE, args->vma, addr);
	if (!page)
		return -ENOMEM;
	lock_page(page);
	err = pool->backend->copy_from_device(pool, page, dpage);
	if (err) {
		unlock_page(page);
		put_page(page);
		return err;
	}
	args->dst[i] = migrate_pfn(page_to_pfn(page));
	return 0;
}

/* Give a batch's selected device pages a system page each */
static void cdm_private_fill_ram(struct cdm_private_pool *pool,
				 struct migrate_vma *args,
				 struct cdm_private_tally *t)
{
	unsigned long i;
	int err;

	for (i = 0; i < args->npages; i++) {
		/* not on this device, or busy: not ours to count */
		if (!(args->src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		err = cdm_private_fill_one_ram(pool, args, i);
		if (err == -ENOMEM) {
			t->nomem++;
			t->pool_err = err;
		} else if (err) {
			t->other++;
		}
	}
}

/*
 * Migrate the pages of [@start, @end), a batch within one VMA and one
 * PMD. The pool grows before migrate_vma_setup() locks the pages: growth
 * takes the memory hotplug lock, which a memory offline holds while it
 * waits for pages.
 */
static int cdm_private_migrate_batch(struct cdm_private_pool *pool,
				     struct migrate_vma *args,
				     unsigned long start, unsigned long end,
				     bool to_device, struct cdm_private_tally *t)
{
	unsigned long addr = start, nr, dealt, i;
	unsigned int stalls = 0;
	long avail;
	int err;

	while (addr < end) {
		nr = (end - addr) >> PAGE_SHIFT;
		if (fatal_signal_pending(current))
			return -EINTR;
		if (to_device && !t->pool_full) {
			avail = cdm_private_pool_prepare(pool, nr);
			if (avail < 0) {
				t->pool_err = avail;
				t->pool_full = true;
			}
		}
		if (to_device && t->pool_full) {
			t->nomem += nr;
			return 0;
		}

		args->start = addr;
		args->end = end;
		/*
		 * To the device, this device's pages are selected too, so
		 * that they are told from pages the core could not take
		 * (those come back without MIGRATE_PFN_MIGRATE).
		 */
		args->flags = MIGRATE_VMA_SELECT_DEVICE_PRIVATE;
		if (to_device)
			args->flags |= MIGRATE_VMA_SELECT_SYSTEM;
		err = migrate_vma_setup(args);
		if (err)
			return err;

		if (to_device) {
			dealt = cdm_private_fill_device(pool, args, t);
		} else {
			cdm_private_fill_ram(pool, args, t);
			dealt = args->npages;
		}

		migrate_vma_pages(args);
		for (i = 0; i < dealt; i++) {
			if (!args->dst[i])
				continue;
			if (args->src[i] & MIGRATE_PFN_MIGRATE)
				t->done++;
			else
				t->other++;
		}
		migrate_vma_finalize(args);

		if (dealt == args->npages)
			return 0;
		/* the rest again, after growing; others may keep emptying it */
		if (dealt) {
			stalls = 0;
		} else if (++stalls == CDM_PRIVATE_MIGRATE_STALLS) {
			t->pool_err = -ENOMEM;
			t->pool_full = true;
		}
		addr += dealt << PAGE_SHIFT;
	}
	return 0;
}

/* Migrate the pages of [@start, @end) within one VMA, a batch at a time */
static int cdm_private_migrate_vma(struct cdm_private_pool *pool,
				   struct vm_area_struct *vma,
				   unsigned long start, unsigned long end,
				   bool to_device, unsigned long *pfns,
				   struct cdm_private_tally *t)
{
	struct migrate_vma args = {
		.vma = vma,
		.src = pfns,
		.dst = pfns + CDM_PRIVATE_MIGRATE_BATCH,
		.pgmap_owner = pool,
	};
	unsigned long addr, next;
	int err;

	for (addr = start; addr < end; addr = next) {
		next = min(end, ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE);
		err = cdm_private_migrate_batch(pool, &args, addr, next,
						to_device, t);
		if (err)
			return err;
		cond_resched();
	}
	return 0;
}

static int cdm_private_migrate_range(struct cdm_private_pool *pool,
				     struct mm_struct *mm, unsigned long start,
				     unsigned long end, bool to_device,
				     struct cdm_private_tally *t)
{
	struct vm_area_struct *vma;
	unsigned long addr, next;
	unsigned long *pfns;
	int err = 0;

	mmap_assert_locked(mm);
	pfns = kvmalloc_array(2 * CDM_PRIVATE_MIGRATE_BATCH, sizeof(*pfns),
			      GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;

	for (addr = start; addr < end; addr = next) {
		vma = vma_lookup(mm, addr);
		if (!vma) {
			err = -EFAULT;
			break;
		}
		next = min(end, vma->vm_end);
		/* shmem and shared file pages never move to device memory */
		if (to_device && (vma->vm_flags & VM_SHARED)) {
			t->other += (next - addr) >> PAGE_SHIFT;
			continue;
		}
		err = cdm_private_migrate_vma(pool, vma, addr, next, to_device,
					      pfns, t);
		if (err)
			break;
	}
	kvfree(pfns);
	return err;
}

/* Count a range's pages; the error when none moved for want of pages */
static int cdm_private_migrate_result(struct cdm_private_pool *pool,
				      const struct cdm_private_tally *t,
				      bool to_device, int err)
{
	atomic64_add(t->done, to_device ? &pool->stats.to_device :
					  &pool->stats.to_ram);
	atomic64_add(t->busy, &pool->stats.fail_busy);
	atomic64_add(t->nomem, &pool->stats.fail_nomem);
	atomic64_add(t->other, &pool->stats.fail_other);
	if (!err && !t->done && t->nomem)
		err = t->pool_err;
	return err;
}

/**
 * cdm_private_migrate - CDM_PRIVATE_IOC_TO_DEVICE and _TO_RAM
 * @pool: the pool the pages go to or come from
 * @mm: the address space (a reference held)
 * @r: the checked request; @r->done is set
 * @to_device: the direction
 *
 * To the device, pages already there count as neither done nor failed,
 * and when the pool cannot give a page the rest of the range is not
 * walked and counts as fail_nomem.
 *
 * Return: 0 (maybe with @r->done < @r->npages); -EFAULT (a hole) or
 * -EINVAL (a VMA migrate_vma cannot walk) before anything moved; when
 * none moved for want of pages, -ENOMEM, or -ENOSPC (the pool could not
 * grow for want of a physical address range).
 */
int cdm_private_migrate(struct cdm_private_pool *pool, struct mm_struct *mm,
			struct cdm_private_range *r, bool to_device)
{
	unsigned long start = r->addr;
	unsigned long end = start + (r->npages << PAGE_SHIFT);
	struct cdm_private_tally t = {};
	int err;

	err = mmap_read_lock_killable(mm);
	if (err)
		return err;
	err = cdm_private_check_vmas(mm, start, end, CDM_PRIVATE_VMA_MIGRATE);
	if (!err)
		err = cdm_private_migrate_range(pool, mm, start, end,
						to_device, &t);
	mmap_read_unlock(mm);

	r->done = t.done;
	return cdm_private_migrate_result(pool, &t, to_device, err);
}

/**
 * cdm_private_range_to_ram - migrate @pool's pages in a range back
 * @pool: the pool
 * @mm: the address space, mmap_lock held
 * @start: page-aligned start
 * @end: page-aligned end
 * @done: pages migrated (out)
 *
 * Return: 0, -EFAULT when the range has a hole, -EINTR, or -ENOMEM when
 * no system page could be had and none moved.
 */
int cdm_private_range_to_ram(struct cdm_private_pool *pool,
			     struct mm_struct *mm, unsigned long start,
			     unsigned long end, u64 *done)
{
	struct cdm_private_tally t = {};
	int err;

	err = cdm_private_migrate_range(pool, mm, start, end, false, &t);
	*done = t.done;
	return cdm_private_migrate_result(pool, &t, false, err);
}

/*
 * The CPU touched a device page (do_swap_page(), mmap_lock held): bring
 * it back. The page may be mapped by other processes too (a fork before
 * it was migrated): the core unmaps it everywhere and maps the new
 * system page in each, copy-on-write as before.
 */
static vm_fault_t cdm_private_migrate_to_ram(struct vm_fault *vmf)
{
	struct cdm_private_pool *pool = cdm_private_page_pool(vmf->page);
	unsigned long src = 0, dst = 0;
	struct migrate_vma args = {
		.vma = vmf->vma,
		.start = vmf->address & PAGE_MASK,
		.end = (vmf->address & PAGE_MASK) + PAGE_SIZE,
		.src = &src,
		.dst = &dst,
		.pgmap_owner = pool,
		.flags = MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
		.fault_page = vmf->page,
	};
	vm_fault_t ret = 0;
	int err;

	if (migrate_vma_setup(&args))
		return VM_FAULT_SIGBUS;

	/* not selected: somebody else is migrating it; fault again */
	if (src & MIGRATE_PFN_MIGRATE) {
		err = cdm_private_fill_one_ram(pool, &args, 0);
		if (err == -ENOMEM)
			ret = VM_FAULT_OOM;
		else if (err)
			ret = VM_FAULT_SIGBUS;
	}
	migrate_vma_pages(&args);
	if (dst && (src & MIGRATE_PFN_MIGRATE))
		atomic64_inc(&pool->stats.cpu_faults);
	migrate_vma_finalize(&args);
	return ret;
}

static void cdm_private_page_free(struct page *page)
{
	cdm_private_pool_free(page);
}

const struct dev_pagemap_ops cdm_private_pagemap_ops = {
	.page_free = cdm_private_page_free,
	.migrate_to_ram = cdm_private_migrate_to_ram,
};
