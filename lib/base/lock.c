// SPDX-License-Identifier: MIT
/*
 * lock.c - the contended side of pga_lock; see lock.h.
 */
#include "lock.h"

#include "os.h"

/* Spins before sleeping: each round is a pause and a load, about 40 ns on
 * current x86, so 200 rounds wait about as long as a zone-lock batch
 * (rmqueue_bulk of 63 pages) holds the lock. */
#define SPIN_ROUNDS 200

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

void pga_lock_slow(struct pga_lock *l)
{
	for (int i = 0; i < SPIN_ROUNDS; i++) {
		cpu_relax();
		if (atomic_load_explicit(&l->state, memory_order_relaxed) == 0) {
			uint32_t free_state = 0;
			if (atomic_compare_exchange_weak_explicit(&l->state, &free_state, 1,
			                                          memory_order_acquire,
			                                          memory_order_relaxed)) {
				pga_lock_count(&l->contended);
				return;
			}
		}
	}
	/* Sleep. Taking the lock with state 2 keeps the claim that others may
	 * sleep on it, so that our unlock wakes them. */
	uint64_t slept = 0;
	while (atomic_exchange_explicit(&l->state, 2, memory_order_acquire) != 0) {
		pga_os_futex_wait(&l->state, 2);
		slept++;
	}
	/* Held now: the counters are ours to write. */
	atomic_store_explicit(&l->sleeps, pga_lock_read(&l->sleeps) + slept, memory_order_relaxed);
	pga_lock_count(&l->contended);
}

void pga_lock_wake(struct pga_lock *l)
{
	pga_os_futex_wake(&l->state, 1);
}
