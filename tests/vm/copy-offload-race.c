// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * copy-offload-race KIND MIB ROUNDS: writers that hold a reference to a
 * page while they write it, racing page migration between node 0 and 1.
 *
 * A copy engine copies a batch of folios after they are unmapped. A writer
 * that took its reference before the unmap can still write the old folio
 * afterwards; unless the copy waits until no such reference is left, the
 * write is lost. The writers here are the kernel's own reference holders:
 *
 *   KIND anon   private anonymous memory
 *   KIND shmem  a memfd mapped shared (page cache folios)
 *   KIND thp    private anonymous memory in 2 MiB folios
 *
 * The memory is cut into 64 KiB regions. Two threads rewrite random
 * regions, each region wholly with a pattern of its generation: one with
 * process_vm_writev(2) (pins the pages, copies, unpins), one with
 * pwrite(2) to /proc/self/mem (takes page references). The first page of
 * process_vm_writev's source is a userfaultfd page whose fault is served
 * SLOW_US (default 3000) microseconds late, so the writer holds its pins
 * that long before it writes: the window a slow DMA engine opens on real
 * machines, made wide enough to be hit in a test. After a write
 * returns, the region's expected generation is the one written. The main
 * thread meanwhile moves all pages to node 1 and back ROUNDS times with
 * move_pages(2). At the end every byte is checked against its region's
 * last generation. Prints:
 *   writes N        region writes completed
 *   regions N       regions checked
 *   lost N          regions whose content is not their last write
 * Exit 0 when the run completed (whatever it found), 1 on a set-up error.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <numaif.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define PAGE		4096UL
#define REGION		(16 * PAGE)
#define THP_SIZE	(2UL << 20)

static uint8_t *buf;
static unsigned long nregions, npages;
static _Atomic unsigned int *generation;	/* last completed write */
static atomic_int stop;
static atomic_ulong writes;

