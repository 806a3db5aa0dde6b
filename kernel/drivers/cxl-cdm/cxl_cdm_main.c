// SPDX-License-Identifier: GPL-2.0
/*
 * cxl_cdm: CXL memory as coherent device memory (CDM) nodes.
 *
 * cxl_cdm_dax.c: a dax driver onlining a dax device's memory as a CDM
 * node. Each part has an init and an exit hook, called from here.
 */
#include <linux/init.h>
#include <linux/module.h>

#include "cxl_cdm.h"

static int __init cxl_cdm_init(void)
{
	return cxl_cdm_dax_init();
}
module_init(cxl_cdm_init);

static void __exit cxl_cdm_exit(void)
{
	cxl_cdm_dax_exit();
}
module_exit(cxl_cdm_exit);

MODULE_DESCRIPTION("CXL memory as coherent device memory nodes");
MODULE_LICENSE("GPL");
