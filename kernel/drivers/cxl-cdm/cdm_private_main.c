// SPDX-License-Identifier: GPL-2.0
/*
 * cdm_private: device-private memory for devices the CPU cannot address
 * coherently, the fallback beside the CDM nodes of cxl_cdm. Each pool of
 * emulated device memory is a character device, /dev/cdm_privateN, whose
 * ioctls (uapi/linux/cdm_private.h) migrate ranges of an address space to
 * the device and back, let the device read and write the opener's memory
 * through its own page table, take exclusive access and report where the
 * pages of a range are. This file holds the module's parameters, the
 * character devices and the ioctls' argument checks; see cdm_private.h
 * for the other parts and README for the design.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cdev.h>
#include <linux/cred.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb_inline.h>
#include <linux/init.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "cdm_private.h"
#include "cdm_uint_param.h"
#include "uapi/linux/cdm_private.h"

static unsigned int cdm_private_npools = 1;
static struct cdm_uint_param cdm_private_pools_param = {
	.val = &cdm_private_npools, .min = 1, .max = CDM_PRIVATE_MAX_POOLS,
	.unit = "pools",
};
module_param_cb(pools, &cdm_uint_param_ops, &cdm_private_pools_param,
		0444);
__MODULE_PARM_TYPE(pools, "uint");
MODULE_PARM_DESC(pools, "number of pools, /dev/cdm_private0..., 1-8 (default 1)");

static unsigned int capacity_mb = 256;
static struct cdm_uint_param capacity_param = {
	.val = &capacity_mb, .min = 1, .max = 65536, .unit = "MiB",
};
module_param_cb(capacity_mb, &cdm_uint_param_ops, &capacity_param, 0444);
__MODULE_PARM_TYPE(capacity_mb, "uint");
MODULE_PARM_DESC(capacity_mb,
		 "device memory of each pool, 1-65536 MiB (default 256)");

static unsigned int chunk_mb = 64;
static struct cdm_uint_param chunk_param = {
	.val = &chunk_mb, .min = 1, .max = 65536, .unit = "MiB",
};
module_param_cb(chunk_mb, &cdm_uint_param_ops, &chunk_param, 0444);
__MODULE_PARM_TYPE(chunk_mb, "uint");
MODULE_PARM_DESC(chunk_mb,
		 "struct pages a pool adds when it grows, 1-65536 MiB, capped at capacity_mb (default 64)");

static const struct class cdm_private_class = {
	.name = "cdm_private",
};

static dev_t cdm_private_devt;
static struct cdm_private_pool *cdm_private_pools[CDM_PRIVATE_MAX_POOLS];

/* A pool by number, NULL past the last one; pools live until unload */
struct cdm_private_pool *cdm_private_pool_by_id(unsigned int id)
{
	return id < cdm_private_npools ? cdm_private_pools[id] : NULL;
}

/**
 * cdm_private_check_vmas - is [@start, @end) mapped, and usable for @check?
 * @mm: the address space, mmap_lock held
 * @start: page-aligned start
 * @end: page-aligned end, above @start
 * @check: what the caller will do with the range
 *
 * Return: 0; -EFAULT for a hole; -EINVAL for a VMA that migrate_vma
 * (VM_IO, VM_PFNMAP, VM_MIXEDMAP, hugetlb, DAX) or hmm_range_fault()
 * (VM_IO, VM_PFNMAP) cannot handle; -EPERM for a VMA a write needs and
 * that is not writable. The first such VMA of the range decides.
 */
int cdm_private_check_vmas(struct mm_struct *mm, unsigned long start,
			   unsigned long end, enum cdm_private_vma_check check)
{
	VMA_ITERATOR(vmi, mm, start);
	struct vm_area_struct *vma;
	unsigned long addr = start;

	mmap_assert_locked(mm);
	for_each_vma_range(vmi, vma, end) {
		if (vma->vm_start > addr)
			return -EFAULT;
		switch (check) {
		case CDM_PRIVATE_VMA_MIGRATE:
			if ((vma->vm_flags & VM_SPECIAL) ||
			    is_vm_hugetlb_page(vma) || vma_is_dax(vma))
				return -EINVAL;
			break;
		case CDM_PRIVATE_VMA_MIRROR_WRITE:
			if (vma->vm_flags & (VM_IO | VM_PFNMAP))
				return -EINVAL;
			if (!(vma->vm_flags & VM_WRITE))
				return -EPERM;
			break;
		case CDM_PRIVATE_VMA_MIRROR:
			if (vma->vm_flags & (VM_IO | VM_PFNMAP))
				return -EINVAL;
			break;
		case CDM_PRIVATE_VMA_ANY:
			break;
		}
		addr = vma->vm_end;
		if (addr >= end)
			return 0;
	}
	return -EFAULT;
}

