// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Migration of a range (or the whole address space) of any process to one
 * node with move_pages(2), or of a whole process with migrate_pages(2).
 *
 * A block is what one PMD-mapped transparent huge page spans: the kernel's
 * hpage_pmd_size (2 MiB with 4 KiB pages: 512 pages; 16 or 2 MiB with
 * ppc64's 64 KiB pages; 512 MiB with arm64's), read once per context.
 * The work is cut into chunks of `batch` pages (default 16384, rounded up
 * to whole blocks so a block never straddles two chunks) and worker
 * threads take chunks in turn. Per chunk:
 *
 *   1. query where every page is (move_pages, nodes == NULL);
 *   2. move the pages not yet on the target in one call; in a VMA holding
 *      THPs, an aligned block whose pages all sit on one node is passed
 *      as its head address only, so the kernel moves the folio as a unit
 *      instead of being asked for each tail again (and answering -EBUSY);
 *   3. learn where the pages are now: from the call's statuses when it
 *      returned 0 (plus a query of the tails of blocks passed by their
 *      head), else by querying the chunk again;
 *   4. when the kernel stopped part-way (a batch failed, e.g. on a pinned
 *      page, and it returned a count), pass the pages it never tried
 *      again, as long as each pass gets further; then whatever is not on
 *      the target yet (the small pages of a block that was not a THP
 *      after all, or pages that were busy) is moved in one more pass;
 *   5. of the blocks that moved, ask the kernel which are still mapped by
 *      one huge page (PAGEMAP_SCAN, one call for the chunk): those moved
 *      as one folio. One the kernel split on the way moved, but not whole.
 *
 * The kernel's own answers decide every count, so the summary is what the
 * kernel reports, not what we asked for; where it cannot answer (no
 * PAGEMAP_SCAN before Linux 6.7), the count is unknown, not guessed.
 * Pages already on the target cost only the first query. A fatal error (process gone, no permission) stops all
 * workers; so does a full target (a call that fails with ENOMEM with nothing
 * of it moved), after counting its chunk. The counts so far stay readable.
 * The process is held by a pidfd during a run and checked before each
 * chunk, so a pid reused after it exits is never migrated. A worker that
 * cannot be set up (memory, a thread) leaves its chunks to the others;
 * only without any worker does a run fail, before it moves anything.
 * The progress callback may cancel a run: no worker takes another chunk.
 *
 * A source-node filter leaves the pages on other nodes where they are
 * (they are never listed). With migrate_pages(2) (whole processes only)
 * the same counts come from the same queries, around the one call:
 *
 *   1. survey each chunk: the pages on a source node get a bit, the
 *      others are counted (already there, on other nodes, not present);
 *   2. migrate_pages(pid, sources, target) moves them all;
 *   3. settle each chunk: query where its source pages are now; those
 *      not on the target go through the move_pages passes above, which
 *      move them or say why not (shared, busy), then everything is
 *      counted as for a move_pages chunk.
 */
#include <errno.h>
#include <inttypes.h>
#include <numaif.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "private.h"

#define DEFAULT_BATCH 16384	/* 64 MiB: every move_pages call pays an
				 * expedited RCU sync (lru_cache_disable) */
#define MAX_BATCH (1u << 20)
#define MAX_FAILED_RECORDS (1u << 20)	/* counters stay exact beyond it */
#define MAX_THREADS 64
/* move_pages calls per chunk at most (see move_passes()): a chunk whose
 * every call is cut short by a failed batch gives up at that bound */
#define MAX_PASSES 8
#define NOT_WRITTEN INT32_MIN		/* a status the kernel left alone */

struct failed_page {
	uint64_t addr;
	int err;
};

struct chunk {
	uint64_t start, end;
	bool thp;
	/* migrate_pages(2) runs: which pages were on a source node before the
	 * call (a bit each; NULL: none), and how many of the others were
	 * where, counted when the chunk is settled */
	uint64_t *sources;
	unsigned int already, skipped, not_present;
};

struct counts {
	unsigned long long pages, moved, already, busy, failed, not_present, huge, shared,
		not_attempted, skipped;
};

/* What a worker does with a chunk (see the top of the file) */
enum phase {
	PHASE_MOVE,		/* move_pages(2): the whole of it */
	PHASE_SURVEY,		/* migrate_pages(2): before the call */
	PHASE_SETTLE,		/* migrate_pages(2): after it */
};

#define KNOWN_FLAGS CDM_MIGRATE_SHARED

struct cdm_migration {
	struct cdm_ctx *ctx;
	pid_t pid;
	int to_node;
	int pidfd;		/* the process during a run, -1 when not pinned */
	uint64_t start, end;
	unsigned int threads, batch;
	unsigned int huge_pages;	/* pages per block (PMD-size THP), 0: no THP */
	cdm_progress_fn progress;
	void *progress_data;
	unsigned int flags;		/* CDM_MIGRATE_* */
	bool has_from;			/* only pages on @from move */
	struct cdm_nodeset from;
	enum cdm_migrate_method method, method_used;

	/* results of the last run */
	struct counts c;
	struct failed_page *failed;
	unsigned int nr_failed, cap_failed;

	/* run state, under lock */
	pthread_mutex_t lock;
	struct chunk *chunks;
	size_t nr_chunks, next_chunk;
	unsigned long long done, total;
	enum phase phase;
	bool cancelled;		/* the progress callback asked to stop */
	bool target_full;	/* migrate_pages(2) failed with ENOMEM */
	int settle_source;	/* a source node: where settled pages "were" */
	int fatal;
	/* its message, written in the worker that met it (the last error is
	 * per thread) and relayed to the caller's thread at the end */
	char fatal_msg[CDM_ERR_LEN];
	/* why the kernel could not say which blocks moved as one huge page;
	 * "": it said for every chunk that had any */
	char huge_unknown[CDM_ERR_LEN / 2];
	/* PAGEMAP_SCAN's errno when it failed before the run: not asked again */
	int scan_err;
};

