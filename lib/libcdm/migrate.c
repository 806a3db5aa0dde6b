// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Migration of a range (or the whole address space) of any process to one
 * node with move_pages(2).
 *
 * The work is cut into chunks of `batch` pages (default 16384, a multiple of
 * 512 so a 2 MiB block never straddles two chunks) and worker threads take
 * chunks in turn. Per chunk:
 *
 *   1. query where every page is (move_pages, nodes == NULL);
 *   2. move the pages not yet on the target in one call; in a VMA holding
 *      THPs, a 2 MiB-aligned block whose 512 pages sit on one node is passed
 *      as its head address only, so the kernel moves the folio as a unit
 *      instead of being asked 511 more times (and answering -EBUSY);
 *   3. learn where the pages are now: from the call's statuses when it
 *      returned 0 (plus a query of the tails of blocks passed by their
 *      head), else by querying the chunk again; whatever is not on the
 *      target yet (the small pages of a block that was not a THP after
 *      all, or pages that were busy) is moved in one more pass.
 *
 * The kernel's own answers decide every count, so the summary is what the
 * kernel reports, not what we asked for. Pages already on the target cost
 * only the first query. A fatal error (process gone, no permission) stops all
 * workers; the counts so far stay readable.
 */
#include <errno.h>
#include <inttypes.h>
#include <numaif.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

#define DEFAULT_BATCH 16384	/* 64 MiB: every move_pages call pays an
				 * expedited RCU sync (lru_cache_disable) */
#define HUGE_PAGES 512			/* 4 KiB pages per 2 MiB folio */
#define MAX_FAILED_RECORDS (1u << 20)	/* counters stay exact beyond it */
#define MAX_THREADS 64

struct failed_page {
	uint64_t addr;
	int err;
};

struct chunk {
	uint64_t start, end;
	bool thp;
};

struct counts {
	unsigned long long pages, moved, already, busy, failed, not_present, huge, shared;
};

struct cdm_migration {
	struct cdm_ctx *ctx;
	pid_t pid;
	int to_node;
	uint64_t start, end;
	unsigned int threads, batch;
	cdm_progress_fn progress;
	void *progress_data;

	/* results of the last run */
	struct counts c;
	struct failed_page *failed;
	unsigned int nr_failed, cap_failed;

	/* run state, under lock */
	pthread_mutex_t lock;
	struct chunk *chunks;
	size_t nr_chunks, next_chunk;
	unsigned long long done, total;
	int fatal;
};

/* per-worker buffers, each `batch` long */
struct worker {
	struct cdm_migration *mig;
	void **pages, **list;
	int *before, *after, *mstatus, *nodes, *reason;
	unsigned int *index;
	struct counts c;
};

CDM_EXPORT int cdm_migration_new(struct cdm_ctx *ctx, pid_t pid, int to_node,
				 struct cdm_migration **mig)
{
	struct cdm_migration *m;
	int rc;

	if (!ctx || !mig)
		return -EINVAL;
	cdm__clear_error(ctx);
	rc = cdm__check_pid(ctx, pid);
	if (!rc)
		rc = cdm__check_memory_node(ctx, to_node);
	if (rc)
		return rc;
	m = calloc(1, sizeof(*m));
	if (!m)
		return cdm__fail(ctx, ENOMEM, "pid %d: out of memory", pid);
	m->ctx = cdm_ref(ctx);
	m->pid = pid ? pid : getpid();	/* messages name a real pid */
	m->to_node = to_node;
	m->threads = 1;
	m->batch = DEFAULT_BATCH;
	pthread_mutex_init(&m->lock, NULL);
	*mig = m;
	return 0;
}

CDM_EXPORT int cdm_migration_set_range(struct cdm_migration *mig, uint64_t start,
				       uint64_t end)
{
	return cdm__set_range(mig->ctx, &mig->start, &mig->end, start, end);
}

CDM_EXPORT int cdm_migration_set_threads(struct cdm_migration *mig, unsigned int n)
{
	if (n < 1 || n > MAX_THREADS)
		return cdm__fail(mig->ctx, EINVAL, "threads %u: must be 1..%d", n, MAX_THREADS);
	mig->threads = n;
	return 0;
}

