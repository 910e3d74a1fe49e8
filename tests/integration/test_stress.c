/* SPDX-License-Identifier: MIT */
/*
 * test_stress.c - many threads allocating and freeing blocks of random
 * orders and gfp flags, passing blocks to each other so that one thread
 * frees what another allocated. Every block carries a tag derived from its
 * address, written after allocation and verified before the free: a block
 * handed out twice, or memory written behind the owner's back, shows up as a
 * wrong tag. At the end everything is freed and drained, every zone passes
 * the buddy validator, and every managed page is free again.
 *
 * 4 threads x 2^18 operations (over a million) in the plain build; half
 * of that under sanitizers, which slow each operation down several times.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"
#include "child.h"
#include "mmzone.h"
#include "pgalloc.h"
#include "rand.h"
#include "sanitizer.h"
#include "zones.h"

#define NTHREADS     4
#define LOCAL_SLOTS  128
#define SHARED_SLOTS 512
#define FULL_OPS     (1L << 18) /* per thread */

/* A block in a shared slot: its address with the order in the low bits. */
static _Atomic uintptr_t shared[SHARED_SLOTS];

struct run_conf {
	long ops;   /* per thread */
	bool tight; /* memory is short: failures of any order allowed */
};

static struct run_conf cur;

struct worker {
	pthread_t th;
	int id;
	unsigned long long seed;
	long allocs, frees, cross, failed_low, failed_high, bad_errno, bad_tag, bad_zero, bad_addr;
	uintptr_t local[LOCAL_SLOTS];
};

static uint64_t tag_of(uintptr_t addr, unsigned order, unsigned long page)
{
	return ((uint64_t)addr * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)order << 56) ^ page;
}

/* Tag the first word of every page and the last word of the block. */
static void tag_block(uintptr_t addr, unsigned order)
{
	unsigned long pages = 1UL << order;

	for (unsigned long k = 0; k < pages; k++)
		*(uint64_t *)(addr + k * PGA_PAGE_SIZE) = tag_of(addr, order, k);
	*(uint64_t *)(addr + (pages << PGA_PAGE_SHIFT) - 8) = ~tag_of(addr, order, 0);
}

static bool tag_ok(uintptr_t addr, unsigned order)
{
	unsigned long pages = 1UL << order;

	for (unsigned long k = 0; k < pages; k++)
		if (*(uint64_t *)(addr + k * PGA_PAGE_SIZE) != tag_of(addr, order, k))
			return false;
	return *(uint64_t *)(addr + (pages << PGA_PAGE_SHIFT) - 8) == ~tag_of(addr, order, 0);
}

static bool zeroed(uintptr_t addr, unsigned order)
{
	unsigned long pages = 1UL << order;

	for (unsigned long k = 0; k < pages; k++)
		if (*(uint64_t *)(addr + k * PGA_PAGE_SIZE) != 0)
			return false;
	return *(uint64_t *)(addr + (pages << PGA_PAGE_SHIFT) - 8) == 0;
}

static unsigned random_order(unsigned long long *seed)
{
	unsigned r = (unsigned)(t_rand(seed) % 1000);

	if (r < 500)
		return 0;
	if (r < 700)
		return 1;
	if (r < 800)
		return 2;
	if (r < 900)
		return 3;
	if (r < 990)
		return 4 + (unsigned)(t_rand(seed) % 4); /* 4..7 */
	return 8 + (unsigned)(t_rand(seed) % 3);         /* 8..10 */
}

static pga_gfp_t random_gfp(unsigned long long *seed)
{
	static const pga_gfp_t gfps[] = {0, PGA_GFP_MOVABLE, PGA_GFP_RECLAIMABLE, PGA_GFP_ZERO,
	                                 PGA_GFP_COLD};
	return gfps[t_rand(seed) % 5];
}

static void free_block(struct worker *w, uintptr_t v)
{
	unsigned order = (unsigned)(v & 0xff);
	uintptr_t addr = v & ~(uintptr_t)0xfff;

	if (!tag_ok(addr, order))
		w->bad_tag++;
	/* Spoil the tag, so that a block handed out again without being
	 * written is caught too. */
	*(uint64_t *)addr = 0xdeadbeefULL;
	pga_free_pages((void *)addr, order);
	w->frees++;
}

