/* SPDX-License-Identifier: MIT */
/*
 * malloc_layer.h - the malloc layer: small requests from the slab caches, large
 * ones (up to the largest buddy block) as alloc_pages_exact runs, huge ones
 * mapped directly (huge.h). The inline fast paths here are what the preload
 * shim exports as malloc and free.
 */
#ifndef PGA_MALLOC_LAYER_H
#define PGA_MALLOC_LAYER_H

#include "huge.h"
#include "mmzone.h"
#include "sizeclass.h"
#include "slab.h"

void *pga_malloc_slow(size_t size);
void pga_free_slow(void *p);

/* Start the whole allocator: the page allocator, the slab layer, the
 * malloc layer's own client (malloc_init.c). Idempotent; pga_malloc_ready is set
 * once everything has started. */
void pga_malloc_init(void);
extern _Atomic bool pga_malloc_ready;

/*
 * Pointers pgalloc never handed out (not in a zone, not a huge mapping).
 * The preload shim defines these to forward them to the C library's own
 * allocator; the weak defaults in malloc.c, used when pgalloc is linked as
 * a plain library, report an invalid pointer and abort.
 */
void pga_foreign_free(void *p);
size_t pga_foreign_usable_size(void *p);
void *pga_foreign_realloc(void *p, size_t size);

/* malloc: a small request pops the calling thread's cpu freelist; anything
 * else (a first call, an empty freelist, a large size) goes out of line. */
static pga_always_inline void *pga_malloc_inline(size_t size)
{
	if (likely(size <= PGA_SLAB_MAX)) {
		struct pga_kmem_cpu *c = &pga_slab_current->kc[pga_size_to_class(size)];
		void *obj = c->freelist;
		if (likely(obj)) {
			c->freelist = *(void **)obj;
			return obj;
		}
	}
	return pga_malloc_slow(size);
}

/*
 * free: an object of a slab frozen to the calling thread goes back without
 * an atomic or a lock: onto the cpu freelist when the slab is the cpu slab,
 * else onto the slab's own freelist (SLUB keeps per-slab freelists too; the
 * owner alone writes them while the slab is frozen). The checks that make
 * this safe are folded into the branches: the pointer lies in a zone, in
 * the thread's cpu slab of the class its page records (every page of a
 * slab records its class), or in a slab frozen to the thread; it is the
 * start of an object, and not the object freed last (the cheap double-free
 * check). Anything else, another thread's slab above all, goes out of
 * line.
 *
 * The cpu slab is recognised by address alone: a page that is no slab may
 * record any class, but p lies in that class's cpu slab only if its page
 * is a page of that slab.
 */
static pga_always_inline void pga_free_inline(void *p)
{
	unsigned long pfn;
	struct pga_zone *zone = pga_addr_to_zone(p, &pfn);

	if (likely(zone)) {
		struct pga_page *page = pga_pfn_to_page(zone, pfn);
		struct pga_slab_cpu *s = pga_slab_current;
		struct pga_kmem_cpu *c = &s->kc[page->slab_class];
		const struct pga_sizeclass *sc = &pga_size_classes[page->slab_class];
		uintptr_t off = (uintptr_t)p - c->base;
		if (likely(off < c->bytes && pga_slab_obj_start(sc, (uint32_t)off) &&
		           p != c->freelist)) {
			*(void **)p = c->freelist;
			c->freelist = p;
			return;
		}
		/* owner is s only for a slab head frozen to s: never for another
		 * kind of page, nor for the boot and dead states. Only then is
		 * the slab's freelist ours to read. A slab this free would empty,
		 * or one on the owner's full list (no free objects), goes out of
		 * line, which moves it. Slabs are page aligned: the offset in
		 * the slab is the offset in the page plus the pages back to the
		 * head. */
		uint32_t soff = (uint32_t)((uintptr_t)p & (PGA_PAGE_SIZE - 1));
		page = pga_slab_head(page, &soff);
		if (likely(atomic_load_explicit(&page->owner, memory_order_relaxed) == s)) {
			void *head = page->freelist;
			uintptr_t remote =
			    atomic_load_explicit(&page->remote, memory_order_relaxed);
			if (likely(head && page->inuse > 1 && pga_slab_obj_start(sc, soff) &&
			           p != head &&
			           (uintptr_t)p != (remote & ~PGA_SLAB_REMOTE_FLAGS))) {
				*(void **)p = head;
				page->freelist = p;
				page->inuse--;
				return;
			}
		}
	}
	pga_free_slow(p);
}

#endif /* PGA_MALLOC_LAYER_H */