CDM_EXPORT int cdm_migration_set_batch(struct cdm_migration *mig, unsigned int pages)
{
	if (pages < 1 || pages > (1u << 20))
		return cdm__fail(mig->ctx, EINVAL, "batch %u: must be 1..%u pages", pages, 1u << 20);
	/* keep 2 MiB blocks inside one chunk */
	mig->batch = (pages + HUGE_PAGES - 1) / HUGE_PAGES * HUGE_PAGES;
	return 0;
}

CDM_EXPORT void cdm_migration_set_progress(struct cdm_migration *mig,
					   cdm_progress_fn fn, void *data)
{
	mig->progress = fn;
	mig->progress_data = data;
}

/*
 * Chunks of at most `batch` pages on aligned boundaries; smaller when that
 * would leave a thread without work (64 MiB over 2 threads: 2 chunks).
 */
static int make_chunks(struct cdm_migration *mig, const struct cdm_vma *vmas, size_t nr)
{
	uint64_t pages = 0, share, span, addr, next;
	size_t i, cap = 0;
	struct chunk *c;

	for (i = 0; i < nr; i++)
		pages += (vmas[i].end - vmas[i].start) / cdm__page_size();
	share = (pages + mig->threads - 1) / mig->threads;
	share = (share + HUGE_PAGES - 1) / HUGE_PAGES * HUGE_PAGES;
	span = share && share < mig->batch ? share : mig->batch;
	span *= cdm__page_size();

	mig->nr_chunks = 0;
	mig->total = 0;
	for (i = 0; i < nr; i++) {
		for (addr = vmas[i].start; addr < vmas[i].end; addr = next) {
			next = (addr / span + 1) * span;
			if (next > vmas[i].end || next < addr)
				next = vmas[i].end;
			if (mig->nr_chunks == cap) {
				cap = cap ? cap * 2 : 256;
				c = realloc(mig->chunks, cap * sizeof(*c));
				if (!c)
					return cdm__fail(mig->ctx, ENOMEM, "pid %d: out of memory",
							 mig->pid);
				mig->chunks = c;
			}
			mig->chunks[mig->nr_chunks++] = (struct chunk){
				.start = addr, .end = next, .thp = vmas[i].thp };
			mig->total += (next - addr) / cdm__page_size();
		}
	}
	return 0;
}

static bool fatal_errno(int err)
{
	/* anything that is not about some pages but about the whole request */
	return err == ESRCH || err == EPERM || err == EACCES || err == EINVAL ||
	       err == ENODEV || err == EFAULT;
}

static void set_fatal(struct cdm_migration *mig, int err)
{
	pthread_mutex_lock(&mig->lock);
	if (!mig->fatal) {
		if (err == EACCES)	/* the whole call: target outside its cpuset */
			mig->fatal = -cdm__fail(mig->ctx, EACCES, "pid %d: node %d is not in its "
						"cpuset's mems", mig->pid, mig->to_node);
		else
			mig->fatal = -cdm__pid_error(mig->ctx, mig->pid, err, "moving pages");
	}
	pthread_mutex_unlock(&mig->lock);
}

static int query(struct worker *w, void **pages, unsigned long n, int *status)
{
	if (!n)
		return 0;
	if (move_pages(w->mig->pid, n, pages, NULL, status, 0))
		return errno;
	return 0;
}

/*
 * Move the pages listed in w->index (count n) and record a reason per page
 * for the ones that may not move: the kernel's per-page status when it set
 * one, else the call's errno. *@clean says the call returned 0, so the
 * kernel wrote every status: the node of each moved page or its errno.
 * Returns a fatal errno or 0.
 */
