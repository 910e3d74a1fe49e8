// SPDX-License-Identifier: MIT
/*
 * huge.c - allocations beyond the buddy allocator, each its own mapping.
 *
 * Every live huge allocation has one entry in an open-addressing hash table
 * keyed by its start address: linear probing, a multiplicative (Fibonacci)
 * hash of the page number, deletion by backward shift so that no tombstones
 * build up under churn. The table lives in memory from the os layer (never
 * malloc: this is malloc) and doubles when more than half full.
 *
 * Locking: one mutex, huge.lock, guards the table and the totals. No system
 * call that maps or unmaps a huge allocation runs under it: mmap happens
 * before the entry is inserted, munmap after it is removed, mremap between a
 * removal and a re-insertion (see pga_huge_realloc). Only growing the table
 * itself maps and unmaps under the lock, log2(n) times in a process's life.
 * So concurrent huge allocations cost their system calls in parallel, as
 * with glibc, whose mmapped chunks take no lock at all.
 *
 * Why the ordering is safe: an address is in the table only while it is
 * mapped by us, so the kernel cannot hand the same address to another
 * thread's mmap (or mremap) while its entry exists, and two entries never
 * share a key.
 *
 * A lookup reads only the table, never the memory the pointer points to,
 * so any pointer (another allocator's, the stack's, garbage) is safe to ask
 * about: it is simply not found.
 *
 * The huge cache: a freed block (page-aligned ones; over-aligned blocks are
 * rare and go back at once) stays mapped for decay_ms, so that a program
 * allocating and freeing big buffers in a loop reuses resident pages
 * instead of mapping, faulting and unmapping each time (glibc reuses its
 * heap, tcmalloc its spans). It holds at most CACHE_SLOTS blocks and at
 * most cache_limit() bytes; the oldest go first. A request takes the
 * smallest cached block that holds it, if that block is at most twice its
 * size; failing that, the largest smaller one, grown with mremap (its pages
 * stay resident, only the tail is new). Cached blocks are not in the table:
 * they are no allocation. Unmaps of cached blocks, like every other system
 * call here, happen outside the lock.
 */
#include "huge.h"

#include <errno.h>
#include <pthread.h>

#include <string.h>

#include "compiler.h"
#include "mmzone.h"
#include "options.h"
#include "os.h"
#include "pgalloc.h"
#include "reclaim.h"
#include "thread.h"

#define CACHE_SLOTS     16
#define FREED_SLOTS     64
#define CACHE_MIN_BYTES ((size_t)64 << 20)

struct cached_block {
	uintptr_t addr;
	size_t len;
	uint64_t freed_ms;
	/* The kernel node its first page lies on, -1 when not resident: a
	 * block is reused only where a fresh one would have been placed. */
	int node;
};

/* Blocks to unmap once the lock is dropped. */
struct unmap_list {
	unsigned n;
	struct cached_block b[CACHE_SLOTS + 1];
};

/*
 * One table slot: the start address (0: empty) and the mapped size, which
 * is a whole number of pages, with log2 of the alignment the allocation was
 * made with in the low bits that page rounding leaves free. Usable size and
 * mapped size are the same: the whole page-rounded mapping is the caller's,
 * as for glibc's mmapped chunks (less their header, which pgalloc does not
 * need).
 */
struct huge_entry {
	uintptr_t addr;
	size_t size_shift;
};

#define SHIFT_MASK (PGA_PAGE_SIZE - 1)

/* The first table fills exactly one page. */
#define MIN_SLOTS (PGA_PAGE_SIZE / sizeof(struct huge_entry))