/* per-worker buffers, in one allocation: `batch` entries each, but for
 * the blocks of a chunk passed by their head and PAGEMAP_SCAN's regions */
struct worker {
	struct cdm_migration *mig;
	void *buf;
	void **pages, **list;
	unsigned long *heads;
	struct cdm_page_region *regions;
	unsigned long nr_blocks;	/* entries of heads and regions */
	int *before, *after, *mstatus, *nodes, *reason;
	unsigned int *index;
	struct counts c;
};

/*
 * Pages per block: a PMD-size THP over the base page, when the kernel
 * has THP (and its blocks fit in a batch).
 */
static unsigned int huge_pages(struct cdm_ctx *ctx)
{
	long pmd = cdm__thp_pmd_size(ctx), ps = cdm__page_size();

	if (pmd < ps || pmd / ps > MAX_BATCH) {
		if (pmd)
			cdm_dbg(ctx, "huge page of %ld bytes over %ld-byte pages: not used", pmd, ps);
		return 0;
	}
	return pmd / ps;
}

/* @pages rounded up to whole blocks */
static unsigned long long whole_blocks(const struct cdm_migration *mig, unsigned long long pages)
{
	unsigned int unit = mig->huge_pages ? mig->huge_pages : 1;

	return (pages + unit - 1) / unit * unit;
}

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
	m->pidfd = -1;
	m->threads = 1;
	m->huge_pages = huge_pages(ctx);
	m->batch = whole_blocks(m, DEFAULT_BATCH);
	pthread_mutex_init(&m->lock, NULL);
	*mig = m;
	return 0;
}

CDM_EXPORT int cdm_migration_set_range(struct cdm_migration *mig, uint64_t start,
				       uint64_t end)
{
	if (mig->method == CDM_MIGRATE_METHOD_MIGRATE_PAGES)
		return cdm__fail(mig->ctx, EINVAL, "pid %d: range 0x%" PRIx64 "-0x%" PRIx64
				 ": migrate_pages(2) moves the whole process", mig->pid, start,
				 end);
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
	if (pages < 1 || pages > MAX_BATCH)
		return cdm__fail(mig->ctx, EINVAL, "batch %u: must be 1..%u pages", pages, MAX_BATCH);
	/* keep blocks inside one chunk (both are powers of two: no overflow) */
	mig->batch = whole_blocks(mig, pages);
	return 0;
}

CDM_EXPORT void cdm_migration_set_progress(struct cdm_migration *mig,
					   cdm_progress_fn fn, void *data)
{
	mig->progress = fn;
	mig->progress_data = data;
}

CDM_EXPORT int cdm_migration_set_flags(struct cdm_migration *mig, unsigned int flags)
{
	if (flags & ~KNOWN_FLAGS)
		return cdm__fail(mig->ctx, EINVAL, "pid %d: migration flags 0x%x: 0x%x unknown",
				 mig->pid, flags, flags & ~KNOWN_FLAGS);
	mig->flags = flags;
	return 0;
}

/* "node 3" or "nodes 5,7" into @buf: the start of a long list, then "..." */
static const char *name_nodes(const struct cdm_nodeset *set, char *buf, size_t len)
{
	int n = snprintf(buf, len, "node%s ", cdm_nodeset_weight(set) > 1 ? "s" : "");

	if (cdm_nodeset_format(set, buf + n, len - n - 5) < 0)
		strcat(buf, ",...");
	return buf;
}

/* The nodes of @set that are not in @of, into @out; how many */
static int nodes_outside(const struct cdm_nodeset *set, const struct cdm_nodeset *of,
			 struct cdm_nodeset *out)
{
	int node;

	cdm_nodeset_zero(out);
	cdm_nodeset_foreach(set, node)
		if (!cdm_nodeset_has(of, node))
			cdm_nodeset_add(out, node);
	return cdm_nodeset_weight(out);
}

CDM_EXPORT int cdm_migration_set_from_nodes(struct cdm_migration *mig,
					    const struct cdm_nodeset *nodes)
{
	struct cdm_nodeset online, memory, bad;
	struct cdm_ctx *ctx = mig->ctx;
	char list[64];
	int rc, n;

	if (!nodes) {
		mig->has_from = false;
		return 0;
	}
	rc = cdm_get_online_nodes(ctx, &online);
	if (!rc)
		rc = cdm_get_memory_nodes(ctx, &memory);
	if (rc)
		return rc;
	if (!cdm_nodeset_weight(nodes))
		return cdm__fail(ctx, EINVAL, "pid %d: source nodes: empty set", mig->pid);
	if (nodes_outside(nodes, &online, &bad))
		return cdm__fail(ctx, EINVAL, "pid %d: source %s: not online", mig->pid,
				 name_nodes(&bad, list, sizeof(list)));
	n = nodes_outside(nodes, &memory, &bad);
	if (n)
		return cdm__fail(ctx, EINVAL, "pid %d: source %s: %s no memory", mig->pid,
				 name_nodes(&bad, list, sizeof(list)), n > 1 ? "have" : "has");
	if (cdm_nodeset_has(nodes, mig->to_node))
		return cdm__fail(ctx, EINVAL, "pid %d: source %s: %s the target, node %d",
				 mig->pid, name_nodes(nodes, list, sizeof(list)),
				 cdm_nodeset_weight(nodes) > 1 ? "include" : "is", mig->to_node);
	mig->from = *nodes;
	mig->has_from = true;
	return 0;
}

CDM_EXPORT int cdm_migration_set_method(struct cdm_migration *mig,
					enum cdm_migrate_method method)
{
	if ((unsigned int)method > CDM_MIGRATE_METHOD_MIGRATE_PAGES)
		return cdm__fail(mig->ctx, EINVAL, "pid %d: migration method %d: unknown",
				 mig->pid, method);
	if (method == CDM_MIGRATE_METHOD_MIGRATE_PAGES && mig->end)
		return cdm__fail(mig->ctx, EINVAL, "pid %d: migrate_pages(2) moves the whole "
				 "process: a range is set", mig->pid);
	mig->method = method;
	return 0;
}