static int move_listed(struct worker *w, unsigned int n, bool *clean)
{
	struct cdm_migration *mig = w->mig;
	unsigned int i;
	long rc;
	int err = 0;

	*clean = false;
	if (!n)
		return 0;
	for (i = 0; i < n; i++) {
		w->list[i] = w->pages[w->index[i]];
		w->nodes[i] = mig->to_node;
		w->mstatus[i] = INT32_MIN;	/* not written by the kernel */
	}
	rc = move_pages(mig->pid, n, w->list, w->nodes, w->mstatus, MPOL_MF_MOVE);
	if (rc < 0) {
		err = errno;
		if (fatal_errno(err) && err != EFAULT)
			return err;
	} else if (rc > 0) {
		err = EBUSY;	/* the kernel gave up on some; it says not why */
	} else {
		*clean = true;
	}
	for (i = 0; i < n; i++) {
		int s = w->mstatus[i];

		w->reason[w->index[i]] = s < 0 && s != INT32_MIN ? -s : (err ? err : EAGAIN);
	}
	return 0;
}

/*
 * After a clean move_pages call the statuses say where each listed page is
 * now, so only the tails of 2 MiB blocks passed by their head (which may
 * not have been one folio after all) need a query. Saves a page-table walk
 * over the whole chunk for plain 4 KiB memory.
 */
static int refresh_clean(struct worker *w, unsigned int m, const unsigned long *heads,
			 unsigned long nr_heads)
{
	unsigned long i, j, q = 0;
	int err;

	unsigned long nr_bad = 0;

	/*
	 * A page refused with an error (e.g. -EBUSY: another page of its
	 * folio was isolated first) may still have moved with that folio:
	 * those are queried too. @index is reused to remember them.
	 */
	for (i = 0; i < m; i++) {
		if (w->mstatus[i] >= 0)
			w->after[w->index[i]] = w->mstatus[i];
		else
			w->index[nr_bad++] = w->index[i];
	}
	if (!nr_heads && !nr_bad)
		return 0;
	/* list and nodes are free again: reuse them for the query */
	for (i = 0; i < nr_bad; i++)
		w->list[q++] = w->pages[w->index[i]];
	for (i = 0; i < nr_heads; i++)
		for (j = 1; j < HUGE_PAGES; j++)
			w->list[q++] = w->pages[heads[i] + j];
	err = query(w, w->list, q, w->nodes);
	if (err)
		return err;
	q = 0;
	for (i = 0; i < nr_bad; i++)
		w->after[w->index[i]] = w->nodes[q++];
	for (i = 0; i < nr_heads; i++)
		for (j = 1; j < HUGE_PAGES; j++)
			w->after[heads[i] + j] = w->nodes[q++];
	return 0;
}

static void record_failed(struct worker *w, uint64_t addr, int err)
{
	struct cdm_migration *mig = w->mig;
	struct failed_page *f;

	pthread_mutex_lock(&mig->lock);
	if (mig->nr_failed == mig->cap_failed && mig->cap_failed < MAX_FAILED_RECORDS) {
		unsigned int cap = mig->cap_failed ? mig->cap_failed * 2 : 64;

		f = realloc(mig->failed, cap * sizeof(*f));
		if (f) {
			mig->failed = f;
			mig->cap_failed = cap;
		}
	}
	if (mig->nr_failed < mig->cap_failed)
		mig->failed[mig->nr_failed++] = (struct failed_page){ addr, err };
	pthread_mutex_unlock(&mig->lock);
}

