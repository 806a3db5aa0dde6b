// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * private-bench DRIVER KIND MIB REPS: time moving MIB MiB of the caller's
 * anonymous memory to a device-private driver's memory and back, REPS
 * round trips, and print the medians:
 *   DRIVER KIND to_ms T back_ms B pages N bad M
 * DRIVER:
 *   dmirror       upstream's test driver (lib/test_hmm.c, /dev/hmm_dmirror0):
 *                 HMM_DMIRROR_MIGRATE_TO_DEV, which after migrating reads
 *                 the whole range back into the caller's buffer (its
 *                 check), then HMM_DMIRROR_MIGRATE_TO_SYS;
 *   cdm_private   /dev/cdm_private0: CDM_PRIVATE_IOC_TO_DEVICE, then TO_RAM;
 *   cdm_private+read  the same, with a CDM_PRIVATE_IOC_READ of the range
 *                 after TO_DEVICE, in the "to" time: the work dmirror does.
 * KIND: 4k (MADV_NOHUGEPAGE) or thp (MADV_HUGEPAGE, 2 MiB aligned).
 * Every page carries a pattern, checked after each round trip (bad: pages
 * whose pattern changed) and in the buffer the device read; pages: those
 * the driver says it moved to the device, last round.
 * Exit 1 when an ioctl fails or a page is bad.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/cdm_private.h>
#include "test_hmm_uapi.h"

#define THP_SIZE (2UL << 20)

static long page;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static uint64_t pattern(unsigned long i, unsigned int round)
{
	return (i + 1) * 0x9e3779b97f4a7c15ULL ^ round;
}

static void fill(char *buf, unsigned long npages, unsigned int round)
{
	unsigned long i;

	for (i = 0; i < npages; i++)
		*(uint64_t *)(buf + i * page) = pattern(i, round);
}

static unsigned long count_bad(const char *buf, unsigned long npages, unsigned int round)
{
	unsigned long i, bad = 0;

	for (i = 0; i < npages; i++)
		bad += *(const uint64_t *)(buf + i * page) != pattern(i, round);
	return bad;
}

struct driver {
	const char *name;
	const char *dev;
	int fd;
	bool read_back;		/* cdm_private+read */
	char *bounce;		/* what the device read */
};

/* to the device: pages moved, or -errno */
static long to_device(struct driver *d, char *buf, unsigned long npages)
{
	if (d->dev[5] == 'h') {		/* /dev/hmm_dmirror0 */
		struct hmm_dmirror_cmd cmd = {
			.addr = (uintptr_t)buf, .ptr = (uintptr_t)d->bounce, .npages = npages,
		};

		return ioctl(d->fd, HMM_DMIRROR_MIGRATE_TO_DEV, &cmd) ? -errno : (long)cmd.cpages;
	}
	struct cdm_private_range r = {
		.size = sizeof(r), .addr = (uintptr_t)buf, .npages = npages,
	};
	long done;

	if (ioctl(d->fd, CDM_PRIVATE_IOC_TO_DEVICE, &r))
		return -errno;
	done = r.done;
	if (d->read_back) {
		r = (struct cdm_private_range){
			.size = sizeof(r), .addr = (uintptr_t)buf, .npages = npages,
			.buf = (uintptr_t)d->bounce,
		};
		if (ioctl(d->fd, CDM_PRIVATE_IOC_READ, &r))
			return -errno;
	}
	return done;
}

static long to_ram(struct driver *d, char *buf, unsigned long npages)
{
	if (d->dev[5] == 'h') {
		struct hmm_dmirror_cmd cmd = { .addr = (uintptr_t)buf, .npages = npages };

		return ioctl(d->fd, HMM_DMIRROR_MIGRATE_TO_SYS, &cmd) ? -errno : (long)cmd.cpages;
	}
	struct cdm_private_range r = {
		.size = sizeof(r), .addr = (uintptr_t)buf, .npages = npages,
	};

	return ioctl(d->fd, CDM_PRIVATE_IOC_TO_RAM, &r) ? -errno : (long)r.done;
}

int main(int argc, char **argv)
{
	struct driver d = { 0 };
	unsigned long npages, bad = 0, mib;
	double *to, *back, t;
	unsigned int reps, i;
	bool thp;
	long moved = 0, n;
	char *raw, *buf;

	if (argc != 5) {
		fprintf(stderr, "usage: private-bench dmirror|cdm_private|cdm_private+read "
				"4k|thp MIB REPS\n");
		return 2;
	}
	page = sysconf(_SC_PAGESIZE);
	d.name = argv[1];
	if (!strcmp(d.name, "dmirror")) {
		d.dev = "/dev/hmm_dmirror0";
	} else if (!strcmp(d.name, "cdm_private") || !strcmp(d.name, "cdm_private+read")) {
		d.dev = "/dev/cdm_private0";
		d.read_back = d.name[11] == '+';
	} else {
		fprintf(stderr, "private-bench: unknown driver '%s'\n", d.name);
		return 2;
	}
	thp = !strcmp(argv[2], "thp");
	mib = strtoul(argv[3], NULL, 10);
	reps = strtoul(argv[4], NULL, 10);
	if ((!thp && strcmp(argv[2], "4k")) || !mib || !reps) {
		fprintf(stderr, "private-bench: bad arguments\n");
		return 2;
	}
	npages = (mib << 20) / page;
	d.fd = open(d.dev, O_RDWR | O_CLOEXEC);
	if (d.fd < 0) {
		fprintf(stderr, "private-bench: %s: %s\n", d.dev, strerror(errno));
		return 1;
	}
	raw = mmap(NULL, (mib << 20) + THP_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	d.bounce = malloc(mib << 20);
	to = calloc(reps, sizeof(*to));
	back = calloc(reps, sizeof(*back));
	if (raw == MAP_FAILED || !d.bounce || !to || !back) {
		fprintf(stderr, "private-bench: out of memory\n");
		return 1;
	}
	buf = (char *)(((uintptr_t)raw + THP_SIZE - 1) & ~(THP_SIZE - 1));
	madvise(buf, mib << 20, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	for (i = 0; i < reps; i++) {
		fill(buf, npages, i);
		t = now_ms();
		n = to_device(&d, buf, npages);
		to[i] = now_ms() - t;
		if (n < 0) {
			fprintf(stderr, "private-bench: %s to the device: %s\n", d.name,
				strerror(-n));
			return 1;
		}
		moved = n;
		if ((d.read_back || d.dev[5] == 'h'))
			bad += count_bad(d.bounce, npages, i);
		t = now_ms();
		n = to_ram(&d, buf, npages);
		back[i] = now_ms() - t;
		if (n < 0) {
			fprintf(stderr, "private-bench: %s back: %s\n", d.name, strerror(-n));
			return 1;
		}
		bad += count_bad(buf, npages, i);
	}
	qsort(to, reps, sizeof(*to), cmp_double);
	qsort(back, reps, sizeof(*back), cmp_double);
	printf("%s %s to_ms %.1f back_ms %.1f pages %ld bad %lu\n", d.name, argv[2],
	       to[reps / 2], back[reps / 2], moved, bad);
	return bad ? 1 : 0;
}
