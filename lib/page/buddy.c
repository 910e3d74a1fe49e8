// SPDX-License-Identifier: MIT
/*
 * buddy.c - the buddy allocator of a zone (the core of mm/page_alloc.c).
 *
 * Invariants, all under zone->lock:
 *   - A free block of order o is a PG_buddy head with page->order == o and
 *     page->migratetype == the list it is on, aligned: pfn % 2^o == 0, and it
 *     lies inside the onlined part of the zone. Its other pages have
 *     flags == 0.
 *   - Free blocks never overlap, and no two free buddies of the same order
 *     coexist (they would have been merged), except at order MAX_ORDER - 1.
 *   - free_area[o].nr_free is the number of blocks on its lists;
 *     zone->free_pages is the sum of their pages.
 * pga_zone_check_locked() checks all of these.
 */
#include "buddy.h"

#include <limits.h>
#include <string.h>

#include "fmt.h"
#include "os.h"

const char *const pga_migratetype_names[PGA_MIGRATE_TYPES] = {
    [PGA_MIGRATE_UNMOVABLE] = "Unmovable",
    [PGA_MIGRATE_MOVABLE] = "Movable",
    [PGA_MIGRATE_RECLAIMABLE] = "Reclaimable",
};

/* The order in which a migratetype steals from the others, as in the
 * kernel: unmovable and reclaimable prefer each other, so that the movable
 * pageblocks stay clean for as long as possible. */
static const int fallbacks[PGA_MIGRATE_TYPES][PGA_MIGRATE_TYPES - 1] = {
    [PGA_MIGRATE_UNMOVABLE] = {PGA_MIGRATE_RECLAIMABLE, PGA_MIGRATE_MOVABLE},
    [PGA_MIGRATE_MOVABLE] = {PGA_MIGRATE_RECLAIMABLE, PGA_MIGRATE_UNMOVABLE},
    [PGA_MIGRATE_RECLAIMABLE] = {PGA_MIGRATE_UNMOVABLE, PGA_MIGRATE_MOVABLE},
};

static inline void free_pages_add(struct pga_zone *zone, long nr)
{
	atomic_store_explicit(&zone->free_pages,
	                      atomic_load_explicit(&zone->free_pages, memory_order_relaxed) +
	                          (unsigned long)nr,
	                      memory_order_relaxed);
}

static inline void add_to_free_list(struct pga_zone *zone, struct pga_page *page, unsigned order,
                                    int mt, bool tail)
{
	struct pga_free_area *area = &zone->free_area[order];

	pga_page_set_flags(page, PGA_PG_BUDDY);
	page->order = (uint8_t)order;
	page->migratetype = (uint8_t)mt;
	page->age = 0; /* dirty until background reclaim says otherwise */
	if (tail)
		pga_list_add_tail(&page->lru, &area->free_list[mt]);
	else
		pga_list_add(&page->lru, &area->free_list[mt]);
	pga_nr_free_add(area, 1);
}

static inline void del_from_free_list(struct pga_zone *zone, struct pga_page *page)
{
	PGA_BUG_ON(pga_page_flags(page) != PGA_PG_BUDDY);
	pga_list_del(&page->lru);
	pga_nr_free_add(&zone->free_area[page->order], -1);
	pga_page_set_flags(page, 0);
	page->order = 0;
	page->migratetype = 0;
}

static inline bool page_is_buddy(const struct pga_page *buddy, unsigned order)
{
	return pga_page_flags(buddy) == PGA_PG_BUDDY && buddy->order == order;
}

static inline unsigned long zone_online_end(const struct pga_zone *zone)
{
	return zone->online_end_pfn;
}

/*
 * expand: the block at pfn of order high was taken for a request of order
 * low; put back the upper halves, one per order, as free blocks of mt.
 */
static void expand(struct pga_zone *zone, unsigned long pfn, unsigned low, unsigned high, int mt)
{
	unsigned long size = 1UL << high;

	while (high > low) {
		high--;
		size >>= 1;
		add_to_free_list(zone, pga_pfn_to_page(zone, pfn + size), high, mt, false);
	}
}

