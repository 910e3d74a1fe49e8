/* SPDX-License-Identifier: MIT */
/*
 * demo.c - a small workload on pgalloc's page allocator API.
 *
 * Each thread runs a seeded, deterministic mix of pga_alloc_pages() (orders
 * 0 to 10, mostly low ones; unmovable, movable and reclaimable; now and then
 * zeroed or from ZONE_DMA32), pga_alloc_pages_exact() and frees, over a
 * bounded working set. Every block is checked as it comes back (alignment,
 * zeroing, DMA32 placement) and tagged in its first bytes, and the tag is
 * checked again when the block is freed, so that two live blocks that
 * overlap are caught. At the end everything is freed, the per-thread caches
 * are drained, and the allocator's statistics are printed in the kernel's
 * /proc formats.
 *
 * Usage: pgalloc-demo [ops-per-thread [threads]]   (default 200000 and 2)
 */
#define _GNU_SOURCE /* clock_gettime() under -std=c11 */
#include "pgalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WORKING_SET     256 /* live blocks per thread */
#define MAX_THREADS     64
#define EXACT_MAX_PAGES 64 /* largest pga_alloc_pages_exact() request */

struct block {
	void *addr;
	size_t size;    /* bytes; 0 for a power-of-two block */
	unsigned order; /* for a power-of-two block */
	uint64_t tag;
};

struct worker {
	pthread_t thread;
	int id;
	unsigned long ops;
	uint64_t seed;
	/* results */
	unsigned long allocs, exact_allocs, frees, failed;
	unsigned long pages_allocated;
	struct block set[WORKING_SET];
	unsigned live;
};

/* xorshift64*: small, fast, and the same sequence on every machine. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* Orders 0..10, skewed to the low ones as real workloads are: cumulative
 * weights out of 1000 (order 0: 50%, order 10: 0.3%). */
static const unsigned order_cdf[PGA_MAX_ORDER] = {
    500, 700, 800, 870, 920, 950, 970, 983, 992, 997, 1000,
};

static unsigned pick_order(uint64_t *s)
{
	unsigned r = (unsigned)(rnd(s) % 1000);
	unsigned order = 0;

	while (order < PGA_MAX_ORDER - 1 && r >= order_cdf[order])
		order++;
	return order;
}

static pga_gfp_t pick_gfp(uint64_t *s)
{
	static const pga_gfp_t mobility[] = {0, PGA_GFP_MOVABLE, PGA_GFP_RECLAIMABLE};
	uint64_t r = rnd(s);
	pga_gfp_t gfp = mobility[r % 3];

	if ((r >> 8) % 16 == 0)
		gfp |= PGA_GFP_ZERO;
	/* DMA32 is a small zone (and may be configured away): failure is
	 * allowed there, quietly. */
	if ((r >> 16) % 64 == 0)
		gfp |= PGA_GFP_DMA32 | PGA_GFP_NOWARN;
	return gfp;
}

static void die(const struct worker *w, const char *what, const struct block *b)
{
	fflush(stdout);
	fprintf(stderr, "pgalloc-demo: thread %d: %s: addr %p, %s %zu\n", w->id, what, b->addr,
	        b->size ? "size" : "order", b->size ? b->size : (size_t)b->order);
	abort();
}

static void check_new(const struct worker *w, const struct block *b, pga_gfp_t gfp)
{
	uintptr_t a = (uintptr_t)b->addr;
	size_t bytes = b->size ? b->size : PGA_PAGE_SIZE << b->order;
	uintptr_t align = b->size ? PGA_PAGE_SIZE : PGA_PAGE_SIZE << b->order;

	if (a & (align - 1))
		die(w, "block not naturally aligned", b);
	if ((gfp & PGA_GFP_ZERO) && (((volatile unsigned char *)b->addr)[0] != 0 ||
	                             ((volatile unsigned char *)b->addr)[bytes - 1] != 0))
		die(w, "PGA_GFP_ZERO block not zeroed", b);
	if ((gfp & PGA_GFP_DMA32) && (uint64_t)a + bytes > (1ULL << 32))
		die(w, "DMA32 block above 4 GiB", b);
}

static void free_block(struct worker *w, unsigned i)
{
	struct block *b = &w->set[i];
	uint64_t tag;

	memcpy(&tag, b->addr, sizeof(tag));
	if (tag != b->tag)
		die(w, "tag overwritten: two live blocks overlap", b);
	if (b->size)
		pga_free_pages_exact(b->addr, b->size);
	else
		pga_free_pages(b->addr, b->order);
	w->frees++;
	/* Keep the set dense: move the last block into the hole. */
	*b = w->set[--w->live];
}

