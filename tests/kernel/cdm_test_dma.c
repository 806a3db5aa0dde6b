// SPDX-License-Identifier: GPL-2.0
/*
 * A software dmaengine provider for tests: QEMU emulates no memcpy DMA
 * engine on x86, so this is how a DMA copy path runs for real in the VM.
 * It registers one dma_device with DMA_MEMCPY and @channels channels; each
 * channel has a kernel thread that performs the issued descriptors with
 * the CPU and completes them asynchronously, through the descriptors'
 * callbacks, as a hardware engine's interrupt handler would. Never load
 * it outside tests: its "device" is the CPU.
 *
 *   channels=N        channels to register (load time, 1-16, default 4)
 *   delay_us=N        each descriptor takes N microseconds longer
 *   reorder=1         a channel runs the descriptors issued together
 *                     last first, so completions arrive out of order
 *   fail_every=N      every Nth descriptor fails (DMA_TRANS_ABORTED)
 *                     after scribbling 0xa5 over its destination, as a
 *                     transfer that broke off half-way leaves it
 *   stall_every=N     every Nth descriptor never completes until the
 *                     channel is terminated (a hung engine: its user
 *                     must time out)
 *
 * Counters (read-only parameters): descriptors completed, failed and
 * stalled, and bytes copied.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "dmaengine.h"

#define CDM_TEST_DMA_MAX_CHANNELS	16
#define CDM_TEST_DMA_SCRIBBLE		0xa5

static unsigned int channels = 4;
module_param(channels, uint, 0444);
MODULE_PARM_DESC(channels, "channels to register, 1-16 (default 4)");

static unsigned int delay_us;
module_param(delay_us, uint, 0644);
MODULE_PARM_DESC(delay_us, "extra microseconds each descriptor takes");

static bool reorder;
module_param(reorder, bool, 0644);
MODULE_PARM_DESC(reorder, "run descriptors issued together last first");

static unsigned int fail_every;
module_param(fail_every, uint, 0644);
MODULE_PARM_DESC(fail_every, "every Nth descriptor fails (0: none)");

static unsigned int stall_every;
module_param(stall_every, uint, 0644);
MODULE_PARM_DESC(stall_every, "every Nth descriptor hangs until terminated (0: none)");

static unsigned long completed, failed, stalled, bytes;
module_param(completed, ulong, 0444);
MODULE_PARM_DESC(completed, "descriptors completed without error");
module_param(failed, ulong, 0444);
MODULE_PARM_DESC(failed, "descriptors failed on purpose");
module_param(stalled, ulong, 0444);
MODULE_PARM_DESC(stalled, "descriptors hung on purpose");
module_param(bytes, ulong, 0444);
MODULE_PARM_DESC(bytes, "bytes copied");

static atomic_t nr_desc = ATOMIC_INIT(0);

struct cdm_test_dma_desc {
	struct dma_async_tx_descriptor tx;
	struct list_head node;
	dma_addr_t dst;
	dma_addr_t src;
	size_t len;
};

struct cdm_test_dma_chan {
	struct dma_chan chan;
	spinlock_t lock;		/* protects the lists */
	struct list_head submitted;	/* not issued yet */
	struct list_head issued;	/* for the thread */
	struct list_head stuck;		/* hung until terminated */
	struct mutex running;		/* held while a descriptor runs */
	wait_queue_head_t wait;
	struct task_struct *thread;
};

struct cdm_test_dma {
	struct dma_device dma;
	unsigned int nr;
	struct cdm_test_dma_chan chan[] __counted_by(nr);
};

static struct platform_device *cdm_test_dma_pdev;

static struct cdm_test_dma_chan *to_test_chan(struct dma_chan *chan)
{
	return container_of(chan, struct cdm_test_dma_chan, chan);
}

static struct cdm_test_dma_desc *to_test_desc(struct dma_async_tx_descriptor *tx)
{
	return container_of(tx, struct cdm_test_dma_desc, tx);
}

static dma_cookie_t cdm_test_dma_submit(struct dma_async_tx_descriptor *tx)
{
	struct cdm_test_dma_chan *c = to_test_chan(tx->chan);
	dma_cookie_t cookie;

	spin_lock_bh(&c->lock);
	cookie = dma_cookie_assign(tx);
	list_add_tail(&to_test_desc(tx)->node, &c->submitted);
	spin_unlock_bh(&c->lock);
	return cookie;
}

static struct dma_async_tx_descriptor *
cdm_test_dma_prep_memcpy(struct dma_chan *chan, dma_addr_t dst, dma_addr_t src,
			 size_t len, unsigned long flags)
{
	struct cdm_test_dma_desc *d;

	if (!len)
		return NULL;
	d = kzalloc(sizeof(*d), GFP_NOWAIT);
	if (!d)
		return NULL;
	dma_async_tx_descriptor_init(&d->tx, chan);
	d->tx.tx_submit = cdm_test_dma_submit;
	d->tx.flags = flags;
	d->dst = dst;
	d->src = src;
	d->len = len;
	return &d->tx;
}