static int migrate_chunk(struct worker *w, const struct chunk *ch)
{
	struct cdm_migration *mig = w->mig;
	long ps = cdm__page_size();
	unsigned long n = (ch->end - ch->start) / ps, i, j, nr_heads = 0;
	unsigned int m = 0, pass;
	int to = mig->to_node, err;
	bool clean;
	unsigned long heads[n / HUGE_PAGES + 1];	/* blocks passed by their head */

	for (i = 0; i < n; i++) {
		w->pages[i] = (void *)(uintptr_t)(ch->start + i * ps);
		w->reason[i] = 0;
	}
	err = query(w, w->pages, n, w->before);
	if (err)
		return err;
	memcpy(w->after, w->before, n * sizeof(int));

	/* pass 1: heads of uniform 2 MiB blocks, and every other movable page */
	for (i = 0; i < n; i++) {
		if (w->before[i] < 0 || w->before[i] == to)
			continue;
		if (ch->thp && !((ch->start + i * ps) & (CDM_HUGE_SIZE - 1)) &&
		    i + HUGE_PAGES <= n) {
			for (j = 1; j < HUGE_PAGES && w->before[i + j] == w->before[i]; j++)
				;
			if (j == HUGE_PAGES) {
				heads[nr_heads++] = i;
				w->index[m++] = i;
				i += HUGE_PAGES - 1;
				continue;
			}
		}
		w->index[m++] = i;
	}
	for (pass = 0; pass < 2 && m; pass++) {
		err = move_listed(w, m, &clean);
		if (err)
			return err;
		if (clean)
			err = refresh_clean(w, m, heads, pass == 0 ? nr_heads : 0);
		else
			err = query(w, w->pages, n, w->after);
		if (err)
			return err;
		if (pass == 0)
			for (i = 0; i < nr_heads; i++) {
				for (j = 0; j < HUGE_PAGES && w->after[heads[i] + j] == to; j++)
					;
				w->c.huge += j == HUGE_PAGES;
			}
		/* pass 2: whatever was movable and is not there yet */
		for (i = 0, m = 0; i < n; i++)
			if (w->before[i] >= 0 && w->before[i] != to && w->after[i] >= 0 &&
			    w->after[i] != to && w->reason[i] != EACCES)
				w->index[m++] = i;
	}

	for (i = 0; i < n; i++) {
		int after = w->after[i];

		if (w->before[i] < 0) {
			w->c.not_present++;
		} else if (w->before[i] == to) {
			w->c.already++;
		} else if (after == to) {
			w->c.moved++;
		} else if (after < 0) {
			w->c.not_present++;	/* unmapped or freed meanwhile */
		} else if (w->reason[i] == EACCES) {
			/* mapped by other processes too (libraries, COW after
			 * fork): not this process's page to move, not a failure */
			w->c.shared++;
		} else {
			err = w->reason[i] ? w->reason[i] : EAGAIN;
			if (err == EBUSY || err == EAGAIN)
				w->c.busy++;
			else
				w->c.failed++;
			record_failed(w, ch->start + i * ps, err);
		}
	}
	w->c.pages += n;
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct cdm_migration *mig = w->mig;
	const struct chunk *ch;
	unsigned long n;
	int err;

	for (;;) {
		pthread_mutex_lock(&mig->lock);
		ch = !mig->fatal && mig->next_chunk < mig->nr_chunks ?
			&mig->chunks[mig->next_chunk++] : NULL;
		pthread_mutex_unlock(&mig->lock);
		if (!ch)
			break;
		err = migrate_chunk(w, ch);
		if (err) {
			set_fatal(mig, err);
			break;
		}
		n = (ch->end - ch->start) / cdm__page_size();
		pthread_mutex_lock(&mig->lock);
		mig->done += n;
		if (mig->progress)
			mig->progress(mig, mig->done, mig->total, mig->progress_data);
		pthread_mutex_unlock(&mig->lock);
	}
	return NULL;
}

static void worker_free(struct worker *w)
{
	free(w->pages);
	free(w->list);
	free(w->before);
	free(w->after);
	free(w->mstatus);
	free(w->nodes);
	free(w->reason);
	free(w->index);
}

static int worker_init(struct worker *w, struct cdm_migration *mig)
{
	size_t n = mig->batch;

	memset(w, 0, sizeof(*w));
	w->mig = mig;
	w->pages = malloc(n * sizeof(void *));
	w->list = malloc(n * sizeof(void *));
	w->before = malloc(n * sizeof(int));
	w->after = malloc(n * sizeof(int));
	w->mstatus = malloc(n * sizeof(int));
	w->nodes = malloc(n * sizeof(int));
	w->reason = malloc(n * sizeof(int));
	w->index = malloc(n * sizeof(unsigned int));
	if (!w->pages || !w->list || !w->before || !w->after || !w->mstatus ||
	    !w->nodes || !w->reason || !w->index) {
		worker_free(w);
		return -ENOMEM;
	}
	return 0;
}

