/* SPDX-License-Identifier: MIT */
/*
 * lock.h - pga_lock, what the kernel's spinlock is to its page allocator:
 * the lock of the hot shared structures (a zone's free lists, a node's
 * partial slabs), held for a bounded batch of work and never across a
 * system call. A holder is never preempted in the kernel; here it can be,
 * so a waiter spins only for a while (about as long as a batch takes) and
 * then sleeps on a futex rather than burn its time slice.
 *
 * state: 0 free, 1 held, 2 held and someone may sleep on it (the futex
 * mutex of Drepper's "Futexes are tricky"). Unlock wakes one sleeper only
 * when the state says there may be one, so an uncontended lock and unlock
 * are one CAS and one exchange, and no system call.
 *
 * Counters, for the statistics (lock_acquired, lock_contended per 1,000
 * operations): written by the holder only, with plain loads and stores,
 * read racily by statistics. contended counts acquisitions that did not
 * find the lock free; sleeps counts the futex waits among them.
 */
#ifndef PGA_LOCK_H
#define PGA_LOCK_H

#include <stdatomic.h>
#include <stdint.h>

#include "compiler.h"

struct pga_lock {
	_Atomic uint32_t state;
	_Atomic uint64_t acquired;
	_Atomic uint64_t contended;
	_Atomic uint64_t sleeps;
};

void pga_lock_slow(struct pga_lock *l);
void pga_lock_wake(struct pga_lock *l);

/* Under the lock: a plain load and store, no locked instruction. */
static inline void pga_lock_count(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
	                      memory_order_relaxed);
}

static inline void pga_lock(struct pga_lock *l)
{
	uint32_t free_state = 0;

	if (unlikely(!atomic_compare_exchange_strong_explicit(
	        &l->state, &free_state, 1, memory_order_acquire, memory_order_relaxed)))
		pga_lock_slow(l);
	pga_lock_count(&l->acquired);
}

static inline void pga_unlock(struct pga_lock *l)
{
	if (unlikely(atomic_exchange_explicit(&l->state, 0, memory_order_release) == 2))
		pga_lock_wake(l);
}

/* Initialise (or, in a fork child, reset) a lock; the counters stay. */
static inline void pga_lock_init(struct pga_lock *l)
{
	atomic_store_explicit(&l->state, 0, memory_order_relaxed);
}

static inline uint64_t pga_lock_read(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* Sums of the counters of a set of locks. */
struct pga_lock_stats {
	uint64_t acquired, contended, sleeps;
};

static inline void pga_lock_stats_add(struct pga_lock_stats *st, const struct pga_lock *l)
{
	st->acquired += pga_lock_read(&l->acquired);
	st->contended += pga_lock_read(&l->contended);
	st->sleeps += pga_lock_read(&l->sleeps);
}

#endif /* PGA_LOCK_H */