static void cdm_test_dma_issue_pending(struct dma_chan *chan)
{
	struct cdm_test_dma_chan *c = to_test_chan(chan);

	spin_lock_bh(&c->lock);
	list_splice_tail_init(&c->submitted, &c->issued);
	spin_unlock_bh(&c->lock);
	wake_up(&c->wait);
}

static enum dma_status cdm_test_dma_tx_status(struct dma_chan *chan,
					      dma_cookie_t cookie,
					      struct dma_tx_state *state)
{
	return dma_cookie_status(chan, cookie, state);
}

/* Descriptors dropped by terminate are freed without their callbacks */
static void cdm_test_dma_free_list(struct list_head *list)
{
	struct cdm_test_dma_desc *d, *tmp;

	list_for_each_entry_safe(d, tmp, list, node) {
		list_del(&d->node);
		kfree(d);
	}
}

static int cdm_test_dma_terminate_all(struct dma_chan *chan)
{
	struct cdm_test_dma_chan *c = to_test_chan(chan);
	LIST_HEAD(dropped);

	spin_lock_bh(&c->lock);
	list_splice_tail_init(&c->submitted, &dropped);
	list_splice_tail_init(&c->issued, &dropped);
	list_splice_tail_init(&c->stuck, &dropped);
	spin_unlock_bh(&c->lock);
	cdm_test_dma_free_list(&dropped);
	return 0;
}

/* Returns once no descriptor of @chan runs or calls back any more */
static void cdm_test_dma_synchronize(struct dma_chan *chan)
{
	struct cdm_test_dma_chan *c = to_test_chan(chan);

	mutex_lock(&c->running);
	mutex_unlock(&c->running);
}

static int cdm_test_dma_alloc_chan_resources(struct dma_chan *chan)
{
	dma_cookie_init(chan);
	return 1;
}

static void cdm_test_dma_free_chan_resources(struct dma_chan *chan)
{
	cdm_test_dma_terminate_all(chan);
	cdm_test_dma_synchronize(chan);
}

static void *cdm_test_dma_virt(struct dma_chan *chan, dma_addr_t addr)
{
	return phys_to_virt(dma_to_phys(chan->device->dev, addr));
}

enum cdm_test_dma_outcome {
	CDM_TEST_DMA_DONE,
	CDM_TEST_DMA_FAILED,
	CDM_TEST_DMA_STUCK,	/* parked on the channel's stuck list */
};

/* Runs @d with the CPU, or fails or hangs it on purpose */
static enum cdm_test_dma_outcome cdm_test_dma_run(struct cdm_test_dma_chan *c,
						  struct cdm_test_dma_desc *d)
{
	void *dst = cdm_test_dma_virt(&c->chan, d->dst);
	int n = atomic_inc_return(&nr_desc);
	unsigned int every;

	if (delay_us)
		usleep_range(delay_us, delay_us + delay_us / 8 + 1);
	every = READ_ONCE(stall_every);
	if (every && n % every == 0) {
		spin_lock_bh(&c->lock);
		list_add_tail(&d->node, &c->stuck);
		stalled++;
		spin_unlock_bh(&c->lock);
		return CDM_TEST_DMA_STUCK;
	}
	every = READ_ONCE(fail_every);
	if (every && n % every == 0) {
		memset(dst, CDM_TEST_DMA_SCRIBBLE, d->len);
		return CDM_TEST_DMA_FAILED;
	}
	memcpy(dst, cdm_test_dma_virt(&c->chan, d->src), d->len);
	return CDM_TEST_DMA_DONE;
}

static void cdm_test_dma_complete(struct cdm_test_dma_chan *c,
				  struct cdm_test_dma_desc *d, bool ok)
{
	struct dmaengine_result res = {
		.result = ok ? DMA_TRANS_NOERROR : DMA_TRANS_ABORTED,
		.residue = ok ? 0 : d->len,
	};

	spin_lock_bh(&c->lock);
	dma_cookie_complete(&d->tx);
	if (ok) {
		completed++;
		bytes += d->len;
	} else {
		failed++;
	}
	spin_unlock_bh(&c->lock);
	dmaengine_desc_get_callback_invoke(&d->tx, &res);
	kfree(d);
}

