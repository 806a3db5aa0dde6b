// SPDX-License-Identifier: GPL-2.0
/*
 * cdm_private: the device's view of the opener's address space.
 *
 * An open file keeps a device page table (struct cdm_private_file): for a
 * user address, the struct page the device may access and how. It is
 * filled on demand by hmm_range_fault() and kept coherent with the CPU
 * page table by an mmu_interval_notifier over the whole address space,
 * whose callback clears the entries of a range, under the file's mutex,
 * before the CPU page table lets go of their pages: a page the device
 * reads or writes under the mutex is still mapped there. Each request
 * inserts a second notifier over its own range only, the sequence of the
 * pattern of Documentation/mm/hmm.rst (so that invalidations elsewhere in
 * the process, a migration by another thread, do not make it retry):
 *
 *	again:
 *	seq = mmu_interval_read_begin(&rs->notifier);
 *	mmap_read_lock(mm); hmm_range_fault(&range); mmap_read_unlock(mm);
 *	mutex_lock(&f->lock);
 *	if (mmu_interval_read_retry(&rs->notifier, seq)) {
 *		mutex_unlock(&f->lock);
 *		goto again;
 *	}
 *	... store the pages in the device page table ...
 *	mutex_unlock(&f->lock);
 *
 * Nothing is allocated under the mutex that could reclaim (page reclaim
 * calls the notifiers), and no user memory is touched under it: data
 * goes through a bounce buffer of one batch.
 *
 * This pool's device pages are reported by hmm_range_fault() as they are
 * (dev_private_owner) and read or written through the backend; another
 * device's pages are migrated to system memory by it. A write to one of
 * this pool's pages that the CPU maps read-only (shared with a fork
 * child) first brings it back to system memory, where the write fault
 * copies it.
 *
 * Exclusive access (device atomics): make_device_exclusive_range() swaps
 * the CPU's mapping of a page for a device-exclusive entry; a CPU access
 * restores the mapping, and its notification (MMU_NOTIFY_EXCLUSIVE with
 * no owner) clears the device's entry. The driver's own swap (owner: the
 * file) is not an invalidation for it.
 */

#include <linux/bitmap.h>
#include <linux/highmem.h>
#include <linux/hmm.h>
#include <linux/jiffies.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/mmu_notifier.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "cdm_private.h"
#include "uapi/linux/cdm_private.h"

/* Device page table entries: the page, tagged (xarray allows 0, 1, 3) */
#define CDM_PRIVATE_PT_READ		0UL
#define CDM_PRIVATE_PT_EXCLUSIVE	1UL	/* writable, CPU shut out */
#define CDM_PRIVATE_PT_WRITE		3UL

/* Rounds of faults a batch may take without progress (then -EBUSY) */
#define CDM_PRIVATE_MIRROR_TRIES	16

/* A request's own notifier over its range: the sequence it checks */
struct cdm_private_seq {
	struct mmu_interval_notifier notifier;
	struct cdm_private_file *f;	/* whose lock orders the check */
};

/* Work space of a READ or WRITE */
struct cdm_private_access {
	struct cdm_private_seq seq;
	void *buf;		/* one batch of pages, kvmalloc()ed */
	unsigned long pfns[CDM_PRIVATE_MIRROR_BATCH];
	DECLARE_BITMAP(cow, CDM_PRIVATE_MIRROR_BATCH);
	struct page *dirty[CDM_PRIVATE_MIRROR_BATCH];
	unsigned int nr_dirty;
};

/* The file's own make_device_exclusive_range(): it stores the entries */
static bool cdm_private_own_exclusive(struct cdm_private_file *f,
				      const struct mmu_notifier_range *range)
{
	return range->event == MMU_NOTIFY_EXCLUSIVE && range->owner == f;
}

