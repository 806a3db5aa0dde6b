// SPDX-License-Identifier: GPL-2.0
/*
 * Test driver for cdm_add_memory() and cdm_remove_memory(): it hot-adds a
 * physical range that userspace names, the way a device memory driver
 * adds its device's memory.
 *
 *	echo 1 > /sys/module/cdm_test_hotplug/parameters/nid
 *	echo 0x... > .../start; echo 0x... > .../size
 *	echo 1 > .../online		cdm_add_memory(nid, start, size)
 *	echo 0 > .../online		cdm_remove_memory(nid, start, size,
 *					remove_timeout_ms)
 *
 *	echo "NID START SIZE" > .../remove_probe	any cdm_remove_memory() call
 *
 * A write to "online" fails with the errno the call returned. While the
 * range is added the module cannot be unloaded, and nid, start and size
 * stay fixed, so the range is always removed with what added it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdm.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>

static DEFINE_MUTEX(test_lock);
static bool test_added;

static int nid = -1;
static unsigned long long start;
static unsigned long long size;
static unsigned int remove_timeout_ms = 600000;

static int test_set_fixed(const char *val, const struct kernel_param *kp,
			  int (*set)(const char *, const struct kernel_param *))
{
	guard(mutex)(&test_lock);
	if (test_added)
		return -EBUSY;
	return set(val, kp);
}

static int test_set_nid(const char *val, const struct kernel_param *kp)
{
	return test_set_fixed(val, kp, param_set_int);
}

static int test_set_ull(const char *val, const struct kernel_param *kp)
{
	return test_set_fixed(val, kp, param_set_ullong);
}

static const struct kernel_param_ops nid_ops = {
	.set = test_set_nid,
	.get = param_get_int,
};

static const struct kernel_param_ops range_ops = {
	.set = test_set_ull,
	.get = param_get_ullong,
};

module_param_cb(nid, &nid_ops, &nid, 0644);
MODULE_PARM_DESC(nid, "node to add the range to");
module_param_cb(start, &range_ops, &start, 0644);
MODULE_PARM_DESC(start, "physical start address of the range");
module_param_cb(size, &range_ops, &size, 0644);
MODULE_PARM_DESC(size, "size of the range in bytes");
module_param(remove_timeout_ms, uint, 0644);
MODULE_PARM_DESC(remove_timeout_ms, "how long cdm_remove_memory() may migrate (default 600000)");

static int test_set_online(const char *val, const struct kernel_param *kp)
{
	bool want;
	int err;

	err = kstrtobool(val, &want);
	if (err)
		return err;

	guard(mutex)(&test_lock);
	if (want == test_added)
		return want ? -EEXIST : -ENOENT;
	if (want) {
		if (!try_module_get(THIS_MODULE))
			return -ENODEV;
		err = cdm_add_memory(nid, start, size,
				     "System RAM (cdm_test_hotplug)");
		if (err) {
			module_put(THIS_MODULE);
			return err;
		}
	} else {
		err = cdm_remove_memory(nid, start, size, remove_timeout_ms);
		if (err)
			return err;
		module_put(THIS_MODULE);
	}
	test_added = want;
	return 0;
}

static int test_get_online(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", test_added);
}

static const struct kernel_param_ops online_ops = {
	.set = test_set_online,
	.get = test_get_online,
};

module_param_cb(online, &online_ops, NULL, 0644);
MODULE_PARM_DESC(online, "1: cdm_add_memory() the range, 0: cdm_remove_memory() it");

/*
 * "NID START SIZE" written to remove_probe calls cdm_remove_memory() with
 * exactly that, to show what it does with ranges no driver should pass.
 */
static int test_set_remove_probe(const char *val, const struct kernel_param *kp)
{
	unsigned long long pstart, psize;
	int pnid;

	if (sscanf(val, "%d %llx %llx", &pnid, &pstart, &psize) != 3)
		return -EINVAL;
	guard(mutex)(&test_lock);
	return cdm_remove_memory(pnid, pstart, psize, remove_timeout_ms);
}

static const struct kernel_param_ops remove_probe_ops = {
	.set = test_set_remove_probe,
};

module_param_cb(remove_probe, &remove_probe_ops, NULL, 0200);
MODULE_PARM_DESC(remove_probe, "\"NID START SIZE\" (hex): call cdm_remove_memory() with them");

MODULE_DESCRIPTION("cdm: test driver hot-adding device memory as a CDM node");
MODULE_LICENSE("GPL");
