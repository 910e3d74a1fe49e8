/* SPDX-License-Identifier: MIT */
/*
 * malloc_layer.h - the malloc layer: small requests from the slab caches, large
 * ones (up to the largest buddy block) as alloc_pages_exact runs, huge ones
 * mapped directly (huge.h). The inline fast paths here are what the preload
 * shim exports as malloc and free.
 */
#ifndef PGA_MALLOC_LAYER_H
#define PGA_MALLOC_LAYER_H

#include "freeptr.h"
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
 * pga_foreign_owns says whether the C library's allocator handed p out;
 * only then do the others take it back there. The preload shim defines
 * them (preload/malloc.c says how it decides); the weak defaults in
 * malloc.c, used when pgalloc is linked as a plain library, own nothing.
 */
bool pga_foreign_owns(const void *p);
void pga_foreign_free(void *p);
size_t pga_foreign_usable_size(void *p);
void *pga_foreign_realloc(void *p, size_t size);

/*
 * malloc: a small request pops the calling thread's cache of its class of
 * its node's memory. One branch checks both that the cache has an object
 * and that the link it was reached by leads into the zones: a link written
 * over after a free decodes (freeptr.h) to an address outside them, and
 * the slow path, which checks every pop in full, reports it. Anything else
 * (a first call, an empty cache, a large size, an object of DMA32's small
 * arena) goes out of line.
 */
static pga_always_inline void *pga_malloc_inline(size_t size)
{
	if (likely(size <= PGA_SLAB_MAX)) {
		struct pga_kmem_cpu *c = &pga_slab_home[pga_size_to_class(size)];
		const struct pga_freeptr_keys *k = &pga_freeptr;
		void *obj = c->freelist;
		if (likely(pga_freeptr_in_arena(obj, k))) {
			c->freelist = (void *)(*(uintptr_t *)obj ^ k->secret ^ (uintptr_t)obj);
			pga_freeptr_mark_live(obj);
			c->count--;
			return obj;
		}
	}
	return pga_malloc_slow(size);
}

/*
 * free: a small object goes onto the calling thread's cache of its class
 * and node, without an atomic or a lock, whichever thread allocated it. The
 * checks that make this safe are folded into one branch: the pointer lies
 * in ZONE_NORMAL's arena (DMA32's small one goes out of line); its page names the cache
 * (slab_cache, 0 for a page that is no slab: cache 0 never has room), which has room (the boot and
 * dead states have none); the pointer is the start of an object (every page of a slab records the
 * class and, tails, the distance to the head: a slab head's private_ is 0, so the offset needs no
 * second descriptor); it does not carry the free key (freeptr.h: a double free, wherever the
 * object went after its first free, goes out of line, which reports it); and its slab
 * is the calling thread's or no thread's. An object of a slab another thread allocates from goes
 * back to that thread (out of line, one CAS onto the slab's remote stack): cached here, it would be
 * handed out again next to that thread's objects, and the two threads' writes would fight over
 * cache lines (passive false sharing, cache-scratch). Every page of a slab
 * records its owner, so the object's own descriptor tells.
 * Anything else goes out of line.
 */
static pga_always_inline void pga_free_inline(void *p)
{
	const struct pga_page *page = pga_addr_to_normal_page(p);

	if (likely(page)) {
		struct pga_slab_cpu *s = pga_slab_current;
		struct pga_kmem_cpu *c = &s->kc[page->slab_cache];
		uint32_t off = (uint32_t)((uintptr_t)p & (PGA_PAGE_SIZE - 1)) +
		               (page->private_ << PGA_PAGE_SHIFT);
		const struct pga_slab_cpu *owner =
		    atomic_load_explicit(&page->owner, memory_order_relaxed);
		/* (owner | s) == s: owner is s or NULL, or (rarely) a pointer
		 * whose bits are a subset of s's, which caches a foreign object:
		 * never wrong, only the false sharing avoided the rest of the
		 * time. */
		if (likely(c->count < c->limit &&
		           pga_slab_obj_start(&pga_size_classes[page->slab_class], off) &&
		           !pga_freeptr_is_free(p) &&
		           ((uintptr_t)owner | (uintptr_t)s) == (uintptr_t)s)) {
			/* The key first: the compare left it in a register, which
			 * a store into p would make the compiler read again. */
			pga_freeptr_mark_free(p);
			pga_freeptr_set(p, c->freelist);
			c->freelist = p;
			c->count++;
			return;
		}
	}
	pga_free_slow(p);
}

#endif /* PGA_MALLOC_LAYER_H */
