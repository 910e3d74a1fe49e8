/* SPDX-License-Identifier: MIT */
/*
 * mstress - mixed lifetimes, after the mstress workload of mimalloc-bench
 * (as its documentation describes it): threads that allocate objects of
 * power-of-two-ish sizes, keep some of them long and free others soon,
 * pass objects to one another, do unequal amounts of work, and are all
 * replaced by new threads after each phase, while some objects survive
 * from one phase to the next.
 *
 * Per phase, T threads start. Thread i takes over the survivors that
 * thread i of the previous phase left, then runs steps; a step is one of
 *   - allocate an object (malloc, sometimes calloc, checked zeroed) into a
 *     random slot of its own, freeing what was there;
 *   - free a random slot;
 *   - swap a slot with a slot of a shared transfer array (atomic exchange):
 *     objects migrate from thread to thread and are freed far from home;
 *   - realloc a slot to a new size (the old contents checked);
 *   - a burst of short-lived small objects, freed at once.
 * Sizes are 2^k bytes, give or take a quarter, k from 5 to 12; one in 200 is
 * large (64 KiB to 1 MiB). Thread i does (1 + i % 4) / 2.5 of the base
 * steps. At the end of its phase, a thread keeps an eighth of its slots for
 * its successor and frees the rest. Every object describes itself (size,
 * tag) and is checked before it is freed or reallocated.
 *
 * Metric: seconds for all phases.
 *
 * Usage: wl-mstress [threads [scale]] [--phases N] [--steps N] [--slots N]
 */
#include "wl.h"

#include <stdatomic.h>

#define TRANSFER_SLOTS 4096

struct worker {
	_Alignas(WL_CACHE_LINE) pthread_t thread;
	unsigned id;
	unsigned phase;
	unsigned long steps;
	struct wl_rng rng;
	void **slot; /* nslots; survivors in the first nkeep */
	uint64_t serial;
};

static _Atomic(void *) transfer[TRANSFER_SLOTS];
static unsigned long nslots = 2000;

static size_t pick_size(struct wl_rng *r)
{
	if (wl_below(r, 200) == 0)
		return wl_logsize(r, 64 * 1024, 1024 * 1024);
	size_t base = (size_t)1 << (5 + wl_below(r, 8));
	/* base, give or take a quarter */
	return base - base / 4 + (size_t)wl_below(r, base / 2 + 1);
}

static void *new_obj(struct worker *w, size_t size)
{
	void *p;
	uint64_t tag = wl_tag_of(w->phase * 1000 + w->id, w->serial++);

	if (wl_below(&w->rng, 16) == 0) {
		p = calloc(1, size);
		if (!p)
			wl_fail("calloc(1, %zu) returned NULL", size);
		wl_escape(p);
		const unsigned char *c = p;
		/* Check the parts the tags will cover, and a few in between. */
		for (size_t off = 0; off < size; off += off < 64 ? 1 : 997)
			if (c[off])
				wl_fail("calloc(1, %zu) = %p: byte %zu is %#x, not zero", size, p,
				        off, c[off]);
		if (c[size - 1])
			wl_fail("calloc(1, %zu) = %p: last byte not zero", size, p);
	} else {
		p = wl_malloc(size);
	}
	wl_obj_put(p, size, tag);
	return p;
}

static void free_obj(void *p)
{
	if (p) {
		wl_obj_check(p, "mstress free");
		free(p);
	}
}

static void *resize_obj(struct worker *w, void *p)
{
	size_t old = wl_obj_check(p, "mstress realloc");
	size_t size = pick_size(&w->rng);
	struct wl_obj_head h;
	uint64_t tail;

	memcpy(&h, p, sizeof(h));
	p = wl_realloc(p, size);
	/* The head must have moved with the block; the old tail too, if the
	 * block grew. */
	if (memcmp(p, &h, sizeof(h)))
		wl_fail("realloc(%zu -> %zu) = %p: head not preserved", old, size, p);
	if (size >= old) {
		memcpy(&tail, (char *)p + old - 8, 8);
		if (tail != ~h.tag)
			wl_fail("realloc(%zu -> %zu) = %p: old tail not preserved", old, size, p);
	}
	wl_obj_put(p, size, wl_tag_of(w->phase * 1000 + w->id, w->serial++));
	return p;
}

