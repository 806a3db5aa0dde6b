// SPDX-License-Identifier: GPL-2.0
/*
 * A copy engine for testing the migration copy-offload hook of mm/cdm.c.
 * It copies with the CPU and, when asked, misbehaves in ways a real DMA
 * engine can:
 *
 *   fail_every=N     every Nth batch copies only its first half and
 *                    reports that, so the CPU must copy the rest
 *   decline_below=N  batches of fewer than N folios are declined
 *   mark=1           the last byte of every page it copied is set to
 *                    0xcd, so a test can see which pages the engine
 *                    copied and that the CPU did not copy them again
 *
 * Counters: /sys/module/cdm_test_copy/parameters/batches. At load it
 * also tries to register a second engine; second_register holds what
 * that returned (the hook allows one engine: -EBUSY).
 */
#include <linux/cdm.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/module.h>

static unsigned int fail_every;
module_param(fail_every, uint, 0644);
MODULE_PARM_DESC(fail_every, "copy only half of every Nth batch (0: never)");

static unsigned int decline_below;
module_param(decline_below, uint, 0644);
MODULE_PARM_DESC(decline_below, "decline batches of fewer folios");

static bool mark;
module_param(mark, bool, 0644);
MODULE_PARM_DESC(mark, "set the last byte of each copied page to 0xcd");

static unsigned int batches;
module_param(batches, uint, 0444);
MODULE_PARM_DESC(batches, "batches offered so far");

static int second_register;
module_param(second_register, int, 0444);
MODULE_PARM_DESC(second_register, "result of registering a second engine");

#define CDM_TEST_MARK	0xcd

static void copy_one(struct folio *dst, struct folio *src)
{
	long i, nr = folio_nr_pages(src);

	for (i = 0; i < nr; i++) {
		char *to = kmap_local_page(folio_page(dst, i));
		char *from = kmap_local_page(folio_page(src, i));

		memcpy(to, from, PAGE_SIZE);
		if (mark)
			to[PAGE_SIZE - 1] = CDM_TEST_MARK;
		kunmap_local(from);
		kunmap_local(to);
		cond_resched();
	}
}

static int cdm_test_copy(struct cdm_copy_engine *engine, struct folio **dst,
			 struct folio **src, unsigned int nr)
{
	unsigned int i, ncopy = nr, batch = ++batches;

	if (nr < decline_below)
		return -EOPNOTSUPP;
	if (fail_every && batch % fail_every == 0)
		ncopy = nr / 2;
	for (i = 0; i < ncopy; i++)
		copy_one(dst[i], src[i]);
	return ncopy ? ncopy : -EIO;
}

static struct cdm_copy_engine cdm_test_engine = {
	.name = "cdm-test-memcpy",
	.copy = cdm_test_copy,
};

static struct cdm_copy_engine cdm_test_second = {
	.name = "cdm-test-second",
	.copy = cdm_test_copy,
};

static int __init cdm_test_copy_init(void)
{
	int err = cdm_register_copy_engine(&cdm_test_engine);

	if (err)
		return err;
	second_register = cdm_register_copy_engine(&cdm_test_second);
	if (!second_register)
		cdm_unregister_copy_engine(&cdm_test_second);
	return 0;
}
module_init(cdm_test_copy_init);

static void __exit cdm_test_copy_exit(void)
{
	cdm_unregister_copy_engine(&cdm_test_engine);
}
module_exit(cdm_test_copy_exit);

MODULE_DESCRIPTION("cdm: CPU copy engine for testing migration copy offload");
MODULE_LICENSE("GPL");
