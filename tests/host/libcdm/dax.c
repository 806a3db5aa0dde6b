// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdm_dax_online() and cdm_dax_offline() over a fake sysfs tree of dax
 * devices and drivers (bus/dax/devices/daxN.M/driver links, target_node,
 * cxl_cdm/online; bus/dax/drivers/DRIVER/new_id, remove_id, bind,
 * unbind as plain files, which keep what was written last): hostile
 * device names refused before anything is touched; a device that does
 * not exist; the steps of cxl_cdm's README in their order (checked by
 * what each driver file holds); online and offline twice (the second
 * does nothing and says so); kmem's and another driver's devices
 * refused; a driver not loaded (never modprobe'd under a fake tree); a
 * bind that fails (an attribute the write cannot open) gives the device
 * back. The kernel's EBUSY on an offline is tests/host/cdmctl-dax.t's,
 * through an LD_PRELOAD write(2), and the VM's (tests/vm/cdmctl-online.t).
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <libcdm.h>
#include "fakesys.h"

static const struct fake_node two[] = {
	{ 0, "0-1", 1024, "10 20" },
	{ 2, "", 1024, "20 10" },
};

static struct cdm_ctx *ctx;
static const char *root;

static const char *const drivers[] = { "device_dax", "kmem", "cxl_cdm" };
static const char *const attrs[] = { "new_id", "remove_id", "bind", "unbind" };

/* dax device @dev on node @node, bound to @driver (NULL: none) */
static void device(const char *dev, int node, const char *driver)
{
	char rel[128], buf[128];

	snprintf(rel, sizeof(rel), "bus/dax/devices/%s/target_node", dev);
	snprintf(buf, sizeof(buf), "%d\n", node);
	fakesys_write(rel, buf);
	snprintf(rel, sizeof(rel), "bus/dax/devices/%s/driver", dev);
	fakesys_write(rel, NULL);
	if (!driver)
		return;
	snprintf(buf, sizeof(buf), "../../../../bus/dax/drivers/%s", driver);
	fakesys_symlink(rel, buf);
}

static void set_online(const char *dev, const char *value)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "bus/dax/devices/%s/cxl_cdm/online", dev);
	fakesys_write(rel, value);
}

static const char *online_of(const char *dev)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "bus/dax/devices/%s/cxl_cdm/online", dev);
	return fakesys_read(rel);
}

/* every driver file emptied */
static void clear_writes(void)
{
	char rel[128];
	unsigned int d, a;

	for (d = 0; d < sizeof(drivers) / sizeof(drivers[0]); d++) {
		for (a = 0; a < sizeof(attrs) / sizeof(attrs[0]); a++) {
			snprintf(rel, sizeof(rel), "bus/dax/drivers/%s/%s", drivers[d], attrs[a]);
			fakesys_write(rel, "");
		}
	}
}

/* "cxl_cdm/new_id=dax0.0 device_dax/unbind=dax0.0": every driver file
 * written since clear_writes(), in driver and attribute order */
static const char *writes(void)
{
	static char buf[512];
	const char *got;
	char rel[128];
	unsigned int d, a;
	size_t len = 0;

	buf[0] = '\0';
	for (d = 0; d < sizeof(drivers) / sizeof(drivers[0]); d++) {
		for (a = 0; a < sizeof(attrs) / sizeof(attrs[0]); a++) {
			snprintf(rel, sizeof(rel), "bus/dax/drivers/%s/%s", drivers[d], attrs[a]);
			got = fakesys_read(rel);
			if (got && *got)
				len += snprintf(buf + len, sizeof(buf) - len, "%s%s/%s=%s",
						len ? " " : "", drivers[d], attrs[a], got);
		}
	}
	return buf;
}

static void expect_msg(const char *want)
{
	if (!strstr(cdm_get_last_error(ctx), want))
		fail_msg("message '%s' lacks '%s'", cdm_get_last_error(ctx), want);
}

/*
 * dax0.0 node 2, device_dax's; dax1.0 node 2, cxl_cdm's, online; dax2.0
 * kmem's; dax3.0 of no driver, no target node; dax4.0 fsdev_dax's
 */
