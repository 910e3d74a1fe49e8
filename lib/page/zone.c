// SPDX-License-Identifier: MIT
/*
 * zone.c - zones: their place in the arenas, growth by sections, watermarks,
 * lowmem reserves and pcp batch sizes.
 *
 * Memory model. All NORMAL zones share one arena, all DMA32 zones another
 * (below 4 GiB); inside an arena the zones follow each other node by node,
 * each a whole number of max-order blocks (4 MiB), so that a buddy never
 * crosses a zone. An arena is reserved PROT_NONE and MAP_NORESERVE: it costs
 * address space, not memory. A zone starts with no page online and grows a
 * section at a time, when a watermark check fails (the kernel's
 * deferred_grow_zone), up to its spanned size: the node's limit.
 *
 * Under an address-space limit (RLIMIT_AS, ulimit -v) a reservation would
 * count against the limit whole, used or not: zones reserved up front
 * would leave the program only what they do not span, and span only what
 * the program does not need. So the arenas are sparse there: their
 * addresses are chosen where nothing is mapped, far from where the kernel
 * places mappings, and a section is mapped (MAP_FIXED_NOREPLACE) only when
 * its zone grows into it; the zones together span at most the limit, and
 * take of it only what they hold. A section the kernel refuses (the limit
 * reached) is retried smaller, down to one max-order block, and again at
 * the next growth; a section that something else has mapped in the
 * meantime ends the zone's growth. Only the memory map is reserved up
 * front, 1/64 of what the zones span. Start-up never fails: the zones
 * shrink until their metadata fits.
 */
#include "zone.h"

#include <errno.h>
#include <string.h>

#include "buddy.h"
#include "fmt.h"
#include "options.h"
#include "os.h"
#include "topology.h"

#define BLOCK_PAGES PGA_MAX_ORDER_PAGES
#define MIB_PAGES   (1UL << (20 - PGA_PAGE_SHIFT))

static const char *const zone_names[PGA_NR_ZONES] = {
    [PGA_ZONE_DMA32] = "DMA32",
    [PGA_ZONE_NORMAL] = "Normal",
};

bool pga_zone_watermark_ok(const struct pga_zone *z, unsigned order, unsigned long mark,
                           int classzone_idx, unsigned alloc_flags)
{
	long min = (long)mark;
	long free_pages = (long)pga_zone_free_pages(z) - (1L << order) + 1;

	if (alloc_flags & PGA_ALLOC_HIGH)
		min -= min / 2;
	if (alloc_flags & PGA_ALLOC_HARDER)
		min -= min / 4;
	if (free_pages <= min + (long)z->lowmem_reserve[classzone_idx])
		return false;
	/* Discount the blocks too small to serve this order; each lower
	 * order needs only half the reserve of the one above it. */
	for (unsigned o = 0; o < order; o++) {
		free_pages -= (long)(pga_nr_free(&z->free_area[o]) << o);
		min >>= 1;
		if (free_pages <= min)
			return false;
	}
	return true;
}

/*
 * Map the section [pfn, pfn + *nr) of a sparse arena, or less of it when the
 * kernel refuses the whole (down to one max-order block); on success *nr
 * is what was mapped and its blocks now belong to the zone. Under the zone
 * lock.
 */
static bool map_sparse_section_locked(struct pga_zone *zone, struct pga_arena *ar,
                                      unsigned long pfn, unsigned long *nr)
{
	for (unsigned long n = *nr;; n = n / 2 & ~(BLOCK_PAGES - 1)) {
		void *addr = pga_pfn_to_addr(zone, pfn);
		if (pga_os_map_fixed(addr, n << PGA_PAGE_SHIFT)) {
			pga_os_thp(addr, n << PGA_PAGE_SHIFT, PGA_OS_THP_FORBID);
			for (unsigned long b = pfn; b < pfn + n; b += BLOCK_PAGES)
				__atomic_store_n(&ar->block_zone[b >> (PGA_MAX_ORDER - 1)],
				                 (uint8_t)zone->id, __ATOMIC_RELAXED);
			*nr = n;
			return true;
		}
		if (errno == EEXIST) {
			/* Someone else's mapping: the zone ends here. */
			zone->grow_end_pfn = pfn;
			return false;
		}
		if (n <= BLOCK_PAGES)
			return false;
	}
}