static struct {
	pthread_mutex_t lock;
	struct huge_entry *slots; /* NULL until the first allocation */
	size_t mask;              /* number of slots - 1 */
	unsigned hash_shift;      /* 64 - log2(number of slots) */
	/*
	 * Invariant under the lock: used + reserved <= (mask + 1) / 2, so
	 * that a probe always ends at an empty slot and a re-insertion by an
	 * in-flight realloc never needs the table to grow (and so cannot
	 * fail).
	 */
	size_t used;     /* entries in the table */
	size_t reserved; /* reallocs in flight: their entry is out of the table */
	uint64_t bytes;  /* sum of the mapped sizes of the entries */
	/* The huge cache, oldest first; cached_bytes is the sum of its lens. */
	unsigned nr_cached;
	size_t cached_bytes;
	struct cached_block cache[CACHE_SLOTS];
	/* The start addresses of the last FREED_SLOTS blocks freed (a ring,
	 * next the slot to write), so that a second free of one is named a
	 * double free, not only an invalid pointer, even once its address
	 * was unmapped and mapped again by someone else. An allocation that
	 * reuses an address takes it out. */
	uintptr_t freed[FREED_SLOTS];
	unsigned freed_next;
} huge = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Forget addr as a freed block: it is allocated again. Caller holds the
 * lock. */
static void freed_forget(uintptr_t addr)
{
	for (unsigned i = 0; i < FREED_SLOTS; i++)
		if (huge.freed[i] == addr)
			huge.freed[i] = 0;
}

/* Caller holds the lock. */
static void freed_record(uintptr_t addr)
{
	huge.freed[huge.freed_next] = addr;
	huge.freed_next = (huge.freed_next + 1) % FREED_SLOTS;
}

/* At most half the huge memory in use, or CACHE_MIN_BYTES. */
static size_t cache_limit(void)
{
	size_t half = (size_t)(huge.bytes / 2);

	return half > CACHE_MIN_BYTES ? half : CACHE_MIN_BYTES;
}

/* Move cache entry i to the unmap list. Caller holds the lock. */
static void cache_drop(unsigned i, struct unmap_list *out)
{
	out->b[out->n++] = huge.cache[i];
	huge.cached_bytes -= huge.cache[i].len;
	memmove(&huge.cache[i], &huge.cache[i + 1],
	        (huge.nr_cached - i - 1) * sizeof(huge.cache[0]));
	huge.nr_cached--;
}

/* Take cache entry i out for reuse. Caller holds the lock. */
static struct cached_block cache_take(unsigned i)
{
	struct cached_block b = huge.cache[i];
	struct unmap_list none;

	none.n = 0;
	cache_drop(i, &none);
	return b;
}

/* Drop the blocks older than decay_ms. Caller holds the lock. */
static void cache_expire(uint64_t now, struct unmap_list *out)
{
	while (huge.nr_cached && now - huge.cache[0].freed_ms >= (uint64_t)pga_opts.decay_ms)
		cache_drop(0, out);
}

static void unmap_all(const struct unmap_list *l)
{
	for (unsigned i = 0; i < l->n; i++)
		pga_os_unmap((void *)l->b[i].addr, l->b[i].len);
}

static inline size_t entry_size(const struct huge_entry *e)
{
	return e->size_shift & ~(size_t)SHIFT_MASK;
}

static inline size_t entry_align(const struct huge_entry *e)
{
	return (size_t)1 << (e->size_shift & SHIFT_MASK);
}

/* Home slot of addr. Huge allocations are page aligned, so the low 12 bits
 * carry no information; the golden-ratio multiplier spreads the rest, and
 * its top bits (the well-mixed ones) pick the slot. */
static inline size_t home_slot(uintptr_t addr)
{
	uint64_t key = (uint64_t)addr >> PGA_PAGE_SHIFT;
	return (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> huge.hash_shift);
}

/* The slot holding addr, or NULL. Caller holds the lock. */
static struct huge_entry *table_find(uintptr_t addr)
{
	if (!huge.slots)
		return NULL;
	for (size_t i = home_slot(addr);; i = (i + 1) & huge.mask) {
		struct huge_entry *e = &huge.slots[i];
		if (e->addr == addr)
			return e;
		if (!e->addr)
			return NULL;
	}
}

/* Put an entry whose key is not in the table into the first free slot of
 * its probe sequence. Caller holds the lock and has made room. */
