/* SPDX-License-Identifier: MIT */
/*
 * glibc-thread - per-thread churn, after glibc's benchtests/
 * bench-malloc-thread (as its description reads): each thread replaces
 * random blocks of a fixed working set of its own with new blocks of random
 * sizes; nothing is shared between threads. It measures the fast paths and
 * how they scale with the number of threads.
 *
 * Each thread keeps 1024 blocks. An op frees a random block and allocates
 * one of a size drawn from a table of 8000 sizes, 4 bytes to 4 KiB, each
 * octave equally likely (the probability of a size falls as 1/size). Blocks
 * are tagged at both ends and checked before they are freed.
 *
 * The run is repeated for 1, 2, 4, ... threads up to --threads (and
 * --threads itself), each thread doing the same number of ops.
 *
 * Metric: ops (one free + one malloc) per second, all threads together, at
 * the largest thread count; each thread count's figure as a secondary line
 * (throughput_<n>t).
 *
 * Usage: wl-glibc-thread [threads [scale]] [--ops N] [--working-set N]
 *                        [--max-size N] [--no-sweep 1]
 */
#include "wl.h"

#define NUM_SIZES 8000

struct slot {
	void *p;
	uint32_t size;
	uint64_t tag;
};

struct worker {
	_Alignas(WL_CACHE_LINE) pthread_t thread;
	unsigned id;
	struct wl_rng rng;
};

static uint32_t sizes[NUM_SIZES];
static unsigned long ops = 8000000, working_set = 1024, max_size = 4096;

static void *churn(void *arg)
{
	struct worker *w = arg;
	struct slot *set = wl_malloc(working_set * sizeof(*set));
	uint64_t serial = 0;

	for (unsigned long i = 0; i < working_set; i++) {
		set[i].size = sizes[wl_below(&w->rng, NUM_SIZES)];
		set[i].p = wl_malloc(set[i].size);
		set[i].tag = wl_tag_of(w->id, serial++);
		wl_tag_put(set[i].p, set[i].size, set[i].tag);
	}
	for (unsigned long i = 0; i < ops; i++) {
		struct slot *s = &set[wl_below(&w->rng, working_set)];

		wl_tag_check(s->p, s->size, s->tag, "glibc-thread");
		free(s->p);
		s->size = sizes[wl_below(&w->rng, NUM_SIZES)];
		s->p = wl_malloc(s->size);
		s->tag = wl_tag_of(w->id, serial++);
		wl_tag_put(s->p, s->size, s->tag);
	}
	for (unsigned long i = 0; i < working_set; i++) {
		wl_tag_check(set[i].p, set[i].size, set[i].tag, "glibc-thread");
		free(set[i].p);
	}
	free(set);
	return NULL;
}

static double run(unsigned nthreads, uint64_t seed)
{
	static struct worker workers[WL_MAX_THREADS];
	double start = wl_now();

	for (unsigned i = 0; i < nthreads; i++) {
		workers[i].id = i;
		wl_rng_init(&workers[i].rng, seed, i);
		wl_spawn(&workers[i].thread, churn, &workers[i]);
	}
	for (unsigned i = 0; i < nthreads; i++)
		wl_join(workers[i].thread);
	return (double)nthreads * (double)ops / (wl_now() - start);
}

int main(int argc, char **argv)
{
	unsigned long no_sweep = 0;
	struct wl_args a = {.threads = 4, .scale = 1, .quick_scale = 0.15, .seed = 1};
	const struct wl_opt opts[] = {
	    {"ops", WL_OPT_UINT, &ops, "ops per thread at scale 1 (default 8000000)"},
	    {"working-set", WL_OPT_UINT, &working_set, "blocks per thread (default 1024)"},
	    {"max-size", WL_OPT_UINT, &max_size, "largest block (default 4096)"},
	    {"no-sweep", WL_OPT_UINT, &no_sweep, "1: run --threads only, not 1, 2, 4, ..."},
	    {0},
	};
	struct wl_rng rng;
	char metric[32];
	double rate = 0;

	wl_name = "glibc-thread";
	wl_parse_args(argc, argv,
	              "bench-malloc-thread: per-thread churn of random sizes over a fixed "
	              "working set, for 1, 2, 4, ... threads.",
	              &a, opts);
	if (!working_set || max_size < 4 || max_size > UINT32_MAX)
		wl_fail("bad parameters");
	ops = wl_scaled(ops, a.scale, 1000);
	wl_rng_init(&rng, a.seed, ~0ULL);
	for (unsigned i = 0; i < NUM_SIZES; i++)
		sizes[i] = (uint32_t)wl_logsize(&rng, 4, max_size);
	printf("# glibc-thread: up to %lu threads, %lu ops per thread, %lu blocks, 4-%lu bytes\n",
	       a.threads, ops, working_set, max_size);

	/* The headline line comes first: run the sweep, then print. */
	double rates[32];
	unsigned long counts[32];
	unsigned n = 0;
	for (unsigned long t = no_sweep ? a.threads : 1; t < a.threads; t *= 2) {
		counts[n] = t;
		rates[n++] = run((unsigned)t, a.seed);
	}
	counts[n] = a.threads;
	rates[n++] = rate = run((unsigned)a.threads, a.seed);

	wl_result("throughput", rate, "ops/s");
	for (unsigned i = 0; i < n; i++) {
		snprintf(metric, sizeof(metric), "throughput_%lut", counts[i]);
		wl_result(metric, rates[i], "ops/s");
	}
	return 0;
}
