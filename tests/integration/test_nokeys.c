/* SPDX-License-Identifier: MIT */
/*
 * test_nokeys.c - pgalloc when pthread_key_create fails at its start-up
 * (the process took every key first): no thread can learn of its exit, so
 * none gets caches (thread.c). It must say so once on stderr and still
 * work: threads allocate and free on every path, hand blocks to each other
 * and exit, no state is attached or leaked, and once everything is freed
 * every zone has all its pages free again.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "check.h"
#include "child.h"
#include "compiler.h"
#include "pattern.h"
#include "pgalloc.h"
#include "thread.h"
#include "units.h"
#include "zones.h"

#define THREADS 4
#define ROUNDS  20000

static const size_t sizes[] = {8, 100, 1000, 5000, 40 * KIB, 300 * KIB, 5 * MIB};
static _Atomic(void *) slots[16];
static _Atomic long bad;

static void *worker(void *arg)
{
	unsigned long long seed = (uintptr_t)arg;

	for (int i = 0; i < ROUNDS; i++) {
		size_t n = sizes[t_rand(&seed) % PGA_ARRAY_SIZE(sizes)];
		size_t f = n > 256 ? 256 : n;
		void *p = pga_malloc(n);
		if (!p) {
			atomic_fetch_add(&bad, 1);
			continue;
		}
		t_fill(p, f, (uintptr_t)p);
		if (!t_verify(p, f, (uintptr_t)p))
			atomic_fetch_add(&bad, 1);
		if (n <= 1000)
			p = atomic_exchange(&slots[t_rand(&seed) % 16], p);
		pga_free(p);
	}
	/* Without a key the thread has no state of its own. */
	if (pga_thread_is_real(pga_current))
		atomic_fetch_add(&bad, 1);
	return NULL;
}

static void case_no_keys(void)
{
	pthread_key_t k;
	pthread_t th[THREADS];
	unsigned long registered, mapped, keys = 0;

	/* Before pgalloc starts: take every key there is. */
	while (pthread_key_create(&k, NULL) == 0 && keys < 100000)
		keys++;
	REQUIRE(keys > 0 && keys < 100000);
	for (int i = 0; i < THREADS; i++)
		REQUIRE(pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(i + 1)) == 0);
	for (int i = 0; i < THREADS; i++)
		REQUIRE(pthread_join(th[i], NULL) == 0);
	for (int i = 0; i < 16; i++)
		pga_free(atomic_exchange(&slots[i], NULL));
	pga_thread_counts(&registered, &mapped);
	printf("no_keys: %lu keys taken first; %lu thread states registered, %lu mapped\n", keys,
	       registered, mapped);
	CHECK_EQ(atomic_load(&bad), 0);
	CHECK_EQ(registered, 0);
	CHECK_EQ(mapped, 0);
	t_check_all_free("no_keys", (struct t_all_free){.trim = pga_malloc_trim, .drain = true});
}

int main(void)
{
	struct t_child r;

	unsetenv("PGALLOC_CONF");
	t_checks++;
	if (!t_child_run(case_no_keys, (struct t_child_opts){.capture_err = true, .timeout_s = 60},
	                 &r) ||
	    !t_child_ok(&r)) {
		t_failures++;
		fprintf(stderr, "case 'no_keys': %s\n%s", r.how, r.err);
	}
	/* Said once, on stderr. */
	const char *msg = "pthread_key_create failed: threads allocate without caches";
	const char *first = strstr(r.err, msg);
	CHECK(first != NULL);
	CHECK(first == NULL || strstr(first + 1, msg) == NULL);
	t_child_release(&r);
	return t_done("test_nokeys");
}
