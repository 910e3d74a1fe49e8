/* SPDX-License-Identifier: MIT */
/*
 * thread-churn - many short-lived threads. Programs that start a thread
 * per task, or a pool that shrinks and grows, leave the allocator with the
 * caches and heaps of threads that are gone: they must be reclaimed or
 * reused, or the resident set grows with every thread.
 *
 * The main thread starts threads in batches (8 at a time by default) and
 * joins each batch before it starts the next, 10,000 threads in all (--count). Each
 * thread allocates 64 objects of 16 B to 2 KiB, one of 16 - 64 KiB and, one
 * thread in sixteen, one of 256 KiB - 1 MiB; it frees half of them and
 * leaves the other half in a hand-over slot, where the thread with the same
 * slot in the next batch checks and frees them: objects of dead threads
 * freed by other threads.
 *
 * Metric: seconds for all the threads. Secondary: the RSS at the end, and
 * its growth since the first tenth of the run. The growth is checked: more
 * than --rss-limit-mib (default 64) fails the run (exit 1), as a leak.
 *
 * Usage: wl-thread-churn [batch [scale]] [--count N] [--rss-limit-mib N]
 *        (the "threads" argument is the number of threads per batch)
 */
#include "wl.h"

#define SMALL 64

struct obj {
	void *p;
	size_t size;
	uint64_t tag;
};

struct handover {
	struct obj obj[SMALL / 2 + 2];
	unsigned n;
};

struct worker {
	_Alignas(WL_CACHE_LINE) pthread_t thread;
	unsigned slot;
	unsigned long serial; /* thread number */
	uint64_t seed;
	struct handover *hand; /* this slot's hand-over */
};

static void new_obj(struct obj *o, size_t size, uint64_t tag)
{
	o->size = size;
	o->p = wl_malloc(size);
	o->tag = tag;
	wl_tag_put(o->p, size, tag);
	/* Touch a byte per page, as a thread's buffers get written. */
	for (size_t off = 4096; off + 8 < size; off += 4096)
		((unsigned char *)o->p)[off] = (unsigned char)tag;
}

static void free_obj(struct obj *o)
{
	wl_tag_check(o->p, o->size, o->tag, "thread-churn");
	for (size_t off = 4096; off + 8 < o->size; off += 4096)
		if (((unsigned char *)o->p)[off] != (unsigned char)o->tag)
			wl_fail("thread-churn: block %p (%zu bytes) overwritten at %zu", o->p,
			        o->size, off);
	free(o->p);
}

static void *short_lived(void *arg)
{
	struct worker *w = arg;
	struct wl_rng rng;
	struct obj objs[SMALL + 2];
	unsigned n = 0;

	wl_rng_init(&rng, w->seed, w->serial);
	/* First the previous thread's leftovers in this slot. */
	for (unsigned i = 0; i < w->hand->n; i++)
		free_obj(&w->hand->obj[i]);
	w->hand->n = 0;

	for (unsigned i = 0; i < SMALL; i++, n++)
		new_obj(&objs[n], wl_logsize(&rng, 16, 2048), wl_tag_of(w->serial, n));
	new_obj(&objs[n], wl_range(&rng, 16 * 1024, 64 * 1024), wl_tag_of(w->serial, n));
	n++;
	if (w->serial % 16 == 0) {
		new_obj(&objs[n], wl_range(&rng, 256 * 1024, 1024 * 1024), wl_tag_of(w->serial, n));
		n++;
	}
	/* Free the even ones, hand the odd ones on. */
	for (unsigned i = 0; i < n; i++) {
		if (i % 2 == 0)
			free_obj(&objs[i]);
		else
			w->hand->obj[w->hand->n++] = objs[i];
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static struct worker workers[WL_MAX_THREADS];
	static struct handover hand[WL_MAX_THREADS];
	unsigned long count = 10000, rss_limit_mib = 64;
	struct wl_args a = {.threads = 8, .scale = 1, .quick_scale = 0.15, .seed = 1};
	const struct wl_opt opts[] = {
	    {"count", WL_OPT_UINT, &count, "threads in all at scale 1 (default 10000)"},
	    {"rss-limit-mib", WL_OPT_UINT, &rss_limit_mib,
	     "most RSS growth allowed after the first tenth (default 64)"},
	    {0},
	};
	unsigned long rss_early = 0, serial = 0;

	wl_name = "thread-churn";
	wl_parse_args(argc, argv,
	              "thread-churn: start and join many short-lived threads, in batches of "
	              "\"threads\", that allocate and free, and free what the last batch left.",
	              &a, opts);
	unsigned long batches = wl_scaled(count, a.scale, 10 * a.threads) / a.threads;
	printf("# thread-churn: %lu batches of %lu threads\n", batches, a.threads);

	double start = wl_now();
	for (unsigned long b = 0; b < batches; b++) {
		for (unsigned i = 0; i < a.threads; i++) {
			struct worker *w = &workers[i];

			w->slot = i;
			w->serial = serial++;
			w->seed = a.seed;
			w->hand = &hand[i];
			wl_spawn(&w->thread, short_lived, w);
		}
		for (unsigned i = 0; i < a.threads; i++)
			wl_join(workers[i].thread);
		if (b + 1 == batches / 10)
			rss_early = wl_rss_kib();
	}
	for (unsigned i = 0; i < a.threads; i++) {
		for (unsigned j = 0; j < hand[i].n; j++)
			free_obj(&hand[i].obj[j]);
		hand[i].n = 0;
	}
	double elapsed = wl_now() - start;
	unsigned long rss_final = wl_rss_kib();
	long growth = (long)rss_final - (long)rss_early;

	double allocs = 0; /* SMALL + 1 a thread, one more every 16th */
	for (unsigned long s = 0; s < serial; s++)
		allocs += SMALL + 1 + (s % 16 == 0);
	wl_result("time", elapsed, "s");
	wl_result_ops(allocs);
	wl_result("final_rss", (double)rss_final, "KiB");
	wl_result("rss_growth", (double)(growth > 0 ? growth : 0), "KiB");
	if (growth > (long)(rss_limit_mib * 1024))
		wl_fail("RSS grew by %ld KiB (from %lu to %lu KiB) after the first tenth of %lu "
		        "threads: memory of exited threads is not reused",
		        growth, rss_early, rss_final, batches * a.threads);
	return 0;
}
