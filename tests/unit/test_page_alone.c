// SPDX-License-Identifier: MIT
/*
 * test_page_alone.c - the page allocator on its own. This program links the
 * page layer and the base layer below it, nothing above: no slab, no malloc,
 * no statistics printing, and their headers are not on its include path. So
 * it builds, links and passes only while the page layer stands alone.
 *
 * It uses the page API: blocks of every order and mobility, exact runs,
 * ZERO, the zone statistics, pga_drain_all_pages, and fork. The page layer
 * registers its fork handlers with pthread_atfork when it is loaded, so the
 * child of a multi-threaded parent finds its locks free (it can allocate
 * although the parent's threads were allocating at the fork) and takes over
 * the pcp pages of the threads it did not inherit (it reaches all free).
 * After each case, with everything freed and drained, every zone is all
 * free.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "child.h"
#include "mmzone.h"
#include "park.h"
#include "pattern.h"
#include "pgalloc.h"
#include "rand.h"
#include "sanitizer.h"
#include "thread.h"
#include "zones.h"

/* Everything back: each zone's pages on its free lists, none on a pcp
 * list, the buddy lists valid. */
static const struct t_all_free drained = {.drain = true, .stats = true, .validate = true};

/* Fill the first and the last page of a block with the pattern of its
 * address and order (enough to see an overlap at either end, at the cost
 * of two pages whatever the order); check them. */
static void fill_block(void *p, unsigned order)
{
	size_t last = (PGA_PAGE_SIZE << order) - PGA_PAGE_SIZE;
	uint64_t key = (uintptr_t)p ^ order;

	t_fill(p, PGA_PAGE_SIZE, key);
	if (last)
		t_fill((char *)p + last, PGA_PAGE_SIZE, ~key);
}

static bool block_ok(const void *p, unsigned order)
{
	size_t last = (PGA_PAGE_SIZE << order) - PGA_PAGE_SIZE;
	uint64_t key = (uintptr_t)p ^ order;

	return t_verify(p, PGA_PAGE_SIZE, key) &&
	       (!last || t_verify((const char *)p + last, PGA_PAGE_SIZE, ~key));
}

/*
 * Allocate blocks of orders 0..top, several of each, check alignment, node
 * and zone, fill them, then check and free them all. Returns the number of
 * problems, for children that report through their exit status.
 */
static int blocks_round(unsigned top, int per_order)
{
	static const pga_gfp_t gfps[] = {0, PGA_GFP_MOVABLE, PGA_GFP_RECLAIMABLE, PGA_GFP_COLD};
	void *held[PGA_MAX_ORDER][8];
	int bad = 0;

	REQUIRE(top < PGA_MAX_ORDER && per_order <= 8);
	for (unsigned order = 0; order <= top; order++)
		for (int i = 0; i < per_order; i++) {
			void *p = pga_alloc_pages(gfps[i % 4], order);
			held[order][i] = p;
			if (!p) {
				bad++;
				continue;
			}
			if ((uintptr_t)p % (PGA_PAGE_SIZE << order) || pga_page_node(p) < 0 ||
			    pga_page_zone(p) < 0)
				bad++;
			fill_block(p, order);
		}
	for (unsigned order = 0; order <= top; order++)
		for (int i = 0; i < per_order; i++) {
			if (!held[order][i])
				continue;
			if (!block_ok(held[order][i], order))
				bad++;
			pga_free_pages(held[order][i], order);
		}
	return bad;
}

/* ---- the API on one thread ------------------------------------------------ */

