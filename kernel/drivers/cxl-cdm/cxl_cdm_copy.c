// SPDX-License-Identifier: GPL-2.0
/*
 * cxl_cdm copy engine: copies the folios of a migration batch to or from
 * a node this driver onlined, with dmaengine memcpy channels, or with
 * several CPUs when there is no channel (cdm_register_copy_engine()).
 *
 * Choosing by cost. A DMA channel pays for mapping, a descriptor and an
 * interrupt per folio, so small folios are faster on the CPU that is
 * already copying: published measurements of move_pages with AMD PTDMA
 * (1 GB) show one channel slower than the CPU for 4 KiB folios (2.75 vs
 * 3.73 GB/s) and 16 channels about 6x faster for 2 MiB folios (63.7 vs
 * 10.7 GB/s). So the engine declines a batch whose largest folio is
 * smaller than min_folio_kb, or whose folios add up to less than
 * min_batch_kb, and the migration core copies it on the CPU. The same
 * holds for the CPU engine, whose workers cost a wake-up each. The
 * defaults come from those measurements, not from this machine: an
 * emulated machine cannot measure a DMA engine.
 *
 * DMA path. A batch takes the channels that are free, no more than it has
 * folios (at least one, waiting for it if all are busy), spreads its folios
 * over them round-robin, maps each folio for the device of its channel,
 * submits one memcpy descriptor per folio and waits for the completions,
 * at most dma_timeout_ms. Then it terminates the channels it used if a
 * descriptor is still out, unmaps everything and returns how many folios
 * from the front were copied without error: the core copies the rest on
 * the CPU, so a failed or hung descriptor costs time, never data. Where
 * it may not sleep (batch->may_sleep false: reclaim, compaction, NUMA
 * balancing) it declines the batch; move_pages() and memory offlining
 * let it sleep. The batch holds the locks of all its folios, so it
 * allocates without reclaim (GFP_NOWAIT) and declines when that fails.
 *
 * Counters and the thresholds' current values are in
 * /sys/module/cxl_cdm/copy/ (README).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cdm.h>
#include <linux/completion.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/highmem.h>
#include <linux/kobject.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

#include "cxl_cdm.h"

#define CXL_CDM_MAX_CHANNELS	64
#define CXL_CDM_MAX_THREADS	64

static unsigned int dma_channels;
static struct cdm_uint_param dma_channels_param = {
	.val = &dma_channels, .min = 0, .max = CXL_CDM_MAX_CHANNELS,
	.unit = "channels",
};
module_param_cb(dma_channels, &cdm_uint_param_ops, &dma_channels_param,
		0444);
__MODULE_PARM_TYPE(dma_channels, "uint");
MODULE_PARM_DESC(dma_channels,
		 "DMA memcpy channels to use, 0-64 (default 0: all there are at load)");

static unsigned int min_folio_kb = 64;
static struct cdm_uint_param min_folio_param = {
	.val = &min_folio_kb, .min = 0, .max = 1048576, .unit = "KiB",
};
module_param_cb(min_folio_kb, &cdm_uint_param_ops, &min_folio_param,
		0644);
__MODULE_PARM_TYPE(min_folio_kb, "uint");
MODULE_PARM_DESC(min_folio_kb,
		 "decline batches whose largest folio is smaller, 0-1048576 KiB (default 64)");

static unsigned int min_batch_kb = 256;
static struct cdm_uint_param min_batch_param = {
	.val = &min_batch_kb, .min = 0, .max = 1048576, .unit = "KiB",
};
module_param_cb(min_batch_kb, &cdm_uint_param_ops, &min_batch_param,
		0644);
__MODULE_PARM_TYPE(min_batch_kb, "uint");
MODULE_PARM_DESC(min_batch_kb,
		 "decline batches of fewer bytes, 0-1048576 KiB (default 256)");

static unsigned int dma_timeout_ms = 10000;
static struct cdm_uint_param dma_timeout_param = {
	.val = &dma_timeout_ms, .min = 1, .max = 600000, .unit = "ms",
};
module_param_cb(dma_timeout_ms, &cdm_uint_param_ops, &dma_timeout_param,
		0644);
__MODULE_PARM_TYPE(dma_timeout_ms, "uint");
MODULE_PARM_DESC(dma_timeout_ms,
		 "how long a batch waits for its DMA completions, 1-600000 ms (default 10000)");

static unsigned int cpu_threads;
static struct cdm_uint_param cpu_threads_param = {
	.val = &cpu_threads, .min = 0, .max = CXL_CDM_MAX_THREADS,
	.unit = "threads",
};
module_param_cb(cpu_threads, &cdm_uint_param_ops, &cpu_threads_param,
		0644);
__MODULE_PARM_TYPE(cpu_threads, "uint");
MODULE_PARM_DESC(cpu_threads,
		 "CPUs the CPU engine splits a batch over, 0-64 (default 0: the online CPUs; 1: decline all)");

struct cxl_cdm_counters {
	atomic_long_t folios;
	atomic_long_t bytes;
	atomic_long_t errors;
	atomic_long_t time_ns;
};

/* A DMA channel, used by one batch at a time */
struct cxl_cdm_chan {
	struct kobject kobj;		/* copy/channelN */
	struct dma_chan *chan;
	struct mutex lock;		/* held by the batch using it */
	struct cxl_cdm_counters count;
};

