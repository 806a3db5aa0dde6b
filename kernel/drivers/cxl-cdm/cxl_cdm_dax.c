// SPDX-License-Identifier: GPL-2.0
/*
 * cxl_cdm dax driver: a dax device's memory as a coherent device memory
 * (CDM) node.
 *
 * dax/kmem makes a dax device's memory ordinary System RAM, which every
 * default allocation then uses. This driver gives each of the device's
 * ranges to cdm_add_memory() instead: the memory comes online in
 * ZONE_MOVABLE of a node that only explicit requests reach (mm/cdm.c).
 * /sys/bus/dax/devices/daxX.Y/cxl_cdm/online takes the memory back and
 * gives it again without unbinding, so that a refusal reaches whoever
 * asked; unbinding cannot fail, and memory it cannot take back stays
 * online until reboot.
 *
 * Binding. dax_bus_match() binds a driver to a device named in the
 * driver's new_id list, or whose region kind is the driver's type:
 * DAXDRV_KMEM_TYPE for regions flagged IORESOURCE_DAX_KMEM (CXL ram,
 * hmem), DAXDRV_DEVICE_TYPE for the others. kmem and device_dax hold
 * those two, so by default this driver registers with a type no device
 * has, and only the devices an administrator names in new_id bind to it.
 * With claim_cxl_ram=1 it registers as DAXDRV_KMEM_TYPE and competes
 * with kmem; the driver core offers a new device to the matching drivers
 * in the order they registered, so it wins only if it registered before
 * kmem (see README). Its probe then declines the kmem devices that are
 * not CXL ram regions (hmem), and the next driver, kmem, gets them.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdm.h>
#include <linux/device.h>
#include <linux/ioport.h>
#include <linux/kstrtox.h>
#include <linux/memory.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "bus.h"
#include "dax-private.h"

#include "cxl_cdm.h"

static bool claim_cxl_ram;
module_param(claim_cxl_ram, bool, 0444);
MODULE_PARM_DESC(claim_cxl_ram,
		 "bind every CXL ram region's dax device instead of kmem (default: only devices named in new_id)");

static unsigned int remove_timeout_ms = 60000;
static struct cdm_uint_param remove_timeout_param = {
	.val = &remove_timeout_ms, .min = 1, .max = 3600000, .unit = "ms",
};
module_param_cb(remove_timeout_ms, &cdm_uint_param_ops,
		&remove_timeout_param, 0644);
__MODULE_PARM_TYPE(remove_timeout_ms, "uint");
MODULE_PARM_DESC(remove_timeout_ms,
		 "how long taking memory offline may migrate pages in use, 1-3600000 ms (default 60000)");

/* Not a DAXDRV_* type: dax_match_type() matches no device to it */
#define CXL_CDM_NO_TYPE		((enum dax_driver_type)-1)

#define CXL_CDM_NAME_LEN	32

/* A range of the device, aligned to memory blocks */
struct cxl_cdm_range {
	u64 start;
	u64 size;		/* 0: smaller than a memory block, unused */
	struct resource *res;	/* "daxX.Y" in iomem while added, else NULL */
	bool changed;		/* by the last cxl_cdm_set_online() */
};

/*
 * A bound device. While memory of it stays added after the device left
 * the driver, this is never freed: the iomem resources of that memory
 * point to @owner and @ram_name.
 */
struct cxl_cdm_dev {
	struct device *dev;
	int nid;
	struct mutex lock;	/* serializes bringing ranges online/offline */
	bool online;		/* a range is added; sysfs reads it unlocked */
	char owner[CXL_CDM_NAME_LEN];	/* the device's name */
	char ram_name[CXL_CDM_NAME_LEN];
	int nr_range;
	struct cxl_cdm_range range[] __counted_by(nr_range);
};

static const char cxl_cdm_ram_name[] = "System RAM (" KBUILD_MODNAME ")";

/*
 * Add @r to the node. As kmem does, the range is first claimed in iomem
 * under the device's name: /proc/iomem shows whose memory it is, and no
 * other driver can claim it while it is added. The System RAM resource
 * that cdm_add_memory() requests nests under it, which needs this parent
 * not busy.
 */
