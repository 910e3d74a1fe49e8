/* SPDX-License-Identifier: MIT */
/*
 * malloc-large - large blocks, after the malloc-large workload of
 * mimalloc-bench (as its documentation describes it): allocations of 5 to
 * 25 MiB, partly touched and freed, with a few alive at a time.
 *
 * Two phases, each thread on its own (one thread by default):
 *   huge:   5 - 25 MiB,    8 live blocks per thread;
 *   large:  256 KiB - 4 MiB, 32 live blocks per thread.
 * A step frees a random live block and allocates a new one of a random size
 * (uniform) in its place. Each new block is touched partly: a tag in its
 * first and last bytes and one in every 16th page (a block is written as a
 * program writes a buffer it does not fill); all are checked before it is
 * freed.
 *
 * Metric: seconds for both phases; each phase's time as a secondary line.
 *
 * Usage: wl-malloc-large [threads [scale]] [--huge-steps N] [--large-steps N]
 */
#include "wl.h"

#define TOUCH_STRIDE (16 * 4096)

struct phase {
	const char *name;
	size_t lo, hi;
	unsigned long live;
	unsigned long steps; /* per thread */
};

struct slot {
	unsigned char *p;
	size_t size;
	uint64_t tag;
};

struct worker {
	_Alignas(WL_CACHE_LINE) pthread_t thread;
	unsigned id;
	const struct phase *ph;
	struct wl_rng rng;
	uint64_t serial;
};

static void put(struct worker *w, struct slot *s)
{
	s->size = (size_t)wl_range(&w->rng, w->ph->lo, w->ph->hi);
	s->p = wl_malloc(s->size);
	s->tag = wl_tag_of(w->id, w->serial++);
	wl_tag_put(s->p, s->size, s->tag);
	for (size_t off = TOUCH_STRIDE; off + 16 < s->size; off += TOUCH_STRIDE) {
		uint64_t t = s->tag + off;

		memcpy(s->p + off, &t, 8);
	}
}

static void drop(const struct worker *w, struct slot *s)
{
	wl_tag_check(s->p, s->size, s->tag, w->ph->name);
	for (size_t off = TOUCH_STRIDE; off + 16 < s->size; off += TOUCH_STRIDE) {
		uint64_t t;

		memcpy(&t, s->p + off, 8);
		if (t != s->tag + off)
			wl_fail("%s: block %p (%zu bytes) overwritten at offset %zu", w->ph->name,
			        (void *)s->p, s->size, off);
	}
	free(s->p);
}

static void *large_thread(void *arg)
{
	struct worker *w = arg;
	const struct phase *ph = w->ph;
	struct slot *set = wl_malloc(ph->live * sizeof(*set));

	for (unsigned long i = 0; i < ph->live; i++)
		put(w, &set[i]);
	for (unsigned long i = 0; i < ph->steps; i++) {
		struct slot *s = &set[wl_below(&w->rng, ph->live)];

		drop(w, s);
		put(w, s);
	}
	for (unsigned long i = 0; i < ph->live; i++)
		drop(w, &set[i]);
	free(set);
	return NULL;
}

int main(int argc, char **argv)
{
	static struct worker workers[WL_MAX_THREADS];
	unsigned long huge_steps = 400, large_steps = 8000;
	struct wl_args a = {.threads = 1, .scale = 1, .quick_scale = 0.12, .seed = 1};
	const struct wl_opt opts[] = {
	    {"huge-steps", WL_OPT_UINT, &huge_steps,
	     "5 - 25 MiB replacements per thread at scale 1 (default 400)"},
	    {"large-steps", WL_OPT_UINT, &large_steps,
	     "256 KiB - 4 MiB replacements per thread at scale 1 (default 8000)"},
	    {0},
	};

	wl_name = "malloc-large";
	wl_parse_args(argc, argv,
	              "malloc-large: blocks of 5 - 25 MiB, then 256 KiB - 4 MiB, partly "
	              "touched, replaced at random.",
	              &a, opts);
	struct phase phases[] = {
	    {"huge", 5 * WL_MIB, 25 * WL_MIB, 8, wl_scaled(huge_steps, a.scale, 10)},
	    {"large", 256 * 1024, 4 * WL_MIB, 32, wl_scaled(large_steps, a.scale, 10)},
	};
	double times[2], total = 0;

	printf("# malloc-large: %lu threads; huge: %lu steps, large: %lu steps per thread\n",
	       a.threads, phases[0].steps, phases[1].steps);
	for (unsigned p = 0; p < 2; p++) {
		double start = wl_now();

		for (unsigned i = 0; i < a.threads; i++) {
			struct worker *w = &workers[i];

			w->id = i;
			w->ph = &phases[p];
			wl_rng_init(&w->rng, a.seed, i + 1000 * p);
			wl_spawn(&w->thread, large_thread, w);
		}
		for (unsigned i = 0; i < a.threads; i++)
			wl_join(workers[i].thread);
		times[p] = wl_now() - start;
		total += times[p];
	}
	wl_result("time", total, "s");
	wl_result("huge_time", times[0], "s");
	wl_result("large_time", times[1], "s");
	return 0;
}
