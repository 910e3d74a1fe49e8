/* SPDX-License-Identifier: MIT */
/*
 * glibc-thread - per-thread churn in random order: after glibc's
 * benchtests/bench-malloc-thread.c, as mimalloc-bench carries it (the
 * timing taken out, each block written in full) and runs it:
 * `glibc-thread N`, N the number of CPUs (and, here, also with 1 thread).
 *
 * What it does, with the published parameters:
 *   - two tables, made once and shared by all threads: 8000 block sizes
 *     from 4 to 32768 bytes with an inverse-square distribution (density
 *     proportional to 1/size^2: half of the blocks are 4 to 8 bytes, one in
 *     a hundred over 400, mean about 36 bytes), and 4096 slot numbers,
 *     uniform in 0..1023;
 *   - each thread has a working set of 1024 slots, empty at the start, and
 *     walks both tables round and round (so every thread makes the same
 *     sequence): free the block in the next slot (nothing, the first time),
 *     malloc one of the next size there and write every byte of it;
 *   - nothing is shared between threads; the frees come in random order
 *     with respect to the allocations;
 *   - one thread runs in the main thread, N > 1 in N new threads.
 *
 * Where it differs: the original runs for 2 seconds (SIGALRM) and prints
 * the number of iterations; the default run here does a fixed number,
 * 8,000,000 per thread at scale 1, so that each allocator does the same
 * work; --published runs for 2 s (--seconds S: S seconds, a timer signal as in
 * the original). Its tables come from rand(); ours from our own seeded
 * generator, with the same distributions. Each block's bytes are written as
 * the original writes them (byte i: i, here plus a per-block offset), and
 * its first and last byte are checked before it is freed.
 *
 * Metric: iterations (one free + one malloc) per second, all threads.
 *
 * Usage: wl-glibc-thread [threads [scale]] [--ops N] [--seconds S] [--published]
 */
#include "wl.h"

#include <signal.h>
#include <stdatomic.h>
#include <sys/time.h>

#define WORKING_SET 1024
#define NUM_SIZES   8000
#define NUM_OFFSETS (WORKING_SET * 4)
#define MIN_SIZE    4
#define MAX_SIZE    32768

struct slot {
	unsigned char *p;
	uint32_t size;
	uint32_t off; /* byte i holds i + off */
};

struct worker {
	_Alignas(WL_CACHE_LINE) pthread_t thread;
	unsigned id;
	unsigned long iters;
};

static uint32_t block_sizes[NUM_SIZES];
static uint16_t offsets[NUM_OFFSETS];
static unsigned long ops = 8000000;
static bool timed;
static atomic_bool stop;

/* Inverse square on [MIN_SIZE, MAX_SIZE]: the inverse of its distribution
 * function at u in [0, 1). */
static uint32_t inverse_square(double u)
{
	double lo = 1.0 / MIN_SIZE, hi = 1.0 / MAX_SIZE;

	return (uint32_t)(1.0 / (lo + (hi - lo) * u));
}

static void drop(struct slot *s)
{
	if (!s->p) {
		free(NULL); /* as the original, which frees the empty slot too */
		return;
	}
	if (s->p[0] != (unsigned char)s->off ||
	    s->p[s->size - 1] != (unsigned char)(s->size - 1 + s->off))
		wl_fail("block %p (%u bytes) overwritten", (void *)s->p, s->size);
	free(s->p);
}

static void *churn(void *arg)
{
	struct worker *w = arg;
	struct slot set[WORKING_SET];
	unsigned off_state = 0, size_state = 0;
	unsigned long n = 0;
	uint32_t serial = w->id * 977u;

	memset(set, 0, sizeof(set));
	for (;;) {
		if (timed ? atomic_load_explicit(&stop, memory_order_relaxed) : n == ops)
			break;
		off_state = off_state >= NUM_OFFSETS - 1 ? 0 : off_state + 1;
		size_state = size_state >= NUM_SIZES - 1 ? 0 : size_state + 1;

		struct slot *s = &set[offsets[off_state]];
		uint32_t size = block_sizes[size_state];

		drop(s);
		s->p = wl_malloc(size);
		s->size = size;
		s->off = serial += 0x9e37;
		for (uint32_t i = 0; i < size; i++)
			s->p[i] = (unsigned char)(i + s->off);
		n++;
	}
	for (unsigned i = 0; i < WORKING_SET; i++)
		if (set[i].p)
			drop(&set[i]);
	w->iters = n;
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
	atomic_store(&stop, true);
}

int main(int argc, char **argv)
{
	static struct worker workers[WL_MAX_THREADS];
	double seconds = 0;
	struct wl_args a = {.threads = wl_nprocs(),
	                    .scale = 1,
	                    .quick_scale = 0.05,
	                    .seed = 88,
	                    .published_help = "run for 2 seconds, as the original does"};
	const struct wl_opt opts[] = {
	    {"ops", WL_OPT_UINT, &ops, "iterations per thread at scale 1 (default 8000000)"},
	    {"seconds", WL_OPT_DOUBLE, &seconds,
	     "run for this long, as the original does, instead of a number of iterations"},
	    {0},
	};
	struct wl_rng rng;

	wl_name = "glibc-thread";
	wl_parse_args(argc, argv,
	              "bench-malloc-thread: per-thread churn of 4 B - 32 KiB blocks (inverse "
	              "square) in random order over 1024 slots.",
	              &a, opts);
	if (a.published && seconds == 0)
		seconds = 2;
	timed = seconds > 0;
	ops = wl_scaled(ops, a.scale, 1000);
	wl_rng_init(&rng, a.seed, ~0ULL);
	for (unsigned i = 0; i < NUM_SIZES; i++)
		block_sizes[i] = inverse_square((double)(wl_rand(&rng) >> 11) * 0x1p-53);
	for (unsigned i = 0; i < NUM_OFFSETS; i++)
		offsets[i] = (uint16_t)wl_below(&rng, WORKING_SET);
	if (timed)
		printf("# glibc-thread: %lu threads, 1024 slots each, sizes %d-%d, for %g s\n",
		       a.threads, MIN_SIZE, MAX_SIZE, seconds);
	else
		printf("# glibc-thread: %lu threads, 1024 slots each, sizes %d-%d, %lu iterations "
		       "per thread\n",
		       a.threads, MIN_SIZE, MAX_SIZE, ops);

	/* A timer signal, as the original's alarm(): no extra thread, so that a
	 * one-thread run stays single-threaded. */
	if (timed) {
		struct sigaction act;
		struct itimerval it;

		memset(&act, 0, sizeof(act));
		act.sa_handler = on_alarm;
		sigaction(SIGALRM, &act, NULL);
		memset(&it, 0, sizeof(it));
		it.it_value.tv_sec = (time_t)seconds;
		it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
		if (setitimer(ITIMER_REAL, &it, NULL))
			wl_fail("setitimer: %s", strerror(errno));
	}
	double start = wl_now();
	if (a.threads == 1) {
		churn(&workers[0]);
	} else {
		for (unsigned i = 0; i < a.threads; i++) {
			workers[i].id = i;
			wl_spawn(&workers[i].thread, churn, &workers[i]);
		}
		for (unsigned i = 0; i < a.threads; i++)
			wl_join(workers[i].thread);
	}
	double elapsed = wl_now() - start;

	double iters = 0;
	for (unsigned i = 0; i < a.threads; i++)
		iters += (double)workers[i].iters;
	wl_result("throughput", iters / elapsed, "ops/s");
	wl_result("time", elapsed, "s");
	wl_result_ops(iters);
	return 0;
}
