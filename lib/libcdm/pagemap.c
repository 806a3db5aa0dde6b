// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Residency from /proc/PID/pagemap: one read returns 8 bytes per page
 * (present bit 63, PFN in bits 0-54), and the node of a PFN follows from
 * the memory blocks each node lists (nodeN/memoryM, block_size_bytes).
 * A range walk instead of move_pages(2)'s per-page VMA lookup, but PFNs
 * are only visible with CAP_SYS_ADMIN: without it they read as 0 and the
 * caller falls back to move_pages.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

#define PM_PRESENT	(1ULL << 63)
#define PM_PFN_MASK	((1ULL << 55) - 1)

void cdm__pfnmap_free(struct cdm_pfnmap *map)
{
	free(map->block_node);
	memset(map, 0, sizeof(*map));
}

static int set_block(struct cdm_pfnmap *map, unsigned long block, int node)
{
	size_t cap = map->nr_blocks;
	int *n;

	if (block >= cap) {
		cap = block + 1 > 2 * cap ? block + 1 : 2 * cap;
		n = realloc(map->block_node, cap * sizeof(int));
		if (!n)
			return -ENOMEM;
		memset(n + map->nr_blocks, 0xff, (cap - map->nr_blocks) * sizeof(int));
		map->block_node = n;
		map->nr_blocks = cap;
	}
	map->block_node[block] = node;
	return 0;
}

/* Read anew on every update: memory hotplug (kmem onlining a CXL
 * region) adds blocks to a node at any time. */
int cdm__pfnmap_build(struct cdm_ctx *ctx, struct cdm_pfnmap *map)
{
	char path[PATH_MAX], buf[64], *end;
	unsigned long long block_bytes;
	struct cdm_node *node;
	struct dirent *de;
	unsigned long id;
	DIR *dir;
	int rc;

	memset(map, 0, sizeof(*map));
	rc = cdm__sysfs_path(ctx, path, sizeof(path), "/devices/system/memory/block_size_bytes");
	if (!rc)
		rc = cdm__read_file(path, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	block_bytes = strtoull(buf, &end, 16);
	if (*end || !block_bytes || block_bytes % cdm__page_size())
		return -EINVAL;
	map->block_pages = block_bytes / cdm__page_size();

	cdm_node_foreach(ctx, node) {
		if (cdm__sysfs_path(ctx, path, sizeof(path), "/devices/system/node/node%d",
				    node->id))
			continue;
		dir = opendir(path);
		if (!dir)
			continue;
		while ((de = readdir(dir))) {
			if (strncmp(de->d_name, "memory", 6))
				continue;
			id = strtoul(de->d_name + 6, &end, 10);
			if (end == de->d_name + 6 || *end)
				continue;	/* memory_failure, ... */
			if (set_block(map, id, node->id)) {
				closedir(dir);
				cdm__pfnmap_free(map);
				return -ENOMEM;
			}
		}
		closedir(dir);
	}
	return map->nr_blocks ? 0 : -ENOENT;
}

int cdm__pfnmap_node(const struct cdm_pfnmap *map, uint64_t pfn)
{
	uint64_t block = pfn / map->block_pages;

	return block < map->nr_blocks ? map->block_node[block] : -1;
}

/*
 * Nodes of @n pages from @addr: node[i] >= 0, or -ENOENT when not present.
 * Returns 0, -EPERM when PFNs are hidden (no CAP_SYS_ADMIN), -ENXIO when a
 * present page's PFN lies in no node's memory blocks, or a read error.
 */
int cdm__pagemap_nodes(int fd, const struct cdm_pfnmap *map, uint64_t addr,
		       unsigned long n, uint64_t *entries, int *node)
{
	size_t want = n * sizeof(uint64_t), got = 0;
	off_t off = addr / cdm__page_size() * sizeof(uint64_t);
	unsigned long i;
	ssize_t r;

	while (got < want) {
		r = pread(fd, (char *)entries + got, want - got, off + got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ESRCH;	/* the process exited: empty pagemap */
		got += r;
	}
	for (i = 0; i < n; i++) {
		if (!(entries[i] & PM_PRESENT)) {
			node[i] = -ENOENT;
			continue;
		}
		if (!(entries[i] & PM_PFN_MASK))
			return -EPERM;
		node[i] = cdm__pfnmap_node(map, entries[i] & PM_PFN_MASK);
		if (node[i] < 0)
			return -ENXIO;
	}
	return 0;
}