static struct cxl_cdm_chan *cxl_cdm_chans[CXL_CDM_MAX_CHANNELS];
static unsigned int cxl_cdm_nr_chans;

static struct cxl_cdm_counters dma_count, cpu_count;
static atomic_long_t declined_small, declined_nosleep, dma_timeouts;

/* One engine per node: a node's engine may be another module's */
struct cxl_cdm_engine {
	struct cdm_copy_engine engine;
	struct list_head list;
	int nid;
	unsigned int users;	/* bound devices with memory on @nid */
	bool registered;
	char name[32];
};

static LIST_HEAD(cxl_cdm_engines);
static DEFINE_MUTEX(cxl_cdm_engines_lock);

static struct kobject *cxl_cdm_copy_kobj;

static void cxl_cdm_count(struct cxl_cdm_counters *c, unsigned long folios,
			  unsigned long bytes, unsigned long errors, u64 ns)
{
	atomic_long_add(folios, &c->folios);
	atomic_long_add(bytes, &c->bytes);
	atomic_long_add(errors, &c->errors);
	atomic_long_add(ns, &c->time_ns);
}

/* ---- DMA ---- */

/* A folio of a batch on its way through a channel */
struct cxl_cdm_slot {
	struct cxl_cdm_xfer *xfer;
	struct cxl_cdm_chan *chan;
	dma_addr_t src;
	dma_addr_t dst;
	size_t len;
	bool src_mapped;
	bool dst_mapped;
	bool submitted;
	bool ok;		/* completed without error */
};

struct cxl_cdm_xfer {
	atomic_t pending;	/* submitted, not completed; +1 while submitting */
	struct completion done;
	struct cxl_cdm_chan *used[CXL_CDM_MAX_CHANNELS];
	unsigned int nr;
	struct cxl_cdm_slot slot[] __counted_by(nr);
};

static void cxl_cdm_dma_done(void *param, const struct dmaengine_result *res)
{
	struct cxl_cdm_slot *slot = param;
	struct cxl_cdm_xfer *xfer = slot->xfer;

	WRITE_ONCE(slot->ok, res->result == DMA_TRANS_NOERROR);
	if (atomic_dec_and_test(&xfer->pending))
		complete(&xfer->done);
}

/*
 * Takes up to @want free channels into @used, at least one: how many. The
 * search starts one channel further each time, so that batches of one
 * folio (a THP) spread over the channels too.
 */
static unsigned int cxl_cdm_take_chans(struct cxl_cdm_chan **used,
				       unsigned int want)
{
	static atomic_t next_chan = ATOMIC_INIT(0);
	unsigned int i, n = 0, first;

	first = (unsigned int)atomic_inc_return(&next_chan) % cxl_cdm_nr_chans;
	for (i = 0; i < cxl_cdm_nr_chans && n < want; i++) {
		struct cxl_cdm_chan *c = cxl_cdm_chans[(first + i) % cxl_cdm_nr_chans];

		if (mutex_trylock(&c->lock))
			used[n++] = c;
	}
	if (!n) {
		used[0] = cxl_cdm_chans[first];
		mutex_lock(&used[0]->lock);
		n = 1;
	}
	return n;
}

