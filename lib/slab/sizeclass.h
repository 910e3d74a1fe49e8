/* SPDX-License-Identifier: MIT */
/*
 * sizeclass.h - the one size-class spec of the slab layer; every table is
 * built from it by pga_sizeclass_init().
 *
 * Spec. Sizes are multiples of PGA_QUANTUM (16 bytes, malloc's alignment).
 * Up to 128 bytes every multiple of 16 is a class: 16, 32, ..., 128. Above
 * 128, each doubling (2^p, 2^(p+1)] is cut into four classes:
 * 2^p + k * 2^(p-2) for k = 1..4, up to PGA_SLAB_MAX (32 KiB):
 *
 *   16 32 48 64 80 96 112 128 | 160 192 224 256 | 320 384 448 512 | ...
 *   ... | 20480 24576 28672 32768
 *
 * 40 classes. Internal waste (class size - request) / class size is below
 * 20% for every request above 64 bytes; the worst case is one byte past a
 * class boundary, 16385 -> 20480 (19.995%). At 64 bytes and below the
 * 16-byte quantum bounds the waste to 15 bytes (17 -> 32 is the worst
 * ratio, 47%), the price of malloc's 16-byte alignment.
 *
 * Slab size per class: the smallest 2^order pages holding at least 8
 * objects, and at least PGA_SLAB_MIN_OBJECTS (32) unless the slab already
 * has PGA_SLAB_MIN_BYTES (32 KiB), with at most 1/8 of the slab left over at
 * its end. The 32: a thread's slab of a class runs dry and is refilled
 * once per slab's worth of objects, so slabs of only 8 objects (a 4 KiB
 * slab of 512-byte objects) sent a third of the mallocs and frees of a
 * random-replacement workload (larson) out of line; with 32, 16% fewer
 * instructions there, and the same peak RSS on the other workloads.
 */
#ifndef PGA_SIZECLASS_H
#define PGA_SIZECLASS_H

#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

#define PGA_QUANTUM         16u
#define PGA_SLAB_MAX        32768u /* the largest slab class */
#define PGA_NR_SIZE_CLASSES 40u

#define PGA_SLAB_MIN_OBJECTS 32u    /* objects per slab, unless ... */
#define PGA_SLAB_MIN_BYTES   32768u /* ... the slab is this large already */

struct pga_sizeclass {
	uint32_t size;    /* object size in bytes */
	uint64_t recip;   /* ceil(2^40 / size): offset / size by a multiply */
	uint16_t objects; /* objects per slab */
	uint8_t order;    /* slab order */
};

extern struct pga_sizeclass pga_size_classes[PGA_NR_SIZE_CLASSES];
extern uint8_t pga_size_class_table[PGA_SLAB_MAX / PGA_QUANTUM + 1];

/* Class of a request of size bytes, size <= PGA_SLAB_MAX (0 is a 1-byte
 * request): one lookup in a table with a 16-byte step (2 KiB, every class
 * size being a multiple of the quantum). */
static inline unsigned pga_size_to_class(size_t size)
{
	return pga_size_class_table[(size + PGA_QUANTUM - 1) / PGA_QUANTUM];
}

/* Index of the object holding byte offset off of a slab: off / size by a
 * multiply. Exact for off < 2^20: the error of the rounded reciprocal stays
 * below 2^-20, far under the 1/size gap to the next integer (slabs are at
 * most 256 KiB). */
static inline uint32_t pga_obj_index(const struct pga_sizeclass *sc, uint32_t off)
{
	return (uint32_t)(((uint64_t)off * sc->recip) >> 40);
}

/* Build the tables from the spec. Idempotent. */
void pga_sizeclass_init(void);

#endif /* PGA_SIZECLASS_H */