static struct pga_page *rmqueue_smallest(struct pga_zone *zone, unsigned order, int mt)
{
	for (unsigned o = order; o < PGA_MAX_ORDER; o++) {
		struct pga_list *list = &zone->free_area[o].free_list[mt];
		if (pga_list_empty(list))
			continue;
		struct pga_page *page = container_of(list->next, struct pga_page, lru);
		del_from_free_list(zone, page);
		expand(zone, pga_page_to_pfn(zone, page), order, o, mt);
		return page;
	}
	return NULL;
}

unsigned long pga_move_freepages_block_locked(struct pga_zone *zone, unsigned long pfn, int mt)
{
	unsigned long start = pfn & ~(PGA_PAGEBLOCK_PAGES - 1);
	unsigned long end = start + PGA_PAGEBLOCK_PAGES;
	unsigned long moved = 0;

	if (end > zone_online_end(zone))
		end = zone_online_end(zone);
	for (pfn = start; pfn < end;) {
		struct pga_page *page = pga_pfn_to_page(zone, pfn);
		if (pga_page_flags(page) != PGA_PG_BUDDY) {
			pfn++;
			continue;
		}
		unsigned order = page->order;
		pga_list_move(&page->lru, &zone->free_area[order].free_list[mt]);
		page->migratetype = (uint8_t)mt;
		pfn += 1UL << order;
		moved += 1UL << order;
	}
	return moved;
}

/*
 * rmqueue_fallback: no block of start_mt is free; steal the largest block of
 * another type, so that the pageblock it comes from is likely to become
 * start_mt's entirely. A large steal (at least half a pageblock) or a
 * reclaimable request moves every free page of the pageblock along, and
 * claims the pageblock when at least half of it moved.
 */
static struct pga_page *rmqueue_fallback(struct pga_zone *zone, unsigned order, int start_mt)
{
	for (int current = PGA_MAX_ORDER - 1; current >= (int)order; current--) {
		for (int i = 0; i < PGA_MIGRATE_TYPES - 1; i++) {
			int mt = fallbacks[start_mt][i];
			struct pga_list *list = &zone->free_area[current].free_list[mt];
			if (pga_list_empty(list))
				continue;

			struct pga_page *page = container_of(list->next, struct pga_page, lru);
			unsigned long pfn = pga_page_to_pfn(zone, page);
			if ((unsigned)current >= PGA_PAGEBLOCK_ORDER / 2 ||
			    start_mt == PGA_MIGRATE_RECLAIMABLE) {
				unsigned long moved =
				    pga_move_freepages_block_locked(zone, pfn, start_mt);
				if (moved >= PGA_PAGEBLOCK_PAGES / 2)
					pga_set_pageblock_migratetype(zone, pfn, start_mt);
				mt = start_mt;
			}
			del_from_free_list(zone, page);
			if ((unsigned)current >= PGA_PAGEBLOCK_ORDER) {
				for (unsigned long p = pfn; p < pfn + (1UL << current);
				     p += PGA_PAGEBLOCK_PAGES)
					pga_set_pageblock_migratetype(zone, p, start_mt);
			}
			expand(zone, pfn, order, (unsigned)current, mt);
			return page;
		}
	}
	return NULL;
}

struct pga_page *pga_rmqueue_locked(struct pga_zone *zone, unsigned order, int mt)
{
	struct pga_page *page = rmqueue_smallest(zone, order, mt);

	if (unlikely(!page))
		page = rmqueue_fallback(zone, order, mt);
	if (page)
		free_pages_add(zone, -(1L << order));
	return page;
}

_Atomic uint32_t pga_buddy_free_waiter;

void pga_buddy_wake_waiter(void)
{
	if (atomic_exchange_explicit(&pga_buddy_free_waiter, 0, memory_order_relaxed))
		pga_os_futex_wake(&pga_buddy_free_waiter, 1);
}