static bool cxl_cdm_dma_map(struct cxl_cdm_slot *slot, struct folio *dst,
			    struct folio *src)
{
	struct device *dev = slot->chan->chan->device->dev;

	slot->len = folio_size(src);
	slot->src = dma_map_page(dev, folio_page(src, 0), 0, slot->len,
				 DMA_TO_DEVICE);
	if (dma_mapping_error(dev, slot->src))
		return false;
	slot->src_mapped = true;
	slot->dst = dma_map_page(dev, folio_page(dst, 0), 0, slot->len,
				 DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, slot->dst))
		return false;
	slot->dst_mapped = true;
	return true;
}

static void cxl_cdm_dma_unmap(struct cxl_cdm_slot *slot)
{
	struct device *dev = slot->chan->chan->device->dev;

	if (slot->dst_mapped)
		dma_unmap_page(dev, slot->dst, slot->len, DMA_FROM_DEVICE);
	if (slot->src_mapped)
		dma_unmap_page(dev, slot->src, slot->len, DMA_TO_DEVICE);
}

static bool cxl_cdm_dma_submit(struct cxl_cdm_slot *slot)
{
	struct dma_async_tx_descriptor *tx;
	dma_cookie_t cookie;

	tx = dmaengine_prep_dma_memcpy(slot->chan->chan, slot->dst, slot->src,
				       slot->len,
				       DMA_PREP_INTERRUPT | DMA_CTRL_ACK);
	if (!tx)
		return false;
	tx->callback_result = cxl_cdm_dma_done;
	tx->callback_param = slot;
	atomic_inc(&slot->xfer->pending);
	cookie = dmaengine_submit(tx);
	if (dma_submit_error(cookie)) {
		atomic_dec(&slot->xfer->pending);
		return false;
	}
	slot->submitted = true;
	return true;
}

static int cxl_cdm_dma_copy(const struct cdm_copy_batch *batch)
{
	unsigned int i, nr_used, copied = 0;
	struct cxl_cdm_chan **used;
	struct cxl_cdm_xfer *xfer;
	u64 start = ktime_get_ns();
	unsigned long timeout;

	xfer = kzalloc(struct_size(xfer, slot, batch->nr), GFP_NOWAIT | __GFP_NOWARN);
	if (!xfer)
		return -ENOMEM;
	xfer->nr = batch->nr;
	atomic_set(&xfer->pending, 1);
	init_completion(&xfer->done);

	used = xfer->used;
	nr_used = cxl_cdm_take_chans(used, batch->nr);
	for (i = 0; i < batch->nr; i++) {
		struct cxl_cdm_slot *slot = &xfer->slot[i];

		slot->xfer = xfer;
		slot->chan = used[i % nr_used];
		/* what is not submitted, from here on, the CPU copies */
		if (!cxl_cdm_dma_map(slot, batch->dst[i], batch->src[i]) ||
		    !cxl_cdm_dma_submit(slot))
			break;
	}
	for (i = 0; i < nr_used; i++)
		dma_async_issue_pending(used[i]->chan);

	timeout = msecs_to_jiffies(READ_ONCE(dma_timeout_ms));
	if (!atomic_dec_and_test(&xfer->pending) &&
	    !wait_for_completion_timeout(&xfer->done, timeout)) {
		/* after this no descriptor of ours runs or calls back */
		for (i = 0; i < nr_used; i++)
			dmaengine_terminate_sync(used[i]->chan);
		atomic_long_inc(&dma_timeouts);
		pr_warn_ratelimited("DMA copy of %u folios, node %d to %d: no completion within %u ms, channels terminated\n",
				    batch->nr, batch->src_nid, batch->dst_nid,
				    READ_ONCE(dma_timeout_ms));
	}

	for (i = 0; i < batch->nr; i++) {
		struct cxl_cdm_slot *slot = &xfer->slot[i];
		bool ok = slot->submitted && READ_ONCE(slot->ok);

		if (!slot->chan)
			break;
		cxl_cdm_dma_unmap(slot);
		if (ok && copied == i)
			copied++;
		cxl_cdm_count(&slot->chan->count, ok, ok ? slot->len : 0, !ok, 0);
	}
	for (i = 0; i < nr_used; i++)
		mutex_unlock(&used[i]->lock);
	kfree(xfer);

	cxl_cdm_count(&dma_count, copied, 0, batch->nr - copied,
		      ktime_get_ns() - start);
	for (i = 0; i < copied; i++)
		atomic_long_add(folio_size(batch->src[i]), &dma_count.bytes);
	return copied ? copied : -EIO;
}