static int setup(void **state)
{
	root = fakesys_new();
	fakesys_machine(two, 2);
	clear_writes();
	device("dax0.0", 2, "device_dax");
	device("dax1.0", 2, "cxl_cdm");
	set_online("dax1.0", "1\n");
	device("dax2.0", 2, "kmem");
	device("dax3.0", -1, NULL);
	device("dax4.0", 2, "fsdev_dax");
	return cdm_new(&ctx);
}

static int teardown(void **state)
{
	cdm_unref(ctx);
	fakesys_remove();
	return 0;
}

/* Hostile names: EINVAL naming them (printable, cut short), nothing
 * written, the device directory never looked for */
static void names(void **state)
{
	static const struct {
		const char *name, *shown;
	} bad[] = {
		{ "", "''" },
		{ "dax", "'dax'" },
		{ "dax0", "'dax0'" },
		{ "dax0.", "'dax0.'" },
		{ "dax.0", "'dax.0'" },
		{ "dax0.0/../x", "'dax0.0/../x'" },
		{ "dax0.0\n", "'dax0.0?'" },
		{ "dax0.0\033[2J", "'dax0.0?[2J'" },
		{ "../dax0.0", "'../dax0.0'" },
		{ "dax00.0", "'dax00.0'" },
		{ "dax0.01", "'dax0.01'" },
		{ "dax-1.0", "'dax-1.0'" },
		{ "dax+1.0", "'dax+1.0'" },
		{ " dax0.0", "' dax0.0'" },
		{ "dax0.0 ", "'dax0.0 '" },
		{ "DAX0.0", "'DAX0.0'" },
		{ "dax0.0.0", "'dax0.0.0'" },
		{ "dax2147483648.0", "'dax2147483648.0'" },
		{ "dax1.99999999999999999999", "'dax1.99999999999999999999'" },
		{ "dax1.2147483648", "'dax1.2147483648'" },
	};
	char buf[512], want[128];
	unsigned int i;
	int node = 42;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "%s: not a dax device name (daxN.M)", bad[i].shown);
		assert_int_equal(cdm_dax_check_name(ctx, bad[i].name), -EINVAL);
		assert_string_equal(cdm_get_last_error(ctx), want);
		assert_int_equal(cdm_dax_online(ctx, bad[i].name, &node), -EINVAL);
		assert_string_equal(cdm_get_last_error(ctx), want);
		assert_int_equal(cdm_dax_offline(ctx, bad[i].name, CDM_DAX_OFFLINE_RELEASE, &node),
				 -EINVAL);
		assert_string_equal(cdm_get_last_error(ctx), want);
	}
	/* very long: the first 40 bytes, then "..." */
	memset(buf, 'x', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	memcpy(buf, "dax0.0", 6);
	assert_int_equal(cdm_dax_online(ctx, buf, NULL), -EINVAL);
	snprintf(want, sizeof(want), "'%.40s...': not a dax device name (daxN.M)", buf);
	assert_string_equal(cdm_get_last_error(ctx), want);
	assert_int_equal(cdm_dax_check_name(ctx, NULL), -EINVAL);
	assert_int_equal(cdm_dax_online(ctx, NULL, NULL), -EINVAL);
	assert_int_equal(node, 42);
	assert_string_equal(writes(), "");

	assert_int_equal(cdm_dax_check_name(ctx, "dax0.0"), 0);
	assert_string_equal(cdm_get_last_error(ctx), "");
	assert_int_equal(cdm_dax_check_name(ctx, "dax12.345"), 0);
	assert_int_equal(cdm_dax_check_name(ctx, "dax2147483647.0"), 0);
	assert_int_equal(cdm_dax_check_name(ctx, "dax2147483647.2147483647"), 0);
}

static void no_such_device(void **state)
{
	int node = 42;

	assert_int_equal(cdm_dax_online(ctx, "dax9.9", &node), -ENODEV);
	expect_msg("dax9.9: no such dax device (");
	assert_int_equal(cdm_dax_offline(ctx, "dax9.9", 0, &node), -ENODEV);
	expect_msg("dax9.9: no such dax device (");
	assert_int_equal(node, 42);
	assert_string_equal(writes(), "");
}