/*
 * A CPU access ending exclusive access (MMU_NOTIFY_EXCLUSIVE, no owner)
 * maps the same page again, with the folio locked: the device loses its
 * exclusive entry, but what hmm_range_fault() saw stays right, and an
 * EXCLUSIVE retrying a batch, whose page lookup ends its own previous
 * attempt this way, must not be told to retry again.
 */
static bool cdm_private_restores(const struct mmu_notifier_range *range)
{
	return range->event == MMU_NOTIFY_EXCLUSIVE && !range->owner;
}

static void cdm_private_pt_clear(struct cdm_private_file *f,
				 unsigned long start, unsigned long end)
{
	unsigned long index;
	void *entry;

	lockdep_assert_held(&f->lock);
	xa_for_each_range(&f->pt, index, entry, start >> PAGE_SHIFT,
			  (end - 1) >> PAGE_SHIFT)
		xa_erase(&f->pt, index);
}

/*
 * Bump the sequence of @mni and clear the device's entries of the range
 * (@clear), under the file's mutex: after this a request that looked at
 * the range before sees it must look again, and an entry it stored
 * before is gone.
 */
static bool cdm_private_invalidate(struct cdm_private_file *f,
				   struct mmu_interval_notifier *mni,
				   const struct mmu_notifier_range *range,
				   unsigned long cur_seq, bool clear)
{
	if (mmu_notifier_range_blockable(range))
		mutex_lock(&f->lock);
	else if (!mutex_trylock(&f->lock))
		return false;
	mmu_interval_set_seq(mni, cur_seq);
	if (clear)
		cdm_private_pt_clear(f, range->start, range->end);
	mutex_unlock(&f->lock);
	return true;
}

/* The whole address space: the device's page table */
static bool cdm_private_mirror_invalidate(struct mmu_interval_notifier *mni,
					  const struct mmu_notifier_range *range,
					  unsigned long cur_seq)
{
	struct cdm_private_file *f =
		container_of(mni, struct cdm_private_file, notifier);

	if (cdm_private_own_exclusive(f, range))
		return true;
	return cdm_private_invalidate(f, mni, range, cur_seq, true);
}

static const struct mmu_interval_notifier_ops cdm_private_mirror_ops = {
	.invalidate = cdm_private_mirror_invalidate,
};

/*
 * A request's range: make the request look again. The entries are
 * cleared here too: the two notifiers' callbacks run one after the
 * other, and entries stored between them would escape the first. A
 * SNAPSHOT of another process stores nothing.
 */
static bool cdm_private_seq_invalidate(struct mmu_interval_notifier *mni,
				       const struct mmu_notifier_range *range,
				       unsigned long cur_seq)
{
	struct cdm_private_seq *rs =
		container_of(mni, struct cdm_private_seq, notifier);
	struct cdm_private_file *f = rs->f;

	if (cdm_private_own_exclusive(f, range) ||
	    cdm_private_restores(range))
		return true;
	return cdm_private_invalidate(f, mni, range, cur_seq,
				      mni->mm == f->notifier.mm);
}

static const struct mmu_interval_notifier_ops cdm_private_seq_ops = {
	.invalidate = cdm_private_seq_invalidate,
};

static int cdm_private_seq_begin(struct cdm_private_seq *rs,
				 struct cdm_private_file *f,
				 struct mm_struct *mm, unsigned long start,
				 unsigned long end)
{
	rs->f = f;
	return mmu_interval_notifier_insert(&rs->notifier, mm, start,
					    end - start, &cdm_private_seq_ops);
}

static void cdm_private_seq_end(struct cdm_private_seq *rs)
{
	mmu_interval_notifier_remove(&rs->notifier);
}

int cdm_private_mirror_init(struct cdm_private_file *f)
{
	if (!current->mm)
		return -EINVAL;
	mutex_init(&f->lock);
	xa_init(&f->pt);
	return mmu_interval_notifier_insert(&f->notifier, current->mm, 0,
					    ULONG_MAX & PAGE_MASK,
					    &cdm_private_mirror_ops);
}

/*
 * The file is closed: the device forgets the address space. Pages it
 * migrated stay on the device; they belong to the process.
 */
