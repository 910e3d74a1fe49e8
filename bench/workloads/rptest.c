/* SPDX-License-Identifier: MIT */
/*
 * rptest - random sizes at scattered positions, with batches freed by other
 * threads: after rpmalloc's benchmark (Mattias Jansson's rpmalloc-benchmark,
 * "random position" test) as mimalloc-bench carries it and runs it:
 *
 *   rptest N 0 1 2 500 1000 100 8 16000          (rptestN)
 *
 * that is: N threads (the number of CPUs); random sizes (mode 0) with a
 * linear drop-off (size mode 1); a cross-thread batch every 2nd loop;
 * 500 loops an iteration; 1000 live slots a thread; 100 operations a loop
 * (scaled, see below); sizes 8 to 16000 bytes.
 *
 * What it does, per thread, with those parameters:
 *   - a table of 2000 sizes, min + (max - min) c |a + b - 1| (a, b, c
 *     uniform in [0, 1)): small sizes most likely, falling off towards
 *     16000, mean about 2.7 KB; the threads walk it from different places;
 *   - a loop: free the batches other threads have sent it (every object,
 *     then the batch); free 24 to 79 slots (a table of counts, 0.8 x 30..99)
 *     stepping through the slots with a stride of 11; allocate 30 to 99
 *     objects (a table of counts) stepping with a stride of 7, freeing what
 *     a slot held first; every 2nd loop, also allocate a batch of as many
 *     objects again and send it to the next thread (round robin): that
 *     thread frees them;
 *   - allocations cycle through calloc(1, n), memalign(8, n) and
 *     memalign(16, n) (objects of 4096 bytes and more: calloc), the memalign
 *     ones memset in full (rpmalloc-benchmark's crt back end: every byte is
 *     touched); then a word at the start, a byte in each page and the last
 *     byte are written;
 *   - 2 iterations of 500 loops, each ending with the threads waiting for
 *     one another, draining their batches and freeing all their slots; the
 *     whole is run twice, with new threads (the original's main loop);
 *   - the figure: memory operations (every malloc, calloc, memalign and
 *     free, batches included) per second of the timed parts (the loops, the
 *     final frees and the batches freed while waiting, not the waiting
 *     itself), the seconds summed over the threads: the original's "memory
 *     ops/CPU second", about one thread's rate. The wall-clock rate of all
 *     threads together is a second figure.
 *
 * Where it differs: the original is that short (it sleeps a second at each
 * of its synchronisation points, outside the timing); the default run here
 * repeats the whole 5 times (scale 1: 10 runs of new threads), and
 * --published does the original's 2. Its tables of sizes and counts are
 * fixed lists of random numbers; ours are drawn (seeded) from the same
 * distributions. Its threads synchronise through a main thread that sleeps;
 * ours wait for one another directly. Each object carries a tag at both ends,
 * checked before it is freed; calloc's zeroing and memalign's alignment are
 * checked too.
 *
 * Usage: wl-rptest [threads [scale]] [--runs N] [--loops N] [--allocs N]
 *                  [--op-count N] [--cross-rate N] [--min-size N]
 *                  [--max-size N] [--published]
 */
#include "wl.h"

#include <malloc.h>
#include <sched.h>
#include <stdatomic.h>

#define NSIZES     2000
#define NALLOC_OPS 311 /* table lengths: primes, so the two tables drift */
#define NFREE_OPS  257

struct batch {
	void **objs;
	size_t count;
	struct batch *next;
};

struct worker {
	_Alignas(WL_CACHE_LINE) pthread_t thread;
	unsigned id;
	_Atomic(struct batch *) inbox;
	uint64_t ops;
	double busy; /* seconds in the timed parts */
	void **slots;
	uint32_t serial;
	unsigned long cross;
};

static unsigned long nthreads, loops = 500, allocs = 1000, op_count = 100, cross_rate = 2;
static unsigned long min_size = 8, max_size = 16000;
static size_t sizes[NSIZES];
static unsigned long alloc_ops[NALLOC_OPS], free_ops[NFREE_OPS];
static unsigned long alloc_stride, free_stride;
static struct worker workers[WL_MAX_THREADS];
/* Per inner iteration (two a run): threads that have finished its loops. */
static _Atomic unsigned long finished[2];
static _Atomic unsigned long freed[2];