/* The README's steps: named in cxl_cdm's new_id while device_dax still
 * holds it, taken from device_dax, bound to cxl_cdm */
static void online_from_device_dax(void **state)
{
	int node = -5;

	assert_int_equal(cdm_dax_online(ctx, "dax0.0", &node), 0);
	assert_int_equal(node, 2);
	assert_string_equal(writes(), "device_dax/unbind=dax0.0 cxl_cdm/new_id=dax0.0 "
			    "cxl_cdm/bind=dax0.0");
	/* of no driver: new_id, then bind (new_id's probe failure is silent) */
	clear_writes();
	assert_int_equal(cdm_dax_online(ctx, "dax3.0", &node), 0);
	assert_int_equal(node, -1);
	assert_string_equal(writes(), "cxl_cdm/new_id=dax3.0 cxl_cdm/bind=dax3.0");
	clear_writes();
}

/* cxl_cdm's already: online is 1 (nothing written), or becomes 1 */
static void online_again(void **state)
{
	int node = -5;

	assert_int_equal(cdm_dax_online(ctx, "dax1.0", &node), 1);
	assert_int_equal(node, 2);
	assert_string_equal(cdm_get_last_error(ctx), "");
	assert_string_equal(online_of("dax1.0"), "1\n");
	set_online("dax1.0", "0\n");
	assert_int_equal(cdm_dax_online(ctx, "dax1.0", &node), 0);
	assert_string_equal(online_of("dax1.0"), "1");
	assert_int_equal(cdm_dax_online(ctx, "dax1.0", NULL), 1);
	assert_string_equal(writes(), "");
	/* an online attribute that does not read: said, nothing written */
	set_online("dax1.0", "yes\n");
	assert_int_equal(cdm_dax_online(ctx, "dax1.0", NULL), -EINVAL);
	expect_msg("dax1.0: reading cxl_cdm/online");
	set_online("dax1.0", "1\n");
}

/* kmem's and another driver's devices are not taken */
static void refused(void **state)
{
	assert_int_equal(cdm_dax_online(ctx, "dax2.0", NULL), -EBUSY);
	expect_msg("dax2.0: held by kmem as system RAM: give it to device_dax first with "
		   "'daxctl reconfigure-device --mode=devdax -f dax2.0'");
	assert_int_equal(cdm_dax_offline(ctx, "dax2.0", CDM_DAX_OFFLINE_RELEASE, NULL), -EBUSY);
	expect_msg("dax2.0: held by kmem as system RAM, not by cxl_cdm: "
		   "'daxctl offline-memory dax2.0'");
	assert_int_equal(cdm_dax_online(ctx, "dax4.0", NULL), -EBUSY);
	expect_msg("dax4.0: held by driver fsdev_dax, not device_dax");
	assert_string_equal(writes(), "");
	assert_int_equal(cdm_dax_offline(ctx, "dax1.0", 2, NULL), -EINVAL);
	expect_msg("dax1.0: unknown flags 0x2");
	assert_string_equal(online_of("dax1.0"), "1\n");
}

/* Taking from kmem: a device kmem does not hold is left alone (1); kmem's
 * goes through libdaxctl, which a fake tree cannot give: EOPNOTSUPP
 * saying so; bad and missing names as online; nothing written */
static void take_from_kmem(void **state)
{
	const char *other[] = { "dax0.0", "dax1.0", "dax3.0", "dax4.0" };
	size_t i;

	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		assert_int_equal(cdm_dax_take_from_kmem(ctx, other[i]), 1);
	assert_int_equal(cdm_dax_take_from_kmem(ctx, "dax2.0"), -EOPNOTSUPP);
	expect_msg("dax2.0: held by kmem: taking it from kmem goes through libdaxctl, "
		   "on the real /sys only");
	assert_int_equal(cdm_dax_take_from_kmem(ctx, "dax9.0"), -ENODEV);
	expect_msg("dax9.0: no such dax device");
	assert_int_equal(cdm_dax_take_from_kmem(ctx, "../dax2.0"), -EINVAL);
	assert_int_equal(cdm_dax_take_from_kmem(ctx, NULL), -EINVAL);
	assert_string_equal(writes(), "");
	assert_string_equal(online_of("dax1.0"), "1\n");
}

