// SPDX-License-Identifier: MIT
/*
 * malloc.c - the C allocation API on top of the slab layer, the page
 * allocator and huge mappings, with glibc's semantics:
 *
 *   size <= PGA_SLAB_MAX (32 KiB)      a slab object of the size class
 *   size <= 4 MiB (the largest block)  an alloc_pages_exact run of whole
 *                                      pages, MOVABLE
 *   larger, or aligned beyond 4 MiB    a huge mapping (huge.c)
 *
 * Every pointer is 16-byte aligned. The kind of a pointer is found from
 * its page descriptor (PG_slab, PG_exact) or the huge table, in O(1). A
 * pointer that is none of these is a misuse, reported with the function's
 * name and what was wrong (pgalloc: free(): double free: ADDR, or invalid
 * pointer, or use after free), then abort; unless it is the C library's
 * (pga_foreign_owns, which only the preload shim can say yes to), then it
 * goes back there through the pga_foreign_* hooks.
 */
#include "malloc_layer.h"

#include <errno.h>
#include <string.h>

#include "bug.h"
#include "harden.h"
#include "mempolicy.h"
#include "page_alloc.h"
#include "reclaim.h"
#include "vmstat.h"

#define LARGE_MAX (PGA_PAGE_SIZE << (PGA_MAX_ORDER - 1)) /* 4 MiB */
#define LARGE_GFP (PGA_GFP_MOVABLE | PGA_GFP_NOWARN)

/*
 * Re-entrancy: if something pgalloc calls during its own start-up allocated
 * through malloc (it should not, but a libc may), that call is served from
 * this small static heap instead of deadlocking on the init lock. Its
 * objects are never freed; each carries its size in the 16 bytes before it.
 */
static __thread bool in_init __attribute__((tls_model("initial-exec")));
static char bootstrap_heap[64 * 1024] pga_aligned(16);
static _Atomic size_t bootstrap_used;

static void *bootstrap_alloc(size_t size)
{
	size_t need = pga_round_up(size, 16) + 16;
	size_t at = atomic_fetch_add_explicit(&bootstrap_used, need, memory_order_relaxed);

	if (at + need > sizeof(bootstrap_heap) || need < size) {
		errno = ENOMEM;
		return NULL;
	}
	*(size_t *)(bootstrap_heap + at) = size;
	return bootstrap_heap + at + 16;
}

static bool is_bootstrap(const void *p)
{
	return (const char *)p >= bootstrap_heap &&
	       (const char *)p < bootstrap_heap + sizeof(bootstrap_heap);
}

static size_t bootstrap_size(const void *p)
{
	return *(const size_t *)((const char *)p - 16);
}

/* Initialise, and attach the thread's slab state; returns it, or NULL
 * when the call is a re-entrant one from inside start-up. */
static struct pga_slab_cpu *malloc_prologue(void)
{
	if (unlikely(!atomic_load_explicit(&pga_malloc_ready, memory_order_acquire))) {
		if (in_init)
			return NULL;
		in_init = true;
		pga_malloc_init();
		in_init = false;
	}
	/* A safe point to start background reclaim: no lock held, nothing
	 * half done. */
	pga_kswapd_start();
	return pga_slab_get();
}

pga_noreturn pga_cold static void bad_pointer(const char *what, const void *p)
{
	pga_report_abort(what, p, NULL, 0);
}

/* Defaults for a plain library: nothing else could have allocated p, so
 * the others are never called. */
__attribute__((weak)) bool pga_foreign_owns(const void *p)
{
	(void)p;
	return false;
}

__attribute__((weak)) void pga_foreign_free(void *p)
{
	bad_pointer("free(): invalid pointer", p);
}

__attribute__((weak)) size_t pga_foreign_usable_size(void *p)
{
	bad_pointer("malloc_usable_size(): invalid pointer", p);
}

__attribute__((weak)) void *pga_foreign_realloc(void *p, size_t size)
{
	(void)size;
	bad_pointer("realloc(): invalid pointer", p);
}

/*
 * The zones' last failure of a large request: requests of that order or
 * above go straight to a mapping until zones_full_until_ms (the zonelist
 * cache's interval later). The failure ran direct reclaim (drained every
 * thread's pcp lists, emptied the huge cache); a program beyond its zones
 * would otherwise pay that for every large block. Racy by design, like the
 * zlc: a stale hint costs one mapping, or one more attempt at the zones.
 * Until the first failure the check is one load of a zero.
 */
