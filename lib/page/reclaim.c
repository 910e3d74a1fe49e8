// SPDX-License-Identifier: MIT
/*
 * reclaim.c - giving memory back; see reclaim.h.
 */
#include "reclaim.h"

#include "buddy.h"
#include "client.h"
#include "fmt.h"
#include "mmzone.h"
#include "options.h"
#include "os.h"
#include "thread.h"

unsigned long pga_direct_reclaim(void)
{
	/* Shrinkers first: the slabs they free land on the caller's pcp
	 * lists, which the drain then empties. */
	unsigned long pages = pga_clients_shrink(true);

	return pages + pga_drain_all_pages();
}

/* ---------------------------------------------------------------------- */
/* Transparent huge pages (thp=always) and purging                         */

/* The pageblocks of [pfn, pfn + 2^order) in zone: first and past the last. */
static void block_range(const struct pga_zone *zone, unsigned long pfn, unsigned order,
                        unsigned long *first, unsigned long *end)
{
	unsigned long pages = 1UL << order;

	*first = (pfn - zone->zone_start_pfn) >> PGA_PAGEBLOCK_ORDER;
	*end =
	    (pfn + pages - zone->zone_start_pfn + PGA_PAGEBLOCK_PAGES - 1) >> PGA_PAGEBLOCK_ORDER;
}

static void *block_address(const struct pga_zone *zone, unsigned long b)
{
	return pga_pfn_to_addr(zone, zone->zone_start_pfn + (b << PGA_PAGEBLOCK_ORDER));
}

/*
 * Give the free block at pfn of order back to the kernel, as purge= says;
 * zone lock held. A pageblock advised for huge pages loses the advice
 * first: once its free part is gone a fault there could bring a whole
 * 2 MiB page back for one small slab.
 */
static void purge_block_locked(struct pga_zone *zone, unsigned long pfn, unsigned order)
{
	unsigned long first, end;

	block_range(zone, pfn, order, &first, &end);
	for (unsigned long b = first; b < end; b++) {
		if (zone->pageblock_thp[b] & PGA_PB_HUGE) {
			pga_os_thp(block_address(zone, b), PGA_PAGEBLOCK_PAGES << PGA_PAGE_SHIFT,
			           PGA_OS_THP_FORBID);
			zone->pageblock_thp[b] &= (uint8_t)~PGA_PB_HUGE;
		}
	}
	if (pga_opts.purge == PGA_PURGE_FREE)
		pga_os_discard_lazy(pga_pfn_to_addr(zone, pfn), PGA_PAGE_SIZE << order);
	else
		pga_os_discard(pga_pfn_to_addr(zone, pfn), PGA_PAGE_SIZE << order);
}

/* Pageblocks made huge per pass: MADV_COLLAPSE copies 2 MiB each. */
#define THP_BATCH 8

/*
 * thp=always, one pass over a zone: a pageblock with no free page (after
 * the drain of every pcp list) is in use whole, and gets MADV_HUGEPAGE
 * (under the lock, so that no purge can come between the mark and the
 * advice) and then MADV_COLLAPSE; one that has free pages again loses the
 * advice. Returns the pageblocks advised.
 */