/* cxl_cdm not loaded: said, nothing written (and, under a fake tree, no
 * modprobe run on the host) */
static void driver_missing(void **state)
{
	char path[PATH_MAX], moved[PATH_MAX];

	snprintf(path, sizeof(path), "%s/bus/dax/drivers/cxl_cdm", root);
	snprintf(moved, sizeof(moved), "%s/bus/dax/cxl_cdm.away", root);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(cdm_dax_online(ctx, "dax0.0", NULL), -ENOENT);
	expect_msg("dax0.0: driver cxl_cdm not loaded (no ");
	assert_int_equal(rename(moved, path), 0);
	assert_string_equal(writes(), "");
}

/* A bind that fails: said with its errno, the device no longer named in
 * cxl_cdm's new_id and given back to device_dax */
static void bind_fails(void **state)
{
	char path[PATH_MAX];

	fakesys_write("bus/dax/drivers/cxl_cdm/bind", NULL);
	snprintf(path, sizeof(path), "%s/bus/dax/drivers/cxl_cdm/bind", root);
	assert_int_equal(mkdir(path, 0755), 0);	/* opening it to write: EISDIR */
	assert_int_equal(cdm_dax_online(ctx, "dax0.0", NULL), -EISDIR);
	expect_msg("dax0.0: cxl_cdm refused it: Is a directory (the kernel log says why); "
		   "given back to device_dax");
	assert_int_equal(rmdir(path), 0);
	/* device_dax's new_id binds it (the fake's link still says device_dax,
	 * as the kernel's would then): no bind needed */
	assert_string_equal(writes(), "device_dax/new_id=dax0.0 device_dax/unbind=dax0.0 "
			    "cxl_cdm/new_id=dax0.0 cxl_cdm/remove_id=dax0.0");
	clear_writes();
}

/* online 0; again, nothing to do; --release gives it back to device_dax
 * in the README's order; device_dax's and no driver's devices */
static void offline(void **state)
{
	int node = -5;

	assert_int_equal(cdm_dax_offline(ctx, "dax1.0", 0, &node), 0);
	assert_int_equal(node, 2);
	assert_string_equal(online_of("dax1.0"), "0");
	set_online("dax1.0", "0\n");
	assert_int_equal(cdm_dax_offline(ctx, "dax1.0", 0, &node), 1);
	assert_string_equal(cdm_get_last_error(ctx), "");
	assert_string_equal(writes(), "");
	assert_int_equal(cdm_dax_offline(ctx, "dax1.0", CDM_DAX_OFFLINE_RELEASE, &node), 0);
	assert_string_equal(writes(), "device_dax/new_id=dax1.0 device_dax/bind=dax1.0 "
			    "cxl_cdm/remove_id=dax1.0 cxl_cdm/unbind=dax1.0");
	assert_string_equal(online_of("dax1.0"), "0\n");	/* not written again */
	clear_writes();

	assert_int_equal(cdm_dax_offline(ctx, "dax0.0", CDM_DAX_OFFLINE_RELEASE, &node), 1);
	assert_int_equal(node, 2);
	assert_int_equal(cdm_dax_offline(ctx, "dax4.0", 0, NULL), 1);
	assert_string_equal(writes(), "");
	/* of no driver, released: to device_dax */
	assert_int_equal(cdm_dax_offline(ctx, "dax3.0", 0, &node), 1);
	assert_int_equal(node, -1);
	assert_int_equal(cdm_dax_offline(ctx, "dax3.0", CDM_DAX_OFFLINE_RELEASE, &node), 0);
	assert_string_equal(writes(), "device_dax/new_id=dax3.0 device_dax/bind=dax3.0");
	clear_writes();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names),
		cmocka_unit_test(no_such_device),
		cmocka_unit_test(online_from_device_dax),
		cmocka_unit_test(online_again),
		cmocka_unit_test(refused),
		cmocka_unit_test(take_from_kmem),
		cmocka_unit_test(driver_missing),
		cmocka_unit_test(bind_fails),
		cmocka_unit_test(offline),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("libcdm dax", tests, setup, teardown);
}
