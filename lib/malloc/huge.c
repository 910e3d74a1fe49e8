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
 */
#include "huge.h"

#include <errno.h>
#include <pthread.h>

#include "compiler.h"
#include "os.h"
#include "pgalloc.h"

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
} huge = {.lock = PTHREAD_MUTEX_INITIALIZER};

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

void *pga_huge_alloc(size_t size, size_t align)
{
	size_t len = map_size(size);
	unsigned shift;
	void *p;
	bool ok;

	PGA_BUG_ON(align & (align - 1));
	if (align < PGA_PAGE_SIZE)
		align = PGA_PAGE_SIZE;
	shift = pga_ilog2(align);
	if (!len)
		goto nomem;
	p = pga_os_map(len, align);
	if (!p)
		goto nomem;
	PGA_BUG_ON((uintptr_t)p & (align - 1));

	pthread_mutex_lock(&huge.lock);
	ok = table_insert((uintptr_t)p, len | shift);
	pthread_mutex_unlock(&huge.lock);
	if (likely(ok))
		return p;
	pga_os_unmap(p, len);
nomem:
	errno = ENOMEM;
	return NULL;
}

bool pga_huge_free(void *p)
{
	struct huge_entry *e;
	size_t len = 0;

	/* Every huge allocation starts on a page: anything else is not one,
	 * and costs no lock to say so. */
	if (!p || ((uintptr_t)p & (PGA_PAGE_SIZE - 1)))
		return false;
	pthread_mutex_lock(&huge.lock);
	e = table_find((uintptr_t)p);
	if (e) {
		len = entry_size(e);
		table_remove(e);
	}
	pthread_mutex_unlock(&huge.lock);
	/* Out of the table, but still mapped until here: no other thread can
	 * be given this address before the unmap. */
	if (len)
		pga_os_unmap(p, len);
	return len != 0;
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
