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
 *   hold_us=N        a slow engine: each batch takes N microseconds
 *                    longer after its copy, which widens any window in
 *                    which the source can still be written
 *   sleep_in_async=1 where it may not sleep (!batch->may_sleep: the
 *                    MIGRATE_ASYNC of reclaim, compaction and NUMA
 *                    balancing) it calls what may sleep too (as a
 *                    DMA engine waiting for completion does), breaking
 *                    the contract, which a debug kernel must report
 *
 *   nodes=LIST       the nodes it serves (load time; default: all)
 *
 * Counters: /sys/module/cdm_test_copy/parameters/batches and
 * async_batches (offered where it may not sleep: copied so). At
 * load it also tries to register a second engine for the same nodes;
 * second_register holds what that returned (one engine per node: -EBUSY).
 */
#include <linux/cdm.h>
#include <linux/delay.h>
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

static unsigned int hold_us;
module_param(hold_us, uint, 0644);
MODULE_PARM_DESC(hold_us, "microseconds each batch takes after its copy");

static bool sleep_in_async;
module_param(sleep_in_async, bool, 0644);
MODULE_PARM_DESC(sleep_in_async, "may sleep in MIGRATE_ASYNC too (a broken engine)");

static char *nodes;
module_param(nodes, charp, 0444);
MODULE_PARM_DESC(nodes, "node list the engine serves (default: all)");

static unsigned int batches;
module_param(batches, uint, 0444);
MODULE_PARM_DESC(batches, "batches offered so far");

static unsigned int async_batches;
module_param(async_batches, uint, 0444);
MODULE_PARM_DESC(async_batches, "batches offered where the engine may not sleep");

static int second_register;
module_param(second_register, int, 0444);
MODULE_PARM_DESC(second_register, "result of registering a second engine");

#define CDM_TEST_MARK	0xcd

static void copy_one(struct folio *dst, struct folio *src, bool may_sleep)
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
		if (may_sleep)
			cond_resched();
	}
}

static int cdm_test_copy(struct cdm_copy_engine *engine,
			 const struct cdm_copy_batch *batch)
{
	bool may_sleep = batch->may_sleep;
	unsigned int i, ncopy = batch->nr, nr_batch = ++batches;

	if (!may_sleep)
		async_batches++;
	if (sleep_in_async && !may_sleep) {
		might_sleep();
		cond_resched();
	}
	if (batch->nr < decline_below)
		return -EOPNOTSUPP;
	if (fail_every && nr_batch % fail_every == 0)
		ncopy = batch->nr / 2;
	for (i = 0; i < ncopy; i++)
		copy_one(batch->dst[i], batch->src[i], may_sleep);
	if (hold_us && may_sleep)
		usleep_range(hold_us, hold_us + hold_us / 8 + 1);
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
	int err;

	cdm_test_engine.nodes = node_possible_map;
	if (nodes && nodelist_parse(nodes, cdm_test_engine.nodes)) {
		pr_err("cdm_test_copy: nodes=%s is not a node list\n", nodes);
		return -EINVAL;
	}
	cdm_test_second.nodes = cdm_test_engine.nodes;
	err = cdm_register_copy_engine(&cdm_test_engine);
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
