// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel allocations under the calling task's memory policy. A process
 * writes a page count to /sys/kernel/debug/cdm_test_alloc/pages and, in
 * its context, the module
 *
 *  - vmalloc()s that many pages: vmalloc takes order-0 pages from
 *    alloc_pages_bulk_array_mempolicy(), which follows the task's policy
 *    and has a bulk path of its own for MPOL_PREFERRED_MANY;
 *  - allocates that many page-sized objects from a slab cache of its
 *    own, whose slabs come from alloc_pages() under the task's policy;
 *
 * counts the node of every page and every object, frees it all and
 * keeps the counts for reading, one number per possible node:
 *
 *	# numactl --membind=1 sh -c 'echo 4096 > pages'; cat pages
 *	vmalloc 0 4096 0
 *	slab 0 4096 0
 *
 * A count of 0, above CDM_TEST_ALLOC_MAX_PAGES or not a number is refused
 * with -EINVAL; -ENOMEM when the memory is not there (the counts are then
 * all 0).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#define CDM_TEST_ALLOC_MAX_PAGES	65536	/* 256 MiB of 4 KiB pages */

static struct dentry *test_dir;
static struct kmem_cache *test_cache;

static DEFINE_MUTEX(test_lock);		/* one request at a time, and counts */
static unsigned long vmalloc_pages[MAX_NUMNODES];
static unsigned long slab_pages[MAX_NUMNODES];

static int test_vmalloc(unsigned int nr)
{
	char *area = vmalloc(array_size(nr, PAGE_SIZE));
	unsigned int i;

	if (!area)
		return -ENOMEM;
	for (i = 0; i < nr; i++)
		vmalloc_pages[page_to_nid(vmalloc_to_page(area + i * PAGE_SIZE))]++;
	vfree(area);
	return 0;
}

/*
 * The objects are chained through their first word. Afterwards the cache
 * is shrunk, so the next request gets no slab of this one: every slab it
 * uses is then allocated under its writer's policy.
 */
static int test_slab(unsigned int nr)
{
	void *obj, *head = NULL;
	unsigned int i;
	int err = 0;

	for (i = 0; i < nr; i++) {
		obj = kmem_cache_alloc(test_cache, GFP_KERNEL);
		if (!obj) {
			err = -ENOMEM;
			break;
		}
		slab_pages[folio_nid(virt_to_folio(obj))]++;
		*(void **)obj = head;
		head = obj;
	}
	while (head) {
		obj = head;
		head = *(void **)obj;
		kmem_cache_free(test_cache, obj);
	}
	kmem_cache_shrink(test_cache);
	return err;
}

static ssize_t pages_write(struct file *file, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	unsigned int nr;
	int err;

	/* kstrtouint() says -ERANGE for a count past UINT_MAX: too large */
	if (kstrtouint_from_user(ubuf, len, 0, &nr) || !nr ||
	    nr > CDM_TEST_ALLOC_MAX_PAGES)
		return -EINVAL;

	guard(mutex)(&test_lock);
	memset(vmalloc_pages, 0, sizeof(vmalloc_pages));
	memset(slab_pages, 0, sizeof(slab_pages));
	err = test_vmalloc(nr);
	if (!err)
		err = test_slab(nr);
	if (err) {
		memset(vmalloc_pages, 0, sizeof(vmalloc_pages));
		memset(slab_pages, 0, sizeof(slab_pages));
		return err;
	}
	return len;
}

static void show_counts(struct seq_file *m, const char *what,
			const unsigned long *counts)
{
	int nid;

	seq_puts(m, what);
	for (nid = 0; nid < nr_node_ids; nid++)
		seq_printf(m, " %lu", counts[nid]);
	seq_putc(m, '\n');
}

static int pages_show(struct seq_file *m, void *v)
{
	guard(mutex)(&test_lock);
	show_counts(m, "vmalloc", vmalloc_pages);
	show_counts(m, "slab", slab_pages);
	return 0;
}
DEFINE_SHOW_STORE_ATTRIBUTE(pages);

static int __init cdm_test_alloc_init(void)
{
	/* Unmerged: a shared cache would hand out other users' slabs */
	test_cache = kmem_cache_create("cdm_test_alloc", PAGE_SIZE, 0,
				       SLAB_NO_MERGE, NULL);
	if (!test_cache)
		return -ENOMEM;
	test_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("pages", 0600, test_dir, NULL, &pages_fops);
	return 0;
}
module_init(cdm_test_alloc_init);

static void __exit cdm_test_alloc_exit(void)
{
	/* Waits for writers still in pages_write() */
	debugfs_remove_recursive(test_dir);
	kmem_cache_destroy(test_cache);
}
module_exit(cdm_test_alloc_exit);

MODULE_DESCRIPTION("cdm: kernel allocations under the writer's memory policy");
MODULE_LICENSE("GPL");