static void table_place(uintptr_t addr, size_t size_shift)
{
	size_t i = home_slot(addr);

	while (huge.slots[i].addr) {
		PGA_BUG_ON(huge.slots[i].addr == addr);
		i = (i + 1) & huge.mask;
	}
	huge.slots[i].addr = addr;
	huge.slots[i].size_shift = size_shift;
}

/*
 * Double the table (or create the first one): map the new slots, rehash
 * every entry into them, release the old ones. Caller holds the lock.
 * Returns false, leaving the old table as it was, when no memory is left.
 */
static bool table_grow(void)
{
	struct huge_entry *old = huge.slots;
	size_t old_slots = old ? huge.mask + 1 : 0;
	size_t slots = old ? old_slots * 2 : MIN_SLOTS;
	size_t bytes = slots * sizeof(struct huge_entry);
	struct huge_entry *fresh;

	if (slots < old_slots || bytes / sizeof(struct huge_entry) != slots)
		return false;
	fresh = pga_os_reserve(bytes, PGA_PAGE_SIZE);
	if (!fresh)
		return false;
	if (!pga_os_commit(fresh, bytes)) {
		pga_os_release(fresh, bytes);
		return false;
	}
	/* Committed memory reads as zero: every slot starts empty. */
	huge.slots = fresh;
	huge.mask = slots - 1;
	huge.hash_shift = 64 - pga_ilog2(slots);
	for (size_t i = 0; i < old_slots; i++)
		if (old[i].addr)
			table_place(old[i].addr, old[i].size_shift);
	if (old)
		pga_os_release(old, old_slots * sizeof(struct huge_entry));
	return true;
}

/* Insert a new entry, growing the table first if it would pass half full.
 * Caller holds the lock. Returns false when the table cannot grow. */
static bool table_insert(uintptr_t addr, size_t size_shift)
{
	if (!huge.slots || (huge.used + huge.reserved + 1) * 2 > huge.mask + 1) {
		if (!table_grow())
			return false;
	}
	table_place(addr, size_shift);
	huge.used++;
	huge.bytes += size_shift & ~(size_t)SHIFT_MASK;
	return true;
}

/*
 * Remove the entry in slot e. Backward shift: walk the run of occupied
 * slots after the hole and move back each entry whose home slot does not
 * lie cyclically in (hole, its slot], i.e. whose probe sequence passes
 * through the hole; the run then reads as if the entry had never been
 * inserted. Caller holds the lock.
 */
static void table_remove(struct huge_entry *e)
{
	size_t hole = (size_t)(e - huge.slots);

	huge.used--;
	huge.bytes -= entry_size(e);
	for (size_t j = (hole + 1) & huge.mask; huge.slots[j].addr; j = (j + 1) & huge.mask) {
		size_t home = home_slot(huge.slots[j].addr);
		if (((j - home) & huge.mask) >= ((j - hole) & huge.mask)) {
			huge.slots[hole] = huge.slots[j];
			hole = j;
		}
	}
	huge.slots[hole].addr = 0;
	huge.slots[hole].size_shift = 0;
}

/* Page-rounded mapping size for a request of size bytes (at least one
 * page), or 0 when rounding overflows. */
static size_t map_size(size_t size)
{
	if (size > SIZE_MAX - (PGA_PAGE_SIZE - 1))
		return 0;
	return size ? (size_t)pga_round_up(size, PGA_PAGE_SIZE) : PGA_PAGE_SIZE;
}

/*
 * A cached block for len bytes, taken out of the cache: the smallest that
 * holds len and is at most twice it, else the largest smaller one (to be
 * grown), of the kernel node node (-1: any). {0, 0} when there is none.
 * Caller holds the lock.
 */
static struct cached_block cache_find(size_t len, int node)
{
	int fit = -1, grow = -1;