static void case_api(void)
{
	int nodes = pga_num_nodes();
	struct pga_zone_stats st;

	CHECK(nodes >= 1);
	CHECK_EQ(blocks_round(PGA_MAX_ORDER - 1, 8), 0);

	/* ZERO clears recycled memory. */
	for (unsigned order = 0; order < 6; order++) {
		unsigned char *p = pga_alloc_pages(0, order);
		REQUIRE(p != NULL);
		memset(p, 0xab, PGA_PAGE_SIZE << order);
		pga_free_pages(p, order);
		p = pga_alloc_pages(PGA_GFP_ZERO, order);
		REQUIRE(p != NULL);
		CHECK(t_all_bytes(p, PGA_PAGE_SIZE << order, 0));
		pga_free_pages(p, order);
	}

	/* Exact runs: page-aligned, the whole size writable. */
	static const size_t exact[] = {1, PGA_PAGE_SIZE, 5 * PGA_PAGE_SIZE + 1, 36 * 1024,
	                               513 * PGA_PAGE_SIZE};
	for (size_t i = 0; i < PGA_ARRAY_SIZE(exact); i++) {
		unsigned char *p = pga_alloc_pages_exact(exact[i], PGA_GFP_ZERO);
		REQUIRE(p != NULL);
		CHECK((uintptr_t)p % PGA_PAGE_SIZE == 0);
		CHECK(t_all_bytes(p, exact[i], 0));
		memset(p, 0x5a, exact[i]);
		pga_free_pages_exact(p, exact[i]);
	}

	/* Each node, and what is not a request. */
	for (int n = 0; n < nodes; n++) {
		void *p = pga_alloc_pages_node(n, PGA_GFP_THISNODE, 2);
		REQUIRE(p != NULL);
		CHECK_EQ(pga_page_node(p), n);
		pga_free_pages(p, 2);
	}
	errno = 0;
	CHECK(pga_alloc_pages(0, PGA_MAX_ORDER) == NULL);
	CHECK_EQ(errno, EINVAL);
	int local = 0;
	CHECK_EQ(pga_page_node(&local), -1);

	/* The statistics: pages handed out are neither free nor on a pcp list. */
	void *p = pga_alloc_pages(0, 4);
	REQUIRE(p != NULL);
	REQUIRE(pga_zone_stats(pga_page_node(p), pga_page_zone(p), &st) == 0);
	CHECK(st.free + st.pcp + 16 <= st.managed);
	CHECK(st.pgalloc >= 16);
	pga_free_pages(p, 4);

	t_check_all_free("api", drained);
}

/* ---- threads ---------------------------------------------------------------- */

#define THREADS 4
#define SLOTS   64

/*
 * Blocks passed between threads: one allocates, another frees; a block's
 * order is in its low bits. Orders 0..3 go through the threads' pcp lists,
 * which their owners use without a lock; 4..6 through the buddy lists under
 * the zone lock. The fork handlers must stop both: they take the zone locks,
 * and revoke every thread's pcp lists, waiting for it to leave them.
 */
static _Atomic uintptr_t shared[SLOTS];
static _Atomic bool stop;
static _Atomic long ops, bad_blocks;

static void free_tagged(uintptr_t v)
{
	unsigned order = (unsigned)(v & 0xff);
	void *p = (void *)(v & ~(uintptr_t)0xfff);

	if (!block_ok(p, order))
		atomic_fetch_add(&bad_blocks, 1);
	pga_free_pages(p, order);
}

static void *busy_thread(void *arg)
{
	unsigned long long seed = (uintptr_t)arg * 0x9e3779b97f4a7c15ULL;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned order = (unsigned)(t_rand(&seed) % (PGA_PCP_ORDERS + 3));
		void *p = pga_alloc_pages(PGA_GFP_NOWARN, order);
		if (!p) {
			atomic_fetch_add(&bad_blocks, 1);
			continue;
		}
		fill_block(p, order);
		uintptr_t old =
		    atomic_exchange(&shared[t_rand(&seed) % SLOTS], (uintptr_t)p | order);
		if (old)
			free_tagged(old);
		atomic_fetch_add_explicit(&ops, 1, memory_order_relaxed);
	}
	return NULL;
}

static void free_shared(void)
{
	for (int i = 0; i < SLOTS; i++) {
		uintptr_t v = atomic_exchange(&shared[i], 0);
		if (v)
			free_tagged(v);
	}
}

/*
 * pgalloc is started before any thread is: a first allocation from several
 * threads at once is a question of its own (the fast path reads what
 * start-up writes before it knows that start-up is done, which
 * ThreadSanitizer reports), not this test's.
 */
static void start_first(void)
{
	(void)pga_num_nodes();
}

static void start_busy(pthread_t *th)
{
	start_first();
	atomic_store(&stop, false);
	for (int i = 0; i < THREADS; i++)
		REQUIRE(pthread_create(&th[i], NULL, busy_thread, (void *)(uintptr_t)(i + 1)) == 0);
}

static void stop_busy(pthread_t *th)
{
	atomic_store(&stop, true);
	for (int i = 0; i < THREADS; i++)
		REQUIRE(pthread_join(th[i], NULL) == 0);
	free_shared();
}

/* Let the threads make some progress. */
static void wait_ops(long n)
{
	long start = atomic_load(&ops);

	while (atomic_load(&ops) < start + n)
		sched_yield();
}

/* Cross-thread frees, then the threads exit: their pcp pages come back. */
static void case_threads(void)
{
	pthread_t th[THREADS];

	start_busy(th);
	wait_ops(T_SANITIZED ? 5000 : 20000);
	stop_busy(th);
	CHECK_EQ(atomic_load(&bad_blocks), 0);
	t_check_all_free("threads", drained);
}

/* ---- fork --------------------------------------------------------------------- */

#define FORKS (T_SANITIZED ? 10 : 30)

