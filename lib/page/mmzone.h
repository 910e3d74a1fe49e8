/* SPDX-License-Identifier: MIT */
/*
 * mmzone.h - the data structures of the page allocator: page descriptors,
 * free areas, zones, nodes and zonelists (the kernel's include/linux/mmzone.h
 * and mm_types.h).
 *
 * Glossary
 *   page        PGA_PAGE_SIZE bytes of a zone's memory; pfn is its index in
 *               the arena the zone lives in.
 *   block       2^order pages, naturally aligned: pfn % 2^order == 0.
 *   buddy       the block of the same order whose pfn differs in bit order:
 *               pfn ^ (1 << order). Two free buddies merge into one block.
 *   pageblock   2^PGA_PAGEBLOCK_ORDER pages (2 MiB) sharing a migratetype.
 *   section     the unit by which a zone grows (memory hotplug); zones are
 *               whole max-order blocks, their last section may be shorter.
 *   arena       one reservation of address space holding zones of one kind
 *               (all DMA32 zones, or all NORMAL zones), with its memory map.
 *
 * Lock order (outermost first):
 *   pga_thread_registry_lock -> pga_thread.lock -> pga_zone.lock
 * The layers above take their own locks outside all of these (a slab node
 * list lock is never held while the page allocator is called).
 * No zone lock is ever held while taking another zone's lock, a thread lock
 * or the registry lock, or while waiting for a thread to leave its pcp.
 */
#ifndef PGA_MMZONE_H
#define PGA_MMZONE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "compiler.h"
#include "list.h"
#include "lock.h"
#include "pgalloc.h"

#define PGA_PAGEBLOCK_ORDER 9 /* 2 MiB, the transparent huge page size */
#define PGA_PAGEBLOCK_PAGES (1UL << PGA_PAGEBLOCK_ORDER)
#define PGA_COSTLY_ORDER    3 /* PAGE_ALLOC_COSTLY_ORDER */
#define PGA_MAX_ORDER_PAGES (1UL << (PGA_MAX_ORDER - 1))
#define PGA_MAX_ZONES       (PGA_MAX_NUMNODES * PGA_NR_ZONES)
#define PGA_ZONELIST_WORDS  (PGA_MAX_ZONES / 64)

/* Migratetypes: free pages are grouped by mobility so that frees of
 * short-lived memory coalesce into whole pageblocks. */
enum pga_migratetype {
	PGA_MIGRATE_UNMOVABLE = 0,
	PGA_MIGRATE_MOVABLE = 1,
	PGA_MIGRATE_RECLAIMABLE = 2,
	PGA_MIGRATE_TYPES = 3,
};

extern const char *const pga_migratetype_names[PGA_MIGRATE_TYPES];

/* Watermark indexes; alloc_flags & PGA_ALLOC_WMARK_MASK selects one. */
enum pga_wmark { PGA_WMARK_MIN = 0, PGA_WMARK_LOW = 1, PGA_WMARK_HIGH = 2, PGA_NR_WMARK = 3 };

/*
 * Page descriptor (the kernel's struct page), one per page of every arena:
 * 32 bytes for the page allocator, 32 for the slab layer, one cache line.
 * The memory map is reserved lazily and starts zeroed; a zero descriptor is a
 * page in no list and with no owner. Only heads carry state: the other pages
 * of a block keep flags == 0.
 *
 * State machine of a head, guarded by the owner named in each state:
 *   PG_buddy  on zone->free_area[order].free_list[mt]       (zone->lock)
 *   PG_pcp    on a thread's pcp list of `order`             (that thread)
 *   PG_alloc  handed out: order, or PG_exact with private =
 *             the number of pages                           (the caller)
 */
enum pga_page_flags {
	PGA_PG_BUDDY = 1u << 0,
	PGA_PG_PCP = 1u << 1,
	PGA_PG_ALLOC = 1u << 2,
	PGA_PG_EXACT = 1u << 3, /* with PG_alloc: an alloc_pages_exact run */
	PGA_PG_SLAB = 1u << 4,  /* with PG_alloc: a slab of small objects (slab.h) */
	PGA_PG_TAIL = 1u << 5,  /* a slab's other pages: private_ = pages to the head */
};

