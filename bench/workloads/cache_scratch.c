/* SPDX-License-Identifier: MIT */
/*
 * cache-scratch - passive false sharing, after the cache-scratch benchmark
 * of the Hoard paper (Berger, McKinley, Blumofe and Wilson, ASPLOS 2000).
 *
 * The main thread allocates one small object per thread, one after the
 * other (so that they are likely to share a cache line), and hands one to
 * each thread. Each thread frees the object it was given, then, for its
 * share of the iterations, allocates a small object, writes every byte of
 * it many times, checks it and frees it. An allocator that gives a freed
 * object to the thread that freed it (rather than back to its owner) hands
 * the threads neighbouring objects, and their writes fight over the line.
 *
 * Metric: seconds for all the iterations (lower is better).
 *
 * Usage: wl-cache-scratch [threads [scale]] [--iterations N] [--obj-size N]
 *                         [--writes N]
 */
#include "wl.h"

struct worker {
	_Alignas(WL_CACHE_LINE) pthread_t thread;
	unsigned id;
	unsigned long iterations;
	unsigned char *given;
	unsigned char given_init;
};

static unsigned long obj_size = 8, writes = 500000;

static void *scratch(void *arg)
{
	struct worker *w = arg;

	for (unsigned long k = 0; k < obj_size; k++)
		if (w->given[k] != w->given_init)
			wl_fail("thread %u: object %p handed over overwritten", w->id,
			        (void *)w->given);
	free(w->given);
	for (unsigned long i = 0; i < w->iterations; i++) {
		volatile unsigned char *obj = wl_malloc(obj_size);
		unsigned char init = (unsigned char)(w->id * 31 + i);

		for (unsigned long k = 0; k < obj_size; k++)
			obj[k] = init;
		for (unsigned long r = 0; r < writes; r++)
			for (unsigned long k = 0; k < obj_size; k++)
				obj[k]++;
		for (unsigned long k = 0; k < obj_size; k++)
			if (obj[k] != (unsigned char)(init + writes))
				wl_fail("thread %u: object %p byte %lu is %u, expected %u", w->id,
				        (void *)obj, k, obj[k], (unsigned char)(init + writes));
		free((void *)obj);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static struct worker workers[WL_MAX_THREADS];
	unsigned long iterations = 1000;
	struct wl_args a = {.threads = 2, .scale = 1, .quick_scale = 0.3, .seed = 1};
	const struct wl_opt opts[] = {
	    {"iterations", WL_OPT_UINT, &iterations,
	     "allocations at scale 1, shared among the threads (default 1000)"},
	    {"obj-size", WL_OPT_UINT, &obj_size, "object size in bytes (default 8)"},
	    {"writes", WL_OPT_UINT, &writes, "writes to each byte of an object (default 500000)"},
	    {0},
	};

	wl_name = "cache-scratch";
	wl_parse_args(argc, argv,
	              "Hoard's cache-scratch: threads free objects the main thread allocated, "
	              "then allocate, write and free their own (passive false sharing).",
	              &a, opts);
	if (!obj_size || !writes)
		wl_fail("bad parameters");
	iterations = wl_scaled(iterations, a.scale, a.threads);
	printf("# cache-scratch: %lu threads, %lu iterations, %lu-byte objects, %lu writes\n",
	       a.threads, iterations, obj_size, writes);

	/* One after the other, in the main thread: neighbours. */
	for (unsigned i = 0; i < a.threads; i++) {
		workers[i].given = wl_malloc(obj_size);
		workers[i].given_init = (unsigned char)(0xa5 + i);
		memset(workers[i].given, workers[i].given_init, obj_size);
	}

	double start = wl_now();
	for (unsigned i = 0; i < a.threads; i++) {
		workers[i].id = i;
		workers[i].iterations = iterations / a.threads;
		wl_spawn(&workers[i].thread, scratch, &workers[i]);
	}
	for (unsigned i = 0; i < a.threads; i++)
		wl_join(workers[i].thread);
	wl_result("time", wl_now() - start, "s");
	wl_result_ops((double)(iterations / a.threads * a.threads));
	return 0;
}