/* Is a page on @node one to move: present, elsewhere, on a source node? */
static bool from_source(const struct cdm_migration *mig, int node)
{
	return node >= 0 && node != mig->to_node &&
	       (!mig->has_from || cdm_nodeset_has(&mig->from, node));
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
	share = whole_blocks(mig, (pages + mig->threads - 1) / mig->threads);
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
		if (err == EACCES)	/* the whole call: target outside its cpuset
					 * (a security module would have said so to
					 * cdm__check_access() already) */
			mig->fatal = -cdm__fail(mig->ctx, EACCES, "pid %d: node %d is not in its "
						"cpuset's mems (no capability overrides that)",
						mig->pid, mig->to_node);
		else if (err == ENOSPC)
			mig->fatal = -cdm__fail(mig->ctx, ENOSPC, "node %d: full", mig->to_node);
		else if (err == ENOMEM)
			mig->fatal = -cdm__fail(mig->ctx, ENOMEM, "pid %d: out of memory",
						mig->pid);
		else
			mig->fatal = -cdm__pid_error(mig->ctx, mig->pid, err, "moving pages");
		snprintf(mig->fatal_msg, sizeof(mig->fatal_msg), "%s",
			 cdm_get_last_error(mig->ctx));
	}
	pthread_mutex_unlock(&mig->lock);
}

static int query(struct worker *w, void **pages, unsigned long n, int *status)
{
	long rc;

	if (!n)
		return 0;
	rc = cdm__move_pages(w->mig->ctx, w->mig->pid, n, pages, NULL, status, 0);
	return rc < 0 ? -rc : 0;
}

/*
 * Where a move_pages(2) call that returned @not_moved > 0 stopped: the
 * index of the first of the @n listed pages it never tried, or @n. The
 * kernel migrates its list in batches, one flushed whenever a page answers
 * with a status of its own (-EACCES, -EBUSY, already there); when a batch
 * fails it gives up, returning the batch's failures plus the pages after
 * the one that flushed it, and writes no status for either. So the pages
 * after the last status written were never tried exactly when the count
 * is larger than their number; otherwise they were the last batch, tried.
 */
static unsigned int first_untried(const int *status, unsigned int n, long not_moved)
{
	unsigned int last = n;

	while (last > 0 && status[last - 1] == NOT_WRITTEN)
		last--;
	if (!last)
		return n;	/* no status at all: one batch, tried whole */
	return not_moved > (long)(n - last) ? last : n;
}

/*
 * Move the pages listed in w->index (count n) and record a reason per page
 * for the ones that may not move: the kernel's per-page status when it set
 * one, ECANCELED when it never tried the page, else the call's errno (EBUSY
 * for a failed batch: the kernel says not why). *@result is what the call
 * returned: 0 means the kernel wrote every status, the node of each moved
 * page or its errno. Returns a fatal errno or 0.
 */
static int move_listed(struct worker *w, unsigned int n, long *result)
{
	struct cdm_migration *mig = w->mig;
	unsigned int i, untried = n;
	long rc;
	int err = 0;

	*result = 0;
	if (!n)
		return 0;
	for (i = 0; i < n; i++) {
		w->list[i] = w->pages[w->index[i]];
		w->nodes[i] = mig->to_node;
		w->mstatus[i] = NOT_WRITTEN;
	}
	rc = cdm__move_pages(mig->ctx, mig->pid, n, w->list, w->nodes, w->mstatus,
			     mig->flags & CDM_MIGRATE_SHARED ? MPOL_MF_MOVE_ALL : MPOL_MF_MOVE);
	*result = rc;
	if (rc < 0) {
		err = -rc;
		if (fatal_errno(err) && err != EFAULT)
			return err;
	} else if (rc > 0) {
		err = EBUSY;
		untried = first_untried(w->mstatus, n, rc);
	}
	for (i = 0; i < n; i++) {
		int s = w->mstatus[i];

		if (s < 0 && s != NOT_WRITTEN)
			w->reason[w->index[i]] = -s;
		else if (i >= untried)
			w->reason[w->index[i]] = ECANCELED;
		else
			w->reason[w->index[i]] = err ? err : EAGAIN;
	}
	return 0;
}

/*
 * After a clean move_pages call the statuses say where each listed page is
 * now, so only the tails of blocks passed by their head (which may not
 * have been one folio after all) need a query. Saves a page-table walk
 * over the whole chunk for memory of small pages.
 */