/* ---- CPU ---- */

/* Pages @first to @end - 1 of a batch, counted across its folios */
struct cxl_cdm_cpu_part {
	struct work_struct work;
	const struct cdm_copy_batch *batch;
	unsigned long first;
	unsigned long end;
};

static void cxl_cdm_cpu_copy_part(struct cxl_cdm_cpu_part *part)
{
	const struct cdm_copy_batch *batch = part->batch;
	unsigned long base = 0, i;
	unsigned int f;

	for (f = 0; f < batch->nr && base < part->end; f++) {
		unsigned long nr = folio_nr_pages(batch->src[f]);

		for (i = max(base, part->first); i < min(base + nr, part->end); i++) {
			copy_highpage(folio_page(batch->dst[f], i - base),
				      folio_page(batch->src[f], i - base));
			cond_resched();
		}
		base += nr;
	}
}

static void cxl_cdm_cpu_work(struct work_struct *work)
{
	cxl_cdm_cpu_copy_part(container_of(work, struct cxl_cdm_cpu_part, work));
}

/* Splits the pages of @batch over @threads CPUs, this one included */
static int cxl_cdm_cpu_copy(const struct cdm_copy_batch *batch,
			    unsigned int threads, size_t bytes)
{
	unsigned long pages = bytes >> PAGE_SHIFT, per;
	struct cxl_cdm_cpu_part *parts;
	u64 start = ktime_get_ns();
	unsigned int i;

	threads = min_t(unsigned long, threads, pages);
	parts = kcalloc(threads, sizeof(*parts), GFP_NOWAIT | __GFP_NOWARN);
	if (!parts)
		return -ENOMEM;
	per = DIV_ROUND_UP(pages, threads);
	for (i = 0; i < threads; i++) {
		parts[i].batch = batch;
		parts[i].first = min(i * per, pages);
		parts[i].end = min(parts[i].first + per, pages);
		INIT_WORK(&parts[i].work, cxl_cdm_cpu_work);
		if (i)
			queue_work(system_unbound_wq, &parts[i].work);
	}
	cxl_cdm_cpu_copy_part(&parts[0]);
	for (i = 1; i < threads; i++)
		flush_work(&parts[i].work);
	kfree(parts);

	cxl_cdm_count(&cpu_count, batch->nr, bytes, 0, ktime_get_ns() - start);
	return batch->nr;
}

/* ---- the engine ---- */

static int cxl_cdm_copy(struct cdm_copy_engine *engine,
			const struct cdm_copy_batch *batch)
{
	size_t largest = 0, total = 0;
	unsigned int i, threads;

	if (!batch->may_sleep) {
		atomic_long_inc(&declined_nosleep);
		return -EOPNOTSUPP;
	}
	for (i = 0; i < batch->nr; i++) {
		largest = max(largest, folio_size(batch->src[i]));
		total += folio_size(batch->src[i]);
	}
	if (largest < (size_t)READ_ONCE(min_folio_kb) * SZ_1K ||
	    total < (size_t)READ_ONCE(min_batch_kb) * SZ_1K) {
		atomic_long_inc(&declined_small);
		return -EOPNOTSUPP;
	}
	if (cxl_cdm_nr_chans)
		return cxl_cdm_dma_copy(batch);

	threads = READ_ONCE(cpu_threads) ?:
		  min(num_online_cpus(), CXL_CDM_MAX_THREADS);
	if (threads < 2) {
		/* nothing to gain over the core's own copy */
		atomic_long_inc(&declined_small);
		return -EOPNOTSUPP;
	}
	return cxl_cdm_cpu_copy(batch, threads, total);
}

