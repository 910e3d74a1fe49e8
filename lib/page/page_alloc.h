/* SPDX-License-Identifier: MIT */
/*
 * page_alloc.h - the allocation and free paths (mm/page_alloc.c):
 *
 *   pga_alloc_pages_nodemask()            __alloc_pages_nodemask
 *     pga_alloc_page_fast()               inline: order 0 from the pcp of
 *                                         the first zone
 *     pga_get_page_from_freelist()        zonelist scan, watermarks, zlc
 *       pga_rmqueue()                     pcp (orders <= 3) or buddy
 *     pga_alloc_pages_slowpath()          MIN, drain pcps, retry, NOFAIL
 *
 * The fast paths are static inline here, with one unlikely exit into an
 * out-of-line _slow function in page_alloc.c.
 */
#ifndef PGA_PAGE_ALLOC_H
#define PGA_PAGE_ALLOC_H

#include <errno.h>
#include <string.h>

#include "buddy.h"
#include "fail.h"
#include "init.h"
#include "mmzone.h"
#include "thread.h"
#include "trace.h"
#include "zone.h"

/* Fail an allocation: NULL with errno err. */
static inline void *pga_alloc_fail(int err)
{
	errno = err;
	return NULL;
}

/* The migratetype a gfp mask asks for; 3 (both bits) is invalid. */
static inline unsigned pga_gfp_migratetype(pga_gfp_t gfp)
{
	return (gfp >> 1) & 3u;
}

/* gfp_zone: the highest zone the request may use. */
static inline int pga_gfp_zone(pga_gfp_t gfp)
{
	return (gfp & PGA_GFP_DMA32) ? PGA_ZONE_DMA32 : PGA_ZONE_NORMAL;
}

void *pga_alloc_pages_nodemask_slow(pga_gfp_t gfp, unsigned order, int nid,
                                    const pga_nodemask_t *nodemask);
void pga_free_pages_slow(void *addr, unsigned order);

/* page_poison (harden=full, docs/hardening.md): every page freed through
 * the page API (pga_free_pages, pga_free_cold_page, pga_free_pages_exact, a
 * run's tail given back by pga_exact_resize) is filled with
 * PGA_POISON_FREE first, so that the malloc layer can check, when it takes
 * pages again, that nothing wrote them meanwhile (pga_harden.page_poison,
 * options.h). */
void pga_page_poison_free(void *addr, size_t bytes);

/* Count an allocation served from zone for preferred, the first zone the
 * request would have liked (zone_statistics). */
static inline void pga_zone_statistics(struct pga_thread *t, const struct pga_zone *preferred,
                                       const struct pga_zone *zone, unsigned order)
{
	struct pga_pcp *pcp = pga_thread_pcp(t, zone);

	pga_pcp_ev_add(pcp, PGA_EV_PGALLOC, 1u << order);
	pga_pcp_ev_add(pcp, PGA_EV_ALLOCS, 1);
	pga_pcp_ev_add(pcp, PGA_EV_NUMA_OTHER, zone->node != t->node);
	if (unlikely(zone->node != preferred->node)) {
		pga_ev_add(t, zone->id, PGA_EV_NUMA_MISS, 1);
		pga_ev_add(t, preferred->id, PGA_EV_NUMA_FOREIGN, 1);
	}
}

/*
 * The order-0 fast path: the first zone of the preferred node's zonelist
 * (the named node, or the one the thread's memory policy picks),
 * above its LOW watermark, with a page on the calling thread's pcp list.
 * Anything else (another order, an empty list, a revoked pcp, the first
 * call of a thread, fault injection) leaves through the one unlikely branch.
 */
