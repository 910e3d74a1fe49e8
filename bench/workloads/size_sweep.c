/* SPDX-License-Identifier: MIT */
/*
 * size-sweep - a size sweep over a working set: random replacements in a
 * set of live objects whose sizes range widely and shift all the time. It
 * follows no published program (alloc-test.cc is the one after
 * mimalloc-bench's alloc-test); it covers what that one does not: sizes
 * from 1 B to 1 MiB, and a size mix that moves, so that memory freed by one
 * size class must be reused by another.
 *
 * Each thread keeps its own working set and runs two phases:
 *   small:  sizes 1 B to 8 KiB,   4096 live objects;
 *   large:  sizes 8 KiB to 1 MiB,   64 live objects.
 * An op frees a random object of the set and allocates a new one in its
 * place. The sizes sweep: the centre of the size distribution moves up
 * through the phase's range on a logarithmic scale and back down again, a
 * few times a phase, with random spread around it. So the live sizes shift
 * all the time, and memory freed by one size class must be reused by
 * another. Each object is tagged at both ends and checked before it is
 * freed; a large object also gets one byte written in each of its pages.
 *
 * Metric: ops (one free + one malloc) per second, both phases together;
 * each phase's figure as a secondary line.
 *
 * Usage: wl-size-sweep [threads [scale]] [--small-ops N] [--large-ops N]
 */
#include "wl.h"

#define SWEEPS 4   /* up-and-down sweeps per phase */
#define STEPS  256 /* positions per octave of the size scale */

struct phase {
	const char *name;
	size_t lo, hi; /* powers of two */
	unsigned long live;
	unsigned long ops; /* per thread */
	bool touch_pages;
};

struct slot {
	void *p;
	size_t size;
	uint64_t tag;
};

struct worker {
	_Alignas(WL_CACHE_LINE) pthread_t thread;
	unsigned id;
	const struct phase *ph;
	struct wl_rng rng;
	struct slot *slot;
	uint64_t serial;
};

/* Position x on a log scale, STEPS per octave from lo: lo * 2^(x / STEPS),
 * linear within an octave. */
static size_t size_at(size_t lo, unsigned long x)
{
	size_t base = lo << (x / STEPS);

	return base + base * (x % STEPS) / STEPS;
}

static void put(struct worker *w, struct slot *s, size_t size)
{
	s->size = size;
	s->p = wl_malloc(size);
	s->tag = wl_tag_of(w->id, w->serial++);
	wl_tag_put(s->p, size, s->tag);
	if (w->ph->touch_pages)
		for (size_t off = 4096; off + 8 < size; off += 4096)
			((unsigned char *)s->p)[off] = (unsigned char)s->tag;
}

static void drop(const struct worker *w, struct slot *s)
{
	wl_tag_check(s->p, s->size, s->tag, w->ph->name);
	if (w->ph->touch_pages)
		for (size_t off = 4096; off + 8 < s->size; off += 4096)
			if (((unsigned char *)s->p)[off] != (unsigned char)s->tag)
				wl_fail("%s: block %p (%zu bytes) overwritten at %zu", w->ph->name,
				        s->p, s->size, off);
	free(s->p);
}

static void *sweep(void *arg)
{
	struct worker *w = arg;
	const struct phase *ph = w->ph;
	unsigned long octaves = (unsigned long)(__builtin_ctzll(ph->hi) - __builtin_ctzll(ph->lo));
	unsigned long span = octaves * STEPS; /* positions on the scale */
	unsigned long period = ph->ops / SWEEPS + 1;
	long spread = STEPS; /* an octave either way */

	w->slot = wl_malloc(ph->live * sizeof(*w->slot));
	for (unsigned long i = 0; i < ph->live; i++)
		put(w, &w->slot[i], wl_logsize(&w->rng, ph->lo, ph->hi));

	for (unsigned long op = 0; op < ph->ops; op++) {
		/* Triangle wave: 0 .. span .. 0 over one period. */
		unsigned long t = op % period;
		long centre = (long)(2 * span * (t < period / 2 ? t : period - t) / period);
		long x = centre + (long)wl_below(&w->rng, 2 * (unsigned long)spread + 1) - spread;

		if (x < 0)
			x = -x;
		if (x > (long)span)
			x = 2 * (long)span - x;
		size_t size = size_at(ph->lo, (unsigned long)x);
		if (size > ph->hi)
			size = ph->hi;

		struct slot *s = &w->slot[wl_below(&w->rng, ph->live)];
		drop(w, s);
		put(w, s, size);
	}
	for (unsigned long i = 0; i < ph->live; i++)
		drop(w, &w->slot[i]);
	free(w->slot);
	return NULL;
}

int main(int argc, char **argv)
{
	static struct worker workers[WL_MAX_THREADS];
	unsigned long small_ops = 1500000, large_ops = 8000;
	struct wl_args a = {.threads = 2, .scale = 1, .quick_scale = 0.08, .seed = 1};
	const struct wl_opt opts[] = {
	    {"small-ops", WL_OPT_UINT, &small_ops,
	     "ops per thread in the 1 B - 8 KiB phase at scale 1 (default 1500000)"},
	    {"large-ops", WL_OPT_UINT, &large_ops,
	     "ops per thread in the 8 KiB - 1 MiB phase at scale 1 (default 8000)"},
	    {0},
	};

	wl_name = "size-sweep";
	wl_parse_args(argc, argv,
	              "size-sweep: random replacements in a working set while the sizes sweep "
	              "1 B - 8 KiB, then 8 KiB - 1 MiB.",
	              &a, opts);
	struct phase phases[] = {
	    {"small", 1, 8192, 4096, wl_scaled(small_ops, a.scale, 1000), false},
	    {"large", 8192, 1024 * 1024, 64, wl_scaled(large_ops, a.scale, 100), true},
	};
	double total_ops = 0, total_time = 0;

	printf("# size-sweep: %lu threads; small: %lu ops, large: %lu ops per thread\n", a.threads,
	       phases[0].ops, phases[1].ops);
	for (unsigned p = 0; p < 2; p++) {
		double start = wl_now();

		for (unsigned i = 0; i < a.threads; i++) {
			struct worker *w = &workers[i];

			w->id = i;
			w->ph = &phases[p];
			wl_rng_init(&w->rng, a.seed, i + 1000 * p);
			wl_spawn(&w->thread, sweep, w);
		}
		for (unsigned i = 0; i < a.threads; i++)
			wl_join(workers[i].thread);
		double elapsed = wl_now() - start;
		double ops = (double)a.threads * (double)phases[p].ops;

		total_ops += ops;
		total_time += elapsed;
		phases[p].ops = (unsigned long)(ops / elapsed); /* now the rate */
	}
	wl_result("throughput", total_ops / total_time, "ops/s");
	wl_result("small_throughput", (double)phases[0].ops, "ops/s");
	wl_result("large_throughput", (double)phases[1].ops, "ops/s");
	wl_result("time", total_time, "s");
	wl_result_ops(total_ops);
	return 0;
}