static void alloc_block(struct worker *w, uint64_t seq)
{
	uint64_t *s = &w->seed;
	pga_gfp_t gfp = pick_gfp(s);
	struct block b = {0};

	if (rnd(s) % 100 < 20) {
		/* Not a power of two: 1 to EXACT_MAX_PAGES pages, less a few
		 * bytes, so the tail goes back to the buddy lists. */
		size_t pages = 1 + rnd(s) % EXACT_MAX_PAGES;
		b.size = pages * PGA_PAGE_SIZE - rnd(s) % 512;
		b.addr = pga_alloc_pages_exact(b.size, gfp);
		if (b.addr) {
			w->exact_allocs++;
			w->pages_allocated += pages;
		}
	} else {
		b.order = pick_order(s);
		b.addr = pga_alloc_pages(gfp, b.order);
		if (b.addr) {
			w->allocs++;
			w->pages_allocated += 1UL << b.order;
		}
	}
	if (!b.addr) {
		/* Running out is allowed; anything else is a bug, except on
		 * DMA32, which may not exist at all. */
		if (errno != ENOMEM && !(gfp & PGA_GFP_DMA32)) {
			fprintf(stderr, "pgalloc-demo: thread %d: allocation failed: %s\n", w->id,
			        strerror(errno));
			abort();
		}
		w->failed++;
		return;
	}
	check_new(w, &b, gfp);
	/* Touch the first page and leave a tag there. */
	b.tag = (uint64_t)w->id << 48 | seq;
	memcpy(b.addr, &b.tag, sizeof(b.tag));
	w->set[w->live++] = b;
}

static void *run(void *arg)
{
	struct worker *w = arg;

	for (unsigned long op = 0; op < w->ops; op++) {
		uint64_t r = rnd(&w->seed) % 100;

		if (w->live == WORKING_SET || (w->live > 0 && r < 45))
			free_block(w, (unsigned)(rnd(&w->seed) % w->live));
		else
			alloc_block(w, op);
	}
	while (w->live)
		free_block(w, w->live - 1);
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static unsigned long parse(const char *s, const char *what, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > max) {
		fprintf(stderr, "pgalloc-demo: bad %s '%s' (1 to %lu)\n", what, s, max);
		fprintf(stderr, "usage: pgalloc-demo [ops-per-thread [threads]]\n");
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	unsigned long ops = 200000, nthreads = 2;
	static struct worker workers[MAX_THREADS];
	unsigned long allocs = 0, exact = 0, frees = 0, failed = 0, pages = 0;

	if (argc > 1)
		ops = parse(argv[1], "ops-per-thread", 1UL << 40);
	if (argc > 2)
		nthreads = parse(argv[2], "threads", MAX_THREADS);
	if (argc > 3) {
		fprintf(stderr, "usage: pgalloc-demo [ops-per-thread [threads]]\n");
		return 2;
	}

	double start = now();
	for (unsigned long i = 0; i < nthreads; i++) {
		struct worker *w = &workers[i];
		int err;

		w->id = (int)i;
		w->ops = ops;
		w->seed = 0x9e3779b97f4a7c15ULL * (i + 1);
		err = pthread_create(&w->thread, NULL, run, w);
		if (err) {
			fprintf(stderr, "pgalloc-demo: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	for (unsigned long i = 0; i < nthreads; i++)
		pthread_join(workers[i].thread, NULL);
	double elapsed = now() - start;

	unsigned long drained = pga_drain_all_pages();

	printf("pgalloc-demo: %lu threads x %lu ops, %d node(s)\n", nthreads, ops, pga_num_nodes());
	for (unsigned long i = 0; i < nthreads; i++) {
		const struct worker *w = &workers[i];

		printf("  thread %d: %lu alloc_pages, %lu alloc_pages_exact, %lu frees, "
		       "%lu failed, %lu pages\n",
		       w->id, w->allocs, w->exact_allocs, w->frees, w->failed, w->pages_allocated);
		allocs += w->allocs;
		exact += w->exact_allocs;
		frees += w->frees;
		failed += w->failed;
		pages += w->pages_allocated;
	}
	printf("  total: %lu ops in %.3f s (%.0f ops/s); %lu allocations, %lu frees, "
	       "%lu failed, %lu pages (%.1f MiB) allocated\n",
	       nthreads * ops, elapsed, (double)(nthreads * ops) / elapsed, allocs + exact, frees,
	       failed, pages, (double)pages * PGA_PAGE_SIZE / (1024.0 * 1024.0));
	printf("  pga_drain_all_pages: %lu pages back to the buddy lists\n\n", drained);
	fflush(stdout);

	if (pga_stats_print(1, 0) != 0) {
		perror("pgalloc-demo: pga_stats_print");
		return 1;
	}
	return 0;
}