bool pga_zone_grow(struct pga_zone *zone)
{
	struct pga_arena *ar = &pga_mem.arenas[zone->idx];
	int saved = errno;
	bool grown = false;

	pga_lock(&zone->lock);
	unsigned long end = zone->grow_end_pfn;
	unsigned long pfn = zone->online_end_pfn;
	if (pfn < end) {
		unsigned long nr = pga_mem.section_pages;
		if (nr > end - pfn)
			nr = end - pfn;
		if (ar->sparse ? map_sparse_section_locked(zone, ar, pfn, &nr)
		               : pga_os_commit(pga_pfn_to_addr(zone, pfn), nr << PGA_PAGE_SHIFT)) {
			zone->online_end_pfn = pfn + nr;
			atomic_fetch_add_explicit(&zone->managed_pages, nr, memory_order_relaxed);
			pga_free_pages_range_locked(zone, pfn, nr);
			grown = true;
		}
	}
	pga_unlock(&zone->lock);
	/* A refused mapping is no error of the caller's allocation, which
	 * may still succeed elsewhere. */
	errno = saved;
	return grown;
}

/* The kernel's default min_free_kbytes: sqrt(16 * memory in KiB). */
static unsigned long default_min_free_kbytes(unsigned long pages)
{
	unsigned long n = pages * (PGA_PAGE_SIZE / 1024) * 16, x = n, r;

	/* Integer square root by Newton's method (a node that got no
	 * memory has none to take it of). */
	for (; n;) {
		unsigned long y = (x + n / x) / 2;
		if (y >= x)
			break;
		x = y;
	}
	r = n ? x : 0;
	if (r < 128)
		r = 128;
	if (r > 262144)
		r = 262144;
	return r;
}

/* zone_batchsize: about a quarter of a MiB of pages, at most, rounded to
 * 2^n - 1 so that batches of different zones do not alias in the cache. */
static int zone_batchsize(unsigned long pages)
{
	unsigned long batch = pages / 1024;

	if (batch * PGA_PAGE_SIZE > 512 * 1024)
		batch = (512 * 1024) / PGA_PAGE_SIZE;
	batch /= 4;
	if (batch < 1)
		batch = 1;
	batch = (1UL << pga_ilog2(batch + batch / 2)) - 1;
	return batch ? (int)batch : 1;
}

static void setup_zone_watermarks(struct pga_node *node, unsigned long node_pages)
{
	long kb = pga_opts.min_free_kbytes;
	unsigned long min_pages;

	if (kb == PGA_OPT_UNSET)
		kb = (long)default_min_free_kbytes(node->limit_pages);
	min_pages = (unsigned long)kb / (PGA_PAGE_SIZE / 1024);

	for (int i = 0; i < PGA_NR_ZONES; i++) {
		struct pga_zone *z = &node->zones[i];
		if (!node_pages || !pga_zone_populated(z))
			continue;
		/* The node's reserve, shared by its zones by size. */
		unsigned long min = min_pages * z->spanned_pages / node_pages;
		z->watermark[PGA_WMARK_MIN] = min;
		z->watermark[PGA_WMARK_LOW] = min + min / 4;
		z->watermark[PGA_WMARK_HIGH] = min + min / 2;
	}

	/* lowmem_reserve: a request whose classzone is NORMAL may use DMA32
	 * only while DMA32 keeps NORMAL's size / ratio pages in reserve. */
	struct pga_zone *dma32 = &node->zones[PGA_ZONE_DMA32];
	struct pga_zone *normal = &node->zones[PGA_ZONE_NORMAL];
	dma32->lowmem_reserve[PGA_ZONE_NORMAL] =
	    normal->spanned_pages / (unsigned long)pga_opts.lowmem_reserve_ratio;
}

static void setup_zone_pcp(struct pga_zone *z)
{
	int batch = zone_batchsize(z->spanned_pages);
	int high = 6 * batch;

	if (pga_opts.pcp_batch != PGA_OPT_UNSET)
		batch = (int)pga_opts.pcp_batch;
	if (pga_opts.pcp_high != PGA_OPT_UNSET)
		high = (int)pga_opts.pcp_high;
	else if (pga_opts.pcp_batch != PGA_OPT_UNSET)
		high = 6 * batch;
	/* A list drained at high must have room for a batch refill. */
	if (high < batch)
		high = batch;
	z->pcp_batch = batch;
	z->pcp_high = high;
}

