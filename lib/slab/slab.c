// SPDX-License-Identifier: MIT
/*
 * slab.c - small objects, after the kernel's mm/slub.c. See slab.h for the
 * slab states and who owns what.
 *
 * Per size class and node there is a list of partial slabs behind a lock
 * (kmem_cache_node). Each thread keeps, per class, a cpu slab whose free
 * objects it pops with plain loads and stores, and a few more slabs frozen
 * to it (its partial list, SLUB's cpu partial), taken from the node list
 * several at a time under one lock hold.
 *
 * A free by the owner of a frozen slab is plain; a free into a slab frozen
 * to another thread is one CAS onto the slab's remote stack, which the owner
 * takes whole when its freelist runs dry; a free into a slab frozen to no
 * one takes the node list lock, which is also where a slab changes lists.
 * A slab whose last object comes back is freed to the page allocator once
 * the node already keeps MIN_PARTIAL partial slabs.
 */
#include "slab.h"

#include <errno.h>
#include <string.h>

#include "bug.h"
#include "fmt.h"
#include "client.h"
#include "freeptr.h"
#include "mempolicy.h"
#include "options.h"
#include "os.h"
#include "poison.h"
#include "page_alloc.h"
#include "pool.h"
#include "topology.h"
#include "trace.h"

#define MIN_PARTIAL PGA_SLAB_MIN_PARTIAL

/*
 * The opt-in checks of harden=full (docs/hardening.md, pga_harden). Any
 * check on the contents of objects (poison, zeroing, the malloc layer's red
 * zones: pga_harden.slab_debug) puts the slab layer in debug mode, as
 * SLUB's debug flags do: no thread caches anything (every cache's limit is
 * 0), and every object is allocated and freed under its node's list lock,
 * where the checks run.
 */

/* A thread's partial list of one class, owner only: nr_empty follows
 * every move on and off it. */
static void cpu_partial_add(struct pga_kmem_cpu *c, struct pga_page *slab)
{
	pga_list_add_tail(&slab->lru, &c->partial);
	c->nr_empty = (uint16_t)(c->nr_empty + (slab->inuse == 0));
}

static void cpu_partial_del(struct pga_kmem_cpu *c, struct pga_page *slab)
{
	pga_list_del(&slab->lru);
	c->nr_empty = (uint16_t)(c->nr_empty - (slab->inuse == 0));
}

/* kmem_cache_node: the partial slabs of one class on one node. */
struct kmem_node {
	struct pga_lock lock;
	struct pga_list partial;          /* unfrozen slabs with free objects; under lock */
	_Atomic unsigned long nr_partial; /* written under lock, peeked without */
	_Atomic unsigned long nr_slabs;   /* all slabs of this class on this node */
} pga_aligned(PGA_CACHELINE);

static struct kmem_node kmem_nodes[PGA_MAX_NUMNODES][PGA_NR_SIZE_CLASSES];

static inline unsigned long nr_partial(const struct kmem_node *n)
{
	return atomic_load_explicit(&n->nr_partial, memory_order_relaxed);
}

/* Under n->lock: a plain load and store. */
static inline void partial_add(struct kmem_node *n, long d)
{
	atomic_store_explicit(&n->nr_partial, nr_partial(n) + (unsigned long)d,
	                      memory_order_relaxed);
}

static inline struct kmem_node *slab_kmem_node(const struct pga_page *slab)
{
	return &kmem_nodes[slab->slab_node][slab->slab_class];
}

static inline void *slab_address(const struct pga_page *slab)
{
	unsigned long pfn;
	const struct pga_zone *zone = pga_page_to_zone(slab, &pfn);

	return pga_pfn_to_addr(zone, pfn);
}

/* Make slab (or none) c's cpu slab. */
static void cpu_slab_set(struct pga_kmem_cpu *c, struct pga_page *slab)
{
	c->slab = slab;
}

/* Freelist links are hardened (freeptr.h): every read and write of one
 * goes through these two. */
static inline void *freelist_next(const void *obj)
{
	return pga_freeptr_get(obj);
}

static inline void freelist_push(void **head, void *obj)
{
	pga_freeptr_set(obj, *head);
	*head = obj;
}

pga_noreturn pga_cold static void bad_object_free(const char *what, const void *obj,
                                                  const struct pga_page *slab)
{
	pga_report_abort(what, obj, "size class", pga_size_classes[slab->slab_class].size);
}

/* A link that does not lead to a free object of its list: written over
 * after a free, or forged. bad is where it leads. */
pga_noreturn pga_cold static void corrupted_freelist(const void *bad, unsigned cls)
{
	pga_report_abort("malloc(): corrupted freelist", bad, "size class",
	                 pga_size_classes[cls].size);
}

/* Does addr lie in the 2^order pages of a slab starting at lo? */
static inline bool in_slab(const void *addr, uintptr_t lo, unsigned order)
{
	return (uintptr_t)addr - lo < (PGA_PAGE_SIZE << order);
}

/* A link of slab's lists walked (a remote stack): it must lead to a free
 * object inside the slab, which starts at lo and spans 2^order pages. */
static inline void check_slab_link(const struct pga_page *slab, uintptr_t lo, unsigned order,
                                   const void *obj)
{
	if (unlikely(pga_harden.checks && (!in_slab(obj, lo, order) || !pga_freeptr_is_free(obj))))
		corrupted_freelist(obj, slab->slab_class);
}

/*
 * Is obj, read from a link, a free object of class cls: in a zone, on a
 * page of a live slab of the class, at the start of an object, with the
 * free key? Nothing at obj is read before its page says it is a slab
 * object: a corrupted link may point anywhere.
 */
static bool valid_free_object(const void *obj, unsigned cls)
{
	unsigned long pfn;
	struct pga_zone *zone = pga_addr_to_zone(obj, &pfn);

	if (!zone)
		return false;
	uint32_t off = (uint32_t)((uintptr_t)obj & (PGA_PAGE_SIZE - 1));
	const struct pga_page *head = pga_slab_head(pga_pfn_to_page(zone, pfn), &off);
	return pga_page_flags(head) == (PGA_PG_ALLOC | PGA_PG_SLAB) && head->slab_class == cls &&
	       pga_slab_obj_start(&pga_size_classes[cls], off) && pga_freeptr_is_free(obj);
}

void *pga_slab_cache_pop(struct pga_kmem_cpu *c, unsigned cls)
{
	void *obj = c->freelist;

	if (unlikely(pga_harden.checks && !valid_free_object(obj, cls)))
		corrupted_freelist(obj, cls);
	c->freelist = freelist_next(obj);
	pga_freeptr_mark_live(obj);
	c->count--;
	return obj;
}

/* Pop obj, the head of slab's own freelist, checking that it is a free
 * object of the slab; returns the next one. */
static void *slab_pop_checked(struct pga_page *slab, void *obj)
{
	unsigned cls = slab->slab_class;

	if (unlikely(pga_harden.checks &&
	             (!valid_free_object(obj, cls) ||
	              !in_slab(obj, (uintptr_t)slab_address(slab), pga_size_classes[cls].order))))
		corrupted_freelist(obj, cls);
	void *next = freelist_next(obj);
	pga_freeptr_mark_live(obj);
	return next;
}