	if (node == PGA_HUGE_NODE_NONE)
		return (struct cached_block){0, 0, 0, -1};
	for (unsigned i = 0; i < huge.nr_cached; i++) {
		size_t l = huge.cache[i].len;
		if (huge.cache[i].node >= 0 && node >= 0 && huge.cache[i].node != node)
			continue;
		if (l >= len && l / 2 <= len) {
			if (fit < 0 || l < huge.cache[fit].len)
				fit = (int)i;
		} else if (l < len && (grow < 0 || l > huge.cache[grow].len)) {
			grow = (int)i;
		}
	}
	if (fit >= 0)
		return cache_take((unsigned)fit);
	if (grow >= 0)
		return cache_take((unsigned)grow);
	return (struct cached_block){0, 0, 0, -1};
}

/*
 * huge_guard_pages: the block at p (len bytes, aligned to align) has an
 * inaccessible page on either side: it is mapped align + len + one page,
 * the block at align from the start, the page before it and the page after
 * it PROT_NONE. Such blocks are never cached (their mapping is not the
 * block's) nor resized in place (the malloc layer moves them).
 */
static void *guarded_map(size_t len, size_t align)
{
	if (len > SIZE_MAX - align - PGA_PAGE_SIZE)
		return NULL;
	char *base = pga_os_map(align + len + PGA_PAGE_SIZE, align);
	if (!base)
		return NULL;
	char *p = base + align;
	if (!pga_os_guard(p - PGA_PAGE_SIZE, PGA_PAGE_SIZE) ||
	    !pga_os_guard(p + len, PGA_PAGE_SIZE)) {
		pga_os_unmap(base, align + len + PGA_PAGE_SIZE);
		return NULL;
	}
	pga_os_name_mapping(p, len, "pgalloc huge");
	return p;
}

static void guarded_unmap(void *p, size_t len, size_t align)
{
	pga_os_unmap((char *)p - align, align + len + PGA_PAGE_SIZE);
}

void *pga_huge_alloc(size_t size, size_t align, bool zero)
{
	size_t len = map_size(size);
	struct unmap_list old = {.n = 0};
	struct cached_block b = {0, 0, 0, -1};
	unsigned shift;
	void *p = NULL;
	bool ok;

	PGA_BUG_ON(align & (align - 1));
	if (align < PGA_PAGE_SIZE)
		align = PGA_PAGE_SIZE;
	shift = pga_ilog2(align);
	if (!len)
		goto nomem;
	if (pga_harden.guard_pages) {
		p = guarded_map(len, align);
		if (!p)
			goto nomem;
	} else if (align == PGA_PAGE_SIZE) {
		pthread_mutex_lock(&huge.lock);
		cache_expire(pga_os_now_ms(), &old);
		b = cache_find(len, pga_thread_huge_node());
		pthread_mutex_unlock(&huge.lock);
		unmap_all(&old);
	}
	if (b.len >= len) {
		p = (void *)b.addr;
		len = b.len;
		if (zero)
			memset(p, 0, size);
	} else if (b.len) {
		/* Grow it: the pages it has stay, the tail is fresh (zero). */
		p = pga_os_remap((void *)b.addr, b.len, len);
		if (!p)
			pga_os_unmap((void *)b.addr, b.len);
		else if (zero)
			memset(p, 0, b.len);
	}
	if (!p) {
		/* A huge allocation is used whole: huge pages for it unless
		 * thp=never, on a 2 MiB boundary so that all of it can be
		 * (an mremap keeps the advice). */
		size_t thp_align = (size_t)PGA_PAGEBLOCK_PAGES << PGA_PAGE_SHIFT;
		bool thp = pga_opts.thp != PGA_THP_NEVER && len >= 2 * thp_align;
		size_t map_align = thp && align < thp_align ? thp_align : align;
		p = pga_os_map(len, map_align);
		/* Refused (the address space or commit limit reached): the
		 * cached blocks hold both; give them back and try once more. */
		if (!p && pga_huge_shrink(true))
			p = pga_os_map(len, map_align);
		if (p) {
			pga_os_thp(p, len, thp ? PGA_OS_THP_ALLOW : PGA_OS_THP_FORBID);
			/* [anon:pgalloc huge] in /proc/PID/maps */
			pga_os_name_mapping(p, len, "pgalloc huge");
		}
	}
	if (!p)
		goto nomem;
	PGA_BUG_ON((uintptr_t)p & (align - 1));

	pthread_mutex_lock(&huge.lock);
	ok = table_insert((uintptr_t)p, len | shift);
	if (ok)
		freed_forget((uintptr_t)p);
	pthread_mutex_unlock(&huge.lock);
	if (likely(ok))
		return p;
	if (pga_harden.guard_pages)
		guarded_unmap(p, len, align);
	else
		pga_os_unmap(p, len);
nomem:
	errno = ENOMEM;
	return NULL;
}