static _Atomic uint64_t zones_full_until_ms;
static _Atomic unsigned zones_full_order;

/* The buddy order an exact run of size bytes aligned to 2^min_order
 * pages takes its block from. */
static unsigned large_order(size_t size, unsigned min_order)
{
	size_t nr = pga_round_up(size, PGA_PAGE_SIZE) >> PGA_PAGE_SHIFT;
	unsigned order = nr <= 1 ? 0 : pga_ilog2(nr - 1) + 1;

	return order > min_order ? order : min_order;
}

static bool zones_failed_recently(unsigned order)
{
	uint64_t until = atomic_load_explicit(&zones_full_until_ms, memory_order_relaxed);

	return unlikely(until) &&
	       order >= atomic_load_explicit(&zones_full_order, memory_order_relaxed) &&
	       pga_os_now_ms() < until;
}

static void zones_failed(unsigned order)
{
	uint64_t now = pga_os_now_ms();

	/* A smaller order that fails extends the hint downwards; once it
	 * expired, the new failure's order stands alone. */
	if (now >= atomic_load_explicit(&zones_full_until_ms, memory_order_relaxed) ||
	    order < atomic_load_explicit(&zones_full_order, memory_order_relaxed))
		atomic_store_explicit(&zones_full_order, order, memory_order_relaxed);
	atomic_store_explicit(&zones_full_until_ms, now + (uint64_t)pga_opts.zlc_interval_ms,
	                      memory_order_relaxed);
}

/* An exact run from the zones, checked and initialised as the hardening
 * asks (a huge block needs neither check: it was never poisoned). */
static void *zone_run(size_t size, unsigned min_order, int nid)
{
	void *run = pga_alloc_pages_exact_order(nid, size, min_order, LARGE_GFP);

	if (run && unlikely(pga_harden.debug))
		pga_harden_run_alloc(run, size);
	return run;
}

/*
 * A large request (above the slab classes), aligned to 2^min_order pages,
 * on node nid (-1: by the thread's policy): an exact run from the zones,
 * and when they cannot serve it (full up to their limit, too fragmented
 * for the order, or the kernel refuses them more memory), a huge block
 * mapped directly, as glibc maps its large chunks; free, realloc and
 * malloc_usable_size find either from the pointer.
 *
 * Under an address-space limit below what the zones would span (so that
 * address space, not memory, runs out first) the order is the other way
 * round: a zone never gives back the address space it has grown into, and
 * an exact run strands the rest of its buddy block (a 1 MiB + 1 byte
 * request holds 2 MiB of it), while a mapping costs its own pages and
 * returns them at free. So there a large request is mapped directly, and
 * only when the kernel refuses that too does it try what the zones
 * already hold.
 */
static void *large_alloc(size_t size, unsigned min_order, int nid)
{
	bool zones = size <= LARGE_MAX && min_order < PGA_MAX_ORDER;
	bool map_first = pga_mem.map_large_first;
	int saved = errno;
	void *p;

	/* MPOL_BIND is a wall: the bound nodes' zones, or ENOMEM
	 * (docs/numa.md); a mapping would be placed by the kernel alone. */
	if (zones && nid < 0 && pga_current->pol.mode == PGA_MPOL_BIND)
		return zone_run(size, min_order, nid);
	if (zones && !map_first) {
		unsigned order = large_order(size, min_order);
		if (nid >= 0 || !zones_failed_recently(order)) {
			p = zone_run(size, min_order, nid);
			if (p)
				return p;
			if (nid < 0)
				zones_failed(order);
			errno = saved;
		}
	}
	p = pga_huge_alloc(size, PGA_PAGE_SIZE << min_order, pga_harden.init_on_alloc);
	if (p) {
		/* The node's pages, as pga_malloc_node asks for huge blocks. */
		if (nid >= 0)
			pga_mempolicy_place(p, pga_huge_usable_size(p), nid);
		return p;
	}
	if (zones && map_first) {
		errno = saved;
		return zone_run(size, min_order, nid);
	}
	return NULL;
}

static void *small_alloc(struct pga_slab_cpu *t, unsigned cls)
{
	struct pga_kmem_cpu *c = &pga_slab_home[cls];

	if (c->freelist)
		return pga_slab_cache_pop(c, cls);
	return pga_slab_alloc_slow(t, cls);
}

/* The size class a small request of size bytes takes: with red zones, room
 * for one after it. Returns false when it no longer fits a slab. */
