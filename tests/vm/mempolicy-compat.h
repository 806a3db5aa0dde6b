/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Memory policy modes newer than Debian 12's <numaif.h> (libnuma 2.0.16):
 * the values are the kernel's uapi (include/uapi/linux/mempolicy.h).
 */
#ifndef CDM_TESTS_MEMPOLICY_COMPAT_H
#define CDM_TESTS_MEMPOLICY_COMPAT_H

#ifndef MPOL_PREFERRED_MANY
#define MPOL_PREFERRED_MANY 5
#endif
#ifndef MPOL_WEIGHTED_INTERLEAVE
#define MPOL_WEIGHTED_INTERLEAVE 6
#endif

#endif /* CDM_TESTS_MEMPOLICY_COMPAT_H */