/*
 * move_pages(2)'s check, ptrace_may_access(task,
 * PTRACE_MODE_READ_REALCREDS), which modules cannot call: the rules of
 * __ptrace_may_access() (same real uid and gid as the target's, or
 * CAP_SYS_PTRACE in its user namespace; a target that is not dumpable
 * needs CAP_SYS_PTRACE over its mm) and of the commoncap LSM (the target's
 * permitted capabilities a subset of ours). Other LSMs' ptrace hooks are
 * not exported and are not asked. Called with task_lock(task) held, as
 * ptrace_may_access() holds it.
 */
static bool cdm_private_may_access(struct task_struct *task)
{
	const struct cred *cred = current_cred(), *tcred;
	struct mm_struct *mm;
	bool ok;

	if (same_thread_group(task, current))
		return true;

	rcu_read_lock();
	tcred = __task_cred(task);
	ok = (uid_eq(cred->uid, tcred->euid) &&
	      uid_eq(cred->uid, tcred->suid) &&
	      uid_eq(cred->uid, tcred->uid) &&
	      gid_eq(cred->gid, tcred->egid) &&
	      gid_eq(cred->gid, tcred->sgid) &&
	      gid_eq(cred->gid, tcred->gid) &&
	      cred->user_ns == tcred->user_ns &&
	      cap_issubset(tcred->cap_permitted, cred->cap_permitted)) ||
	     ns_capable(tcred->user_ns, CAP_SYS_PTRACE);
	rcu_read_unlock();
	if (!ok)
		return false;

	/* dumpability after the credentials; pairs with commit_creds() */
	smp_rmb();
	mm = task->mm;
	if (mm)
		return get_dumpable(mm) == SUID_DUMP_USER ||
		       ns_capable(mm->user_ns, CAP_SYS_PTRACE);
	return task->user_dumpable || ns_capable(&init_user_ns, CAP_SYS_PTRACE);
}

/*
 * The address space a pidfd names, with a reference. pidfd_get_task()
 * is not exported: a pidfd is a file of pidfs whose inode holds the pid
 * (pidfd_pid() reads it so). The mm is taken as mm_access() does, under
 * the exec lock, so that the check sees the program whose mm it is.
 */
static struct mm_struct *cdm_private_pidfd_mm(int pidfd)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct inode *inode;
	int err;

	if (pidfd < 0)
		return ERR_PTR(-EBADF);
	CLASS(fd, f)(pidfd);
	if (fd_empty(f))
		return ERR_PTR(-EBADF);
	inode = file_inode(fd_file(f));
	if (inode->i_sb->s_magic != PID_FS_MAGIC)
		return ERR_PTR(-EBADF);
	task = get_pid_task(inode->i_private, PIDTYPE_TGID);
	if (!task)
		return ERR_PTR(-ESRCH);

	err = down_read_killable(&task->signal->exec_update_lock);
	if (err) {
		mm = ERR_PTR(err);
		goto out;
	}
	mm = get_task_mm(task);
	if (!mm) {
		mm = ERR_PTR(-ESRCH);
	} else if (mm != current->mm) {
		bool ok;

		task_lock(task);
		ok = cdm_private_may_access(task);
		task_unlock(task);
		if (!ok) {
			mmput(mm);
			mm = ERR_PTR(-EPERM);
		}
	}
	up_read(&task->signal->exec_update_lock);
out:
	put_task_struct(task);
	return mm;
}

static struct mm_struct *cdm_private_own_mm(void)
{
	struct mm_struct *mm = current->mm;

	if (!mm)
		return ERR_PTR(-EINVAL);
	mmget(mm);
	return mm;
}

