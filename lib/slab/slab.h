/* SPDX-License-Identifier: MIT */
/*
 * slab.h - the small-object layer, after SLUB: a cache per size class,
 * slabs of 2^order pages from the page allocator (UNMOVABLE), metadata in
 * the page descriptors.
 *
 * Slab states and who may touch freelist/inuse:
 *   frozen  owned by one thread: its cpu slab, on its partial list (free
 *           objects on the slab's freelist) or on its full list (none):
 *           that thread, with plain loads and stores. Other threads push
 *           frees onto remote (PGA_SLAB_FROZEN set) with one CAS; a full
 *           slab also carries PGA_SLAB_NOTIFY, so that the first such free
 *           tells the owner (remote_hint), which collects the slab.
 *   partial on its node's partial list for the class: the list lock.
 *   full    on no list, not frozen, remote == PGA_SLAB_FULL (or 0 when it
 *           filled up under the lock): the first free freezes it to the
 *           freeing thread, with one CAS from FULL, else under the lock.
 * A thread keeps the slabs it allocates from until it exits (or they
 * empty): its working set is served from its own lists, so threads that
 * share nothing never meet on a lock. Node lists hold what exited threads
 * left, and a thread refills from them only when its own lists are dry. A
 * slab changes node lists only under its node's list lock, so a free that
 * finds it unfrozen and takes the lock sees a stable state. Two moves touch
 * no list and need no lock: a slab abandoned full leaving its thread
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
 * How much a thread's caches keep when objects are freed: per class, at
 * most PGA_SLAB_CPU_EMPTY empty slabs (the rest go back to the page
 * allocator at once). A node keeps PGA_SLAB_MIN_PARTIAL empty slabs on its
 * partial list (a slab that empties there is freed once the list holds that
 * many). A refill from a node takes up to PGA_SLAB_NODE_BATCH slabs in one
 * lock hold.
 */
#define PGA_SLAB_CPU_EMPTY 2
/* States of exited threads kept whole, caches and slabs, for the threads
 * that start next (at most this many; the background thread and
 * malloc_trim flush them). */
#define PGA_SLAB_PARKED_MAX  16
#define PGA_SLAB_MIN_PARTIAL 5
#define PGA_SLAB_NODE_BATCH  8

/*
 * One thread's cache of one size class of one node's memory (SLUB's
 * kmem_cache_cpu), one cache line.
 *
 * freelist holds the thread's free objects of the class from that node's
 * slabs: a malloc pops it, a free pushes onto it, with plain loads and
 * stores, whoever allocated the object. A free finds the cache from the
 * object's page alone (pga_page.slab_cache), so memory of each node stays
 * in its own caches and goes back to its own node's slabs; a malloc pops
 * the cache of the thread's node (pga_slab_home), pga_malloc_node the
 * cache of the node asked for. The slabs count these objects as in use; count is their number,
 * at most limit (one slab's worth of objects; 0 for the boot and dead
 * states, which cache nothing). A free that finds the cache full gives half
 * of it back to the objects' slabs first (pga_slab_free_slow), so the
 * objects a thread keeps stay bounded and a slab's free objects flow back
 * to it in batches, not one slow free at a time.
 *
 * slab is the "cpu slab", frozen to this thread: the cache refills from
 * it, taking all its free objects at once. partial holds more slabs frozen
 * to this thread, each with objects on its own freelist; full the ones it
 * has exhausted. Frozen slabs receive other threads' frees on their remote
 * stack; remote_hint is set when a full slab received one since the owner
 * last looked (the only field other threads write).
 *
 * Invariant (owner, outside the slab functions): count == length of
 * freelist <= limit.
 */
struct pga_kmem_cpu {
	void *freelist;
	struct pga_page *slab;
	uint32_t count;
	uint32_t limit;
	uint16_t nr_empty; /* slabs on partial with inuse == 0 */
	_Atomic uint8_t remote_hint;
	struct pga_list partial;
	struct pga_list full;
};
static_assert(sizeof(struct pga_kmem_cpu) == 64, "a class's cache is one cache line");

/*
 * The cache index of class cls of node nid's memory: kc[0] is a cache that
 * holds nothing (limit 0), the one a free of a page that is no slab finds.
 */
#define PGA_SLAB_CACHE(nid, cls) (1u + (unsigned)(nid)*PGA_NR_SIZE_CLASSES + (cls))
#define PGA_SLAB_NR_CACHES       PGA_SLAB_CACHE(PGA_MAX_NUMNODES, 0)

/*
 * The slab layer's state of one thread: its caches of every class and node.
 * Owned by the thread; attached at its first small allocation, given back
 * through the slab layer's page client when the thread goes away. thread
 * is the page allocator's state of the same thread (its node, its pcp
 * lists); NULL for the two dummies below, which have no caches. Only the
 * caches of the nodes that exist are ever touched, so the rest of the
 * array costs address space, not memory.
 *
 * pga_slab_current is an initial-exec TLS pointer, never NULL: a thread
 * starts on pga_slab_boot, whose freelists are all empty, so its first
 * small allocation takes the slow path, which attaches real state. After
 * the thread's exit it points at pga_slab_dead, and small requests are
 * served under the node lock. pga_slab_home points at the caches of the
 * thread's node in the same state (class 0 of it), the ones malloc pops.
 */
