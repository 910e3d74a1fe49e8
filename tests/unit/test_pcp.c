/* SPDX-License-Identifier: MIT */
/*
 * test_pcp.c - the per-thread page caches: refill by a batch, drain by a
 * batch past high, hot and cold ends, draining another thread's lists
 * (pga_drain_all_pages and the revoke protocol), and the pages of an exiting
 * thread coming back.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"
#include "child.h"
#include "mmzone.h"
#include "page_alloc.h"
#include "pgalloc.h"
#include "rand.h"
#include "thread.h"
#include "zones.h"

#define NOWARN PGA_GFP_NOWARN

static struct pga_zone *zone_of(const void *p)
{
	unsigned long pfn;
	struct pga_zone *z = pga_addr_to_zone(p, &pfn);

	REQUIRE(z != NULL);
	return z;
}

static struct pga_page *page_of(const void *p)
{
	unsigned long pfn;
	struct pga_zone *z = pga_addr_to_zone(p, &pfn);

	REQUIRE(z != NULL);
	return pga_pfn_to_page(z, pfn);
}

static int pcp_count(struct pga_thread *t, const struct pga_zone *z)
{
	return atomic_load(&t->pcp[z->id].count);
}

static size_t list_len(const struct pga_list *head)
{
	const struct pga_list *pos;
	size_t n = 0;

	pga_list_for_each (pos, head) {
		n++;
	}
	return n;
}

/* The gfp mobility bits that select a migratetype's pcp list. */
static pga_gfp_t gfp_of_mt(unsigned mt)
{
	return mt == PGA_MIGRATE_MOVABLE       ? PGA_GFP_MOVABLE
	       : mt == PGA_MIGRATE_RECLAIMABLE ? PGA_GFP_RECLAIMABLE
	                                       : 0;
}

static void run_in_thread(void *(*fn)(void *), void *arg)
{
	pthread_t th;

	REQUIRE(pthread_create(&th, NULL, fn, arg) == 0);
	REQUIRE(pthread_join(th, NULL) == 0);
}

/* ------------------------------------------------------------------ */
/* Refill at batch                                                    */

static void *refill_thread(void *arg)
{
	(void)arg;
	void *p = pga_alloc_pages(0, 0);
	REQUIRE(p != NULL);
	struct pga_thread *t = pga_current;
	REQUIRE(pga_thread_is_real(t));
	struct pga_zone *z = zone_of(p);
	int batch = z->pcp_batch;
	struct pga_list *ul = &t->pcp[z->id].lists[pga_pcp_index(0, PGA_MIGRATE_UNMOVABLE)];

	/* rmqueue_bulk moved one batch; the allocation took one of it. */
	CHECK_EQ(pcp_count(t, z), batch - 1);
	CHECK_EQ(list_len(ul), (size_t)batch - 1);
	CHECK_EQ(page_of(p)->flags, PGA_PG_ALLOC);

	/* The rest of the batch comes off the list, then one more refill. */
	void *held[4096];
	int n = 0;
	held[n++] = p;
	for (int i = 1; i < batch; i++) {
		held[n++] = pga_alloc_pages(0, 0);
		REQUIRE(held[n - 1] != NULL);
		CHECK(zone_of(held[n - 1]) == z);
		CHECK_EQ(pcp_count(t, z), batch - 1 - i);
	}
	CHECK_EQ(pcp_count(t, z), 0);
	held[n++] = pga_alloc_pages(0, 0);
	REQUIRE(held[n - 1] != NULL);
	CHECK_EQ(pcp_count(t, z), batch - 1);

	/* Another migratetype has its own list and its own refill. */
	void *m = pga_alloc_pages(PGA_GFP_MOVABLE, 0);
	REQUIRE(m != NULL);
	CHECK(zone_of(m) == z);
	CHECK_EQ(pcp_count(t, z), 2 * (batch - 1));
	CHECK_EQ(list_len(&t->pcp[z->id].lists[pga_pcp_index(0, PGA_MIGRATE_MOVABLE)]),
	         (size_t)batch - 1);

	/* Order 2: batch >> 2 blocks of 4 pages. */
	int before = pcp_count(t, z);
	void *o2 = pga_alloc_pages(0, 2);
	REQUIRE(o2 != NULL);
	int blocks = batch >> 2 ? batch >> 2 : 1;
	CHECK_EQ(pcp_count(t, z), before + (blocks - 1) * 4);

	pga_free_pages(o2, 2);
	pga_free_pages(m, 0);
	for (int i = 0; i < n; i++)
		pga_free_pages(held[i], 0);
	return NULL;
}

