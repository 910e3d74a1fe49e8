/* SPDX-License-Identifier: MIT */
/*
 * test_xthread.c - objects allocated by one thread and freed by another,
 * with their content checked on the way: a freelist link written into a
 * live object, an object handed out twice, or a remote free lost or
 * applied twice shows up as a broken pattern, a failed check, or pages
 * missing from the zones at the end.
 *
 *   pipe      one producer, one consumer, a bounded ring between them:
 *             10^6 objects of random sizes (8..4096 bytes, one in a
 *             thousand 64 KiB), each filled from (address, size, sequence)
 *             and verified by the consumer before it frees it.
 *   exchange  4 threads and 4096 shared slots: each thread allocates,
 *             fills, swaps its object into a random slot and verifies and
 *             frees whatever it got out, so every free is likely remote.
 *
 *   trim      the exchange again, while the main thread keeps calling
 *             malloc_trim, drain_all_pages and the statistics: other
 *             threads' caches drained under their feet.
 *
 * After each, with every thread joined and everything freed,
 * malloc_trim(0) must leave every zone with all its managed pages free.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "check.h"
#include "child.h"
#include "compiler.h"
#include "pattern.h"
#include "pgalloc.h"
#include "sanitizer.h"
#include "units.h"
#include "zones.h"

/* ThreadSanitizer slows every access down many times: fewer objects. */
#define PIPE_OBJECTS (T_TSAN ? 200000L : 1000000L)
#define XCHG_OPS     (T_TSAN ? 50000L : 250000L) /* per thread */

/* 8..4096 bytes, spread evenly over the powers of two; one in a thousand
 * 64 KiB (a page run). */
static size_t random_size(unsigned long long *seed)
{
	unsigned long long r = t_rand(seed);

	if (r % 1000 == 0)
		return 64 * KIB;
	unsigned bits = 3 + (unsigned)((r >> 10) % 10); /* 8 .. 4096 */
	size_t size = ((size_t)1 << bits) + (size_t)((r >> 20) % ((size_t)1 << bits));
	return size > 4096 ? 4096 : size;
}

/* ------------------------------------------------------------------ */
/* pipe: one producer, one consumer                                    */

#define RING 1024

struct item {
	void *p;
	size_t size;
	uint64_t seq;
};

static struct {
	struct item ring[RING];
	_Atomic size_t head; /* written by the producer */
	_Atomic size_t tail; /* written by the consumer */
	long objects;
	long bad_pattern, bad_seq, bad_usable, failed;
} pipe_;

static uint64_t item_key(const void *p, size_t size, uint64_t seq)
{
	return (uint64_t)(uintptr_t)p ^ ((uint64_t)size << 44) ^ (seq * 0x2545f4914f6cdd1dULL);
}