static int refresh_clean(struct worker *w, unsigned int m, const unsigned long *heads,
			 unsigned long nr_heads)
{
	unsigned long i, j, q = 0, hp = w->mig->huge_pages;
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
		for (j = 1; j < hp; j++)
			w->list[q++] = w->pages[heads[i] + j];
	err = query(w, w->list, q, w->nodes);
	if (err)
		return err;
	q = 0;
	for (i = 0; i < nr_bad; i++)
		w->after[w->index[i]] = w->nodes[q++];
	for (i = 0; i < nr_heads; i++)
		for (j = 1; j < hp; j++)
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

/* Where page @i of @ch lies in its block (0: it starts one) */
static unsigned long in_block(const struct worker *w, const struct chunk *ch, unsigned long i)
{
	return w->mig->huge_pages ? (ch->start / cdm__page_size() + i) % w->mig->huge_pages : 0;
}

/* Index of the first page of the block holding page @i of @ch (0 for the
 * pages of a block the chunk starts inside) */
static unsigned long block_head(const struct worker *w, const struct chunk *ch, unsigned long i)
{
	unsigned long off = in_block(w, ch, i);

	return i >= off ? i - off : 0;
}

/* Do the @hp pages of @nodes from @i all sit on node nodes[i] (>= 0)? */
static bool on_one_node(const int *nodes, unsigned long i, unsigned long hp)
{
	unsigned long j;

	for (j = 1; j < hp && nodes[i + j] == nodes[i]; j++)
		;
	return j == hp && nodes[i] >= 0;
}

/*
 * The first pass: the heads of blocks whose pages all sit on one source
 * node (into w->heads), and every other page on a source node. Returns
 * how many pages w->index lists.
 */
static unsigned int list_first_pass(struct worker *w, const struct chunk *ch, unsigned long n,
				    unsigned long *nr_heads)
{
	unsigned long i, hp = w->mig->huge_pages;
	unsigned int m = 0;

	*nr_heads = 0;
	for (i = 0; i < n; i++) {
		if (!from_source(w->mig, w->before[i]))
			continue;
		if (ch->thp && hp && !in_block(w, ch, i) && i + hp <= n &&
		    on_one_node(w->before, i, hp)) {
			w->heads[(*nr_heads)++] = i;
			w->index[m++] = i;
			i += hp - 1;
			continue;
		}
		w->index[m++] = i;
	}
	return m;
}

/* Pages the last call never reached and that are still where they were */
static unsigned int list_untried(struct worker *w, unsigned long n)
{
	unsigned int m = 0;
	unsigned long i;

	for (i = 0; i < n; i++)
		if (w->reason[i] == ECANCELED && w->after[i] >= 0 && w->after[i] != w->mig->to_node)
			w->index[m++] = i;
	return m;
}

/*
 * Whatever was movable and is not there yet (shared pages stay put). The
 * tails of a block passed by its head (no reason of their own) go in only
 * when the head moved, so the block was no THP after all; when the head
 * did not, its folio is retried as a unit, by the head: passed with it,
 * each tail would answer -EBUSY and cut the call short right there.
 */
static unsigned int list_not_there(struct worker *w, const struct chunk *ch, unsigned long n)
{
	int to = w->mig->to_node;
	unsigned int m = 0;
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (!from_source(w->mig, w->before[i]) || w->after[i] < 0 ||
		    w->after[i] == to || w->reason[i] == EACCES)
			continue;
		if (!w->reason[i] && w->after[block_head(w, ch, i)] != to)
			continue;
		w->index[m++] = i;
	}
	return m;
}

static bool any_listed_moved(struct worker *w, unsigned int m)
{
	unsigned int i;

	for (i = 0; i < m; i++)
		if (w->after[w->index[i]] == w->mig->to_node)
			return true;
	return false;
}

/*
 * Keep the blocks passed by their head that the kernel never reached,
 * which the next pass passes by their head again (the others are
 * settled: moved, whole or not, or refused). Returns how many stay.
 */
static unsigned long settle_heads(struct worker *w, unsigned long *heads, unsigned long nr_heads)
{
	int to = w->mig->to_node;
	unsigned long i, kept = 0;

	for (i = 0; i < nr_heads; i++)
		if (w->reason[heads[i]] == ECANCELED && w->after[heads[i]] != to)
			heads[kept++] = heads[i];
	return kept;
}

/*
 * Move what w->index lists (@m pages), pass after pass. While the kernel
 * stops part-way, the rest it never tried is passed again, as long as
 * each pass gets further; then one more pass for whatever is still not
 * there (the small pages of a block that was no THP after all, busy
 * pages). Bounded by MAX_PASSES. Returns a fatal errno, ENOSPC when a
 * call failed with ENOMEM and nothing of it moved (the target is full),
 * or 0.
 */
static int move_passes(struct worker *w, const struct chunk *ch, unsigned long n, unsigned int m,
		       unsigned long *heads, unsigned long nr_heads)
{
	unsigned int pass, listed;
	bool retried = false;
	long result;
	int err;

	for (pass = 0; pass < MAX_PASSES && m; pass++) {
		listed = m;
		err = move_listed(w, m, &result);
		if (!err)
			err = result ? query(w, w->pages, n, w->after) :
				refresh_clean(w, m, heads, nr_heads);
		if (err)
			return err;
		/* (w->index still lists this pass: only a clean call reuses it) */
		if (result == -ENOMEM && !any_listed_moved(w, m))
			return ENOSPC;
		nr_heads = settle_heads(w, heads, nr_heads);
		m = list_untried(w, n);
		if (m) {
			if (m >= listed)
				break;	/* the kernel tried none of them */
			continue;
		}
		if (retried)
			break;
		retried = true;
		m = list_not_there(w, ch, n);
	}
	return 0;
}

/*
 * Why page @i did not move. Only the tails of a block passed by its head
 * can have no reason of their own (no pass listed them): they share the
 * head's fate.
 */
static int reason_of(struct worker *w, const struct chunk *ch, unsigned long i)
{
	if (w->reason[i])
		return w->reason[i];
	if (w->reason[block_head(w, ch, i)])
		return w->reason[block_head(w, ch, i)];
	return EAGAIN;
}

/* A page left off the target, counted by why */
static void count_left_behind(struct worker *w, uint64_t addr, int err)
{
	if (err == EACCES) {
		/* mapped by other processes too (libraries, COW after fork):
		 * not this process's page to move, not a failure */
		w->c.shared++;
		return;
	}
	if (err == ECANCELED)
		w->c.not_attempted++;
	else if (err == EBUSY || err == EAGAIN)
		w->c.busy++;
	else
		w->c.failed++;
	record_failed(w, addr, err);
}

