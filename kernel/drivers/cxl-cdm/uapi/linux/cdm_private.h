/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * cdm_private: pools of device-private memory (MEMORY_DEVICE_PRIVATE) for
 * devices whose memory the CPU cannot address coherently. Each pool is a
 * character device, /dev/cdm_privateN. Migration and snapshots act on
 * the calling process's address space, or with CDM_PRIVATE_F_PIDFD on
 * that of the process a pidfd names, which the caller must be allowed to
 * move pages of as for move_pages(2) (ptrace read access, real
 * credentials: EPERM otherwise). The device's own accesses (READ, WRITE,
 * EXCLUSIVE, CHECK_EXCLUSIVE) go through a mirror of the address space of
 * the process that opened the file: another process's calls fail with
 * EPERM.
 *
 * Every structure starts with @size, the size of the structure as the
 * caller knows it: the driver fails a size smaller than the first version
 * of the structure, and a larger one whose bytes beyond what it knows are
 * not zero, with EINVAL; reserved fields must be zero (EINVAL otherwise)
 * and are zero on return. All fields have fixed widths; addresses and
 * lengths are u64, so a 32-bit caller sees the same layout.
 *
 * The driver tells commands apart by type and number only (_IOC_TYPE,
 * _IOC_NR), so that a command whose structure grows keeps working; a
 * @size past a page is EINVAL. On success it writes the structure back
 * (the bytes of the version it knows); on an error it writes nothing.
 * Errors: EINVAL for a bad argument, EFAULT for memory the caller or the
 * range cannot give, EPERM for another process's memory the caller may
 * not touch, EBADF for a @pidfd that is not one, ESRCH for a process
 * that is gone, EINTR when a fatal signal stopped the work.
 */
#ifndef _UAPI_LINUX_CDM_PRIVATE_H
#define _UAPI_LINUX_CDM_PRIVATE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define CDM_PRIVATE_ABI_VERSION	1

/*
 * A range of an address space, and what became of it.
 * @flags: CDM_PRIVATE_F_* (unknown bits: EINVAL).
 * @addr and @npages: page aligned, npages >= 1, addr + npages pages must
 * not overflow nor pass the top of the user address space (EINVAL), and
 * the whole range must be mapped (EFAULT otherwise, nothing done).
 * @buf: for READ, WRITE and SNAPSHOT a buffer of the caller's (npages
 * pages, or npages bytes for SNAPSHOT); 0 otherwise. A buffer missing
 * where one is needed, or given where none is: EINVAL; one the caller
 * cannot access: EFAULT. It need not be page aligned.
 * @done: (out) pages migrated, copied or made exclusive (see each
 * command below).
 * @faults: (out) device page faults taken (hmm_range_fault() calls that
 * had to fault pages in) while serving the request.
 * @pidfd: with CDM_PRIVATE_F_PIDFD (TO_DEVICE, TO_RAM, SNAPSHOT only), a
 * pidfd of the process whose range it is; otherwise must be 0.
 */
struct cdm_private_range {
	__u32 size;
	__u32 flags;
	__u64 addr;
	__u64 npages;
	__u64 buf;
	__u64 done;
	__u64 faults;
	__s32 pidfd;
	__u32 pad;		/* 0 */
	__u64 reserved[3];
};

#define CDM_PRIVATE_F_PIDFD	(1u << 0)

/* The pool: filled in by CDM_PRIVATE_IOC_INFO */
struct cdm_private_info {
	__u32 size;
	__u32 abi_version;	/* CDM_PRIVATE_ABI_VERSION */
	__u32 page_size;	/* bytes of one device page (PAGE_SIZE) */
	__u32 pool_id;		/* N of /dev/cdm_privateN */
	__u64 capacity;		/* bytes the pool may grow to */
	__u64 allocated;	/* bytes of struct pages made so far (chunks) */
	__u64 chunk;		/* bytes added each time the pool grows */
	__u64 used;		/* bytes of device pages holding data */
	__u64 reserved[4];
};

/*
 * Counters of the pool since it was created: CDM_PRIVATE_IOC_STATS.
 * fail_busy also counts the pages migrate_vma does not take at all
 * (swapped out, on another device, a hole of a file mapping): the core
 * reports them alike. fail_nomem also counts, back to system memory,
 * pages for which no system page could be had.
 */