void cdm_private_mirror_fini(struct cdm_private_file *f)
{
	mmu_interval_notifier_remove(&f->notifier);
	xa_destroy(&f->pt);
	mutex_destroy(&f->lock);
}

/*
 * Store what hmm_range_fault() found in the device page table. A write
 * needs a writable page: this pool's pages that the CPU maps read-only
 * (shared with a fork child) are left out and marked in @cow (-EAGAIN).
 */
static int cdm_private_pt_fill(struct cdm_private_file *f,
			       const struct hmm_range *range, bool write,
			       unsigned long *cow)
{
	unsigned long n = (range->end - range->start) >> PAGE_SHIFT;
	unsigned long i, hpfn, tag;
	bool need_cow = false;
	struct page *page;
	void *old;

	lockdep_assert_held(&f->lock);
	for (i = 0; i < n; i++) {
		hpfn = range->hmm_pfns[i];
		if (WARN_ON_ONCE(!(hpfn & HMM_PFN_VALID)))
			return -EFAULT;
		page = hmm_pfn_to_page(hpfn);
		tag = hpfn & HMM_PFN_WRITE ? CDM_PRIVATE_PT_WRITE :
					     CDM_PRIVATE_PT_READ;
		if (write && tag == CDM_PRIVATE_PT_READ) {
			/* hmm_range_fault() faulted every other page */
			if (WARN_ON_ONCE(!is_device_private_page(page)))
				return -EFAULT;
			__set_bit(i, cow);
			need_cow = true;
			continue;
		}
		old = xa_store(&f->pt, (range->start >> PAGE_SHIFT) + i,
			       xa_tag_pointer(page, tag), GFP_ATOMIC);
		if (xa_is_err(old))
			return xa_err(old);
	}
	return need_cow ? -EAGAIN : 0;
}

/*
 * hmm_range_fault() on @range in the pattern of hmm.rst, and @also (if
 * any) under the same mmap_lock. On success the file's mutex is held:
 * the result stays true until the caller drops it.
 */
static int cdm_private_range_fault(struct cdm_private_file *f,
				   struct mm_struct *mm,
				   struct hmm_range *range,
				   int (*also)(struct hmm_range *range,
					       void *arg),
				   void *arg)
{
	unsigned long timeout = jiffies +
				msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	int err;

	for (;;) {
		if (time_after(jiffies, timeout))
			return -EBUSY;
		range->notifier_seq = mmu_interval_read_begin(range->notifier);
		err = mmap_read_lock_killable(mm);
		if (err)
			return err;
		err = hmm_range_fault(range);
		if (!err && also)
			err = also(range, arg);
		mmap_read_unlock(mm);
		if (err == -EBUSY)
			continue;
		if (err)
			return err;

		mutex_lock(&f->lock);
		if (!mmu_interval_read_retry(range->notifier,
					     range->notifier_seq))
			return 0;
		mutex_unlock(&f->lock);
	}
}

/* Fault [@start, @end), one batch at most, in for the device */
static int cdm_private_mirror_fault(struct cdm_private_file *f,
				    struct cdm_private_seq *rs,
				    struct mm_struct *mm, unsigned long start,
				    unsigned long end, bool write,
				    unsigned long *pfns, unsigned long *cow)
{
	struct hmm_range range = {
		.notifier = &rs->notifier,
		.start = start,
		.end = end,
		.hmm_pfns = pfns,
		.default_flags = HMM_PFN_REQ_FAULT |
				 (write ? HMM_PFN_REQ_WRITE : 0),
		.dev_private_owner = f->pool,
	};
	int err;

	err = cdm_private_range_fault(f, mm, &range, NULL, NULL);
	if (err)
		return err;
	err = cdm_private_pt_fill(f, &range, write, cow);
	mutex_unlock(&f->lock);
	return err;
}

