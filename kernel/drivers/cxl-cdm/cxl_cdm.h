/* SPDX-License-Identifier: GPL-2.0 */
/* Parts of the cxl_cdm module, started and stopped by cxl_cdm_main.c */
#ifndef CXL_CDM_H
#define CXL_CDM_H

#include <linux/init.h>

int __init cxl_cdm_dax_init(void);
void __exit cxl_cdm_dax_exit(void);

#endif /* CXL_CDM_H */