/*
 * Read a structure that starts with its size as the caller knows it:
 * smaller than the first version, or past a page, is -EINVAL, and so are
 * bytes beyond what the driver knows that are not zero.
 */
static int cdm_private_copy_in(void *karg, size_t ksize, void __user *uarg)
{
	u32 usize;
	int err;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < ksize || usize > PAGE_SIZE)
		return -EINVAL;
	err = copy_struct_from_user(karg, ksize, uarg, usize);
	return err == -E2BIG ? -EINVAL : err;
}

static int cdm_private_ioc_info(struct cdm_private_file *f, void __user *uarg)
{
	struct cdm_private_info info;
	int err;

	err = cdm_private_copy_in(&info, sizeof(info), uarg);
	if (err)
		return err;
	if (memchr_inv(info.reserved, 0, sizeof(info.reserved)))
		return -EINVAL;

	cdm_private_pool_info(f->pool, &info);
	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

static int cdm_private_ioc_stats(struct cdm_private_file *f, void __user *uarg)
{
	struct cdm_private_counters *c = &f->pool->stats;
	struct cdm_private_stats st;
	int err;

	err = cdm_private_copy_in(&st, sizeof(st), uarg);
	if (err)
		return err;
	if (st.pad || memchr_inv(st.reserved, 0, sizeof(st.reserved)))
		return -EINVAL;

	st.pages_on_device = cdm_private_pool_used(f->pool);
	st.to_device = atomic64_read(&c->to_device);
	st.to_ram = atomic64_read(&c->to_ram);
	st.cpu_faults = atomic64_read(&c->cpu_faults);
	st.device_reads = atomic64_read(&c->device_reads);
	st.device_writes = atomic64_read(&c->device_writes);
	st.fail_busy = atomic64_read(&c->fail_busy);
	st.fail_nomem = atomic64_read(&c->fail_nomem);
	st.fail_other = atomic64_read(&c->fail_other);
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

static int cdm_private_run_to_device(struct cdm_private_file *f,
				     struct mm_struct *mm,
				     struct cdm_private_range *r)
{
	return cdm_private_migrate(f->pool, mm, r, true);
}

static int cdm_private_run_to_ram(struct cdm_private_file *f,
				  struct mm_struct *mm,
				  struct cdm_private_range *r)
{
	return cdm_private_migrate(f->pool, mm, r, false);
}

/*
 * The ioctls on a range, and what each accepts. The dispatcher checks
 * the range's mappings, except for migrations: they check it under the
 * mmap_lock they migrate under, so that nothing moves when it fails.
 */
struct cdm_private_range_op {
	int (*run)(struct cdm_private_file *f, struct mm_struct *mm,
		   struct cdm_private_range *r);
	u32 flags;		/* CDM_PRIVATE_F_* it takes */
	unsigned int buf;	/* bytes of @buf per page; 0: no @buf */
	bool opener;		/* the opener's own address space only */
	enum cdm_private_vma_check vmas;	/* what the range must be */
};

#define CDM_PRIVATE_RANGE_OP(cmd) \
	[_IOC_NR(cmd) - _IOC_NR(CDM_PRIVATE_IOC_TO_DEVICE)]

static const struct cdm_private_range_op cdm_private_range_ops[] = {
	CDM_PRIVATE_RANGE_OP(CDM_PRIVATE_IOC_TO_DEVICE) = {
		.run = cdm_private_run_to_device,
		.flags = CDM_PRIVATE_F_PIDFD,
		.vmas = CDM_PRIVATE_VMA_MIGRATE,
	},
	CDM_PRIVATE_RANGE_OP(CDM_PRIVATE_IOC_TO_RAM) = {
		.run = cdm_private_run_to_ram,
		.flags = CDM_PRIVATE_F_PIDFD,
		.vmas = CDM_PRIVATE_VMA_MIGRATE,
	},
	CDM_PRIVATE_RANGE_OP(CDM_PRIVATE_IOC_READ) = {
		.run = cdm_private_mirror_read,
		.buf = PAGE_SIZE,
		.opener = true,
		.vmas = CDM_PRIVATE_VMA_MIRROR,
	},
	CDM_PRIVATE_RANGE_OP(CDM_PRIVATE_IOC_WRITE) = {
		.run = cdm_private_mirror_write,
		.buf = PAGE_SIZE,
		.opener = true,
		.vmas = CDM_PRIVATE_VMA_MIRROR_WRITE,
	},
	CDM_PRIVATE_RANGE_OP(CDM_PRIVATE_IOC_SNAPSHOT) = {
		.run = cdm_private_snapshot,
		.flags = CDM_PRIVATE_F_PIDFD,
		.buf = 1,
		.vmas = CDM_PRIVATE_VMA_ANY,
	},
	CDM_PRIVATE_RANGE_OP(CDM_PRIVATE_IOC_EXCLUSIVE) = {
		.run = cdm_private_mirror_exclusive,
		.opener = true,
		.vmas = CDM_PRIVATE_VMA_MIRROR_WRITE,
	},
	CDM_PRIVATE_RANGE_OP(CDM_PRIVATE_IOC_CHECK_EXCLUSIVE) = {
		.run = cdm_private_mirror_check_exclusive,
		.opener = true,
		.vmas = CDM_PRIVATE_VMA_ANY,
	},
};

/* Everything about a range request that needs no address space */
static int cdm_private_check_range(const struct cdm_private_range_op *op,
				   const struct cdm_private_range *r)
{
	unsigned long max = TASK_SIZE_MAX;

	if (r->flags & ~op->flags)
		return -EINVAL;
	if (r->pad || memchr_inv(r->reserved, 0, sizeof(r->reserved)))
		return -EINVAL;
	if (!(r->flags & CDM_PRIVATE_F_PIDFD) && r->pidfd)
		return -EINVAL;
	if (!r->npages || !PAGE_ALIGNED(r->addr))
		return -EINVAL;
	if (r->npages > max >> PAGE_SHIFT || r->addr > max ||
	    r->npages << PAGE_SHIFT > max - r->addr)
		return -EINVAL;
	if (!op->buf != !r->buf)
		return -EINVAL;
	if (r->buf && !access_ok(u64_to_user_ptr(r->buf), r->npages * op->buf))
		return -EFAULT;
	return 0;
}

/* ... and what needs the address space */
static int cdm_private_check_mm(const struct cdm_private_range_op *op,
				const struct cdm_private_range *r,
				struct mm_struct *mm)
{
	unsigned long end = r->addr + (r->npages << PAGE_SHIFT);
	int err;

	if (end > mm->task_size)
		return -EINVAL;
	if (op->vmas == CDM_PRIVATE_VMA_MIGRATE)
		return 0;
	err = mmap_read_lock_killable(mm);
	if (err)
		return err;
	err = cdm_private_check_vmas(mm, r->addr, end, op->vmas);
	mmap_read_unlock(mm);
	return err;
}

static int cdm_private_ioc_range(struct cdm_private_file *f, unsigned int nr,
				 void __user *uarg)
{
	const struct cdm_private_range_op *op;
	struct cdm_private_range r;
	struct mm_struct *mm;
	int err;

	op = &cdm_private_range_ops[nr - _IOC_NR(CDM_PRIVATE_IOC_TO_DEVICE)];
	err = cdm_private_copy_in(&r, sizeof(r), uarg);
	if (err)
		return err;
	err = cdm_private_check_range(op, &r);
	if (err)
		return err;

	/* the device's page table mirrors the opener's address space */
	if (op->opener && current->mm != f->notifier.mm)
		return -EPERM;
	if (r.flags & CDM_PRIVATE_F_PIDFD)
		mm = cdm_private_pidfd_mm(r.pidfd);
	else
		mm = cdm_private_own_mm();
	if (IS_ERR(mm))
		return PTR_ERR(mm);

	err = cdm_private_check_mm(op, &r, mm);
	if (!err) {
		r.done = 0;
		r.faults = 0;
		err = op->run(f, mm, &r);
	}
	mmput(mm);
	if (err)
		return err;
	return copy_to_user(uarg, &r, sizeof(r)) ? -EFAULT : 0;
}

/*
 * Commands are told apart by type and number alone: the size bits of a
 * command change when its structure grows, and @size says which version
 * the caller has.
 */
static long cdm_private_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct cdm_private_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;
	unsigned int nr = _IOC_NR(cmd);

	if (_IOC_TYPE(cmd) != CDM_PRIVATE_IOC_MAGIC)
		return -ENOTTY;
	if (nr == _IOC_NR(CDM_PRIVATE_IOC_INFO))
		return cdm_private_ioc_info(f, uarg);
	if (nr == _IOC_NR(CDM_PRIVATE_IOC_STATS))
		return cdm_private_ioc_stats(f, uarg);
	if (nr >= _IOC_NR(CDM_PRIVATE_IOC_TO_DEVICE) &&
	    nr <= _IOC_NR(CDM_PRIVATE_IOC_CHECK_EXCLUSIVE))
		return cdm_private_ioc_range(f, nr, uarg);
	return -ENOTTY;
}

static int cdm_private_open(struct inode *inode, struct file *file)
{
	struct cdm_private_file *f;
	int err;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->pool = container_of(inode->i_cdev, struct cdm_private_pool, cdev);
	err = cdm_private_mirror_init(f);
	if (err) {
		kfree(f);
		return err;
	}
	file->private_data = f;
	return nonseekable_open(inode, file);
}

static int cdm_private_release(struct inode *inode, struct file *file)
{
	struct cdm_private_file *f = file->private_data;

	cdm_private_mirror_fini(f);
	kfree(f);
	return 0;
}

static const struct file_operations cdm_private_fops = {
	.owner = THIS_MODULE,
	.open = cdm_private_open,
	.release = cdm_private_release,
	.unlocked_ioctl = cdm_private_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static void cdm_private_dev_release(struct device *dev)
{
	kfree(container_of(dev, struct cdm_private_pool, dev));
}

static int __init cdm_private_add_pool(unsigned int id)
{
	struct cdm_private_pool *pool;
	int err;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return -ENOMEM;
	cdm_private_pool_init(pool, id,
			      (unsigned long)capacity_mb << (20 - PAGE_SHIFT),
			      (unsigned long)chunk_mb << (20 - PAGE_SHIFT));

	device_initialize(&pool->dev);
	pool->dev.class = &cdm_private_class;
	pool->dev.devt = MKDEV(MAJOR(cdm_private_devt), id);
	pool->dev.release = cdm_private_dev_release;
	err = dev_set_name(&pool->dev, "%s", pool->name);
	if (err)
		goto err_put;

	cdev_init(&pool->cdev, &cdm_private_fops);
	pool->cdev.owner = THIS_MODULE;
	cdm_private_pools[id] = pool;
	err = cdev_device_add(&pool->cdev, &pool->dev);
	if (err)
		goto err_forget;
	return 0;

err_forget:
	cdm_private_pools[id] = NULL;
err_put:
	put_device(&pool->dev);
	return err;
}

static void cdm_private_remove_pool(unsigned int id)
{
	struct cdm_private_pool *pool = cdm_private_pools[id];

	cdev_device_del(&pool->cdev, &pool->dev);
	cdm_private_pool_destroy(pool);
	cdm_private_pools[id] = NULL;
	put_device(&pool->dev);
}

static int __init cdm_private_init(void)
{
	unsigned int id;
	int err;

	err = class_register(&cdm_private_class);
	if (err)
		return err;
	err = alloc_chrdev_region(&cdm_private_devt, 0, cdm_private_npools,
				  KBUILD_MODNAME);
	if (err)
		goto err_class;
	for (id = 0; id < cdm_private_npools; id++) {
		err = cdm_private_add_pool(id);
		if (err) {
			pr_err("cannot add pool %u: %pe\n", id, ERR_PTR(err));
			goto err_pools;
		}
	}
	return 0;

err_pools:
	while (id--)
		cdm_private_remove_pool(id);
	unregister_chrdev_region(cdm_private_devt, cdm_private_npools);
err_class:
	class_unregister(&cdm_private_class);
	return err;
}
module_init(cdm_private_init);

static void __exit cdm_private_exit(void)
{
	unsigned int id = cdm_private_npools;

	while (id--)
		cdm_private_remove_pool(id);
	unregister_chrdev_region(cdm_private_devt, cdm_private_npools);
	class_unregister(&cdm_private_class);
}
module_exit(cdm_private_exit);

MODULE_DESCRIPTION("Device-private memory pools through the HMM migration core");
MODULE_LICENSE("GPL");
