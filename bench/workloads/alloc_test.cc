/* SPDX-License-Identifier: MIT */
/*
 * alloc-test - random positions, random sizes, each thread on its own
 * objects: after alloc-test, OLogN Technologies' allocator tester (its
 * randomPos_RandomSize test), as mimalloc-bench builds it (BENCH: one run at
 * the given thread count) and runs it: `alloc-test 1` (alloc-test1) and
 * `alloc-test N` (alloc-testN), N the number of CPUs, at most 16.
 *
 * What it does, with the published parameters:
 *
 *   - 2^18 slots in all, divided among the threads (262144 / N each); a
 *     thread's slot array comes from the allocator under test;
 *   - set-up: each slot is filled with probability 1/2;
 *   - then each thread runs its operations: pick a slot at random; if it
 *     holds an object, read the whole object and delete it; if it is empty,
 *     allocate an object of a random size there and write all of it. One
 *     operation is one allocation or one deletion (as the original counts
 *     its "alloc/dealloc operations"): half are each;
 *   - sizes: 5 to 1024 bytes, octave k (sizes 2^(k+2) + 1 .. 2^(k+3),
 *     k = 0..7) with probability 2^-(k+1) (the last one 2^-7), uniform
 *     within the octave: half of the objects are 5 to 8 bytes;
 *   - slot choice: Pareto-like, "80/20" applied six times: the slots form
 *     seven groups, group i (i = 0..6) picked with probability
 *     C(6,i) 0.2^i 0.8^(6-i) and holding a share C(6,6-i) 0.2^(6-i) 0.8^i
 *     of the slots, uniform within the group; so 26% of the picks fall on
 *     the 0.006% hottest slots, 39% on the next 0.15%, and so on;
 *   - every thread starts from the same seed (the original gives each the
 *     same one), so all do the same sequence, on objects of their own;
 *   - objects are new unsigned char[size] / delete[] (the original's
 *     new_delete_allocator);
 *   - the clock covers the whole run: thread start, set-up, operations,
 *     clean-up, join.
 *
 * Where it differs: the original does 100,000,000 operations per thread;
 * the default here is 10,000,000 (scale 1), --published does the full
 * count. Its random generator and size formula are its own; ours draw the
 * same distributions. The original sums the bytes it reads; here each
 * object is filled with a byte of its own and every byte is compared before
 * the delete (the same reads), so that an allocator that hands out memory
 * twice fails the run.
 *
 * Metric: operations per second, all threads together.
 *
 * Usage: wl-alloc-test [threads [scale]] [--ops N] [--items N] [--published]
 */
#include "wl.h"

#define GROUPS 7

struct slot {
	unsigned char *p;
	uint32_t size;
	uint32_t fill; /* the byte every byte of the object holds */
};

struct worker {
	alignas(WL_CACHE_LINE) pthread_t thread;
	unsigned id;
};

static unsigned long items; /* per thread */
static unsigned long ops;   /* per thread */
static uint64_t seed;
static uint32_t group_end[GROUPS];  /* slot index where group i ends */
static uint64_t group_pick[GROUPS]; /* cumulative probability, in 2^-32 */

/* C(6,i) 0.2^i 0.8^(6-i): the probability of group i, and (for 6 - i) the
 * share of the slots group i holds. */
static double binom6(unsigned i)
{
	static const double choose[7] = {1, 6, 15, 20, 15, 6, 1};
	double p = choose[i];

	for (unsigned k = 0; k < i; k++)
		p *= 0.2;
	for (unsigned k = i; k < 6; k++)
		p *= 0.8;
	return p;
}

static void groups_init(void)
{
	double cum = 0;
	uint32_t end = 0;

	for (unsigned i = 0; i < GROUPS; i++) {
		cum += binom6(i);
		group_pick[i] = (uint64_t)(cum * 4294967296.0);
		end += (uint32_t)((double)items * binom6(6 - i));
		group_end[i] = end;
	}
	group_pick[GROUPS - 1] = 1ULL << 32;
	group_end[GROUPS - 1] = (uint32_t)items;
	for (unsigned i = 0; i < GROUPS; i++) /* at least one slot a group */
		if (group_end[i] <= (i ? group_end[i - 1] : 0))
			group_end[i] = (i ? group_end[i - 1] : 0) + 1;
	if (group_end[GROUPS - 1] > items)
		wl_fail("too few slots (%lu) for the seven groups", items);
}

