/* SPDX-License-Identifier: MIT */
/*
 * test_churn.c - threads that come and go: 10,000 short-lived threads, 16
 * at a time, each allocating and freeing a few hundred objects of several
 * classes and leaving some behind for the main thread to free after it has
 * exited. Every thread's state and caches must come back at its exit. That
 * is checked on pgalloc's own books, in every build: after the last join one
 * thread (main) is registered, no more thread states were ever mapped than
 * threads were alive at once, the pages still in use are no more than the
 * slab caches may keep by their fixed limits, and after malloc_trim(0) every
 * zone has all its managed pages free. In a build without sanitizers,
 * resident memory is checked too (under ASan and TSan the sanitizer's own
 * per-thread records make RSS grow with the number of threads created).
 *
 * Also: allocation from TLS destructors, before and after pgalloc's own
 * thread-exit destructor has run, in a later destructor round, and in a
 * thread whose very first allocation is made from a destructor.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"
#include "child.h"
#include "compiler.h"
#include "pattern.h"
#include "pgalloc.h"
#include "sanitizer.h"
#include "sizeclass.h"
#include "slab.h"
#include "statm.h"
#include "thread.h"
#include "units.h"
#include "zones.h"

#define THREADS    (T_TSAN ? 1000 : 10000)
#define CONCURRENT 16
#define OBJECTS    300 /* per thread */
#define LEFT       8   /* per thread, freed by the main thread after the join */

static const size_t sizes[] = {8, 16, 48, 100, 256, 1000, 3000, 8192, 32768, 40 * KIB};

/* The pattern covers the first FILL_MAX bytes of an object: enough to see
 * an overlap, without writing 10^4 * 300 objects in full. */
#define FILL_MAX 512

static size_t fill_len(size_t size)
{
	return size < FILL_MAX ? size : FILL_MAX;
}

struct churn {
	pthread_t th;
	unsigned long long seed;
	long bad;
	void *left[LEFT];
	size_t left_size[LEFT];
};

static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	void *held[OBJECTS];
	size_t size[OBJECTS];

	for (int i = 0; i < OBJECTS; i++) {
		size[i] = sizes[t_rand(&c->seed) % PGA_ARRAY_SIZE(sizes)];
		held[i] = pga_malloc(size[i]);
		if (!held[i]) {
			c->bad++;
			size[i] = 0;
			continue;
		}
		t_fill(held[i], fill_len(size[i]), (uintptr_t)held[i] ^ size[i]);
		/* Free some as we go, so that the caches turn over. */
		if (i % 3 == 2) {
			int j = (int)(t_rand(&c->seed) % (unsigned)(i + 1));
			if (held[j]) {
				if (!t_verify(held[j], fill_len(size[j]),
				              (uintptr_t)held[j] ^ size[j]))
					c->bad++;
				pga_free(held[j]);
				held[j] = NULL;
			}
		}
	}
	/* Keep the first LEFT live objects for the main thread. */
	int kept = 0;
	for (int i = 0; i < OBJECTS; i++) {
		if (!held[i])
			continue;
		if (!t_verify(held[i], fill_len(size[i]), (uintptr_t)held[i] ^ size[i]))
			c->bad++;
		if (kept < LEFT) {
			c->left[kept] = held[i];
			c->left_size[kept] = size[i];
			kept++;
		} else {
			pga_free(held[i]);
		}
	}
	return NULL;
}

/* Pages allocated from the zones and not in a per-thread page cache. */
static unsigned long pages_in_use(void)
{
	unsigned long used = 0;

	for (int nid = 0; nid < pga_num_nodes(); nid++) {
		for (int zt = 0; zt < PGA_NR_ZONES; zt++) {
			struct pga_zone_stats st;
			if (pga_zone_stats(nid, zt, &st) == 0)
				used += st.managed - st.free - st.pcp;
		}
	}
	return used;
}