static int cxl_cdm_add_range(struct cxl_cdm_dev *cdev, struct cxl_cdm_range *r)
{
	struct resource *res;
	int err;

	res = request_mem_region(r->start, r->size, cdev->owner);
	if (!res) {
		dev_err(cdev->dev, "%#llx-%#llx is claimed by somebody else\n",
			r->start, r->start + r->size - 1);
		return -EBUSY;
	}
	res->flags = IORESOURCE_SYSTEM_RAM;

	err = cdm_add_memory(cdev->nid, r->start, r->size, cdev->ram_name);
	if (err)
		dev_err(cdev->dev, "cannot add %#llx-%#llx to node %d: %pe\n",
			r->start, r->start + r->size - 1, cdev->nid,
			ERR_PTR(err));
	/*
	 * When onlining failed and offlining again failed too, the range
	 * stays added for cdm_remove_memory(): its System RAM is still
	 * under @res. It is then taken back like any added range.
	 */
	if (err && !res->child) {
		remove_resource(res);
		kfree(res);
		return err;
	}
	r->res = res;
	return err;
}

static int cxl_cdm_remove_range(struct cxl_cdm_dev *cdev,
				struct cxl_cdm_range *r, unsigned int timeout_ms)
{
	int err;

	err = cdm_remove_memory(cdev->nid, r->start, r->size, timeout_ms);
	if (err)
		return err;
	remove_resource(r->res);
	kfree(r->res);
	r->res = NULL;
	return 0;
}

static void cxl_cdm_update_online(struct cxl_cdm_dev *cdev)
{
	bool online = false;
	int i;

	for (i = 0; i < cdev->nr_range; i++)
		online |= !!cdev->range[i].res;
	WRITE_ONCE(cdev->online, online);
}

/*
 * Add (@on) or remove every range not in that state yet, stopping at the
 * first failure. The ranges changed are marked for cxl_cdm_undo().
 */
static int cxl_cdm_set_online(struct cxl_cdm_dev *cdev, bool on,
			      unsigned int timeout_ms)
{
	int i, err = 0;

	for (i = 0; i < cdev->nr_range; i++)
		cdev->range[i].changed = false;
	for (i = 0; i < cdev->nr_range && !err; i++) {
		struct cxl_cdm_range *r = &cdev->range[i];

		if (!r->size || !!r->res == on)
			continue;
		if (on)
			err = cxl_cdm_add_range(cdev, r);
		else
			err = cxl_cdm_remove_range(cdev, r, timeout_ms);
		r->changed = !!r->res == on;
	}
	cxl_cdm_update_online(cdev);
	return err;
}

/*
 * After a failed write to "online": put the ranges it changed back, so
 * that a failed request leaves the device as it found it.
 */
static void cxl_cdm_undo(struct cxl_cdm_dev *cdev, unsigned int timeout_ms)
{
	int i, err;

	for (i = 0; i < cdev->nr_range; i++) {
		struct cxl_cdm_range *r = &cdev->range[i];

		if (!r->changed)
			continue;
		r->changed = false;
		if (r->res)
			err = cxl_cdm_remove_range(cdev, r, timeout_ms);
		else
			err = cxl_cdm_add_range(cdev, r);
		if (err)
			dev_err(cdev->dev, "%#llx-%#llx stays %s: %pe\n",
				r->start, r->start + r->size - 1,
				r->res ? "online" : "offline", ERR_PTR(err));
	}
	cxl_cdm_update_online(cdev);
}

/*
 * The device leaves the driver (unbind, module unload, failed probe):
 * take all its memory back. Unbinding cannot fail, so memory that does
 * not come back stays online until reboot, and the node keeps working
 * with it. Its resources keep pointing to @cdev's names, so @cdev is
 * never freed then. Nothing points into the module itself (hence the
 * names are not module data: an unload that finds memory it cannot take
 * back ends here too); pinning it keeps lsmod saying that memory it added
 * is still in use, and refuses a later unload.
 */
