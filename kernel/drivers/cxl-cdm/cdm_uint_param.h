/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An unsigned int module parameter with a range, for both modules of this
 * directory: module_param_cb(name, &cdm_uint_param_ops,
 * &a_struct_cdm_uint_param, perm). A value outside the range, or not a
 * number, is -EINVAL with a log line naming the parameter; readers
 * without a lock use READ_ONCE(*val).
 *
 * The functions are static inline so that each module gets its own copy
 * without exporting a symbol from one module to the other (an object
 * linked into two modules makes kbuild warn).
 */
#ifndef CDM_UINT_PARAM_H
#define CDM_UINT_PARAM_H

#include <linux/kstrtox.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/sysfs.h>

struct cdm_uint_param {
	unsigned int *val;
	unsigned int min;
	unsigned int max;
	const char *unit;	/* "ms", "MiB", ... for the log line */
};

static inline int cdm_uint_param_set(const char *val,
				     const struct kernel_param *kp)
{
	const struct cdm_uint_param *p = kp->arg;
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v < p->min || v > p->max) {
		pr_err("%s must be a number of %s from %u to %u\n", kp->name,
		       p->unit, p->min, p->max);
		return -EINVAL;
	}
	WRITE_ONCE(*p->val, v);
	return 0;
}

static inline int cdm_uint_param_get(char *buffer,
				     const struct kernel_param *kp)
{
	const struct cdm_uint_param *p = kp->arg;

	return sysfs_emit(buffer, "%u\n", READ_ONCE(*p->val));
}

static const struct kernel_param_ops cdm_uint_param_ops __maybe_unused = {
	.set = cdm_uint_param_set,
	.get = cdm_uint_param_get,
};

#endif /* CDM_UINT_PARAM_H */