bool pga_huge_free(void *p)
{
	struct unmap_list out = {.n = 0};
	struct huge_entry *e;
	size_t len = 0, align = 0;
	bool cached = false;

	/* Every huge allocation starts on a page: anything else is not one,
	 * and costs no lock to say so. */
	if (!p || ((uintptr_t)p & (PGA_PAGE_SIZE - 1)))
		return false;
	/* Where the block lies, asked before the lock (a system call; only
	 * with more than one real node, where it can differ). */
	int node = pga_mem.multi_real ? pga_os_page_node(p) : -1;
	if (node < 0)
		node = -1;
	pthread_mutex_lock(&huge.lock);
	e = table_find((uintptr_t)p);
	if (e) {
		len = entry_size(e);
		align = entry_align(e);
		bool plain = align <= PGA_PAGE_SIZE && !pga_harden.guard_pages;
		table_remove(e);
		freed_record((uintptr_t)p);
		uint64_t now = pga_os_now_ms();
		cache_expire(now, &out);
		if (plain && pga_opts.decay_ms > 0 && len <= cache_limit()) {
			while (huge.nr_cached == CACHE_SLOTS ||
			       huge.cached_bytes + len > cache_limit())
				cache_drop(0, &out);
			huge.cache[huge.nr_cached++] =
			    (struct cached_block){(uintptr_t)p, len, now, node};
			huge.cached_bytes += len;
			cached = true;
		}
	}
	pthread_mutex_unlock(&huge.lock);
	/* Out of the table, but still mapped until here: no other thread can
	 * be given this address before the unmap. */
	if (len && !cached) {
		if (pga_harden.guard_pages)
			guarded_unmap(p, len, align < PGA_PAGE_SIZE ? PGA_PAGE_SIZE : align);
		else
			pga_os_unmap(p, len);
	}
	if (cached)
		pga_kswapd_kick();
	unmap_all(&out);
	return len != 0;
}

unsigned long pga_huge_shrink(bool all)
{
	struct unmap_list out = {.n = 0};
	unsigned long pages = 0;

	pthread_mutex_lock(&huge.lock);
	if (all) {
		while (huge.nr_cached)
			cache_drop(0, &out);
	} else {
		cache_expire(pga_os_now_ms(), &out);
	}
	pthread_mutex_unlock(&huge.lock);
	for (unsigned i = 0; i < out.n; i++)
		pages += out.b[i].len >> PGA_PAGE_SHIFT;
	unmap_all(&out);
	return pages;
}

size_t pga_huge_usable_size(const void *p)
{
	struct huge_entry *e;
	size_t len = 0;

	if (!p || ((uintptr_t)p & (PGA_PAGE_SIZE - 1)))
		return 0;
	pthread_mutex_lock(&huge.lock);
	e = table_find((uintptr_t)p);
	if (e)
		len = entry_size(e);
	pthread_mutex_unlock(&huge.lock);
	return len;
}

enum pga_huge_kind pga_huge_lookup(const void *p, size_t *usable)
{
	uintptr_t a = (uintptr_t)p;
	enum pga_huge_kind kind = PGA_HUGE_NONE;