static pga_always_inline void *pga_alloc_pages_inline(pga_gfp_t gfp, unsigned order, int nid,
                                                      const pga_nodemask_t *nodemask)
{
	struct pga_thread *t = pga_current;
	struct pga_zone *zone;
	struct pga_pcp *pcp;
	struct pga_list *list;
	struct pga_page *page;
	unsigned mt = pga_gfp_migratetype(gfp);
	/* No node named: the node the thread's policy allocates from first
	 * (PGA_MAX_NUMNODES under interleave: every request goes slow). */
	int pref = nid < 0 ? t->pol_node : nid;

	if (unlikely(order != 0 || nodemask != NULL || gfp > PGA_GFP_ALL || mt == 3 ||
	             (unsigned)pref >= PGA_MAX_NUMNODES))
		goto slow;
	/* Enter the lists first: a thread that has them (not the boot dummy,
	 * whose lists are always revoked) attached after start-up finished,
	 * so what start-up wrote (fast[], pga_fail_enabled) is visible. */
	if (unlikely(!pga_pcp_enter(t)))
		goto slow_leave;
	zone = pga_mem.fast[pref][pga_gfp_zone(gfp)].zone;
	if (unlikely(!zone || pga_fail_enabled))
		goto slow_leave;
	pcp = pga_thread_pcp(t, zone);
	list = &pcp->lists[pga_pcp_index(0, mt)];
	if (unlikely(pga_list_empty(list) ||
	             pga_zone_free_pages(zone) <= zone->watermark[PGA_WMARK_LOW]))
		goto slow_leave;

	page = container_of((gfp & PGA_GFP_COLD) ? list->prev : list->next, struct pga_page, lru);
	PGA_BUG_ON(pga_page_flags(page) != PGA_PG_PCP || page->order != 0);
	pga_list_del_entry(&page->lru);
	pga_page_set_flags(page, PGA_PG_ALLOC);
	pga_pcp_count_add(pcp, -1);
	pga_zone_statistics(t, zone, zone, 0);
	pga_pcp_leave(t);

	void *addr = pga_page_address(zone, page);
	PGA_TRACE(mm_page_alloc, addr, 0u, gfp, mt);
	if (gfp & PGA_GFP_ZERO)
		memset(addr, 0, PGA_PAGE_SIZE);
	return addr;

slow_leave:
	pga_pcp_leave(t);
slow:
	return pga_alloc_pages_nodemask_slow(gfp, order, nid, nodemask);
}

/*
 * The free fast path for pcp orders: check the head (a bad or double free
 * leaves for the report), put it on the hot end of the calling thread's
 * list, drain a batch past high.
 */
static pga_always_inline void pga_free_pages_inline(void *addr, unsigned order)
{
	struct pga_thread *t = pga_current;
	unsigned long pfn;
	struct pga_zone *zone = pga_addr_to_zone(addr, &pfn);
	struct pga_page *page;
	struct pga_pcp *pcp;

	PGA_TRACE(mm_page_free, addr, order);
	unsigned mt;

	if (unlikely(!zone || order > PGA_COSTLY_ORDER || ((uintptr_t)addr & (PGA_PAGE_SIZE - 1))))
		goto slow;
	page = pga_pfn_to_page(zone, pfn);
	if (unlikely(pga_page_flags(page) != PGA_PG_ALLOC || page->order != order))
		goto slow;
	if (unlikely(!pga_pcp_enter(t)))
		goto slow_leave;
	pcp = pga_thread_pcp(t, zone);
	mt = (unsigned)pga_pageblock_migratetype(zone, pfn);
	pga_page_set_flags(page, PGA_PG_PCP);
	page->migratetype = (uint8_t)mt;
	pga_list_add(&page->lru, &pcp->lists[pga_pcp_index(order, mt)]);
	pga_pcp_count_add(pcp, 1 << order);
	pga_pcp_ev_add(pcp, PGA_EV_PGFREE, 1u << order);
	if (unlikely(atomic_load_explicit(&pcp->count, memory_order_relaxed) >= zone->pcp_high))
		pga_free_pcppages_bulk(zone, pcp, (unsigned long)zone->pcp_batch);
	pga_pcp_leave(t);
	return;

slow_leave:
	pga_pcp_leave(t);
slow:
	pga_free_pages_slow(addr, order);
}

/* Free with the choice of end: cold pages go to the tail of the pcp list
 * (free_hot_cold_page). Order 0 only. */
void pga_free_cold_page(void *addr);

/* alloc_pages_exact with the block at least 2^min_order pages, so that
 * the run is aligned to PGA_PAGE_SIZE << min_order (aligned malloc). */
void *pga_alloc_pages_exact_order(int nid, size_t size, unsigned min_order, pga_gfp_t gfp);

/* Resize the exact run at addr in place to new_size bytes: shrink by
 * freeing its tail, grow by claiming the free pages after it. Returns false
 * (nothing changed) when the pages after it are not free. */
bool pga_exact_resize(void *addr, size_t new_size);

/* Bytes in the exact run at addr. */
size_t pga_exact_size(const void *addr);

/* Report a bad free and abort, as glibc does. */
pga_noreturn pga_cold void pga_bad_free(const char *what, const void *addr, unsigned order);

/* The head of the block at addr being freed, checked to carry exactly
 * want_flags (and order, unless an exact run); a bad or double free is
 * reported and aborts. */
struct pga_page *pga_lookup_free(const void *addr, unsigned order, unsigned want_flags,
                                 struct pga_zone **zone, unsigned long *pfn);

/* nr_pages from pfn, headed by page, straight back to the buddy lists. */
void pga_free_to_buddy(struct pga_thread *t, struct pga_zone *zone, unsigned long pfn,
                       struct pga_page *page, unsigned long nr_pages);

#endif /* PGA_PAGE_ALLOC_H */
