/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the cdm_private selftests share (cdm-private-tests.c,
 * cdm-private-stress.c, cdm-private-hold.c): opening a pool, its ioctls
 * with 0 or -errno for a result, and test data.
 *
 * Test data are 64-bit words, word i of a buffer filled with SEED being
 * pattern_word(SEED, i): no word is zero (a page that came back zeroed
 * never passes), and every page of a buffer differs from every other (a
 * page that came back at the wrong place never passes). Bytes OFF.. of a
 * buffer filled from its start are checked with
 * pattern_bad(buf + OFF, len, SEED + OFF / 8), which pattern_bad_at() does.
 */
#ifndef CDM_PRIVATE_TEST_H
#define CDM_PRIVATE_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/cdm_private.h>

/* /dev/cdm_private<pool>, read-write: an fd or -1 with errno set */
static inline int cdm_open(int pool)
{
	char path[32];

	snprintf(path, sizeof(path), "/dev/cdm_private%d", pool);
	return open(path, O_RDWR | O_CLOEXEC);
}

/* One ioctl, again after a signal: 0 or -errno */
static inline int cdm_ioctl(int fd, unsigned long cmd, void *arg)
{
	while (ioctl(fd, cmd, arg) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

static inline void cdm_range_init(struct cdm_private_range *r, const void *addr,
				  uint64_t npages, void *buf)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->addr = (uintptr_t)addr;
	r->npages = npages;
	r->buf = (uintptr_t)buf;
}

/*
 * A range command (TO_DEVICE ... CHECK_EXCLUSIVE) on the caller's own
 * memory: 0 or -errno; the pages it reports done in *done (0 on error)
 * when done is not NULL.
 */
static inline int cdm_cmd(int fd, unsigned long cmd, const void *addr,
			  uint64_t npages, void *buf, uint64_t *done)
{
	struct cdm_private_range r;
	int ret;

	cdm_range_init(&r, addr, npages, buf);
	ret = cdm_ioctl(fd, cmd, &r);
	if (done)
		*done = ret ? 0 : r.done;
	return ret;
}

static inline int cdm_stats(int fd, struct cdm_private_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	return cdm_ioctl(fd, CDM_PRIVATE_IOC_STATS, s);
}

static inline int cdm_info(int fd, struct cdm_private_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return cdm_ioctl(fd, CDM_PRIVATE_IOC_INFO, info);
}

/* splitmix64's finaliser over SEED + I, never 0 */
static inline uint64_t pattern_word(uint64_t seed, uint64_t i)
{
	uint64_t x = seed + i;

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x | 1;
}

static inline void pattern_fill(void *p, size_t bytes, uint64_t seed)
{
	uint64_t *w = p;
	size_t i;

	for (i = 0; i < bytes / sizeof(*w); i++)
		w[i] = pattern_word(seed, i);
}

/* The words of P that are not SEED's pattern */
static inline size_t pattern_bad(const void *p, size_t bytes, uint64_t seed)
{
	const volatile uint64_t *w = p;
	size_t i, bad = 0;

	for (i = 0; i < bytes / sizeof(*w); i++)
		bad += w[i] != pattern_word(seed, i);
	return bad;
}

/* The same for bytes OFF to OFF + LEN of a buffer filled from its start */
static inline size_t pattern_bad_at(const void *buf, size_t off, size_t len,
				    uint64_t seed)
{
	return pattern_bad((const char *)buf + off, len, seed + off / 8);
}

static inline void pattern_fill_at(void *buf, size_t off, size_t len, uint64_t seed)
{
	pattern_fill((char *)buf + off, len, seed + off / 8);
}

/* The words of P that are not zero */
static inline size_t zero_bad(const void *p, size_t bytes)
{
	const volatile uint64_t *w = p;
	size_t i, bad = 0;

	for (i = 0; i < bytes / sizeof(*w); i++)
		bad += w[i] != 0;
	return bad;
}

#endif /* CDM_PRIVATE_TEST_H */