static bool small_class(size_t size, unsigned *cls)
{
	if (unlikely(pga_harden.red_zone)) {
		/* Not size + PGA_RED_ZONE_MIN > PGA_SLAB_MAX: near SIZE_MAX
		 * the sum wraps to a small class. */
		if (size > PGA_SLAB_MAX - PGA_RED_ZONE_MIN)
			return false;
		size += PGA_RED_ZONE_MIN;
	}
	if (size > PGA_SLAB_MAX)
		return false;
	*cls = pga_size_to_class(size);
	return true;
}

/* A small object p of class cls for a request of size bytes: its red zone
 * set up, when there are red zones. */
static void *small_ready(void *p, unsigned cls, size_t size)
{
	if (p && unlikely(pga_harden.red_zone))
		pga_red_zone_arm(p, size, pga_size_classes[cls].size);
	return p;
}

void *pga_malloc_slow(size_t size)
{
	struct pga_slab_cpu *t = malloc_prologue();

	void *p;

	if (unlikely(!t))
		return bootstrap_alloc(size);
	unsigned cls;
	if (small_class(size, &cls))
		p = small_ready(small_alloc(t, cls), cls, size);
	else
		p = large_alloc(size, 0, -1);
	/* Out of line only: the inline path stays without even a nop. */
	PGA_TRACE(malloc, size, p);
	return p;
}

pga_export void *pga_malloc(size_t size)
{
	return pga_malloc_inline(size);
}

pga_export void *pga_malloc_node(size_t size, int nid)
{
	if (!malloc_prologue())
		return bootstrap_alloc(size);
	if (nid < 0)
		return pga_malloc(size);
	if (nid >= pga_mem.nr_nodes) {
		errno = EINVAL;
		return NULL;
	}
	unsigned cls;
	if (small_class(size, &cls))
		return small_ready(pga_slab_alloc_node(pga_slab_get(), cls, nid), cls, size);
	/* A huge block is the kernel's to place: large_alloc asks for the
	 * node's pages, moving those of a block reused from the huge cache. */
	return large_alloc(size, 0, nid);
}

/* What a pointer is; found in O(1). */
enum ptr_kind { PTR_NULL, PTR_SLAB, PTR_EXACT, PTR_HUGE, PTR_BOOTSTRAP, PTR_FOREIGN };

struct ptr_info {
	enum ptr_kind kind;
	struct pga_zone *zone;
	struct pga_page *page; /* the slab or run head */
	size_t usable;
};

/*
 * The API function a pointer was passed to, for the report of a misuse:
 * its name, and how it names a pointer to freed memory (a second free is a
 * double free; any other use, a use after free).
 */
struct api_fn {
	const char *name;    /* "free" */
	const char *invalid; /* "free(): invalid pointer" */
	const char *freed;   /* "free(): double free" */
};

static const struct api_fn fn_free = {"free", "free(): invalid pointer", "free(): double free"};
static const struct api_fn fn_realloc = {"realloc", "realloc(): invalid pointer",
                                         "realloc(): use after free"};
static const struct api_fn fn_usable = {"malloc_usable_size",
                                        "malloc_usable_size(): invalid pointer",
                                        "malloc_usable_size(): use after free"};

/*
 * Is the page at pfn of zone free: the head of a free buddy block or of a
 * block on a pcp list, or inside one? A block of order o starts at a
 * multiple of 2^o pages, so the candidates are the pfn rounded down to each
 * order. Read without the zone lock: a report of a misuse, whose verdict
 * only chooses between two messages.
 */
static bool page_is_free(const struct pga_zone *zone, unsigned long pfn)
{
	for (unsigned o = 0; o < PGA_MAX_ORDER; o++) {
		unsigned long head = pfn & ~((1UL << o) - 1);
		if (head < zone->zone_start_pfn)
			break;
		const struct pga_page *h = pga_pfn_to_page(zone, head);
		if ((pga_page_flags(h) & (PGA_PG_BUDDY | PGA_PG_PCP)) && h->order >= o)
			return true;
	}
	return false;
}

/* Classify p; a pointer that is not the start of a live block and not the
 * C library's is reported and aborts (fn: the calling function). */
static struct ptr_info classify(void *p, const struct api_fn *fn)
{
	struct ptr_info pi = {.kind = PTR_FOREIGN};
	unsigned long pfn;