	*usable = 0;
	pthread_mutex_lock(&huge.lock);
	struct huge_entry *e = (a & (PGA_PAGE_SIZE - 1)) ? NULL : table_find(a);
	if (e) {
		kind = PGA_HUGE_LIVE;
		*usable = entry_size(e);
		goto out;
	}
	/* Not a start: inside a live block? O(table): only for pointers that
	 * are about to be reported. */
	for (size_t i = 0; huge.slots && i <= huge.mask; i++) {
		const struct huge_entry *s = &huge.slots[i];
		if (s->addr && a - s->addr < entry_size(s)) {
			kind = PGA_HUGE_INTERIOR;
			goto out;
		}
	}
	for (unsigned i = 0; i < huge.nr_cached; i++)
		if (a == huge.cache[i].addr)
			kind = PGA_HUGE_FREED;
	for (unsigned i = 0; a && i < FREED_SLOTS; i++)
		if (a == huge.freed[i])
			kind = PGA_HUGE_FREED;
out:
	pthread_mutex_unlock(&huge.lock);
	return kind;
}

/*
 * Resizing runs mremap outside the lock. The entry leaves the table first
 * and its slot stays reserved (huge.reserved), so the re-insertion, at the
 * new address or back at the old one, needs no growth and cannot fail.
 * While in flight the allocation is not in the table; only a caller racing
 * with its own realloc (a bug in any allocator) could notice.
 *
 * An over-aligned allocation keeps its alignment: a plain mremap may move
 * it to any page, so it is resized in place or its pages are moved into an
 * aligned reservation; either way nothing is copied.
 */
void *pga_huge_realloc(void *p, size_t size)
{
	size_t len = map_size(size);
	size_t old_len, align, size_shift;
	struct huge_entry *e;
	void *q;
	bool ok;

	if (!len) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&huge.lock);
	e = table_find((uintptr_t)p);
	/* The caller (the malloc layer) only passes huge allocations. */
	PGA_CHECK(e);
	size_shift = e->size_shift;
	old_len = entry_size(e);
	align = entry_align(e);
	if (old_len == len) {
		pthread_mutex_unlock(&huge.lock);
		return p;
	}
	table_remove(e);
	huge.reserved++;
	pthread_mutex_unlock(&huge.lock);

	if (align <= PGA_PAGE_SIZE)
		q = pga_os_remap(p, old_len, len);
	else
		q = pga_os_remap_aligned(p, old_len, len, align);
	PGA_BUG_ON((uintptr_t)q & (align - 1));

	pthread_mutex_lock(&huge.lock);
	huge.reserved--;
	/* Cannot fail: the reservation kept room for it. */
	ok = q ? table_insert((uintptr_t)q, len | (size_shift & SHIFT_MASK))
	       : table_insert((uintptr_t)p, size_shift);
	if (q && q != p) {
		freed_forget((uintptr_t)q);
		freed_record((uintptr_t)p);
	}
	pthread_mutex_unlock(&huge.lock);
	PGA_CHECK(ok);
	if (!q)
		errno = ENOMEM;
	return q;
}

void pga_huge_usage(uint64_t *count, uint64_t *bytes)
{
	pthread_mutex_lock(&huge.lock);
	*count = huge.used;
	*bytes = huge.bytes;
	pthread_mutex_unlock(&huge.lock);
}

void pga_huge_cache_usage(uint64_t *count, uint64_t *bytes)
{
	pthread_mutex_lock(&huge.lock);
	*count = huge.nr_cached;
	*bytes = huge.cached_bytes;
	pthread_mutex_unlock(&huge.lock);
}

void pga_huge_lock(void)
{
	pthread_mutex_lock(&huge.lock);
}

void pga_huge_unlock(void)
{
	pthread_mutex_unlock(&huge.lock);
}

/*
 * In the child of fork, instead of pga_huge_unlock. Reallocs that were in
 * flight in the parent belong to threads the child does not have: their
 * reservations will never be used, so they are dropped (the mappings they
 * were resizing stay mapped in the child, unreachable, as would any memory
 * those threads had in hand).
 */
void pga_huge_reinit_lock(void)
{
	pthread_mutex_init(&huge.lock, NULL);
	huge.reserved = 0;
}