/* The thread slab is frozen to (or NULL), recorded on every page of it:
 * the head's is the one that rules; the tails' copies let the free fast
 * path tell a slab of another thread from the object's own page, without
 * the head's descriptor. */
static void set_owner(struct pga_page *slab, struct pga_slab_cpu *t)
{
	unsigned pages = 1u << pga_size_classes[slab->slab_class].order;

	for (unsigned i = 0; i < pages; i++)
		atomic_store_explicit(&slab[i].owner, t, memory_order_relaxed);
}

static unsigned gcd(unsigned a, unsigned b)
{
	while (b) {
		unsigned t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/*
 * Link the objects of a new slab at addr: in address order, so that a fresh
 * slab is handed out sequentially; with slab_freelist_random, in an order
 * drawn for the slab, a random start and a random stride prime to the
 * number of objects (every object once), so that which object follows
 * which cannot be predicted from the layout. Returns the first object.
 */
static void *link_new_slab(char *addr, const struct pga_sizeclass *sc)
{
	unsigned n = sc->objects, start = 0, stride = 1;

	if (pga_harden.freelist_random && n > 2) {
		uint64_t r;
		pga_os_random(&r, sizeof(r));
		start = (unsigned)(r % n);
		stride = 1 + (unsigned)((r >> 32) % (n - 1));
		while (gcd(stride, n) != 1)
			stride = stride % (n - 1) + 1; /* reaches 1 at worst */
	}
	char *first = addr + (size_t)start * sc->size, *prev = NULL;
	for (unsigned i = 0, idx = start; i < n; i++, idx = (idx + stride) % n) {
		char *obj = addr + (size_t)idx * sc->size;
		if (prev)
			pga_freeptr_set(prev, obj);
		pga_freeptr_mark_free(obj);
		prev = obj;
	}
	pga_freeptr_set(prev, NULL);
	return first;
}

/* A new slab from the page allocator, unfrozen, every object free, on
 * node nid (preferred: the page allocator falls back by distance), or,
 * with nid -1, where the calling thread's memory policy places it. The
 * objects are linked in address order, so a fresh slab is handed out
 * sequentially. */
static struct pga_page *new_slab(unsigned cls, int nid)
{
	const struct pga_sizeclass *sc = &pga_size_classes[cls];
	void *addr = pga_alloc_pages_node(nid, PGA_GFP_NOWARN, sc->order);
	unsigned long pfn;

	if (!addr)
		return NULL;
	struct pga_zone *zone = pga_addr_to_zone(addr, &pfn);
	struct pga_page *slab = pga_pfn_to_page(zone, pfn);

	/* Tails carry the class and the cache too: the free fast path looks
	 * them up from the page the object lies on, head or tail. */
	uint16_t cache = (uint16_t)PGA_SLAB_CACHE(zone->node, cls);
	for (unsigned i = 1; i < (1u << sc->order); i++) {
		pga_page_set_flags(&slab[i], PGA_PG_TAIL);
		slab[i].private_ = i;
		slab[i].slab_class = (uint8_t)cls;
		slab[i].slab_cache = cache;
	}
	size_t bytes = PGA_PAGE_SIZE << sc->order;
	if (pga_harden.page_poison && !pga_poison_pages_intact(addr, bytes, PGA_PAGE_SIZE))
		pga_report_abort("malloc(): write after free", addr, "pages",
		                 bytes >> PGA_PAGE_SHIFT);
	if (pga_harden.slab_poison)
		pga_poison_fill(addr, bytes, PGA_POISON_FREE);
	void *first = link_new_slab(addr, sc);

	pga_page_set_flags(slab, PGA_PG_ALLOC | PGA_PG_SLAB);
	slab->private_ = 0; /* the free fast path adds it to the offset */
	slab->slab_class = (uint8_t)cls;
	slab->slab_cache = cache;
	slab->slab_node = (uint8_t)zone->node;
	slab->freelist = first;
	slab->inuse = 0;
	slab->objects = sc->objects;
	atomic_store_explicit(&slab->remote, 0, memory_order_relaxed);
	set_owner(slab, NULL);
	atomic_fetch_add_explicit(&slab_kmem_node(slab)->nr_slabs, 1, memory_order_relaxed);
	return slab;
}

/* Give an empty, unlisted, unfrozen slab back to the page allocator. */
static void discard_slab(struct pga_page *slab)
{
	const struct pga_sizeclass *sc = &pga_size_classes[slab->slab_class];
	void *addr = slab_address(slab);

	atomic_fetch_sub_explicit(&slab_kmem_node(slab)->nr_slabs, 1, memory_order_relaxed);
	for (unsigned i = 1; i < (1u << sc->order); i++) {
		pga_page_set_flags(&slab[i], 0);
		slab[i].private_ = 0;
		slab[i].slab_class = 0;
		slab[i].slab_cache = 0;
	}
	pga_page_set_flags(slab, PGA_PG_ALLOC);
	slab->slab_class = 0;
	slab->slab_cache = 0;
	slab->slab_node = 0;
	slab->freelist = NULL;
	slab->inuse = slab->objects = 0;
	pga_free_pages(addr, sc->order); /* poisons them with page_poison */
}

/* Freeze slab to t; the caller holds the node lock or is the only one who
 * knows the slab. remote is 0 for an unfrozen slab. */
static void freeze_slab(struct pga_slab_cpu *t, struct pga_page *slab)
{
	PGA_BUG_ON(atomic_load_explicit(&slab->remote, memory_order_relaxed) != 0);
	atomic_store_explicit(&slab->remote, PGA_SLAB_FROZEN, memory_order_relaxed);
	set_owner(slab, t);
}

static inline void *remote_top(uintptr_t w)
{
	return (void *)(w & ~PGA_SLAB_REMOTE_FLAGS);
}

/* Take the objects other threads freed into a slab frozen to us; the slab
 * stays frozen (and loses NOTIFY: it is no longer on the full list). */
static void *take_remote(struct pga_page *slab)
{
	return remote_top(
	    atomic_exchange_explicit(&slab->remote, PGA_SLAB_FROZEN, memory_order_acquire));
}

/* Give the objects of list back to slab's own freelist; the slab counts
 * them as free again. */
static void return_objects(struct pga_page *slab, void *list)
{
	uintptr_t lo = (uintptr_t)slab_address(slab);
	unsigned order = pga_size_classes[slab->slab_class].order;
	unsigned back = 0;

	while (list) {
		check_slab_link(slab, lo, order, list);
		void *next = freelist_next(list);
		freelist_push(&slab->freelist, list);
		list = next;
		back++;
	}
	slab->inuse = (uint16_t)(slab->inuse - back);
}

/*
 * deactivate_slab: unfreeze a slab frozen to the calling thread. The
 * remote stack is emptied and the frozen bit cleared in one CAS under the
 * node lock, so a concurrent free either lands on remote before (and is
 * collected here) or finds the slab unfrozen and queues on the lock.
 */
static void deactivate_slab(struct pga_page *slab)
{
	struct kmem_node *n = slab_kmem_node(slab);

	set_owner(slab, NULL);

	/* Full, with nothing freed into it: it leaves full, on no list, so no
	 * lock is needed; a free racing onto remote makes the CAS fail. */
	if (!slab->freelist) {
		uintptr_t w = atomic_load_explicit(&slab->remote, memory_order_relaxed);
		if (!remote_top(w) && atomic_compare_exchange_strong_explicit(
		                          &slab->remote, &w, PGA_SLAB_FULL, memory_order_release,
		                          memory_order_relaxed))
			return;
	}

	pga_lock(&n->lock);
	uintptr_t w = atomic_exchange_explicit(&slab->remote, 0, memory_order_acquire);
	return_objects(slab, remote_top(w));

	if (slab->inuse == 0 && nr_partial(n) >= MIN_PARTIAL) {
		pga_unlock(&n->lock);
		discard_slab(slab);
		return;
	}
	if (slab->freelist) {
		pga_list_add_tail(&slab->lru, &n->partial);
		partial_add(n, 1);
	}
	pga_unlock(&n->lock);
}

/*
 * An empty slab frozen to the caller goes straight back to the page
 * allocator, without the node lock: with every object on its own freelist,
 * no object of it is live, so no other thread can rightly free into it
 * (remote is FROZEN alone: remote objects would count in inuse). The CAS
 * that unfreezes it catches a free that would be a double free.
 */
static void discard_frozen_empty(struct pga_page *slab)
{
	uintptr_t w = atomic_load_explicit(&slab->remote, memory_order_relaxed);

	PGA_BUG_ON(slab->inuse != 0);
	if (remote_top(w) || !atomic_compare_exchange_strong_explicit(
	                         &slab->remote, &w, 0, memory_order_acquire, memory_order_relaxed))
		bad_object_free("free(): double free", remote_top(w), slab);
	set_owner(slab, NULL);
	discard_slab(slab);
}

/*
 * The full slabs of c that other threads freed into since the owner last
 * looked (remote_hint set) move to its partial list with those objects. Only
 * when there was such a free: the walk is over the class's full list.
 */
static bool collect_notified(struct pga_kmem_cpu *c)
{
	struct pga_list *pos, *tmp;
	bool got = false;

	/* The remote frees set the hint with a release RMW after their push,
	 * so this acquire RMW sees every push whose hint it clears. */
	if (!atomic_load_explicit(&c->remote_hint, memory_order_relaxed) ||
	    !atomic_exchange_explicit(&c->remote_hint, 0, memory_order_acquire))
		return false;
	pga_list_for_each_safe (pos, tmp, &c->full) {
		struct pga_page *slab = container_of(pos, struct pga_page, lru);
		if (!remote_top(atomic_load_explicit(&slab->remote, memory_order_acquire)))
			continue;
		pga_list_del(&slab->lru);
		return_objects(slab, take_remote(slab));
		cpu_partial_add(c, slab);
		got = true;
	}
	return got;
}

/*
 * The cpu slab is exhausted: it stays frozen to the thread, on its full
 * list, with NOTIFY set so that the first remote free tells the owner.
 * Returns false, changing nothing, when a remote free came first: the
 * caller takes it.
 */
static bool park_full(struct pga_kmem_cpu *c, struct pga_page *slab)
{
	uintptr_t frozen = PGA_SLAB_FROZEN;

	if (!atomic_compare_exchange_strong_explicit(&slab->remote, &frozen,
	                                             PGA_SLAB_FROZEN | PGA_SLAB_NOTIFY,
	                                             memory_order_release, memory_order_relaxed))
		return false;
	cpu_slab_set(c, NULL);
	pga_list_add_tail(&slab->lru, &c->full);
	return true;
}

/* get_partial_node: freeze up to PGA_SLAB_NODE_BATCH of the node's
 * partial slabs to t, onto its partial list, in one lock hold. */
static unsigned get_partial_node(struct pga_slab_cpu *t, struct pga_kmem_cpu *c, unsigned cls,
                                 int nid)
{
	struct kmem_node *n = &kmem_nodes[nid][cls];
	unsigned got = 0;

	if (!nr_partial(n)) /* a peek without the lock: an empty list is common */
		return 0;
	pga_lock(&n->lock);
	while (got < PGA_SLAB_NODE_BATCH && !pga_list_empty(&n->partial)) {
		struct pga_page *slab = container_of(n->partial.next, struct pga_page, lru);
		pga_list_del(&slab->lru);
		partial_add(n, -1);
		freeze_slab(t, slab);
		cpu_partial_add(c, slab);
		got++;
	}
	pga_unlock(&n->lock);
	return got;
}

/* Make slab, frozen to t, its cpu slab, and refill c, empty, from it:
 * every free object of the slab (its own freelist and its remote stack)
 * moves to the cache, and the slab counts them all as in use. Returns the
 * number of objects moved, at most the slab's objects, so at most c->limit. */
static unsigned set_cpu_slab(struct pga_kmem_cpu *c, struct pga_page *slab)
{
	void *remote = take_remote(slab);
	void *list = slab->freelist;
	unsigned n = (unsigned)(slab->objects - slab->inuse);

	/* Append the slab's own freelist to the remote objects (which inuse
	 * still counts). */
	if (remote) {
		uintptr_t lo = (uintptr_t)slab_address(slab);
		unsigned order = pga_size_classes[slab->slab_class].order;
		void *tail = remote;
		n++;
		for (void *next; (next = freelist_next(tail)); tail = next, n++)
			check_slab_link(slab, lo, order, next);
		pga_freeptr_set(tail, list);
		list = remote;
	}
	PGA_BUG_ON(c->freelist || c->count);
	slab->freelist = NULL;
	slab->inuse = slab->objects;
	cpu_slab_set(c, slab);
	c->freelist = list;
	c->count = n;
	return n;
}

/* The locked path for threads without caches (before attach, after exit)
 * and for node-specific requests: one object from a node's partial slab. */
static void *alloc_locked(unsigned cls, int nid)
{
	struct kmem_node *n = &kmem_nodes[nid][cls];
	struct pga_page *fresh = NULL;
	void *obj;

	for (;;) {
		pga_lock(&n->lock);
		if (fresh) {
			pga_list_add(&fresh->lru, &n->partial);
			partial_add(n, 1);
			fresh = NULL;
		}
		if (!pga_list_empty(&n->partial))
			break;
		pga_unlock(&n->lock);
		fresh = new_slab(cls, nid);
		if (!fresh) {
			errno = ENOMEM;
			return NULL;
		}
		/* The page allocator may have fallen back to another node. */
		n = slab_kmem_node(fresh);
	}
	struct pga_page *slab = container_of(n->partial.next, struct pga_page, lru);
	obj = slab->freelist;
	slab->freelist = slab_pop_checked(slab, obj);
	slab->inuse++;
	if (!slab->freelist) {
		pga_list_del(&slab->lru);
		partial_add(n, -1);
	}
	pga_unlock(&n->lock);
	return obj;
}

/*
 * An object handed out in debug mode: its poison must be intact (a write
 * after free shows there), then it is zeroed if asked. Words 0 and 1 held
 * the link and the free key, which the pop checked.
 */
static void debug_on_alloc(void *obj, unsigned cls)
{
	size_t size = pga_size_classes[cls].size;

	if (pga_harden.slab_poison &&
	    !pga_poison_intact((char *)obj + 2 * sizeof(void *), size - 2 * sizeof(void *),
	                       PGA_POISON_FREE))
		pga_report_abort("malloc(): write after free", obj, "size class", size);
	if (pga_harden.init_on_alloc)
		memset(obj, 0, size);
}

/* The locked path, and in debug mode the only one. */
static void *locked_alloc(unsigned cls, int nid)
{
	void *obj = alloc_locked(cls, nid);

	if (obj && pga_harden.slab_debug)
		debug_on_alloc(obj, cls);
	return obj;
}

/*
 * Refill c, t's empty cache of class cls of node nid's memory, and return
 * one object of it. The sources, cheapest first: the cpu slab, the
 * thread's partial slabs, its full slabs that others freed into, the
 * node's partial list, a new slab: on node nid (pga_malloc_node), or placed
 * by the thread's memory policy (by_policy: malloc), which for bind never
 * leaves the bound nodes. When the node has no memory left, the page
 * allocator spills the new slab to another node (its zonelist); the slab
 * then belongs to that node's cache, which serves this request, so that
 * every cache holds only its own node's memory.
 */
static void *refill(struct pga_slab_cpu *t, struct pga_kmem_cpu *c, unsigned cls, int nid,
                    bool by_policy)
{
	while (!c->freelist) {
		struct pga_page *slab = c->slab;
		if (slab) {
			/* What came back to the cpu slab since (the cache's
			 * releases, other threads' frees) is the cheapest refill. */
			if (slab->freelist ||
			    remote_top(atomic_load_explicit(&slab->remote, memory_order_relaxed)) ||
			    !park_full(c, slab)) {
				set_cpu_slab(c, slab);
				continue;
			}
		}
		if (!pga_list_empty(&c->partial)) {
			slab = container_of(c->partial.next, struct pga_page, lru);
			cpu_partial_del(c, slab);
			set_cpu_slab(c, slab);
			continue;
		}
		if (collect_notified(c))
			continue;
		if (get_partial_node(t, c, cls, nid))
			continue;
		slab = new_slab(cls, by_policy ? -1 : nid);
		if (!slab) {
			errno = ENOMEM;
			return NULL;
		}
		freeze_slab(t, slab);
		if (slab->slab_node != nid) {
			struct pga_kmem_cpu *spill = &t->kc[slab->slab_cache];
			cpu_partial_add(spill, slab);
			return refill(t, spill, cls, slab->slab_node, by_policy);
		}
		set_cpu_slab(c, slab);
	}
	void *obj = pga_slab_cache_pop(c, cls);
	/* kmem_cache_alloc's arguments: call site (none here), object,
	 * bytes requested (the class's), bytes allocated, gfp, node. */
	PGA_TRACE(kmem_cache_alloc, 0, obj, pga_size_classes[cls].size, pga_size_classes[cls].size,
	          0, nid);
	return obj;
}

void *pga_slab_alloc_node(struct pga_slab_cpu *t, unsigned cls, int nid)
{
	if (!pga_slab_cpu_is_real(t) || pga_harden.slab_debug)
		return locked_alloc(cls, nid);

	struct pga_kmem_cpu *c = &t->kc[PGA_SLAB_CACHE(nid, cls)];
	if (c->freelist)
		return pga_slab_cache_pop(c, cls);
	return refill(t, c, cls, nid, false);
}

/*
 * The node whose caches malloc pops (s->nid, pga_slab_home) follows the
 * thread's memory policy: the node its allocations go to first (local,
 * preferred, the nearest allowed one), under interleave the node the next
 * slab is due on. s is the caller's own state.
 */
static void home_follow_policy(struct pga_slab_cpu *s)
{
	const struct pga_thread *t = s->thread;
	int nid = pga_mempolicy_slab_node(s->thread);

	/* No node of a bind or preferred-many mask has memory: a node of the
	 * mask all the same, whose refill then fails by the policy. */
	if (nid >= pga_mem.nr_nodes) {
		nid = 0;
		while (nid < pga_mem.nr_nodes - 1 && !pga_nodemask_test(&t->pol.nodes, nid))
			nid++;
	}
	if (nid != s->nid) {
		s->nid = nid;
		pga_slab_home = &s->kc[PGA_SLAB_CACHE(nid, 0)];
	}
}

void *pga_slab_alloc_slow(struct pga_slab_cpu *t, unsigned cls)
{
	if (!pga_slab_cpu_is_real(t))
		return locked_alloc(cls, pga_cpu_to_node(&pga_topo, pga_os_current_cpu()));
	/* A safe point (no slab of ours half moved) to notice that the
	 * thread runs on another node, or that interleave moved on. */
	pga_thread_caches_check(t->thread);
	home_follow_policy(t);
	if (pga_harden.slab_debug)
		return locked_alloc(cls, t->nid);
	return refill(t, &t->kc[PGA_SLAB_CACHE(t->nid, cls)], cls, t->nid, true);
}

/*
 * put_cpu_partial: a free into a slab frozen to no one freezes it to the
 * freeing thread (the caller did), onto its partial list, so that the
 * frees likely to follow (a batch being released, a thread freeing what an
 * exited one allocated) are plain.
 */
static void put_cpu_partial(struct pga_slab_cpu *t, struct pga_page *slab)
{
	cpu_partial_add(&t->kc[slab->slab_cache], slab);
}

/* Check that obj is the start of an object of slab. */
static void check_object(const struct pga_zone *zone, const struct pga_page *slab, const void *obj)
{
	const struct pga_sizeclass *sc = &pga_size_classes[slab->slab_class];
	uint32_t off = (uint32_t)((uintptr_t)obj - (uintptr_t)pga_slab_address(zone, slab));

	if (!pga_slab_obj_start(sc, off))
		bad_object_free("free(): invalid pointer", obj, slab);
}

/*
 * slab_free: obj goes back to slab, its slab (head descriptor), past the
 * thread's cache. The caller checked that obj is an object of the slab.
 */
/*
 * own_free_run: n objects of slab, frozen to t, linked first .. last, go
 * back onto the slab's freelist, and the slab moves as its count says: off
 * the full list onto the partial one, or, emptied, given back once the
 * class keeps PGA_SLAB_CPU_EMPTY empty slabs. Plain: t owns it all.
 */
static void own_free_run(struct pga_slab_cpu *t, struct pga_page *slab, void *first, void *last,
                         unsigned n)
{
	struct pga_kmem_cpu *c = &t->kc[slab->slab_cache];
	uintptr_t remote = atomic_load_explicit(&slab->remote, memory_order_relaxed);

	/* The cheap checks: the object freed last, here or remotely. */
	if (first == slab->freelist || first == remote_top(remote))
		bad_object_free("free(): double free", first, slab);
	bool was_full = slab != c->slab && !slab->freelist;
	pga_freeptr_set(last, slab->freelist);
	slab->freelist = first;
	slab->inuse = (uint16_t)(slab->inuse - n);
	/* The cpu slab is on no list: the cache's next refill takes what came
	 * back to it. */
	if (slab == c->slab)
		return;
	if (was_full) {
		pga_list_del(&slab->lru);
		cpu_partial_add(c, slab);
	} else if (slab->inuse == 0) {
		c->nr_empty++;
	}
	if (slab->inuse == 0 && c->nr_empty > PGA_SLAB_CPU_EMPTY) {
		cpu_partial_del(c, slab);
		discard_frozen_empty(slab);
	}
}

static void slab_free(struct pga_slab_cpu *t, struct pga_page *slab, void *obj)
{
	pga_freeptr_mark_free(obj);
	/* Frozen to us: plain. */
	if (pga_slab_cpu_is_real(t) &&
	    atomic_load_explicit(&slab->owner, memory_order_relaxed) == t) {
		own_free_run(t, slab, obj, obj, 1);
		return;
	}

	for (;;) {
		/* Frozen to another thread: one CAS onto its remote stack. The
		 * acquire pairs with the owner's release when it parked the slab
		 * (NOTIFY), so the owner's state, which a notification writes, is
		 * visible here however new it is. */
		uintptr_t w = atomic_load_explicit(&slab->remote, memory_order_acquire);
		while (w & PGA_SLAB_FROZEN) {
			if (remote_top(w) == obj)
				bad_object_free("free(): double free", obj, slab);
			/* Who to tell, read while obj is still live: once it is on
			 * the remote stack the owner may free the slab. */
			struct pga_slab_cpu *owner =
			    atomic_load_explicit(&slab->owner, memory_order_relaxed);
			unsigned cache = slab->slab_cache;
			pga_freeptr_set(obj, remote_top(w));
			if (atomic_compare_exchange_weak_explicit(
			        &slab->remote, &w, (uintptr_t)obj | PGA_SLAB_FROZEN,
			        memory_order_acq_rel, memory_order_acquire)) {
				/* A full slab: tell its owner, who collects it at
				 * its next refill. The owner may exit meanwhile and
				 * its state be recycled: states are never unmapped,
				 * and a hint to the wrong thread costs it one walk
				 * of a list. */
				if ((w & PGA_SLAB_NOTIFY) && owner)
					atomic_fetch_or_explicit(&owner->kc[cache].remote_hint, 1,
					                         memory_order_release);
				return;
			}
		}

		/* Full and frozen to no one: freeze it to us in the same CAS
		 * that frees the object onto its remote stack, no lock. */
		if (w == PGA_SLAB_FULL && pga_slab_cpu_is_real(t)) {
			pga_freeptr_set(obj, NULL);
			if (!atomic_compare_exchange_strong_explicit(
			        &slab->remote, &w, (uintptr_t)obj | PGA_SLAB_FROZEN,
			        memory_order_acq_rel, memory_order_relaxed))
				continue;
			set_owner(slab, t);
			put_cpu_partial(t, slab);
			return;
		}

		/* Frozen to no one: under the node lock, where it cannot be
		 * frozen meanwhile. */
		struct kmem_node *n = slab_kmem_node(slab);
		pga_lock(&n->lock);
		w = atomic_load_explicit(&slab->remote, memory_order_relaxed);
		if ((w & PGA_SLAB_FROZEN) ||
		    (w == PGA_SLAB_FULL &&
		     !atomic_compare_exchange_strong_explicit(
		         &slab->remote, &w, 0, memory_order_acquire, memory_order_relaxed))) {
			pga_unlock(&n->lock);
			continue;
		}
		if (obj == slab->freelist || slab->inuse == 0) {
			pga_unlock(&n->lock);
			bad_object_free("free(): double free", obj, slab);
		}
		bool was_full = slab->freelist == NULL;
		freelist_push(&slab->freelist, obj);
		slab->inuse--;
		/* Adopted only while it still holds live objects, which the
		 * frees likely to follow will find plain; one this free empties
		 * stays with the node, which keeps MIN_PARTIAL of them. */
		if (pga_slab_cpu_is_real(t) && slab->inuse != 0) {
			if (!was_full) { /* it is on the node's partial list */
				pga_list_del(&slab->lru);
				partial_add(n, -1);
			}
			freeze_slab(t, slab);
			put_cpu_partial(t, slab);
			pga_unlock(&n->lock);
			return;
		} else if (was_full) {
			pga_list_add_tail(&slab->lru, &n->partial);
			partial_add(n, 1);
		} else if (slab->inuse == 0 && nr_partial(n) > MIN_PARTIAL) {
			pga_list_del(&slab->lru);
			partial_add(n, -1);
			pga_unlock(&n->lock);
			discard_slab(slab);
			return;
		}
		pga_unlock(&n->lock);
		return;
	}
}

/* The slab head of obj, an object the thread's cache held (so one of a
 * live slab, whose head has private_ 0 and tails the distance to it). */
static struct pga_page *object_slab(const void *obj)
{
	struct pga_page *page = pga_addr_to_page(obj);

	return page - page->private_;
}

/* Give the n objects at the top of c's cache (the most recently freed,
 * still in the CPU's caches) back to their slabs: consecutive objects of
 * one slab frozen to t as one run. */
static void cache_release(struct pga_slab_cpu *t, struct pga_kmem_cpu *c, unsigned n)
{
	struct pga_page *slab = NULL;
	void *first = NULL, *last = NULL;
	uintptr_t lo = 0, hi = 0;
	unsigned run = 0;

	PGA_BUG_ON(n > c->count);
	c->count -= n;
	while (n--) {
		void *obj = c->freelist;
		/* The cache's links are checked here as on a pop: this walk
		 * follows them into the slabs' descriptors. */
		const struct pga_page *page = pga_addr_to_page(obj);
		if (unlikely(pga_harden.checks &&
		             (!page || !page->slab_cache || !pga_freeptr_is_free(obj))))
			corrupted_freelist(obj, page ? page->slab_class : 0);
		c->freelist = freelist_next(obj);
		if (run && (uintptr_t)obj - lo < hi - lo) {
			pga_freeptr_set(last, obj);
			last = obj;
			run++;
			continue;
		}
		if (run)
			own_free_run(t, slab, first, last, run);
		run = 0;
		slab = object_slab(obj);
		if (atomic_load_explicit(&slab->owner, memory_order_relaxed) != t) {
			slab_free(t, slab, obj);
			continue;
		}
		lo = (uintptr_t)slab_address(slab);
		hi = lo + (PGA_PAGE_SIZE << pga_size_classes[slab->slab_class].order);
		first = last = obj;
		run = 1;
	}
	if (run)
		own_free_run(t, slab, first, last, run);
}

void pga_slab_free_slow(struct pga_slab_cpu *t, struct pga_zone *zone, struct pga_page *slab,
                        void *obj)
{
	struct pga_kmem_cpu *c = &t->kc[slab->slab_cache];

	PGA_TRACE(kmem_cache_free, 0, obj, pga_size_classes[slab->slab_class].size);
	check_object(zone, slab, obj);
	if (pga_freeptr_is_free(obj))
		bad_object_free("free(): double free", obj, slab);
	if (pga_harden.slab_debug) {
		/* Poisoned (or zeroed) whole; the free writes its link and key
		 * over the first two words, which the check on reuse skips. */
		size_t size = pga_size_classes[slab->slab_class].size;
		if (pga_harden.slab_poison)
			pga_poison_fill(obj, size, PGA_POISON_FREE);
		else if (pga_harden.init_on_free)
			memset(obj, 0, size);
		slab_free(&pga_slab_dead, slab, obj);
		return;
	}
	/* Cached unless t caches nothing or the slab is another thread's (see
	 * pga_free_inline); a full cache gives half of itself back first. */
	struct pga_slab_cpu *owner = atomic_load_explicit(&slab->owner, memory_order_relaxed);
	if (c->limit && (owner == t || !owner)) {
		if (c->count >= c->limit)
			cache_release(t, c, c->count - c->limit / 2);
		freelist_push(&c->freelist, obj);
		pga_freeptr_mark_free(obj);
		c->count++;
		return;
	}
	slab_free(t, slab, obj);
}

void pga_slab_flush(struct pga_slab_cpu *t)
{
	for (unsigned i = 1; i < PGA_SLAB_CACHE(pga_mem.nr_nodes, 0); i++) {
		struct pga_kmem_cpu *c = &t->kc[i];
		/* The cached objects first, while the slabs they go back to are
		 * still frozen to t: plain frees, a run of one slab at a time. */
		cache_release(t, c, c->count);
		if (c->slab) {
			struct pga_page *slab = c->slab;
			cpu_slab_set(c, NULL);
			deactivate_slab(slab);
		}
		while (c->partial.next && !pga_list_empty(&c->partial)) {
			struct pga_page *slab = container_of(c->partial.next, struct pga_page, lru);
			cpu_partial_del(c, slab);
			deactivate_slab(slab);
		}
		while (c->full.next && !pga_list_empty(&c->full)) {
			struct pga_page *slab = container_of(c->full.next, struct pga_page, lru);
			pga_list_del(&slab->lru);
			deactivate_slab(slab);
		}
		atomic_store_explicit(&c->remote_hint, 0, memory_order_relaxed);
	}
}

/* The validator's verdict: msg, and the slab when there is one. */
static bool slab_check_fail(char *why, size_t len, const char *msg, const struct pga_page *slab)
{
	struct pga_fmt f;

	pga_fmt_init(&f, -1);
	pga_fmt_str(&f, msg);
	if (slab) {
		pga_fmt_str(&f, " (slab of size class ");
		pga_fmt_u64(&f, pga_size_classes[slab->slab_class].size, 0);
		pga_fmt_str(&f, " at ");
		pga_fmt_hex(&f, (uintptr_t)slab_address(slab));
		pga_fmt_char(&f, ')');
	}
	pga_fmt_copy(&f, why, len);
	return false;
}

/* One slab of a node's partial list, under the list lock. */
static bool check_partial_slab(const struct pga_page *slab, unsigned cls, int nid, char *why,
                               size_t len)
{
	const struct pga_sizeclass *sc = &pga_size_classes[cls];
	const char *start = slab_address(slab);
	unsigned long nfree = 0;

	if (pga_page_flags(slab) != (PGA_PG_ALLOC | PGA_PG_SLAB) || slab->slab_class != cls ||
	    slab->slab_node != nid)
		return slab_check_fail(why, len, "a slab of another class or node", slab);
	if (atomic_load_explicit(&slab->remote, memory_order_relaxed) != 0 ||
	    atomic_load_explicit(&slab->owner, memory_order_relaxed) != NULL)
		return slab_check_fail(why, len, "a frozen slab on a partial list", slab);
	if (slab->objects != sc->objects || slab->inuse >= slab->objects || !slab->freelist)
		return slab_check_fail(why, len, "a partial slab without free objects", slab);
	for (const char *obj = slab->freelist; obj; obj = freelist_next(obj)) {
		uintptr_t off = (uintptr_t)(obj - start);
		if ((uintptr_t)obj < (uintptr_t)start || off >= (uintptr_t)sc->objects * sc->size ||
		    off % sc->size != 0)
			return slab_check_fail(why, len, "a free object outside its slab", slab);
		if (!pga_freeptr_is_free(obj))
			return slab_check_fail(why, len, "a free object without the free key",
			                       slab);
		if (++nfree > slab->objects)
			return slab_check_fail(why, len, "a freelist longer than the slab", slab);
	}
	if (nfree != (unsigned long)(slab->objects - slab->inuse))
		return slab_check_fail(why, len, "free objects and inuse disagree", slab);
	return true;
}

bool pga_slab_check(char *why, size_t why_len)
{
	for (int nid = 0; nid < pga_mem.nr_nodes; nid++) {
		for (unsigned cls = 0; cls < PGA_NR_SIZE_CLASSES; cls++) {
			struct kmem_node *n = &kmem_nodes[nid][cls];
			struct pga_list *pos;
			unsigned long listed = 0;
			bool ok = true;

			pga_lock(&n->lock);
			pga_list_for_each (pos, &n->partial) {
				listed++;
				ok = check_partial_slab(container_of(pos, struct pga_page, lru),
				                        cls, nid, why, why_len);
				if (!ok)
					break;
			}
			if (ok && listed != nr_partial(n))
				ok = slab_check_fail(why, why_len,
				                     "nr_partial disagrees with the list", NULL);
			pga_unlock(&n->lock);
			if (!ok)
				return false;
		}
	}
	return true;
}

void pga_slab_lock_stats(struct pga_lock_stats *st)
{
	*st = (struct pga_lock_stats){0};
	for (int nid = 0; nid < PGA_MAX_NUMNODES; nid++)
		for (unsigned cls = 0; cls < PGA_NR_SIZE_CLASSES; cls++)
			pga_lock_stats_add(st, &kmem_nodes[nid][cls].lock);
}

static void flush_parked(void);

static unsigned long slab_shrink(bool all)
{
	(void)all; /* empty slabs on the node lists are a small reserve: all go */
	flush_parked();
	if (pga_config_debug) {
		char why[160];
		bool ok = pga_slab_check(why, sizeof(why));
		if (!ok) {
			pga_log("slab lists corrupt: ", why, NULL);
			PGA_CHECK(ok);
		}
	}

	unsigned long pages = 0;

	for (int nid = 0; nid < pga_mem.nr_nodes; nid++) {
		for (unsigned cls = 0; cls < PGA_NR_SIZE_CLASSES; cls++) {
			struct kmem_node *n = &kmem_nodes[nid][cls];
			struct pga_list empty, *pos, *tmp;

			pga_list_init(&empty);
			pga_lock(&n->lock);
			pga_list_for_each_safe (pos, tmp, &n->partial) {
				struct pga_page *slab = container_of(pos, struct pga_page, lru);
				if (slab->inuse == 0) {
					pga_list_move(&slab->lru, &empty);
					partial_add(n, -1);
				}
			}
			pga_unlock(&n->lock);
			pga_list_for_each_safe (pos, tmp, &empty) {
				struct pga_page *slab = container_of(pos, struct pga_page, lru);
				pga_list_del(&slab->lru);
				pages += 1UL << pga_size_classes[cls].order;
				discard_slab(slab);
			}
		}
	}
	return pages;
}

static void slab_lock_all(void)
{
	for (int nid = 0; nid < pga_mem.nr_nodes; nid++)
		for (unsigned cls = 0; cls < PGA_NR_SIZE_CLASSES; cls++)
			pga_lock(&kmem_nodes[nid][cls].lock);
}

static void slab_unlock_all(void)
{
	for (int nid = 0; nid < pga_mem.nr_nodes; nid++)
		for (unsigned cls = 0; cls < PGA_NR_SIZE_CLASSES; cls++)
			pga_unlock(&kmem_nodes[nid][cls].lock);
}

static void slab_reinit_locks(void)
{
	for (int nid = 0; nid < pga_mem.nr_nodes; nid++)
		for (unsigned cls = 0; cls < PGA_NR_SIZE_CLASSES; cls++)
			pga_lock_init(&kmem_nodes[nid][cls].lock);
}

/* ---------------------------------------------------------------------- */
/* Per-thread state and the page client                                   */

__thread struct pga_slab_cpu *pga_slab_current __attribute__((tls_model("initial-exec"))) =
    &pga_slab_boot;
__thread struct pga_kmem_cpu *pga_slab_home __attribute__((tls_model("initial-exec"))) =
    &pga_slab_boot.kc[PGA_SLAB_CACHE(0, 0)];
struct pga_slab_cpu pga_slab_boot;
struct pga_slab_cpu pga_slab_dead;

static struct pga_pool slab_states = PGA_POOL_INITIALIZER;
static int client_slot = -1;

/*
 * Parked states: a thread that exits leaves its state whole, its caches
 * full and its slabs frozen to it, for the next thread that starts, which
 * takes it over as it is: slabs are frozen to a state, not to a thread, so
 * the new thread owns them at once. Threads that come and go (a thread per
 * task, a pool that shrinks and grows) then cost no node lock at exit and
 * none at their first allocations. A parked state is no thread's: remote
 * frees push onto its slabs as onto any frozen slab; the shrinker (the
 * background thread, every pass; malloc_trim) flushes and frees the parked
 * states, so their memory goes back within decay_ms. Lock: parked_lock, a
 * leaf, taken with no other slab lock held.
 */
static struct pga_lock parked_lock;
static struct pga_slab_cpu *parked;
static _Atomic unsigned nr_parked; /* written under parked_lock, peeked without */

static bool park_state(struct pga_slab_cpu *s)
{
	bool ok = false;

	pga_lock(&parked_lock);
	unsigned n = atomic_load_explicit(&nr_parked, memory_order_relaxed);

	if (n < PGA_SLAB_PARKED_MAX) {
		s->parked_next = parked;
		parked = s;
		atomic_store_explicit(&nr_parked, n + 1, memory_order_relaxed);
		ok = true;
	}
	pga_unlock(&parked_lock);
	return ok;
}

static struct pga_slab_cpu *unpark_state(void)
{
	struct pga_slab_cpu *s = NULL;

	if (!atomic_load_explicit(&nr_parked, memory_order_relaxed)) /* a peek: often none */
		return NULL;
	pga_lock(&parked_lock);
	if (parked) {
		s = parked;
		parked = s->parked_next;
		atomic_store_explicit(&nr_parked,
		                      atomic_load_explicit(&nr_parked, memory_order_relaxed) - 1,
		                      memory_order_relaxed);
	}
	pga_unlock(&parked_lock);
	return s;
}

/* Flush every parked state and give it back to the pool. */
static void flush_parked(void)
{
	struct pga_slab_cpu *s;

	while ((s = unpark_state())) {
		pga_slab_flush(s);
		pga_pool_put(&slab_states, s);
	}
}

/* The page client's thread_exit, on the exiting thread itself: the state
 * is parked for the next thread; when enough are, the thread's slabs go
 * back to their node lists (or, empty, to the page allocator), then its
 * state to the pool. */
static void slab_thread_exit(struct pga_thread *t, void *priv)
{
	struct pga_slab_cpu *s = priv;

	(void)t;
	/* A parked state is no thread's; pga_thread_dead stands in (states
	 * with a thread are real: their slabs' frees are the state's). */
	s->thread = &pga_thread_dead;
	if (!park_state(s)) {
		pga_slab_flush(s);
		pga_pool_put(&slab_states, s);
	}
	/* Allocations from later TLS destructors are served under the node
	 * lock: attaching again would leak the new state. */
	pga_slab_current = &pga_slab_dead;
	pga_slab_home = &pga_slab_dead.kc[PGA_SLAB_CACHE(0, 0)];
}

/* The page client's policy_changed: malloc pops the caches of the node
 * the new policy allocates from, at once. The caches of other nodes keep
 * their objects for pga_malloc_node and for the frees that refill them:
 * malloc never serves them. */
static void slab_policy_changed(struct pga_thread *t, void *priv)
{
	(void)t;
	home_follow_policy(priv);
}

/*
 * Fork (lib/page/fork.c has the whole order): the parked-state lock, then
 * the node list locks, then the state pool's. None is held while another
 * thread takes one of the others, so any order would do; this one is
 * written down.
 */
static void slab_fork_prepare(void)
{
	pga_lock(&parked_lock);
	slab_lock_all();
	pga_pool_lock(&slab_states);
}

static void slab_fork_parent(void)
{
	pga_pool_unlock(&slab_states);
	slab_unlock_all();
	pga_unlock(&parked_lock);
}

/*
 * In the child only the forking thread runs, and the states of the
 * threads that did not survive are abandoned with them (fork.c): the page
 * allocator drops them from its registry without calling thread_exit, so
 * nothing here flushes, walks or recycles them. Their slabs stay frozen
 * to them: a free into one is a push onto its remote stack, which no one
 * takes. The node lists are whole (their locks were held), and so are the
 * parked states: parking and unparking happen under parked_lock, and a
 * parked state is no thread's, so no one was inside its lists. A state
 * that was being unparked, flushed or parked outside that lock when the
 * address space was copied is a dead thread's, and abandoned too.
 */
static void slab_fork_child(void)
{
	pga_pool_reinit(&slab_states);
	slab_reinit_locks();
	pga_lock_init(&parked_lock);
}

static const struct pga_page_client slab_client = {
    .name = "slab",
    .thread_exit = slab_thread_exit,
    .fork_prepare = slab_fork_prepare,
    .fork_parent = slab_fork_parent,
    .fork_child = slab_fork_child,
    .shrink = slab_shrink,
    .policy_changed = slab_policy_changed,
};

/* A fresh state from the pool. Field by field, not memset: a remote free
 * may still bump the remote_hint of the thread that had this state
 * before. Cache 0, for pages that are no slab, never has room; only the
 * caches of the nodes that exist are touched. */
static void init_state(struct pga_slab_cpu *s)
{
	for (unsigned i = 0; i < PGA_SLAB_CACHE(pga_mem.nr_nodes, 0); i++) {
		struct pga_kmem_cpu *c = &s->kc[i];
		c->freelist = NULL;
		c->count = 0;
		c->limit = i && !pga_harden.slab_debug
		               ? pga_size_classes[(i - 1) % PGA_NR_SIZE_CLASSES].objects
		               : 0;
		cpu_slab_set(c, NULL);
		pga_list_init(&c->partial);
		pga_list_init(&c->full);
		c->nr_empty = 0;
		atomic_store_explicit(&c->remote_hint, 0, memory_order_relaxed);
	}
}

struct pga_slab_cpu *pga_slab_attach(void)
{
	struct pga_thread *t = pga_thread_get();
	struct pga_slab_cpu *s;

	if (pga_slab_current == &pga_slab_dead || !pga_thread_is_real(t) || client_slot < 0)
		return &pga_slab_dead;
	/* An exited thread's state is taken over whole, caches and slabs. */
	s = unpark_state();
	if (!s) {
		s = pga_pool_get(&slab_states);
		if (!s)
			return &pga_slab_dead;
		init_state(s);
	}
	s->thread = t;
	s->nid = -1;
	pga_thread_set_private(t, client_slot, s);
	pga_slab_current = s;
	home_follow_policy(s);
	return s;
}

static _Atomic bool initialized;

/* Under the allocator's one start-up lock (init.h), which fork holds. */
void pga_slab_init(void)
{
	if (atomic_load_explicit(&initialized, memory_order_acquire))
		return;
	pga_page_init();
	pga_startup_lock();
	if (!atomic_load_explicit(&initialized, memory_order_relaxed)) {
		pga_freeptr_init();
		pga_sizeclass_init();
		pga_lock_init(&parked_lock);
		for (int nid = 0; nid < pga_mem.nr_nodes; nid++) {
			for (unsigned cls = 0; cls < PGA_NR_SIZE_CLASSES; cls++) {
				pga_lock_init(&kmem_nodes[nid][cls].lock);
				pga_list_init(&kmem_nodes[nid][cls].partial);
			}
		}
		pga_pool_init(&slab_states, sizeof(struct pga_slab_cpu));
		client_slot = pga_page_register_client(&slab_client);
		atomic_store_explicit(&initialized, true, memory_order_release);
	}
	pga_startup_unlock();
}

/* ---------------------------------------------------------------------- */
/* slabinfo                                                               */

/* Walk caps: a list that changes under the walk cannot make it loop. A
 * cache holds at most one slab's worth of objects (limit). */
#define INFO_WALK_CAP       65536u
#define PGA_SLAB_MAX_CACHED 65536u

struct info_walk {
	struct pga_slab_info *info;
	int nr_nodes;
};

static struct pga_slab_info *info_at(struct info_walk *w, unsigned nid, unsigned cls)
{
	if (w->nr_nodes == 1)
		nid = 0;
	return nid < (unsigned)w->nr_nodes ? &w->info[nid * PGA_NR_SIZE_CLASSES + cls] : NULL;
}

/* Free objects of a slab frozen to a thread, as its owner counts them
 * (objects on the slab's own freelist; remote ones count as in use). */
__attribute__((no_sanitize("thread"))) static unsigned frozen_free(const struct pga_page *p)
{
	uint16_t objects = __atomic_load_n(&p->objects, __ATOMIC_RELAXED);
	uint16_t inuse = __atomic_load_n(&p->inuse, __ATOMIC_RELAXED);

	return inuse <= objects ? (unsigned)(objects - inuse) : 0;
}

/*
 * One thread's caches, read while the owner runs: the registry lock (held
 * by pga_for_each_thread) keeps the state from going back to the pool, not
 * its lists still. Per cache (class and node): the objects cached (count,
 * which the slabs count as in use), and the free objects of the slabs
 * frozen to the thread, its cpu slab and its partial list. Memory safety
 * does not rest on the owner: no object is followed, list links only point
 * at page descriptors and list heads, neither ever unmapped, and every
 * walk is capped. The figures are a racy snapshot, hence no
 * ThreadSanitizer here.
 */
__attribute__((no_sanitize("thread"))) static void info_state(struct pga_slab_cpu *s,
                                                              struct info_walk *w)
{
	for (int nid = 0; nid < pga_mem.nr_nodes; nid++) {
		for (unsigned cls = 0; cls < PGA_NR_SIZE_CLASSES; cls++) {
			struct pga_kmem_cpu *c = &s->kc[PGA_SLAB_CACHE(nid, cls)];
			struct pga_slab_info *si = info_at(w, (unsigned)nid, cls);
			struct pga_page *slab = __atomic_load_n(&c->slab, __ATOMIC_RELAXED);
			uint64_t n = __atomic_load_n(&c->count, __ATOMIC_RELAXED);

			if (!si)
				continue;
			if (n > PGA_SLAB_MAX_CACHED)
				n = 0; /* a torn or recycled state: say nothing */
			if (slab)
				n += frozen_free(slab);
			const struct pga_list *head = &c->partial, *pos;
			unsigned steps = 0;
			for (pos = __atomic_load_n(&head->next, __ATOMIC_RELAXED);
			     pos && pos != head && steps < INFO_WALK_CAP;
			     pos = __atomic_load_n(&pos->next, __ATOMIC_RELAXED), steps++)
				n += frozen_free(container_of(pos, struct pga_page, lru));
			si->cached_free += n;
		}
	}
}

static void info_thread_fn(struct pga_thread *t, void *arg)
{
	struct pga_slab_cpu *s =
	    client_slot >= 0 ? __atomic_load_n(&t->priv[client_slot], __ATOMIC_RELAXED) : NULL;

	if (s)
		info_state(s, arg);
}

void pga_slab_info(struct pga_slab_info *info, int nr_nodes)
{
	struct info_walk w = {.info = info, .nr_nodes = nr_nodes};

	for (int i = 0; i < nr_nodes * (int)PGA_NR_SIZE_CLASSES; i++)
		info[i] = (struct pga_slab_info){0};
	if (!atomic_load_explicit(&initialized, memory_order_acquire))
		return;
	for (int nid = 0; nid < pga_mem.nr_nodes; nid++) {
		for (unsigned cls = 0; cls < PGA_NR_SIZE_CLASSES; cls++) {
			struct kmem_node *n = &kmem_nodes[nid][cls];
			struct pga_slab_info *si = info_at(&w, (unsigned)nid, cls);
			struct pga_list *pos;
			uint64_t free_objs = 0;

			if (!si)
				continue;
			/* The node lock: the partial list and its slabs' inuse. */
			pga_lock(&n->lock);
			pga_list_for_each (pos, &n->partial) {
				struct pga_page *slab = container_of(pos, struct pga_page, lru);
				free_objs += (uint64_t)(slab->objects - slab->inuse);
			}
			pga_unlock(&n->lock);
			si->slabs += atomic_load_explicit(&n->nr_slabs, memory_order_relaxed);
			si->node_free += free_objs;
		}
	}
	pga_for_each_thread(info_thread_fn, &w);
	/* The parked states: their lock keeps them parked meanwhile. */
	pga_lock(&parked_lock);
	for (struct pga_slab_cpu *s = parked; s; s = s->parked_next)
		info_state(s, &w);
	pga_unlock(&parked_lock);
}

void pga_slab_usage(uint64_t *used_bytes, uint64_t *slab_bytes)
{
	struct pga_slab_info info[PGA_NR_SIZE_CLASSES];
	uint64_t used = 0, total = 0;

	pga_slab_info(info, 1);
	for (unsigned cls = 0; cls < PGA_NR_SIZE_CLASSES; cls++) {
		const struct pga_sizeclass *sc = &pga_size_classes[cls];
		uint64_t objs = info[cls].slabs * sc->objects;
		uint64_t free_objs = info[cls].node_free + info[cls].cached_free;

		total += info[cls].slabs * (PGA_PAGE_SIZE << sc->order);
		used += (objs > free_objs ? objs - free_objs : 0) * sc->size;
	}
	*used_bytes = used;
	*slab_bytes = total;
}
