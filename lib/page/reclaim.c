// SPDX-License-Identifier: MIT
/*
 * reclaim.c - giving memory back; see reclaim.h.
 */
#include "reclaim.h"

#include "buddy.h"
#include "client.h"
#include "fmt.h"
#include "os.h"
#include "mmzone.h"

unsigned long pga_direct_reclaim(void)
{
	/* Shrinkers first: the slabs they free land on the caller's pcp
	 * lists, which the drain then empties. */
	unsigned long pages = pga_clients_shrink();

	return pages + pga_drain_all_pages();
}

/* Under the zone lock, so that no block is handed out while its pages are
 * dropped; the lists link descriptors, so nothing in the blocks is needed
 * afterwards. Orders 0 and 1 stay: they are the ones most likely to be
 * handed out again at once. */
unsigned long pga_zone_release_free(void)
{
	unsigned long pages = 0;

	for (int id = 0; id < pga_mem.nr_zones; id++) {
		struct pga_zone *zone = pga_mem.zones[id];
		pga_lock(&zone->lock);
		for (unsigned o = 2; o < PGA_MAX_ORDER; o++) {
			for (int mt = 0; mt < PGA_MIGRATE_TYPES; mt++) {
				struct pga_list *pos;
				pga_list_for_each (pos, &zone->free_area[o].free_list[mt]) {
					struct pga_page *page =
					    container_of(pos, struct pga_page, lru);
					pga_os_discard(pga_page_address(zone, page),
					               PGA_PAGE_SIZE << o);
					pages += 1UL << o;
				}
			}
		}
		pga_unlock(&zone->lock);
	}
	return pages;
}

/* Debug builds: after everything went back, every zone's free lists are
 * checked against their invariants (buddy.h), O(pages onlined). */
static void check_zones(void)
{
	char why[160];

	for (int id = 0; id < pga_mem.nr_zones; id++) {
		struct pga_zone *zone = pga_mem.zones[id];
		pga_lock(&zone->lock);
		bool ok = pga_zone_check_locked(zone, why, sizeof(why));
		pga_unlock(&zone->lock);
		if (!ok) {
			pga_log("zone free lists corrupt: ", why, NULL);
			PGA_CHECK(ok);
		}
	}
}

unsigned long pga_shrink_all(void)
{
	if (!atomic_load_explicit(&pga_initialized, memory_order_acquire))
		return 0;
	unsigned long pages = pga_direct_reclaim();

	pages += pga_zone_release_free();
	if (pga_config_debug)
		check_zones();
	return pages;
}

pga_export unsigned long pga_shrink_all_memory(void)
{
	return pga_shrink_all();
}
