/* SPDX-License-Identifier: GPL-2.0 */
/* Parts of the cxl_cdm module, started and stopped by cxl_cdm_main.c */
#ifndef CXL_CDM_H
#define CXL_CDM_H

#include <linux/init.h>
#include <linux/moduleparam.h>

#include "cdm_uint_param.h"

int __init cxl_cdm_dax_init(void);
void __exit cxl_cdm_dax_exit(void);

int __init cxl_cdm_copy_init(void);
void cxl_cdm_copy_exit(void);
/* the copy engine serves a node while a bound device holds memory there */
void cxl_cdm_copy_node_get(int nid);
void cxl_cdm_copy_node_put(int nid);

#endif /* CXL_CDM_H */
