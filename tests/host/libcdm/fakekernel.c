// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The scripted kernel of fakekernel.h. move_pages(2) answers as the
 * kernel's do_pages_move() does:
 *
 *   - pages are isolated in list order into a batch; a page that answers
 *     with a status of its own (not present, already on the node, shared,
 *     its folio already isolated: -EBUSY) gets it at once and the batch
 *     before it is migrated;
 *   - when a batch does not migrate whole, the call returns the number of
 *     pages not moved plus the pages after it, which are never tried; the
 *     batch's statuses stay unwritten;
 *   - when the target runs out of memory mid-batch, the whole call fails
 *     with ENOMEM (what moved before stays moved).
 *
 * In query mode (nodes == NULL) each page answers its node, or its
 * (negative) node field when it has none. Whole-call failures are
 * scripted with fail_call (one move call) and fail_from (every call on).
 * The flags are checked first, as kernel_move_pages() does: unknown ones
 * are EINVAL, MPOL_MF_MOVE_ALL without CAP_SYS_NICE EPERM; with it,
 * shared pages move too.
 *
 * migrate_pages(2) answers as do_migrate_pages() does for one target
 * node (see fake_migrate_pages()).
 *
 * PAGEMAP_SCAN answers as do_pagemap_scan(): the argument checked as
 * pagemap_scan_get_args() does, each page's categories (PRESENT; HUGE
 * for the pages of a folio-aligned folio, mapped by one PMD) matched
 * against the masks, adjacent pages of equal reported categories merged
 * into one region, and the walk stopped where the vector is full.
 *
 * /proc/PID/pagemap reads answer as pagemap_read() does (see
 * pagemap_entry()), with PFNs laid out in the memory blocks the fake
 * sysfs lists, and the zero page's PFNs as libcdm's probe would find them.
 */
#include <errno.h>
#include <numaif.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fakekernel.h"
#include "fakesys.h"
#include "private.h"

/* malloc works until a test says otherwise, also in programs that link
 * this file but never call kernel_reset() (the sanitizer builds) */
struct fake_kernel kernel = { .malloc_budget = -1 };
struct cdm_ctx *ctx;
char *base;
long ps;
static pthread_mutex_t kernel_lock = PTHREAD_MUTEX_INITIALIZER;

void kernel_reset(void)
{
	int i;

	memset(&kernel, 0, sizeof(kernel));
	for (i = 0; i < NR_PAGES; i++) {
		kernel.page[i].node = HOME;
		kernel.page[i].head = -1;
	}
	kernel.room = -1;
	kernel.folio_pages = FOLIO_PAGES;
	kernel.malloc_budget = -1;
}

int page_index(const void *addr)
{
	uintptr_t off = (uintptr_t)addr - (uintptr_t)base;

	if ((uintptr_t)addr < (uintptr_t)base || off >= (uintptr_t)NR_PAGES * ps)
		return -1;
	return off / ps;
}

struct fake_page *folio_of(int i)
{
	return &kernel.page[kernel.page[i].head >= 0 ? kernel.page[i].head : i];
}

void make_folio(int head)
{
	int i;

	for (i = head; i < head + (int)kernel.folio_pages; i++)
		kernel.page[i].head = head;
}

void *addr_of(int i)
{
	return base + (size_t)i * ps;
}

static long fake_query(unsigned long n, void **pages, int *status)
{
	unsigned long i;
	int p;

	kernel.query_calls++;
	kernel.queried += n;
	for (i = 0; i < n; i++) {
		p = page_index(pages[i]);
		status[i] = p < 0 ? -EFAULT : kernel.page[p].node;
	}
	return 0;
}

/* add_page_for_migration(): > 0 isolated, 0 already there, else -errno */
static int isolate(const void *addr, int to, bool move_all)
{
	int p = page_index(addr);
	struct fake_page *folio;

	if (p < 0)
		return -EFAULT;
	if (kernel.page[p].node < 0)
		return -ENOENT;
	if (kernel.page[p].node == to)
		return 0;
	if (kernel.page[p].shared && !move_all)
		return -EACCES;
	folio = folio_of(p);
	if (folio->isolated)
		return -EBUSY;
	folio->isolated = true;
	return 1;
}

static void put_back(void **pages, unsigned long from, unsigned long end)
{
	for (; from < end; from++)
		folio_of(page_index(pages[from]))->isolated = false;
}

/* Move the folio of page @p (split first when it must be): pages moved,
 * or -ENOMEM when @to is full */
