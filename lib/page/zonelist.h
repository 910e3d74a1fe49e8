/* SPDX-License-Identifier: MIT */
/*
 * zonelist.h - fallback order between zones (build_zonelists), iteration
 * with a zone index limit and a nodemask, the cpuset check and the zonelist
 * cache (zlc).
 */
#ifndef PGA_ZONELIST_H
#define PGA_ZONELIST_H

#include "mmzone.h"
#include "topology.h"

/* Build both zonelists of every node: FALLBACK (every zone, nodes in the
 * kernel's find_next_best_node order, each node's zones highest first) and
 * NOFALLBACK (the node's own zones). */
void pga_build_all_zonelists(void);

/* The zonelist an allocation uses. */
static inline struct pga_zonelist *pga_node_zonelist(int nid, pga_gfp_t gfp)
{
	return &pga_mem.nodes[nid].zonelists[(gfp & PGA_GFP_THISNODE) ? PGA_ZONELIST_NOFALLBACK
	                                                              : PGA_ZONELIST_FALLBACK];
}

/* Position of the next zone at or after i whose index is at most
 * highest_zoneidx and whose node is in nodemask (NULL: any); nr_zones when
 * none. */
static inline int pga_next_zone_zonelist(const struct pga_zonelist *zl, int i, int highest_zoneidx,
                                         const pga_nodemask_t *nodemask)
{
	for (; i < zl->nr_zones; i++) {
		const struct pga_zone *z = zl->zones[i];
		if ((int)z->idx > highest_zoneidx)
			continue;
		if (nodemask && !pga_nodemask_test(nodemask, z->node))
			continue;
		break;
	}
	return i;
}

/* Visit the zones of zl allowed by highest_zoneidx and nodemask; i is the
 * zone's position, used by the zlc. */
#define for_each_zone_zonelist_nodemask(zone, i, zl, highest_zoneidx, nodemask)                    \
	for ((i) = pga_next_zone_zonelist((zl), 0, (highest_zoneidx), (nodemask));                 \
	     (i) < (zl)->nr_zones && ((zone) = (zl)->zones[(i)], 1);                               \
	     (i) = pga_next_zone_zonelist((zl), (i) + 1, (highest_zoneidx), (nodemask)))

/* cpuset_zone_allowed: is the zone's node in the process's allowed mems? */
static inline bool pga_cpuset_zone_allowed(const struct pga_zone *zone)
{
	return pga_nodemask_test(&pga_mem.cpuset_mems, zone->node);
}

/* zlc_setup: forget the full marks when they are older than the interval. */
void pga_zlc_setup(struct pga_zonelist *zl);

/* zlc_zone_worth_trying: false while position i is marked full. */
static inline bool pga_zlc_zone_worth_trying(const struct pga_zonelist *zl, int i)
{
	return !((atomic_load_explicit(&zl->zlc_full[i / 64], memory_order_relaxed) >> (i % 64)) &
	         1u);
}

/* zlc_mark_zone_full. */
static inline void pga_zlc_mark_zone_full(struct pga_zonelist *zl, int i)
{
	atomic_fetch_or_explicit(&zl->zlc_full[i / 64], (uint64_t)1 << (i % 64),
	                         memory_order_relaxed);
}

#endif /* PGA_ZONELIST_H */
