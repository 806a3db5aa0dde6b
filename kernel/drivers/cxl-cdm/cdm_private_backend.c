// SPDX-License-Identifier: GPL-2.0
/*
 * cdm_private: the device memory behind a pool's device-private pages.
 *
 * A device-private struct page stands for memory the CPU cannot reach;
 * the driver of a real device would keep the page's device address in
 * page->zone_device_data and copy with its DMA engine. This emulation,
 * a test device as in lib/test_hmm.c, backs each device page with a page
 * of host memory. That host page is not charged to any memory cgroup:
 * the device page itself carries the charge of the data it holds, as
 * the system page it replaces did (see README), so a round trip leaves
 * memory.current as it was.
 */

#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>

#include "cdm_private.h"
#include "uapi/linux/cdm_private.h"

static struct page *cdm_private_host_page(struct page *dpage)
{
	return dpage->zone_device_data;
}

static int cdm_private_host_alloc(struct cdm_private_pool *pool,
				  struct page *dpage)
{
	struct page *host = alloc_page(GFP_HIGHUSER | __GFP_NOWARN);

	if (!host)
		return -ENOMEM;
	dpage->zone_device_data = host;
	return 0;
}

static void cdm_private_host_free(struct cdm_private_pool *pool,
				  struct page *dpage)
{
	__free_page(cdm_private_host_page(dpage));
	dpage->zone_device_data = NULL;
}

static int cdm_private_host_clear(struct cdm_private_pool *pool,
				  struct page *dpage)
{
	clear_highpage(cdm_private_host_page(dpage));
	return 0;
}

static int cdm_private_host_copy_to_device(struct cdm_private_pool *pool,
					   struct page *dpage,
					   struct page *spage)
{
	copy_highpage(cdm_private_host_page(dpage), spage);
	return 0;
}

static int cdm_private_host_copy_from_device(struct cdm_private_pool *pool,
					     struct page *spage,
					     struct page *dpage)
{
	copy_highpage(spage, cdm_private_host_page(dpage));
	return 0;
}

static void cdm_private_host_read(struct cdm_private_pool *pool,
				  struct page *dpage, void *buf)
{
	memcpy_from_page(buf, cdm_private_host_page(dpage), 0, PAGE_SIZE);
}

static void cdm_private_host_write(struct cdm_private_pool *pool,
				   struct page *dpage, const void *buf)
{
	memcpy_to_page(cdm_private_host_page(dpage), 0, buf, PAGE_SIZE);
}

const struct cdm_private_backend_ops cdm_private_host_backend = {
	.name = "host",
	.alloc = cdm_private_host_alloc,
	.free = cdm_private_host_free,
	.clear = cdm_private_host_clear,
	.copy_to_device = cdm_private_host_copy_to_device,
	.copy_from_device = cdm_private_host_copy_from_device,
	.read = cdm_private_host_read,
	.write = cdm_private_host_write,
};
