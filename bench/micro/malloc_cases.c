// SPDX-License-Identifier: MIT
/*
 * malloc_cases.c - micro-benchmarks of the malloc API, for pgalloc-micro.
 *
 * Plain malloc, free, calloc, realloc, posix_memalign and aligned_alloc:
 * pgalloc-micro links nothing of pgalloc, so that the same binary measures
 * whichever allocator serves the process (glibc's, or one preloaded with
 * LD_PRELOAD: jemalloc, mimalloc, tcmalloc, pgalloc). scripts/bench runs it
 * under each.
 *
 * Every allocation has its first byte written before it is freed: a program
 * uses what it allocates, and an allocator that hands out fresh mappings
 * pays their first page fault, as it would in real use. Only the first byte:
 * writing whole blocks would measure memset rather than the allocator.
 *
 * Names (sizes and alignments in bytes):
 *   malloc_free/SIZE             malloc + free, one pair per iteration
 *   malloc_free_batch/SIZE       1000 mallocs, then their 1000 frees, per
 *                                iteration (items_per_second counts the
 *                                2000 calls)
 *   realloc_grow/x2, /x1.5       malloc(16), realloc up to 1 MiB by doubling
 *                                or by +50%, free (items: the reallocs)
 *   calloc_free/SIZE             calloc(1, SIZE) + free
 *   posix_memalign/ALIGN/SIZE    posix_memalign + free
 *   aligned_alloc/ALIGN/SIZE     aligned_alloc + free
 *   xthread_free/SIZE/real_time  see xthread.c
 */
#define _POSIX_C_SOURCE 200809L /* posix_memalign */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "micro.h"

#define BATCH 1000

static const long sizes[] = {
    16, 64, 256, 1024, 4096, 32 * 1024, 256 * 1024, 1024 * 1024, 8 * 1024 * 1024,
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Write the first byte; the compiler must keep the store and the
 * allocation. */
static inline __attribute__((always_inline)) void touch(void *p)
{
	*(char *)p = 1;
	bm_do_not_optimize(p);
}

static void bm_malloc_free(struct bm_state *s, long size, long unused)
{
	for (BM_ITERATIONS(s)) {
		void *p = malloc((size_t)size);
		if (!p) {
			bm_error(s, "malloc failed");
			break;
		}
		touch(p);
		free(p);
	}
	bm_set_items(s, 1);
}

static void bm_malloc_free_batch(struct bm_state *s, long size, long unused)
{
	void *ptrs[BATCH];

	for (BM_ITERATIONS(s)) {
		int n;
		for (n = 0; n < BATCH; n++) {
			void *p = malloc((size_t)size);
			if (!p)
				break;
			touch(p);
			ptrs[n] = p;
		}
		for (int i = 0; i < n; i++)
			free(ptrs[i]);
		bm_clobber_memory();
		if (n < BATCH) {
			bm_error(s, "malloc failed");
			break;
		}
	}
	bm_set_items(s, 2 * BATCH);
}

/* The size after one growth step: size * percent / 100, at most to. */
static inline size_t grow(size_t size, long percent, size_t to)
{
	size_t next = size * (size_t)percent / 100;

	return next < to ? next : to;
}

/* Grow one block from 16 bytes to 1 MiB: each step multiplies the size by
 * percent / 100 (the last step is clamped to 1 MiB). */
static void bm_realloc_grow(struct bm_state *s, long percent, long unused)
{
	const size_t from = 16, to = 1024 * 1024;
	long steps = 0;

	for (size_t size = from; size < to; steps++)
		size = grow(size, percent, to);

	for (BM_ITERATIONS(s)) {
		size_t size = from;
		char *p = malloc(size);
		if (!p) {
			bm_error(s, "malloc failed");
			break;
		}
		touch(p);
		while (size < to) {
			size = grow(size, percent, to);
			char *q = realloc(p, size);
			if (!q) {
				free(p);
				p = NULL;
				break;
			}
			p = q;
			touch(p);
		}
		if (!p) {
			bm_error(s, "realloc failed");
			break;
		}
		free(p);
	}
	bm_set_items(s, steps);
}

static void bm_calloc_free(struct bm_state *s, long size, long unused)
{
	for (BM_ITERATIONS(s)) {
		void *p = calloc(1, (size_t)size);
		if (!p) {
			bm_error(s, "calloc failed");
			break;
		}
		touch(p);
		free(p);
	}
	bm_set_items(s, 1);
}

static void bm_posix_memalign_free(struct bm_state *s, long align, long size)
{
	for (BM_ITERATIONS(s)) {
		void *p;
		if (posix_memalign(&p, (size_t)align, (size_t)size) != 0) {
			bm_error(s, "posix_memalign failed");
			break;
		}
		if ((uintptr_t)p & (uintptr_t)(align - 1)) {
			bm_error(s, "posix_memalign: misaligned result");
			break;
		}
		touch(p);
		free(p);
	}
	bm_set_items(s, 1);
}

static void bm_aligned_alloc_free(struct bm_state *s, long align, long size)
{
	for (BM_ITERATIONS(s)) {
		void *p = aligned_alloc((size_t)align, (size_t)size);
		if (!p) {
			bm_error(s, "aligned_alloc failed");
			break;
		}
		if ((uintptr_t)p & (uintptr_t)(align - 1)) {
			bm_error(s, "aligned_alloc: misaligned result");
			break;
		}
		touch(p);
		free(p);
	}
	bm_set_items(s, 1);
}

/* Register fn(arg, arg2) under the name printf(fmt, ...) makes. */
__attribute__((format(printf, 5, 6))) static void reg(bm_fn fn, unsigned flags, long arg, long arg2,
                                                      const char *fmt, ...)
{
	char name[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	bm_register(name, fn, arg, arg2, flags);
}

void bm_register_all(void)
{
	static const long align_sizes[] = {64, 4096, 256 * 1024};
	static const long aligns[] = {64, 4096, 2 * 1024 * 1024};
	static const long calloc_sizes[] = {64, 4096, 1024 * 1024};
	static const long xthread_sizes[] = {64, 4096};

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
		reg(bm_malloc_free, 0, sizes[i], 0, "malloc_free/%ld", sizes[i]);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
		reg(bm_malloc_free_batch, 0, sizes[i], 0, "malloc_free_batch/%ld", sizes[i]);
	reg(bm_realloc_grow, 0, 200, 0, "realloc_grow/x2");
	reg(bm_realloc_grow, 0, 150, 0, "realloc_grow/x1.5");
	for (size_t i = 0; i < ARRAY_SIZE(calloc_sizes); i++)
		reg(bm_calloc_free, 0, calloc_sizes[i], 0, "calloc_free/%ld", calloc_sizes[i]);
	for (size_t a = 0; a < ARRAY_SIZE(aligns); a++)
		for (size_t i = 0; i < ARRAY_SIZE(align_sizes); i++)
			reg(bm_posix_memalign_free, 0, aligns[a], align_sizes[i],
			    "posix_memalign/%ld/%ld", aligns[a], align_sizes[i]);
	/* C11 wants the size a multiple of the alignment: size = alignment. */
	for (size_t a = 0; a < ARRAY_SIZE(aligns); a++)
		reg(bm_aligned_alloc_free, 0, aligns[a], aligns[a], "aligned_alloc/%ld/%ld",
		    aligns[a], aligns[a]);
	for (size_t i = 0; i < ARRAY_SIZE(xthread_sizes); i++)
		reg(bm_xthread_free, BM_REAL_TIME, xthread_sizes[i], 0, "xthread_free/%ld",
		    xthread_sizes[i]);
}