static long move_folio(int p, int to)
{
	struct fake_page *folio = folio_of(p);
	int first = folio->head >= 0 ? folio->head : p;
	int size = folio->head >= 0 ? (int)kernel.folio_pages : 1;
	bool split = folio->split_on_move;
	int i;

	if (kernel.room >= 0 && kernel.room < size)
		return -ENOMEM;
	for (i = first; i < first + size; i++) {
		kernel.page[i].node = to;
		if (split)
			kernel.page[i].head = -1;
	}
	if (kernel.room >= 0)
		kernel.room -= size;
	return size;
}

/* migrate_pages() of the batch [start, end): folios not moved, or -ENOMEM */
static long migrate_batch(void **pages, unsigned long start, unsigned long end, int to,
			  int *status)
{
	unsigned long i;
	long failed = 0;

	for (i = start; i < end; i++) {
		struct fake_page *folio = folio_of(page_index(pages[i]));

		if (!folio->isolated)
			continue;	/* moved with an earlier page of its folio */
		folio->isolated = false;
		if (folio->pinned) {
			failed++;
			continue;
		}
		if (move_folio(page_index(pages[i]), to) < 0) {
			put_back(pages, i + 1, end);
			return -ENOMEM;
		}
	}
	for (i = start; !failed && i < end; i++)
		status[i] = to;
	return failed;
}

static long fake_move(unsigned long n, void **pages, const int *nodes, int *status,
		      bool move_all)
{
	unsigned long i, start = 0;
	long failed;
	int err, to = nodes[0];

	for (i = 0; i < n; i++) {
		kernel.bad_nodes += nodes[i] != to;
		err = isolate(pages[i], to, move_all);
		if (err > 0)
			continue;
		status[i] = err ? err : to;
		failed = migrate_batch(pages, start, i, to, status);
		if (failed < 0)
			return failed;
		if (failed)	/* page i is accounted for */
			return failed + (long)(n - i) - 1;
		start = i + 1;
	}
	return migrate_batch(pages, start, n, to, status);
}

static long fake_move_pages_locked(unsigned long n, void **pages, const int *nodes, int *status,
				   int flags)
{
	kernel.calls++;
	if (kernel.hook)
		kernel.hook(!nodes);
	if (flags & ~(MPOL_MF_MOVE | MPOL_MF_MOVE_ALL))
		return -EINVAL;
	if ((flags & MPOL_MF_MOVE_ALL) && !kernel.cap_sys_nice)
		return -EPERM;
	if (kernel.fail_from && kernel.calls >= kernel.fail_from)
		return -kernel.fail_err;
	if (!nodes)
		return fake_query(n, pages, status);
	if (kernel.move_calls < sizeof(kernel.listed) / sizeof(kernel.listed[0]))
		kernel.listed[kernel.move_calls] = n;
	kernel.move_all_calls += !!(flags & MPOL_MF_MOVE_ALL);
	if (++kernel.move_calls == kernel.fail_call)
		return -kernel.fail_err;
	return fake_move(n, pages, nodes, status, flags & MPOL_MF_MOVE_ALL);
}

static long fake_move_pages(struct cdm_ctx *c, pid_t pid, unsigned long n, void **pages,
			    const int *nodes, int *status, int flags)
{
	long rc;

	pthread_mutex_lock(&kernel_lock);
	rc = fake_move_pages_locked(n, pages, nodes, status, flags);
	pthread_mutex_unlock(&kernel_lock);
	return rc;
}

/*
 * migrate_pages(2) as do_migrate_pages() does it towards one node: every
 * present page on a node of @from moves with its folio, in address order;
 * a page shared with another process stays unless the caller has
 * CAP_SYS_NICE (not a failure: migrate_folio_add()); a pinned folio fails
 * and is counted (once per folio: the return value); a full target fails
 * the call with ENOMEM, what moved before it staying moved.
 */
static long fake_migrate_pages(struct cdm_ctx *c, pid_t pid, const struct cdm_nodeset *from,
			       const struct cdm_nodeset *to)
{
	int i, target = cdm_nodeset_next(to, -1);
	long rc = 0, failed = 0;

	pthread_mutex_lock(&kernel_lock);
	kernel.migrate_calls++;
	if (kernel.migrate_err)
		rc = -kernel.migrate_err;
	for (i = 0; !rc && i < NR_PAGES; i++) {
		const struct fake_page *page = &kernel.page[i];

		if (page->node < 0 || !cdm_nodeset_has(from, page->node) ||
		    (page->shared && !kernel.cap_sys_nice))
			continue;
		if (folio_of(i)->pinned) {
			failed++;
			if (page->head >= 0)	/* the folio's other pages with it */
				i = page->head + kernel.folio_pages - 1;
			continue;
		}
		if (move_folio(i, target) < 0)
			rc = -ENOMEM;
	}
	pthread_mutex_unlock(&kernel_lock);
	return rc ? rc : failed;
}