static void case_refill(void)
{
	REQUIRE(pga_num_nodes() >= 1);
	run_in_thread(refill_thread, NULL);
	t_check_all_free("refill", (struct t_all_free){.drain = true, .validate = true});
}

/* ------------------------------------------------------------------ */
/* Frees accumulate up to high, then drop by batch                    */

static void *high_thread(void *arg)
{
	(void)arg;
	void *first = pga_alloc_pages(0, 0);
	REQUIRE(first != NULL);
	struct pga_zone *z = zone_of(first);
	struct pga_thread *t = pga_current;
	int batch = z->pcp_batch, high = z->pcp_high;
	int n = high + 3 * batch;
	void **held = calloc((size_t)n, sizeof(*held));

	REQUIRE(held != NULL);
	REQUIRE(batch >= 1 && high > batch);
	held[0] = first;
	for (int i = 1; i < n; i++) {
		held[i] = pga_alloc_pages(0, 0);
		REQUIRE(held[i] != NULL);
		CHECK(zone_of(held[i]) == z);
	}
	CHECK(pcp_count(t, z) < batch);

	int drops = 0;
	for (int i = 0; i < n; i++) {
		int prev = pcp_count(t, z);
		pga_free_pages(held[i], 0);
		int now = pcp_count(t, z);
		if (prev + 1 >= high) {
			/* free_pcppages_bulk gave a batch back. */
			CHECK_EQ(now, prev + 1 - batch);
			drops++;
		} else {
			CHECK_EQ(now, prev + 1);
		}
		CHECK(now < high);
	}
	CHECK(drops >= 1);
	/* What is left is the thread's until drained. */
	struct pga_zone_stats st;
	REQUIRE(pga_zone_stats(z->node, (int)z->idx, &st) == 0);
	CHECK_EQ(st.pcp, (unsigned long)pcp_count(t, z));
	CHECK_EQ(st.free + st.pcp, st.managed);
	free(held);
	return NULL;
}

static void case_high(void)
{
	run_in_thread(high_thread, NULL);
	t_check_all_free("high", (struct t_all_free){.drain = true, .validate = true});
}

/* ------------------------------------------------------------------ */
/* Hot and cold ends                                                  */

/* Order-0 allocations through the inline fast path, or (slow != 0) through
 * the out-of-line path: a nodemask always takes it. */
static void *alloc0(int slow, pga_gfp_t gfp)
{
	pga_nodemask_t all;

	if (!slow)
		return pga_alloc_pages(gfp, 0);
	memset(&all, 0xff, sizeof(all));
	return pga_alloc_pages_nodemask(gfp, 0, -1, &all);
}