/* Bring the pages marked in @cow back to system memory, for a write */
static int cdm_private_break_cow(struct cdm_private_file *f,
				 struct mm_struct *mm, unsigned long start,
				 unsigned long *cow, unsigned long n)
{
	unsigned long b, e;
	u64 moved;
	int err;

	err = mmap_read_lock_killable(mm);
	if (err)
		return err;
	for_each_set_bitrange(b, e, cow, n) {
		err = cdm_private_range_to_ram(f->pool, mm,
					       start + (b << PAGE_SHIFT),
					       start + (e << PAGE_SHIFT),
					       &moved);
		if (err)
			break;
	}
	mmap_read_unlock(mm);
	return err;
}

/*
 * Copy @n pages between the device page table at @addr and the bounce
 * buffer from page @offset on, up to the first page not mapped for the
 * access. Return the pages copied.
 */
static unsigned long cdm_private_pt_access(struct cdm_private_file *f,
					   struct cdm_private_access *a,
					   unsigned long addr, unsigned long n,
					   unsigned long offset, bool write)
{
	struct cdm_private_pool *pool;
	struct page *page;
	unsigned long i;
	void *entry, *ptr;

	mutex_lock(&f->lock);
	for (i = 0; i < n; i++) {
		entry = xa_load(&f->pt, (addr >> PAGE_SHIFT) + i);
		page = xa_untag_pointer(entry);
		if (!page || (write &&
			      xa_pointer_tag(entry) == CDM_PRIVATE_PT_READ))
			break;
		ptr = a->buf + ((offset + i) << PAGE_SHIFT);
		if (is_device_private_page(page)) {
			pool = cdm_private_page_pool(page);
			if (write)
				pool->backend->write(pool, page, ptr);
			else
				pool->backend->read(pool, page, ptr);
		} else if (write) {
			memcpy_to_page(page, 0, ptr, PAGE_SIZE);
			/* dirty it below: that may sleep and allocate */
			get_page(page);
			a->dirty[a->nr_dirty++] = page;
		} else {
			memcpy_from_page(ptr, page, 0, PAGE_SIZE);
		}
	}
	mutex_unlock(&f->lock);

	/* the device's write set no dirty bit in the CPU page table */
	while (a->nr_dirty) {
		page = a->dirty[--a->nr_dirty];
		set_page_dirty_lock(page);
		put_page(page);
	}
	return i;
}

/* Copy one batch of @n pages at @addr, faulting pages in as needed */
static int cdm_private_access_batch(struct cdm_private_file *f,
				    struct cdm_private_access *a,
				    struct mm_struct *mm, unsigned long addr,
				    unsigned long n, bool write, u64 *faults)
{
	unsigned long copied = 0, got, start;
	unsigned int tries = 0;
	int err;

	for (;;) {
		got = cdm_private_pt_access(f, a, addr + (copied << PAGE_SHIFT),
					    n - copied, copied, write);
		copied += got;
		if (copied == n)
			return 0;
		if (got)
			tries = 0;
		else if (tries++ == CDM_PRIVATE_MIRROR_TRIES)
			return -EBUSY;

		start = addr + (copied << PAGE_SHIFT);
		bitmap_zero(a->cow, CDM_PRIVATE_MIRROR_BATCH);
		err = cdm_private_mirror_fault(f, &a->seq, mm, start,
					       addr + (n << PAGE_SHIFT), write,
					       a->pfns, a->cow);
		(*faults)++;
		if (err == -EAGAIN)
			err = cdm_private_break_cow(f, mm, start, a->cow,
						    n - copied);
		if (err)
			return err;
	}
}

static int cdm_private_mirror_access(struct cdm_private_file *f,
				     struct mm_struct *mm,
				     struct cdm_private_range *r, bool write)
{
	unsigned long start = r->addr;
	unsigned long end = start + (r->npages << PAGE_SHIFT);
	char __user *ubuf = u64_to_user_ptr(r->buf);
	struct cdm_private_access *a;
	unsigned long addr, n;
	int err;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	a->buf = kvmalloc(CDM_PRIVATE_MIRROR_BATCH << PAGE_SHIFT, GFP_KERNEL);
	if (!a->buf) {
		err = -ENOMEM;
		goto out_free;
	}
	err = cdm_private_seq_begin(&a->seq, f, mm, start, end);
	if (err)
		goto out_free;

