/* SPDX-License-Identifier: MIT */
/*
 * nodemask.h - sets of nodes (pga_nodemask_t, pgalloc.h) and the bit
 * operations the rest of pgalloc needs on them, in one place.
 */
#ifndef PGA_NODEMASK_H
#define PGA_NODEMASK_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "pgalloc.h"

/* The kernel's node distances without a firmware table: 10 to itself,
 * 20 to any other node. */
#define PGA_LOCAL_DISTANCE  10
#define PGA_REMOTE_DISTANCE 20

static inline bool pga_bit_test(const uint64_t *bits, unsigned long i)
{
	return (bits[i / 64] >> (i % 64)) & 1u;
}

static inline void pga_bit_set(uint64_t *bits, unsigned long i)
{
	bits[i / 64] |= (uint64_t)1 << (i % 64);
}

static inline bool pga_nodemask_test(const pga_nodemask_t *m, int nid)
{
	return pga_bit_test(m->bits, (unsigned long)nid);
}

static inline void pga_nodemask_set(pga_nodemask_t *m, int nid)
{
	pga_bit_set(m->bits, (unsigned long)nid);
}

static inline bool pga_nodemask_empty(const pga_nodemask_t *m)
{
	for (size_t i = 0; i < PGA_ARRAY_SIZE(m->bits); i++)
		if (m->bits[i])
			return false;
	return true;
}

/* Nodes 0 .. nr - 1. */
static inline void pga_nodemask_fill(pga_nodemask_t *m, int nr)
{
	*m = (pga_nodemask_t){{0}};
	for (int n = 0; n < nr; n++)
		pga_nodemask_set(m, n);
}

#endif /* PGA_NODEMASK_H */