/* pagemap_scan_pmd_entry()'s categories for the page at @addr */
static uint64_t scan_categories(uint64_t addr)
{
	int p = page_index((void *)(uintptr_t)addr);
	uint64_t cat;

	if (p < 0 || kernel.page[p].node < 0)
		return 0;	/* a hole, or not present */
	cat = CDM_PAGE_IS_PRESENT;
	if (kernel.page[p].head >= 0 && kernel.page[p].head % kernel.folio_pages == 0)
		cat |= CDM_PAGE_IS_HUGE;
	return cat;
}

static long fake_pagemap_scan_locked(struct cdm_pm_scan_arg *arg)
{
	struct cdm_page_region *vec = (struct cdm_page_region *)(uintptr_t)arg->vec;
	uint64_t addr, cat, all = (1 << 8) - 1;
	long n = 0;

	if (!kernel.scan_calls++) {
		kernel.first_scan_start = arg->start;
		kernel.first_scan_end = arg->end;
	}
	if (kernel.scan_err)
		return -kernel.scan_err;
	if (arg->size != sizeof(*arg) || arg->flags || arg->start % ps ||
	    ((arg->category_inverted | arg->category_mask | arg->category_anyof_mask |
	      arg->return_mask) & ~all) || (!arg->vec && arg->vec_len))
		return -EINVAL;
	arg->end = (arg->end + ps - 1) / ps * ps;
	arg->walk_end = arg->end;
	for (addr = arg->start; addr < arg->end; addr += ps) {
		cat = scan_categories(addr);
		if (((cat ^ arg->category_inverted) & arg->category_mask) != arg->category_mask ||
		    (arg->category_anyof_mask &&
		     !((cat ^ arg->category_inverted) & arg->category_anyof_mask)))
			continue;
		cat &= arg->return_mask;
		if (n && vec[n - 1].end == addr && vec[n - 1].categories == cat) {
			vec[n - 1].end = addr + ps;
			continue;
		}
		if ((uint64_t)n == arg->vec_len) {
			arg->walk_end = addr;
			break;
		}
		vec[n++] = (struct cdm_page_region){ addr, addr + ps, cat };
	}
	return n;
}

static long fake_pagemap_scan(struct cdm_ctx *c, pid_t pid, struct cdm_pm_scan_arg *arg)
{
	long rc;

	pthread_mutex_lock(&kernel_lock);
	rc = fake_pagemap_scan_locked(arg);
	pthread_mutex_unlock(&kernel_lock);
	return rc;
}

/* The programs are linked with --wrap=malloc,--wrap=pthread_create */
void *__real_malloc(size_t size);
int __real_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg);

void *__wrap_malloc(size_t size)
{
	bool fail;

	pthread_mutex_lock(&kernel_lock);
	kernel.mallocs++;
	fail = kernel.malloc_budget == 0;
	if (kernel.malloc_budget > 0)
		kernel.malloc_budget--;
	pthread_mutex_unlock(&kernel_lock);
	if (fail) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_malloc(size);
}

int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg)
{
	int err;

	pthread_mutex_lock(&kernel_lock);
	kernel.thread_creates++;
	err = kernel.thread_err;
	pthread_mutex_unlock(&kernel_lock);
	return err ? err : __real_pthread_create(thread, attr, fn, arg);
}

int pages_on(int node)
{
	int i, n = 0;

	for (i = 0; i < NR_PAGES; i++)
		n += kernel.page[i].node == node;
	return n;
}

/*
 * /proc/PID/pagemap as pagemap_read() fills it for the model: present
 * (bit 63) with the PFN of the page's node, or of the zero page (no
 * PM_MMAP_EXCLUSIVE: vm_normal_page() has no page for it), or above all
 * memory (a device page); a swap entry (bit 62); or nothing. The zero
 * page's PFN is what libcdm's probe of its own mapping would find.
 */
#define PM_PRESENT		(1ULL << 63)
#define PM_SWAP			(1ULL << 62)
#define PM_MMAP_EXCLUSIVE	(1ULL << 56)

uint64_t page_pfn(int node, int i)
{
	uint64_t block_pages = MEMORY_BLOCK_BYTES / ps;

	return 8ULL * node * block_pages + 64 + i;
}

void memory_blocks_add(int node)
{
	char rel[128], target[64];
	int b;

	for (b = 8 * node; b < 8 * node + 4; b++) {
		snprintf(rel, sizeof(rel), "devices/system/memory/memory%d/online", b);
		fakesys_write(rel, "1\n");
		snprintf(rel, sizeof(rel), "devices/system/node/node%d/memory%d", node, b);
		snprintf(target, sizeof(target), "../../memory/memory%d", b);
		fakesys_symlink(rel, target);
	}
}

