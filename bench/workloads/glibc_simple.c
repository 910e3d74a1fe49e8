/* SPDX-License-Identifier: MIT */
/*
 * glibc-simple - batches of one size, allocated and freed in the order of
 * allocation: after glibc's benchtests/bench-malloc-simple.c, as
 * mimalloc-bench carries it (the timing taken out, each block written in
 * full) and runs it: `glibc-simple` (no arguments: sizes 16, 32 and 64).
 *
 * What it does, with the published parameters, for each size (16, 32, 64
 * bytes):
 *   - for n in 25, 100, 400 and 1600: 2,000,000 / n rounds of "malloc n
 *     blocks, writing each in full (its ints 0, 1, 2, ...), then free the n
 *     blocks in the order they were allocated": 2,000,000 malloc + free
 *     pairs per n;
 *   - that four times over: a warm-up, then in the main thread, then in a
 *     new thread (glibc: a thread arena), then in the main thread again
 *     once a thread has existed (glibc: no longer single-threaded);
 *   - so 32 million pairs per size, 96 million in all, one thread at a time.
 *
 * Its frees come in allocation order (first in, first out) in batches up
 * to 1600 blocks: a thread cache that holds fewer sends the rest on to its
 * slower layers, and 1600 x 64 bytes is 100 KiB of one size class.
 *
 * Where it differs: nothing in the pattern; the default run (scale 1) does
 * a quarter of the published work (500,000 pairs per batch size), and
 * --published all of it. The original prints nothing (mimalloc-bench times
 * the process); here the loop is timed. Each block gets its ints written as in
 * the original, offset by a per-block tag, and its first and last int are
 * checked before it is freed.
 *
 * Metric: malloc + free pairs per second, all of them.
 *
 * Usage: wl-glibc-simple [threads [scale]] [--size N] [--iters N] [--published]
 *   (threads is ignored: the original runs one thread at a time)
 */
#include "wl.h"

#define NCOUNTS 4

static const int counts[NCOUNTS] = {25, 100, 400, 1600};
static unsigned long iters = 500000;
static unsigned **arr;
static uint64_t serial;

/* n blocks of size bytes, written, then freed in order; iters / n rounds. */
static double batches(size_t size, int n)
{
	size_t ints = size / sizeof(unsigned);
	unsigned long rounds = iters / (unsigned long)n;

	for (unsigned long j = 0; j < rounds; j++) {
		unsigned base = (unsigned)wl_mix64(++serial);

		for (int i = 0; i < n; i++) {
			arr[i] = wl_malloc(size);
			for (size_t g = 0; g < ints; g++)
				arr[i][g] = (unsigned)g + base + (unsigned)i;
		}
		for (int i = 0; i < n; i++) {
			if (arr[i][0] != base + (unsigned)i ||
			    arr[i][ints - 1] != (unsigned)(ints - 1) + base + (unsigned)i)
				wl_fail("block %p (%zu bytes) overwritten", (void *)arr[i], size);
			free(arr[i]);
		}
	}
	return (double)rounds * n;
}

struct thread_run {
	size_t size;
	double pairs;
};

static void *in_thread(void *p)
{
	struct thread_run *t = p;

	for (int i = 0; i < NCOUNTS; i++)
		t->pairs += batches(t->size, counts[i]);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long size = 16;
	struct wl_args a = {.threads = 1,
	                    .scale = 1,
	                    .quick_scale = 0.05,
	                    .seed = 1,
	                    .published_help = "2000000 pairs per batch size, as the original"};
	const struct wl_opt opts[] = {
	    {"size", WL_OPT_UINT, &size,
	     "the first block size; then twice and four times it "
	     "(default 16)"},
	    {"iters", WL_OPT_UINT, &iters,
	     "malloc + free pairs per batch size at scale 1 "
	     "(default 500000; the original: 2000000)"},
	    {0},
	};
	double pairs = 0;

	wl_name = "glibc-simple";
	wl_parse_args(argc, argv,
	              "bench-malloc-simple: batches of 25 - 1600 blocks of 16, 32, 64 B, freed "
	              "in allocation order, in the main thread and in a thread.",
	              &a, opts);
	if (size < 2 * sizeof(unsigned))
		wl_fail("--size: at least %zu", 2 * sizeof(unsigned));
	iters = a.published ? 2000000 : wl_scaled(iters, a.scale, 1600);
	printf("# glibc-simple: sizes %lu, %lu, %lu; batches of 25, 100, 400, 1600; %lu pairs "
	       "per batch size, warm-up, main thread, a thread, main thread\n",
	       size, 2 * size, 4 * size, iters);

	arr = wl_malloc(counts[NCOUNTS - 1] * sizeof(*arr));
	double start = wl_now();
	for (unsigned long s = size; s <= 4 * size; s *= 2) {
		struct thread_run t = {s, 0};
		pthread_t th;

		for (int i = 0; i < NCOUNTS; i++) /* warm-up */
			pairs += batches(s, counts[i]);
		for (int i = 0; i < NCOUNTS; i++) /* main thread */
			pairs += batches(s, counts[i]);
		wl_spawn(&th, in_thread, &t); /* a thread */
		wl_join(th);
		pairs += t.pairs;
		for (int i = 0; i < NCOUNTS; i++) /* main thread, once a thread has run */
			pairs += batches(s, counts[i]);
	}
	double elapsed = wl_now() - start;
	free(arr);

	wl_result("throughput", pairs / elapsed, "ops/s");
	wl_result("time", elapsed, "s");
	wl_result_ops(pairs);
	return 0;
}
