// SPDX-License-Identifier: GPL-2.0
/*
 * cxl_cdm: CXL memory as coherent device memory (CDM) nodes.
 *
 * cxl_cdm_dax.c: a dax driver onlining a dax device's memory as a CDM
 * node. cxl_cdm_copy.c: a copy engine for migrations to and from those
 * nodes. Each part has an init and an exit hook, called from here.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kstrtox.h>
#include <linux/module.h>

#include "cxl_cdm.h"

static int cxl_cdm_uint_param_set(const char *val, const struct kernel_param *kp)
{
	const struct cxl_cdm_uint_param *p = kp->arg;
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v < p->min || v > p->max) {
		pr_err("%s must be a number of %s from %u to %u\n", kp->name,
		       p->unit, p->min, p->max);
		return -EINVAL;
	}
	WRITE_ONCE(*p->val, v);
	return 0;
}

static int cxl_cdm_uint_param_get(char *buffer, const struct kernel_param *kp)
{
	const struct cxl_cdm_uint_param *p = kp->arg;

	return sysfs_emit(buffer, "%u\n", READ_ONCE(*p->val));
}

const struct kernel_param_ops cxl_cdm_uint_param_ops = {
	.set = cxl_cdm_uint_param_set,
	.get = cxl_cdm_uint_param_get,
};

static int __init cxl_cdm_init(void)
{
	int err;

	/* the engine first: devices bound at registration ask for it */
	err = cxl_cdm_copy_init();
	if (err)
		return err;
	err = cxl_cdm_dax_init();
	if (err)
		cxl_cdm_copy_exit();
	return err;
}
module_init(cxl_cdm_init);

static void __exit cxl_cdm_exit(void)
{
	cxl_cdm_dax_exit();
	cxl_cdm_copy_exit();
}
module_exit(cxl_cdm_exit);

MODULE_DESCRIPTION("CXL memory as coherent device memory nodes");
MODULE_LICENSE("GPL");