/*
 * pga_page.remote of a slab: a stack of objects freed by other threads (its
 * top, remote & ~PGA_SLAB_REMOTE_FLAGS; objects are 16-byte aligned) and
 * flags in the low bits.
 *   PGA_SLAB_FROZEN  the slab is frozen to a thread: other threads push
 *                    their frees here; without it, they are freed under the
 *                    node's list lock.
 *   PGA_SLAB_NOTIFY  (with FROZEN) the slab is full and on its owner's full
 *                    list: the next remote free tells the owner.
 *   PGA_SLAB_FULL    the whole word for an unfrozen slab that is full and on
 *                    no list: a free may freeze it to the freeing thread
 *                    with one CAS, without the node lock.
 */
#define PGA_SLAB_FROZEN       ((uintptr_t)1)
#define PGA_SLAB_FULL         ((uintptr_t)2)
#define PGA_SLAB_NOTIFY       ((uintptr_t)4)
#define PGA_SLAB_REMOTE_FLAGS ((uintptr_t)7)

struct pga_slab_cpu; /* the slab layer's per-thread state (slab.h) */

struct pga_page {
	struct pga_list lru; /* free list, pcp list, or slab partial list */
	uint32_t flags;      /* enum pga_page_flags */
	uint8_t order;       /* order of the block this page heads */
	uint8_t migratetype; /* PG_buddy, PG_pcp: the list it sits on */
	uint8_t slab_class;  /* PG_slab: the size class */
	uint8_t slab_node;   /* PG_slab: the node whose lists hold the slab */
	uint32_t private_;   /* PG_exact: pages in the run; PG_tail: pages to the head */
	/* Every page of a live slab, head and tails: the index of the
	 * per-thread cache its objects are freed into (slab.h); 0 on every
	 * other page, whose frees therefore never reach a cache. */
	uint16_t slab_cache;
	uint16_t unused_;

	/*
	 * PG_slab heads only. freelist, inuse: the owner thread's while the
	 * slab is frozen to it, the node list lock's otherwise. remote: a
	 * stack of objects freed by other threads, pushed with one CAS, taken
	 * whole by the owner. owner: the thread the slab is frozen to.
	 */
	void *freelist;
	_Atomic uintptr_t remote;
	_Atomic(struct pga_slab_cpu *) owner;
	uint16_t inuse;   /* objects not on freelist or remote */
	uint16_t objects; /* objects in the slab */
	/* PG_buddy heads: background reclaim's mark (reclaim.c): 0 when put
	 * on a free list, the pass that first saw it free, or PGA_AGE_CLEAN
	 * once its pages went back to the kernel. Under the zone lock. */
	uint32_t age;
};

#define PGA_AGE_CLEAN UINT32_MAX

#define PGA_PB_HUGE 1u
#define PGA_PB_FREE 2u
static_assert(sizeof(struct pga_page) == 64, "a page descriptor fills one cache line");

/* A zone-lock holder reads the flags of neighbouring pages (is the buddy
 * free?) while their owners write them without the lock. Only lock holders
 * ever set or clear PG_buddy, so the answer is right either way; relaxed
 * atomic accesses, plain moves on every target, make the race defined. */
static inline uint32_t pga_page_flags(const struct pga_page *page)
{
	return __atomic_load_n(&page->flags, __ATOMIC_RELAXED);
}

static inline void pga_page_set_flags(struct pga_page *page, uint32_t flags)
{
	__atomic_store_n(&page->flags, flags, __ATOMIC_RELAXED);
}

/* pcp lists per (order, migratetype) for orders 0 .. PGA_COSTLY_ORDER. */
#define PGA_PCP_ORDERS   (PGA_COSTLY_ORDER + 1)
#define PGA_NR_PCP_LISTS (PGA_PCP_ORDERS * PGA_MIGRATE_TYPES)

static inline unsigned pga_pcp_index(unsigned order, unsigned mt)
{
	return order * PGA_MIGRATE_TYPES + mt;
}

/* Per-zone events, counted per thread (in its pcp for the zone) by the
 * owner only and summed by readers. Derived: numa_hit = ALLOCS - NUMA_MISS, numa_local = ALLOCS -
 * NUMA_OTHER. */
enum pga_zone_event {
	PGA_EV_PGALLOC = 0,     /* pages allocated from the zone */
	PGA_EV_PGFREE,          /* pages freed to the zone */
	PGA_EV_ALLOCS,          /* allocations served by the zone */
	PGA_EV_NUMA_MISS,       /* served here, meant for another node */
	PGA_EV_NUMA_FOREIGN,    /* meant for this zone's node, served elsewhere */
	PGA_EV_NUMA_INTERLEAVE, /* interleave policy got its intended node */
	PGA_EV_NUMA_OTHER,      /* served here for a thread on another node */
	PGA_NR_ZONE_EVENTS,
};
static_assert(PGA_NR_ZONE_EVENTS <= 8, "pga_zone.ev_exited holds 8 events");