/* The kernel's last word on each page of the chunk, into the counters */
static void count_chunk(struct worker *w, const struct chunk *ch, unsigned long n)
{
	long ps = cdm__page_size();
	int to = w->mig->to_node;
	unsigned long i;

	for (i = 0; i < n; i++) {
		int after = w->after[i];

		if (w->before[i] < 0) {
			w->c.not_present++;
		} else if (w->before[i] == to) {
			w->c.already++;
		} else if (!from_source(w->mig, w->before[i])) {
			w->c.skipped++;
		} else if (after == to) {
			w->c.moved++;
		} else if (after < 0) {
			w->c.not_present++;	/* unmapped or freed meanwhile */
		} else {
			count_left_behind(w, ch->start + i * ps, reason_of(w, ch, i));
		}
	}
	w->c.pages += n;
}

/* Record why huge_moved is unknown (the first reason met stands) */
static void huge_unknown(struct cdm_migration *mig, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void huge_unknown(struct cdm_migration *mig, const char *fmt, ...)
{
	va_list args;

	pthread_mutex_lock(&mig->lock);
	if (!mig->huge_unknown[0]) {
		va_start(args, fmt);
		vsnprintf(mig->huge_unknown, sizeof(mig->huge_unknown), fmt, args);
		va_end(args);
		cdm_dbg(mig->ctx, "pid %d: huge folios moved: unknown: %s", mig->pid,
			mig->huge_unknown);
	}
	pthread_mutex_unlock(&mig->lock);
}

static bool huge_known(struct cdm_migration *mig)
{
	bool known;

	pthread_mutex_lock(&mig->lock);
	known = !mig->huge_unknown[0];
	pthread_mutex_unlock(&mig->lock);
	return known;
}

/* What PAGEMAP_SCAN's failure says about the kernel */
static void scan_failed(struct cdm_migration *mig, int err)
{
	if (err == ENOTTY || err == EINVAL)
		huge_unknown(mig, "the kernel has no PAGEMAP_SCAN (Linux 6.7)");
	else if (err == EACCES || err == EPERM)
		huge_unknown(mig, "reading /proc/%d/pagemap not permitted " CDM_PTRACE_NEEDS,
			     mig->pid);
	else
		huge_unknown(mig, "PAGEMAP_SCAN: %s", strerror(err));
}

/*
 * Count the blocks of the chunk that moved as one huge folio: every page
 * was on one other node and is on the target now, and the kernel says the
 * block is mapped by one huge page (PAGEMAP_SCAN, one call for the chunk;
 * regions come sorted). A folio the kernel split on the way (no huge page
 * free on the target) moved, but not whole. When the kernel cannot say,
 * the run's count is unknown and no later chunk asks again.
 */
static void count_huge(struct worker *w, const struct chunk *ch, unsigned long n)
{
	struct cdm_migration *mig = w->mig;
	unsigned long hp = mig->huge_pages, i, nr = 0, r = 0;
	long ps = cdm__page_size(), got;
	struct cdm_pm_scan_arg arg;
	uint64_t start;

	if (!ch->thp)
		return;		/* no huge page in it when it was collected */
	if (!hp) {
		for (i = 0; i < n; i++)
			if (w->before[i] >= 0 && w->before[i] != mig->to_node &&
			    w->after[i] == mig->to_node)
				break;
		if (i < n)
			huge_unknown(mig, "the range holds huge pages of a size the kernel does "
				     "not tell (hpage_pmd_size)");
		return;
	}
	for (i = (hp - in_block(w, ch, 0)) % hp; i + hp <= n; i += hp)
		if (w->before[i] != mig->to_node && on_one_node(w->before, i, hp) &&
		    w->after[i] == mig->to_node && on_one_node(w->after, i, hp))
			w->heads[nr++] = i;
	if (!nr || !huge_known(mig))
		return;
	if (mig->scan_err) {
		scan_failed(mig, mig->scan_err);
		return;
	}
	arg = (struct cdm_pm_scan_arg){
		.size = sizeof(arg), .start = ch->start, .end = ch->end,
		.vec = (uintptr_t)w->regions, .vec_len = w->nr_blocks,
		.category_mask = CDM_PAGE_IS_HUGE | CDM_PAGE_IS_PRESENT,
		.return_mask = CDM_PAGE_IS_HUGE,
	};
	got = cdm__pagemap_scan(mig->ctx, mig->pid, &arg);
	if (got < 0) {
		scan_failed(mig, -got);
		return;
	}
	for (i = 0; i < nr; i++) {
		start = ch->start + w->heads[i] * ps;
		while (r < (unsigned long)got && w->regions[r].end <= start)
			r++;
		if (r < (unsigned long)got && w->regions[r].start <= start &&
		    w->regions[r].end >= start + hp * ps)
			w->c.huge++;
		else if (start + hp * ps > arg.walk_end)	/* (room for every region) */
			huge_unknown(mig, "PAGEMAP_SCAN stopped at 0x%" PRIx64, arg.walk_end);
	}
}

/* Returns a fatal errno (the chunk is not counted), ENOSPC (it is) or 0. */
static int migrate_chunk(struct worker *w, const struct chunk *ch)
{
	long ps = cdm__page_size();
	unsigned long n = (ch->end - ch->start) / ps, i, nr_heads;
	unsigned int m;
	int err;

	for (i = 0; i < n; i++) {
		w->pages[i] = (void *)(uintptr_t)(ch->start + i * ps);
		w->reason[i] = 0;
	}
	err = query(w, w->pages, n, w->before);
	if (err)
		return err;
	memcpy(w->after, w->before, n * sizeof(int));
	m = list_first_pass(w, ch, n, &nr_heads);
	err = move_passes(w, ch, n, m, w->heads, nr_heads);
	if (err && err != ENOSPC)
		return err;
	count_chunk(w, ch, n);
	count_huge(w, ch, n);
	return err;
}

#define SOURCE_WORDS(n) (((n) + 63) / 64)

static bool is_source(const struct chunk *ch, unsigned long i)
{
	return ch->sources && (ch->sources[i / 64] >> (i % 64) & 1);
}

/*
 * Before migrate_pages(2): where each page of the chunk is. A page on a
 * source node gets its bit; the others are counted into the chunk, for
 * when it is settled. Returns a fatal errno or 0.
 */
static int survey_chunk(struct worker *w, struct chunk *ch)
{
	struct cdm_migration *mig = w->mig;
	long ps = cdm__page_size();
	unsigned long n = (ch->end - ch->start) / ps, i;
	int err;

	for (i = 0; i < n; i++)
		w->pages[i] = (void *)(uintptr_t)(ch->start + i * ps);
	err = query(w, w->pages, n, w->before);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (w->before[i] < 0) {
			ch->not_present++;
		} else if (w->before[i] == mig->to_node) {
			ch->already++;
		} else if (!from_source(mig, w->before[i])) {
			ch->skipped++;
		} else {
			if (!ch->sources)
				ch->sources = calloc(SOURCE_WORDS(n), sizeof(*ch->sources));
			if (!ch->sources)
				return ENOMEM;
			ch->sources[i / 64] |= 1ULL << (i % 64);
		}
	}
	return 0;
}