static void *producer(void *arg)
{
	unsigned long long seed = 0x1234567;
	(void)arg;

	for (long i = 0; i < pipe_.objects; i++) {
		size_t size = random_size(&seed);
		void *p = pga_malloc(size);
		if (!p) {
			pipe_.failed++;
			size = 0;
		} else {
			t_fill(p, size, item_key(p, size, (uint64_t)i));
		}
		size_t h = atomic_load_explicit(&pipe_.head, memory_order_relaxed);
		while (h - atomic_load_explicit(&pipe_.tail, memory_order_acquire) >= RING)
			sched_yield();
		pipe_.ring[h % RING] = (struct item){p, size, (uint64_t)i};
		atomic_store_explicit(&pipe_.head, h + 1, memory_order_release);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;

	for (long i = 0; i < pipe_.objects; i++) {
		size_t t = atomic_load_explicit(&pipe_.tail, memory_order_relaxed);
		while (atomic_load_explicit(&pipe_.head, memory_order_acquire) == t)
			sched_yield();
		struct item it = pipe_.ring[t % RING];
		atomic_store_explicit(&pipe_.tail, t + 1, memory_order_release);

		if (it.seq != (uint64_t)i)
			pipe_.bad_seq++;
		if (!it.p)
			continue;
		if (pga_malloc_usable_size(it.p) < it.size)
			pipe_.bad_usable++;
		if (!t_verify(it.p, it.size, item_key(it.p, it.size, it.seq))) {
			if (pipe_.bad_pattern++ < 5)
				fprintf(stderr, "pipe: object %llu (%p, %zu bytes) corrupted\n",
				        (unsigned long long)it.seq, it.p, it.size);
		}
		pga_free(it.p);
	}
	return NULL;
}

static void case_pipe(void)
{
	pthread_t prod, cons;

	pipe_.objects = PIPE_OBJECTS;
	REQUIRE(pthread_create(&cons, NULL, consumer, NULL) == 0);
	REQUIRE(pthread_create(&prod, NULL, producer, NULL) == 0);
	REQUIRE(pthread_join(prod, NULL) == 0);
	REQUIRE(pthread_join(cons, NULL) == 0);
	printf("pipe: %ld objects\n", pipe_.objects);
	CHECK_EQ(pipe_.failed, 0);
	CHECK_EQ(pipe_.bad_seq, 0);
	CHECK_EQ(pipe_.bad_usable, 0);
	CHECK_EQ(pipe_.bad_pattern, 0);
	t_check_all_free("pipe", (struct t_all_free){.trim = pga_malloc_trim});
}

/* ------------------------------------------------------------------ */
/* exchange: all to all through shared slots                           */

#define XCHG_THREADS 4
#define SLOTS        4096

static _Atomic(void *) slots[SLOTS];

struct xworker {
	pthread_t th;
	unsigned long long seed;
	long ops;
	long allocs, verified, bad, failed, huge;
};

/* An exchanged object carries its size in its first word; the rest is
 * the pattern of (address, size). */
static void *xalloc(struct xworker *w)
{
	size_t size = random_size(&w->seed);
	unsigned long long r = t_rand(&w->seed);

	if (size < 16)
		size = 16;
	if (r % 20000 == 0) {
		size = 4 * MIB + 4096 + (size_t)(r >> 40) % 4096; /* a huge mapping */
		w->huge++;
	}
	uint64_t *p = pga_malloc(size);
	if (!p) {
		w->failed++;
		return NULL;
	}
	p[0] = size;
	t_fill(p + 1, size - 8, (uint64_t)(uintptr_t)p ^ size);
	w->allocs++;
	return p;
}

static bool xcheck_free(void *obj)
{
	uint64_t *p = obj;
	size_t size = (size_t)p[0];
	bool ok = size >= 16 && pga_malloc_usable_size(p) >= size &&
	          t_verify(p + 1, size - 8, (uint64_t)(uintptr_t)p ^ size);

	if (!ok)
		fprintf(stderr, "exchange: object %p (%zu bytes) corrupted\n", obj, size);
	pga_free(p);
	return ok;
}

static _Atomic int xchg_done; /* workers finished */

static void *xchg_thread(void *arg)
{
	struct xworker *w = arg;

	for (long i = 0; i < w->ops; i++) {
		void *mine = xalloc(w);
		if (!mine)
			continue;
		size_t slot = (size_t)(t_rand(&w->seed) % SLOTS);
		void *got = atomic_exchange_explicit(&slots[slot], mine, memory_order_acq_rel);
		if (got) {
			if (xcheck_free(got))
				w->verified++;
			else
				w->bad++;
		}
	}
	atomic_fetch_add(&xchg_done, 1);
	return NULL;
}

/*
 * While the workers run: what a monitoring thread or a program calling
 * malloc_trim does. Every thread's caches are drained under it (the
 * revoke/membarrier protocol of thread.h), empty slabs go back, free
 * memory is returned to the kernel, and the statistics are read.
 */
static long concurrent_trims(void)
{
	long n = 0;
	int fd = open("/dev/null", O_WRONLY);

	while (atomic_load(&xchg_done) < XCHG_THREADS) {
		struct pga_mallinfo mi;
		struct pga_zone_stats st;
		pga_malloc_trim(0);
		pga_drain_all_pages();
		pga_mallinfo(&mi);
		for (int nid = 0; nid < pga_num_nodes(); nid++)
			for (int zt = 0; zt < PGA_NR_ZONES; zt++)
				(void)pga_zone_stats(nid, zt, &st);
		if (fd >= 0 && n % 16 == 0)
			pga_stats_print(fd, 0);
		n++;
		usleep(T_TSAN ? 2000 : 500);
	}
	if (fd >= 0)
		close(fd);
	return n;
}

static void run_exchange(bool trim_meanwhile)
{
	static struct xworker w[XCHG_THREADS];
	long allocs = 0, verified = 0, bad = 0, failed = 0, huge = 0, trims = 0;

	for (int i = 0; i < XCHG_THREADS; i++) {
		w[i].seed = 0x9e3779b97f4a7c15ULL * (unsigned long long)(i + 1);
		w[i].ops = XCHG_OPS;
		REQUIRE(pthread_create(&w[i].th, NULL, xchg_thread, &w[i]) == 0);
	}
	if (trim_meanwhile)
		trims = concurrent_trims();
	for (int i = 0; i < XCHG_THREADS; i++) {
		REQUIRE(pthread_join(w[i].th, NULL) == 0);
		allocs += w[i].allocs;
		verified += w[i].verified;
		bad += w[i].bad;
		failed += w[i].failed;
		huge += w[i].huge;
	}
	/* The leftovers, freed by a thread that allocated none of them. */
	long left = 0;
	for (size_t s = 0; s < SLOTS; s++) {
		void *p = atomic_exchange(&slots[s], NULL);
		if (p) {
			left++;
			if (xcheck_free(p))
				verified++;
			else
				bad++;
		}
	}
	printf("exchange: %ld objects (%ld huge), %ld left in slots, %ld trims meanwhile\n", allocs,
	       huge, left, trims);
	CHECK_EQ(failed, 0);
	CHECK_EQ(bad, 0);
	CHECK_EQ(verified, allocs);
	struct pga_mallinfo mi;
	pga_mallinfo(&mi);
	CHECK_EQ(mi.hblks, 0);
	t_check_all_free("exchange", (struct t_all_free){.trim = pga_malloc_trim});
}

static void case_exchange(void)
{
	run_exchange(false);
}

static void case_exchange_trim(void)
{
	run_exchange(true);
}

int main(void)
{
	unsetenv("PGALLOC_CONF");
	t_run_with_conf("pipe", NULL, case_pipe);
	t_run_with_conf("exchange", NULL, case_exchange);
	/* Two fake nodes: slabs on both, remote frees across them. */
	t_run_with_conf("exchange_numa", "numa_fake=2", case_exchange);
	t_run_with_conf("exchange_trim", NULL, case_exchange_trim);
	t_run_with_conf("exchange_trim-membarrier-off", "membarrier=off", case_exchange_trim);
	return t_done("test_xthread");
}