/* One thread's cache of one zone's pages. Blocks on the lists are PG_pcp
 * heads; the head of a list is the hot end. count is in pages. */
struct pga_pcp {
	_Atomic int count;
	struct pga_list lists[PGA_NR_PCP_LISTS];
	_Atomic uint64_t ev[PGA_NR_ZONE_EVENTS]; /* the owner's events for the zone */
};

/* count is written by whoever owns the lists (see thread.h) and read
 * racily by statistics: a plain load and store, no read-modify-write. */
static inline void pga_pcp_count_add(struct pga_pcp *pcp, int n)
{
	atomic_store_explicit(&pcp->count,
	                      atomic_load_explicit(&pcp->count, memory_order_relaxed) + n,
	                      memory_order_relaxed);
}

/* Add to one of the owner's counters: a plain load and store, no RMW. */
static inline void pga_pcp_ev_add(struct pga_pcp *pcp, enum pga_zone_event ev, uint64_t n)
{
	atomic_store_explicit(&pcp->ev[ev],
	                      atomic_load_explicit(&pcp->ev[ev], memory_order_relaxed) + n,
	                      memory_order_relaxed);
}

struct pga_free_area {
	struct pga_list free_list[PGA_MIGRATE_TYPES];
	/* Blocks of this order on all lists. Written under the zone lock,
	 * read without it by the per-order watermark check. */
	_Atomic unsigned long nr_free;
};

/*
 * An arena: one contiguous range of addresses holding the zones of one type
 * for every node, node after node, each zone a whole number of max-order
 * blocks. Immutable after init, but for block_zone of a sparse arena.
 *
 * Normally the whole range is reserved at start-up (PROT_NONE) and zones
 * grow by mprotect. Under an address-space limit (RLIMIT_AS) a reservation
 * would count against the limit in full, used or not, so the arena is
 * sparse: its range is only chosen where nothing is mapped, and each
 * section is mapped when its zone grows into it (zone.c). Until then its
 * blocks belong to no zone (block_zone 0xff), so that whatever else might
 * come to be mapped there is not taken for pgalloc's.
 */
struct pga_arena {
	uintptr_t base;           /* address of pfn 0, aligned to the largest block */
	unsigned long nr_pages;   /* pfns 0 .. nr_pages - 1 */
	struct pga_page *mem_map; /* nr_pages descriptors, reserved lazily */
	/* Zone id per max-order block, 0xff: none. In a sparse arena set
	 * when the block's section is mapped, under the zone lock, with
	 * relaxed stores; read without a lock. */
	uint8_t *block_zone;
	bool sparse;
};

struct pga_zone {
	/* Read-only after init: no lock. */
	unsigned long watermark[PGA_NR_WMARK];
	/* Pages kept free for requests whose classzone is higher: a NORMAL
	 * request falls back into DMA32 only above min + lowmem_reserve. */
	unsigned long lowmem_reserve[PGA_NR_ZONES];
	struct pga_page *mem_map; /* the arena's: mem_map[pfn] */
	uintptr_t base;           /* the arena's: address of pfn 0 */
	unsigned long zone_start_pfn;
	unsigned long spanned_pages; /* reserved for the zone; the limit */
	uint8_t *pageblock_mt;       /* migratetype per pageblock, from zone start */
	/* Per pageblock, under the lock: PGA_PB_HUGE once reclaim.c advised
	 * huge pages for it (thp=always), PGA_PB_FREE a mark of its scan. */
	uint8_t *pageblock_thp;
	int node;
	int id; /* index in pga_zones[] */
	enum pga_zone_type idx;
	const char *name;
	int pcp_batch, pcp_high;

	/* Written under lock, read locklessly by watermark checks and stats. */
	_Atomic unsigned long free_pages;    /* NR_FREE_PAGES: pages on free lists */
	_Atomic unsigned long managed_pages; /* onlined into the buddy allocator */

	/* Events of threads that have exited, added at their exit. */
	_Atomic uint64_t ev_exited[8];

	/* The zone lock, on its own cache line: it is the hottest write. */
	pga_aligned(PGA_CACHELINE) struct pga_lock lock;
	/* Guarded by lock. */
	unsigned long online_end_pfn; /* zone_start_pfn .. online_end_pfn onlined */
	/* Growth stops here: the zone's end, or in a sparse arena the first
	 * section that something else has mapped. */
	unsigned long grow_end_pfn;
	struct pga_free_area free_area[PGA_MAX_ORDER];
} pga_aligned(PGA_CACHELINE);

