/* SPDX-License-Identifier: MIT */
/*
 * larson - a server simulation, after Larson and Krishnan ("Memory
 * allocation for long-running server applications", ISMM 1998).
 *
 * T lineages of threads. Each lineage owns an array of slots, each holding
 * an object of a random size (uniform, 16 to 1000 bytes by default); the
 * main thread fills all the arrays before the clock starts. A thread of a
 * lineage replaces random slots (free the old object, allocate a new one of
 * a new random size) for one generation, then starts the lineage's next
 * thread, hands it the array and exits: every thread frees objects that
 * other, often dead, threads allocated. Each object is tagged when
 * allocated and checked before it is freed.
 *
 * Metric: replacements (one free + one malloc) per second, over all
 * lineages, from the first thread's start to the last one's end.
 *
 * Usage: wl-larson [threads [scale]] [--slots N] [--gen-ops N] [--generations N]
 *                  [--min-size N] [--max-size N]
 */
#include "wl.h"

struct slot {
	char *p;
	uint32_t size;
	uint64_t tag;
};

struct lineage {
	_Alignas(WL_CACHE_LINE) unsigned id;
	struct slot *slots;
	pthread_t *tids; /* one per generation: thread g stores thread g + 1 */
	unsigned long gen;
	struct wl_rng rng;
	uint64_t serial;
};

static unsigned long nslots = 1000, gen_ops = 20000, generations;
static unsigned long min_size = 16, max_size = 1000;

static void fill(struct lineage *l, struct slot *s)
{
	s->size = (uint32_t)wl_range(&l->rng, min_size, max_size);
	s->p = wl_malloc(s->size);
	s->tag = wl_tag_of(l->id, l->serial++);
	wl_tag_put(s->p, s->size, s->tag);
}

static void *lineage_thread(void *arg)
{
	struct lineage *l = arg;

	for (unsigned long i = 0; i < gen_ops; i++) {
		struct slot *s = &l->slots[wl_below(&l->rng, nslots)];

		wl_tag_check(s->p, s->size, s->tag, "larson");
		free(s->p);
		fill(l, s);
	}
	if (++l->gen < generations) {
		/* Hand the array to a new thread. tids[gen] is read by main only
		 * after it has joined this thread. */
		wl_spawn(&l->tids[l->gen], lineage_thread, l);
	} else {
		for (unsigned long i = 0; i < nslots; i++) {
			wl_tag_check(l->slots[i].p, l->slots[i].size, l->slots[i].tag, "larson");
			free(l->slots[i].p);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static struct lineage lineages[WL_MAX_THREADS];
	unsigned long gens = 300;
	struct wl_args a = {.threads = 4, .scale = 1, .quick_scale = 0.25, .seed = 4141};
	const struct wl_opt opts[] = {
	    {"slots", WL_OPT_UINT, &nslots, "objects per thread (default 1000)"},
	    {"gen-ops", WL_OPT_UINT, &gen_ops,
	     "replacements per thread before the hand-over (default 20000)"},
	    {"generations", WL_OPT_UINT, &gens, "threads per lineage at scale 1 (default 300)"},
	    {"min-size", WL_OPT_UINT, &min_size, "smallest object (default 16)"},
	    {"max-size", WL_OPT_UINT, &max_size, "largest object (default 1000)"},
	    {0},
	};

	wl_name = "larson";
	wl_parse_args(argc, argv,
	              "Larson-Krishnan server simulation: threads replace random objects in an "
	              "array, then hand it on to a new thread.",
	              &a, opts);
	if (!nslots || !gen_ops || !min_size || min_size > max_size || max_size > UINT32_MAX)
		wl_fail("bad parameters");
	generations = wl_scaled(gens, a.scale, 1);

	for (unsigned i = 0; i < a.threads; i++) {
		struct lineage *l = &lineages[i];

		l->id = i;
		wl_rng_init(&l->rng, a.seed, i);
		l->slots = wl_malloc(nslots * sizeof(*l->slots));
		l->tids = wl_malloc(generations * sizeof(*l->tids));
		for (unsigned long j = 0; j < nslots; j++)
			fill(l, &l->slots[j]);
	}
	printf("# larson: %lu threads, %lu slots, %lu generations x %lu ops, sizes %lu-%lu\n",
	       a.threads, nslots, generations, gen_ops, min_size, max_size);

	double start = wl_now();
	for (unsigned i = 0; i < a.threads; i++)
		wl_spawn(&lineages[i].tids[0], lineage_thread, &lineages[i]);
	for (unsigned i = 0; i < a.threads; i++)
		for (unsigned long g = 0; g < generations; g++)
			wl_join(lineages[i].tids[g]);
	double elapsed = wl_now() - start;

	double ops = (double)a.threads * (double)generations * (double)gen_ops;
	wl_result("throughput", ops / elapsed, "ops/s");
	wl_result("time", elapsed, "s");
	for (unsigned i = 0; i < a.threads; i++) {
		free(lineages[i].slots);
		free(lineages[i].tids);
	}
	return 0;
}
