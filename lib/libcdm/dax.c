// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A dax device's memory as a coherent device memory node through the
 * cxl_cdm driver (kernel/drivers/cxl-cdm: its README gives the
 * administrator's steps followed here), under the context's sysfs root:
 *
 *   bus/dax/devices/daxN.M/driver          -> .../drivers/device_dax, kmem, cxl_cdm
 *   bus/dax/devices/daxN.M/target_node     the node its memory goes to
 *   bus/dax/devices/daxN.M/cxl_cdm/online  while cxl_cdm holds it: 1 or 0
 *   bus/dax/drivers/DRIVER/                new_id, remove_id, bind, unbind
 *
 * Online: a device that device_dax holds is named in cxl_cdm's new_id
 * while still bound (new_id binds a free device at once and keeps a
 * failed probe to itself; bind reports it), taken from device_dax and
 * bound to cxl_cdm, whose probe onlines the memory; a device cxl_cdm
 * holds with its memory offline gets online = 1. Offline: online = 0,
 * which migrates the pages in use away or fails with EBUSY leaving the
 * device as it was; CDM_DAX_OFFLINE_RELEASE then gives the device back to
 * device_dax. kmem's devices are never taken: unbinding kmem with memory
 * online leaves that memory online as ordinary RAM until reboot, and
 * daxctl is the tool that takes it offline first.
 *
 * A driver not loaded is loaded with modprobe(8), on the real /sys only:
 * under a fake tree (host tests) nothing is run on the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <daxctl/libdaxctl.h>

#include "private.h"

#define DAX_DEVICES "/bus/dax/devices"
#define DAX_DRIVERS "/bus/dax/drivers"
#define DEVICE_DAX "device_dax"
/* the kernel's DAX_NAME_LEN: a name and its NUL */
#define DAX_NAME_LEN 30

extern char **environ;

/* One decimal number at *@p as the kernel prints it (no sign, no leading
 * zero, within int); *@p moves past it */
static bool dax_number(const char **p)
{
	const char *s = *p;
	long v = 0;

	if (*s < '0' || *s > '9' || (*s == '0' && s[1] >= '0' && s[1] <= '9'))
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return false;
	}
	*p = s;
	return true;
}

/* daxN.M exactly as the dax bus names its devices (its new_id refuses
 * anything else too) */
static bool dax_name_ok(const char *name)
{
	const char *p = name + 3;

	if (strlen(name) >= DAX_NAME_LEN || strncmp(name, "dax", 3) || !dax_number(&p))
		return false;
	if (*p++ != '.' || !dax_number(&p))
		return false;
	return *p == '\0';
}

CDM_EXPORT int cdm_dax_check_name(struct cdm_ctx *ctx, const char *devname)
{
	char buf[48];

	cdm__clear_error(ctx);
	if (!devname)
		return cdm__fail(ctx, EINVAL, "no dax device named");
	if (!dax_name_ok(devname))
		return cdm__fail(ctx, EINVAL, "'%s': not a dax device name (daxN.M)",
				 cdm__shown(devname, buf, sizeof(buf)));
	return 0;
}

