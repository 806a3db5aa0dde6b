// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdm-private-hold MIB [close]: keep MIB MiB of this process's memory on
 * /dev/cdm_private0, for tests/vm/guest/cdm-private.sh (rmmod while a
 * process has pages on the device).
 *
 * Fills MIB MiB with test data, moves them to the device, with "close"
 * closes the device file, prints "held PAGES" (the pages TO_DEVICE moved)
 * and waits for SIGUSR1 or SIGTERM. Then it reads everything back on the
 * CPU, prints "intact PAGES" (the pages whose every byte is right) and
 * exits 0 when all are, 1 otherwise.
 */
#include "cdm-private.h"

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	size_t page = sysconf(_SC_PAGESIZE), size, n, p, intact = 0;
	bool close_file;
	uint64_t done;
	sigset_t set;
	char *buf;
	int fd, sig;

	if (argc < 2 || atoi(argv[1]) <= 0 || (argc > 2 && strcmp(argv[2], "close"))) {
		fprintf(stderr, "usage: %s MIB [close]\n", argv[0]);
		return 2;
	}
	close_file = argc > 2;
	size = (size_t)atoi(argv[1]) << 20;
	n = size / page;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);

	fd = cdm_open(0);
	if (fd < 0) {
		perror("/dev/cdm_private0");
		return 1;
	}
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	madvise(buf, size, MADV_NOHUGEPAGE);
	pattern_fill(buf, size, 0x4011d);
	if (cdm_cmd(fd, CDM_PRIVATE_IOC_TO_DEVICE, buf, n, NULL, &done)) {
		perror("TO_DEVICE");
		return 1;
	}
	if (close_file)
		close(fd);
	printf("held %llu\n", (unsigned long long)done);
	fflush(stdout);

	sigwait(&set, &sig);
	for (p = 0; p < n; p++)
		intact += !pattern_bad_at(buf, p * page, page, 0x4011d);
	printf("intact %zu\n", intact);
	return intact == n ? 0 : 1;
}
