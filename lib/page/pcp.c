// SPDX-License-Identifier: MIT
/*
 * pcp.c - the per-thread page lists on the out-of-line paths; see pcp.h.
 */
#include "pcp.h"

#include "buddy.h"

void pga_count_event(struct pga_thread *t, struct pga_zone *zone, enum pga_zone_event ev,
                     uint64_t n)
{
	if (pga_thread_is_real(t))
		pga_ev_add(t, zone->id, ev, n);
	else
		atomic_fetch_add_explicit(&zone->ev_exited[ev], n, memory_order_relaxed);
}

bool pga_pcp_begin(struct pga_thread *t)
{
	if (likely(pga_pcp_enter(t)))
		return false;
	pga_pcp_leave(t);
	pga_pcp_lock(t);
	return true;
}

void pga_pcp_end(struct pga_thread *t, bool locked)
{
	if (locked)
		pga_pcp_unlock(t);
	else
		pga_pcp_leave(t);
}

struct pga_page *pga_rmqueue_pcplist(struct pga_thread *t, struct pga_zone *zone, unsigned order,
                                     unsigned mt, bool cold)
{
	struct pga_page *page = NULL;
	bool locked = pga_pcp_begin(t);
	struct pga_pcp *pcp = pga_thread_pcp(t, zone);
	struct pga_list *list = &pcp->lists[pga_pcp_index(order, mt)];

	if (pga_list_empty(list)) {
		unsigned blocks = (unsigned)zone->pcp_batch >> order;
		unsigned got = pga_rmqueue_bulk(zone, order, blocks ? blocks : 1, (int)mt, list);
		pga_pcp_count_add(pcp, (int)(got << order));
	}
	if (!pga_list_empty(list)) {
		struct pga_list *e = cold ? list->prev : list->next;
		page = container_of(e, struct pga_page, lru);
		pga_list_del(&page->lru);
		PGA_BUG_ON(pga_page_flags(page) != PGA_PG_PCP || page->order != order);
		pga_page_set_flags(page, 0);
		page->migratetype = 0;
		pga_pcp_count_add(pcp, -(1 << order));
	}
	pga_pcp_end(t, locked);
	return page;
}

void pga_free_to_pcp(struct pga_thread *t, struct pga_zone *zone, unsigned long pfn,
                     struct pga_page *page, unsigned order, bool cold)
{
	bool locked = pga_pcp_begin(t);
	struct pga_pcp *pcp = pga_thread_pcp(t, zone);
	unsigned mt = (unsigned)pga_pageblock_migratetype(zone, pfn);
	struct pga_list *list = &pcp->lists[pga_pcp_index(order, mt)];

	pga_page_set_flags(page, PGA_PG_PCP);
	page->migratetype = (uint8_t)mt;
	if (cold)
		pga_list_add_tail(&page->lru, list);
	else
		pga_list_add(&page->lru, list);
	pga_pcp_count_add(pcp, 1 << order);
	pga_ev_add(t, zone->id, PGA_EV_PGFREE, 1u << order);
	if (atomic_load_explicit(&pcp->count, memory_order_relaxed) >= zone->pcp_high)
		pga_free_pcppages_bulk(zone, pcp, (unsigned long)zone->pcp_batch);
	pga_pcp_end(t, locked);
}