int cdm__dax_driver(struct cdm_ctx *ctx, const char *devname, char *buf, size_t len)
{
	char path[PATH_MAX];
	int rc;

	rc = cdm__sysfs_path(ctx, path, sizeof(path), DAX_DEVICES "/%s/driver", devname);
	if (!rc)
		rc = cdm__read_link_name(path, buf, len);
	if (rc == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	return rc;
}

/* 1 or 0 from @devname's cxl_cdm/online, or -errno */
static int read_online(struct cdm_ctx *ctx, const char *devname)
{
	char path[PATH_MAX];
	long online;
	int rc;

	rc = cdm__sysfs_path(ctx, path, sizeof(path), DAX_DEVICES "/%s/cxl_cdm/online",
			     devname);
	if (!rc)
		rc = cdm__read_long(path, &online);
	if (rc)
		return rc;
	return online == 1;
}

bool cdm__dax_cxl_cdm_online(struct cdm_ctx *ctx, const char *devname)
{
	char driver[64];

	return !cdm__dax_driver(ctx, devname, driver, sizeof(driver)) &&
	       !strcmp(driver, CDM_DRIVER_CXL_CDM) && read_online(ctx, devname) == 1;
}

/* One online or offline of a checked device */
struct dax_op {
	struct cdm_ctx *ctx;
	const char *dev;
	char driver[64];	/* holding it when the call began; "" none */
	int node;		/* its target node, -1 when it has none */
};

/* what a refused write needs said */
static const char *root_hint(int rc)
{
	return rc == -EACCES || rc == -EPERM ? " (needs root)" : "";
}

/* Write @op's device name to DAX_DRIVERS/@driver/@attr: 0 or -errno, said
 * when @say (a failed bind is said by the caller, who knows what it means) */
static int drv_write(struct dax_op *op, const char *driver, const char *attr, bool say)
{
	char path[PATH_MAX];
	int rc;

	rc = cdm__sysfs_path(op->ctx, path, sizeof(path), DAX_DRIVERS "/%s/%s", driver, attr);
	if (!rc)
		rc = cdm__write_file(path, op->dev);
	if (rc && say)
		return cdm__fail(op->ctx, -rc, "%s: writing it to %s: %s%s", op->dev, path,
				 strerror(-rc), root_hint(rc));
	return rc;
}

/* modprobe @module, quietly: its exit status, or -errno when it did not run */
static int modprobe(const char *module)
{
	char *argv[] = { "modprobe", "-q", (char *)module, NULL };
	posix_spawn_file_actions_t actions;
	int rc, status;
	pid_t pid;

	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
	rc = posix_spawnp(&pid, "modprobe", &actions, NULL, argv, environ);
	if (rc == ENOENT)	/* not in PATH: where kmod puts it */
		rc = posix_spawn(&pid, "/sbin/modprobe", &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	if (rc)
		return -rc;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* DAX_DRIVERS/@driver there, its module (of the same name) loaded if it
 * was not: 0, or -ENOENT said */
static int load_driver(struct dax_op *op, const char *driver)
{
	char path[PATH_MAX], why[64];
	struct stat st;
	int rc;

	rc = cdm__sysfs_path(op->ctx, path, sizeof(path), DAX_DRIVERS "/%s", driver);
	if (rc)
		return cdm__fail(op->ctx, -rc, "%s: sysfs root too long", op->dev);
	if (!stat(path, &st))
		return 0;
	if (!op->ctx->sysfs_is_real)
		return cdm__fail(op->ctx, ENOENT, "%s: driver %s not loaded (no %s)", op->dev,
				 driver, path);
	rc = modprobe(driver);
	if (!stat(path, &st)) {
		cdm_info(op->ctx, "%s: loaded driver %s", op->dev, driver);
		return 0;
	}
	if (rc < 0)
		snprintf(why, sizeof(why), "could not run: %s", strerror(-rc));
	else
		snprintf(why, sizeof(why), "exit %d", rc);
	return cdm__fail(op->ctx, ENOENT, "%s: driver %s not loaded: 'modprobe %s': %s",
			 op->dev, driver, driver, why);
}

/* Check the name, find the device and what holds it: 0 or -errno, said */
static int op_start(struct dax_op *op, struct cdm_ctx *ctx, const char *devname)
{
	char path[PATH_MAX];
	struct stat st;
	long node;
	int rc;

	*op = (struct dax_op){ .ctx = ctx, .dev = devname, .node = -1 };
	rc = cdm_dax_check_name(ctx, devname);
	if (rc)
		return rc;
	rc = cdm__sysfs_path(ctx, path, sizeof(path), DAX_DEVICES "/%s", devname);
	if (rc)
		return cdm__fail(ctx, -rc, "%s: sysfs root too long", devname);
	if (stat(path, &st))
		return cdm__fail(ctx, ENODEV, "%s: no such dax device (%s: %s)", devname, path,
				 strerror(errno));
	rc = cdm__dax_driver(ctx, devname, op->driver, sizeof(op->driver));
	if (rc)
		return cdm__fail(ctx, -rc, "%s: %s/driver: %s", devname, path, strerror(-rc));
	if (!cdm__sysfs_path(ctx, path, sizeof(path), DAX_DEVICES "/%s/target_node", devname) &&
	    !cdm__read_long(path, &node) && node >= 0 && node < CDM_MAX_NODES)
		op->node = node;
	return 0;
}

/* @op's device, bound to no driver now, to device_dax: named in its new_id
 * (which binds a free device at once), bound if that did not: 0 or -errno,
 * not said */
static int give_back(struct dax_op *op)
{
	char now[64];
	int rc;

	rc = drv_write(op, DEVICE_DAX, "new_id", false);
	if (!rc)
		rc = cdm__dax_driver(op->ctx, op->dev, now, sizeof(now));
	if (!rc && strcmp(now, DEVICE_DAX))
		rc = drv_write(op, DEVICE_DAX, "bind", false);
	return rc;
}

/* Write @on ("1", "0") to cxl_cdm/online: 0 or -errno, said */
static int write_online(struct dax_op *op, const char *on)
{
	char path[PATH_MAX];
	int rc;

	rc = cdm__sysfs_path(op->ctx, path, sizeof(path), DAX_DEVICES "/%s/cxl_cdm/online",
			     op->dev);
	if (!rc)
		rc = cdm__write_file(path, on);
	if (rc == -EBUSY && *on == '0')
		return cdm__fail(op->ctx, EBUSY, "%s: node %d: pages in use could not move to "
				 "other nodes: nothing lost, the memory stays online (the kernel "
				 "log says why)", op->dev, op->node);
	if (rc)
		return cdm__fail(op->ctx, -rc, "%s: node %d: cannot go %s: %s%s", op->dev,
				 op->node, *on == '1' ? "online" : "offline", strerror(-rc),
				 rc == -EACCES || rc == -EPERM ? root_hint(rc) :
				 " (the kernel log says why)");
	return 0;
}

/* A driver other than device_dax, kmem and cxl_cdm holds the device */
static int held_by_other(struct dax_op *op)
{
	return cdm__fail(op->ctx, EBUSY, "%s: held by driver %s, not device_dax: not taken "
			 "from it", op->dev, op->driver);
}

/* kmem holds the device: taking it from kmem is daxctl's, which takes
 * the memory offline first and refuses when it cannot */
static int held_by_kmem(struct dax_op *op, bool online)
{
	if (online)
		return cdm__fail(op->ctx, EBUSY, "%s: held by kmem as system RAM: give it to "
				 "device_dax first with 'daxctl reconfigure-device --mode=devdax "
				 "-f %s' (which refuses while its memory cannot go offline)",
				 op->dev, op->dev);
	return cdm__fail(op->ctx, EBUSY, "%s: held by kmem as system RAM, not by cxl_cdm: "
			 "'daxctl offline-memory %s' takes its memory offline", op->dev, op->dev);
}

/* *@node gets @op's node; returns @rc */
static int op_done(struct dax_op *op, int *node, int rc)
{
	if (node)
		*node = op->node;
	return rc;
}

/* how long memory kmem holds may take to go offline: cxl_cdm's own
 * remove_timeout_ms, the same wait for the same work */
#define KMEM_OFFLINE_TIMEOUT_MS	60000
#define CXL_CDM_REMOVE_TIMEOUT	"/sys/module/cxl_cdm/parameters/remove_timeout_ms"

static long offline_timeout_ms(void)
{
	long ms;

	if (!cdm__read_long(CXL_CDM_REMOVE_TIMEOUT, &ms) && ms > 0)
		return ms;
	return KMEM_OFFLINE_TIMEOUT_MS;
}

/*
 * daxctl_memory_offline() in a child process, killed after @timeout_ms:
 * the kernel retries a block's offline until the writer gets a signal
 * (mm/memory_hotplug.c, offline_pages()), so a page in use that cannot
 * move (pinned) would hold the caller for ever. 0 when every block went
 * offline, -EBUSY when one did not, -ETIMEDOUT, or -errno of fork.
 */
static int offline_bounded(struct daxctl_memory *mem, long timeout_ms)
{
	long waited;
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		_exit(daxctl_memory_offline(mem) < 0 ? 1 : 0);
	for (waited = 0;; waited += 20) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EBUSY;
		if (waited >= timeout_ms) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -ETIMEDOUT;
		}
		usleep(20000);
	}
}

/* @devname as libdaxctl finds it in @dax, NULL when it does not */
static struct daxctl_dev *daxctl_find(struct daxctl_ctx *dax, const char *devname)
{
	struct daxctl_region *region;
	struct daxctl_dev *dev;

	daxctl_region_foreach(dax, region)
		daxctl_dev_foreach(region, dev)
			if (!strcmp(daxctl_dev_get_devname(dev), devname))
				return dev;
	return NULL;
}

/*
 * kmem's device to device_dax, as "daxctl reconfigure-device --mode=devdax
 * --force" does: its memory offline (the kernel migrates the pages in
 * use), then unbound from kmem, whose remove then takes the memory out,
 * and bound to device_dax. Memory that cannot all go offline is put back
 * online and the device left with kmem: nothing is lost.
 */
CDM_EXPORT int cdm_dax_take_from_kmem(struct cdm_ctx *ctx, const char *devname)
{
	struct daxctl_memory *mem;
	struct daxctl_ctx *dax;
	struct daxctl_dev *dev;
	struct dax_op op;
	int rc, online, left;

	rc = op_start(&op, ctx, devname);
	if (rc)
		return rc;
	if (strcmp(op.driver, CDM_DRIVER_KMEM))
		return 1;
	if (!ctx->sysfs_is_real)
		return cdm__fail(ctx, EOPNOTSUPP, "%s: held by kmem: taking it from kmem goes "
				 "through libdaxctl, on the real /sys only", devname);
	rc = daxctl_new(&dax);
	if (rc)
		return cdm__fail(ctx, -rc, "%s: libdaxctl: %s", devname, strerror(-rc));
	daxctl_set_log_fn(dax, cdm__quiet_daxctl);
	dev = daxctl_find(dax, devname);
	mem = dev ? daxctl_dev_get_memory(dev) : NULL;
	if (!mem) {
		rc = cdm__fail(ctx, ENODEV, "%s: held by kmem, but libdaxctl finds no memory "
			       "of it", devname);
		goto out;
	}
	online = daxctl_memory_is_online(mem);
	if (online < 0) {	/* unbinding kmem then could leave memory online */
		rc = cdm__fail(ctx, -online, "%s: held by kmem: the state of its memory blocks: "
			       "%s: left with kmem", devname, strerror(-online));
		goto out;
	}
	if (online > 0) {
		long timeout_ms = offline_timeout_ms();

		rc = offline_bounded(mem, timeout_ms);
		left = daxctl_memory_is_online(mem);
		if (rc || left) {
			char waited[80] = "";

			daxctl_memory_online(mem);
			if (rc == -ETIMEDOUT)
				snprintf(waited, sizeof(waited), " within %ld ms (cxl_cdm's "
					 "remove_timeout_ms)", timeout_ms);
			rc = cdm__fail(ctx, EBUSY, "%s: held by kmem: %d of its %d memory blocks "
				       "online could not go offline%s (pages in use that cannot "
				       "move, or blocks in ZONE_NORMAL): left with kmem, its "
				       "memory online, nothing lost", devname,
				       left > 0 ? left : online, online, waited);
			goto out;
		}
	}
	rc = daxctl_dev_disable(dev);
	if (rc) {
		if (online > 0)
			daxctl_memory_online(mem);
		rc = cdm__fail(ctx, -rc, "%s: unbinding it from kmem: %s: left with kmem",
			       devname, strerror(-rc));
		goto out;
	}
	rc = daxctl_dev_enable_devdax(dev);
	if (rc)
		rc = cdm__fail(ctx, -rc, "%s: taken from kmem, but device_dax did not take it: "
			       "%s: left unbound", devname, strerror(-rc));
out:
	daxctl_unref(dax);
	return rc;
}

CDM_EXPORT int cdm_dax_online(struct cdm_ctx *ctx, const char *devname, int *node)
{
	struct dax_op op;
	char now[64];
	int rc, back;

	rc = op_start(&op, ctx, devname);
	if (rc)
		return rc;
	if (!strcmp(op.driver, CDM_DRIVER_CXL_CDM)) {
		rc = read_online(ctx, devname);
		if (rc < 0)
			return cdm__fail(ctx, -rc, "%s: reading cxl_cdm/online: %s", devname,
					 strerror(-rc));
		if (rc == 1)
			return op_done(&op, node, 1);	/* nothing to do */
		rc = write_online(&op, "1");
		return rc ? rc : op_done(&op, node, 0);
	}
	if (!strcmp(op.driver, CDM_DRIVER_KMEM))
		return held_by_kmem(&op, true);
	if (op.driver[0] && strcmp(op.driver, DEVICE_DAX))
		return held_by_other(&op);

	rc = load_driver(&op, CDM_DRIVER_CXL_CDM);
	if (!rc)
		rc = drv_write(&op, CDM_DRIVER_CXL_CDM, "new_id", true);
	if (!rc && op.driver[0])
		rc = drv_write(&op, DEVICE_DAX, "unbind", true);
	if (rc)
		return rc;
	if (!cdm__dax_driver(ctx, devname, now, sizeof(now)) &&
	    !strcmp(now, CDM_DRIVER_CXL_CDM))
		return op_done(&op, node, 0);	/* it was free: new_id bound it */
	rc = drv_write(&op, CDM_DRIVER_CXL_CDM, "bind", false);
	if (!rc)
		return op_done(&op, node, 0);
	/* no longer named, and back where it was */
	drv_write(&op, CDM_DRIVER_CXL_CDM, "remove_id", false);
	back = op.driver[0] ? give_back(&op) : 0;
	return cdm__fail(ctx, -rc, "%s: cxl_cdm refused it: %s%s; %s", devname, strerror(-rc),
			 rc == -EACCES || rc == -EPERM ? root_hint(rc) :
			 " (the kernel log says why)", !op.driver[0] ? "left unbound" :
			 back ? "left unbound: device_dax did not take it back" :
			 "given back to device_dax");
}

/* @op's device, offline, from cxl_cdm back to device_dax: named in
 * device_dax's new_id while cxl_cdm still holds it, unbound from cxl_cdm
 * (which cannot fail: its memory is offline already), no longer named
 * there, bound to device_dax. 0 or -errno, said. */
static int release(struct dax_op *op)
{
	int rc;

	rc = load_driver(op, DEVICE_DAX);
	if (!rc)
		rc = drv_write(op, DEVICE_DAX, "new_id", true);
	if (!rc)
		rc = drv_write(op, CDM_DRIVER_CXL_CDM, "unbind", true);
	if (!rc)
		rc = drv_write(op, CDM_DRIVER_CXL_CDM, "remove_id", true);
	if (rc)
		return rc;
	rc = give_back(op);
	if (rc)
		return cdm__fail(op->ctx, -rc, "%s: offline and taken from cxl_cdm, but "
				 "device_dax refused it: %s; left unbound", op->dev,
				 strerror(-rc));
	return 0;
}

CDM_EXPORT int cdm_dax_offline(struct cdm_ctx *ctx, const char *devname, unsigned int flags,
			       int *node)
{
	bool changed = false;
	struct dax_op op;
	int rc;

	rc = op_start(&op, ctx, devname);
	if (rc)
		return rc;
	if (flags & ~CDM_DAX_OFFLINE_RELEASE)
		return cdm__fail(ctx, EINVAL, "%s: unknown flags 0x%x", devname,
				 flags & ~CDM_DAX_OFFLINE_RELEASE);
	if (!strcmp(op.driver, CDM_DRIVER_CXL_CDM)) {
		rc = read_online(ctx, devname);
		if (rc < 0)
			return cdm__fail(ctx, -rc, "%s: reading cxl_cdm/online: %s", devname,
					 strerror(-rc));
		if (rc == 1) {
			rc = write_online(&op, "0");
			if (rc)
				return rc;
			changed = true;
		}
		if (flags & CDM_DAX_OFFLINE_RELEASE) {
			rc = release(&op);
			if (rc)
				return rc;
			changed = true;
		}
		return op_done(&op, node, !changed);
	}
	if (!strcmp(op.driver, CDM_DRIVER_KMEM))
		return held_by_kmem(&op, false);
	if (!op.driver[0] && (flags & CDM_DAX_OFFLINE_RELEASE)) {
		rc = load_driver(&op, DEVICE_DAX);
		if (rc)
			return rc;
		rc = give_back(&op);
		if (rc)
			return cdm__fail(ctx, -rc, "%s: device_dax refused it: %s%s", devname,
					 strerror(-rc), root_hint(rc));
		changed = true;
	}
	/* device_dax's, or no driver's, or another's: none of its memory is
	 * online through cxl_cdm */
	return op_done(&op, node, !changed);
}