static void *hotcold_thread(void *arg)
{
	int slow = *(int *)arg;
	void *a = alloc0(slow, PGA_GFP_MOVABLE);
	void *b = alloc0(slow, PGA_GFP_MOVABLE);
	REQUIRE(a != NULL && b != NULL);
	struct pga_zone *z = zone_of(a);
	struct pga_thread *t = pga_current;
	REQUIRE(zone_of(b) == z);
	REQUIRE(pcp_count(t, z) + 4 < z->pcp_high);

	/* Free A, then B: B is hot. */
	pga_free_pages(a, 0);
	pga_free_pages(b, 0);
	unsigned mt = page_of(b)->migratetype;
	CHECK_EQ(page_of(a)->migratetype, mt);
	CHECK_EQ(page_of(b)->flags, PGA_PG_PCP);
	pga_gfp_t gfp = gfp_of_mt(mt);
	struct pga_list *list = &t->pcp[z->id].lists[pga_pcp_index(0, mt)];
	CHECK(list->next == &page_of(b)->lru);
	CHECK(list->next->next == &page_of(a)->lru);

	void *x = alloc0(slow, gfp);
	CHECK(x == b);
	void *y = alloc0(slow, gfp);
	CHECK(y == a);

	/* COLD takes the tail. */
	pga_free_pages(x, 0);
	pga_free_pages(y, 0);
	REQUIRE(!pga_list_empty(list) && list->prev != list->next);
	struct pga_page *tail = container_of(list->prev, struct pga_page, lru);
	void *tail_addr = pga_page_address(z, tail);
	void *c = alloc0(slow, gfp | PGA_GFP_COLD);
	CHECK(c == tail_addr);
	CHECK(c != a); /* a is at the hot end */
	void *h = alloc0(slow, gfp);
	CHECK(h == a);

	/* pga_free_cold_page puts a page at the tail: the next hot allocation
	 * does not see it, the next cold one does. */
	pga_free_cold_page(h);
	CHECK(list->prev == &page_of(h)->lru);
	CHECK_EQ(page_of(h)->flags, PGA_PG_PCP);
	void *hot = alloc0(slow, gfp);
	CHECK(hot != h);
	void *cold = alloc0(slow, gfp | PGA_GFP_COLD);
	CHECK(cold == h);

	/* With ZERO the page comes back zeroed, from either end. */
	memset(cold, 0xab, PGA_PAGE_SIZE);
	pga_free_pages(cold, 0);
	unsigned char *zp = alloc0(slow, gfp | PGA_GFP_ZERO);
	REQUIRE(zp != NULL);
	CHECK(zp == cold);
	size_t nz = 0;
	for (size_t i = 0; i < PGA_PAGE_SIZE; i++)
		nz += zp[i] != 0;
	CHECK_EQ(nz, 0);

	pga_free_pages(zp, 0);
	pga_free_pages(hot, 0);
	pga_free_pages(c, 0);
	return NULL;
}

static void case_hotcold(void)
{
	int fast = 0, slow = 1;

	run_in_thread(hotcold_thread, &fast);
	t_check_all_free("hotcold fast", (struct t_all_free){.drain = true, .validate = true});
	run_in_thread(hotcold_thread, &slow);
	t_check_all_free("hotcold slow", (struct t_all_free){.drain = true, .validate = true});
}

/* ------------------------------------------------------------------ */
/* Remote drain                                                       */

struct remote {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stage; /* 1: B filled its pcp; 2: main drained; 3: B done */
	struct pga_thread *t;
	struct pga_zone *zone;
	int count;
};

