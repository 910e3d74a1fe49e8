/* SPDX-License-Identifier: MIT */
/*
 * slab.h - the small-object layer, after SLUB: a cache per size class,
 * slabs of 2^order pages from the page allocator (UNMOVABLE), metadata in
 * the page descriptors.
 *
 * Slab states and who may touch freelist/inuse:
 *   frozen  owned by one thread, as its cpu slab or on its partial list:
 *           that thread, with plain loads and stores. Other threads push
 *           frees onto remote (PGA_SLAB_FROZEN set) with one CAS.
 *   partial on its node's partial list for the class: the list lock.
 *   full    on no list, not frozen, remote == PGA_SLAB_FULL (or 0 when it
 *           filled up under the lock): the first free freezes it to the
 *           freeing thread, with one CAS from FULL, else under the lock.
 * A slab changes lists only under its node's list lock, so a free that
 * finds it unfrozen and takes the lock sees a stable state. Two moves touch
 * no list and need no lock: an exhausted cpu slab leaving its thread
 * (FROZEN -> FULL) and a free adopting a FULL slab (FULL -> obj | FROZEN).
 *
 * Lock order: a node list lock is a leaf above the page allocator's locks:
 * slab pages are allocated and freed with no list lock held.
 */
#ifndef PGA_SLAB_H
#define PGA_SLAB_H

#include "mmzone.h"
#include "sizeclass.h"
#include "thread.h"

/*
 * How much the caches may keep when every object is free: per class, a
 * thread holds its cpu slab and at most PGA_SLAB_CPU_PARTIAL more frozen
 * slabs; a node keeps PGA_SLAB_MIN_PARTIAL empty slabs on its partial list
 * (a slab that empties there is freed once the list holds that many).
 */
#define PGA_SLAB_CPU_PARTIAL 4
#define PGA_SLAB_MIN_PARTIAL 5

/* Refill t's cache of class cls and return one object; NULL with errno
 * ENOMEM when no memory is left. */
void *pga_slab_alloc_slow(struct pga_thread *t, unsigned cls);

/* One object of class cls from node nid's slabs, under the node lock
 * (pga_malloc_node, and threads without caches). NULL with ENOMEM. */
void *pga_slab_alloc_node(unsigned cls, int nid);

/* Free obj, an object of slab (its head descriptor), when the inline path
 * could not: not t's cpu slab, or a bad pointer (reported, then abort). */
void pga_slab_free_slow(struct pga_thread *t, struct pga_zone *zone, struct pga_page *slab,
                        void *obj);

/* Unfreeze every slab frozen to t, returning the objects of its caches
 * (thread exit, and in a fork child for the threads that did not survive). */
void pga_slab_flush_thread(struct pga_thread *t);

/* Give the empty slabs on the node partial lists back to the page
 * allocator (malloc_trim). Returns the pages freed. */
unsigned long pga_slab_shrink(void);

/* Slab memory in use, for mallinfo: bytes of objects handed out (an
 * estimate: objects cached by threads count as used) and bytes of slabs. */
void pga_slab_usage(uint64_t *used_bytes, uint64_t *slab_bytes);

void pga_slab_init(void);

/* The node list locks, for fork handlers. */
void pga_slab_lock_all(void);
void pga_slab_unlock_all(void);
void pga_slab_reinit_locks(void);

static inline void *pga_slab_address(const struct pga_zone *zone, const struct pga_page *slab)
{
	return pga_page_address(zone, slab);
}

#endif /* PGA_SLAB_H */