/* Pages each node wants in each zone type, before address-space limits. */
static void wanted_zone_pages(unsigned long want[PGA_MAX_NUMNODES][PGA_NR_ZONES])
{
	for (int n = 0; n < pga_mem.nr_nodes; n++) {
		struct pga_node *node = &pga_mem.nodes[n];
		long mb = PGA_OPT_UNSET;

		if (pga_opts.nr_node_limit == 1)
			mb = pga_opts.node_limit_mb[0];
		else if (n < pga_opts.nr_node_limit)
			mb = pga_opts.node_limit_mb[n];
		if (mb != PGA_OPT_UNSET)
			node->limit_pages = (unsigned long)mb * MIB_PAGES;
		else
			node->limit_pages =
			    (unsigned long)(pga_topo.node_mem_bytes[n] >> PGA_PAGE_SHIFT);

		unsigned long dma32 = (unsigned long)pga_opts.dma32_mb * MIB_PAGES;
		if (dma32 > node->limit_pages / 4)
			dma32 = node->limit_pages / 4;
		dma32 &= ~(BLOCK_PAGES - 1);
		want[n][PGA_ZONE_DMA32] = dma32;
		want[n][PGA_ZONE_NORMAL] = (node->limit_pages - dma32) & ~(BLOCK_PAGES - 1);
	}
}

/*
 * Where a sparse arena of bytes goes: below 4 GiB for DMA32 (as
 * pga_os_reserve_below_4g would place it), and otherwise above 4 GiB plus
 * an offset of up to 256 GiB taken from where the library was loaded (so
 * that ASLR still moves it): low in the address space, below the program
 * and its heap, while the kernel places mappings top-down from below the
 * stack; a process within its limit never reaches that far down. 0 when no
 * range is free.
 */
static uintptr_t sparse_arena_base(int zt, size_t bytes)
{
	const size_t align = BLOCK_PAGES << PGA_PAGE_SHIFT;
	const uintptr_t g4 = (uintptr_t)1 << 32;

	if (zt == PGA_ZONE_DMA32) {
		uintptr_t p = pga_os_find_free_range(bytes, align, (uintptr_t)1 << 30, g4);
		return p ? p : pga_os_find_free_range(bytes, align, (uintptr_t)1 << 28, g4);
	}
	uintptr_t offset = (((uintptr_t)&pga_mem >> PGA_PAGE_SHIFT) & 0xffff) * align;
	return pga_os_find_free_range(bytes, align, g4 + offset, (uintptr_t)1 << 47);
}

/*
 * Reserve one arena for zone type zt holding want[n][zt] pages per node,
 * shrinking every zone by halves until it fits in budget (bytes of address
 * space). Returns the pages each node got in got[n]. A sparse arena
 * (sparse_arena_base) costs only its memory map up front.
 */