	for (addr = start; addr < end; addr += n << PAGE_SHIFT) {
		n = min(CDM_PRIVATE_MIRROR_BATCH, (end - addr) >> PAGE_SHIFT);
		if (write && copy_from_user(a->buf, ubuf + (addr - start),
					    n << PAGE_SHIFT)) {
			err = -EFAULT;
			break;
		}
		err = cdm_private_access_batch(f, a, mm, addr, n, write,
					       &r->faults);
		if (err)
			break;
		if (!write && copy_to_user(ubuf + (addr - start), a->buf,
					   n << PAGE_SHIFT)) {
			err = -EFAULT;
			break;
		}
		r->done += n;
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
	}
	cdm_private_seq_end(&a->seq);
	atomic64_add(r->done, write ? &f->pool->stats.device_writes :
				      &f->pool->stats.device_reads);
out_free:
	kvfree(a->buf);
	kfree(a);
	return err;
}

/* CDM_PRIVATE_IOC_READ: the device reads the range into @r->buf */
int cdm_private_mirror_read(struct cdm_private_file *f, struct mm_struct *mm,
			    struct cdm_private_range *r)
{
	return cdm_private_mirror_access(f, mm, r, false);
}

/* CDM_PRIVATE_IOC_WRITE: the device writes @r->buf into the range */
int cdm_private_mirror_write(struct cdm_private_file *f, struct mm_struct *mm,
			     struct cdm_private_range *r)
{
	return cdm_private_mirror_access(f, mm, r, true);
}

/*
 * Make the pages of [@start, @end) exclusive to the device and map them
 * so. make_device_exclusive_range() may stop short of @end (*@nr: the
 * pages it looked at); a page it returns NULL for (not anonymous, locked
 * by someone else) is not made exclusive (*@made counts those that are).
 */
static int cdm_private_exclusive_batch(struct cdm_private_file *f,
				       struct cdm_private_seq *rs,
				       struct mm_struct *mm,
				       unsigned long start, unsigned long end,
				       struct page **pages, unsigned long *nr,
				       u64 *made)
{
	unsigned long timeout = jiffies +
				msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	unsigned long seq;
	bool retry;
	void *old;
	int n, i, err;

	for (;;) {
		if (time_after(jiffies, timeout))
			return -EBUSY;
		seq = mmu_interval_read_begin(&rs->notifier);
		err = mmap_read_lock_killable(mm);
		if (err)
			return err;
		n = make_device_exclusive_range(mm, start, end, pages, f);
		if (n <= 0) {
			mmap_read_unlock(mm);
			return n ? n : -EFAULT;
		}

		/* the folio locks keep the CPU out until the entries are in */
		mutex_lock(&f->lock);
		retry = mmu_interval_read_retry(&rs->notifier, seq);
		*made = 0;
		err = 0;
		for (i = 0; !retry && !err && i < n; i++) {
			if (!pages[i])
				continue;
			old = xa_store(&f->pt, (start >> PAGE_SHIFT) + i,
				       xa_tag_pointer(pages[i],
						      CDM_PRIVATE_PT_EXCLUSIVE),
				       GFP_ATOMIC);
			if (xa_is_err(old))
				err = xa_err(old);
			else
				(*made)++;
		}
		mutex_unlock(&f->lock);

		for (i = 0; i < n; i++) {
			if (pages[i]) {
				unlock_page(pages[i]);
				put_page(pages[i]);
			}
		}
		mmap_read_unlock(mm);
		if (!retry) {
			*nr = n;
			return err;
		}
	}
}

