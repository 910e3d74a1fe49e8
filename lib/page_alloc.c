// SPDX-License-Identifier: MIT
/*
 * page_alloc.c - the allocation paths of the page allocator, after the
 * kernel's __alloc_pages_nodemask():
 *
 *   1. the inline fast path (page_alloc.h): order 0 from the pcp list of
 *      the first zone of the preferred node;
 *   2. the first attempt, get_page_from_freelist() at the LOW watermark
 *      with the cpuset check: scan the zonelist, grow a zone that fails its
 *      watermark while it still has sections offline, skip zones the zlc
 *      has marked full;
 *   3. the slow path: retry at MIN (HIGH lowers MIN further), direct
 *      reclaim (drain every thread's pcp lists), retry while reclaim makes
 *      progress, a last resort outside the cpuset unless HARDWALL, NOFAIL
 *      looping without watermarks; then NULL with errno ENOMEM.
 *
 * And the free paths: order <= PGA_COSTLY_ORDER to the calling thread's pcp
 * list (drained by a batch past high), larger blocks straight to the buddy.
 */
#include "page_alloc.h"

#include <errno.h>

#include "fmt.h"
#include "os.h"
#include "zonelist.h"

#define MAX_RECLAIM_RETRIES 4

/* Everything one allocation decides once (the kernel's alloc_context). */
struct alloc_context {
	struct pga_thread *t;
	struct pga_zonelist *zonelist;
	const pga_nodemask_t *nodemask;
	struct pga_zone *preferred_zone;
	int highest_zoneidx;
	unsigned migratetype;
	pga_gfp_t gfp;
};

/* Count an event for t, or for the zone when the thread has no state. */
static void count_event(struct pga_thread *t, struct pga_zone *zone, enum pga_zone_event ev,
                        uint64_t n)
{
	if (pga_thread_is_real(t))
		pga_ev_add(t, zone->id, ev, n);
	else
		atomic_fetch_add_explicit(&zone->ev_exited[ev], n, memory_order_relaxed);
}

static void zone_statistics_slow(struct pga_thread *t, const struct pga_zone *preferred,
                                 struct pga_zone *zone, unsigned order)
{
	if (pga_thread_is_real(t)) {
		pga_zone_statistics(t, preferred, zone, order);
		return;
	}
	count_event(t, zone, PGA_EV_PGALLOC, 1u << order);
	count_event(t, zone, PGA_EV_ALLOCS, 1);
	count_event(t, zone, PGA_EV_NUMA_OTHER,
	            zone->node != pga_cpu_to_node(&pga_topo, pga_os_current_cpu()));
	if (zone->node != preferred->node) {
		count_event(t, zone, PGA_EV_NUMA_MISS, 1);
		count_event(t, pga_pgdat.zones[preferred->id], PGA_EV_NUMA_FOREIGN, 1);
	}
}

/* Enter t's lists, under t->lock if a drainer revoked them. Returns whether
 * the lock is held. */
static bool pcp_begin(struct pga_thread *t)
{
	if (likely(pga_pcp_enter(t)))
		return false;
	pga_pcp_leave(t);
	pga_pcp_lock(t);
	return true;
}

static void pcp_end(struct pga_thread *t, bool locked)
{
	if (locked)
		pga_pcp_unlock(t);
	else
		pga_pcp_leave(t);
}

/*
 * rmqueue: a block of the given order from zone. Orders up to
 * PGA_COSTLY_ORDER come through the thread's pcp list, refilled with a batch
 * under one zone-lock hold when empty; larger ones from the buddy lists.
 * The head comes back with flags == 0.
 */
static struct pga_page *rmqueue(struct alloc_context *ac, struct pga_zone *zone, unsigned order)
{
	struct pga_thread *t = ac->t;
	struct pga_page *page = NULL;

	if (order <= PGA_COSTLY_ORDER && pga_thread_is_real(t)) {
		bool locked = pcp_begin(t);
		struct pga_pcp *pcp = pga_thread_pcp(t, zone);
		struct pga_list *list = &pcp->lists[pga_pcp_index(order, ac->migratetype)];

		if (pga_list_empty(list)) {
			unsigned blocks = (unsigned)zone->pcp_batch >> order;
			unsigned got = pga_rmqueue_bulk(zone, order, blocks ? blocks : 1,
			                                (int)ac->migratetype, list);
			pga_pcp_count_add(pcp, (int)(got << order));
		}
		if (!pga_list_empty(list)) {
			struct pga_list *e = (ac->gfp & PGA_GFP_COLD) ? list->prev : list->next;
			page = container_of(e, struct pga_page, lru);
			pga_list_del(&page->lru);
			PGA_BUG_ON(pga_page_flags(page) != PGA_PG_PCP || page->order != order);
			pga_page_set_flags(page, 0);
			page->migratetype = 0;
			pga_pcp_count_add(pcp, -(1 << order));
		}
		pcp_end(t, locked);
		return page;
	}