static void reserve_arena(int zt, unsigned long want[PGA_MAX_NUMNODES][PGA_NR_ZONES],
                          unsigned long got[PGA_MAX_NUMNODES], size_t budget, bool sparse)
{
	struct pga_arena *ar = &pga_mem.arenas[zt];
	unsigned shift = 0;

	for (;;) {
		unsigned long total = 0;
		for (int n = 0; n < pga_mem.nr_nodes; n++) {
			got[n] = (want[n][zt] >> shift) & ~(BLOCK_PAGES - 1);
			if (!got[n] && want[n][zt] && shift < 30)
				got[n] = want[n][zt] ? BLOCK_PAGES : 0;
			total += got[n];
		}
		if (!total)
			break;
		size_t bytes = total << PGA_PAGE_SHIFT;
		/* The memory map costs 1/64 of the arena; the zone table less. */
		size_t need = (sparse ? 0 : bytes) + bytes / 64 + (total >> 10);
		if (need <= budget) {
			void *p;
			if (sparse)
				p = (void *)sparse_arena_base(zt, bytes);
			else if (zt == PGA_ZONE_DMA32)
				p = pga_os_reserve_below_4g(bytes, BLOCK_PAGES << PGA_PAGE_SHIFT);
			else
				p = pga_os_reserve(bytes, BLOCK_PAGES << PGA_PAGE_SHIFT);
			size_t map_bytes =
			    pga_round_up(total * sizeof(struct pga_page), PGA_PAGE_SIZE);
			size_t tab_bytes = pga_round_up(total >> 10, PGA_PAGE_SIZE);
			void *map = p ? pga_os_reserve(map_bytes, PGA_PAGE_SIZE) : NULL;
			void *tab = map ? pga_os_reserve(tab_bytes, PGA_PAGE_SIZE) : NULL;
			if (tab && pga_os_commit(map, map_bytes) && pga_os_commit(tab, tab_bytes)) {
				/* No transparent huge pages in the zones but where
				 * reclaim.c allows them (thp=always: pageblocks in
				 * use whole), whatever the system's setting: a 2 MiB
				 * page behind one live 4 KiB slab is the bloat to
				 * avoid. (A sparse arena's sections get the advice
				 * when they are mapped.) */
				if (!sparse)
					pga_os_thp(p, bytes, PGA_OS_THP_FORBID);
				ar->base = (uintptr_t)p;
				ar->nr_pages = total;
				ar->mem_map = map;
				ar->block_zone = tab;
				ar->sparse = sparse;
				memset(tab, 0xff, total >> 10);
				return;
			}
			if (tab)
				pga_os_release(tab, tab_bytes);
			if (map)
				pga_os_release(map, map_bytes);
			if (p && !sparse)
				pga_os_release(p, bytes);
			/* Below 4 GiB the address space itself may be full:
			 * shrinking helps there too. */
		}
		if (++shift > 40)
			break;
	}
	for (int n = 0; n < pga_mem.nr_nodes; n++)
		got[n] = 0;
	if (zt == PGA_ZONE_DMA32 && pga_opts.dma32_mb > 0)
		pga_log("no address space below 4 GiB for ZONE_DMA32; ",
		        "PGA_GFP_DMA32 requests will fail", NULL);
}

/*
 * Under an address-space limit the zones together can never hold more than
 * the limit: scale what the nodes want down to it, in proportion, so that
 * the memory map is not reserved for pages that could never be mapped.
 * Returns whether it had to.
 */
static bool cap_to_limit(unsigned long want[PGA_MAX_NUMNODES][PGA_NR_ZONES], size_t limit)
{
	unsigned long cap = (unsigned long)(limit >> PGA_PAGE_SHIFT), total = 0, zones = 0;

	for (int n = 0; n < pga_mem.nr_nodes; n++)
		for (int zt = 0; zt < PGA_NR_ZONES; zt++) {
			total += want[n][zt];
			zones += want[n][zt] != 0;
		}
	if (total <= cap)
		return false;
	/* Each zone keeps at least one block: scale the rest. */
	cap = cap > zones * BLOCK_PAGES ? cap - zones * BLOCK_PAGES : 0;
	for (int n = 0; n < pga_mem.nr_nodes; n++) {
		for (int zt = 0; zt < PGA_NR_ZONES; zt++) {
			unsigned long w = want[n][zt];
			/* w * cap / total without overflow: both below 2^52. */
			unsigned long scaled = (unsigned long)((unsigned __int128)w * cap / total) &
			                       ~(BLOCK_PAGES - 1);
			if (w)
				want[n][zt] = scaled + BLOCK_PAGES < w ? scaled + BLOCK_PAGES : w;
		}
	}
	return true;
}