/* The size of an object is in its head tag's check: the tag covers the
 * size, so a block is checked without a table of sizes. */
static inline uint64_t obj_tag(uint32_t serial, unsigned id, size_t size)
{
	return wl_tag_of(((uint64_t)id << 32) | serial, size);
}

struct objhead {
	uint32_t size;
	uint32_t serial;
};

/* rpmalloc-benchmark's crt allocation: calloc, or memalign and a memset of
 * every byte. */
static void *alloc_touched(size_t align, size_t size)
{
	void *p;

	if (align) {
		p = memalign(align, size);
		if (!p)
			wl_fail("memalign(%zu, %zu) returned NULL", align, size);
		if ((uintptr_t)p & (align - 1))
			wl_fail("memalign(%zu, %zu) returned %p", align, size, p);
		memset(p, 0xcd, size);
	} else {
		p = calloc(1, size);
		if (!p)
			wl_fail("calloc(1, %zu) returned NULL", size);
		if (((unsigned char *)p)[size / 2] || ((unsigned char *)p)[size - 1])
			wl_fail("calloc(1, %zu) returned %p, not zeroed", size, p);
	}
	wl_escape(p);
	return p;
}

/* An object: its size and serial in the first 8 bytes (the original writes
 * the size there), a tag in the last 8 (for the smallest, 8 to 15 bytes:
 * over the whole tail past the head), a byte in each page between. */
static void *obj_new(struct worker *w, size_t align, size_t size)
{
	unsigned char *p = alloc_touched(align, size);
	struct objhead h = {(uint32_t)size, ++w->serial};
	uint64_t tag = obj_tag(h.serial, w->id, size);

	memcpy(p, &h, sizeof(h));
	if (size >= 16)
		memcpy(p + size - 8, &tag, 8);
	else
		for (size_t i = 8; i < size; i++)
			p[i] = (unsigned char)(tag >> (8 * (i % 8)));
	for (size_t page = 1; page < (size - 1) / 4096; page++)
		p[page * 4096] = 1;
	return p;
}

static void obj_free(void *obj, unsigned owner)
{
	unsigned char *p = obj;
	struct objhead h;
	uint64_t tag, t;

	memcpy(&h, p, sizeof(h));
	if (h.size < min_size || h.size > max_size)
		wl_fail("object %p: head overwritten (size %u)", obj, h.size);
	tag = obj_tag(h.serial, owner, h.size);
	if (h.size >= 16) {
		memcpy(&t, p + h.size - 8, 8);
		if (t != tag)
			wl_fail("object %p (%u bytes): tail overwritten", obj, h.size);
	} else {
		for (size_t i = 8; i < h.size; i++)
			if (p[i] != (unsigned char)(tag >> (8 * (i % 8))))
				wl_fail("object %p (%u bytes): tail overwritten", obj, h.size);
	}
	free(obj);
}

/* Batches are pushed onto the receiver's inbox and taken all at once. */
static void send_batch(struct worker *to, struct batch *b)
{
	struct batch *head = atomic_load(&to->inbox);

	do
		b->next = head;
	while (!atomic_compare_exchange_weak(&to->inbox, &head, b));
}

/* Free every batch in W's inbox; the number of frees. */
static uint64_t drain(struct worker *w)
{
	struct batch *b = atomic_exchange(&w->inbox, NULL);
	uint64_t n = 0;

	while (b) {
		struct batch *next = b->next;
		/* The sender's id is in the pointer array's last word. */
		unsigned owner = (unsigned)(uintptr_t)b->objs[b->count];

		n += b->count + 2;
		for (size_t i = 0; i < b->count; i++)
			obj_free(b->objs[i], owner);
		free(b->objs);
		free(b);
		b = next;
	}
	return n;
}

static void wait_all(_Atomic unsigned long *counter, struct worker *w, uint64_t *ops)
{
	atomic_fetch_add(counter, 1);
	while (atomic_load(counter) < nthreads) {
		double t0 = wl_now();
		uint64_t n = drain(w);

		if (n) {
			*ops += n;
			w->busy += wl_now() - t0;
		}
		sched_yield();
	}
}