static void *mstress_thread(void *arg)
{
	struct worker *w = arg;
	void *burst[16];

	for (unsigned long s = 0; s < w->steps; s++) {
		unsigned long i = wl_below(&w->rng, nslots);
		unsigned r = (unsigned)wl_below(&w->rng, 100);

		if (r < 45) {
			free_obj(w->slot[i]);
			w->slot[i] = new_obj(w, pick_size(&w->rng));
		} else if (r < 75) {
			free_obj(w->slot[i]);
			w->slot[i] = NULL;
		} else if (r < 88) {
			unsigned long t = wl_below(&w->rng, TRANSFER_SLOTS);

			w->slot[i] = atomic_exchange(&transfer[t], w->slot[i]);
			if (w->slot[i])
				wl_obj_check(w->slot[i], "mstress transfer");
		} else if (r < 94) {
			if (w->slot[i])
				w->slot[i] = resize_obj(w, w->slot[i]);
		} else {
			unsigned n = 1 + (unsigned)wl_below(&w->rng, 16);

			for (unsigned k = 0; k < n; k++)
				burst[k] = new_obj(w, wl_range(&w->rng, WL_OBJ_MIN, 256));
			while (n--)
				free_obj(burst[n]);
		}
	}
	/* Keep a random eighth for the next phase, at the front. */
	unsigned long kept = 0;
	for (unsigned long i = 0; i < nslots; i++) {
		void *p = w->slot[i];

		w->slot[i] = NULL;
		if (p && wl_below(&w->rng, 8) == 0)
			w->slot[kept++] = p;
		else
			free_obj(p);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static struct worker workers[WL_MAX_THREADS];
	unsigned long phases = 10, steps = 200000;
	struct wl_args a = {.threads = 4, .scale = 1, .quick_scale = 0.15, .seed = 1};
	const struct wl_opt opts[] = {
	    {"phases", WL_OPT_UINT, &phases, "thread generations (default 10)"},
	    {"steps", WL_OPT_UINT, &steps,
	     "base steps per thread and phase at scale 1 (default 200000)"},
	    {"slots", WL_OPT_UINT, &nslots, "objects a thread holds at most (default 2000)"},
	    {0},
	};

	wl_name = "mstress";
	wl_parse_args(argc, argv,
	              "mstress: mixed lifetimes and sizes, objects moving between threads, "
	              "threads replaced every phase.",
	              &a, opts);
	if (!phases || !nslots)
		wl_fail("bad parameters");
	steps = wl_scaled(steps, a.scale, 100);
	printf("# mstress: %lu threads, %lu phases, %lu base steps, %lu slots\n", a.threads, phases,
	       steps, nslots);

	for (unsigned i = 0; i < a.threads; i++) {
		workers[i].slot = calloc(nslots, sizeof(void *));
		if (!workers[i].slot)
			wl_fail("calloc failed");
		wl_rng_init(&workers[i].rng, a.seed, i);
	}

	double start = wl_now();
	for (unsigned p = 0; p < phases; p++) {
		for (unsigned i = 0; i < a.threads; i++) {
			struct worker *w = &workers[i];

			w->id = i;
			w->phase = p;
			w->steps = (unsigned long)((double)steps * (1 + i % 4) / 2.5);
			wl_spawn(&w->thread, mstress_thread, w);
		}
		for (unsigned i = 0; i < a.threads; i++)
			wl_join(workers[i].thread);
	}
	for (unsigned i = 0; i < a.threads; i++) {
		for (unsigned long j = 0; j < nslots; j++)
			free_obj(workers[i].slot[j]);
		free(workers[i].slot);
	}
	for (unsigned t = 0; t < TRANSFER_SLOTS; t++)
		free_obj(atomic_exchange(&transfer[t], NULL));
	double elapsed = wl_now() - start;
	double allocs = 0;

	for (unsigned i = 0; i < a.threads; i++)
		allocs += (double)workers[i].serial;
	wl_result("time", elapsed, "s");
	wl_result_ops(allocs); /* allocations (each freed too) */
	return 0;
}