	pthread_mutex_lock(&zone->lock);
	page = pga_rmqueue_locked(zone, order, (int)ac->migratetype);
	pthread_mutex_unlock(&zone->lock);
	return page;
}

/* Can the zone still grow? managed_pages is read without the lock: a stale
 * answer costs one pga_zone_grow call that finds nothing to do. */
static bool zone_can_grow(const struct pga_zone *zone)
{
	return atomic_load_explicit(&zone->managed_pages, memory_order_relaxed) <
	       zone->spanned_pages;
}

static bool zone_watermark_or_grow(struct pga_zone *zone, unsigned order, unsigned alloc_flags,
                                   int classzone_idx)
{
	unsigned long mark = zone->watermark[alloc_flags & PGA_ALLOC_WMARK_MASK];

	while (!pga_zone_watermark_ok(zone, order, mark, classzone_idx, alloc_flags)) {
		if (!zone_can_grow(zone) || !pga_zone_grow(zone))
			return false;
	}
	return true;
}

/*
 * get_page_from_freelist: walk the zonelist and take the first zone that
 * passes the checks. The zlc comes into play once the first zone has
 * failed: later zones marked full within zlc_interval_ms are skipped, and if
 * that leaves nothing, the scan is repeated without it.
 */
static struct pga_page *get_page_from_freelist(struct alloc_context *ac, unsigned order,
                                               unsigned alloc_flags, struct pga_zone **zone_out)
{
	struct pga_zonelist *zl = ac->zonelist;
	int classzone_idx = (int)ac->preferred_zone->idx;
	bool zlc_active = false, did_zlc_setup = false;
	struct pga_zone *zone;
	int i;

zonelist_scan:
	for_each_zone_zonelist_nodemask (zone, i, zl, ac->highest_zoneidx, ac->nodemask) {
		if (zlc_active && !pga_zlc_zone_worth_trying(zl, i))
			continue;
		if ((alloc_flags & PGA_ALLOC_CPUSET) && !pga_cpuset_zone_allowed(zone))
			continue;
		if (!(alloc_flags & PGA_ALLOC_NO_WATERMARKS) &&
		    !zone_watermark_or_grow(zone, order, alloc_flags, classzone_idx))
			goto this_zone_full;

		struct pga_page *page = rmqueue(ac, zone, order);
		if (page) {
			*zone_out = zone;
			return page;
		}
	this_zone_full:
		if (pga_pgdat.zlc_enabled) {
			if (!did_zlc_setup) {
				pga_zlc_setup(zl);
				zlc_active = true;
				did_zlc_setup = true;
			}
			pga_zlc_mark_zone_full(zl, i);
		}
	}
	if (zlc_active) {
		zlc_active = false;
		goto zonelist_scan;
	}
	return NULL;
}

/* prep_new_page: check the head is in no list, then hand it out. */
static void *prep_new_page(struct pga_zone *zone, struct pga_page *page, unsigned order,
                           pga_gfp_t gfp)
{
	PGA_CHECK(pga_page_flags(page) == 0);
	if (pga_config_debug) {
		for (unsigned long i = 1; i < (1UL << order); i++)
			PGA_CHECK(pga_page_flags(&page[i]) == 0);
	}
	pga_page_set_flags(page, PGA_PG_ALLOC);
	page->order = (uint8_t)order;

	void *addr = pga_page_address(zone, page);
	if (gfp & PGA_GFP_ZERO)
		memset(addr, 0, PGA_PAGE_SIZE << order);
	return addr;
}

/* warn_alloc: one line, like the kernel's "page allocation failure". */
static void warn_alloc(pga_gfp_t gfp, unsigned order, int nid)
{
	struct pga_fmt f;

	pga_fmt_init(&f, 2);
	pga_fmt_str(&f, "pgalloc: page allocation failure: order:");
	pga_fmt_u64(&f, order, 0);
	pga_fmt_str(&f, ", mode:");
	pga_fmt_hex(&f, gfp);
	pga_fmt_str(&f, ", preferred node:");
	pga_fmt_i64(&f, nid, 0);
	pga_fmt_str(&f, "\n");
	pga_fmt_flush(&f);
}

static struct pga_page *alloc_pages_slowpath(struct alloc_context *ac, unsigned order,
                                             struct pga_zone **zone)
{
	pga_gfp_t gfp = ac->gfp;
	unsigned alloc_flags = PGA_ALLOC_WMARK_MIN | PGA_ALLOC_CPUSET;
	struct pga_page *page;