/* Every byte depends on the region, the offset and the generation */
static uint64_t pattern(unsigned long region, unsigned long word,
			unsigned int gen)
{
	uint64_t x = (region << 40) ^ (word << 16) ^ gen;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static void fill(uint64_t *words, unsigned long region, unsigned int gen)
{
	unsigned long w;

	for (w = 0; w < REGION / 8; w++)
		words[w] = pattern(region, w, gen);
}

/*
 * The slow page: process_vm_writev() copies its source after pinning the
 * destination pages, so a source page whose fault takes SLOW_US keeps
 * them pinned that long before any of them is written.
 */
static int uffd = -1;
static uint8_t *slow_page;		/* userfaultfd-registered source page */
static uint8_t *slow_content;		/* what its fault fills it with */
static unsigned int slow_us = 3000;

static void *slow_fault_main(void *arg)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;

	(void)arg;
	while (poll(&pfd, 1, -1) > 0) {
		struct uffdio_copy copy = {
			.dst = (uintptr_t)slow_page,
			.src = (uintptr_t)slow_content,
			.len = PAGE,
		};

		if (read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
		    msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		usleep(slow_us);
		if (ioctl(uffd, UFFDIO_COPY, &copy))
			perror("copy-offload-race: UFFDIO_COPY");
	}
	return NULL;
}

static int slow_page_setup(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	pthread_t thread;
	const char *env = getenv("SLOW_US");

	if (env)
		slow_us = strtoul(env, NULL, 0);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	slow_page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	slow_content = malloc(PAGE);
	if (uffd < 0 || slow_page == MAP_FAILED || !slow_content ||
	    ioctl(uffd, UFFDIO_API, &api))
		return -1;
	reg.range.start = (uintptr_t)slow_page;
	reg.range.len = PAGE;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		return -1;
	return pthread_create(&thread, NULL, slow_fault_main, NULL) ? -1 : 0;
}

struct writer {
	int kind;		/* 0: process_vm_writev, 1: /proc/self/mem */
	unsigned int seed;
	int fd;
	pthread_t thread;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint64_t *words = malloc(REGION);
	pid_t self = getpid();

	if (!words)
		return NULL;
	while (!atomic_load(&stop)) {
		/* each writer owns half the regions: no two write one region */
		unsigned long r = (rand_r(&w->seed) % ((nregions + 1) / 2)) * 2 + w->kind;
		unsigned int gen;
		ssize_t n;

		if (r >= nregions)
			continue;
		gen = atomic_load(&generation[r]) + 1;
		fill(words, r, gen);
		if (w->kind == 0) {
			struct iovec local[2] = {
				{ slow_page, PAGE },
				{ (uint8_t *)words + PAGE, REGION - PAGE },
			};
			struct iovec remote = { buf + r * REGION, REGION };

			memcpy(slow_content, words, PAGE);
			n = process_vm_writev(self, local, 2, &remote, 1, 0);
			/* make the next write fault on it again */
			madvise(slow_page, PAGE, MADV_DONTNEED);
		} else {
			n = pwrite(w->fd, words, REGION,
				   (off_t)(uintptr_t)(buf + r * REGION));
		}
		if (n != (ssize_t)REGION) {
			perror(w->kind ? "copy-offload-race: /proc/self/mem"
				       : "copy-offload-race: process_vm_writev");
			exit(1);
		}
		atomic_store(&generation[r], gen);
		atomic_fetch_add(&writes, 1);
	}
	free(words);
	return NULL;
}

/* Pages busy under a writer stay behind: the kernel counts what moved */
static void move_all(void **pages, int *nodes, int *status, int node)
{
	unsigned long i;

	for (i = 0; i < npages; i++)
		nodes[i] = node;
	if (move_pages(0, npages, pages, nodes, status, MPOL_MF_MOVE) < 0)
		perror("copy-offload-race: move_pages");
}

static void *map_memory(const char *kind, size_t size)
{
	unsigned long node0 = 1;
	void *p;

	if (!strcmp(kind, "shmem")) {
		int fd = memfd_create("copy-offload-race", 0);

		if (fd < 0 || ftruncate(fd, size))
			return MAP_FAILED;
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
	} else if (!strcmp(kind, "anon") || !strcmp(kind, "thp")) {
		int thp = !strcmp(kind, "thp");
		uint8_t *raw = mmap(NULL, size + THP_SIZE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (raw == MAP_FAILED)
			return MAP_FAILED;
		p = (void *)(((uintptr_t)raw + THP_SIZE - 1) & ~(THP_SIZE - 1));
		if (madvise(p, size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
			return MAP_FAILED;
	} else {
		fprintf(stderr, "copy-offload-race: unknown kind %s\n", kind);
		return MAP_FAILED;
	}
	if (p != MAP_FAILED &&
	    mbind(p, size, MPOL_BIND, &node0, 64, 0))
		return MAP_FAILED;
	return p;
}

int main(int argc, char **argv)
{
	struct writer writer[2] = {
		{ .kind = 0, .seed = 1, .fd = -1 },
		{ .kind = 1, .seed = 2, .fd = -1 },
	};
	unsigned long i, w, rounds, lost = 0;
	void **pages;
	int *nodes, *status;
	size_t size;

	if (argc != 4) {
		fprintf(stderr, "usage: copy-offload-race anon|shmem|thp MIB ROUNDS\n");
		return 2;
	}
	size = strtoul(argv[2], NULL, 0) << 20;
	rounds = strtoul(argv[3], NULL, 0);
	nregions = size / REGION;
	npages = size / PAGE;
	buf = map_memory(argv[1], size);
	pages = calloc(npages, sizeof(*pages));
	nodes = calloc(npages, sizeof(*nodes));
	status = calloc(npages, sizeof(*status));
	generation = calloc(nregions, sizeof(*generation));
	writer[1].fd = open("/proc/self/mem", O_RDWR);
	if (!size || buf == MAP_FAILED || !pages || !nodes || !status ||
	    !generation || writer[1].fd < 0 || slow_page_setup()) {
		perror("copy-offload-race: setup");
		return 1;
	}
	for (i = 0; i < nregions; i++)
		fill((uint64_t *)(buf + i * REGION), i, 0);
	for (i = 0; i < npages; i++)
		pages[i] = buf + i * PAGE;

	for (w = 0; w < 2; w++)
		if (pthread_create(&writer[w].thread, NULL, writer_main, &writer[w])) {
			perror("copy-offload-race: pthread_create");
			return 1;
		}
	for (i = 0; i < rounds; i++) {
		move_all(pages, nodes, status, 1);
		move_all(pages, nodes, status, 0);
	}
	atomic_store(&stop, 1);
	for (w = 0; w < 2; w++)
		pthread_join(writer[w].thread, NULL);

	for (i = 0; i < nregions; i++) {
		uint64_t *words = (uint64_t *)(buf + i * REGION);
		unsigned int gen = atomic_load(&generation[i]);

		for (w = 0; w < REGION / 8; w++)
			if (words[w] != pattern(i, w, gen))
				break;
		lost += w != REGION / 8;
	}
	printf("writes %lu\nregions %lu\nlost %lu\n",
	       atomic_load(&writes), nregions, lost);
	return 0;
}