struct pga_slab_cpu {
	struct pga_thread *thread;
	int nid; /* the node whose caches malloc pops: pga_slab_home */
	/* On the list of parked states (slab.c), under its lock. */
	struct pga_slab_cpu *parked_next;
	struct pga_kmem_cpu kc[PGA_SLAB_NR_CACHES] pga_aligned(PGA_CACHELINE);
};

extern __thread struct pga_slab_cpu *pga_slab_current __attribute__((tls_model("initial-exec")));
extern __thread struct pga_kmem_cpu *pga_slab_home __attribute__((tls_model("initial-exec")));
extern struct pga_slab_cpu pga_slab_boot;
extern struct pga_slab_cpu pga_slab_dead;

static inline bool pga_slab_cpu_is_real(const struct pga_slab_cpu *s)
{
	return s->thread != NULL;
}

/* The calling thread's slab state: attached on first use when the page
 * allocator gives the thread state, else pga_slab_dead. */
struct pga_slab_cpu *pga_slab_attach(void);

static inline struct pga_slab_cpu *pga_slab_get(void)
{
	struct pga_slab_cpu *s = pga_slab_current;

	return likely(s != &pga_slab_boot) ? s : pga_slab_attach();
}

/* The head of the slab (or block) whose page is page: a slab's tail pages
 * point back to it. *off, a byte offset in page, becomes the offset in the
 * slab. */
static inline struct pga_page *pga_slab_head(struct pga_page *page, uint32_t *off)
{
	if (pga_page_flags(page) & PGA_PG_TAIL) {
		*off += (uint32_t)(page->private_ << PGA_PAGE_SHIFT);
		page -= page->private_;
	}
	return page;
}

/* Is byte offset off (below the slab's size) of a slab of class sc the
 * start of one of its objects? */
static inline bool pga_slab_obj_start(const struct pga_sizeclass *sc, uint32_t off)
{
	uint32_t idx = pga_obj_index(sc, off);

	return idx * sc->size == off && idx < sc->objects;
}

/* Pop the next object of c, the cache of class cls, outside the fast path,
 * checking that its link led to a free object of the class (else
 * pgalloc: malloc(): corrupted freelist, and abort). c is not empty. */
void *pga_slab_cache_pop(struct pga_kmem_cpu *c, unsigned cls);

/* Refill s's cache of class cls and return one object; NULL with errno
 * ENOMEM when no memory is left. */
void *pga_slab_alloc_slow(struct pga_slab_cpu *s, unsigned cls);

/* One object of class cls from node nid's slabs, under the node lock
 * (pga_malloc_node, and threads without caches). NULL with ENOMEM. */
void *pga_slab_alloc_node(struct pga_slab_cpu *s, unsigned cls, int nid);

/* Free obj, an object of slab (its head descriptor), when the inline path
 * could not: s's cache of the class is full (half of it goes back to the
 * slabs first), the object is of a node s does not cache, s caches nothing,
 * or a bad pointer (reported, then abort). */
void pga_slab_free_slow(struct pga_slab_cpu *s, struct pga_zone *zone, struct pga_page *slab,
                        void *obj);

/* Unfreeze every slab frozen to s, returning the objects of its caches
 * (malloc_trim for the calling thread; thread exit, and in a fork child for
 * the threads that did not survive, through the page client). */
void pga_slab_flush(struct pga_slab_cpu *s);

/* Slab memory in use, for mallinfo: bytes of objects handed out (objects
 * free in threads' caches count as free: pga_slab_info's snapshot) and
 * bytes of slabs. */
void pga_slab_usage(uint64_t *used_bytes, uint64_t *slab_bytes);

/*
 * slabinfo's figures, per node and class (the statistics views read them;
 * the slab layer never calls up). slabs and node_free are exact: nr_slabs,
 * and the free objects of the node's partial slabs counted under its list
 * lock. cached_free is what threads hold: the objects in their caches
 * (count) and the free objects of the slabs frozen to them, read
 * without their owners' knowledge, so a snapshot that may be off by the
 * objects moved while it was taken. Objects pushed onto a slab's remote
 * stack and not yet collected count as in use, as the owner counts them.
 */
struct pga_slab_info {
	uint64_t slabs;       /* slabs of the class on the node */
	uint64_t node_free;   /* free objects on the node's partial list */
	uint64_t cached_free; /* free objects in threads' caches */
};
/* info[nid * PGA_NR_SIZE_CLASSES + cls] for nid < nr_nodes; with
 * nr_nodes 1, every node's figures are summed into node 0's. */
void pga_slab_info(struct pga_slab_info *info, int nr_nodes);

/*
 * The slab validator: every slab on every node's partial lists is an
 * unfrozen slab of its class and node, with free objects, and its freelist
 * holds objects - inuse starts of its own objects, each carrying the free
 * key (freeptr.h); nr_partial is the length of the list. Returns false
 * with the first violation in why.
 * O(objects on the lists); takes each list lock in turn. Debug builds run
 * it before every shrink (malloc_trim, direct reclaim).
 */
bool pga_slab_check(char *why, size_t why_len);

/* The node list locks' counters, summed over every node and class. */
void pga_slab_lock_stats(struct pga_lock_stats *st);

/* Start the slab layer (after the page allocator): tables, node lists,
 * and its page client (thread exit, fork, the shrinker of empty slabs).
 * Idempotent. */
void pga_slab_init(void);

static inline void *pga_slab_address(const struct pga_zone *zone, const struct pga_page *slab)
{
	return pga_page_address(zone, slab);
}

#endif /* PGA_SLAB_H */
