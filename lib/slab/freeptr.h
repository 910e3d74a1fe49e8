/* SPDX-License-Identifier: MIT */
/*
 * freeptr.h - how a free slab object is linked and marked, hardened as the
 * kernel's CONFIG_SLAB_FREELIST_HARDENED links are, with glibc's tcache key
 * for double frees.
 *
 * Every free object, wherever it is (a thread's cache, a slab's freelist, a
 * slab's remote stack), holds in its first two words (every size class is
 * at least 16 bytes):
 *
 *   word 0  its link to the next free object, stored as
 *           next ^ secret ^ (address of word 0): a pointer written over it
 *           after the free (a use after free, an overflow from the object
 *           before) decodes to an address outside the zones, which the
 *           next pop catches (pgalloc: malloc(): corrupted freelist); and
 *           reading it leaks neither the heap's addresses nor the secret.
 *   word 1  key: "this object is free". A free finds it and stops
 *           (pgalloc: free(): double free), wherever the first free put the
 *           object, with one load and compare on the fast path. Every
 *           allocation clears it, so a live object never carries it unless
 *           the program copied it out of freed memory: 64 random bits, the
 *           chance that live data equals it is 2^-64.
 *
 * secret and key are random per process (pga_freeptr_init, before the first
 * slab), kept apart (reading key out of a freed object tells nothing of
 * secret), the same in a fork child, whose heap is the parent's. Both are
 * written once before any slab exists and only read afterwards.
 */
#ifndef PGA_FREEPTR_H
#define PGA_FREEPTR_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"

struct pga_freeptr_keys {
	uintptr_t secret; /* mixed into every stored link */
	uintptr_t key;    /* word 1 of every free object; never 0 */
	/* Where the malloc fast path accepts a popped object: ZONE_NORMAL's
	 * arena, [base, base + bytes), copied here once the zones are laid
	 * out, so that the check reads the same cache line as the keys. A
	 * thread still on its boot state (an empty cache: NULL) may read them
	 * while start-up writes them: base is never 0 (1 before), so NULL
	 * fails the check whichever of the old and new values it reads. */
	uintptr_t base, bytes;
};
extern struct pga_freeptr_keys pga_freeptr;

/* Draw the keys and note the arena; idempotent, before the first slab is
 * made, after the zones are laid out. */
void pga_freeptr_init(void);

/* Does obj lie in ZONE_NORMAL's arena? NULL does not. */
static inline bool pga_freeptr_in_arena(const void *obj, const struct pga_freeptr_keys *k)
{
	return (uintptr_t)obj - PGA_READ_RACY(k->base) < PGA_READ_RACY(k->bytes);
}

/* The next free object after obj, as stored in obj. */
static inline void *pga_freeptr_get(const void *obj)
{
	return (void *)(*(const uintptr_t *)obj ^ pga_freeptr.secret ^ (uintptr_t)obj);
}

/* Link obj to next. */
static inline void pga_freeptr_set(void *obj, const void *next)
{
	*(uintptr_t *)obj = (uintptr_t)next ^ pga_freeptr.secret ^ (uintptr_t)obj;
}

/* Mark obj free (it is being freed), or live (it is being handed out). */
static inline void pga_freeptr_mark_free(void *obj)
{
	((uintptr_t *)obj)[1] = pga_freeptr.key;
}

static inline void pga_freeptr_mark_live(void *obj)
{
	((uintptr_t *)obj)[1] = 0;
}

/* Does obj carry the free key: freed and not handed out since? */
static inline bool pga_freeptr_is_free(const void *obj)
{
	return ((const uintptr_t *)obj)[1] == pga_freeptr.key;
}

#endif /* PGA_FREEPTR_H */
