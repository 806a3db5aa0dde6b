/* SPDX-License-Identifier: GPL-2.0 */
/* Parts of the cxl_cdm module, started and stopped by cxl_cdm_main.c */
#ifndef CXL_CDM_H
#define CXL_CDM_H

#include <linux/init.h>
#include <linux/moduleparam.h>

int __init cxl_cdm_dax_init(void);
void __exit cxl_cdm_dax_exit(void);

int __init cxl_cdm_copy_init(void);
void cxl_cdm_copy_exit(void);
/* the copy engine serves a node while a bound device holds memory there */
void cxl_cdm_copy_node_get(int nid);
void cxl_cdm_copy_node_put(int nid);

/*
 * An unsigned int module parameter with a range: module_param_cb(name,
 * &cxl_cdm_uint_param_ops, &a_struct_cxl_cdm_uint_param, perm). A value
 * outside the range, or not a number, is -EINVAL with a log line naming
 * the parameter; readers without a lock use READ_ONCE(*val).
 */
struct cxl_cdm_uint_param {
	unsigned int *val;
	unsigned int min;
	unsigned int max;
	const char *unit;	/* "ms", "KiB", ... for the log line */
};

extern const struct kernel_param_ops cxl_cdm_uint_param_ops;

#endif /* CXL_CDM_H */