/*
 * The most the slab caches may keep when every object is free, with one
 * thread (main) alive and up to PGA_SLAB_PARKED_MAX states of exited
 * threads parked whole for the next threads (slab.c): per class and node,
 * for each of those states a cpu slab, PGA_SLAB_CPU_EMPTY empty frozen
 * slabs and the slab that its cache of objects keeps in use, and on the
 * node list PGA_SLAB_MIN_PARTIAL empty slabs plus one that a free by a
 * thread without caches can leave there beyond it. Whatever the number of
 * threads that ran.
 */
static unsigned long cache_bound_pages(void)
{
	unsigned long pages = 0, states = 1 + PGA_SLAB_PARKED_MAX;

	for (unsigned cls = 0; cls < PGA_NR_SIZE_CLASSES; cls++)
		pages += (states * (1UL + PGA_SLAB_CPU_EMPTY + 1) + PGA_SLAB_MIN_PARTIAL + 1)
		         << pga_size_classes[cls].order;
	return pages * (unsigned long)pga_num_nodes();
}

/* Join c, then free what it left behind. */
static long reap(struct churn *c)
{
	long bad;

	REQUIRE(pthread_join(c->th, NULL) == 0);
	bad = c->bad;
	for (int k = 0; k < LEFT; k++) {
		if (!c->left[k])
			continue;
		if (!t_verify(c->left[k], fill_len(c->left_size[k]),
		              (uintptr_t)c->left[k] ^ c->left_size[k]))
			bad++;
		pga_free(c->left[k]);
		c->left[k] = NULL;
	}
	return bad;
}

static void case_churn(void)
{
	static struct churn slot[CONCURRENT];
	long bad = 0;
	size_t rss_early = 0;

	/* A window of CONCURRENT threads: join the oldest, start a new one. */
	for (int n = 0; n < THREADS; n++) {
		struct churn *c = &slot[n % CONCURRENT];
		if (n >= CONCURRENT)
			bad += reap(c);
		if (n == 100)
			rss_early = t_rss_bytes();
		memset(c, 0, sizeof(*c));
		c->seed = 0x9e3779b97f4a7c15ULL * (unsigned long long)(n + 1);
		REQUIRE(pthread_create(&c->th, NULL, churn_thread, c) == 0);
	}
	for (int n = THREADS; n < THREADS + CONCURRENT; n++)
		bad += reap(&slot[n % CONCURRENT]);

	size_t rss_end = t_rss_bytes();
	unsigned long registered, mapped;
	pga_thread_counts(&registered, &mapped);
	unsigned long held = pages_in_use(), bound = cache_bound_pages();
	printf("churn: %d threads, rss after 100: %zu KiB, at the end: %zu KiB\n", THREADS,
	       rss_early >> 10, rss_end >> 10);
	printf("churn: threads registered %lu, states mapped %lu, pages in use %lu "
	       "(cache bound %lu)\n",
	       registered, mapped, held, bound);
	CHECK_EQ(bad, 0);
	/* pthread_join returns after the thread's TLS destructors have run,
	 * and pgalloc's retires the thread's state: only main is left. */
	CHECK_EQ(registered, 1);
	/* States are recycled: never more than were alive at once (the
	 * window, and main). */
	CHECK(mapped <= CONCURRENT + 1);
	/* Every object is free again: what is in use is slabs the caches keep,
	 * and they keep a fixed number whatever the number of threads. */
	CHECK(held <= bound);
	/*
	 * Without a sanitizer, RSS may grow after the first hundred threads
	 * only by what does not grow with the number of threads: free pages
	 * left dirty in the zones by the window's peak live set (CONCURRENT
	 * threads holding at most 2/3 of OBJECTS objects each, 8.6 KiB on
	 * average: about 27 MiB), the slab caches (cache_bound_pages(), inside
	 * those same pages), thread states (at most CONCURRENT + 1) and glibc's cache of thread
	 * stacks (40 MiB of address space, of which only the few KiB each thread touched are
	 * resident). Their sum stays under 64 MiB; a leak that grows with the
	 * thread count is what the page count above catches exactly. Under
	 * ASan and TSan the sanitizer keeps records of every thread ever
	 * created (fake stacks, thread registries), so RSS measures it, not
	 * pgalloc: the checks on pgalloc's books stand for this one there.
	 */
	if (!T_ASAN && !T_TSAN)
		CHECK(rss_end < rss_early + 64 * MIB);
	t_check_all_free("churn", (struct t_all_free){.trim = pga_malloc_trim});
	printf("churn: rss after trim: %zu KiB\n", t_rss_bytes() >> 10);
}

