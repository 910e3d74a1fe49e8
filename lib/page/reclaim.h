/* SPDX-License-Identifier: MIT */
/*
 * reclaim.h - giving memory back: to the buddy lists (the clients'
 * shrinkers, the pcp lists of every thread) and to the kernel (the pages of
 * free blocks, with madvise).
 */
#ifndef PGA_RECLAIM_H
#define PGA_RECLAIM_H

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

#endif /* PGA_RECLAIM_H */