void pga_free_one_page_locked(struct pga_zone *zone, unsigned long pfn, unsigned order, int mt)
{
	unsigned long nr = 1UL << order;

	pga_buddy_kick();
	PGA_BUG_ON(pfn & (nr - 1));
	PGA_BUG_ON(pfn < zone->zone_start_pfn || pfn + nr > zone_online_end(zone));
	while (order < PGA_MAX_ORDER - 1) {
		unsigned long buddy_pfn = pfn ^ (1UL << order);
		struct pga_page *buddy = pga_pfn_to_page(zone, buddy_pfn);
		/* Zones are whole max-order blocks, so a buddy never lies
		 * outside the zone; it may lie in a section not yet online,
		 * whose descriptors are all zero and so never PG_buddy. */
		if (!page_is_buddy(buddy, order))
			break;
		del_from_free_list(zone, buddy);
		pfn &= buddy_pfn;
		order++;
	}

	/*
	 * If the buddy of the merged block is itself free at the next order
	 * up, this block is likely to merge soon: put it at the tail so that
	 * allocations take other blocks first.
	 */
	bool tail = false;
	if (order < PGA_MAX_ORDER - 2) {
		unsigned long higher = (pfn & ~((2UL << order) - 1)) ^ (2UL << order);
		if (higher + (2UL << order) <= zone_online_end(zone) &&
		    page_is_buddy(pga_pfn_to_page(zone, higher), order + 1))
			tail = true;
	}
	add_to_free_list(zone, pga_pfn_to_page(zone, pfn), order, mt, tail);
	free_pages_add(zone, (long)nr);
}

void pga_free_pages_range_locked(struct pga_zone *zone, unsigned long pfn, unsigned long nr)
{
	while (nr) {
		unsigned order = PGA_MAX_ORDER - 1;
		if (pfn)
			order = pga_min_u(order, (unsigned)__builtin_ctzl(pfn));
		order = pga_min_u(order, pga_ilog2(nr));
		pga_free_one_page_locked(zone, pfn, order, pga_pageblock_migratetype(zone, pfn));
		pfn += 1UL << order;
		nr -= 1UL << order;
	}
}

/* The free block holding pfn, or NULL: the first PG_buddy head found by
 * aligning pfn down to each order in turn whose order reaches pfn. */
static struct pga_page *free_block_holding(struct pga_zone *zone, unsigned long pfn)
{
	for (unsigned o = 0; o < PGA_MAX_ORDER; o++) {
		unsigned long head = pfn & ~((1UL << o) - 1);
		if (head < zone->zone_start_pfn)
			break;
		struct pga_page *page = pga_pfn_to_page(zone, head);
		if (pga_page_flags(page) == PGA_PG_BUDDY && page->order >= o)
			return page;
	}
	return NULL;
}

bool pga_claim_range_locked(struct pga_zone *zone, unsigned long pfn, unsigned long nr)
{
	unsigned long end = pfn + nr, p;

	if (end > zone->online_end_pfn || pfn < zone->zone_start_pfn)
		return false;
	for (p = pfn; p < end;) {
		struct pga_page *block = free_block_holding(zone, p);
		if (!block)
			return false;
		p = pga_page_to_pfn(zone, block) + (1UL << block->order);
	}
	for (p = pfn; p < end;) {
		struct pga_page *block = free_block_holding(zone, p);
		unsigned long head = pga_page_to_pfn(zone, block);
		unsigned long block_end = head + (1UL << block->order);
		free_pages_add(zone, -(1L << block->order));
		del_from_free_list(zone, block);
		if (head < pfn)
			pga_free_pages_range_locked(zone, head, pfn - head);
		if (block_end > end)
			pga_free_pages_range_locked(zone, end, block_end - end);
		p = block_end;
	}
	return true;
}

unsigned pga_rmqueue_bulk(struct pga_zone *zone, unsigned order, unsigned count, int mt,
                          struct pga_list *list)
{
	unsigned i;

	pga_lock(&zone->lock);
	for (i = 0; i < count; i++) {
		struct pga_page *page = pga_rmqueue_locked(zone, order, mt);
		if (unlikely(!page))
			break;
		pga_page_set_flags(page, PGA_PG_PCP);
		page->order = (uint8_t)order;
		page->migratetype = (uint8_t)mt;
		/* In the order taken: consecutive allocations walk memory
		 * upwards, which is kind to caches and prefetchers. */
		pga_list_add_tail(&page->lru, list);
	}
	pga_unlock(&zone->lock);
	return i;
}

