// SPDX-License-Identifier: MIT
/*
 * vmstat.c - the page allocator's counters (the kernel's vm_event_states
 * and zone counters): sums over the zones and the live threads, and
 * consistent snapshots taken under the zone lock. The /proc formats that
 * print them are the statistics views (lib/stats).
 */
#include "vmstat.h"

#include <errno.h>

#include "init.h"

/* The kernel caps its walk of one free list (pagetypeinfo_showfree_print)
 * so that the zone lock is never held for long; it prints ">100000". */
#define FREE_LIST_WALK_CAP 100000UL

/* a - b, floored at zero: the owner of a counter pair stores them one after
 * the other, so a reader may see the second store before the first. */
static uint64_t sub_floor(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* The zone of (nid, zone type), or NULL when it does not exist. */
struct pga_zone *pga_lookup_zone(int nid, int zone)
{
	struct pga_zone *z;

	if (nid < 0 || nid >= pga_mem.nr_nodes || zone < 0 || zone >= PGA_NR_ZONES)
		return NULL;
	z = &pga_mem.nodes[nid].zones[zone];
	return pga_zone_populated(z) ? z : NULL;
}

/* ---------------------------------------------------------------------- */
/* Sums over threads                                                      */

struct zone_walk {
	const struct pga_zone *zone;
	uint64_t *ev;    /* [PGA_NR_ZONE_EVENTS], accumulated */
	long pcp_pages;  /* pages on the pcp lists of live threads */
	bool saw_thread; /* ev_exited has been read under the registry lock */
};

static void add_exited_events(const struct pga_zone *zone, uint64_t *ev)
{
	for (int e = 0; e < PGA_NR_ZONE_EVENTS; e++)
		ev[e] += atomic_load_explicit(&zone->ev_exited[e], memory_order_relaxed);
}

static void zone_walk_fn(struct pga_thread *t, void *arg)
{
	struct zone_walk *w = arg;
	int id = w->zone->id;

	/*
	 * A thread folds its events into ev_exited and leaves the registry
	 * under the registry lock. Reading ev_exited while holding that lock
	 * (here, on the first call) means an exiting thread is counted once:
	 * either in ev_exited or in the walk, never in both or neither.
	 */
	if (!w->saw_thread) {
		w->saw_thread = true;
		add_exited_events(w->zone, w->ev);
	}
	if (!t->pcp)
		return;
	for (int e = 0; e < PGA_NR_ZONE_EVENTS; e++)
		w->ev[e] += atomic_load_explicit(&t->pcp[id].ev[e], memory_order_relaxed);
	w->pcp_pages += atomic_load_explicit(&t->pcp[id].count, memory_order_relaxed);
}

unsigned long pga_zone_events(const struct pga_zone *zone, uint64_t ev[PGA_NR_ZONE_EVENTS])
{
	struct zone_walk w = {.zone = zone, .ev = ev};

	for (int e = 0; e < PGA_NR_ZONE_EVENTS; e++)
		ev[e] = 0;
	pga_for_each_thread(zone_walk_fn, &w);
	/* No live thread: nobody can be exiting, ev_exited is settled. */
	if (!w.saw_thread)
		add_exited_events(zone, ev);
	/* Each count is the owner's, read racily; the sum of such reads may
	 * dip below zero for an instant. */
	return w.pcp_pages > 0 ? (unsigned long)w.pcp_pages : 0;
}

unsigned long pga_zone_pcp_pages(const struct pga_zone *zone)
{
	uint64_t ev[PGA_NR_ZONE_EVENTS];

	return pga_zone_events(zone, ev);
}

/* ---------------------------------------------------------------------- */
/* Snapshots under the zone lock                                          */

unsigned long pga_zone_nr_free(struct pga_zone *zone, unsigned long nr_free[PGA_MAX_ORDER])
{
	unsigned long free;

	pga_lock(&zone->lock);
	for (int o = 0; o < PGA_MAX_ORDER; o++)
		nr_free[o] = pga_nr_free(&zone->free_area[o]);
	free = pga_zone_free_pages(zone);
	pga_unlock(&zone->lock);
	return free;
}

void pga_events_to_stats(const uint64_t ev[PGA_NR_ZONE_EVENTS], struct pga_zone_stats *st)
{
	st->pgalloc = ev[PGA_EV_PGALLOC];
	st->pgfree = ev[PGA_EV_PGFREE];
	st->numa_hit = sub_floor(ev[PGA_EV_ALLOCS], ev[PGA_EV_NUMA_MISS]);
	st->numa_miss = ev[PGA_EV_NUMA_MISS];
	st->numa_foreign = ev[PGA_EV_NUMA_FOREIGN];
	st->numa_interleave = ev[PGA_EV_NUMA_INTERLEAVE];
	st->numa_local = sub_floor(ev[PGA_EV_ALLOCS], ev[PGA_EV_NUMA_OTHER]);
	st->numa_other = ev[PGA_EV_NUMA_OTHER];
}

void pga_zone_snapshot(struct pga_zone *zone, struct pga_zone_stats *st)
{
	uint64_t ev[PGA_NR_ZONE_EVENTS];

	st->node = zone->node;
	st->zone = (int)zone->idx;
	st->spanned = zone->spanned_pages;
	st->managed = atomic_load_explicit(&zone->managed_pages, memory_order_relaxed);
	st->watermark_min = zone->watermark[PGA_WMARK_MIN];
	st->watermark_low = zone->watermark[PGA_WMARK_LOW];
	st->watermark_high = zone->watermark[PGA_WMARK_HIGH];
	st->free = pga_zone_nr_free(zone, st->nr_free);
	st->pcp = pga_zone_events(zone, ev);
	pga_events_to_stats(ev, st);
}

pga_export int pga_zone_stats(int nid, int zone, struct pga_zone_stats *st)
{
	struct pga_zone *z;

	pga_page_init();
	z = pga_lookup_zone(nid, zone);
	if (!z || !st) {
		errno = EINVAL;
		return -1;
	}
	pga_zone_snapshot(z, st);
	return 0;
}

unsigned long pga_zone_free_list_count(struct pga_zone *zone, unsigned order, int mt,
                                       bool *overflow)
{
	const struct pga_list *head = &zone->free_area[order].free_list[mt];
	const struct pga_list *pos;
	unsigned long n = 0;

	*overflow = false;
	pga_lock(&zone->lock);
	pga_list_for_each (pos, head) {
		if (++n >= FREE_LIST_WALK_CAP) {
			*overflow = true;
			break;
		}
	}
	pga_unlock(&zone->lock);
	return n;
}

unsigned long pga_zone_free_clean_pages(struct pga_zone *zone)
{
	unsigned long pages = 0;

	pga_lock(&zone->lock);
	for (unsigned o = 0; o < PGA_MAX_ORDER; o++) {
		for (int mt = 0; mt < PGA_MIGRATE_TYPES; mt++) {
			const struct pga_list *pos, *head = &zone->free_area[o].free_list[mt];
			unsigned long n = 0;

			pga_list_for_each (pos, head) {
				const struct pga_page *page =
				    container_of(pos, struct pga_page, lru);
				if (++n >= FREE_LIST_WALK_CAP)
					break;
				if (page->age == PGA_AGE_CLEAN)
					pages += 1UL << o;
			}
		}
	}
	pga_unlock(&zone->lock);
	return pages;
}

void pga_zone_pageblock_counts(struct pga_zone *zone, unsigned long count[PGA_MIGRATE_TYPES])
{
	unsigned long nr;

	for (int mt = 0; mt < PGA_MIGRATE_TYPES; mt++)
		count[mt] = 0;
	/* The lock keeps online_end_pfn and the types (changed by stealing)
	 * still while they are read. */
	pga_lock(&zone->lock);
	nr = (zone->online_end_pfn - zone->zone_start_pfn) >> PGA_PAGEBLOCK_ORDER;
	for (unsigned long i = 0; i < nr; i++) {
		unsigned mt = __atomic_load_n(&zone->pageblock_mt[i], __ATOMIC_RELAXED);
		if (mt < PGA_MIGRATE_TYPES)
			count[mt]++;
	}
	pga_unlock(&zone->lock);
}

void pga_page_usage(struct pga_page_usage *u)
{
	*u = (struct pga_page_usage){0};
	if (!atomic_load_explicit(&pga_initialized, memory_order_acquire))
		return;
	for (int id = 0; id < pga_mem.nr_zones; id++) {
		struct pga_zone *zone = pga_mem.zones[id];
		u->managed += atomic_load_explicit(&zone->managed_pages, memory_order_relaxed);
		u->free += pga_zone_free_pages(zone);
		u->pcp += pga_zone_pcp_pages(zone);
		for (unsigned o = 0; o < PGA_MAX_ORDER; o++)
			u->free_blocks += pga_nr_free(&zone->free_area[o]);
	}
}

void pga_zone_lock_stats(struct pga_lock_stats *st)
{
	*st = (struct pga_lock_stats){0};
	if (!atomic_load_explicit(&pga_initialized, memory_order_acquire))
		return;
	for (int id = 0; id < pga_mem.nr_zones; id++)
		pga_lock_stats_add(st, &pga_mem.zones[id]->lock);
}
