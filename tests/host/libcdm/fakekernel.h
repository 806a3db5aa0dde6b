/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A scripted move_pages(2), migrate_pages(2) and PAGEMAP_SCAN for host
 * tests, put into a libcdm context through its private seams
 * (cdm__set_move_pages, cdm__set_migrate_pages, cdm__set_pagemap_scan;
 * the programs using it link libcdm.a, where the hidden symbols are
 * reachable). It answers as the kernel's do_pages_move(),
 * do_pages_stat(), do_migrate_pages() and do_pagemap_scan() do, for the
 * NR_PAGES pages of a real private mapping of the test (libcdm reads its
 * VMAs from smaps) whose placement lives only in the model below. The
 * programs are linked with malloc and pthread_create wrapped, so a test
 * can make libcdm's set-up fail. See fakekernel.c.
 */
#ifndef FAKEKERNEL_H
#define FAKEKERNEL_H

#include <stdbool.h>
#include <stdint.h>

struct cdm_ctx;

#define NR_PAGES 2048
#define FOLIO_PAGES 512		/* a 2 MiB THP of 4 KiB pages: the default */
#define HOME 0
#define TARGET 1

struct fake_page {
	int node;		/* -ENOENT: not present (a query answers any < 0) */
	int head;		/* head of its huge folio, -1: a small page */
	bool pinned;		/* an extra reference: migration fails */
	bool shared;		/* mapped by another process: -EACCES */
	bool isolated;		/* in the batch being built */
	/* (a folio's head) no huge page free on the target: the kernel
	 * splits the folio and moves its pages one by one, all of them */
	bool split_on_move;
	/* residency (pagemap): with node -ENOENT, a swap entry instead of
	 * nothing (swapped), or present in no node's memory (device: a
	 * query answers -ENOENT as for ZONE_DEVICE). node -EFAULT is the
	 * zero page: present at ZERO_PFN, a query answers -EFAULT */
	bool swapped;
	bool device;
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
	/* pages per huge folio (make_folio()); a folio whose head is
	 * folio-aligned is mapped by one PMD: PAGEMAP_SCAN says PAGE_IS_HUGE */
	unsigned int folio_pages;
	int scan_err;		/* every PAGEMAP_SCAN fails with this; 0: none */
	unsigned int scan_calls;
	uint64_t first_scan_start, first_scan_end;	/* the first call's range */
	/* libcdm's mallocs that succeed before the rest fail, -1: all */
	int malloc_budget;
	int thread_err;		/* pthread_create fails with this; 0: none */
	unsigned int mallocs, thread_creates;	/* counted always */
	/* /proc/PID/pagemap (fake_pagemap, residency): PFNs hidden as from
	 * a reader without CAP_SYS_ADMIN; the pagemap_fail_read-th read
	 * (from 1, opens not counted; 0: none) fails with pagemap_fail_err;
	 * pagemap_hook runs before every read, under the lock */
	bool pfn_hidden;
	/* the zero-page probe (the seam's zero_pfns) finds the huge zero
	 * page too, at HUGE_ZERO_PFN; its calls are counted */
	bool huge_zero;
	unsigned int zero_probes;
	unsigned int pagemap_fail_read;
	int pagemap_fail_err;
	void (*pagemap_hook)(unsigned int read);
	unsigned int pagemap_reads;
	unsigned long queried;		/* pages passed to queries */
	/* the caller's CAP_SYS_NICE: without it a move_pages(2) call with
	 * MPOL_MF_MOVE_ALL fails with EPERM; with it, that flag and
	 * migrate_pages(2) move pages shared with other processes too */
	bool cap_sys_nice;
	unsigned int move_all_calls;	/* move calls with MPOL_MF_MOVE_ALL */
	/* migrate_pages(2) (fake_migrate_pages): every call fails with
	 * migrate_err (0: none); calls counted */
	int migrate_err;
	unsigned int migrate_calls;
};
extern struct fake_kernel kernel;

/* the mapping the model stands for (a test may point @base elsewhere) */
extern char *base;
extern long ps;

/* the context playing against the model */
extern struct cdm_ctx *ctx;

/* cmocka fixtures. Group: fake sysfs with node 0 (CPUs) and node 1
 * (CPU-less), THP of FOLIO_PAGES pages, the mapping, and @ctx. Per test:
 * kernel_reset(). */
int fake_kernel_setup(void **state);
int fake_kernel_teardown(void **state);
int fake_kernel_reset(void **state);
/* every page on HOME, small, movable; no limit, no failure, no hook */
void kernel_reset(void);
/* let the model play the kernel for another context @c */
void fake_kernel_attach(struct cdm_ctx *c);

int page_index(const void *addr);	/* -1 outside the mapping */
void *addr_of(int i);
struct fake_page *folio_of(int i);
void make_folio(int head);
int pages_on(int node);

/*
 * Physical memory as the fake sysfs shows it (fake_kernel_setup() lists
 * nodes 0 and 1): blocks of MEMORY_BLOCK_BYTES, node N owning blocks
 * 8N to 8N+3 (nodeN/memoryM); page i of the model on node N has the PFN
 * page_pfn(N, i); the zero page is at ZERO_PFN, in node 0's memory (as
 * the kernel image's); device pages lie above all memory.
 */
#define MEMORY_BLOCK_BYTES (128UL << 20)
#define ZERO_PFN 16ULL
#define HUGE_ZERO_PFN (32ULL * FOLIO_PAGES)	/* node 0's, above its pages */
#define DEVICE_PFN (1ULL << 40)
uint64_t page_pfn(int node, int i);
/* list node @node's memory blocks in the fake sysfs (memory hot-added) */
void memory_blocks_add(int node);

#endif
