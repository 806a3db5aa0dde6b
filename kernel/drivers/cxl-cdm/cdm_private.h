/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cdm_private: device-private memory (MEMORY_DEVICE_PRIVATE) for devices
 * the CPU cannot address coherently. The parts of the module:
 *
 *   cdm_private_main.c     module init/exit, parameters, the character
 *                          devices and their ioctls (argument checks)
 *   cdm_private_pool.c     the struct pages of a pool: chunks made with
 *                          memremap_pages() on demand, a free list
 *   cdm_private_backend.c  the device memory behind those struct pages
 *                          (emulated: one host page per device page)
 *   cdm_private_migrate.c  migration to the device and back through
 *                          migrate_vma, CPU faults, page_free
 *   cdm_private_mirror.c   the device's view of the opener's address
 *                          space: a device page table kept coherent with
 *                          an mmu_interval_notifier, exclusive access,
 *                          snapshots
 */
#ifndef CDM_PRIVATE_H
#define CDM_PRIVATE_H

#include <linux/atomic.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/memremap.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/xarray.h>

#define CDM_PRIVATE_MAX_POOLS	8

/* Pages migrated, faulted or copied per step (src/dst arrays, bounce) */
#define CDM_PRIVATE_MIRROR_BATCH	64UL

struct cdm_private_info;
struct cdm_private_pool;
struct cdm_private_range;

/*
 * The memory behind a pool's device pages. Between alloc() and free(),
 * dpage->zone_device_data belongs to the backend (the emulation keeps
 * the host page there); while a page is free the pool links its free
 * list through that field. Each call handles one whole page; copies may
 * sleep, read() and write() are called under a mutex that page reclaim
 * can wait for and must not allocate memory.
 */
struct cdm_private_backend_ops {
	const char *name;
	/* backing for a device page leaving the free list (contents stale) */
	int (*alloc)(struct cdm_private_pool *pool, struct page *dpage);
	/* the device page is free again: give its backing back */
	void (*free)(struct cdm_private_pool *pool, struct page *dpage);
	/* fill a device page: zeros, or a copy of a system page */
	int (*clear)(struct cdm_private_pool *pool, struct page *dpage);
	int (*copy_to_device)(struct cdm_private_pool *pool,
			      struct page *dpage, struct page *spage);
	/* copy a device page into a system page */
	int (*copy_from_device)(struct cdm_private_pool *pool,
				struct page *spage, struct page *dpage);
	/* the device's own access to a page of its memory */
	void (*read)(struct cdm_private_pool *pool, struct page *dpage,
		     void *buf);
	void (*write)(struct cdm_private_pool *pool, struct page *dpage,
		      const void *buf);
};

extern const struct cdm_private_backend_ops cdm_private_host_backend;

/* Counters behind CDM_PRIVATE_IOC_STATS (pages_on_device is nr_used) */
struct cdm_private_counters {
	atomic64_t to_device;
	atomic64_t to_ram;
	atomic64_t cpu_faults;
	atomic64_t device_reads;
	atomic64_t device_writes;
	atomic64_t fail_busy;
	atomic64_t fail_nomem;
	atomic64_t fail_other;
};

/*
 * A pool: /dev/cdm_private<id>. The pool itself is the owner cookie of
 * its pages (pgmap->owner): migrate_vma and hmm_range_fault() then pick
 * up this pool's pages only. It lives until the module is unloaded (the
 * device's release frees it), and the module cannot be unloaded while
 * a page of it is in use (see cdm_private_pool_alloc()).
 */
struct cdm_private_pool {
	struct device dev;
	struct cdev cdev;
	unsigned int id;
	char name[16];			/* "cdm_private<id>", also in iomem */
	const struct cdm_private_backend_ops *backend;
	unsigned long capacity;		/* pages the pool may grow to */
	unsigned long chunk;		/* pages added per growth */

	struct mutex grow_lock;		/* one growth at a time; @chunks */
	struct list_head chunks;

	spinlock_t lock;		/* protects the four below */
	struct page *free_pages;	/* linked by ->zone_device_data */
	unsigned long nr_free;
	unsigned long nr_allocated;	/* struct pages made, <= capacity */
	unsigned long nr_used;		/* pages handed out, not yet freed */

	struct cdm_private_counters stats;
};

/*
 * An open file. The device page table mirrors the address space of the
 * process that opened it (@notifier.mm, held by the notifier): index
 * pfn of a user address, entry the struct page (system or device page)
 * tagged with the access the device has. It holds no page references:
 * the notifier clears entries, under @lock, before the CPU page table
 * lets go of their pages.
 */
struct cdm_private_file {
	struct cdm_private_pool *pool;
	struct mmu_interval_notifier notifier;
	struct mutex lock;		/* protects @pt */
	struct xarray pt;
};

/* cdm_private_main.c */
enum cdm_private_vma_check {
	CDM_PRIVATE_VMA_MIGRATE,	/* what migrate_vma can walk */
	CDM_PRIVATE_VMA_MIRROR,		/* what hmm_range_fault() can fault */
	CDM_PRIVATE_VMA_MIRROR_WRITE,	/* ... and write */
	CDM_PRIVATE_VMA_ANY,		/* mapped at all */
};

int cdm_private_check_vmas(struct mm_struct *mm, unsigned long start,
			   unsigned long end, enum cdm_private_vma_check check);
struct cdm_private_pool *cdm_private_pool_by_id(unsigned int id);

/* cdm_private_pool.c */
void cdm_private_pool_init(struct cdm_private_pool *pool, unsigned int id,
			   unsigned long capacity, unsigned long chunk);
void cdm_private_pool_destroy(struct cdm_private_pool *pool);
long cdm_private_pool_prepare(struct cdm_private_pool *pool,
			      unsigned long nr);
struct page *cdm_private_pool_alloc(struct cdm_private_pool *pool);
void cdm_private_pool_free(struct page *dpage);
unsigned long cdm_private_pool_used(struct cdm_private_pool *pool);
void cdm_private_pool_info(struct cdm_private_pool *pool,
			   struct cdm_private_info *info);

static inline struct cdm_private_pool *cdm_private_page_pool(struct page *page)
{
	return page->pgmap->owner;
}

/* cdm_private_migrate.c */
extern const struct dev_pagemap_ops cdm_private_pagemap_ops;

int cdm_private_migrate(struct cdm_private_pool *pool, struct mm_struct *mm,
			struct cdm_private_range *r, bool to_device);
int cdm_private_range_to_ram(struct cdm_private_pool *pool,
			     struct mm_struct *mm, unsigned long start,
			     unsigned long end, u64 *done);

/* cdm_private_mirror.c */
int cdm_private_mirror_init(struct cdm_private_file *f);
void cdm_private_mirror_fini(struct cdm_private_file *f);
int cdm_private_mirror_read(struct cdm_private_file *f, struct mm_struct *mm,
			    struct cdm_private_range *r);
int cdm_private_mirror_write(struct cdm_private_file *f, struct mm_struct *mm,
			     struct cdm_private_range *r);
int cdm_private_mirror_exclusive(struct cdm_private_file *f,
				 struct mm_struct *mm,
				 struct cdm_private_range *r);
int cdm_private_mirror_check_exclusive(struct cdm_private_file *f,
				       struct mm_struct *mm,
				       struct cdm_private_range *r);
int cdm_private_snapshot(struct cdm_private_file *f, struct mm_struct *mm,
			 struct cdm_private_range *r);

#endif /* CDM_PRIVATE_H */