/* CDM_PRIVATE_IOC_EXCLUSIVE */
int cdm_private_mirror_exclusive(struct cdm_private_file *f,
				 struct mm_struct *mm,
				 struct cdm_private_range *r)
{
	unsigned long start = r->addr;
	unsigned long end = start + (r->npages << PAGE_SHIFT);
	unsigned long addr, next, nr;
	struct cdm_private_seq rs;
	struct page **pages;
	u64 made;
	int err;

	pages = kmalloc_array(CDM_PRIVATE_MIRROR_BATCH, sizeof(*pages),
			      GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	err = cdm_private_seq_begin(&rs, f, mm, start, end);
	if (err)
		goto out_free;
	for (addr = start; addr < end; addr += nr << PAGE_SHIFT) {
		next = min(end, addr + (CDM_PRIVATE_MIRROR_BATCH << PAGE_SHIFT));
		err = cdm_private_exclusive_batch(f, &rs, mm, addr, next, pages,
						  &nr, &made);
		if (err)
			break;
		r->done += made;
	}
	cdm_private_seq_end(&rs);
out_free:
	kfree(pages);
	return err;
}

/* CDM_PRIVATE_IOC_CHECK_EXCLUSIVE: pages the device still holds so */
int cdm_private_mirror_check_exclusive(struct cdm_private_file *f,
				       struct mm_struct *mm,
				       struct cdm_private_range *r)
{
	unsigned long first = r->addr >> PAGE_SHIFT;
	unsigned long index;
	void *entry;