/*
 * After migrate_pages(2): where the chunk's source pages are now. Those
 * not on the target go through move_pages(2) as in move_passes(), which
 * moves them or says why not (shared, busy), unless the call found the
 * target full: then they failed (ENOMEM), and a full node is not asked
 * again for each chunk. Every source page "was" on mig->settle_source,
 * so the rest of this file reads the chunk as one it moved itself.
 * Returns as migrate_chunk().
 */
static int settle_chunk(struct worker *w, const struct chunk *ch)
{
	struct cdm_migration *mig = w->mig;
	long ps = cdm__page_size();
	unsigned long n = (ch->end - ch->start) / ps, i;
	unsigned int m = 0;
	int err = 0;

	if (ch->sources) {
		for (i = 0; i < n; i++) {
			w->pages[i] = (void *)(uintptr_t)(ch->start + i * ps);
			w->before[i] = is_source(ch, i) ? mig->settle_source : -ENOENT;
			w->reason[i] = 0;
		}
		err = query(w, w->pages, n, w->after);
		if (err)
			return err;
		for (i = 0; i < n; i++)
			if (is_source(ch, i) && w->after[i] >= 0 && w->after[i] != mig->to_node)
				w->index[m++] = i;
		if (mig->target_full) {
			for (i = 0; i < m; i++)
				w->reason[w->index[i]] = ENOMEM;
		} else {
			err = move_passes(w, ch, n, m, w->heads, 0);
			if (err && err != ENOSPC)
				return err;
		}
		for (i = 0; i < n; i++) {
			if (!is_source(ch, i))
				continue;
			if (w->after[i] == mig->to_node)
				w->c.moved++;
			else if (w->after[i] < 0)
				w->c.not_present++;	/* unmapped or freed meanwhile */
			else
				count_left_behind(w, ch->start + i * ps, reason_of(w, ch, i));
		}
		count_huge(w, ch, n);
	}
	w->c.pages += n;
	w->c.already += ch->already;
	w->c.skipped += ch->skipped;
	w->c.not_present += ch->not_present;
	return err;
}

static int do_chunk(struct worker *w, struct chunk *ch)
{
	switch (w->mig->phase) {
	case PHASE_SURVEY:
		return survey_chunk(w, ch);
	case PHASE_SETTLE:
		return settle_chunk(w, ch);
	default:
		return migrate_chunk(w, ch);
	}
}

/*
 * Hold the process by a pidfd for the run: once it exits its pid may be
 * reused, and move_pages(2) would answer for the newcomer. Without pidfds
 * (kernel before 5.3, seccomp, a thread id) the run goes on unpinned.
 */
static int pin_process(struct cdm_migration *mig)
{
	mig->pidfd = syscall(SYS_pidfd_open, mig->pid, 0);
	if (mig->pidfd >= 0)
		return 0;
	if (errno == ESRCH)
		return cdm__pid_error(mig->ctx, mig->pid, ESRCH, "pinning");
	cdm_dbg(mig->ctx, "pid %d: no pidfd (%s): not pinned", mig->pid, strerror(errno));
	return 0;
}

static void unpin_process(struct cdm_migration *mig)
{
	if (mig->pidfd >= 0)
		close(mig->pidfd);
	mig->pidfd = -1;
}

/* Signal 0 reaches the process while it exists; ESRCH once it is reaped. */
static bool process_exited(struct cdm_migration *mig)
{
	return mig->pidfd >= 0 && syscall(SYS_pidfd_send_signal, mig->pidfd, 0, NULL, 0) &&
	       errno == ESRCH;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct cdm_migration *mig = w->mig;
	struct chunk *ch;
	unsigned long n;
	int err;

	for (;;) {
		pthread_mutex_lock(&mig->lock);
		ch = !mig->fatal && !mig->cancelled && mig->next_chunk < mig->nr_chunks ?
			&mig->chunks[mig->next_chunk++] : NULL;
		pthread_mutex_unlock(&mig->lock);
		if (!ch)
			break;
		err = process_exited(mig) ? ESRCH : do_chunk(w, ch);
		if (err && err != ENOSPC) {
			set_fatal(mig, err);
			break;
		}
		if (mig->phase == PHASE_SURVEY)
			continue;	/* nothing done yet: the call comes after */
		n = (ch->end - ch->start) / cdm__page_size();
		pthread_mutex_lock(&mig->lock);
		mig->done += n;
		/* (the answers for chunks finishing after a cancel change nothing) */
		if (mig->progress && mig->progress(mig, mig->done, mig->total, mig->progress_data))
			mig->cancelled = true;
		pthread_mutex_unlock(&mig->lock);
		if (err) {	/* the chunk is counted; none after it would fit either */
			set_fatal(mig, err);
			break;
		}
	}
	return NULL;
}

static void worker_free(struct worker *w)
{
	free(w->buf);
	w->buf = NULL;
}

