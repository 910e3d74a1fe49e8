// SPDX-License-Identifier: MIT
/*
 * pcp_fastpath - the cost of the order-0 fast path: n pairs of
 * pga_alloc_pages(0, 0) + pga_free_pages(p, 0), served by the calling
 * thread's pcp list. Measured in instructions, repeatably, with
 *
 *   valgrind --tool=callgrind --toggle-collect=pairs build/bench/pcp-fastpath
 *
 * (instructions collected / n = the cost of one pair, loop included).
 */
#include <stdio.h>
#include <stdlib.h>

#include "pgalloc.h"

__attribute__((noinline)) void pairs(long n);

__attribute__((noinline)) void pairs(long n)
{
	for (long i = 0; i < n; i++) {
		void *p = pga_alloc_pages(0, 0);
		if (!p)
			abort();
		pga_free_pages(p, 0);
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;

	/* Warm up outside the measured function: thread state, zone growth,
	 * the first pcp refill. */
	pga_free_pages(pga_alloc_pages(0, 0), 0);
	pairs(n);
	printf("pcp-fastpath: %ld alloc+free pairs of order 0\n", n);
	return 0;
}