	mutex_lock(&f->lock);
	xa_for_each_range(&f->pt, index, entry, first, first + r->npages - 1)
		if (xa_pointer_tag(entry) == CDM_PRIVATE_PT_EXCLUSIVE)
			r->done++;
	mutex_unlock(&f->lock);
	return 0;
}

/* Work space of a SNAPSHOT (the address space may be another process's) */
struct cdm_private_snap {
	struct cdm_private_seq seq;
	unsigned long pfns[CDM_PRIVATE_MIRROR_BATCH];
	unsigned long other[CDM_PRIVATE_MIRROR_BATCH];
	u8 state[CDM_PRIVATE_MIRROR_BATCH];
};

/*
 * The huge zero folio: is_huge_zero_folio() reads huge_zero_folio, which
 * modules cannot. It is the one PMD-mapped read-only large folio that
 * is neither anonymous nor in a file.
 */
static bool cdm_private_huge_zero(struct page *page, unsigned long hpfn)
{
	struct folio *folio = page_folio(page);

	return hmm_pfn_to_map_order(hpfn) == PMD_ORDER &&
	       !(hpfn & HMM_PFN_WRITE) && folio_test_large(folio) &&
	       !READ_ONCE(folio->mapping);
}

static u8 cdm_private_page_state(struct cdm_private_pool *pool,
				 unsigned long hpfn)
{
	struct page *page;

	if (hpfn & HMM_PFN_ERROR)
		return CDM_PRIVATE_PAGE_ERROR;
	if (!(hpfn & HMM_PFN_VALID))
		return CDM_PRIVATE_PAGE_NONE;
	page = hmm_pfn_to_page(hpfn);
	if (is_device_private_page(page))
		return cdm_private_page_pool(page) == pool ?
		       CDM_PRIVATE_PAGE_DEVICE : CDM_PRIVATE_PAGE_OTHER_DEVICE;
	if (is_device_coherent_page(page))
		return CDM_PRIVATE_PAGE_OTHER_DEVICE;
	if (is_zero_pfn(page_to_pfn(page)) ||
	    cdm_private_huge_zero(page, hpfn))
		return CDM_PRIVATE_PAGE_ZERO;
	return hpfn & HMM_PFN_WRITE ? CDM_PRIVATE_PAGE_RAM_WRITE :
				      CDM_PRIVATE_PAGE_RAM;
}

/*
 * hmm_range_fault() reports a device-private page without faulting it
 * only to the page's owner. Ask again as each other pool holding pages,
 * for the entries the first pass found empty. Other drivers' pages stay
 * unseen (NONE): their owners are theirs.
 */
static int cdm_private_snap_others(struct hmm_range *range, void *arg)
{
	struct cdm_private_pool *pool = range->dev_private_owner;
	unsigned long n = (range->end - range->start) >> PAGE_SHIFT;
	struct cdm_private_snap *s = arg;
	struct cdm_private_pool *other;
	unsigned long i;
	unsigned int id;
	int err = 0;

	for (i = 0; i < n; i++)
		if (!(s->pfns[i] & (HMM_PFN_VALID | HMM_PFN_ERROR)))
			break;
	if (i == n)
		return 0;

	range->hmm_pfns = s->other;
	for (id = 0; id < CDM_PRIVATE_MAX_POOLS; id++) {
		other = cdm_private_pool_by_id(id);
		if (!other || other == pool || !cdm_private_pool_used(other))
			continue;
		range->dev_private_owner = other;
		err = hmm_range_fault(range);
		if (err)
			break;
		for (i = 0; i < n; i++)
			if (!(s->pfns[i] & (HMM_PFN_VALID | HMM_PFN_ERROR)) &&
			    (s->other[i] & HMM_PFN_VALID) &&
			    is_device_private_page(hmm_pfn_to_page(s->other[i])))
				s->pfns[i] = s->other[i];
	}
	range->hmm_pfns = s->pfns;
	range->dev_private_owner = pool;
	return err;
}

static int cdm_private_snap_batch(struct cdm_private_file *f,
				  struct mm_struct *mm,
				  struct cdm_private_snap *s,
				  unsigned long start, unsigned long end)
{
	unsigned long n = (end - start) >> PAGE_SHIFT;
	struct hmm_range range = {
		.notifier = &s->seq.notifier,
		.start = start,
		.end = end,
		.hmm_pfns = s->pfns,
		.dev_private_owner = f->pool,
	};
	bool own = mm == f->notifier.mm;
	unsigned long i;
	void *entry;
	int err;

	err = cdm_private_range_fault(f, mm, &range, cdm_private_snap_others,
				      s);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		s->state[i] = cdm_private_page_state(f->pool, s->pfns[i]);
		/*
		 * A device-exclusive entry reads as empty too: the opener's
		 * device page table knows the pages this file made so.
		 */
		if (!own || s->state[i] != CDM_PRIVATE_PAGE_NONE)
			continue;
		entry = xa_load(&f->pt, (start >> PAGE_SHIFT) + i);
		if (entry && xa_pointer_tag(entry) == CDM_PRIVATE_PT_EXCLUSIVE)
			s->state[i] = CDM_PRIVATE_PAGE_EXCLUSIVE;
	}
	mutex_unlock(&f->lock);
	return 0;
}

/* CDM_PRIVATE_IOC_SNAPSHOT: one state byte per page into @r->buf */
int cdm_private_snapshot(struct cdm_private_file *f, struct mm_struct *mm,
			 struct cdm_private_range *r)
{
	unsigned long start = r->addr;
	unsigned long end = start + (r->npages << PAGE_SHIFT);
	u8 __user *ubuf = u64_to_user_ptr(r->buf);
	struct cdm_private_snap *s;
	unsigned long addr, next, n;
	int err;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	err = cdm_private_seq_begin(&s->seq, f, mm, start, end);
	if (err)
		goto out_free;

	for (addr = start; addr < end; addr = next) {
		next = min(end, addr + (CDM_PRIVATE_MIRROR_BATCH << PAGE_SHIFT));
		n = (next - addr) >> PAGE_SHIFT;
		err = cdm_private_snap_batch(f, mm, s, addr, next);
		if (err)
			break;
		if (copy_to_user(ubuf + r->done, s->state, n)) {
			err = -EFAULT;
			break;
		}
		r->done += n;
	}
	cdm_private_seq_end(&s->seq);
out_free:
	kfree(s);
	return err;
}