/* The forked children keep the parent's environment; a hung one is killed
 * and fails rather than running into the test's timeout. */
static const struct t_child_opts forked = {.inherit_conf = true, .no_core = true, .timeout_s = 60};

/* A child of a parent whose threads were allocating when it forked: the
 * page allocator's locks are free, and it can allocate and free. */
static void busy_child(void)
{
	CHECK_EQ(blocks_round(PGA_MAX_ORDER - 1, 4), 0);
	CHECK_EQ(blocks_round(3, 8), 0);
}

static void case_fork_busy(void)
{
	pthread_t th[THREADS];
	int failed = 0;

	start_busy(th);
	for (int f = 0; f < FORKS; f++) {
		char what[32];

		wait_ops(200);
		snprintf(what, sizeof(what), "fork %d: child", f);
		failed += !t_child_passes(busy_child, forked, what);
	}
	stop_busy(th);
	printf("fork_busy: %d forks, %ld operations in the threads\n", FORKS, atomic_load(&ops));
	CHECK_EQ(failed, 0);
	CHECK_EQ(atomic_load(&bad_blocks), 0);
	t_check_all_free("fork_busy parent", drained);
}

/* Threads that have freed everything and wait: their pcp lists hold pages. */
static struct t_park park = T_PARK_INITIALIZER;

static _Atomic long idle_failed; /* allocations the idle threads did not get */

static void *idle_thread(void *arg)
{
	void *held[200];

	(void)arg;
	for (int i = 0; i < 200; i++) {
		held[i] = pga_alloc_pages(i % 2 ? PGA_GFP_MOVABLE : 0, 0);
		if (!held[i])
			atomic_fetch_add(&idle_failed, 1);
	}
	for (int i = 0; i < 200; i++)
		if (held[i])
			pga_free_pages(held[i], 0);
	t_park(&park);
	return NULL;
}

/* The idle threads' pcp pages, seen by the parent before the fork. */
static unsigned long idle_pcp_pages;

/*
 * Without those threads, their pcp pages are abandoned in the child (the
 * child never walks a dead thread's lists, fork.c): after a drain every
 * zone has all its managed pages free but exactly those, which the books
 * count, and the child's own work leaks nothing.
 */
static void idle_child(void)
{
	struct pga_thread_abandoned ab;
	unsigned long registered, mapped;

	CHECK_EQ(blocks_round(5, 8), 0);
	pga_drain_all_pages();
	pga_thread_abandoned(&ab);
	pga_thread_counts(&registered, &mapped);
	CHECK_EQ(ab.threads, THREADS);
	CHECK_EQ(registered, 1); /* only the forking thread */
	CHECK(ab.total_pcp_pages > 0);
	CHECK(ab.total_pcp_pages <= idle_pcp_pages);
	for (int id = 0; id < pga_mem.nr_zones; id++) {
		struct pga_zone *z = pga_mem.zones[id];
		unsigned long free = pga_zone_free_pages(z);
		unsigned long managed = atomic_load(&z->managed_pages);
		CHECK_EQ(free + ab.pcp_pages[id], managed);
		t_zone_valid(z, "fork_idle child");
	}
}

static void case_fork_idle(void)
{
	pthread_t th[THREADS];
	struct pga_zone_stats st;
	unsigned long pcp = 0;

	start_first();
	for (int i = 0; i < THREADS; i++)
		REQUIRE(pthread_create(&th[i], NULL, idle_thread, NULL) == 0);
	t_park_wait(&park, THREADS);
	CHECK_EQ(atomic_load(&idle_failed), 0);

	/* The threads' caches do hold pages now. */
	for (int n = 0; n < pga_num_nodes(); n++)
		for (int zt = 0; zt < PGA_NR_ZONES; zt++)
			if (pga_zone_stats(n, zt, &st) == 0)
				pcp += st.pcp;
	CHECK(pcp > 0);
	idle_pcp_pages = pcp;

	CHECK(t_child_passes(idle_child, forked, "fork_idle child"));

	t_park_release(&park);
	for (int i = 0; i < THREADS; i++)
		REQUIRE(pthread_join(th[i], NULL) == 0);
	t_check_all_free("fork_idle parent", drained);
}

int main(void)
{
	unsetenv("PGALLOC_CONF");
	t_run_with_conf("api", NULL, case_api);
	t_run_with_conf("api-numa2", "numa_fake=2,node_limit_mb=256", case_api);
	t_run_with_conf("threads", NULL, case_threads);
	t_run_with_conf("fork_busy", NULL, case_fork_busy);
	t_run_with_conf("fork_idle", NULL, case_fork_idle);
	return t_done("page_alone");
}