static void *run(void *arg)
{
	static const size_t aligns[3] = {0, 8, 16};
	struct worker *w = arg;
	size_t alloc_idx = 0, free_idx = 0;

	/* The slot array, from the allocator under test (as the original). */
	w->slots = alloc_touched(16, allocs * sizeof(void *));
	memset(w->slots, 0, allocs * sizeof(void *));

	for (unsigned iter = 0; iter < 2; iter++) {
		size_t size_index = ((w->id + 1) * ((iter + 1) * 37)) % NSIZES;
		bool do_cross = true;
		uint64_t ops = 0;

		for (unsigned long loop = 0; loop < loops; loop++) {
			double t0 = wl_now();
			struct batch *b = NULL;
			unsigned long nfree = free_ops[(iter + loop) % NFREE_OPS];
			unsigned long nalloc = alloc_ops[(iter + loop) % NALLOC_OPS];

			for (unsigned long i = 0; i < nfree; i++) {
				if (w->slots[free_idx]) {
					obj_free(w->slots[free_idx], w->id);
					w->slots[free_idx] = NULL;
					ops++;
				}
				free_idx = (free_idx + free_stride) % allocs;
			}
			ops += drain(w);
			for (unsigned long i = 0; i < nalloc; i++) {
				size_t size = sizes[(size_index + 2) % NSIZES];

				if (w->slots[alloc_idx]) {
					obj_free(w->slots[alloc_idx], w->id);
					ops++;
				}
				w->slots[alloc_idx] = obj_new(
				    w, size < 4096 ? aligns[(size_index + i) % 3] : 0, size);
				ops++;
				alloc_idx = (alloc_idx + alloc_stride) % allocs;
				size_index = (size_index + 1) % NSIZES;
			}
			if (cross_rate && loop % cross_rate == 0 && do_cross) {
				b = alloc_touched(16, sizeof(*b));
				b->count = nalloc;
				/* one word more: the sender's id */
				b->objs = alloc_touched(16, (nalloc + 1) * sizeof(void *));
				b->objs[nalloc] = (void *)(uintptr_t)w->id;
				ops += 2;
				for (unsigned long i = 0; i < nalloc; i++) {
					size_t size = sizes[(size_index + 2) % NSIZES];

					b->objs[i] = obj_new(
					    w, size < 4096 ? aligns[(size_index + i) % 3] : 0,
					    size);
					ops++;
					size_index = (size_index + 1) % NSIZES;
				}
			}
			w->busy += wl_now() - t0;
			if (b) {
				w->cross = (w->cross + 1) % nthreads;
				if (nthreads > 1 && w->cross == w->id)
					w->cross = (w->cross + 1) % nthreads;
				send_batch(&workers[w->cross], b);
			}
			if (atomic_load_explicit(&finished[iter], memory_order_relaxed))
				do_cross = false; /* a thread has finished its loops */
		}

		/* Wait for the others, taking their batches meanwhile; no batch is
		 * made once all have finished their loops: one more drain gets the
		 * rest. Then free every slot. */
		wait_all(&finished[iter], w, &ops);
		double t0 = wl_now();
		ops += drain(w);
		for (unsigned long i = 0; i < allocs; i++)
			if (w->slots[i]) {
				obj_free(w->slots[i], w->id);
				w->slots[i] = NULL;
				ops++;
			}
		w->busy += wl_now() - t0;
		wait_all(&freed[iter], w, &ops);
		w->ops += ops;
	}
	free(w->slots);
	return NULL;
}

static bool divides(unsigned long p, unsigned long n)
{
	return n % p == 0;
}

