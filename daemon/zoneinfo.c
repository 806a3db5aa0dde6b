// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /proc/zoneinfo's free lists and low watermarks per node (zoneinfo.h).
 *
 * The lines read, under each "Node N, zone NAME" header:
 *         low      1234          the zone's low watermark, in pages
 *               count: 56        one CPU's free list, in pages
 * Everything else (the other watermarks, "high:" and "batch:" of the
 * lists, the statistics) is passed over.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zoneinfo.h"

/* the number after the first word of @line, into *@v */
static int number_after_word(const char *line, uint64_t *v)
{
	char *end;

	line += strspn(line, " \t");
	line += strcspn(line, " \t");
	errno = 0;
	*v = strtoull(line, &end, 10);
	/* pages of 64 KiB at most: a page count times the page size fits */
	if (end == line || errno || *v > UINT64_MAX / 65536)
		return -EINVAL;
	end += strspn(end, " \t\n");
	return *end ? -EINVAL : 0;
}

static void add_bytes(uint64_t *sum, uint64_t pages, long page_size)
{
	uint64_t bytes = pages * (uint64_t)page_size;	/* no overflow: see above */

	*sum = *sum > UINT64_MAX - bytes ? UINT64_MAX : *sum + bytes;
}

int cdmd_read_zoneinfo(const char *path, long page_size, struct cdmd_zoneinfo *zi)
{
	char line[256], word[16];
	int node = -1, err = 0;
	uint64_t pages;
	FILE *f;

	if (page_size <= 0 || page_size > 65536)
		return -EINVAL;
	memset(zi, 0, sizeof(*zi));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		if (!strchr(line, '\n') && !feof(f)) {
			/* a line longer than any of ours: skip the rest */
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		if (sscanf(line, "Node %d, zone", &node) == 1) {
			if (node < 0 || node >= CDM_MAX_NODES)
				node = -1;
			else
				zi->seen[node] = true;
			continue;
		}
		if (node < 0 || sscanf(line, " %15s", word) != 1)
			continue;
		if (strcmp(word, "low") && strcmp(word, "count:"))
			continue;
		err = number_after_word(line, &pages);
		if (err)
			break;
		add_bytes(word[0] == 'l' ? &zi->low[node] : &zi->cpu_lists[node], pages, page_size);
	}
	if (!err && ferror(f))
		err = -EIO;
	fclose(f);
	return err;
}

uint64_t cdmd_free_with_cpu_lists(uint64_t mem_free, uint64_t cpu_lists, uint64_t low,
				  uint64_t keep)
{
	uint64_t counted;

	if (keep <= low)
		return mem_free;
	counted = keep - low < cpu_lists ? keep - low : cpu_lists;
	return mem_free > UINT64_MAX - counted ? UINT64_MAX : mem_free + counted;
}