/*
 * A zonelist: zones in fallback order. zlc, the zonelist cache, remembers
 * zones recently found full so that a scan skips them for
 * zlc_interval_ms; the bits are zonelist positions. Racy by design: a stale
 * bit costs one skipped or one extra watermark check.
 */
struct pga_zonelist {
	int nr_zones;
	struct pga_zone *zones[256]; /* by id; NULL past nr_zones (0xff: no zone) */
	_Atomic uint64_t zlc_full[PGA_ZONELIST_WORDS];
	_Atomic uint64_t zlc_last_zap_ms;
};

enum pga_zonelist_kind { PGA_ZONELIST_FALLBACK = 0, PGA_ZONELIST_NOFALLBACK = 1 };

struct pga_node {
	int id;
	unsigned long limit_pages;           /* node_limit_mb in pages: DMA32 + NORMAL */
	struct pga_zone zones[PGA_NR_ZONES]; /* spanned_pages == 0: not populated */
	struct pga_zonelist zonelists[2];
};

/* The fast path's answer for (node, zone type): the zone an order-0
 * allocation tries first, or NULL when the first attempt needs the full scan
 * (node not in the cpuset, zone not populated). */
struct pga_fast_zone {
	struct pga_zone *zone;
};

/*
 * The page allocator's global state: every node, zone and arena, built once
 * by pga_page_init(). (A kernel pgdat is one node: struct pga_node here.)
 */
struct pga_mem {
	int nr_nodes;
	int nr_zones; /* populated zones, ids 0 .. nr_zones - 1 */
	unsigned long section_pages;
	/* RLIMIT_AS at start-up, SIZE_MAX when there is none: the arenas are
	 * then sparse (zone.c). */
	size_t as_limit;
	/* The limit is below what the zones would span without it: address
	 * space, not memory, is what runs out, and the malloc layer maps
	 * large requests directly before it grows a zone for them
	 * (docs/architecture.md, "Beyond the zones"). */
	bool map_large_first;
	bool zlc_enabled; /* more than one node */
	bool membarrier;  /* remote pcp drains can run at once */
	bool multi_real;  /* the nodes sit on more than one real node */
	pga_nodemask_t cpuset_mems;
	struct pga_arena arenas[PGA_NR_ZONES];
	struct pga_zone *zones[256]; /* by id; NULL past nr_zones (0xff: no zone) */
	struct pga_fast_zone fast[PGA_MAX_NUMNODES][PGA_NR_ZONES];
	struct pga_node nodes[PGA_MAX_NUMNODES];
};

extern struct pga_mem pga_mem;

/* Set, with release order, once pga_mem is complete (init.c). */
extern _Atomic int pga_initialized;

static inline bool pga_zone_populated(const struct pga_zone *zone)
{
	return zone->spanned_pages != 0;
}

static inline struct pga_page *pga_pfn_to_page(const struct pga_zone *zone, unsigned long pfn)
{
	return zone->mem_map + pfn;
}

static inline unsigned long pga_page_to_pfn(const struct pga_zone *zone,
                                            const struct pga_page *page)
{
	return (unsigned long)(page - zone->mem_map);
}

static inline void *pga_pfn_to_addr(const struct pga_zone *zone, unsigned long pfn)
{
	return (void *)(zone->base + (pfn << PGA_PAGE_SHIFT));
}

static inline void *pga_page_address(const struct pga_zone *zone, const struct pga_page *page)
{
	return pga_pfn_to_addr(zone, pga_page_to_pfn(zone, page));
}

static inline bool pga_zone_spans_pfn(const struct pga_zone *zone, unsigned long pfn)
{
	return pfn - zone->zone_start_pfn < zone->spanned_pages;
}

static inline unsigned long pga_zone_free_pages(const struct pga_zone *zone)
{
	return atomic_load_explicit(&zone->free_pages, memory_order_relaxed);
}

static inline unsigned pga_pageblock_index(const struct pga_zone *zone, unsigned long pfn)
{
	return (unsigned)((pfn - zone->zone_start_pfn) >> PGA_PAGEBLOCK_ORDER);
}

/* Read without the zone lock by the free path; written under it when a
 * pageblock is claimed. A stale type only puts a page on another list. */
static inline int pga_pageblock_migratetype(const struct pga_zone *zone, unsigned long pfn)
{
	return __atomic_load_n(&zone->pageblock_mt[pga_pageblock_index(zone, pfn)],
	                       __ATOMIC_RELAXED);
}