int main(int argc, char **argv)
{
	static const unsigned long primes[] = {7,  11, 13, 17, 19, 23, 29, 31, 37,
	                                       41, 43, 47, 53, 59, 61, 67, 71, 73};
	unsigned long runs = 10;
	struct wl_args a = {.threads = wl_nprocs(),
	                    .scale = 1,
	                    .quick_scale = 0.1,
	                    .seed = 1,
	                    .published_help = "2 runs of new threads, as the original"};
	const struct wl_opt opts[] = {
	    {"runs", WL_OPT_UINT, &runs,
	     "runs (new threads, 2 iterations each) at scale 1 (default 10; the original: 2)"},
	    {"loops", WL_OPT_UINT, &loops, "loops an iteration (default 500)"},
	    {"allocs", WL_OPT_UINT, &allocs, "live slots a thread (default 1000)"},
	    {"op-count", WL_OPT_UINT, &op_count,
	     "operations a loop: allocations 0.3 - 0.99 x, frees 0.24 - 0.79 x this (default 100)"},
	    {"cross-rate", WL_OPT_UINT, &cross_rate,
	     "a batch to another thread every N loops, 0: none (default 2)"},
	    {"min-size", WL_OPT_UINT, &min_size, "smallest object (default 8)"},
	    {"max-size", WL_OPT_UINT, &max_size, "largest object (default 16000)"},
	    {0},
	};
	struct wl_rng rng;
	size_t even[NSIZES];
	double busy = 0, ops = 0;

	wl_name = "rptest";
	wl_parse_args(argc, argv,
	              "rptest: random sizes 8 - 16000 B at scattered slots, batches freed by "
	              "the next thread.",
	              &a, opts);
	if (min_size < 8 || max_size < min_size || max_size > UINT32_MAX || !allocs || !loops)
		wl_fail("bad parameters (sizes of at least 8 bytes)");
	nthreads = a.threads;
	if (nthreads == 1)
		cross_rate = 0;
	runs = a.published ? 2 : wl_scaled(runs, a.scale, 1);

	/* The first prime that does not divide the slot count, and the next. */
	unsigned ip = 0;
	while (divides(primes[ip], allocs))
		ip++;
	alloc_stride = primes[ip++];
	while (divides(primes[ip], allocs))
		ip++;
	free_stride = primes[ip];

	wl_rng_init(&rng, a.seed, ~0ULL);
	size_t range = max_size - min_size;
	for (unsigned i = 0; i < NSIZES; i++)
		even[i] = min_size + (size_t)wl_below(&rng, range + 1);
	for (unsigned i = 0; i < NSIZES; i++) {
		double r = range ? (double)range : 1;
		double w0 = 1 - (double)(even[i] - min_size) / r;
		double w1 = 1 - (double)(even[(i + 1) % NSIZES] - min_size) / r;
		double e = (double)(even[(i + 2) % NSIZES] - min_size);
		double d = w0 + w1 - 1;

		sizes[i] = min_size + (size_t)(e * (d < 0 ? -d : d));
	}
	for (unsigned i = 0; i < NALLOC_OPS; i++)
		alloc_ops[i] =
		    (unsigned long)((double)op_count * (double)wl_range(&rng, 30, 99) / 100);
	for (unsigned i = 0; i < NFREE_OPS; i++)
		free_ops[i] =
		    (unsigned long)(0.8 * (double)op_count * (double)wl_range(&rng, 30, 99) / 100);

	printf("# rptest: %lu threads, %lu runs x 2 iterations x %lu loops, %lu slots, "
	       "%lu operations a loop, cross rate %lu, sizes %lu-%lu (linear drop-off)\n",
	       nthreads, runs, loops, allocs, op_count, cross_rate, min_size, max_size);

	double start = wl_now();
	for (unsigned long r = 0; r < runs; r++) {
		atomic_store(&finished[0], 0);
		atomic_store(&finished[1], 0);
		atomic_store(&freed[0], 0);
		atomic_store(&freed[1], 0);
		for (unsigned i = 0; i < nthreads; i++) {
			struct worker *w = &workers[i];

			w->id = i;
			w->ops = 0;
			w->busy = 0;
			w->cross = i;
			atomic_store(&w->inbox, NULL);
			wl_spawn(&w->thread, run, w);
		}
		for (unsigned i = 0; i < nthreads; i++) {
			wl_join(workers[i].thread);
			busy += workers[i].busy;
			ops += (double)workers[i].ops;
		}
	}
	double elapsed = wl_now() - start;

	wl_result("throughput", ops / busy, "ops/s");
	wl_result("wall_throughput", ops / elapsed, "ops/s");
	wl_result("time", elapsed, "s");
	wl_result_ops(ops);
	return 0;
}
