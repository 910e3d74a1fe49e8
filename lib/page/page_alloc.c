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
 *      reclaim (reclaim.c: the clients' shrinkers, then every thread's pcp
 *      lists), retry while reclaim makes
 *      progress, a last resort outside the cpuset unless HARDWALL, NOFAIL
 *      looping without watermarks; then NULL with errno ENOMEM.
 *
 * The free paths are in page_free.c, exact runs in exact.c, the pcp lists'
 * out-of-line code in pcp.c.
 */
#include "page_alloc.h"

#include <errno.h>

#include "buddy.h"
#include "fmt.h"
#include "client.h"
#include "mempolicy.h"
#include "os.h"
#include "pcp.h"
#include "reclaim.h"
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

static void zone_statistics_slow(struct pga_thread *t, const struct pga_zone *preferred,
                                 struct pga_zone *zone, unsigned order)
{
	if (pga_thread_is_real(t)) {
		pga_zone_statistics(t, preferred, zone, order);
		return;
	}
	pga_count_event(t, zone, PGA_EV_PGALLOC, 1u << order);
	pga_count_event(t, zone, PGA_EV_ALLOCS, 1);
	pga_count_event(t, zone, PGA_EV_NUMA_OTHER,
	                zone->node != pga_cpu_to_node(&pga_topo, pga_os_current_cpu()));
	if (zone->node != preferred->node) {
		pga_count_event(t, zone, PGA_EV_NUMA_MISS, 1);
		pga_count_event(t, pga_mem.zones[preferred->id], PGA_EV_NUMA_FOREIGN, 1);
	}
}

/*
 * rmqueue: a block of the given order from zone. Orders up to
 * PGA_COSTLY_ORDER come through the thread's pcp list; larger ones from
 * the buddy lists. The head comes back with flags == 0.
 */
static struct pga_page *rmqueue(struct alloc_context *ac, struct pga_zone *zone, unsigned order)
{
	struct pga_page *page;

