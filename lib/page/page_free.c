// SPDX-License-Identifier: MIT
/*
 * page_free.c - the free paths of the page allocator out of line: the
 * checks that catch a bad or double free, orders <= PGA_COSTLY_ORDER to the
 * calling thread's pcp list (free_hot_cold_page), larger blocks and exact
 * runs straight to the buddy lists.
 */
#include "bug.h"
#include "buddy.h"
#include "options.h"
#include "page_alloc.h"
#include "pcp.h"
#include "poison.h"

void pga_bad_free(const char *what, const void *addr, unsigned order)
{
	pga_report_abort(what, addr, "order", order);
}

/* Find and check the head of a block being freed; abort on a bad free. */
struct pga_page *pga_lookup_free(const void *addr, unsigned order, unsigned want_flags,
                                 struct pga_zone **zone, unsigned long *pfn)
{
	struct pga_page *page;

	*zone = pga_addr_to_zone(addr, pfn);
	if (!*zone)
		pga_bad_free("free of a pointer pgalloc does not manage", addr, order);
	if ((uintptr_t)addr & (PGA_PAGE_SIZE - 1))
		pga_bad_free("free of a pointer that is not page aligned", addr, order);
	page = pga_pfn_to_page(*zone, *pfn);
	if (pga_page_flags(page) & (PGA_PG_BUDDY | PGA_PG_PCP))
		pga_bad_free("double free", addr, order);
	if (pga_page_flags(page) != want_flags)
		pga_bad_free("invalid free (not the start of an allocated block)", addr, order);
	if (!(want_flags & PGA_PG_EXACT) && page->order != order)
		pga_bad_free("free with an order other than the one allocated", addr, order);
	return page;
}

void pga_free_to_buddy(struct pga_thread *t, struct pga_zone *zone, unsigned long pfn,
                       struct pga_page *page, unsigned long nr_pages)
{
	pga_page_set_flags(page, 0);
	page->order = 0;
	page->private_ = 0;
	pga_lock(&zone->lock);
	pga_free_pages_range_locked(zone, pfn, nr_pages);
	pga_unlock(&zone->lock);
	pga_count_event(t, zone, PGA_EV_PGFREE, nr_pages);
}

void pga_free_pages_slow(void *addr, unsigned order)
{
	struct pga_zone *zone;
	unsigned long pfn;
	struct pga_page *page = pga_lookup_free(addr, order, PGA_PG_ALLOC, &zone, &pfn);
	struct pga_thread *t = pga_thread_get();

	if (order <= PGA_COSTLY_ORDER && pga_thread_is_real(t))
		pga_free_to_pcp(t, zone, pfn, page, order, false);
	else
		pga_free_to_buddy(t, zone, pfn, page, 1UL << order);
}

void pga_page_poison_free(void *addr, size_t bytes)
{
	pga_poison_fill(addr, bytes, PGA_POISON_FREE);
}

pga_export void pga_free_cold_page(void *addr)
{
	if (unlikely(pga_harden.page_poison))
		pga_page_poison_free(addr, PGA_PAGE_SIZE);
	struct pga_zone *zone;
	unsigned long pfn;
	struct pga_page *page = pga_lookup_free(addr, 0, PGA_PG_ALLOC, &zone, &pfn);
	struct pga_thread *t = pga_thread_get();

	if (pga_thread_is_real(t))
		pga_free_to_pcp(t, zone, pfn, page, 0, true);
	else
		pga_free_to_buddy(t, zone, pfn, page, 1);
}

pga_export void pga_free_pages(void *addr, unsigned order)
{
	if (unlikely(pga_harden.page_poison) && addr)
		pga_page_poison_free(addr, PGA_PAGE_SIZE << order);
	pga_free_pages_inline(addr, order);
}