/* ------------------------------------------------------------------ */
/* Allocation from TLS destructors                                     */

static pthread_key_t key_before; /* created before pgalloc's own key */
static pthread_key_t key_after;  /* created after it */
static _Atomic long dtor_runs, dtor_bad;

static void dtor_alloc(void)
{
	static const size_t dsizes[] = {24, 1000, 32768, 100 * KIB, 6 * MIB};

	for (size_t i = 0; i < PGA_ARRAY_SIZE(dsizes); i++) {
		void *held[20];
		for (int k = 0; k < 20; k++) {
			held[k] = pga_malloc(dsizes[i]);
			if (!held[k]) {
				atomic_fetch_add(&dtor_bad, 1);
				continue;
			}
			t_fill(held[k], dsizes[i] > 4096 ? 4096 : dsizes[i], (uintptr_t)held[k]);
		}
		for (int k = 0; k < 20; k++) {
			if (!held[k])
				continue;
			if (!t_verify(held[k], dsizes[i] > 4096 ? 4096 : dsizes[i],
			              (uintptr_t)held[k]))
				atomic_fetch_add(&dtor_bad, 1);
			pga_free(held[k]);
		}
	}
	void *p = pga_calloc(10, 10);
	p = pga_realloc(p, 5000);
	if (!p)
		atomic_fetch_add(&dtor_bad, 1);
	pga_free(p);
}

/* value: how many more rounds to ask for. */
static void dtor(void *value, pthread_key_t key)
{
	uintptr_t more = (uintptr_t)value;

	dtor_alloc();
	atomic_fetch_add(&dtor_runs, 1);
	/* Set again: glibc runs the destructors another round. */
	if (more > 1)
		pthread_setspecific(key, (void *)(more - 1));
}

static void dtor_before(void *value)
{
	dtor(value, key_before);
}

static void dtor_after(void *value)
{
	dtor(value, key_after);
}

static void *tls_thread(void *arg)
{
	bool first_in_dtor = arg != NULL;

	if (!first_in_dtor) {
		/* pgalloc's key is set at the first allocation. */
		pga_free(pga_malloc(64));
	}
	pthread_setspecific(key_before, (void *)(uintptr_t)2);
	pthread_setspecific(key_after, (void *)(uintptr_t)2);
	return NULL;
}

static void case_tls_dtor(void)
{
	REQUIRE(pthread_key_create(&key_before, dtor_before) == 0);
	/* Now pgalloc starts and creates its key, after key_before. */
	pga_free(pga_malloc(64));
	REQUIRE(pthread_key_create(&key_after, dtor_after) == 0);

	for (int round = 0; round < 20; round++) {
		pthread_t th;
		REQUIRE(pthread_create(&th, NULL, tls_thread, (void *)(uintptr_t)(round & 1)) == 0);
		REQUIRE(pthread_join(th, NULL) == 0);
	}
	/* Each thread: each key's destructor runs twice (it sets itself once
	 * more). */
	CHECK_EQ(atomic_load(&dtor_runs), 20 * 2 * 2);
	CHECK_EQ(atomic_load(&dtor_bad), 0);
	t_check_all_free("tls destructors", (struct t_all_free){.trim = pga_malloc_trim});
}

int main(void)
{
	unsetenv("PGALLOC_CONF");
	t_run_with_conf("churn", NULL, case_churn);
	t_run_with_conf("tls_dtor", NULL, case_tls_dtor);
	t_run_with_conf("churn-membarrier-off", "membarrier=off", case_churn);
	return t_done("test_churn");
}
