/* SPDX-License-Identifier: MIT */
/*
 * zone.h - zone set-up, growth by sections (memory hotplug), watermarks and
 * the lowmem reserve.
 */
#ifndef PGA_ZONE_H
#define PGA_ZONE_H

#include "mmzone.h"

/* alloc_flags, as in mm/internal.h. */
#define PGA_ALLOC_WMARK_MIN     PGA_WMARK_MIN
#define PGA_ALLOC_WMARK_LOW     PGA_WMARK_LOW
#define PGA_ALLOC_WMARK_HIGH    PGA_WMARK_HIGH
#define PGA_ALLOC_NO_WATERMARKS 0x04u /* ignore watermarks entirely */
#define PGA_ALLOC_WMARK_MASK    (PGA_ALLOC_NO_WATERMARKS - 1)
#define PGA_ALLOC_HARDER        0x10u /* try to alloc harder: min -= min / 4 */
#define PGA_ALLOC_HIGH          0x20u /* __GFP_HIGH set: min -= min / 2 */
#define PGA_ALLOC_CPUSET        0x40u /* check the cpuset */

/*
 * zone_watermark_ok: would the zone still have more than mark free pages
 * (less the lowmem reserve kept for classzone_idx) after this allocation, and
 * enough of them in blocks of at least the requested order? The per-order
 * part halves the requirement for each lower order discounted.
 */
bool pga_zone_watermark_ok(const struct pga_zone *z, unsigned order, unsigned long mark,
                           int classzone_idx, unsigned alloc_flags);

/* Online the next section of the zone into the buddy allocator (hotplug):
 * commit it, or in a sparse arena (an address-space limit) map it, or as
 * much of it as the kernel grants, down to one max-order block. Returns
 * false when the whole span is already online, the kernel refused the
 * memory (a later call tries again), or something else holds the
 * section's addresses (the zone grows no further). errno is kept. Takes
 * zone->lock. */
bool pga_zone_grow(struct pga_zone *zone);

/* Set up every node's zones inside the arenas; compute watermarks, lowmem
 * reserves and pcp batch/high. Called once by pga_init(). */
void pga_zones_init(void);

#endif /* PGA_ZONE_H */
