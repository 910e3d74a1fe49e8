/* SPDX-License-Identifier: MIT */
/*
 * pattern.h - what memory holds: a pattern derived from a key, filled and
 * checked later (key it with at least the address and size, and a sequence
 * number where one exists: any overlap with another live object, or a write
 * after free by the allocator, its freelist link, breaks it), and the check
 * that every byte has one value (zeroed memory, a fill that must survive).
 */
#ifndef PGA_TEST_PATTERN_H
#define PGA_TEST_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rand.h"

/* Whole words, then the tail bytes. */
static inline void t_fill(void *p, size_t size, uint64_t key)
{
	uint64_t *w = p, v = t_mix(key);
	size_t n = size / 8;

	for (size_t i = 0; i < n; i++)
		w[i] = v + i * 0x9e3779b97f4a7c15ULL;
	for (size_t i = n * 8; i < size; i++)
		((unsigned char *)p)[i] = (unsigned char)(v >> (8 * (i & 7)));
}

static inline bool t_verify(const void *p, size_t size, uint64_t key)
{
	const uint64_t *w = p;
	uint64_t v = t_mix(key);
	size_t n = size / 8;

	for (size_t i = 0; i < n; i++)
		if (w[i] != v + i * 0x9e3779b97f4a7c15ULL)
			return false;
	for (size_t i = n * 8; i < size; i++)
		if (((const unsigned char *)p)[i] != (unsigned char)(v >> (8 * (i & 7))))
			return false;
	return true;
}

/* Is every byte of [p, p + n) v? */
static inline bool t_all_bytes(const void *p, size_t n, unsigned char v)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != v)
			return false;
	return true;
}

#endif /* PGA_TEST_PATTERN_H */
