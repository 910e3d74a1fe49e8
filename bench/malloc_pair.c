// SPDX-License-Identifier: MIT
/*
 * malloc_pair - the cost of one malloc + free pair, through plain malloc and
 * free: it measures whichever allocator serves the process (glibc's, or one
 * preloaded). pair64(n) runs n pairs of malloc(64) + free, pair4096(n) n
 * pairs of malloc(4096) + free, each after a warm-up outside the measured
 * functions. Measured in instructions, repeatably, with
 *
 *   valgrind --tool=callgrind --toggle-collect=pair64 build/bench/malloc-pair
 *
 * (instructions collected / n = one pair, loop included); scripts/
 * callgrind-malloc does that for glibc, jemalloc, mimalloc, tcmalloc and
 * pgalloc. Run plainly, it prints nanoseconds per pair:
 *
 *   build/bench/malloc-pair [n]             glibc
 *   scripts/run build/bench/malloc-pair     pgalloc
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

__attribute__((noinline)) void pair64(long n);
__attribute__((noinline)) void pair4096(long n);
__attribute__((noinline)) void warm_up(size_t size, long n);

/* n pairs of malloc(size) + free. The empty asm takes the pointer and
 * clobbers memory, so that the compiler can neither drop the pair (a
 * malloc whose result is only freed is dead code to GCC and clang) nor
 * merge iterations. */
static inline __attribute__((always_inline)) void pairs(size_t size, long n)
{
	for (long i = 0; i < n; i++) {
		void *p = malloc(size);
		__asm__ volatile("" : : "r"(p) : "memory");
		if (!p)
			abort();
		free(p);
	}
}

__attribute__((noinline)) void pair64(long n)
{
	pairs(64, n);
}

__attribute__((noinline)) void pair4096(long n)
{
	pairs(4096, n);
}

/* Everything a first call sets up (thread state, size class caches, the
 * first slab or page), outside the functions callgrind collects. */
__attribute__((noinline)) void warm_up(size_t size, long n)
{
	pairs(size, n);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	double t;

	if (n <= 0) {
		fprintf(stderr, "usage: %s [pairs]\n", argv[0]);
		return 2;
	}

	warm_up(64, 10000);
	t = now_ns();
	pair64(n);
	printf("malloc(64) + free:   %ld pairs, %.2f ns per pair\n", n, (now_ns() - t) / n);

	warm_up(4096, 10000);
	t = now_ns();
	pair4096(n);
	printf("malloc(4096) + free: %ld pairs, %.2f ns per pair\n", n, (now_ns() - t) / n);
	return 0;
}
