/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /proc/zoneinfo: the free pages MemFree leaves out, and the watermark
 * below which an allocation wakes kswapd, per node.
 *
 * A page freed on a CPU goes to that CPU's free list first. Linux 6.12
 * keeps up to a zone's low watermark there, split over the node's CPUs
 * (zone_highsize()), and neither MemFree nor the allocator's watermark
 * checks count those pages: on the emulated CXL machine node 0 showed
 * 20-30 MiB on the lists beside a MemFree of 67-90 MiB
 * (bench/placement.sh with PLACEMENT_DEBUG=1). A page cdmd demotes off a
 * fast node lands there too, so by MemFree alone the room it made does
 * not appear.
 */
#ifndef CDMD_ZONEINFO_H
#define CDMD_ZONEINFO_H

#include <stdbool.h>
#include <stdint.h>

#include <libcdm.h>

struct cdmd_zoneinfo {
	/* bytes on the per-CPU free lists, and the sum of the zones' low
	 * watermarks, in bytes; seen: the file had a section of the node */
	uint64_t cpu_lists[CDM_MAX_NODES], low[CDM_MAX_NODES];
	bool seen[CDM_MAX_NODES];
};

/* Read @path (/proc/zoneinfo) into @zi, pages of @page_size bytes: 0, or
 * -errno (-EINVAL: a watermark or list line without a number, or a
 * number too large; @zi is then not to be used) */
int cdmd_read_zoneinfo(const char *path, long page_size, struct cdmd_zoneinfo *zi);

/*
 * What a fast node has free for promotion that stops at @keep bytes:
 * MemFree, plus the pages on its CPUs' lists as far as promoting into
 * them cannot take MemFree below the low watermark. A promoted page comes
 * from a list when the CPU that allocates has one, else from the buddy
 * allocator, lowering MemFree; so the lists count for keep - low at
 * most, and for nothing when @keep is at or below @low.
 */
uint64_t cdmd_free_with_cpu_lists(uint64_t mem_free, uint64_t cpu_lists, uint64_t low,
				  uint64_t keep);

#endif