static void cxl_cdm_release(struct cxl_cdm_dev *cdev)
{
	unsigned int timeout_ms = READ_ONCE(remove_timeout_ms);
	int i, err, last = 0, stuck = 0;

	for (i = 0; i < cdev->nr_range; i++) {
		if (!cdev->range[i].res)
			continue;
		err = cxl_cdm_remove_range(cdev, &cdev->range[i], timeout_ms);
		if (err) {
			last = err;
			stuck++;
		}
	}
	if (!stuck) {
		mutex_destroy(&cdev->lock);
		kfree(cdev);
		return;
	}
	dev_err(cdev->dev, "%d of its ranges stay online on node %d until reboot (%pe); the node keeps working\n",
		stuck, cdev->nid, ERR_PTR(last));
	__module_get(THIS_MODULE);
}

static ssize_t online_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct cxl_cdm_dev *cdev = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", READ_ONCE(cdev->online));
}

/*
 * The driver core adds this attribute after probe() set the driver data
 * and removes it, waiting for writers, before remove() runs: @cdev is
 * valid here.
 */
static ssize_t online_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t len)
{
	struct cxl_cdm_dev *cdev = dev_get_drvdata(dev);
	unsigned int timeout_ms, on;
	int err;

	/* exactly 0 or 1: kstrtobool() would take "10" or "yes please" */
	if (kstrtouint(buf, 10, &on) || on > 1)
		return -EINVAL;
	if (mutex_lock_killable(&cdev->lock))
		return -EINTR;
	timeout_ms = READ_ONCE(remove_timeout_ms);
	err = cxl_cdm_set_online(cdev, on == 1, timeout_ms);
	if (err == -EBUSY && !on)
		dev_err(dev, "cannot go offline, node %d keeps the memory: pages in use do not fit on the other nodes or did not migrate within %u ms\n",
			cdev->nid, timeout_ms);
	else if (err && !on)
		dev_err(dev, "cannot go offline, node %d keeps the memory: %pe\n",
			cdev->nid, ERR_PTR(err));
	else if (err)
		dev_err(dev, "cannot go online on node %d: %pe\n", cdev->nid,
			ERR_PTR(err));
	if (err)
		cxl_cdm_undo(cdev, timeout_ms);
	mutex_unlock(&cdev->lock);
	return err ? err : len;
}
static DEVICE_ATTR_RW(online);

static struct attribute *cxl_cdm_attrs[] = {
	&dev_attr_online.attr,
	NULL,
};

/* A directory of its own: whose attributes these are, next to dax's own */
static const struct attribute_group cxl_cdm_group = {
	.name = KBUILD_MODNAME,
	.attrs = cxl_cdm_attrs,
};
__ATTRIBUTE_GROUPS(cxl_cdm);

/* The dax region of a CXL ram region: dax_cxl creates it for its device */
static bool cxl_cdm_is_cxl_ram(struct dev_dax *dev_dax)
{
	const struct device_type *type = dev_dax->region->dev->type;

	return type && type->name && !strcmp(type->name, "cxl_dax_region");
}

/* Checks that probe can make, each with a reason that names the device */
static int cxl_cdm_check(struct dev_dax *dev_dax)
{
	struct device *dev = &dev_dax->dev;
	int nid = dev_dax->target_node;

	/*
	 * claim_cxl_ram made every kmem device match. A device named in
	 * new_id looks the same here, so a named hmem device is declined
	 * too; -ENODEV lets the driver core offer the device to kmem.
	 */
	if (claim_cxl_ram && !cxl_cdm_is_cxl_ram(dev_dax) &&
	    (dev_dax->region->res.flags & IORESOURCE_DAX_KMEM)) {
		dev_info(dev, "not a CXL ram region: left to kmem\n");
		return -ENODEV;
	}
	if (nid < 0 || nid >= MAX_NUMNODES || !node_possible(nid)) {
		dev_err(dev, "refused: no valid target node (%d)\n", nid);
		return -EINVAL;
	}
	if (node_state(nid, N_CPU)) {
		dev_err(dev, "refused: target node %d has CPUs\n", nid);
		return -EINVAL;
	}
	if (node_state(nid, N_MEMORY) && !node_is_cdm(nid)) {
		dev_err(dev, "refused: target node %d has ordinary memory\n",
			nid);
		return -EINVAL;
	}
	return 0;
}