static uintptr_t alloc_block(struct worker *w)
{
	unsigned order = random_order(&w->seed);
	pga_gfp_t gfp = random_gfp(&w->seed);
	void *p;

	errno = 0;
	p = pga_alloc_pages(gfp | PGA_GFP_NOWARN, order);
	if (!p) {
		if (errno != ENOMEM)
			w->bad_errno++;
		if (order <= 3)
			w->failed_low++;
		else
			w->failed_high++;
		return 0;
	}
	uintptr_t addr = (uintptr_t)p;
	if ((addr & ((PGA_PAGE_SIZE << order) - 1)) != 0 || pga_page_node(p) < 0)
		w->bad_addr++;
	if ((gfp & PGA_GFP_ZERO) && !zeroed(addr, order))
		w->bad_zero++;
	tag_block(addr, order);
	w->allocs++;
	return addr | order;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (long op = 0; op < cur.ops; op++) {
		unsigned r = (unsigned)(t_rand(&w->seed) % 100);
		unsigned i = (unsigned)(t_rand(&w->seed) % LOCAL_SLOTS);

		if (r < 45) {
			/* Allocate into a local slot. */
			if (w->local[i])
				free_block(w, w->local[i]);
			w->local[i] = alloc_block(w);
		} else if (r < 75) {
			/* Free a local block. */
			if (w->local[i]) {
				free_block(w, w->local[i]);
				w->local[i] = 0;
			}
		} else {
			/* Pass a local block (or nothing) through a shared slot;
			 * whatever was there, likely another thread's, is freed
			 * here. */
			unsigned j = (unsigned)(t_rand(&w->seed) % SHARED_SLOTS);
			uintptr_t old = atomic_exchange(&shared[j], w->local[i]);
			w->local[i] = 0;
			if (old) {
				free_block(w, old);
				w->cross++;
			}
		}
	}
	for (int i = 0; i < LOCAL_SLOTS; i++) {
		if (w->local[i])
			free_block(w, w->local[i]);
		w->local[i] = 0;
	}
	return NULL;
}

static void run_stress(void)
{
	static struct worker w[NTHREADS];
	long allocs = 0, frees = 0, cross = 0, failed_low = 0, failed_high = 0;

	REQUIRE(pga_num_nodes() >= 1);
	for (int i = 0; i < SHARED_SLOTS; i++)
		atomic_store(&shared[i], 0);
	for (int i = 0; i < NTHREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i;
		w[i].seed = 0x9e3779b97f4a7c15ULL * (unsigned long long)(i + 1);
		REQUIRE(pthread_create(&w[i].th, NULL, worker_main, &w[i]) == 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		REQUIRE(pthread_join(w[i].th, NULL) == 0);
		CHECK_EQ(w[i].bad_tag, 0);
		CHECK_EQ(w[i].bad_zero, 0);
		CHECK_EQ(w[i].bad_addr, 0);
		CHECK_EQ(w[i].bad_errno, 0);
		allocs += w[i].allocs;
		frees += w[i].frees;
		cross += w[i].cross;
		failed_low += w[i].failed_low;
		failed_high += w[i].failed_high;
	}

	/* What is left in the shared slots, from the main thread. */
	struct worker mainw = {0};
	for (int i = 0; i < SHARED_SLOTS; i++) {
		uintptr_t v = atomic_exchange(&shared[i], 0);
		if (v)
			free_block(&mainw, v);
	}
	CHECK_EQ(mainw.bad_tag, 0);
	frees += mainw.frees;

	printf("%ld ops: %ld allocations, %ld frees (%ld cross-thread), %ld + %ld failed "
	       "(order <= 3, > 3)\n",
	       cur.ops * NTHREADS, allocs, frees, cross, failed_low, failed_high);
	CHECK_EQ(allocs, frees);
	CHECK(cross > 0);
	if (!cur.tight)
		CHECK_EQ(failed_low, 0);
	else
		CHECK(allocs > 0);

	/* Everything back: validator and free == managed in every zone. */
	t_check_all_free("stress",
	                 (struct t_all_free){.drain = true, .stats = true, .validate = true});
	/* And every page allocated was freed. */
	uint64_t pgalloc = 0, pgfree = 0;
	for (int id = 0; id < pga_mem.nr_zones; id++) {
		struct pga_zone *z = pga_mem.zones[id];
		struct pga_zone_stats st;

		if (pga_zone_stats(z->node, (int)z->idx, &st) != 0)
			continue; /* not so: t_check_all_free read them all */
		pgalloc += st.pgalloc;
		pgfree += st.pgfree;
	}
	CHECK_EQ(pgalloc, pgfree);
}

int main(void)
{
	long ops = T_SANITIZED ? FULL_OPS / 2 : FULL_OPS;

	cur.ops = ops;
	cur.tight = false;
	t_run_with_conf("stress", "node_limit_mb=256", run_stress);
	t_run_with_conf("stress-numa2", "numa_fake=2,node_limit_mb=256", run_stress);
	/* Short of memory: the slow path, reclaim and remote drains run
	 * under the same concurrency. */
	cur.ops = ops / 4;
	cur.tight = true;
	t_run_with_conf("stress-tight", "numa_fake=2,node_limit_mb=24,pcp_batch=31,pcp_high=186",
	                run_stress);
	return t_done("test_stress");
}
