// SPDX-License-Identifier: MIT
/*
 * test_reclaim.c - memory goes back to the kernel by itself: background
 * reclaim (the kswapd thread) returns the pages of blocks that stay free
 * for decay_ms, without malloc_trim; with background_reclaim=0 they stay
 * resident until malloc_trim.
 *
 * Residency is asked of the kernel with mincore, page by page, on the
 * memory of freed blocks: an exact answer, where RSS would also count what
 * the sanitizers and the C library hold. The wait for the thread is a
 * bounded poll, not a sleep of a guessed length: on a loaded machine the
 * thread may run late, but it runs. Once nothing is left to do, the
 * thread sleeps until memory is freed (a handful of passes in 3 s where
 * it would make 60), and a free wakes it.
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "child.h"
#include "pgalloc.h"
#include "reclaim.h"
#include "units.h"

#define BLOCKS 64
#define BLOCK  (1 * MIB) /* a page run of the zones: 256 pages, order 8 */

static void *blocks[BLOCKS];

/* Pages of the freed blocks still resident. */
static size_t resident_pages(void)
{
	static unsigned char vec[BLOCK / 4096];
	size_t n = 0;

	for (int i = 0; i < BLOCKS; i++) {
		REQUIRE(mincore(blocks[i], BLOCK, vec) == 0);
		for (size_t j = 0; j < sizeof(vec); j++)
			n += vec[j] & 1;
	}
	return n;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void fill_and_free(void)
{
	for (int i = 0; i < BLOCKS; i++) {
		blocks[i] = pga_malloc(BLOCK);
		REQUIRE(blocks[i] != NULL);
		memset(blocks[i], 0x3c, BLOCK);
	}
	CHECK_EQ(resident_pages(), (size_t)BLOCKS * (BLOCK / 4096));
	for (int i = 0; i < BLOCKS; i++)
		pga_free(blocks[i]);
}

/* decay_ms=100: the thread wakes every 50 ms and gives back what was free
 * on two wake-ups. Waits up to 20 s (200 decay periods) for it. */
static void case_background(void)
{
	fill_and_free();
	uint64_t start = now_ms();
	size_t left;
	while ((left = resident_pages()) != 0 && now_ms() - start < 20000)
		usleep(20 * 1000);
	printf("background: %zu pages resident after %llu ms, %lu passes\n", left,
	       (unsigned long long)(now_ms() - start), pga_kswapd_passes());
	CHECK_EQ(left, 0);
	CHECK(pga_kswapd_passes() > 0);
	/* Nothing left to do: the thread sleeps until memory is freed again,
	 * instead of a pass every 50 ms (60 in these 3 s). */
	usleep(200 * 1000);
	unsigned long idle_from = pga_kswapd_passes();
	usleep(3000 * 1000);
	unsigned long idle_passes = pga_kswapd_passes() - idle_from;
	printf("background: %lu passes in 3 s of idleness\n", idle_passes);
	CHECK(idle_passes <= 4);
	/* It sleeps announced as a waiter for freed memory; the frees that
	 * follow take the announcement (and wake it). */
	CHECK_EQ(atomic_load(&pga_buddy_free_waiter), 1);
	/* The memory is usable again, reads back what is written, and goes
	 * back again. */
	fill_and_free();
	CHECK_EQ(atomic_load(&pga_buddy_free_waiter), 0);
	start = now_ms();
	while ((left = resident_pages()) != 0 && now_ms() - start < 20000)
		usleep(20 * 1000);
	printf("background: %zu pages resident %llu ms after a free in idleness\n", left,
	       (unsigned long long)(now_ms() - start));
	CHECK_EQ(left, 0);
}

/* background_reclaim=0: nothing returns the pages until malloc_trim. Ten
 * decay periods pass; then trim returns them at once. */
static void case_off(void)
{
	fill_and_free();
	usleep(1000 * 1000);
	CHECK_EQ(resident_pages(), (size_t)BLOCKS * (BLOCK / 4096));
	CHECK_EQ(pga_kswapd_passes(), 0);
	CHECK_EQ(pga_malloc_trim(0), 1);
	CHECK_EQ(resident_pages(), 0);
}

int main(void)
{
	t_run_with_conf("background", "decay_ms=100", case_background);
	t_run_with_conf("off", "decay_ms=100,background_reclaim=0", case_off);
	return t_done("test_reclaim");
}