CDM_EXPORT int cdm_migration_run(struct cdm_migration *mig)
{
	struct worker workers[MAX_THREADS];
	pthread_t tids[MAX_THREADS];
	unsigned int i, started = 0;
	struct cdm_vma *vmas;
	size_t nr;
	int rc;

	cdm__clear_error(mig->ctx);
	memset(&mig->c, 0, sizeof(mig->c));
	mig->nr_failed = 0;
	mig->fatal = 0;
	mig->next_chunk = 0;
	mig->done = 0;
	rc = cdm__collect_ranges(mig->ctx, mig->pid, mig->start, mig->end, &vmas, &nr);
	if (rc)
		return rc;
	rc = make_chunks(mig, vmas, nr);
	free(vmas);
	if (rc)
		return rc;

	for (i = 0; i < mig->threads; i++) {
		if (worker_init(&workers[i], mig)) {
			rc = cdm__fail(mig->ctx, ENOMEM, "pid %d: out of memory", mig->pid);
			break;
		}
		started++;
		if (i && pthread_create(&tids[i], NULL, worker_main, &workers[i])) {
			/* fewer threads is still correct: the others take its chunks */
			worker_free(&workers[i]);
			started--;
			break;
		}
	}
	if (started)
		worker_main(&workers[0]);
	for (i = 0; i < started; i++) {
		if (i)
			pthread_join(tids[i], NULL);
		mig->c.pages += workers[i].c.pages;
		mig->c.moved += workers[i].c.moved;
		mig->c.already += workers[i].c.already;
		mig->c.busy += workers[i].c.busy;
		mig->c.failed += workers[i].c.failed;
		mig->c.not_present += workers[i].c.not_present;
		mig->c.huge += workers[i].c.huge;
		mig->c.shared += workers[i].c.shared;
		worker_free(&workers[i]);
	}
	if (rc)
		return rc;
	if (mig->fatal)
		return -mig->fatal;
	cdm_dbg(mig->ctx, "pid %d -> node %d: %llu pages, %llu moved, %llu already, %llu busy, %llu failed",
		mig->pid, mig->to_node, mig->c.pages, mig->c.moved, mig->c.already,
		mig->c.busy, mig->c.failed);
	if (mig->c.busy || mig->c.failed)
		return cdm__fail(mig->ctx, EAGAIN, "pid %d: %llu of %llu pages could not move to node %d",
				 mig->pid, mig->c.busy + mig->c.failed,
				 mig->c.busy + mig->c.failed + mig->c.moved, mig->to_node);
	return 0;
}

/* The summary counters, one getter each */
#define MIGRATION_COUNTER(name, field)						\
CDM_EXPORT unsigned long long cdm_migration_get_##name(struct cdm_migration *mig) \
{										\
	return mig->c.field;							\
}

MIGRATION_COUNTER(pages, pages)
MIGRATION_COUNTER(moved, moved)
MIGRATION_COUNTER(already, already)
MIGRATION_COUNTER(busy, busy)
MIGRATION_COUNTER(failed, failed)
MIGRATION_COUNTER(not_present, not_present)
MIGRATION_COUNTER(shared, shared)
MIGRATION_COUNTER(huge_moved, huge)

CDM_EXPORT unsigned int cdm_migration_get_nr_failed_pages(struct cdm_migration *mig)
{
	return mig->nr_failed;
}

CDM_EXPORT int cdm_migration_get_failed_page(struct cdm_migration *mig, unsigned int index,
					     uint64_t *addr, int *err)
{
	if (index >= mig->nr_failed)
		return cdm__fail(mig->ctx, ERANGE, "failed page %u: only %u recorded",
				 index, mig->nr_failed);
	if (addr)
		*addr = mig->failed[index].addr;
	if (err)
		*err = mig->failed[index].err;
	return 0;
}

CDM_EXPORT struct cdm_ctx *cdm_migration_get_ctx(struct cdm_migration *mig)
{
	return mig->ctx;
}

CDM_EXPORT void cdm_migration_free(struct cdm_migration *mig)
{
	if (!mig)
		return;
	pthread_mutex_destroy(&mig->lock);
	free(mig->chunks);
	free(mig->failed);
	cdm_unref(mig->ctx);
	free(mig);
}
