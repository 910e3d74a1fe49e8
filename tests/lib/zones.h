/* SPDX-License-Identifier: MIT */
/*
 * zones.h - the page allocator's books, checked from a test: the buddy
 * validator on a zone or on all of them, and the check that nothing leaked
 * (every zone has all its managed pages free again). Page layer only, so
 * that a test that links the page layer alone can use it.
 */
#ifndef PGA_TEST_ZONES_H
#define PGA_TEST_ZONES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "buddy.h"
#include "check.h"
#include "mmzone.h"
#include "pgalloc.h"

/* Run the O(n) buddy validator on z (one check); report under when. */
static inline bool t_zone_valid(struct pga_zone *z, const char *when)
{
	char why[256] = "";
	bool ok;

	pga_lock(&z->lock);
	ok = pga_zone_check_locked(z, why, sizeof(why));
	pga_unlock(&z->lock);
	CHECK(ok);
	if (!ok)
		fprintf(stderr, "%s: validator: zone %d/%s: %s\n", when, z->node, z->name, why);
	return ok;
}

/* The validator on every zone; returns how many failed. */
static inline int t_zones_valid(const char *when)
{
	int bad = 0;

	for (int id = 0; id < pga_mem.nr_zones; id++)
		bad += !t_zone_valid(pga_mem.zones[id], when);
	return bad;
}

/* What t_check_all_free does first and how it counts. */
struct t_all_free {
	/*
	 * Called with 0 first, when set: pga_malloc_trim, which gives back
	 * what the layers above the page allocator keep (slabs, page runs).
	 * A test that links the page layer alone leaves it NULL.
	 */
	int (*trim)(size_t pad);
	/*
	 * pga_drain_all_pages() first; then each zone's free-page counter must
	 * equal its managed pages: pages left on a pcp list are not free.
	 * Without it, the pages the statistics show on pcp lists count as free
	 * (free + pcp == managed): a live thread's cache is not a leak.
	 */
	bool drain;
	/* With drain: the statistics must say the same (no page on a pcp
	 * list, free == managed). */
	bool stats;
	/* Run the buddy validator on every zone too. */
	bool validate;
};

/*
 * After everything was freed (and, without drain, every other thread has
 * exited): every zone has all its managed pages free again, no slab, page
 * run or pcp page leaked. One check per zone and property; reports each
 * zone that fails under when. Returns true when all passed.
 */
static inline bool t_check_all_free(const char *when, struct t_all_free how)
{
	int failures = t_failures;

	(void)pga_num_nodes(); /* started, so that pga_mem has its zones */
	if (how.trim)
		how.trim(0);
	if (how.drain)
		pga_drain_all_pages();
	for (int id = 0; id < pga_mem.nr_zones; id++) {
		struct pga_zone *z = pga_mem.zones[id];
		struct pga_zone_stats st;

		if (how.validate)
			t_zone_valid(z, when);
		if (how.drain) {
			unsigned long free = pga_zone_free_pages(z);
			unsigned long managed = atomic_load(&z->managed_pages);
			CHECK_EQ(free, managed);
			if (free != managed)
				fprintf(stderr, "%s: zone %d/%s: %lu of %lu pages free\n", when,
				        z->node, z->name, free, managed);
		}
		if (how.drain) {
			if (how.stats) {
				REQUIRE(pga_zone_stats(z->node, (int)z->idx, &st) == 0);
				CHECK_EQ(st.pcp, 0);
				CHECK_EQ(st.free, st.managed);
			}
			continue;
		}
		if (pga_zone_stats(z->node, (int)z->idx, &st) != 0)
			continue;
		t_checks++;
		if (st.free + st.pcp != st.managed) {
			t_failures++;
			fprintf(stderr,
			        "%s: node %d zone %d: free %lu + pcp %lu != managed %lu "
			        "(%ld pages missing)\n",
			        when, z->node, (int)z->idx, st.free, st.pcp, st.managed,
			        (long)st.managed - (long)(st.free + st.pcp));
		}
	}
	return t_failures == failures;
}

#endif /* PGA_TEST_ZONES_H */