	if (!p) {
		pi.kind = PTR_NULL;
		return pi;
	}
	pi.zone = pga_addr_to_zone(p, &pfn);
	if (!pi.zone) {
		if (is_bootstrap(p)) {
			pi.kind = PTR_BOOTSTRAP;
			pi.usable = bootstrap_size(p);
			return pi;
		}
		switch (pga_huge_lookup(p, &pi.usable)) {
		case PGA_HUGE_LIVE:
			pi.kind = PTR_HUGE;
			return pi;
		case PGA_HUGE_FREED:
			bad_pointer(fn->freed, p);
		case PGA_HUGE_INTERIOR:
			bad_pointer(fn->invalid, p);
		case PGA_HUGE_NONE:
			break;
		}
		if (!pga_foreign_owns(p))
			bad_pointer(fn->invalid, p);
		return pi;
	}
	uint32_t off = (uint32_t)((uintptr_t)p & (PGA_PAGE_SIZE - 1));
	struct pga_page *page = pga_slab_head(pga_pfn_to_page(pi.zone, pfn), &off);
	pi.page = page;
	if (pga_page_flags(page) == (PGA_PG_ALLOC | PGA_PG_SLAB)) {
		const struct pga_sizeclass *sc = &pga_size_classes[page->slab_class];
		if (!pga_slab_obj_start(sc, off))
			bad_pointer(fn->invalid, p);
		if (pga_freeptr_is_free(p))
			bad_pointer(fn->freed, p);
		pi.kind = PTR_SLAB;
		pi.usable = unlikely(pga_harden.red_zone) ? pga_red_zone_size(p, sc->size, fn->name)
		                                          : sc->size;
		return pi;
	}
	if (pga_page_flags(page) == (PGA_PG_ALLOC | PGA_PG_EXACT) &&
	    p == pga_page_address(pi.zone, page)) {
		pi.kind = PTR_EXACT;
		pi.usable = (size_t)page->private_ << PGA_PAGE_SHIFT;
		return pi;
	}
	if (page_is_free(pi.zone, pfn))
		bad_pointer(fn->freed, p);
	bad_pointer(fn->invalid, p);
}

static void free_slab_object(struct pga_zone *zone, struct pga_page *slab, void *p)
{
	pga_slab_free_slow(pga_slab_get(), zone, slab, p);
}

void pga_free_slow(void *p)
{
	PGA_TRACE(free, p);
	unsigned long pfn;
	struct pga_zone *zone = pga_addr_to_zone(p, &pfn);

	/* The common case first: an object of a slab that is not the
	 * thread's cpu slab. (With red zones, classify's checks come first:
	 * the red zone is found from the start of a live object.) */
	if (likely(zone && !pga_harden.red_zone)) {
		uint32_t off = 0;
		struct pga_page *page = pga_slab_head(pga_pfn_to_page(zone, pfn), &off);
		if (likely(pga_page_flags(page) == (PGA_PG_ALLOC | PGA_PG_SLAB))) {
			free_slab_object(zone, page, p);
			return;
		}
	}

	struct ptr_info pi = classify(p, &fn_free);

	switch (pi.kind) {
	case PTR_NULL:
	case PTR_BOOTSTRAP:
		return;
	case PTR_SLAB:
		if (unlikely(pga_harden.red_zone))
			pga_red_zone_check(p, pga_size_classes[pi.page->slab_class].size);
		free_slab_object(pi.zone, pi.page, p);
		return;
	case PTR_EXACT:
		if (unlikely(pga_harden.debug))
			pga_harden_run_free(p, pi.usable);
		pga_free_pages_exact(p, pi.usable);
		return;
	case PTR_HUGE:
		/* Freed meanwhile by another thread: a race of two frees. */
		if (!pga_huge_free(p))
			bad_pointer(fn_free.freed, p);
		return;
	case PTR_FOREIGN:
		pga_foreign_free(p);
		return;
	}
}

pga_export void pga_free(void *p)
{
	pga_free_inline(p);
}

/* check_sized_free: the size given to a sized free against the block. */
static void check_sized(void *p, size_t size, bool aligned)
{
	struct ptr_info pi = classify(p, &fn_free);

	if (pi.kind == PTR_SLAB)
		/* With red zones pi.usable is the size the red zone records. */
		pga_harden_check_size(p, size, pga_size_classes[pi.page->slab_class].size,
		                      pga_harden.red_zone ? pi.usable : 0, aligned, false);
	else if (pi.kind == PTR_EXACT || pi.kind == PTR_HUGE)
		pga_harden_check_size(p, size, pi.usable, 0, aligned, true);
}