unsigned long pga_free_pcppages_bulk(struct pga_zone *zone, struct pga_pcp *pcp,
                                     unsigned long nr_pages)
{
	unsigned long freed = 0;
	unsigned idx = PGA_NR_PCP_LISTS - 1, batch_free = 0;

	pga_lock(&zone->lock);
	while (freed < nr_pages && atomic_load_explicit(&pcp->count, memory_order_relaxed) > 0) {
		struct pga_list *list;

		/* Round robin over the lists; a list found empty makes the
		 * next non-empty one give up more, as in the kernel. */
		do {
			batch_free++;
			idx = idx + 1 == PGA_NR_PCP_LISTS ? 0 : idx + 1;
			list = &pcp->lists[idx];
		} while (pga_list_empty(list));

		do {
			struct pga_page *page = container_of(list->prev, struct pga_page, lru);
			unsigned order = page->order;
			int mt = page->migratetype;
			PGA_BUG_ON(pga_page_flags(page) != PGA_PG_PCP);
			pga_list_del(&page->lru);
			pga_page_set_flags(page, 0);
			pga_free_one_page_locked(zone, pga_page_to_pfn(zone, page), order, mt);
			pga_pcp_count_add(pcp, -(1 << order));
			freed += 1UL << order;
		} while (freed < nr_pages && --batch_free && !pga_list_empty(list));
	}
	pga_unlock(&zone->lock);
	return freed;
}

/* The validator's scratch: one bit per onlined page, mapped for the check. */
struct check_map {
	uint64_t *bits;
	size_t bytes;
};

static bool check_fail(char *why, size_t len, const char *msg, unsigned long pfn)
{
	struct pga_fmt f;

	pga_fmt_init(&f, -1);
	pga_fmt_str(&f, msg);
	pga_fmt_str(&f, " at pfn ");
	pga_fmt_u64(&f, pfn, 0);
	pga_fmt_copy(&f, why, len);
	return false;
}

bool pga_zone_check_locked(struct pga_zone *zone, char *why, size_t why_len)
{
	unsigned long start = zone->zone_start_pfn, end = zone->online_end_pfn;
	unsigned long total = 0;
	struct check_map map = {.bytes = pga_round_up((end - start) / 8 + 8, PGA_PAGE_SIZE)};
	bool ok = true;

	map.bits = pga_os_reserve(map.bytes, PGA_PAGE_SIZE);
	if (!map.bits || !pga_os_commit(map.bits, map.bytes))
		return check_fail(why, why_len, "validator: no memory for the page bitmap", 0);

	for (unsigned o = 0; o < PGA_MAX_ORDER && ok; o++) {
		unsigned long blocks = 0;
		for (int mt = 0; mt < PGA_MIGRATE_TYPES && ok; mt++) {
			struct pga_list *pos;
			pga_list_for_each (pos, &zone->free_area[o].free_list[mt]) {
				struct pga_page *page = container_of(pos, struct pga_page, lru);
				unsigned long pfn = pga_page_to_pfn(zone, page);
				blocks++;
				if (pga_page_flags(page) != PGA_PG_BUDDY || page->order != o ||
				    page->migratetype != mt) {
					ok = check_fail(why, why_len, "free block with a bad head",
					                pfn);
					break;
				}
				if (pfn < start || pfn + (1UL << o) > end ||
				    (pfn & ((1UL << o) - 1))) {
					ok = check_fail(why, why_len,
					                "free block misaligned or outside the zone",
					                pfn);
					break;
				}
				for (unsigned long p = pfn; p < pfn + (1UL << o); p++) {
					unsigned long b = p - start;
					if (map.bits[b / 64] & (1ULL << (b % 64))) {
						ok = check_fail(why, why_len, "free blocks overlap",
						                p);
						break;
					}
					map.bits[b / 64] |= 1ULL << (b % 64);
					if (p != pfn && pga_page_flags(pga_pfn_to_page(zone, p))) {
						ok = check_fail(
						    why, why_len,
						    "tail page of a free block has flags", p);
						break;
					}
				}
				if (!ok)
					break;
				if (o < PGA_MAX_ORDER - 1) {
					unsigned long bp = pfn ^ (1UL << o);
					if (page_is_buddy(pga_pfn_to_page(zone, bp), o)) {
						ok = check_fail(why, why_len,
						                "free buddies left unmerged", pfn);
						break;
					}
				}
				total += 1UL << o;
			}
		}
		if (ok && blocks != pga_nr_free(&zone->free_area[o]))
			ok = check_fail(why, why_len, "nr_free does not match the lists", o);
	}
	if (ok && total != pga_zone_free_pages(zone))
		ok = check_fail(why, why_len, "free_pages does not match the lists", total);
	pga_os_release(map.bits, map.bytes);
	return ok;
}
