/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A scripted move_pages(2) for host tests, put into a libcdm context
 * through its private seam (cdm__set_move_pages; the programs using it link
 * libcdm.a, where the hidden symbol is reachable). It answers as the
 * kernel's do_pages_move() and do_pages_stat() do, for the NR_PAGES pages
 * of a real private mapping of the test (libcdm reads its VMAs from
 * smaps) whose placement lives only in the model below. See fakekernel.c.
 */
#ifndef FAKEKERNEL_H
#define FAKEKERNEL_H

#include <stdbool.h>

struct cdm_ctx;

#define NR_PAGES 2048
#define FOLIO_PAGES 512
#define HOME 0
#define TARGET 1

struct fake_page {
	int node;		/* -ENOENT: not present (a query answers any < 0) */
	int head;		/* head of its 2 MiB folio, -1: a small page */
	bool pinned;		/* an extra reference: migration fails */
	bool shared;		/* mapped by another process: -EACCES */
	bool isolated;		/* in the batch being built */
};

/* The kernel's state and what the test wants it to do; calls are
 * serialised by a lock, so any number of libcdm workers may call in */
struct fake_kernel {
	struct fake_page page[NR_PAGES];
	long room;		/* pages the target still takes, -1: no limit */
	unsigned int fail_call;	/* this move call (from 1) fails whole ... */
	int fail_err;		/* ... with this errno */
	/* every call from this one on (from 1, queries counted) fails whole
	 * with fail_err; 0: none */
	unsigned int fail_from;
	/* called on every call, in the caller's thread, under the lock */
	void (*hook)(bool query);
	unsigned int calls, move_calls, query_calls, bad_nodes;
	unsigned long listed[16];	/* pages passed to each move call */
};
extern struct fake_kernel kernel;

/* the mapping the model stands for (a test may point @base elsewhere) */
extern char *base;
extern long ps;

/* the context playing against the model */
extern struct cdm_ctx *ctx;

/* cmocka fixtures. Group: fake sysfs with node 0 (CPUs) and node 1
 * (CPU-less), the mapping, and @ctx. Per test: kernel_reset(). */
int fake_kernel_setup(void **state);
int fake_kernel_teardown(void **state);
int fake_kernel_reset(void **state);
/* every page on HOME, small, movable; no limit, no failure, no hook */
void kernel_reset(void);

int page_index(const void *addr);	/* -1 outside the mapping */
void *addr_of(int i);
struct fake_page *folio_of(int i);
void make_folio(int head);
int pages_on(int node);

#endif