static void remote_wait(struct remote *r, int stage)
{
	pthread_mutex_lock(&r->lock);
	while (r->stage < stage)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

static void remote_set(struct remote *r, int stage)
{
	pthread_mutex_lock(&r->lock);
	r->stage = stage;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void *remote_thread(void *arg)
{
	struct remote *r = arg;
	void *held[64];

	for (int i = 0; i < 64; i++) {
		held[i] = pga_alloc_pages(0, 0);
		REQUIRE(held[i] != NULL);
	}
	struct pga_zone *z = zone_of(held[0]);
	for (int i = 63; i >= 0; i--)
		pga_free_pages(held[i], 0);
	r->t = pga_current;
	r->zone = z;
	r->count = pcp_count(pga_current, z);
	remote_set(r, 1);
	remote_wait(r, 2);

	/* The lists still work after being drained from outside. */
	void *p = pga_alloc_pages(0, 0);
	REQUIRE(p != NULL);
	CHECK(zone_of(p) == z);
	CHECK_EQ(page_of(p)->flags, PGA_PG_ALLOC);
	CHECK_EQ(pcp_count(pga_current, z), z->pcp_batch - 1);
	memset(p, 0x11, PGA_PAGE_SIZE);
	pga_free_pages(p, 0);
	CHECK_EQ(pcp_count(pga_current, z), z->pcp_batch);
	remote_set(r, 3);
	return NULL;
}

static void case_remote_drain(void)
{
	struct remote r = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	pthread_t th;

	REQUIRE(pga_num_nodes() >= 1);
	REQUIRE(pthread_create(&th, NULL, remote_thread, &r) == 0);
	remote_wait(&r, 1);
	struct pga_zone *z = r.zone;
	CHECK(r.count > 0);
	CHECK_EQ(pcp_count(r.t, z), r.count);

	/* Nothing else holds pages of this zone: the main thread's own pcp
	 * is counted in case it has one. */
	int mine = pga_thread_is_real(pga_current) ? pcp_count(pga_current, z) : 0;
	unsigned long free_before = pga_zone_free_pages(z);
	unsigned long drained = pga_drain_all_pages();

	if (pga_mem.membarrier) {
		CHECK(drained >= (unsigned long)r.count);
		CHECK_EQ(pcp_count(r.t, z), 0);
		CHECK_EQ(pga_zone_free_pages(z) - free_before, (unsigned long)(r.count + mine));
		CHECK_EQ(atomic_load(&r.t->revoked), 0);
	} else {
		/* Without membarrier the owner drains itself at its next
		 * operation: its count drops then. */
		printf("note: no membarrier; the drain is deferred to the owner\n");
		CHECK_EQ(atomic_load(&r.t->revoked), 1);
	}
	remote_set(&r, 2);
	remote_wait(&r, 3);
	REQUIRE(pthread_join(th, NULL) == 0);
	t_check_all_free("remote drain", (struct t_all_free){.drain = true, .validate = true});
}

/* ------------------------------------------------------------------ */
/* Thread exit gives the pages back                                   */

struct exiting {
	struct remote sync; /* stage 1: pcp filled; 2: may exit */
	struct pga_zone *zone;
	int count;
	void *kept[8]; /* still allocated after the thread is gone */
};

static void *exit_thread(void *arg)
{
	struct exiting *e = arg;
	void *held[100];

	for (int i = 0; i < 100; i++) {
		held[i] = pga_alloc_pages(0, 0);
		REQUIRE(held[i] != NULL);
	}
	e->zone = zone_of(held[0]);
	for (int i = 0; i < 8; i++)
		e->kept[i] = held[i];
	for (int i = 8; i < 100; i++)
		pga_free_pages(held[i], 0);
	e->count = pcp_count(pga_current, e->zone);
	remote_set(&e->sync, 1);
	remote_wait(&e->sync, 2);
	return NULL;
}

/* Start an exit_thread, let it fill its pcp, then let it exit. When
 * before is given, the zone's stats while the thread still lives. */
static void run_exiting(struct exiting *e, struct pga_zone_stats *before)
{
	pthread_t th;

	pthread_mutex_init(&e->sync.lock, NULL);
	pthread_cond_init(&e->sync.cond, NULL);
	e->sync.stage = 0;
	REQUIRE(pthread_create(&th, NULL, exit_thread, e) == 0);
	remote_wait(&e->sync, 1);
	if (before)
		REQUIRE(pga_zone_stats(e->zone->node, (int)e->zone->idx, before) == 0);
	remote_set(&e->sync, 2);
	REQUIRE(pthread_join(th, NULL) == 0);
	pthread_cond_destroy(&e->sync.cond);
	pthread_mutex_destroy(&e->sync.lock);
}

static void case_thread_exit(void)
{
	struct exiting e;
	struct pga_zone_stats live, st;

	memset(&e, 0, sizeof(e));
	run_exiting(&e, &live);
	struct pga_zone *z = e.zone;
	REQUIRE(z != NULL);
	CHECK(e.count > 0);

	/* While it lived, its pages were in the pcp count, not free. */
	CHECK_EQ(live.pcp, (unsigned long)e.count);
	CHECK_EQ(live.free + live.pcp + 8, live.managed);

	/* Gone: its pcp pages are back on the free lists (main has allocated
	 * nothing), and free + kept == managed. */
	REQUIRE(pga_zone_stats(z->node, (int)z->idx, &st) == 0);
	CHECK_EQ(st.pcp, 0);
	CHECK_EQ(st.free, live.free + (unsigned long)e.count);
	CHECK_EQ(st.free + 8, st.managed);
	CHECK_EQ(pga_zone_free_pages(z) + 8, atomic_load(&z->managed_pages));
	/* Its events survive it. */
	CHECK(st.pgalloc >= 100);
	CHECK(st.pgfree >= 92);
	t_zone_valid(z, "thread exit");

	/* The pages it still had allocated are the program's: free them from
	 * here. */
	for (int i = 0; i < 8; i++)
		pga_free_pages(e.kept[i], 0);
	t_check_all_free("thread exit", (struct t_all_free){.drain = true, .validate = true});

	/* Many threads in turn: the states are recycled, nothing leaks. */
	for (int k = 0; k < 50; k++) {
		struct exiting e2;
		memset(&e2, 0, sizeof(e2));
		run_exiting(&e2, NULL);
		for (int i = 0; i < 8; i++)
			pga_free_pages(e2.kept[i], 0);
	}
	REQUIRE(pga_zone_stats(z->node, (int)z->idx, &st) == 0);
	CHECK_EQ(st.pcp,
	         (unsigned long)(pga_thread_is_real(pga_current) ? pcp_count(pga_current, z) : 0));
	t_check_all_free("thread churn", (struct t_all_free){.drain = true, .validate = true});
}

/* ------------------------------------------------------------------ */
/* Revoke protocol under concurrency                                  */

struct churn {
	atomic_int stop;
	atomic_long progress; /* operations done by all churn threads */
	atomic_long bad;
	int nthreads;
};

static uint64_t tag_of(const void *p)
{
	return (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ULL;
}

/* Allocate and free order-0 pages in a tight loop, hot and cold, keeping up
 * to 256 of them tagged, until told to stop. */
static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	enum { SLOTS = 256 };
	void *slot[SLOTS] = {0};
	unsigned long long seed = 0x1234567 + (uintptr_t)&slot;

	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		for (int k = 0; k < 16; k++) {
			unsigned i = (unsigned)(t_rand(&seed) % SLOTS);
			if (slot[i]) {
				if (*(uint64_t *)slot[i] != tag_of(slot[i]))
					c->bad++;
				if (t_rand(&seed) & 1)
					pga_free_pages(slot[i], 0);
				else
					pga_free_cold_page(slot[i]);
				slot[i] = NULL;
			} else {
				pga_gfp_t gfp = (t_rand(&seed) & 3) == 0 ? PGA_GFP_COLD : 0;
				slot[i] = pga_alloc_pages(gfp | NOWARN, 0);
				if (slot[i])
					*(uint64_t *)slot[i] = tag_of(slot[i]);
			}
		}
		atomic_fetch_add_explicit(&c->progress, 16, memory_order_relaxed);
	}
	for (int i = 0; i < SLOTS; i++) {
		if (slot[i]) {
			if (*(uint64_t *)slot[i] != tag_of(slot[i]))
				c->bad++;
			pga_free_pages(slot[i], 0);
		}
	}
	return NULL;
}

/*
 * The revoke protocol under fire: churn threads work their pcp lists while
 * the main thread drains them a few hundred times, each drain after the
 * churners have made some progress, so that drains meet owners inside their
 * lists. Afterwards every tag is intact, the validator passes and every
 * page is accounted for.
 */
#define NR_DRAINS 300

static void churn_vs_drain(int nthreads)
{
	struct churn c = {.nthreads = nthreads};
	pthread_t th[4];
	unsigned long drained = 0;
	long last = 0;
	int drains = 0;

	REQUIRE(nthreads <= 4);
	for (int i = 0; i < nthreads; i++)
		REQUIRE(pthread_create(&th[i], NULL, churn_thread, &c) == 0);
	for (drains = 0; drains < NR_DRAINS; drains++) {
		/* Let the churners refill their lists between drains. */
		while (atomic_load_explicit(&c.progress, memory_order_relaxed) < last + 64)
			sched_yield();
		last = atomic_load_explicit(&c.progress, memory_order_relaxed);
		drained += pga_drain_all_pages();
	}
	atomic_store(&c.stop, 1);
	for (int i = 0; i < nthreads; i++)
		REQUIRE(pthread_join(th[i], NULL) == 0);
	CHECK_EQ(atomic_load(&c.bad), 0);
	CHECK(atomic_load(&c.progress) >= NR_DRAINS * 64);
	/* Drains found pages on live threads' lists. */
	if (pga_mem.membarrier)
		CHECK(drained > 0);
	printf("revoke race: %d threads, %ld ops, %d drains, %lu pages drained\n", nthreads,
	       atomic_load(&c.progress), drains, drained);
	t_check_all_free("revoke race", (struct t_all_free){.drain = true, .validate = true});
	/* The events balance: every page allocated was freed. */
	for (int id = 0; id < pga_mem.nr_zones; id++) {
		struct pga_zone *z = pga_mem.zones[id];
		struct pga_zone_stats st;
		REQUIRE(pga_zone_stats(z->node, (int)z->idx, &st) == 0);
		CHECK_EQ(st.pgalloc, st.pgfree);
		CHECK_EQ(st.pcp, 0);
	}
}

static void case_revoke_race(void)
{
	churn_vs_drain(1);
}

static void case_revoke_race2(void)
{
	churn_vs_drain(2);
}

/* membarrier=off: the key is obeyed, and a drain of another thread is a
 * request that its owner carries out at its next operation. */
static void case_membarrier_off(void)
{
	REQUIRE(pga_num_nodes() >= 1);
	CHECK(!pga_mem.membarrier);
}

int main(void)
{
	const char *small = "numa_fake=1,node_limit_mb=64,pcp_batch=16,pcp_high=64";

	t_run_with_conf("refill", small, case_refill);
	t_run_with_conf("refill-default", "numa_fake=1,node_limit_mb=256", case_refill);
	t_run_with_conf("high", small, case_high);
	t_run_with_conf("high-default", "numa_fake=1,node_limit_mb=256", case_high);
	t_run_with_conf("hotcold", small, case_hotcold);
	t_run_with_conf("remote-drain", small, case_remote_drain);
	t_run_with_conf("thread-exit", small, case_thread_exit);
	t_run_with_conf("revoke-race", small, case_revoke_race);
	/* The fallback without membarrier, forced: drains are requests the
	 * owners carry out themselves. */
	t_run_with_conf("membarrier-off", "membarrier=off", case_membarrier_off);
	t_run_with_conf("remote-drain-membarrier-off",
	                "numa_fake=1,node_limit_mb=64,pcp_batch=16,pcp_high=64,membarrier=off",
	                case_remote_drain);
	t_run_with_conf("revoke-race-membarrier-off",
	                "numa_fake=1,node_limit_mb=64,pcp_batch=16,pcp_high=64,membarrier=off",
	                case_revoke_race);
	t_run_with_conf("revoke-race-2", "numa_fake=2,node_limit_mb=64,pcp_batch=8,pcp_high=24",
	                case_revoke_race2);
	return t_done("test_pcp");
}