static uint64_t pagemap_entry(uint64_t addr)
{
	int p = page_index((void *)(uintptr_t)addr);
	const struct fake_page *page;
	uint64_t pfn, flags = PM_PRESENT;

	if (p < 0)
		return 0;
	page = &kernel.page[p];
	if (page->swapped)	/* swap type 0, offset p */
		return PM_SWAP | (kernel.pfn_hidden ? 0 : (uint64_t)p << 5);
	if (page->node >= 0) {
		pfn = page_pfn(page->node, p);
		flags |= PM_MMAP_EXCLUSIVE;
	} else if (page->node == -EFAULT) {
		pfn = ZERO_PFN;
	} else if (page->device || page->node != -ENOENT) {
		pfn = DEVICE_PFN + p;
	} else {
		return 0;
	}
	return flags | (kernel.pfn_hidden ? 0 : pfn);
}

static int fake_pagemap_read(struct cdm_ctx *c, pid_t pid, uint64_t addr, unsigned long n,
			     uint64_t *entries)
{
	unsigned long i;
	int rc = 0;

	if (!n)
		return 0;	/* the open: always allowed */
	pthread_mutex_lock(&kernel_lock);
	kernel.pagemap_reads++;
	if (kernel.pagemap_hook)
		kernel.pagemap_hook(kernel.pagemap_reads);
	if (kernel.pagemap_reads == kernel.pagemap_fail_read)
		rc = -kernel.pagemap_fail_err;
	for (i = 0; !rc && i < n; i++)
		entries[i] = pagemap_entry(addr + i * ps);
	pthread_mutex_unlock(&kernel_lock);
	return rc;
}

static int fake_zero_pfns(struct cdm_ctx *c, struct cdm_zero_pfns *zero)
{
	pthread_mutex_lock(&kernel_lock);
	kernel.zero_probes++;
	pthread_mutex_unlock(&kernel_lock);
	if (kernel.pfn_hidden)
		return -EPERM;
	*zero = (struct cdm_zero_pfns){ .pfn = ZERO_PFN, .nr = 1 };
	if (kernel.huge_zero) {
		zero->huge_pfn = HUGE_ZERO_PFN;
		zero->huge_nr = FOLIO_PAGES;
	}
	return 0;
}

static const struct cdm_pagemap_seam fake_pagemap = {
	.read = fake_pagemap_read,
	.zero_pfns = fake_zero_pfns,
};

#define FOLIO_SIZE ((size_t)FOLIO_PAGES * ps)
static void *base_map;	/* the mapping base lies in */

static size_t base_map_len(void)
{
	return (size_t)NR_PAGES * ps + FOLIO_SIZE;
}

void fake_kernel_attach(struct cdm_ctx *c)
{
	cdm__set_move_pages(c, fake_move_pages);
	cdm__set_migrate_pages(c, fake_migrate_pages);
	cdm__set_pagemap_scan(c, fake_pagemap_scan);
	cdm__set_pagemap(c, &fake_pagemap);
}

int fake_kernel_setup(void **state)
{
	static const struct fake_node two[] = {
		{ 0, "0-1", 4096, "10 20" },
		{ 1, "", 4096, "20 10" },
	};
	char pmd[32];

	ps = sysconf(_SC_PAGESIZE);
	fakesys_new();
	fakesys_machine(two, 2);
	snprintf(pmd, sizeof(pmd), "%ld\n", FOLIO_PAGES * ps);
	fakesys_write("kernel/mm/transparent_hugepage/hpage_pmd_size", pmd);
	snprintf(pmd, sizeof(pmd), "%lx\n", MEMORY_BLOCK_BYTES);
	fakesys_write("devices/system/memory/block_size_bytes", pmd);
	memory_blocks_add(0);
	memory_blocks_add(1);
	/*
	 * Folio aligned, as the kernel places large mappings, but not under
	 * valgrind: libcdm cuts chunks at folio boundaries, and the scripted
	 * answers count on the chunks' sizes.
	 */
	base_map = mmap(NULL, base_map_len(), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base_map == MAP_FAILED)
		return -1;
	base = (char *)base_map + (FOLIO_SIZE - (uintptr_t)base_map % FOLIO_SIZE) % FOLIO_SIZE;
	/* no THP in smaps: libcdm passes every page, heads and tails alike */
	madvise(base_map, base_map_len(), MADV_NOHUGEPAGE);
	if (cdm_new(&ctx))
		return -1;
	fake_kernel_attach(ctx);
	kernel_reset();
	return 0;
}

int fake_kernel_teardown(void **state)
{
	cdm_unref(ctx);
	munmap(base_map, base_map_len());
	fakesys_remove();
	return 0;
}

int fake_kernel_reset(void **state)
{
	kernel_reset();
	return 0;
}
