/* SPDX-License-Identifier: MIT */
/*
 * larson, larson-sized - a server simulation, after Larson and Krishnan
 * ("Memory allocation for long-running server applications", ISMM 1998), in
 * the form mimalloc-bench builds it (C++: new char[] / delete[]; larson-sized
 * the same built with -fsized-deallocation, delete through
 * operator delete[](p, size)) and with the arguments it runs it with:
 *
 *   larson 5 8 1000 5000 100 4141 N          (larsonN, larsonN-sized)
 *
 * that is: 5 seconds; sizes 8 to 999 bytes (min + r mod (max - min),
 * uniform); 5000 objects per thread; 100 rounds, so that a thread does
 * 100 x 5000 = 500,000 replacements before it hands on; seed 4141; N
 * threads, N the number of CPUs.
 *
 * What it does:
 *   - warm-up, in the main thread: allocate N x 5000 objects, shuffle them
 *     (a random permutation of the whole array), then 4 x N x 5000 random
 *     replacements, all in the main thread;
 *   - thread i takes slots i x 5000 .. (i + 1) x 5000 - 1: objects the main
 *     thread allocated, in random order;
 *   - each thread replaces a random slot of its part 500,000 times (delete
 *     the object there, allocate one of a new random size, write its first
 *     bytes), then starts a new thread that carries on with the same slots
 *     and the same random state, and exits; so nearly every delete is of an
 *     object that another thread allocated, most often one that has exited;
 *   - the figure is replacements per second, all threads together.
 *
 * Where it differs: the original runs for a fixed time (the main thread
 * sleeps 5 s, sets a stop flag that every thread checks after each
 * replacement, and counts); the default run here does a fixed amount of
 * work instead, 40 generations of 500,000 replacements per thread (scale 1),
 * so that each allocator does the same work. --published runs for 5 s as
 * the original does (--seconds S: S seconds). The original never joins its
 * threads; here each thread joins the one it took over from. Its random
 * generator is its own (lran2); ours draws the same uniform sizes and
 * slots. Each object carries a tag at both ends (the original writes two
 * bytes), checked before it is deleted, so that an allocator that hands out
 * memory twice fails the run.
 *
 * Usage: wl-larson[-sized] [threads [scale]] [--chunks N] [--rounds N]
 *                  [--generations N] [--min-size N] [--max-size N]
 *                  [--seconds S] [--published]
 */
#include "wl.h"

#include <atomic>
#include <initializer_list>

struct slot {
	char *p;
	uint32_t size;
	uint32_t serial;
};

struct lineage {
	alignas(WL_CACHE_LINE) unsigned id;
	struct slot *slots;
	struct wl_rng rng;
	uint32_t serial;
	unsigned long gen; /* generations done */
	unsigned long ops; /* replacements done */
	pthread_t prev;    /* the thread to join (the one handing over) */
	bool has_prev;
	pthread_mutex_t lock; /* done, last */
	pthread_cond_t cond;
	bool done;
	pthread_t last;
};

static unsigned long chunks = 5000, rounds = 100, generations = 40;
static unsigned long min_size = 8, max_size = 1000;
static std::atomic<bool> stop_flag{false};
static bool timed; /* run until stop_flag, not for a number of generations */

static inline uint32_t pick_size(struct wl_rng *r)
{
	if (max_size == min_size)
		return (uint32_t)min_size;
	return (uint32_t)(min_size + wl_below(r, max_size - min_size));
}

static inline uint64_t tag_of(const struct slot *s, size_t index)
{
	return wl_tag_of(index, s->serial);
}

static void fill(struct slot *s, size_t index, struct wl_rng *r, uint32_t *serial)
{
	s->size = pick_size(r);
	s->serial = ++*serial;
	s->p = (char *)wl_new_bytes(s->size);
	wl_tag_put(s->p, s->size, tag_of(s, index));
}

static void drop(struct slot *s, size_t index)
{
	wl_tag_check(s->p, s->size, tag_of(s, index), wl_name);
	wl_delete_bytes(s->p, s->size);
}

