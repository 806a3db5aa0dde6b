// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy-alloc MODE NODES MIB: set the task's memory policy (MODE one of
 * default, bind, preferred, preferred-many, interleave,
 * weighted-interleave; NODES a numactl node list or "-"), fault in MIB MiB
 * of anonymous memory and print where the kernel put every page, read
 * back with move_pages(2):
 *   policy MODE NODES
 *   total N
 *   node ID COUNT
 * Exits 3 when set_mempolicy fails (message names the policy and errno).
 *
 * With POLICY_ALLOC_HOLD=FILE it then keeps the memory: each SIGUSR1
 * rewrites FILE with the current locations and "content ok" or
 * "content corrupt" (every page's pattern re-checked); SIGTERM ends it.
 * Lets a test move the pages with migrate_pages(2) from outside. With
 * POLICY_ALLOC_TOUCH=1 it reads all its pages over and over meanwhile,
 * so NUMA balancing sees it use them. POLICY_ALLOC_THEN_DEFAULT=1 drops
 * the policy once the pages are placed, leaving them to the kernel.
 * While it holds, its stack is faulted in 128 KiB deep, so that moving the
 * whole process moves all of it (see fault_in_stack()), and it takes
 * SIGUSR1 with sigtimedwait(2), never in a handler: a handler's signal
 * frame is an XSAVE onto that stack, which QEMU 10.0.2 does not survive
 * where the stack is half on a CXL node (configs/qemu/README). A test that
 * moves the holder, or NUMA balancing promoting part of its stack back,
 * makes just such a stack.
 * POLICY_ALLOC_PIN=1 splices the first page into a pipe that stays
 * unread (vmsplice(2)): the pipe holds a reference to the page for as
 * long as the process lives, so the page cannot migrate.
 */
#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <numaif.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mempolicy-compat.h"

static const struct {
	const char *name;
	int mode;
} modes[] = {
	{ "default", MPOL_DEFAULT },
	{ "bind", MPOL_BIND },
	{ "preferred", MPOL_PREFERRED },
	{ "preferred-many", MPOL_PREFERRED_MANY },
	{ "interleave", MPOL_INTERLEAVE },
	{ "weighted-interleave", MPOL_WEIGHTED_INTERLEAVE },
};

static volatile char touched;

static unsigned long npages;
static long page;
static char *buf;
static void **pages;
static int *status;

/* The byte pattern of page @i, different for neighbouring pages. */
static char page_byte(unsigned long i, unsigned long off)
{
	return (char)(i * 131 + off * 7 + 1);
}

static int report(FILE *out)
{
	unsigned long i, off, counts[64] = { 0 }, corrupt = 0;

	if (move_pages(0, npages, pages, NULL, status, 0)) {
		perror("policy-alloc: move_pages query");
		return -1;
	}
	fprintf(out, "total %lu\n", npages);
	for (i = 0; i < npages; i++)
		if (status[i] >= 0 && status[i] < 64)
			counts[status[i]]++;
	for (i = 0; i < 64; i++)
		if (counts[i])
			fprintf(out, "node %lu %lu\n", i, counts[i]);
	for (i = 0; i < npages; i++)
		for (off = 0; off < (unsigned long)page; off += 64)
			corrupt += buf[i * page + off] != page_byte(i, off);
	fprintf(out, "content %s\n", corrupt ? "corrupt" : "ok");
	return 0;
}

/*
 * Fault in the stack below us, so that a move of the whole process
 * (migrate_pages(2)) takes all of it along: a signal frame that the kernel
 * later writes across an untouched page would get a page on the default
 * node next to one on the node the process was moved to, and QEMU 10.0.2
 * dies of an XSAVE across a RAM page and a CXL page (configs/qemu/README).
 */
static __attribute__((noinline)) void fault_in_stack(void)
{
	volatile char below[128 << 10];
	size_t i;

	for (i = 0; i < sizeof(below); i += 1024)
		below[i] = 1;
}

int main(int argc, char **argv)
{
	const char *hold = getenv("POLICY_ALLOC_HOLD");
	unsigned long off;
	struct bitmask *nodes = NULL;
	int mode = -1;
	unsigned long i;

	page = sysconf(_SC_PAGESIZE);
	if (argc != 4) {
		fprintf(stderr, "usage: policy-alloc MODE NODES|- MIB\n");
		return 2;
	}
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[1], modes[i].name))
			mode = modes[i].mode;
	if (mode < 0) {
		fprintf(stderr, "policy-alloc: unknown mode '%s'\n", argv[1]);
		return 2;
	}
	if (strcmp(argv[2], "-")) {
		nodes = numa_parse_nodestring_all(argv[2]);
		if (!nodes) {
			fprintf(stderr, "policy-alloc: bad node list '%s'\n", argv[2]);
			return 2;
		}
	}
	if (set_mempolicy(mode, nodes ? nodes->maskp : NULL, nodes ? nodes->size + 1 : 0)) {
		fprintf(stderr, "policy-alloc: set_mempolicy(%s, %s): %s\n",
			argv[1], argv[2], strerror(errno));
		return 3;
	}
	npages = strtoul(argv[3], NULL, 0) * 1024 * 1024 / page;
	buf = mmap(NULL, npages * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pages = calloc(npages, sizeof(*pages));
	status = calloc(npages, sizeof(*status));
	if (!npages || buf == MAP_FAILED || !pages || !status) {
		fprintf(stderr, "policy-alloc: cannot map %s MiB\n", argv[3]);
		return 1;
	}
	madvise(buf, npages * page, MADV_NOHUGEPAGE);
	for (i = 0; i < npages; i++) {
		for (off = 0; off < (unsigned long)page; off += 64)
			buf[i * page + off] = page_byte(i, off);
		pages[i] = buf + i * page;
	}
	if (getenv("POLICY_ALLOC_THEN_DEFAULT") && set_mempolicy(MPOL_DEFAULT, NULL, 0)) {
		perror("policy-alloc: set_mempolicy(default)");
		return 1;
	}
	if (getenv("POLICY_ALLOC_PIN")) {
		struct iovec first = { .iov_base = buf, .iov_len = page };
		int pipefd[2];

		if (pipe(pipefd) || vmsplice(pipefd[1], &first, 1, 0) != page) {
			perror("policy-alloc: vmsplice");
			return 1;
		}
	}
	printf("policy %s %s\n", argv[1], argv[2]);
	if (report(stdout))
		return 1;
	if (!hold)
		return 0;

	sigset_t usr1;
	const struct timespec no_wait = { 0, 0 };

	fault_in_stack();
	/* SIGUSR1 stays blocked and pending until taken here: none is lost */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	fflush(stdout);
	for (;;) {
		FILE *out;

		if (!getenv("POLICY_ALLOC_TOUCH")) {
			while (sigwaitinfo(&usr1, NULL) < 0)
				;
		} else {
			do {
				for (i = 0; i < npages; i++)
					touched += buf[i * page];
			} while (sigtimedwait(&usr1, NULL, &no_wait) < 0);
		}
		out = fopen(hold, "w");
		if (!out || report(out)) {
			perror("policy-alloc: report");
			return 1;
		}
		fclose(out);
	}
}
