/* SPDX-License-Identifier: MIT */
/*
 * pcp.h - the per-thread page lists on the out-of-line paths: entering them
 * under the ownership protocol of thread.h, taking a block (rmqueue_pcplist)
 * and putting one back (free_hot_cold_page), and the event count for
 * threads that may have no lists. The inline fast paths are in
 * page_alloc.h; the bulk moves to and from the buddy lists in buddy.c.
 */
#ifndef PGA_PCP_H
#define PGA_PCP_H

#include "mmzone.h"
#include "thread.h"

/* Enter t's lists, under t->lock if a drainer revoked them. Returns whether
 * the lock is held, for pga_pcp_end. */
bool pga_pcp_begin(struct pga_thread *t);
void pga_pcp_end(struct pga_thread *t, bool locked);

/* A block of order (<= PGA_COSTLY_ORDER) and migratetype mt from t's list
 * for zone, refilled with a batch under one zone-lock hold when empty; the
 * cold end when cold. The head comes back with flags == 0; NULL when the
 * zone has nothing. t is real. */
struct pga_page *pga_rmqueue_pcplist(struct pga_thread *t, struct pga_zone *zone, unsigned order,
                                     unsigned mt, bool cold);

/* Put the block headed by page (pfn) on t's list, at the cold end when
 * cold, and drain a batch past high. t is real. */
void pga_free_to_pcp(struct pga_thread *t, struct pga_zone *zone, unsigned long pfn,
                     struct pga_page *page, unsigned order, bool cold);

/* Count an event for t, or for the zone when the thread has no state. */
void pga_count_event(struct pga_thread *t, struct pga_zone *zone, enum pga_zone_event ev,
                     uint64_t n);

#endif /* PGA_PCP_H */