pga_export void pga_free_sized(void *p, size_t size)
{
	if (unlikely(pga_harden.sized) && p)
		check_sized(p, size, false);
	pga_free_inline(p);
}

pga_export void pga_free_aligned_sized(void *p, size_t alignment, size_t size)
{
	(void)alignment;
	if (unlikely(pga_harden.sized) && p)
		check_sized(p, size, true);
	pga_free_inline(p);
}

pga_export size_t pga_malloc_usable_size(void *p)
{
	struct ptr_info pi = classify(p, &fn_usable);

	if (pi.kind == PTR_FOREIGN)
		return pga_foreign_usable_size(p);
	return pi.kind == PTR_NULL ? 0 : pi.usable;
}

pga_export int pga_owns(const void *p)
{
	unsigned long pfn;
	struct pga_zone *zone = pga_addr_to_zone(p, &pfn);

	if (!zone)
		return p && pga_huge_usable_size(p) != 0;
	uint32_t off = (uint32_t)((uintptr_t)p & (PGA_PAGE_SIZE - 1));
	struct pga_page *page = pga_slab_head(pga_pfn_to_page(zone, pfn), &off);
	if (pga_page_flags(page) == (PGA_PG_ALLOC | PGA_PG_SLAB))
		return pga_slab_obj_start(&pga_size_classes[page->slab_class], off);
	return pga_page_flags(page) == (PGA_PG_ALLOC | PGA_PG_EXACT) &&
	       p == pga_page_address(zone, page);
}

static bool mul_overflows(size_t a, size_t b, size_t *out)
{
	return __builtin_mul_overflow(a, b, out);
}

