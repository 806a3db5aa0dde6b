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
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fakekernel.h"
#include "fakesys.h"
#include "private.h"

struct fake_kernel kernel;
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

	for (i = head; i < head + FOLIO_PAGES; i++)
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
	for (i = 0; i < n; i++) {
		p = page_index(pages[i]);
		status[i] = p < 0 ? -EFAULT : kernel.page[p].node;
	}
	return 0;
}

/* add_page_for_migration(): > 0 isolated, 0 already there, else -errno */
static int isolate(const void *addr, int to)
{
	int p = page_index(addr);
	struct fake_page *folio;

	if (p < 0)
		return -EFAULT;
	if (kernel.page[p].node < 0)
		return -ENOENT;
	if (kernel.page[p].node == to)
		return 0;
	if (kernel.page[p].shared)
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

/* Move the folio of page @p: pages moved, or -ENOMEM when @to is full */
static long move_folio(int p, int to)
{
	struct fake_page *folio = folio_of(p);
	int first = folio->head >= 0 ? folio->head : p, size = folio->head >= 0 ? FOLIO_PAGES : 1;
	int i;

	if (kernel.room >= 0 && kernel.room < size)
		return -ENOMEM;
	for (i = first; i < first + size; i++)
		kernel.page[i].node = to;
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

static long fake_move(unsigned long n, void **pages, const int *nodes, int *status)
{
	unsigned long i, start = 0;
	long failed;
	int err, to = nodes[0];

	for (i = 0; i < n; i++) {
		kernel.bad_nodes += nodes[i] != to;
		err = isolate(pages[i], to);
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

static long fake_move_pages_locked(unsigned long n, void **pages, const int *nodes, int *status)
{
	kernel.calls++;
	if (kernel.hook)
		kernel.hook(!nodes);
	if (kernel.fail_from && kernel.calls >= kernel.fail_from)
		return -kernel.fail_err;
	if (!nodes)
		return fake_query(n, pages, status);
	if (kernel.move_calls < sizeof(kernel.listed) / sizeof(kernel.listed[0]))
		kernel.listed[kernel.move_calls] = n;
	if (++kernel.move_calls == kernel.fail_call)
		return -kernel.fail_err;
	return fake_move(n, pages, nodes, status);
}

static long fake_move_pages(struct cdm_ctx *c, pid_t pid, unsigned long n, void **pages,
			    const int *nodes, int *status, int flags)
{
	long rc;

	pthread_mutex_lock(&kernel_lock);
	rc = fake_move_pages_locked(n, pages, nodes, status);
	pthread_mutex_unlock(&kernel_lock);
	return rc;
}

int pages_on(int node)
{
	int i, n = 0;

	for (i = 0; i < NR_PAGES; i++)
		n += kernel.page[i].node == node;
	return n;
}

#define HUGE_SIZE (2UL << 20)
static void *base_map;	/* the mapping base lies in */

static size_t base_map_len(void)
{
	return (size_t)NR_PAGES * ps + HUGE_SIZE;
}

int fake_kernel_setup(void **state)
{
	static const struct fake_node two[] = {
		{ 0, "0-1", 4096, "10 20" },
		{ 1, "", 4096, "20 10" },
	};

	ps = sysconf(_SC_PAGESIZE);
	fakesys_new();
	fakesys_machine(two, 2);
	/*
	 * 2 MiB aligned, as the kernel places large mappings, but not under
	 * valgrind: libcdm cuts chunks at 2 MiB boundaries, and the scripted
	 * answers count on the chunks' sizes.
	 */
	base_map = mmap(NULL, base_map_len(), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base_map == MAP_FAILED)
		return -1;
	base = (char *)base_map + (HUGE_SIZE - (uintptr_t)base_map % HUGE_SIZE) % HUGE_SIZE;
	/* no THP in smaps: libcdm passes every page, heads and tails alike */
	madvise(base_map, base_map_len(), MADV_NOHUGEPAGE);
	if (cdm_new(&ctx))
		return -1;
	cdm__set_move_pages(ctx, fake_move_pages);
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
