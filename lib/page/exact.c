// SPDX-License-Identifier: MIT
/*
 * exact.c - alloc_pages_exact runs: a request of whole pages costs those
 * pages, not the next power of two; the run can be resized in place.
 */
#include <errno.h>

#include "buddy.h"
#include "options.h"
#include "page_alloc.h"
#include "pcp.h"

/*
 * alloc_pages_exact: take the smallest block that holds size (and is aligned
 * to 2^min_order pages), give its tail back at once as the largest aligned
 * blocks that fit, and remember the run length in the head, so that a
 * 36 KiB request costs 9 pages, not 16.
 */
void *pga_alloc_pages_exact_order(int nid, size_t size, unsigned min_order, pga_gfp_t gfp)
{
	unsigned long nr = (unsigned long)pga_round_up(size, PGA_PAGE_SIZE) >> PGA_PAGE_SHIFT;
	unsigned order;
	void *addr;

	if (size == 0 || nr > PGA_MAX_ORDER_PAGES || min_order >= PGA_MAX_ORDER)
		return pga_alloc_fail(EINVAL);
	order = nr == 1 ? 0 : pga_ilog2(nr - 1) + 1;
	if (order < min_order)
		order = min_order;
	addr = pga_alloc_pages_inline(gfp, order, nid, NULL);
	if (!addr)
		return NULL;

	unsigned long pfn;
	struct pga_zone *zone = pga_addr_to_zone(addr, &pfn);
	struct pga_page *page = pga_pfn_to_page(zone, pfn);
	pga_page_set_flags(page, PGA_PG_ALLOC | PGA_PG_EXACT);
	page->order = 0;
	page->private_ = nr;
	if (nr < (1UL << order)) {
		unsigned long tail = (1UL << order) - nr;
		pga_lock(&zone->lock);
		pga_free_pages_range_locked(zone, pfn + nr, tail);
		pga_unlock(&zone->lock);
		pga_count_event(pga_current, zone, PGA_EV_PGFREE, tail);
	}
	return addr;
}

bool pga_exact_resize(void *addr, size_t new_size)
{
	unsigned long nr = (unsigned long)pga_round_up(new_size, PGA_PAGE_SIZE) >> PGA_PAGE_SHIFT;
	unsigned long pfn;
	struct pga_zone *zone = pga_addr_to_zone(addr, &pfn);
	struct pga_page *page = pga_pfn_to_page(zone, pfn);
	unsigned long old = page->private_;
	bool ok = true;

	if (nr == 0 || nr > PGA_MAX_ORDER_PAGES)
		return false;
	if (nr == old)
		return true;
	if (unlikely(pga_harden.page_poison) && nr < old)
		pga_page_poison_free((char *)addr + (nr << PGA_PAGE_SHIFT), (old - nr)
		                                                                << PGA_PAGE_SHIFT);
	pga_lock(&zone->lock);
	if (nr < old)
		pga_free_pages_range_locked(zone, pfn + nr, old - nr);
	else
		ok = pga_claim_range_locked(zone, pfn + old, nr - old);
	if (ok)
		page->private_ = nr;
	pga_unlock(&zone->lock);
	if (ok && nr < old)
		pga_count_event(pga_current, zone, PGA_EV_PGFREE, old - nr);
	else if (ok)
		pga_count_event(pga_current, zone, PGA_EV_PGALLOC, nr - old);
	return ok;
}

size_t pga_exact_size(const void *addr)
{
	unsigned long pfn;
	struct pga_zone *zone = pga_addr_to_zone(addr, &pfn);

	return (size_t)pga_pfn_to_page(zone, pfn)->private_ << PGA_PAGE_SHIFT;
}

pga_export void *pga_alloc_pages_exact_node(int nid, size_t size, pga_gfp_t gfp)
{
	return pga_alloc_pages_exact_order(nid, size, 0, gfp);
}

pga_export void *pga_alloc_pages_exact(size_t size, pga_gfp_t gfp)
{
	return pga_alloc_pages_exact_node(-1, size, gfp);
}

pga_export void pga_free_pages_exact(void *addr, size_t size)
{
	unsigned long nr = (unsigned long)pga_round_up(size, PGA_PAGE_SIZE) >> PGA_PAGE_SHIFT;
	struct pga_zone *zone;
	unsigned long pfn;
	struct pga_page *page = pga_lookup_free(addr, 0, PGA_PG_ALLOC | PGA_PG_EXACT, &zone, &pfn);

	if (page->private_ != nr)
		pga_bad_free("free_pages_exact with a size other than the one allocated", addr, 0);
	if (unlikely(pga_harden.page_poison))
		pga_page_poison_free(addr, nr << PGA_PAGE_SHIFT);
	pga_free_to_buddy(pga_current, zone, pfn, page, nr);
}