	if (order <= PGA_COSTLY_ORDER && pga_thread_is_real(ac->t))
		return pga_rmqueue_pcplist(ac->t, zone, order, ac->migratetype,
		                           ac->gfp & PGA_GFP_COLD);
	pga_lock(&zone->lock);
	page = pga_rmqueue_locked(zone, order, (int)ac->migratetype);
	pga_unlock(&zone->lock);
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
		if (pga_mem.zlc_enabled) {
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
	PGA_TRACE(mm_page_alloc, addr, order, gfp, pga_gfp_migratetype(gfp));
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

	/* Direct reclaim: the pages idling in pcp lists and the clients'
	 * caches (empty slabs) are the ones that can come back without the
	 * program's help. */
	for (int retries = 0; retries < MAX_RECLAIM_RETRIES; retries++) {
		unsigned long progress = pga_direct_reclaim();
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

/*
 * __alloc_pages_nodemask with the request checked and the node known:
 * the zonelist of nid, limited to nodemask (NULL: any node). The zone the
 * page came from goes to *zone_out.
 */
static void *alloc_pages_nodemask(struct pga_thread *t, pga_gfp_t gfp, unsigned order, int nid,
                                  const pga_nodemask_t *nodemask, struct pga_zone **zone_out)
{
	struct alloc_context ac;
	struct pga_page *page;
	struct pga_zone *zone = NULL;

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
		return pga_alloc_fail(ENOMEM);
	}
	ac.preferred_zone = ac.zonelist->zones[first];

	page = get_page_from_freelist(&ac, order, PGA_ALLOC_WMARK_LOW | PGA_ALLOC_CPUSET, &zone);
	if (unlikely(!page))
		page = alloc_pages_slowpath(&ac, order, &zone);
	if (unlikely(!page)) {
		if (!(gfp & PGA_GFP_NOWARN))
			warn_alloc(gfp, order, nid);
		return pga_alloc_fail(ENOMEM);
	}
	zone_statistics_slow(t, ac.preferred_zone, zone, order);
	*zone_out = zone;
	return prep_new_page(zone, page, order, gfp);
}

/*
 * alloc_pages_mpol: a request that names no node, placed by the thread's
 * memory policy as the kernel places a page fault (mempolicy.h):
 *   DEFAULT, LOCAL   the local node's zonelist
 *   PREFERRED        the preferred node's zonelist (fallback by distance)
 *   PREFERRED_MANY   the local zonelist limited to the preferred nodes,
 *                    without retrying or warning; then without the limit
 *   BIND             the local zonelist limited to the nodes: no spill,
 *                    ENOMEM when they are exhausted
 *   INTERLEAVE       the next node of the mask, round-robin, one node per
 *                    call (a page block, a slab, a large run); counted in
 *                    numa_interleave when it got that node
 */
static void *alloc_pages_policy(struct pga_thread *t, pga_gfp_t gfp, unsigned order)
{
	struct pga_mempolicy *pol = &t->pol;
	struct pga_zone *zone;
	void *addr;

	switch (pol->mode) {
	case PGA_MPOL_PREFERRED:
		return alloc_pages_nodemask(t, gfp, order, pol->preferred, NULL, &zone);
	case PGA_MPOL_BIND:
		return alloc_pages_nodemask(t, gfp, order, t->node, &pol->nodes, &zone);
	case PGA_MPOL_PREFERRED_MANY: {
		pga_gfp_t first = (gfp | PGA_GFP_NOWARN | PGA_GFP_NORETRY) & ~PGA_GFP_NOFAIL;
		int saved = errno;
		addr = alloc_pages_nodemask(t, first, order, t->node, &pol->nodes, &zone);
		if (addr)
			return addr;
		errno = saved;
		return alloc_pages_nodemask(t, gfp, order, t->node, NULL, &zone);
	}
	case PGA_MPOL_INTERLEAVE: {
		int nid = pga_mempolicy_interleave_node(pol, true);
		addr = alloc_pages_nodemask(t, gfp, order, nid, NULL, &zone);
		if (addr && zone->node == nid)
			pga_ev_add(t, zone->id, PGA_EV_NUMA_INTERLEAVE, 1);
		return addr;
	}
	default:
		return alloc_pages_nodemask(t, gfp, order, t->node, NULL, &zone);
	}
}

void *pga_alloc_pages_nodemask_slow(pga_gfp_t gfp, unsigned order, int nid,
                                    const pga_nodemask_t *nodemask)
{
	struct pga_zone *zone;
	struct pga_thread *t;

	pga_page_init();
	t = pga_thread_get();
	if (pga_thread_is_real(t))
		pga_thread_refresh_node(t);

	if (order >= PGA_MAX_ORDER || gfp > PGA_GFP_ALL || pga_gfp_migratetype(gfp) == 3 ||
	    nid >= pga_mem.nr_nodes)
		return pga_alloc_fail(EINVAL);

	if (pga_fail_enabled && pga_should_fail_alloc_page(gfp, order))
		return pga_alloc_fail(ENOMEM);

	if (nid < 0) {
		if (!nodemask && pga_thread_is_real(t))
			return alloc_pages_policy(t, gfp, order);
		nid = pga_thread_is_real(t) ? t->node
		                            : pga_cpu_to_node(&pga_topo, pga_os_current_cpu());
	}
	return alloc_pages_nodemask(t, gfp, order, nid, nodemask, &zone);
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

pga_export int pga_page_node(const void *addr)
{
	unsigned long pfn;
	const struct pga_zone *zone = pga_addr_to_zone(addr, &pfn);

	if (zone)
		return zone->node;
	/* A huge block: where the kernel put its first page. */
	if (addr && atomic_load_explicit(&pga_initialized, memory_order_acquire) &&
	    pga_clients_own(addr))
		return pga_mempolicy_kernel_node(addr);
	return -1;
}

pga_export int pga_page_zone(const void *addr)
{
	unsigned long pfn;
	const struct pga_zone *zone = pga_addr_to_zone(addr, &pfn);

	return zone ? (int)zone->idx : -1;
}