static int cdm_test_dma_thread(void *data)
{
	struct cdm_test_dma_chan *c = data;

	while (!kthread_should_stop()) {
		struct cdm_test_dma_desc *d;
		LIST_HEAD(run);

		wait_event_interruptible(c->wait, kthread_should_stop() ||
					 !list_empty_careful(&c->issued));
		mutex_lock(&c->running);
		spin_lock_bh(&c->lock);
		list_splice_tail_init(&c->issued, &run);
		spin_unlock_bh(&c->lock);
		while (!list_empty(&run)) {
			d = reorder ? list_last_entry(&run, typeof(*d), node) :
				      list_first_entry(&run, typeof(*d), node);
			list_del(&d->node);
			switch (cdm_test_dma_run(c, d)) {
			case CDM_TEST_DMA_DONE:
				cdm_test_dma_complete(c, d, true);
				break;
			case CDM_TEST_DMA_FAILED:
				cdm_test_dma_complete(c, d, false);
				break;
			case CDM_TEST_DMA_STUCK:
				break;
			}
		}
		mutex_unlock(&c->running);
	}
	return 0;
}

static int cdm_test_dma_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct cdm_test_dma *td;
	unsigned int i;
	int err;

	err = dma_coerce_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (err)
		return err;
	td = devm_kzalloc(dev, struct_size(td, chan, channels), GFP_KERNEL);
	if (!td)
		return -ENOMEM;
	td->nr = channels;
	dma_cap_set(DMA_MEMCPY, td->dma.cap_mask);
	td->dma.dev = dev;
	td->dma.copy_align = DMAENGINE_ALIGN_1_BYTE;
	td->dma.device_alloc_chan_resources = cdm_test_dma_alloc_chan_resources;
	td->dma.device_free_chan_resources = cdm_test_dma_free_chan_resources;
	td->dma.device_prep_dma_memcpy = cdm_test_dma_prep_memcpy;
	td->dma.device_issue_pending = cdm_test_dma_issue_pending;
	td->dma.device_tx_status = cdm_test_dma_tx_status;
	td->dma.device_terminate_all = cdm_test_dma_terminate_all;
	td->dma.device_synchronize = cdm_test_dma_synchronize;
	INIT_LIST_HEAD(&td->dma.channels);

	for (i = 0; i < td->nr; i++) {
		struct cdm_test_dma_chan *c = &td->chan[i];

		spin_lock_init(&c->lock);
		INIT_LIST_HEAD(&c->submitted);
		INIT_LIST_HEAD(&c->issued);
		INIT_LIST_HEAD(&c->stuck);
		mutex_init(&c->running);
		init_waitqueue_head(&c->wait);
		c->chan.device = &td->dma;
		list_add_tail(&c->chan.device_node, &td->dma.channels);
		c->thread = kthread_run(cdm_test_dma_thread, c, "cdm_test_dma/%u", i);
		if (IS_ERR(c->thread)) {
			err = PTR_ERR(c->thread);
			goto stop;
		}
	}
	err = dma_async_device_register(&td->dma);
	if (err)
		goto stop;
	platform_set_drvdata(pdev, td);
	dev_info(dev, "%u memcpy channels (a test engine: the CPU copies)\n", td->nr);
	return 0;

stop:
	while (i--)
		kthread_stop(td->chan[i].thread);
	return err;
}

static void cdm_test_dma_remove(struct platform_device *pdev)
{
	struct cdm_test_dma *td = platform_get_drvdata(pdev);
	unsigned int i;

	/* Channels in use hold this module: none is in use here */
	dma_async_device_unregister(&td->dma);
	for (i = 0; i < td->nr; i++) {
		kthread_stop(td->chan[i].thread);
		cdm_test_dma_terminate_all(&td->chan[i].chan);
	}
}

static struct platform_driver cdm_test_dma_driver = {
	.probe = cdm_test_dma_probe,
	.remove = cdm_test_dma_remove,
	.driver = {
		.name = KBUILD_MODNAME,
		.suppress_bind_attrs = true,
	},
};

static int __init cdm_test_dma_init(void)
{
	int err;

	if (!channels || channels > CDM_TEST_DMA_MAX_CHANNELS) {
		pr_err("channels=%u: must be 1 to %u\n", channels,
		       CDM_TEST_DMA_MAX_CHANNELS);
		return -EINVAL;
	}
	err = platform_driver_register(&cdm_test_dma_driver);
	if (err)
		return err;
	cdm_test_dma_pdev = platform_device_register_simple(KBUILD_MODNAME, -1,
							    NULL, 0);
	if (IS_ERR(cdm_test_dma_pdev)) {
		platform_driver_unregister(&cdm_test_dma_driver);
		return PTR_ERR(cdm_test_dma_pdev);
	}
	if (!platform_get_drvdata(cdm_test_dma_pdev)) {
		/* probe failed and said why */
		platform_device_unregister(cdm_test_dma_pdev);
		platform_driver_unregister(&cdm_test_dma_driver);
		return -ENODEV;
	}
	return 0;
}
module_init(cdm_test_dma_init);

static void __exit cdm_test_dma_exit(void)
{
	platform_device_unregister(cdm_test_dma_pdev);
	platform_driver_unregister(&cdm_test_dma_driver);
}
module_exit(cdm_test_dma_exit);

MODULE_DESCRIPTION("cdm: a software memcpy dmaengine provider for tests");
MODULE_LICENSE("GPL");