struct cdm_private_stats {
	__u32 size;
	__u32 pad;		/* 0 */
	__u64 pages_on_device;	/* device pages in use now */
	__u64 to_device;	/* pages migrated to the device */
	__u64 to_ram;		/* pages migrated back by request */
	__u64 cpu_faults;	/* pages migrated back by a CPU fault */
	__u64 device_reads;	/* pages read by the device */
	__u64 device_writes;	/* pages written by the device */
	__u64 fail_busy;	/* pages that could not be isolated or locked */
	__u64 fail_nomem;	/* pages for which the pool had no room */
	__u64 fail_other;	/* pages skipped for any other reason */
	__u64 reserved[6];
};

/*
 * One byte per page of the range: CDM_PRIVATE_IOC_SNAPSHOT. OTHER_DEVICE
 * is another cdm_private pool's page or coherent device memory; other
 * drivers' device-private pages read as NONE. EXCLUSIVE: made exclusive
 * through this file, in the opener's address space; other exclusive
 * entries read as NONE.
 */
enum cdm_private_page_state {
	CDM_PRIVATE_PAGE_NONE = 0,	/* not present (never touched, swapped) */
	CDM_PRIVATE_PAGE_RAM = 1,	/* in system memory, readable */
	CDM_PRIVATE_PAGE_RAM_WRITE = 2,	/* in system memory, writable */
	CDM_PRIVATE_PAGE_ZERO = 3,	/* the shared zero page */
	CDM_PRIVATE_PAGE_DEVICE = 4,	/* on this pool's device */
	CDM_PRIVATE_PAGE_OTHER_DEVICE = 5,	/* on another device */
	CDM_PRIVATE_PAGE_EXCLUSIVE = 6,	/* in system memory, device-exclusive */
	CDM_PRIVATE_PAGE_ERROR = 0xff,	/* no valid entry (error) */
};

#define CDM_PRIVATE_IOC_MAGIC	0xCE	/* 0x40-0x4F; 0x01-0x02 are cxl_mem's */

#define CDM_PRIVATE_IOC_INFO		_IOWR(CDM_PRIVATE_IOC_MAGIC, 0x40, struct cdm_private_info)
#define CDM_PRIVATE_IOC_STATS		_IOWR(CDM_PRIVATE_IOC_MAGIC, 0x41, struct cdm_private_stats)
/*
 * Migrate the range's pages to the device (anonymous private memory;
 * untouched pages get zeroed device pages). @done: pages migrated; pages
 * on this device already count as neither done nor failed, the others
 * that did not move are counted in the pool's fail_* statistics and the
 * call still succeeds. ENOMEM when none moved because the pool is full,
 * ENOSPC when it could not grow for want of a physical address range.
 * A VM_IO, VM_PFNMAP, VM_MIXEDMAP, hugetlb or DAX mapping in the range:
 * EINVAL, before anything moved.
 */
#define CDM_PRIVATE_IOC_TO_DEVICE	_IOWR(CDM_PRIVATE_IOC_MAGIC, 0x42, struct cdm_private_range)
/*
 * Migrate the range's pages on this device back to system memory
 * (@done: pages migrated; mappings as for TO_DEVICE).
 */
#define CDM_PRIVATE_IOC_TO_RAM		_IOWR(CDM_PRIVATE_IOC_MAGIC, 0x43, struct cdm_private_range)
/*
 * The device reads the range into @buf, faulting pages in as needed
 * (@faults: rounds of faults); a range not readable: EFAULT.
 */
#define CDM_PRIVATE_IOC_READ		_IOWR(CDM_PRIVATE_IOC_MAGIC, 0x44, struct cdm_private_range)
/* the device writes @buf into the range; a mapping not writable: EPERM */
#define CDM_PRIVATE_IOC_WRITE		_IOWR(CDM_PRIVATE_IOC_MAGIC, 0x45, struct cdm_private_range)
/* an enum cdm_private_page_state byte per page into @buf, no fault */
#define CDM_PRIVATE_IOC_SNAPSHOT	_IOWR(CDM_PRIVATE_IOC_MAGIC, 0x46, struct cdm_private_range)
/*
 * The device takes exclusive access (atomics) to the range's pages until
 * the CPU touches them (@done: pages made exclusive, anonymous ones
 * only); a mapping not writable: EPERM.
 */
#define CDM_PRIVATE_IOC_EXCLUSIVE	_IOWR(CDM_PRIVATE_IOC_MAGIC, 0x47, struct cdm_private_range)
/* @done: pages of the range still exclusive to the device */
#define CDM_PRIVATE_IOC_CHECK_EXCLUSIVE	_IOWR(CDM_PRIVATE_IOC_MAGIC, 0x48, struct cdm_private_range)

#endif /* _UAPI_LINUX_CDM_PRIVATE_H */