static void *lineage_thread(void *arg)
{
	struct lineage *l = (struct lineage *)arg;
	unsigned long n = rounds * chunks, i = 0;

	if (l->has_prev)
		wl_join(l->prev);
	if (!(timed && stop_flag.load(std::memory_order_relaxed))) {
		for (; i < n; i++) {
			size_t v = (size_t)wl_below(&l->rng, chunks);

			drop(&l->slots[v], l->id * chunks + v);
			fill(&l->slots[v], l->id * chunks + v, &l->rng, &l->serial);
			if (timed && stop_flag.load(std::memory_order_relaxed)) {
				i++;
				break;
			}
		}
	}
	l->ops += i;
	l->gen++;
	bool more = timed ? !stop_flag.load(std::memory_order_relaxed) : l->gen < generations;
	if (more) {
		/* Hand the slots on to a new thread, which joins this one. */
		l->prev = pthread_self();
		l->has_prev = true;
		pthread_t next;
		wl_spawn(&next, lineage_thread, l);
	} else {
		pthread_mutex_lock(&l->lock);
		l->last = pthread_self();
		l->done = true;
		pthread_cond_signal(&l->cond);
		pthread_mutex_unlock(&l->lock);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static struct lineage lineages[WL_MAX_THREADS];
	double seconds = 0;
	struct wl_args a = {};
	const struct wl_opt opts[] = {
	    {"chunks", WL_OPT_UINT, &chunks, "objects per thread (default 5000)"},
	    {"rounds", WL_OPT_UINT, &rounds,
	     "a thread does rounds x chunks replacements, then hands on (default 100)"},
	    {"generations", WL_OPT_UINT, &generations,
	     "threads per lineage at scale 1 (default 40)"},
	    {"min-size", WL_OPT_UINT, &min_size, "smallest object (default 8)"},
	    {"max-size", WL_OPT_UINT, &max_size, "objects are smaller than this (default 1000)"},
	    {"seconds", WL_OPT_DOUBLE, &seconds,
	     "run for this long, as the original does, instead of a number of generations"},
	    {NULL, WL_OPT_UINT, NULL, NULL},
	};

	a.threads = wl_nprocs();
	a.scale = 1;
	a.quick_scale = 0.1;
	a.seed = 4141;
	a.published_help = "run for 5 seconds, as the original does";
#ifdef WL_SIZED_DELETE
	wl_name = "larson-sized";
#else
	wl_name = "larson";
#endif
	wl_parse_args(argc, argv,
	              "Larson-Krishnan server simulation: threads replace random objects of "
	              "arrays the main thread filled, then hand them on to new threads.",
	              &a, opts);
	if (!chunks || !rounds || !min_size || min_size > max_size || max_size > UINT32_MAX)
		wl_fail("bad parameters");
	if (a.published && seconds == 0)
		seconds = 5;
	timed = seconds > 0;
	generations = wl_scaled(generations, a.scale, 1);

	/* Warm-up in the main thread: all the objects, shuffled, then
	 * 4 x their number of random replacements. */
	unsigned long total = a.threads * chunks;
	struct slot *all = (struct slot *)wl_malloc(total * sizeof(*all));
	struct wl_rng rng;
	uint32_t serial = 0;

	wl_rng_init(&rng, a.seed, ~0ULL);
	for (unsigned long j = 0; j < total; j++)
		fill(&all[j], j, &rng, &serial);
	for (unsigned long j = total; j > 1; j--) {
		unsigned long v = (unsigned long)wl_below(&rng, j);
		struct slot t = all[v];

		all[v] = all[j - 1];
		all[j - 1] = t;
		/* The tags name the slot: move them with the objects. */
		for (unsigned long k : {v, j - 1}) {
			wl_tag_check(all[k].p, all[k].size,
			             wl_tag_of(k == v ? j - 1 : v, all[k].serial), wl_name);
			wl_tag_put(all[k].p, all[k].size, tag_of(&all[k], k));
		}
	}
	for (unsigned long j = 0; j < 4 * total; j++) {
		unsigned long v = (unsigned long)wl_below(&rng, total);

		drop(&all[v], v);
		fill(&all[v], v, &rng, &serial);
	}

	for (unsigned i = 0; i < a.threads; i++) {
		struct lineage *l = &lineages[i];

		l->id = i;
		l->slots = all + i * chunks;
		l->serial = serial;
		wl_rng_init(&l->rng, a.seed, i);
		pthread_mutex_init(&l->lock, NULL);
		pthread_cond_init(&l->cond, NULL);
	}
	if (timed)
		printf("# %s: %lu threads, %lu objects each, %lu replacements a thread, sizes "
		       "%lu-%lu, for %g s\n",
		       wl_name, a.threads, chunks, rounds * chunks, min_size, max_size - 1,
		       seconds);
	else
		printf("# %s: %lu threads, %lu objects each, %lu generations of %lu replacements, "
		       "sizes %lu-%lu\n",
		       wl_name, a.threads, chunks, generations, rounds * chunks, min_size,
		       max_size - 1);

	double start = wl_now();
	for (unsigned i = 0; i < a.threads; i++) {
		pthread_t t;
		wl_spawn(&t, lineage_thread, &lineages[i]);
	}
	if (timed) {
		wl_sleep_ms(seconds * 1000);
		stop_flag.store(true);
	}
	for (unsigned i = 0; i < a.threads; i++) {
		struct lineage *l = &lineages[i];

		pthread_mutex_lock(&l->lock);
		while (!l->done)
			pthread_cond_wait(&l->cond, &l->lock);
		pthread_mutex_unlock(&l->lock);
		wl_join(l->last);
	}
	double elapsed = wl_now() - start;

	double ops = 0, gens = 0;
	for (unsigned i = 0; i < a.threads; i++) {
		ops += (double)lineages[i].ops;
		gens += (double)lineages[i].gen;
	}
	for (unsigned long j = 0; j < total; j++)
		drop(&all[j], j);
	free(all);

	wl_result("throughput", ops / elapsed, "ops/s");
	wl_result("time", elapsed, "s");
	wl_result_ops(ops);
	wl_result("threads_started", gens, "threads");
	return 0;
}
