/* SPDX-License-Identifier: MIT */
/*
 * cache-thrash - active false sharing, after the cache-thrash benchmark of
 * the Hoard paper (Berger, McKinley, Blumofe and Wilson, "Hoard: a scalable
 * memory allocator for multithreaded applications", ASPLOS 2000).
 *
 * T threads share a fixed number of iterations. In each, a thread allocates
 * one small object, writes every byte of it many times, checks it and frees
 * it. Nothing is shared by the program; if the allocator hands objects that
 * lie in one cache line to different threads, their writes fight over the
 * line and the run slows down by an order of magnitude.
 *
 * Metric: seconds for all the iterations (lower is better; with no false
 * sharing it falls as threads are added, up to the number of cores).
 *
 * Usage: wl-cache-thrash [threads [scale]] [--iterations N] [--obj-size N]
 *                        [--writes N]
 */
#include "wl.h"

struct worker {
	_Alignas(WL_CACHE_LINE) pthread_t thread;
	unsigned id;
	unsigned long iterations;
};

static unsigned long obj_size = 8, writes = 500000;

static void *thrash(void *arg)
{
	struct worker *w = arg;

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

	wl_name = "cache-thrash";
	wl_parse_args(argc, argv,
	              "Hoard's cache-thrash: each thread allocates, writes and frees small "
	              "objects (active false sharing).",
	              &a, opts);
	if (!obj_size || !writes)
		wl_fail("bad parameters");
	iterations = wl_scaled(iterations, a.scale, a.threads);
	printf("# cache-thrash: %lu threads, %lu iterations, %lu-byte objects, %lu writes\n",
	       a.threads, iterations, obj_size, writes);

	double start = wl_now();
	for (unsigned i = 0; i < a.threads; i++) {
		workers[i].id = i;
		workers[i].iterations = iterations / a.threads;
		wl_spawn(&workers[i].thread, thrash, &workers[i]);
	}
	for (unsigned i = 0; i < a.threads; i++)
		wl_join(workers[i].thread);
	wl_result("time", wl_now() - start, "s");
	wl_result_ops((double)(iterations / a.threads * a.threads));
	return 0;
}