static inline uint32_t pick_slot(struct wl_rng *r)
{
	uint64_t x = wl_rand(r);
	uint64_t u = x >> 32;
	unsigned g = 0;

	while (u >= group_pick[g])
		g++;
	uint32_t lo = g ? group_end[g - 1] : 0;
	return lo + (uint32_t)(((x & 0xffffffffULL) * (group_end[g] - lo)) >> 32);
}

/* 5 to 1024 bytes: octave k with probability 2^-(k+1) (k = 7: 2^-7). */
static inline uint32_t pick_size(struct wl_rng *r)
{
	uint64_t x = wl_rand(r);
	unsigned k = (unsigned)__builtin_ctzll((x & 127) + 1); /* 0..7 */
	uint32_t base = 4u << k;

	return base + 1 + (uint32_t)((x >> 7) & (base - 1));
}

static void put(struct slot *s, uint32_t size, uint32_t fill)
{
	s->size = size;
	s->fill = fill;
	s->p = (unsigned char *)wl_new_bytes(size);
	memset(s->p, (int)fill, size);
}

/* Read every byte (as the original does) and check it. */
static void drop(struct slot *s)
{
	const unsigned char *c = s->p;
	uint64_t want = 0x0101010101010101ULL * s->fill, bad = 0;
	size_t i = 0;

	for (; i + 8 <= s->size; i += 8) {
		uint64_t w;

		memcpy(&w, c + i, 8);
		bad |= w ^ want;
	}
	for (; i < s->size; i++)
		bad |= (uint64_t)(c[i] ^ (unsigned char)s->fill);
	if (bad)
		wl_fail("object %p (%u bytes) overwritten: expected every byte %02x", (void *)s->p,
		        s->size, s->fill);
	wl_delete_bytes(s->p, s->size);
	s->p = NULL;
}

static void *run(void *arg)
{
	struct worker *w = (struct worker *)arg;
	struct wl_rng rng;
	uint32_t serial = 0;
	struct slot *slots = (struct slot *)wl_new_bytes(items * sizeof(*slots));

	memset(slots, 0, items * sizeof(*slots));
	/* The same sequence in every thread, as in the original. */
	wl_rng_init(&rng, seed, 0);
	for (unsigned long i = 0; i < items; i++)
		if (wl_rand(&rng) >> 63)
			put(&slots[i], pick_size(&rng), (uint8_t)(++serial * 157 + w->id));

	for (unsigned long n = 0; n < ops; n++) {
		struct slot *s = &slots[pick_slot(&rng)];

		if (s->p)
			drop(s);
		else
			put(s, pick_size(&rng), (uint8_t)(++serial * 157 + w->id));
	}
	for (unsigned long i = 0; i < items; i++)
		if (slots[i].p)
			drop(&slots[i]);
	wl_delete_bytes(slots, items * sizeof(*slots));
	return NULL;
}

int main(int argc, char **argv)
{
	static struct worker workers[WL_MAX_THREADS];
	unsigned long total_items = 1UL << 18, ops_arg = 10000000;
	struct wl_args a = {};
	const struct wl_opt opts[] = {
	    {"ops", WL_OPT_UINT, &ops_arg,
	     "operations per thread at scale 1 (default 10000000; the original: 100000000)"},
	    {"items", WL_OPT_UINT, &total_items, "slots, all threads together (default 262144)"},
	    {NULL, WL_OPT_UINT, NULL, NULL},
	};

	a.threads = wl_nprocs() < 16 ? wl_nprocs() : 16;
	a.scale = 1;
	a.quick_scale = 0.03;
	a.seed = 41;
	a.published_help = "100000000 operations per thread, as the original";
	wl_name = "alloc-test";
	wl_parse_args(argc, argv,
	              "alloc-test: random positions (Pareto-like), random sizes 5 - 1024 B, "
	              "each thread on objects of its own.",
	              &a, opts);
	items = total_items / a.threads;
	ops = a.published ? 100000000UL : wl_scaled(ops_arg, a.scale, 1000);
	seed = a.seed;
	groups_init();
	printf("# alloc-test: %lu threads, %lu slots and %lu operations per thread, sizes 5-1024\n",
	       a.threads, items, ops);

	double start = wl_now();
	for (unsigned i = 0; i < a.threads; i++) {
		workers[i].id = i;
		wl_spawn(&workers[i].thread, run, &workers[i]);
	}
	for (unsigned i = 0; i < a.threads; i++)
		wl_join(workers[i].thread);
	double elapsed = wl_now() - start;
	double total = (double)a.threads * (double)ops;

	wl_result("throughput", total / elapsed, "ops/s");
	wl_result("time", elapsed, "s");
	wl_result_ops(total);
	return 0;
}