/* Point @array at the next @count entries of the buffer at *@p */
#define CARVE(p, array, count) ((array) = (void *)(p), (p) += (count) * sizeof(*(array)))

static int worker_init(struct worker *w, struct cdm_migration *mig)
{
	size_t n = mig->batch;
	char *p;

	memset(w, 0, sizeof(*w));
	w->mig = mig;
	/* a chunk's blocks, and one more at each end for regions clipped there */
	w->nr_blocks = (mig->huge_pages ? n / mig->huge_pages : 0) + 2;
	/* 8-byte entries first, then the 4-byte ones: each stays aligned */
	p = w->buf = malloc(n * (2 * sizeof(void *) + 6 * sizeof(int)) +
			    w->nr_blocks * (sizeof(*w->heads) + sizeof(*w->regions)));
	if (!p)
		return -ENOMEM;
	CARVE(p, w->pages, n);
	CARVE(p, w->list, n);
	CARVE(p, w->heads, w->nr_blocks);
	CARVE(p, w->regions, w->nr_blocks);
	CARVE(p, w->before, n);
	CARVE(p, w->after, n);
	CARVE(p, w->mstatus, n);
	CARVE(p, w->nodes, n);
	CARVE(p, w->reason, n);
	CARVE(p, w->index, n);
	return 0;
}

/*
 * The workers, this thread among them; their counts summed into mig->c.
 * The threads libcdm starts have every signal blocked from their first
 * instruction (they inherit the mask this thread has while creating them),
 * so the application's handlers run on its own threads only; this
 * thread's mask is given back as it was.
 * A worker that cannot be set up (its buffers, its thread) stops the
 * set-up there: fewer workers move the same pages, taking its chunks, so
 * the run goes on with those started and says so. Without even this
 * thread's buffers it fails before moving anything.
 */
static int run_workers(struct cdm_migration *mig)
{
	struct worker workers[MAX_THREADS];
	pthread_t tids[MAX_THREADS];
	unsigned int i, started = 0;
	sigset_t all, caller;
	int err = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &caller);
	for (i = 0; i < mig->threads && !err; i++) {
		err = worker_init(&workers[i], mig) ? ENOMEM : 0;
		if (!err && i) {
			err = pthread_create(&tids[i], NULL, worker_main, &workers[i]);
			if (err)
				worker_free(&workers[i]);
		}
		started += !err;
	}
	pthread_sigmask(SIG_SETMASK, &caller, NULL);
	if (!started)
		return cdm__fail(mig->ctx, ENOMEM, "pid %d: out of memory", mig->pid);
	if (err)
		cdm_info(mig->ctx, "pid %d: running with %u of %u threads: thread %u: %s",
			 mig->pid, started, mig->threads, started + 1, strerror(err));
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
		mig->c.not_attempted += workers[i].c.not_attempted;
		mig->c.skipped += workers[i].c.skipped;
		worker_free(&workers[i]);
	}
	return 0;
}

/* What the run returns once every worker is done: see libcdm.h */
static int run_result(struct cdm_migration *mig)
{
	unsigned long long left = mig->c.busy + mig->c.failed + mig->c.not_attempted;

	if (mig->fatal)
		return cdm__relay_error(mig->ctx, mig->fatal, mig->fatal_msg);
	cdm_dbg(mig->ctx, "pid %d -> node %d: %llu pages, %llu moved, %llu already, %llu busy, "
		"%llu failed, %llu not attempted, %llu shared, %llu skipped", mig->pid,
		mig->to_node, mig->c.pages, mig->c.moved, mig->c.already, mig->c.busy,
		mig->c.failed, mig->c.not_attempted, mig->c.shared, mig->c.skipped);
	if (mig->cancelled)
		return cdm__fail(mig->ctx, ECANCELED, "pid %d: cancelled by the progress callback "
				 "after %llu of %llu pages", mig->pid, mig->c.pages, mig->total);
	if (left)
		return cdm__fail(mig->ctx, EAGAIN, "pid %d: %llu of %llu pages could not move to node %d",
				 mig->pid, left, left + mig->c.moved, mig->to_node);
	return 0;
}

/*
 * Has the caller CAP_SYS_NICE? move_pages(2) asks for it before anything
 * else when it is to move shared pages (MPOL_MF_MOVE_ALL): a call of no
 * page says EPERM without it. (cdm__check_access() has just ruled out
 * the EPERM of ptrace access, asking with no flag.)
 */
static int has_cap_sys_nice(struct cdm_migration *mig, bool *cap)
{
	long rc = cdm__move_pages(mig->ctx, mig->pid, 0, NULL, NULL, NULL, MPOL_MF_MOVE_ALL);

	*cap = rc >= 0;
	if (rc < 0 && rc != -EPERM)
		return cdm__pid_error(mig->ctx, mig->pid, -rc, "moving pages");
	return 0;
}

/*
 * The system call for this run (see libcdm.h: AUTO), once the caller's
 * CAP_SYS_NICE is known where it matters: moving shared pages needs it,
 * and migrate_pages(2) moves shared pages whenever the caller has it, so
 * it is taken only when that is what was asked.
 */
static int choose_method(struct cdm_migration *mig)
{
	bool shared = mig->flags & CDM_MIGRATE_SHARED, whole = !mig->end, cap = false;
	enum cdm_migrate_method method = mig->method;
	int rc;

	if (shared || (whole && (method == CDM_MIGRATE_METHOD_MIGRATE_PAGES ||
				 (method == CDM_MIGRATE_METHOD_AUTO && mig->has_from)))) {
		rc = has_cap_sys_nice(mig, &cap);
		if (rc)
			return rc;
	}
	if (shared && !cap)
		return cdm__fail(mig->ctx, EPERM, "pid %d: moving shared pages needs CAP_SYS_NICE",
				 mig->pid);
	if (method == CDM_MIGRATE_METHOD_MIGRATE_PAGES && cap && !shared)
		return cdm__fail(mig->ctx, EINVAL, "pid %d: migrate_pages(2) would move shared "
				 "pages too (the caller has CAP_SYS_NICE): set CDM_MIGRATE_SHARED, "
				 "or use move_pages(2)", mig->pid);
	if (method == CDM_MIGRATE_METHOD_AUTO)
		method = whole && mig->has_from && cap == shared ?
			CDM_MIGRATE_METHOD_MIGRATE_PAGES : CDM_MIGRATE_METHOD_MOVE_PAGES;
	mig->method_used = method;
	return 0;
}

