/* SPDX-License-Identifier: MIT */
/*
 * reclaim.h - giving memory back: to the buddy lists (the clients'
 * shrinkers, the pcp lists of every thread) and to the kernel (the pages of
 * free blocks, with madvise).
 */
#ifndef PGA_RECLAIM_H
#define PGA_RECLAIM_H

#include <stdatomic.h>

#include "buddy.h"
#include "compiler.h"

/* Direct reclaim, from the allocation slow path: the clients' caches and
 * every thread's pcp lists back to the buddy lists. Returns the pages that
 * came back (0: no progress). */
unsigned long pga_direct_reclaim(void);

/* The memory of free buddy blocks of order >= 2 back to the kernel; their
 * descriptors stay on the lists. Returns the pages released. */
unsigned long pga_zone_release_free(void);

/* Everything at once (malloc_trim): direct reclaim, then the free blocks
 * back to the kernel. Returns the pages reclaimed and released. */
unsigned long pga_shrink_all(void);

/*
 * Background reclaim, the kernel's kswapd: a thread that, every
 * decay_ms / 2, runs the clients' shrinkers for what has aged, drains the
 * threads' page caches, and gives the kernel back the pages of free blocks
 * (order >= 2) that have stayed free for decay_ms, in zones with more than
 * their high watermark free. Started once, lazily, by pga_kswapd_start()
 * from a point where the caller holds no lock of pgalloc's and is in the
 * middle of no update (the malloc layer's slow path); not at all with
 * background_reclaim=0 or decay_ms=0, nor in a fork child.
 */
void pga_kswapd_start_slow(void);
extern _Atomic int pga_kswapd_state; /* 0: not started; else started or off */

static inline void pga_kswapd_start(void)
{
	if (unlikely(!atomic_load_explicit(&pga_kswapd_state, memory_order_relaxed)))
		pga_kswapd_start_slow();
}

/* In a fork child: the thread did not survive, and none is started. */
void pga_kswapd_fork_child(void);

/* Memory is waiting to go back (a huge block cached): wake the thread if
 * it sleeps idle. Frees to the buddy lists do this by themselves. */
static inline void pga_kswapd_kick(void)
{
	pga_buddy_kick();
}

/* Passes run so far (for tests and statistics). */
unsigned long pga_kswapd_passes(void);

#endif /* PGA_RECLAIM_H */