static inline void pga_set_pageblock_migratetype(struct pga_zone *zone, unsigned long pfn, int mt)
{
	__atomic_store_n(&zone->pageblock_mt[pga_pageblock_index(zone, pfn)], (uint8_t)mt,
	                 __ATOMIC_RELAXED);
}

static inline unsigned long pga_nr_free(const struct pga_free_area *area)
{
	return atomic_load_explicit(&area->nr_free, memory_order_relaxed);
}

/* Under the zone lock: a plain load and store, no locked instruction. */
static inline void pga_nr_free_add(struct pga_free_area *area, long n)
{
	atomic_store_explicit(&area->nr_free, pga_nr_free(area) + (unsigned long)n,
	                      memory_order_relaxed);
}

/* The zone id of the max-order block holding pfn (< ar->nr_pages). */
static inline uint8_t pga_arena_block_zone(const struct pga_arena *ar, unsigned long pfn)
{
	return __atomic_load_n(&ar->block_zone[pfn >> (PGA_MAX_ORDER - 1)], __ATOMIC_RELAXED);
}

/* The zone of pfn in arena ar, or NULL when pfn lies outside it. Blocks
 * of an arena that belong to no zone map to id 0xff, whose zones[] entry
 * is NULL. */
static inline struct pga_zone *pga_arena_zone(const struct pga_arena *ar, unsigned long pfn)
{
	return pfn < ar->nr_pages ? pga_mem.zones[pga_arena_block_zone(ar, pfn)] : NULL;
}

/*
 * Find the zone and pfn of the page holding addr: O(1), two range checks
 * and a table lookup, NORMAL first since it holds nearly every page.
 * Returns NULL for memory pgalloc does not manage.
 */
static inline struct pga_zone *pga_addr_to_zone(const void *addr, unsigned long *pfn)
{
	uintptr_t a = (uintptr_t)addr;
	const struct pga_arena *ar = &pga_mem.arenas[PGA_ZONE_NORMAL];
	unsigned long p = (unsigned long)((a - ar->base) >> PGA_PAGE_SHIFT);

	if (likely(p < ar->nr_pages)) {
		*pfn = p;
		return pga_mem.zones[pga_arena_block_zone(ar, p)];
	}
	ar = &pga_mem.arenas[PGA_ZONE_DMA32];
	p = (unsigned long)((a - ar->base) >> PGA_PAGE_SHIFT);
	*pfn = p;
	return pga_arena_zone(ar, p);
}

/* The descriptor of the page addr lies on in ZONE_NORMAL's arena, or NULL
 * outside it, without the zone lookup: the free fast path needs the page
 * alone, and leaves the small DMA32 arena to its slow path. Pages of the
 * arena that no zone holds keep a zero descriptor. */
static inline struct pga_page *pga_addr_to_normal_page(const void *addr)
{
	const struct pga_arena *ar = &pga_mem.arenas[PGA_ZONE_NORMAL];
	unsigned long p = (unsigned long)(((uintptr_t)addr - ar->base) >> PGA_PAGE_SHIFT);

	return likely(p < ar->nr_pages) ? ar->mem_map + p : NULL;
}

/* The same in either arena. */
static inline struct pga_page *pga_addr_to_page(const void *addr)
{
	uintptr_t a = (uintptr_t)addr;
	const struct pga_arena *ar = &pga_mem.arenas[PGA_ZONE_NORMAL];
	unsigned long p = (unsigned long)((a - ar->base) >> PGA_PAGE_SHIFT);

	if (likely(p < ar->nr_pages))
		return ar->mem_map + p;
	ar = &pga_mem.arenas[PGA_ZONE_DMA32];
	p = (unsigned long)((a - ar->base) >> PGA_PAGE_SHIFT);
	return p < ar->nr_pages ? ar->mem_map + p : NULL;
}

/* The zone and pfn of a descriptor: which arena's memory map holds it. */
static inline struct pga_zone *pga_page_to_zone(const struct pga_page *page, unsigned long *pfn)
{
	for (int i = PGA_NR_ZONES - 1; i >= 0; i--) {
		const struct pga_arena *ar = &pga_mem.arenas[i];
		unsigned long p = (unsigned long)(page - ar->mem_map);
		if (p < ar->nr_pages) {
			*pfn = p;
			return pga_arena_zone(ar, p);
		}
	}
	return NULL;
}

#endif /* PGA_MMZONE_H */
