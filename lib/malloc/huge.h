/* SPDX-License-Identifier: MIT */
/*
 * huge.h - allocations too large for the buddy allocator (above 4 MiB, or
 * aligned beyond it): mapped directly and tracked in a hash table keyed by
 * address, so that free, realloc and malloc_usable_size find them in O(1)
 * and a pointer pgalloc never returned is recognised as such.
 */
#ifndef PGA_HUGE_H
#define PGA_HUGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At least size bytes aligned to align (a power of two; <= page size
 * means page alignment): a block from the huge cache, or a fresh mapping;
 * the first size bytes zeroed when zero. NULL with errno ENOMEM on
 * failure. */
void *pga_huge_alloc(size_t size, size_t align, bool zero);

/* If p is the start of a huge allocation, free it (into the huge cache, or
 * unmapped) and return true. */
bool pga_huge_free(void *p);

/* Unmap the blocks of the huge cache, every one (all: malloc_trim, direct
 * reclaim) or those older than decay_ms (background reclaim): the page
 * client's shrinker. Returns the pages unmapped. */
unsigned long pga_huge_shrink(bool all);

/* Usable bytes of the huge allocation starting at p, or 0 when p is not
 * one. */
size_t pga_huge_usable_size(const void *p);

/* What p is to the huge table (for the reports of misuse): the start of a
 * live block (*usable its size), a pointer inside one, the start of a
 * block freed lately (in the huge cache, or among the last 64 freed), or
 * none of these. Takes the table lock; O(live blocks) for a pointer that is
 * not a start. */
enum pga_huge_kind { PGA_HUGE_NONE, PGA_HUGE_LIVE, PGA_HUGE_INTERIOR, PGA_HUGE_FREED };
enum pga_huge_kind pga_huge_lookup(const void *p, size_t *usable);

/* Resize the huge allocation p to size bytes (mremap, may move; an
 * over-aligned block keeps its alignment); returns the new address, or NULL
 * with errno ENOMEM (p is then untouched). */
void *pga_huge_realloc(void *p, size_t size);

/* Number and total mapped bytes of live huge allocations. */
void pga_huge_usage(uint64_t *count, uint64_t *bytes);

/* Number and total bytes of freed blocks kept in the huge cache for reuse
 * (mapped, possibly resident), under the table lock. */
void pga_huge_cache_usage(uint64_t *count, uint64_t *bytes);

/* Fork handlers: hold the table lock across fork. */
void pga_huge_lock(void);
void pga_huge_unlock(void);
void pga_huge_reinit_lock(void);

#endif /* PGA_HUGE_H */
