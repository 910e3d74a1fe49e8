/* SPDX-License-Identifier: MIT */
/*
 * buddy.h - the buddy allocator of one zone: free_area[order][migratetype],
 * split (expand) and merge (__free_one_page), migratetype fallback with
 * pageblock stealing, and bulk transfers to and from the pcp lists.
 *
 * Functions named _locked need zone->lock held; the others take it.
 * Every function keeps zone->free_pages equal to the pages on the free lists.
 */
#ifndef PGA_BUDDY_H
#define PGA_BUDDY_H

#include "mmzone.h"

/* Take a block of 2^order pages for migratetype mt: the smallest free block
 * of mt, else a block stolen from another type (__rmqueue). The head is
 * returned with flags cleared; NULL when the zone has no block that large. */
struct pga_page *pga_rmqueue_locked(struct pga_zone *zone, unsigned order, int mt);

/* Free the block at pfn of 2^order pages, merging with free buddies
 * (__free_one_page). mt: the migratetype list to put it on. */
void pga_free_one_page_locked(struct pga_zone *zone, unsigned long pfn, unsigned order, int mt);

/*
 * Someone waits for memory to come back to the free lists: the background
 * reclaim thread, idle (reclaim.c), sets it before it sleeps; the first
 * free after that clears it and wakes the thread (one load on every free
 * to the lists, one system call per idle period).
 */
extern _Atomic uint32_t pga_buddy_free_waiter;
void pga_buddy_wake_waiter(void);

static inline void pga_buddy_kick(void)
{
	if (unlikely(atomic_load_explicit(&pga_buddy_free_waiter, memory_order_relaxed)))
		pga_buddy_wake_waiter();
}

/* Free nr pages starting at pfn, of any length and alignment, as the
 * largest aligned blocks that fit, each under its pageblock's migratetype.
 * Used to online sections and to trim alloc_pages_exact tails. */
void pga_free_pages_range_locked(struct pga_zone *zone, unsigned long pfn, unsigned long nr);

/* Take the pages [pfn, pfn + nr) out of the free lists if every one of
 * them is free, giving back the rest of the blocks that held them. Returns
 * false, changing nothing, if any page is not free. */
bool pga_claim_range_locked(struct pga_zone *zone, unsigned long pfn, unsigned long nr);

/* rmqueue_bulk: move up to count blocks of 2^order pages of type mt onto
 * list (hot end first), marking them PG_pcp, under one hold of the zone
 * lock. Returns the number of blocks moved. */
unsigned pga_rmqueue_bulk(struct pga_zone *zone, unsigned order, unsigned count, int mt,
                          struct pga_list *list);

/* free_pcppages_bulk: give back at least nr_pages pages from the cold ends
 * of pcp's lists (less when they hold fewer), round robin over them, under one hold of the zone
 * lock; all of them when nr_pages is ULONG_MAX. Returns the pages freed. */
unsigned long pga_free_pcppages_bulk(struct pga_zone *zone, struct pga_pcp *pcp,
                                     unsigned long nr_pages);

/* Move every free block inside the pageblock holding pfn to mt's lists
 * (move_freepages_block). Returns the number of pages moved. */
unsigned long pga_move_freepages_block_locked(struct pga_zone *zone, unsigned long pfn, int mt);

/*
 * The O(n) validator: every block on free_area[o].free_list[t] is a PG_buddy
 * head of order o, aligned, inside the onlined part of the zone, overlapping
 * no other free block; no two free buddies of the same order are left
 * unmerged; nr_free and free_pages match the lists. On failure writes the
 * first violation into why and returns false.
 */
bool pga_zone_check_locked(struct pga_zone *zone, char *why, size_t why_len);

#endif /* PGA_BUDDY_H */
