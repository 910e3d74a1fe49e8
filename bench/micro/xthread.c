// SPDX-License-Identifier: MIT
/*
 * xthread.c - cross-thread free: the benchmark's thread allocates, another
 * thread frees (the producer/consumer pattern that remote-free paths exist
 * for).
 *
 * xthread_free/SIZE: each iteration is one object: the producer (the
 * benchmark's thread) mallocs SIZE bytes, writes its first byte and pushes
 * the pointer into a single-producer single-consumer ring; a consumer
 * thread pops it and frees it. The timed region ends when the consumer has
 * freed every object, so the time per iteration is the time per object of
 * the pipeline (whichever side is slower). Wall-clock time (/real_time):
 * the consumer's work is on another thread. The consumer is started and
 * joined outside the timed region.
 *
 * Both threads spin while the ring is full or empty (a pause instruction,
 * and sched_yield() after a while, for machines with fewer CPUs than two).
 */
#define _POSIX_C_SOURCE 200809L /* sched_yield */

#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "micro.h"

#define RING_SIZE 1024 /* a power of two */
#define SPINS     256  /* busy polls before sched_yield() */

struct ring {
	alignas(64) atomic_ulong head; /* next slot the producer fills */
	alignas(64) atomic_ulong tail; /* next slot the consumer empties */
	alignas(64) void *slot[RING_SIZE];
};

static inline void cpu_relax(unsigned *spins)
{
	if (++*spins < SPINS) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#elif defined(__aarch64__)
		__asm__ volatile("yield");
#endif
	} else {
		*spins = 0;
		sched_yield();
	}
}

/* The consumer: free everything pushed, until a NULL. */
static void *consumer(void *arg)
{
	struct ring *r = arg;
	unsigned long tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	unsigned spins = 0;

	for (;;) {
		unsigned long head = atomic_load_explicit(&r->head, memory_order_acquire);
		if (head == tail) {
			cpu_relax(&spins);
			continue;
		}
		spins = 0;
		while (tail != head) {
			void *p = r->slot[tail % RING_SIZE];
			if (!p)
				return NULL;
			free(p);
			tail++;
			atomic_store_explicit(&r->tail, tail, memory_order_release);
		}
	}
}

static void push(struct ring *r, unsigned long *head, unsigned long *tail_seen, void *p)
{
	unsigned spins = 0;

	while (*head - *tail_seen == RING_SIZE) {
		*tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (*head - *tail_seen == RING_SIZE)
			cpu_relax(&spins);
	}
	r->slot[*head % RING_SIZE] = p;
	++*head;
	atomic_store_explicit(&r->head, *head, memory_order_release);
}

void bm_xthread_free(struct bm_state *s, long size, long unused)
{
	struct ring *r;
	pthread_t thread;
	unsigned long head = 0, tail_seen = 0;
	int failed = 0;

	/* The ring comes from the allocator under test too; set-up only. */
	r = aligned_alloc(64, sizeof(*r));
	if (!r) {
		bm_error(s, "aligned_alloc failed");
		return;
	}
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	if (pthread_create(&thread, NULL, consumer, r) != 0) {
		free(r);
		bm_error(s, "pthread_create failed");
		return;
	}

	/* Not BM_ITERATIONS: the timer must run until the consumer is done. */
	for (long n = bm_batch(s); n > 0; n--) {
		char *p = malloc((size_t)size);
		if (!p) {
			failed = 1;
			break;
		}
		*p = 1;
		bm_do_not_optimize(p);
		push(r, &head, &tail_seen, p);
	}
	if (!failed) {
		unsigned spins = 0;
		while (atomic_load_explicit(&r->tail, memory_order_acquire) != head)
			cpu_relax(&spins);
		bm_batch(s); /* stops the timer */
	} else {
		bm_error(s, "malloc failed");
	}

	push(r, &head, &tail_seen, NULL);
	pthread_join(thread, NULL);
	free(r);
	bm_set_items(s, 1);
}
