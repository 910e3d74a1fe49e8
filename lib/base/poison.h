/* SPDX-License-Identifier: MIT */
/*
 * poison.h - the byte patterns of the opt-in memory checks (harden=full,
 * docs/hardening.md), as the kernel's poison.h has them: freed memory is
 * filled with PGA_POISON_FREE and checked when it is handed out again; a
 * red zone after a small object holds PGA_POISON_RED and is checked when
 * the object is freed.
 */
#ifndef PGA_POISON_H
#define PGA_POISON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PGA_POISON_FREE 0x6b /* the kernel's POISON_FREE */
#define PGA_POISON_RED  0xcc /* the kernel's SLUB_RED_ACTIVE */

static inline void pga_poison_fill(void *p, size_t n, uint8_t b)
{
	memset(p, b, n);
}

/* Do the n bytes at p all hold b? */
static inline bool pga_poison_intact(const void *p, size_t n, uint8_t b)
{
	const unsigned char *c = p;
	uint64_t w = 0x0101010101010101ull * b;
	size_t i = 0;

	for (; i < n && ((uintptr_t)(c + i) & 7); i++)
		if (c[i] != b)
			return false;
	for (; i + 8 <= n; i += 8) {
		uint64_t v;
		memcpy(&v, c + i, 8);
		if (v != w)
			return false;
	}
	for (; i < n; i++)
		if (c[i] != b)
			return false;
	return true;
}

/* Freed pages, checked when they are allocated again: each page of the n
 * bytes at p (a whole number of pages of size page) holds the poison, or
 * only zeroes (never used, or given back to the kernel meanwhile, which
 * hands it out zeroed). */
static inline bool pga_poison_pages_intact(const void *p, size_t n, size_t page)
{
	for (size_t off = 0; off < n; off += page) {
		const char *pg = (const char *)p + off;
		if (!pga_poison_intact(pg, page, PGA_POISON_FREE) &&
		    !pga_poison_intact(pg, page, 0))
			return false;
	}
	return true;
}

#endif /* PGA_POISON_H */