/*
 * A whole process through migrate_pages(2): survey the chunks, one call,
 * settle the chunks (see the top of the file). The call itself cannot be
 * stopped: progress is reported, and the run may be cancelled, while the
 * chunks are settled.
 */
static int run_migrate_pages(struct cdm_migration *mig)
{
	struct cdm_nodeset from, to;
	long rc;
	int err;

	if (mig->has_from) {
		from = mig->from;
	} else {
		err = cdm_get_memory_nodes(mig->ctx, &from);
		if (err)
			return err;
		cdm_nodeset_del(&from, mig->to_node);
	}
	cdm_nodeset_zero(&to);
	cdm_nodeset_add(&to, mig->to_node);
	mig->phase = PHASE_SURVEY;
	err = run_workers(mig);
	if (err || mig->fatal)
		return err;
	if (process_exited(mig))
		return cdm__pid_error(mig->ctx, mig->pid, ESRCH, "moving pages");
	rc = cdm__migrate_pages(mig->ctx, mig->pid, &from, &to);
	if (rc == -EPERM)	/* ptrace access was asked first: this is the cpuset */
		return cdm__fail(mig->ctx, EACCES, "pid %d: node %d is not in its cpuset's mems "
				 "(migrate_pages(2): CAP_SYS_NICE overrides that)", mig->pid,
				 mig->to_node);
	if (rc < 0 && rc != -ENOMEM)
		return cdm__pid_error(mig->ctx, mig->pid, -rc, "moving pages");
	if (rc > 0)
		cdm_info(mig->ctx, "pid %d: migrate_pages(2) could not move %ld pages or folios; "
			 "asking move_pages(2) about the pages left", mig->pid, rc);
	mig->target_full = rc == -ENOMEM;
	/* where settled source pages "were": any node from_source() takes */
	mig->settle_source = mig->has_from ? cdm_nodeset_next(&mig->from, -1) : !mig->to_node;
	mig->phase = PHASE_SETTLE;
	mig->next_chunk = 0;
	err = run_workers(mig);
	if (!err && mig->target_full)
		set_fatal(mig, ENOSPC);	/* every chunk counted; an earlier error stands */
	return err;
}

static void free_sources(struct cdm_migration *mig)
{
	size_t i;

	for (i = 0; i < mig->nr_chunks; i++) {
		free(mig->chunks[i].sources);
		mig->chunks[i].sources = NULL;
	}
}

CDM_EXPORT int cdm_migration_run(struct cdm_migration *mig)
{
	struct cdm_vma *vmas;
	size_t nr;
	int rc;

	cdm__clear_error(mig->ctx);
	memset(&mig->c, 0, sizeof(mig->c));
	mig->nr_failed = 0;
	mig->fatal = 0;
	mig->fatal_msg[0] = '\0';
	mig->huge_unknown[0] = '\0';
	mig->next_chunk = 0;
	mig->done = 0;
	mig->cancelled = false;
	mig->target_full = false;
	mig->method_used = CDM_MIGRATE_METHOD_AUTO;
	rc = pin_process(mig);
	if (rc)
		return rc;
	rc = cdm__check_access(mig->ctx, mig->pid, "moving pages");
	if (!rc)
		rc = choose_method(mig);
	if (!rc)
		rc = cdm__collect_ranges(mig->ctx, mig->pid, mig->start, mig->end, &vmas, &nr);
	if (!rc) {
		rc = cdm__find_huge(mig->ctx, mig->pid, mig->start, mig->end, &vmas, &nr,
				    &mig->scan_err);
		if (!rc)
			rc = make_chunks(mig, vmas, nr);
		free(vmas);
	}
	if (!rc && mig->method_used == CDM_MIGRATE_METHOD_MIGRATE_PAGES) {
		rc = run_migrate_pages(mig);
	} else if (!rc) {
		mig->phase = PHASE_MOVE;
		rc = run_workers(mig);
	}
	free_sources(mig);
	unpin_process(mig);
	return rc ? rc : run_result(mig);
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
MIGRATION_COUNTER(not_attempted, not_attempted)
MIGRATION_COUNTER(skipped, skipped)

CDM_EXPORT enum cdm_migrate_method cdm_migration_get_method_used(struct cdm_migration *mig)
{
	return mig->method_used;
}

CDM_EXPORT int cdm_migration_get_huge_moved(struct cdm_migration *mig, unsigned long long *folios)
{
	if (!folios)
		return cdm__fail(mig->ctx, EINVAL, "pid %d: huge folios moved: NULL pointer for "
				 "the count", mig->pid);
	if (mig->huge_unknown[0])
		return cdm__fail(mig->ctx, ENODATA, "pid %d: huge folios moved: unknown: %s",
				 mig->pid, mig->huge_unknown);
	*folios = mig->c.huge;
	return 0;
}

CDM_EXPORT int cdm_migration_get_nr_failed_pages(struct cdm_migration *mig)
{
	return mig->nr_failed;
}

CDM_EXPORT int cdm_migration_get_failed_page(struct cdm_migration *mig, int index,
					     uint64_t *addr, int *err)
{
	if (index < 0 || (unsigned int)index >= mig->nr_failed)
		return cdm__fail(mig->ctx, ERANGE, "failed page %d: only %u recorded",
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