static int cxl_cdm_probe(struct dev_dax *dev_dax)
{
	u64 block = memory_block_size_bytes(), total = 0;
	struct device *dev = &dev_dax->dev;
	struct cxl_cdm_dev *cdev;
	int i, err;

	err = cxl_cdm_check(dev_dax);
	if (err)
		return err;

	cdev = kzalloc(struct_size(cdev, range, dev_dax->nr_range), GFP_KERNEL);
	if (!cdev)
		return -ENOMEM;
	cdev->nr_range = dev_dax->nr_range;
	cdev->dev = dev;
	cdev->nid = dev_dax->target_node;
	mutex_init(&cdev->lock);
	strscpy(cdev->owner, dev_name(dev));
	strscpy(cdev->ram_name, cxl_cdm_ram_name);

	/* Memory comes and goes in whole memory blocks */
	for (i = 0; i < cdev->nr_range; i++) {
		struct range *dr = &dev_dax->ranges[i].range;
		u64 start = ALIGN(dr->start, block);
		u64 end = ALIGN_DOWN(dr->end + 1, block);

		if (end <= start) {
			dev_warn(dev, "mapping%d: %#llx-%#llx holds no whole %llu MiB memory block: skipped\n",
				 i, dr->start, dr->end, block >> 20);
			continue;
		}
		cdev->range[i].start = start;
		cdev->range[i].size = end - start;
		total += end - start;
	}
	if (!total) {
		dev_err(dev, "refused: no whole memory block in any mapping\n");
		err = -EINVAL;
		goto free;
	}

	err = cxl_cdm_set_online(cdev, true, READ_ONCE(remove_timeout_ms));
	if (err) {
		/* takes back the ranges added before the failure */
		cxl_cdm_release(cdev);
		return err;
	}
	dev_set_drvdata(dev, cdev);
	cxl_cdm_copy_node_get(cdev->nid);
	dev_info(dev, "%llu MiB online on coherent device memory node %d\n",
		 total >> 20, cdev->nid);
	return 0;

free:
	mutex_destroy(&cdev->lock);
	kfree(cdev);
	return err;
}

/* The online attribute is gone already: nobody else uses @cdev now */
static void cxl_cdm_remove(struct dev_dax *dev_dax)
{
	struct cxl_cdm_dev *cdev = dev_get_drvdata(&dev_dax->dev);
	int nid = cdev->nid;

	dev_set_drvdata(&dev_dax->dev, NULL);
	/* may free @cdev; the engine still serves the migrations it makes */
	cxl_cdm_release(cdev);
	cxl_cdm_copy_node_put(nid);
}

static struct dax_device_driver cxl_cdm_dax_driver = {
	.drv.dev_groups = cxl_cdm_groups,
	.probe = cxl_cdm_probe,
	.remove = cxl_cdm_remove,
	.type = CXL_CDM_NO_TYPE,
};

int __init cxl_cdm_dax_init(void)
{
	int err;

	if (!IS_ENABLED(CONFIG_COHERENT_DEVICE_MEMORY) ||
	    !IS_ENABLED(CONFIG_MEMORY_HOTREMOVE)) {
		pr_err("this kernel cannot hot-add coherent device memory (needs CONFIG_COHERENT_DEVICE_MEMORY and CONFIG_MEMORY_HOTREMOVE)\n");
		return -EOPNOTSUPP;
	}
	if (claim_cxl_ram)
		cxl_cdm_dax_driver.type = DAXDRV_KMEM_TYPE;
	err = dax_driver_register(&cxl_cdm_dax_driver);
	if (err)
		return err;
	/* The driver core offers new devices to kmem first then */
	if (claim_cxl_ram && driver_find("kmem", cxl_cdm_dax_driver.drv.bus))
		pr_warn("claim_cxl_ram: kmem registered first (built in, or loaded earlier): the CXL ram devices it matches go to kmem\n");
	return 0;
}

void __exit cxl_cdm_dax_exit(void)
{
	dax_driver_unregister(&cxl_cdm_dax_driver);
}