static const char *cxl_cdm_copy_path(void)
{
	return cxl_cdm_nr_chans ? "dma" : "cpu";
}

void cxl_cdm_copy_node_get(int nid)
{
	struct cxl_cdm_engine *e;
	int err;

	guard(mutex)(&cxl_cdm_engines_lock);
	list_for_each_entry(e, &cxl_cdm_engines, list) {
		if (e->nid == nid) {
			e->users++;
			return;
		}
	}
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return;		/* the core copies the node's migrations */
	e->nid = nid;
	e->users = 1;
	snprintf(e->name, sizeof(e->name), KBUILD_MODNAME "-%s-node%d",
		 cxl_cdm_copy_path(), nid);
	e->engine.name = e->name;
	e->engine.copy = cxl_cdm_copy;
	nodes_clear(e->engine.nodes);
	node_set(nid, e->engine.nodes);
	err = cdm_register_copy_engine(&e->engine);
	if (err)
		pr_info("node %d: copy engine not registered (%d): %s\n", nid,
			err, err == -EBUSY ? "another engine serves the node" :
			"the CPU copies its migrations");
	e->registered = !err;
	list_add(&e->list, &cxl_cdm_engines);
}

void cxl_cdm_copy_node_put(int nid)
{
	struct cxl_cdm_engine *e;

	guard(mutex)(&cxl_cdm_engines_lock);
	list_for_each_entry(e, &cxl_cdm_engines, list) {
		if (e->nid != nid)
			continue;
		if (--e->users)
			return;
		list_del(&e->list);
		if (e->registered)
			cdm_unregister_copy_engine(&e->engine);
		kfree(e);
		return;
	}
}

/* ---- sysfs: /sys/module/cxl_cdm/copy ---- */

static ssize_t cxl_cdm_show_long(char *buf, atomic_long_t *v)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(v));
}

#define CXL_CDM_COUNTER_ATTR(_name, _var)				\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return cxl_cdm_show_long(buf, &(_var));				\
}									\
static struct kobj_attribute _name##_attr = __ATTR_RO(_name)

CXL_CDM_COUNTER_ATTR(dma_folios, dma_count.folios);
CXL_CDM_COUNTER_ATTR(dma_bytes, dma_count.bytes);
CXL_CDM_COUNTER_ATTR(dma_errors, dma_count.errors);
CXL_CDM_COUNTER_ATTR(dma_time_ns, dma_count.time_ns);
CXL_CDM_COUNTER_ATTR(dma_timeouts, dma_timeouts);
CXL_CDM_COUNTER_ATTR(cpu_folios, cpu_count.folios);
CXL_CDM_COUNTER_ATTR(cpu_bytes, cpu_count.bytes);
CXL_CDM_COUNTER_ATTR(cpu_time_ns, cpu_count.time_ns);
CXL_CDM_COUNTER_ATTR(declined_small, declined_small);
CXL_CDM_COUNTER_ATTR(declined_nosleep, declined_nosleep);

static ssize_t path_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", cxl_cdm_copy_path());
}

static struct kobj_attribute path_attr = __ATTR_RO(path);

static ssize_t channels_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%u\n", cxl_cdm_nr_chans);
}

static struct kobj_attribute channels_attr = __ATTR_RO(channels);

static struct attribute *cxl_cdm_copy_attrs[] = {
	&path_attr.attr,
	&channels_attr.attr,
	&dma_folios_attr.attr,
	&dma_bytes_attr.attr,
	&dma_errors_attr.attr,
	&dma_time_ns_attr.attr,
	&dma_timeouts_attr.attr,
	&cpu_folios_attr.attr,
	&cpu_bytes_attr.attr,
	&cpu_time_ns_attr.attr,
	&declined_small_attr.attr,
	&declined_nosleep_attr.attr,
	NULL
};

static const struct attribute_group cxl_cdm_copy_group = {
	.attrs = cxl_cdm_copy_attrs,
};

/* copy/channelN: the channel's name and what it copied */
static struct cxl_cdm_chan *to_cxl_cdm_chan(struct kobject *kobj)
{
	return container_of(kobj, struct cxl_cdm_chan, kobj);
}