	if (gfp & PGA_GFP_HIGH)
		alloc_flags |= PGA_ALLOC_HIGH;

	/* Retry at MIN: the reserve between LOW and MIN is for this. */
	page = get_page_from_freelist(ac, order, alloc_flags, zone);
	if (page)
		return page;

	/* Direct reclaim: the pages idling in pcp lists are the only ones
	 * that can come back without the program's help. */
	for (int retries = 0; retries < MAX_RECLAIM_RETRIES; retries++) {
		unsigned long progress = pga_drain_all_pages();
		page = get_page_from_freelist(ac, order, alloc_flags, zone);
		if (page)
			return page;
		if ((gfp & PGA_GFP_NORETRY) || order > PGA_COSTLY_ORDER || !progress)
			break;
		pga_os_yield();
	}

	/* A soft wall: past this point a request that did not ask for
	 * HARDWALL may leave the cpuset rather than fail. */
	if (!(gfp & PGA_GFP_HARDWALL)) {
		page = get_page_from_freelist(ac, order, alloc_flags & ~PGA_ALLOC_CPUSET, zone);
		if (page)
			return page;
	}

	if (gfp & PGA_GFP_NOFAIL) {
		/* Never fail: dip below every watermark, and otherwise wait
		 * for another thread to free memory. */
		unsigned nofail_flags =
		    PGA_ALLOC_NO_WATERMARKS | ((gfp & PGA_GFP_HARDWALL) ? PGA_ALLOC_CPUSET : 0);
		for (unsigned sleep_us = 10;;
		     sleep_us = sleep_us < 10000 ? sleep_us * 2 : sleep_us) {
			page = get_page_from_freelist(ac, order, nofail_flags, zone);
			if (page)
				return page;
			pga_drain_all_pages();
			pga_os_sleep_us(sleep_us);
		}
	}
	return NULL;
}

static void *alloc_pages_fail(int err)
{
	errno = err;
	return NULL;
}

void *pga_alloc_pages_nodemask_slow(pga_gfp_t gfp, unsigned order, int nid,
                                    const pga_nodemask_t *nodemask)
{
	struct alloc_context ac;
	struct pga_page *page;
	struct pga_zone *zone = NULL;
	struct pga_thread *t;

	if (unlikely(!atomic_load_explicit(&pga_initialized, memory_order_acquire)))
		pga_init_slow();
	t = pga_current;
	if (t == &pga_thread_boot)
		t = pga_thread_attach();
	if (pga_thread_is_real(t) && --t->refresh == 0)
		pga_thread_refresh_node(t);

	if (order >= PGA_MAX_ORDER || gfp > PGA_GFP_ALL || pga_gfp_migratetype(gfp) == 3 ||
	    nid >= pga_pgdat.nr_nodes)
		return alloc_pages_fail(EINVAL);
	if (nid < 0)
		nid = pga_thread_is_real(t) ? t->node
		                            : pga_cpu_to_node(&pga_topo, pga_os_current_cpu());

	if (pga_fail_enabled && pga_should_fail_alloc_page(gfp, order))
		return alloc_pages_fail(ENOMEM);

	ac.t = t;
	ac.gfp = gfp;
	ac.nodemask = nodemask;
	ac.migratetype = pga_gfp_migratetype(gfp);
	ac.highest_zoneidx = pga_gfp_zone(gfp);
	ac.zonelist = pga_node_zonelist(nid, gfp);
	/* The preferred zone: the first one the scan may use; its index is
	 * the classzone whose lowmem reserve lower zones keep. */
	int first = pga_next_zone_zonelist(ac.zonelist, 0, ac.highest_zoneidx, nodemask);
	if (first >= ac.zonelist->nr_zones) {
		if (!(gfp & PGA_GFP_NOWARN))
			warn_alloc(gfp, order, nid);
		return alloc_pages_fail(ENOMEM);
	}
	ac.preferred_zone = ac.zonelist->zones[first];

	page = get_page_from_freelist(&ac, order, PGA_ALLOC_WMARK_LOW | PGA_ALLOC_CPUSET, &zone);
	if (unlikely(!page))
		page = alloc_pages_slowpath(&ac, order, &zone);
	if (unlikely(!page)) {
		if (!(gfp & PGA_GFP_NOWARN))
			warn_alloc(gfp, order, nid);
		return alloc_pages_fail(ENOMEM);
	}
	zone_statistics_slow(t, ac.preferred_zone, zone, order);
	return prep_new_page(zone, page, order, gfp);
}

