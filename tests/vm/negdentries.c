// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * negdentries DIR COUNT: look up COUNT names that do not exist in DIR,
 * which leaves COUNT negative dentries in the dentry cache (slab).
 * Prints how many lookups failed with ENOENT as they should.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	unsigned long i, count, enoent = 0;
	char path[4096];
	struct stat st;

	if (argc != 3 || (count = strtoul(argv[2], NULL, 0)) == 0) {
		fprintf(stderr, "usage: negdentries DIR COUNT\n");
		return 2;
	}
	for (i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/no-such-file-%lu", argv[1], i);
		if (stat(path, &st) && errno == ENOENT)
			enoent++;
	}
	printf("negative lookups %lu\n", enoent);
	return enoent == count ? 0 : 1;
}
