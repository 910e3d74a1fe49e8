/* SPDX-License-Identifier: MIT */
/*
 * stats.h - counters summed from zones and threads, and their printing in
 * the kernel's /proc formats (buddyinfo, pagetypeinfo, zoneinfo, vmstat,
 * numastat).
 */
#ifndef PGA_STATS_H
#define PGA_STATS_H

#include "mmzone.h"
#include "thread.h"

/* Sum of one event over all threads (live and exited) for a zone. */
void pga_zone_events(const struct pga_zone *zone, uint64_t ev[PGA_NR_ZONE_EVENTS]);

/* Pages on all threads' pcp lists for a zone. */
unsigned long pga_zone_pcp_pages(const struct pga_zone *zone);

/* Keep a duplicate of stderr for pga_stats_atexit (stats_print=1). */
void pga_stats_keep_stderr(void);

/* Print at exit when stats_print=1 (registered with atexit by pga_init). */
void pga_stats_atexit(void);

#endif /* PGA_STATS_H */