static void init_zone(struct pga_zone *z, int nid, int zt, unsigned long start_pfn,
                      unsigned long pages, uint8_t *pageblock_mt, uint8_t *pageblock_thp)
{
	const struct pga_arena *ar = &pga_mem.arenas[zt];

	z->node = nid;
	z->idx = (enum pga_zone_type)zt;
	z->name = zone_names[zt];
	z->mem_map = ar->mem_map;
	z->base = ar->base;
	z->zone_start_pfn = start_pfn;
	z->spanned_pages = pages;
	z->online_end_pfn = start_pfn;
	z->grow_end_pfn = start_pfn + pages;
	z->pageblock_mt = pageblock_mt;
	z->pageblock_thp = pageblock_thp;
	pga_lock_init(&z->lock);
	for (int o = 0; o < PGA_MAX_ORDER; o++)
		for (int mt = 0; mt < PGA_MIGRATE_TYPES; mt++)
			pga_list_init(&z->free_area[o].free_list[mt]);
	if (!pages)
		return;
	/* New memory is movable until something else claims it (the kernel's
	 * memmap_init_zone). */
	memset(pageblock_mt, PGA_MIGRATE_MOVABLE, pages >> PGA_PAGEBLOCK_ORDER);
	z->id = pga_mem.nr_zones++;
	pga_mem.zones[z->id] = z;
	/* A sparse arena's blocks join the zone as they are mapped. */
	if (!ar->sparse)
		memset(ar->block_zone + (start_pfn >> 10), z->id, pages >> 10);
	setup_zone_pcp(z);
}

void pga_zones_init(void)
{
	static unsigned long want[PGA_MAX_NUMNODES][PGA_NR_ZONES];
	unsigned long got[PGA_NR_ZONES][PGA_MAX_NUMNODES];
	size_t budget = pga_os_address_space_left();
	bool sparse = false;

	pga_mem.section_pages = (unsigned long)pga_opts.section_mb * MIB_PAGES;
	pga_mem.as_limit = pga_os_address_space_limit();
	wanted_zone_pages(want);
	if (pga_mem.as_limit != SIZE_MAX) {
		/* Sparse arenas; what is reserved up front (the memory maps)
		 * takes at most half of what is left. */
		sparse = true;
		pga_mem.map_large_first = cap_to_limit(want, pga_mem.as_limit);
		if (budget != SIZE_MAX)
			budget /= 2;
	}
	/* DMA32 first: it is small, and the address space below 4 GiB is the
	 * scarcer resource. */
	reserve_arena(PGA_ZONE_DMA32, want, got[PGA_ZONE_DMA32], budget, sparse);
	if (budget != SIZE_MAX) {
		size_t used = pga_mem.arenas[PGA_ZONE_DMA32].nr_pages * sizeof(struct pga_page);
		budget = budget > used ? budget - used : 0;
	}
	reserve_arena(PGA_ZONE_NORMAL, want, got[PGA_ZONE_NORMAL], budget, sparse);

	/* One mapping for every zone's pageblock migratetypes, and after them
	 * their huge page states (reclaim.c). */
	unsigned long blocks = 0;
	for (int zt = 0; zt < PGA_NR_ZONES; zt++)
		blocks += pga_mem.arenas[zt].nr_pages >> PGA_PAGEBLOCK_ORDER;
	size_t mt_bytes = pga_round_up(2 * (blocks + 1), PGA_PAGE_SIZE);
	uint8_t *mt_map = pga_os_reserve(mt_bytes, PGA_PAGE_SIZE);
	uint8_t *thp_map = mt_map ? mt_map + blocks + 1 : NULL;
	if (!mt_map || !pga_os_commit(mt_map, mt_bytes)) {
		pga_log("cannot map the pageblock table; no memory will be managed", NULL, NULL);
		for (int zt = 0; zt < PGA_NR_ZONES; zt++)
			for (int n = 0; n < pga_mem.nr_nodes; n++)
				got[zt][n] = 0;
	}

	unsigned long start[PGA_NR_ZONES] = {0, 0};
	for (int n = 0; n < pga_mem.nr_nodes; n++) {
		struct pga_node *node = &pga_mem.nodes[n];
		unsigned long node_pages = 0;
		node->id = n;
		for (int zt = 0; zt < PGA_NR_ZONES; zt++) {
			init_zone(&node->zones[zt], n, zt, start[zt], got[zt][n], mt_map, thp_map);
			mt_map += got[zt][n] >> PGA_PAGEBLOCK_ORDER;
			thp_map += got[zt][n] >> PGA_PAGEBLOCK_ORDER;
			start[zt] += got[zt][n];
			node_pages += got[zt][n];
		}
		/* The limit is what the node really got. */
		node->limit_pages = node_pages;
		setup_zone_watermarks(node, node_pages);
	}
}