pga_export void *pga_calloc(size_t nmemb, size_t size)
{
	size_t bytes;

	if (mul_overflows(nmemb, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	/* A huge block is zero when fresh from the kernel; one reused from
	 * the huge cache is zeroed there. */
	if (bytes > LARGE_MAX) {
		if (!malloc_prologue())
			return bootstrap_alloc(bytes); /* static, never reused: zero */
		return pga_huge_alloc(bytes, PGA_PAGE_SIZE, true);
	}
	void *p = pga_malloc_inline(bytes);
	if (p)
		memset(p, 0, bytes);
	return p;
}

/* Move p (usable bytes old_usable) to a new allocation of size bytes. */
static void *realloc_move(void *p, size_t old_usable, size_t size)
{
	void *q = pga_malloc_inline(size);

	if (!q)
		return NULL;
	memcpy(q, p, old_usable < size ? old_usable : size);
	pga_free_inline(p);
	return q;
}

pga_export void *pga_realloc(void *p, size_t size)
{
	struct ptr_info pi = classify(p, &fn_realloc);

	switch (pi.kind) {
	case PTR_NULL:
		return pga_malloc_inline(size);
	case PTR_FOREIGN:
		return pga_foreign_realloc(p, size);
	default:
		break;
	}
	/* glibc frees and returns NULL for realloc(p, 0). */
	if (size == 0) {
		pga_free_inline(p);
		return NULL;
	}
	/* The checks see every block from its start: never resized in
	 * place. */
	if (unlikely(pga_harden.debug))
		return realloc_move(p, pi.usable, size);
	switch (pi.kind) {
	case PTR_SLAB:
		/* In place while the request still fits and would not fit a
		 * class half the size. */
		if (size <= pi.usable && (size > pi.usable / 2 || pi.usable <= 16))
			return p;
		break;
	case PTR_EXACT:
		/* Shrink by freeing the tail, grow by taking the free pages
		 * after the run; move when the size leaves the page range. */
		if (size > PGA_SLAB_MAX && size <= LARGE_MAX && pga_exact_resize(p, size))
			return p;
		break;
	case PTR_HUGE:
		if (size > LARGE_MAX)
			return pga_huge_realloc(p, size);
		break;
	default:
		break;
	}
	return realloc_move(p, pi.usable, size);
}

pga_export void *pga_reallocarray(void *p, size_t nmemb, size_t size)
{
	size_t bytes;

	if (mul_overflows(nmemb, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return pga_realloc(p, bytes);
}

/*
 * Aligned allocation. Up to a page: a size class whose size is a multiple
 * of the alignment (slabs are page aligned, so every object of it is
 * aligned). Up to 4 MiB: an exact run on a block of at least the
 * alignment's order, or a huge mapping where the zones cannot serve it
 * (large_alloc). Beyond: a huge mapping.
 */
static void *aligned_alloc_internal(size_t alignment, size_t size)
{
	if (alignment <= PGA_QUANTUM)
		return pga_malloc_inline(size);
	struct pga_slab_cpu *t = malloc_prologue();
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	if (size > SIZE_MAX - alignment) {
		errno = ENOMEM;
		return NULL;
	}
	if (alignment <= PGA_PAGE_SIZE && size <= PGA_SLAB_MAX) {
		size_t room = pga_harden.red_zone ? PGA_RED_ZONE_MIN : 0;
		size_t want = pga_round_up((size ? size : 1) + room, alignment);
		for (unsigned cls = want <= PGA_SLAB_MAX ? pga_size_to_class(want)
		                                         : PGA_NR_SIZE_CLASSES;
		     cls < PGA_NR_SIZE_CLASSES; cls++)
			if (pga_size_classes[cls].size % alignment == 0)
				return small_ready(small_alloc(t, cls), cls, size);
	}
	unsigned order = alignment <= PGA_PAGE_SIZE ? 0 : pga_ilog2(alignment) - PGA_PAGE_SHIFT;
	return large_alloc(size ? size : 1, order, -1);
}

static bool is_power_of_two(size_t x)
{
	return x && !(x & (x - 1));
}

pga_export void *pga_memalign(size_t alignment, size_t size)
{
	/* glibc rounds a non-power-of-two alignment up. */
	if (!is_power_of_two(alignment)) {
		if (alignment > SIZE_MAX / 2 + 1) {
			errno = EINVAL;
			return NULL;
		}
		alignment = alignment <= 1 ? 1 : (size_t)1 << (pga_ilog2(alignment) + 1);
	}
	return aligned_alloc_internal(alignment, size);
}

pga_export int pga_posix_memalign(void **memptr, size_t alignment, size_t size)
{
	if (!is_power_of_two(alignment) || alignment % sizeof(void *))
		return EINVAL;
	int saved = errno;
	void *p = aligned_alloc_internal(alignment, size);
	if (!p)
		return ENOMEM;
	errno = saved;
	*memptr = p;
	return 0;
}

pga_export void *pga_aligned_alloc(size_t alignment, size_t size)
{
	if (!is_power_of_two(alignment)) {
		errno = EINVAL;
		return NULL;
	}
	return aligned_alloc_internal(alignment, size);
}

pga_export void *pga_valloc(size_t size)
{
	return aligned_alloc_internal(PGA_PAGE_SIZE, size);
}

pga_export void *pga_pvalloc(size_t size)
{
	if (size > SIZE_MAX - PGA_PAGE_SIZE) {
		errno = ENOMEM;
		return NULL;
	}
	return aligned_alloc_internal(PGA_PAGE_SIZE, pga_round_up(size ? size : 1, PGA_PAGE_SIZE));
}

pga_export int pga_malloc_trim(size_t pad)
{
	(void)pad;
	/* The caller's own caches first: the shrinker frees empty slabs from
	 * the node lists only. */
	struct pga_slab_cpu *t = pga_slab_current;
	if (pga_slab_cpu_is_real(t))
		pga_slab_flush(t);
	return pga_shrink_all() > 0;
}

pga_export void pga_mallinfo(struct pga_mallinfo *mi)
{
	uint64_t slab_used = 0, slab_bytes = 0, huge_count = 0, huge_bytes = 0;
	struct pga_page_usage u;

	memset(mi, 0, sizeof(*mi));
	if (!atomic_load_explicit(&pga_malloc_ready, memory_order_acquire))
		return;
	pga_page_usage(&u);
	uint64_t managed = u.managed, free_pages = u.free, pcp = u.pcp, blocks = u.free_blocks;
	pga_slab_usage(&slab_used, &slab_bytes);
	pga_huge_usage(&huge_count, &huge_bytes);
	uint64_t page_used = (managed - free_pages - pcp) << PGA_PAGE_SHIFT;
	mi->arena = (size_t)(managed << PGA_PAGE_SHIFT);
	mi->ordblks = (size_t)blocks;
	mi->hblks = (size_t)huge_count;
	mi->hblkhd = (size_t)huge_bytes;
	/* Slab pages count by the objects in them, not in full. */
	uint64_t slab_pages = slab_bytes < page_used ? slab_bytes : page_used;
	mi->uordblks = (size_t)(page_used - slab_pages + slab_used);
	mi->fordblks = (size_t)(mi->arena - mi->uordblks);
	mi->keepcost = (size_t)(pcp << PGA_PAGE_SHIFT);
}
