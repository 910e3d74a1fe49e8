/* SPDX-License-Identifier: MIT */
/*
 * vmstat.h - the page allocator's counters: per-zone events summed over
 * the live threads and those that exited, pcp pages, and snapshots taken
 * under the zone lock so that the figures of one zone agree.
 */
#ifndef PGA_VMSTAT_H
#define PGA_VMSTAT_H

#include "mmzone.h"
#include "thread.h"

/* The zone of (nid, zone type), or NULL when it does not exist. */
struct pga_zone *pga_lookup_zone(int nid, int zone);

/* Events of one zone and its pcp pages (returned) from one walk of the
 * thread registry. */
unsigned long pga_zone_events(const struct pga_zone *zone, uint64_t ev[PGA_NR_ZONE_EVENTS]);
unsigned long pga_zone_pcp_pages(const struct pga_zone *zone);

/* nr_free per order and free_pages (returned) from one hold of the lock, so
 * that they agree with each other (sum of nr_free[o] << o == free). */
unsigned long pga_zone_nr_free(struct pga_zone *zone, unsigned long nr_free[PGA_MAX_ORDER]);

/* Blocks on one free list, walked under the lock and capped like the
 * kernel's. Returns the count; *overflow when the cap was hit. */
unsigned long pga_zone_free_list_count(struct pga_zone *zone, unsigned order, int mt,
                                       bool *overflow);

/* Free pages of the zone whose memory was given back to the kernel
 * (blocks marked clean by reclaim), walked under the zone lock with the
 * same cap per list as pga_zone_free_list_count: a lower bound. A block
 * that merged since is dirty again, as its memory may be. */
unsigned long pga_zone_free_clean_pages(struct pga_zone *zone);

/* Pageblocks of each migratetype among the onlined ones. */
void pga_zone_pageblock_counts(struct pga_zone *zone, unsigned long count[PGA_MIGRATE_TYPES]);

/* The derived counters (numa_hit = allocs - misses, ...) from the events. */
void pga_events_to_stats(const uint64_t ev[PGA_NR_ZONE_EVENTS], struct pga_zone_stats *st);
void pga_zone_snapshot(struct pga_zone *zone, struct pga_zone_stats *st);

/* Page totals over every zone. free + pcp + in use == managed. */
struct pga_page_usage {
	uint64_t managed;     /* pages onlined into the buddy allocator */
	uint64_t free;        /* pages in the buddy free lists */
	uint64_t pcp;         /* pages in per-thread caches */
	uint64_t free_blocks; /* blocks in the buddy free lists */
};
void pga_page_usage(struct pga_page_usage *u);

/* The zone locks' counters, summed over every zone. */
void pga_zone_lock_stats(struct pga_lock_stats *st);

#endif /* PGA_VMSTAT_H */