void pga_bad_free(const char *what, const void *addr, unsigned order)
{
	struct pga_fmt f;

	pga_fmt_init(&f, 2);
	pga_fmt_str(&f, "pgalloc: ");
	pga_fmt_str(&f, what);
	pga_fmt_str(&f, ": ");
	pga_fmt_hex(&f, (uintptr_t)addr);
	pga_fmt_str(&f, " (order ");
	pga_fmt_u64(&f, order, 0);
	pga_fmt_str(&f, ")\n");
	pga_fmt_flush(&f);
	pga_os_abort();
}

/* Find and check the head of a block being freed; abort on a bad free. */
static struct pga_page *lookup_free(const void *addr, unsigned order, unsigned want_flags,
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

static void free_to_pcp(struct pga_thread *t, struct pga_zone *zone, unsigned long pfn,
                        struct pga_page *page, unsigned order, bool cold)
{
	bool locked = pcp_begin(t);
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
	pcp_end(t, locked);
}

static void free_to_buddy(struct pga_thread *t, struct pga_zone *zone, unsigned long pfn,
                          struct pga_page *page, unsigned long nr_pages)
{
	pga_page_set_flags(page, 0);
	page->order = 0;
	page->private_ = 0;
	pthread_mutex_lock(&zone->lock);
	pga_free_pages_range_locked(zone, pfn, nr_pages);
	pthread_mutex_unlock(&zone->lock);
	count_event(t, zone, PGA_EV_PGFREE, nr_pages);
}

void pga_free_pages_slow(void *addr, unsigned order)
{
	struct pga_zone *zone;
	unsigned long pfn;
	struct pga_page *page = lookup_free(addr, order, PGA_PG_ALLOC, &zone, &pfn);
	struct pga_thread *t = pga_current;

	if (t == &pga_thread_boot)
		t = pga_thread_attach();
	if (order <= PGA_COSTLY_ORDER && pga_thread_is_real(t))
		free_to_pcp(t, zone, pfn, page, order, false);
	else
		free_to_buddy(t, zone, pfn, page, 1UL << order);
}

pga_export void pga_free_cold_page(void *addr)
{
	struct pga_zone *zone;
	unsigned long pfn;
	struct pga_page *page = lookup_free(addr, 0, PGA_PG_ALLOC, &zone, &pfn);
	struct pga_thread *t = pga_current;

	if (t == &pga_thread_boot)
		t = pga_thread_attach();
	if (pga_thread_is_real(t))
		free_to_pcp(t, zone, pfn, page, 0, true);
	else
		free_to_buddy(t, zone, pfn, page, 1);
}

pga_export void *pga_alloc_pages(pga_gfp_t gfp, unsigned order)
{
	return pga_alloc_pages_inline(gfp, order, -1, NULL);
}

pga_export void *pga_alloc_pages_node(int nid, pga_gfp_t gfp, unsigned order)
{
	return pga_alloc_pages_inline(gfp, order, nid, NULL);
}

pga_export void *pga_alloc_pages_nodemask(pga_gfp_t gfp, unsigned order, int nid,
                                          const pga_nodemask_t *nodemask)
{
	return pga_alloc_pages_inline(gfp, order, nid, nodemask);
}

pga_export void pga_free_pages(void *addr, unsigned order)
{
	pga_free_pages_inline(addr, order);
}

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
		return alloc_pages_fail(EINVAL);
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
		pthread_mutex_lock(&zone->lock);
		pga_free_pages_range_locked(zone, pfn + nr, tail);
		pthread_mutex_unlock(&zone->lock);
		count_event(pga_current, zone, PGA_EV_PGFREE, tail);
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
	pthread_mutex_lock(&zone->lock);
	if (nr < old)
		pga_free_pages_range_locked(zone, pfn + nr, old - nr);
	else
		ok = pga_claim_range_locked(zone, pfn + old, nr - old);
	if (ok)
		page->private_ = nr;
	pthread_mutex_unlock(&zone->lock);
	if (ok && nr < old)
		count_event(pga_current, zone, PGA_EV_PGFREE, old - nr);
	else if (ok)
		count_event(pga_current, zone, PGA_EV_PGALLOC, nr - old);
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
	struct pga_page *page = lookup_free(addr, 0, PGA_PG_ALLOC | PGA_PG_EXACT, &zone, &pfn);

	if (page->private_ != nr)
		pga_bad_free("free_pages_exact with a size other than the one allocated", addr, 0);
	free_to_buddy(pga_current, zone, pfn, page, nr);
}

pga_export int pga_page_node(const void *addr)
{
	unsigned long pfn;
	const struct pga_zone *zone = pga_addr_to_zone(addr, &pfn);

	return zone ? zone->node : -1;
}

pga_export int pga_page_zone(const void *addr)
{
	unsigned long pfn;
	const struct pga_zone *zone = pga_addr_to_zone(addr, &pfn);

	return zone ? (int)zone->idx : -1;
}