static ssize_t chan_counter_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	struct cxl_cdm_counters *count = &to_cxl_cdm_chan(kobj)->count;

	if (!strcmp(attr->attr.name, "folios"))
		return cxl_cdm_show_long(buf, &count->folios);
	if (!strcmp(attr->attr.name, "bytes"))
		return cxl_cdm_show_long(buf, &count->bytes);
	return cxl_cdm_show_long(buf, &count->errors);
}

static struct kobj_attribute chan_folios_attr =
	__ATTR(folios, 0444, chan_counter_show, NULL);
static struct kobj_attribute chan_bytes_attr =
	__ATTR(bytes, 0444, chan_counter_show, NULL);
static struct kobj_attribute chan_errors_attr =
	__ATTR(errors, 0444, chan_counter_show, NULL);

static ssize_t chan_name_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%s\n", dma_chan_name(to_cxl_cdm_chan(kobj)->chan));
}

static struct kobj_attribute chan_name_attr =
	__ATTR(name, 0444, chan_name_show, NULL);

static struct attribute *cxl_cdm_chan_attrs[] = {
	&chan_name_attr.attr,
	&chan_folios_attr.attr,
	&chan_bytes_attr.attr,
	&chan_errors_attr.attr,
	NULL
};
ATTRIBUTE_GROUPS(cxl_cdm_chan);

static void cxl_cdm_chan_release(struct kobject *kobj)
{
	kfree(to_cxl_cdm_chan(kobj));
}

static const struct kobj_type cxl_cdm_chan_ktype = {
	.release = cxl_cdm_chan_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = cxl_cdm_chan_groups,
};

static void cxl_cdm_release_chans(void)
{
	while (cxl_cdm_nr_chans) {
		struct cxl_cdm_chan *c = cxl_cdm_chans[--cxl_cdm_nr_chans];

		dma_release_channel(c->chan);
		kobject_put(&c->kobj);
	}
}

/* Takes up to dma_channels (all, when 0) memcpy channels */
static int __init cxl_cdm_request_chans(void)
{
	unsigned int want = dma_channels ?: CXL_CDM_MAX_CHANNELS;
	dma_cap_mask_t mask;
	int err;

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	while (cxl_cdm_nr_chans < want) {
		struct dma_chan *chan = dma_request_channel(mask, NULL, NULL);
		struct cxl_cdm_chan *c;

		if (!chan)
			break;
		c = kzalloc(sizeof(*c), GFP_KERNEL);
		if (!c) {
			dma_release_channel(chan);
			return -ENOMEM;
		}
		c->chan = chan;
		mutex_init(&c->lock);
		err = kobject_init_and_add(&c->kobj, &cxl_cdm_chan_ktype,
					   cxl_cdm_copy_kobj, "channel%u",
					   cxl_cdm_nr_chans);
		if (err) {
			dma_release_channel(chan);
			kobject_put(&c->kobj);
			return err;
		}
		cxl_cdm_chans[cxl_cdm_nr_chans++] = c;
	}
	if (dma_channels && cxl_cdm_nr_chans < dma_channels)
		pr_info("dma_channels=%u: only %u memcpy channels free\n",
			dma_channels, cxl_cdm_nr_chans);
	return 0;
}

int __init cxl_cdm_copy_init(void)
{
	int err;

	cxl_cdm_copy_kobj = kobject_create_and_add("copy", &THIS_MODULE->mkobj.kobj);
	if (!cxl_cdm_copy_kobj)
		return -ENOMEM;
	err = sysfs_create_group(cxl_cdm_copy_kobj, &cxl_cdm_copy_group);
	if (!err)
		err = cxl_cdm_request_chans();
	if (err) {
		cxl_cdm_copy_exit();
		return err;
	}
	if (cxl_cdm_nr_chans)
		pr_info("copy engine: %u DMA memcpy channels\n", cxl_cdm_nr_chans);
	else
		pr_info("copy engine: no DMA memcpy channel, copies on up to %u CPUs\n",
			cpu_threads ?: num_online_cpus());
	return 0;
}

/* Every device is unbound by now: no engine is registered */
void cxl_cdm_copy_exit(void)
{
	cxl_cdm_release_chans();
	kobject_put(cxl_cdm_copy_kobj);
}
