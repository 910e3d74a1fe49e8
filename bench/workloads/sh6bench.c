/* SPDX-License-Identifier: MIT */
/*
 * sh6bench - a ring of blocks of sweeping sizes, a fifth kept across each
 * turn, more threads than CPUs: after MicroQuill's sh6bench (SmartHeap's
 * portable benchmark, ANSI malloc/free build) with mimalloc-bench's patch
 * (call count 10000, each block's first and last byte written, the thread
 * count from the command line) and as mimalloc-bench runs it:
 * `sh6bench 2N` (sh6benchN), twice as many threads as CPUs.
 *
 * What it does, with the published parameters, in each of the 2N threads
 * (no object is shared):
 *   - a ring of 10000 / 2N pointer slots (the call count divided among the
 *     threads);
 *   - that many repetitions of a size sweep: size bases 1, 2, 4, 7, 11, ...
 *     (each 3/2 of the last, plus one) below 1000, and for each base the
 *     sizes base, base/2, base/4, ... 1; of each size 250 blocks when it is
 *     under 100 bytes, else 50: about 19,300 blocks a repetition;
 *   - each block is malloc'd into the next slot of the ring, skipping the
 *     part kept from the last turn; when the ring is full, a new fifth of
 *     it (after the last kept part) is kept, the blocks before it are freed
 *     in allocation order and those after it in reverse order, and the
 *     ring starts again from its first slot;
 *   - at the end, what is left is freed.
 *
 * Where it differs: the original does 10000 / 2N repetitions per thread;
 * the default here does a tenth of that (scale 1), --published all of
 * them. Blocks get a tag in their first and last bytes (the patched
 * original writes a zero there) and are checked before they are freed. The
 * original tests for the kept part only after a block has been stored, so
 * when the kept fifth is at the start of the ring, it writes over it (and
 * those blocks leak); here that part is skipped as any other kept part is.
 * It also leaks what the ring holds at the end; here all of it is freed.
 *
 * Metric: blocks (one malloc and its free) per second, all threads.
 *
 * Usage: wl-sh6bench [threads [scale]] [--call-count N] [--max-size N] [--published]
 */
#include "wl.h"

struct slot {
	char *p;
	uint32_t size;
	uint32_t serial;
};

struct worker {
	_Alignas(WL_CACHE_LINE) pthread_t thread;
	unsigned id;
	double blocks;
};

static unsigned long slots_per_thread, repeats, max_size = 1000;

static inline uint64_t tag_of(const struct worker *w, const struct slot *s)
{
	return wl_tag_of(w->id, s->serial);
}

static void release(const struct worker *w, struct slot *s)
{
	wl_tag_check(s->p, s->size, tag_of(w, s), "sh6bench");
	free(s->p);
	s->p = NULL;
}

static void *bench(void *arg)
{
	struct worker *w = arg;
	unsigned long n = slots_per_thread;
	struct slot *ring = wl_malloc(n * sizeof(*ring));
	size_t mp = 0, save_start = n, save_end = n; /* indices into the ring */
	uint32_t serial = 0;
	double blocks = 0;

	memset(ring, 0, n * sizeof(*ring));
	for (unsigned long rep = 0; rep < repeats; rep++) {
		for (unsigned long base = 1; base < max_size; base = base * 3 / 2 + 1) {
			for (unsigned long size = base; size; size /= 2) {
				unsigned iterations = size < 100     ? 250
				                      : size < 1000  ? 50
				                      : size < 10000 ? 10
				                                     : 1;

				while (iterations--) {
					struct slot *s = &ring[mp++];

					s->p = wl_malloc(size);
					s->size = (uint32_t)size;
					s->serial = ++serial;
					wl_tag_put(s->p, size, tag_of(w, s));
					blocks++;

					if (mp ==
					    save_start) /* skip the part kept from the last turn */
						mp = save_end;
					if (mp >= n) {
						/* Keep the next fifth; free the rest, the part
						 * before it in order, the part after in reverse. */
						save_start = save_end >= n ? 0 : save_end;
						save_end = save_start + n / 5;
						if (save_end > n)
							save_end = n;
						for (mp = 0; mp < save_start; mp++)
							release(w, &ring[mp]);
						for (mp = n; mp > save_end; mp--)
							release(w, &ring[mp - 1]);
						/* A kept part at the start of the ring is
						 * skipped too (see the head of the file). */
						mp = save_start == 0 ? save_end : 0;
					}
				}
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		if (ring[i].p)
			release(w, &ring[i]);
	free(ring);
	w->blocks = blocks;
	return NULL;
}

int main(int argc, char **argv)
{
	static struct worker workers[WL_MAX_THREADS];
	unsigned long call_count = 10000;
	struct wl_args a = {.threads = 2 * wl_nprocs(),
	                    .scale = 1,
	                    .quick_scale = 0.1,
	                    .seed = 1,
	                    .published_help = "call count / threads repetitions, as the original"};
	const struct wl_opt opts[] = {
	    {"call-count", WL_OPT_UINT, &call_count,
	     "ring slots (and repetitions) of all threads together (default 10000)"},
	    {"max-size", WL_OPT_UINT, &max_size, "size bases stay below this (default 1000)"},
	    {0},
	};

	wl_name = "sh6bench";
	wl_parse_args(argc, argv,
	              "sh6bench: per thread, a ring of blocks of sweeping sizes 1 - 1000 B, a "
	              "fifth kept across each turn.",
	              &a, opts);
	slots_per_thread = call_count / a.threads;
	if (slots_per_thread < 5 || max_size < 2)
		wl_fail("bad parameters (call count at least 5 per thread)");
	repeats = a.published ? slots_per_thread : wl_scaled(slots_per_thread / 10, a.scale, 1);
	printf("# sh6bench: %lu threads, %lu ring slots and %lu repetitions each, sizes 1-%lu\n",
	       a.threads, slots_per_thread, repeats, max_size - 1);

	double start = wl_now();
	for (unsigned i = 0; i < a.threads; i++) {
		workers[i].id = i;
		wl_spawn(&workers[i].thread, bench, &workers[i]);
	}
	double blocks = 0;
	for (unsigned i = 0; i < a.threads; i++) {
		wl_join(workers[i].thread);
		blocks += workers[i].blocks;
	}
	double elapsed = wl_now() - start;

	wl_result("throughput", blocks / elapsed, "ops/s");
	wl_result("time", elapsed, "s");
	wl_result_ops(blocks);
	return 0;
}
