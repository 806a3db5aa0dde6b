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
#include <linux/module.h>

#include "cxl_cdm.h"

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