static unsigned thp_scan(struct pga_zone *zone)
{
	unsigned long nblocks =
	    (zone->online_end_pfn - zone->zone_start_pfn) >> PGA_PAGEBLOCK_ORDER;
	unsigned long collapse[THP_BATCH];
	unsigned n = 0;

	pga_lock(&zone->lock);
	for (unsigned long b = 0; b < nblocks; b++)
		zone->pageblock_thp[b] &= (uint8_t)~PGA_PB_FREE;
	for (unsigned o = 0; o < PGA_MAX_ORDER; o++) {
		for (int mt = 0; mt < PGA_MIGRATE_TYPES; mt++) {
			struct pga_list *pos;
			pga_list_for_each (pos, &zone->free_area[o].free_list[mt]) {
				struct pga_page *page = container_of(pos, struct pga_page, lru);
				unsigned long first, end;
				block_range(zone, pga_page_to_pfn(zone, page), o, &first, &end);
				for (unsigned long b = first; b < end; b++)
					zone->pageblock_thp[b] |= PGA_PB_FREE;
			}
		}
	}
	for (unsigned long b = 0; b < nblocks; b++) {
		uint8_t st = zone->pageblock_thp[b];
		void *addr = block_address(zone, b);
		if ((st & PGA_PB_FREE) && (st & PGA_PB_HUGE)) {
			pga_os_thp(addr, PGA_PAGEBLOCK_PAGES << PGA_PAGE_SHIFT, PGA_OS_THP_FORBID);
			zone->pageblock_thp[b] = PGA_PB_FREE;
		} else if (!st && n < THP_BATCH &&
		           pga_os_thp(addr, PGA_PAGEBLOCK_PAGES << PGA_PAGE_SHIFT,
		                      PGA_OS_THP_ALLOW)) {
			zone->pageblock_thp[b] = PGA_PB_HUGE;
			collapse[n++] = b;
		}
	}
	pga_unlock(&zone->lock);
	/* Outside the lock: a purge that takes the advice back meanwhile
	 * makes the collapse fail (it respects MADV_NOHUGEPAGE). */
	for (unsigned i = 0; i < n; i++)
		pga_os_thp(block_address(zone, collapse[i]), PGA_PAGEBLOCK_PAGES << PGA_PAGE_SHIFT,
		           PGA_OS_THP_COLLAPSE);
	return n;
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
					purge_block_locked(zone, pga_page_to_pfn(zone, page), o);
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

/* ---------------------------------------------------------------------- */
/* Background reclaim                                                      */

_Atomic int pga_kswapd_state;
static _Atomic unsigned long passes;

/* Blocks released per zone lock hold: one, at most 4 MiB of madvise, so
 * that the lock is held for a bounded time; candidates per walk. */
#define AGE_BATCH 64

struct candidate {
	unsigned long pfn;
	unsigned order;
};

/*
 * One walk of a zone's free lists of order >= 2 under the lock: mark the
 * blocks first seen free in this pass, and collect (up to AGE_BATCH) those
 * already seen free two passes ago (decay_ms) and not yet given back.
 */
static unsigned age_zone_locked(struct pga_zone *zone, uint32_t gen, struct candidate *out,
                                unsigned long *pending)
{
	unsigned n = 0;

	for (unsigned o = 2; o < PGA_MAX_ORDER; o++) {
		for (int mt = 0; mt < PGA_MIGRATE_TYPES; mt++) {
			struct pga_list *pos;
			pga_list_for_each (pos, &zone->free_area[o].free_list[mt]) {
				struct pga_page *page = container_of(pos, struct pga_page, lru);
				if (page->age == PGA_AGE_CLEAN)
					continue;
				(*pending)++;
				if (page->age == 0) {
					page->age = gen;
					continue;
				}
				if (gen - page->age >= 2 && n < AGE_BATCH)
					out[n++] =
					    (struct candidate){pga_page_to_pfn(zone, page), o};
			}
		}
	}
	return n;
}

/* Give back the candidates' pages, one block per lock hold, each checked
 * to be the same free block still. Returns the pages released. */
static unsigned long release_aged(struct pga_zone *zone, const struct candidate *c, unsigned n)
{
	unsigned long pages = 0;

	for (unsigned i = 0; i < n; i++) {
		struct pga_page *page = pga_pfn_to_page(zone, c[i].pfn);
		pga_lock(&zone->lock);
		if (pga_page_flags(page) == PGA_PG_BUDDY && page->order == c[i].order &&
		    page->age != 0 && page->age != PGA_AGE_CLEAN) {
			purge_block_locked(zone, c[i].pfn, c[i].order);
			page->age = PGA_AGE_CLEAN;
			pages += 1UL << c[i].order;
		}
		pga_unlock(&zone->lock);
	}
	return pages;
}

/* One pass; false when it found nothing to do and nothing left for a
 * later pass (no dirty free block waiting for its decay, nothing in the
 * caches it drains or shrinks, no pageblock it made huge). */
static bool kswapd_pass(uint32_t gen)
{
	struct candidate c[AGE_BATCH];
	unsigned long work = pga_clients_shrink(false) + pga_drain_all_pages();

	for (int id = 0; id < pga_mem.nr_zones; id++) {
		struct pga_zone *zone = pga_mem.zones[id];
		if (pga_opts.thp == PGA_THP_ALWAYS)
			work += thp_scan(zone);
		if (pga_zone_free_pages(zone) <= zone->watermark[PGA_WMARK_HIGH])
			continue;
		unsigned n;
		do {
			pga_lock(&zone->lock);
			n = age_zone_locked(zone, gen, c, &work);
			pga_unlock(&zone->lock);
		} while (n && release_aged(zone, c, n) && n == AGE_BATCH);
	}
	atomic_fetch_add_explicit(&passes, 1, memory_order_relaxed);
	return work != 0;
}

/* How long an idle thread sleeps at most before it looks again, for what
 * no free announces (huge blocks aging in the cache, pages in threads'
 * pcp lists, thp=always's pageblocks filling up). */
#define IDLE_SLEEP_MS 10000u

static void *kswapd(void *arg)
{
	(void)arg;
	/* No caches of its own: what it frees goes straight to the buddy
	 * lists, and it never counts among the threads with state. */
	pga_current = &pga_thread_dead;
	unsigned interval_us = (unsigned)pga_opts.decay_ms * 1000u / 2u;

	/* Generations start at 1: 0 marks a block not seen yet. A pass that
	 * finds nothing to do announces the thread as idle and runs once more
	 * (a free between the two passes is seen by one of them); if that one
	 * finds nothing either, the thread sleeps until memory comes back to
	 * the free lists (pga_buddy_kick) or IDLE_SLEEP_MS pass, instead of
	 * waking every decay_ms / 2 in a process that does nothing. */
	bool idle = false;
	for (uint32_t gen = 1;; gen = gen + 1 ? gen + 1 : 1) {
		pga_os_sleep_us(interval_us);
		if (idle)
			atomic_store_explicit(&pga_buddy_free_waiter, 1, memory_order_relaxed);
		bool worked = kswapd_pass(gen);
		if (idle && !worked) {
			pga_os_futex_wait_ms(&pga_buddy_free_waiter, 1, IDLE_SLEEP_MS);
			atomic_store_explicit(&pga_buddy_free_waiter, 0, memory_order_relaxed);
		}
		idle = !worked;
	}
	return NULL;
}

void pga_kswapd_start_slow(void)
{
	int expected = 0;

	if (!atomic_load_explicit(&pga_initialized, memory_order_acquire))
		return;
	if (!atomic_compare_exchange_strong(&pga_kswapd_state, &expected, 1))
		return;
	if (!pga_opts.background_reclaim || pga_opts.decay_ms == 0)
		return;
	if (!pga_os_thread_start(kswapd, NULL))
		pga_log("could not start the background reclaim thread; memory goes back "
		        "only through malloc_trim",
		        NULL, NULL);
}

void pga_kswapd_fork_child(void)
{
	/* Off for good: a child of a multi-threaded fork may only call
	 * async-signal-safe functions until it execs, and pthread_create is
	 * not one (jemalloc turns its background threads off in a child
	 * too). The child gives memory back through malloc_trim. */
	atomic_store_explicit(&pga_kswapd_state, 2, memory_order_relaxed);
}

unsigned long pga_kswapd_passes(void)
{
	return atomic_load_explicit(&passes, memory_order_relaxed);
}
