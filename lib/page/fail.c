// SPDX-License-Identifier: MIT
/*
 * fail.c - should_fail_alloc_page(), after the kernel's fail_page_alloc and
 * lib/fault-inject.c. Every allocation of at least min_order that is not
 * PGA_GFP_NOFAIL is a candidate; every interval-th candidate fails with the
 * given probability, until times failures have been injected. The random
 * numbers come from a seeded generator, so a pattern can be reproduced.
 */
#include "fail.h"

#include <pthread.h>

#include "options.h"

bool pga_fail_enabled;

static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	unsigned long count; /* candidates seen */
	long times;          /* failures left; -1: unlimited */
	uint64_t rng;
} fail_state; /* under fail_lock */

void pga_fail_init(void)
{
	fail_state.count = 0;
	fail_state.times = pga_opts.fail_times;
	fail_state.rng = (uint64_t)pga_opts.fail_seed * 0x9E3779B97F4A7C15ull + 1;
	pga_fail_enabled = pga_opts.fail_probability > 0 && pga_opts.fail_times != 0;
}

/* xorshift64*: small, fast, and good enough to pick failures. */
static uint64_t next_random(void)
{
	uint64_t x = fail_state.rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	fail_state.rng = x;
	return x * 2685821657736338717ull;
}

bool pga_should_fail_alloc_page(pga_gfp_t gfp, unsigned order)
{
	bool fail = false;

	if ((gfp & PGA_GFP_NOFAIL) || order < (unsigned long)pga_opts.fail_min_order)
		return false;
	pthread_mutex_lock(&fail_lock);
	if (fail_state.times == 0)
		goto out;
	if (pga_opts.fail_interval > 1 &&
	    ++fail_state.count % (unsigned long)pga_opts.fail_interval)
		goto out;
	if ((long)((next_random() >> 33) % 100) >= pga_opts.fail_probability)
		goto out;
	if (fail_state.times > 0)
		fail_state.times--;
	fail = true;
out:
	pthread_mutex_unlock(&fail_lock);
	return fail;
}

/* fail_lock is a leaf (nothing is taken under it): fork holds it last. */
void pga_fail_fork_prepare(void)
{
	pthread_mutex_lock(&fail_lock);
}

void pga_fail_fork_parent(void)
{
	pthread_mutex_unlock(&fail_lock);
}

void pga_fail_fork_child(void)
{
	pthread_mutex_init(&fail_lock, NULL);
}
