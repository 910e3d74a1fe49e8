// SPDX-License-Identifier: MIT
/*
 * sizeclass.c - the size-class tables, built from the spec in sizeclass.h.
 */
#include "sizeclass.h"

#include "pgalloc.h"

struct pga_sizeclass pga_size_classes[PGA_NR_SIZE_CLASSES];
uint8_t pga_size_class_table[PGA_SLAB_MAX / PGA_QUANTUM + 1];

/* Class sizes in order, from the spec. */
static uint32_t class_size(unsigned cls)
{
	if (cls < 8)
		return (cls + 1) * PGA_QUANTUM;
	unsigned p = 7 + (cls - 8) / 4, k = (cls - 8) % 4 + 1;
	return (1u << p) + k * (1u << (p - 2));
}

static uint8_t slab_order(uint32_t size)
{
	for (uint8_t order = 0;; order++) {
		uint32_t bytes = (uint32_t)PGA_PAGE_SIZE << order;
		if (bytes / size >= 8 &&
		    (bytes / size >= PGA_SLAB_MIN_OBJECTS || bytes >= PGA_SLAB_MIN_BYTES) &&
		    bytes % size <= bytes / 8)
			return order;
	}
}

void pga_sizeclass_init(void)
{
	if (pga_size_classes[0].size)
		return;
	for (unsigned cls = 0; cls < PGA_NR_SIZE_CLASSES; cls++) {
		struct pga_sizeclass *sc = &pga_size_classes[cls];
		sc->size = class_size(cls);
		sc->order = slab_order(sc->size);
		sc->objects = (uint16_t)(((uint32_t)PGA_PAGE_SIZE << sc->order) / sc->size);
		sc->recip = (((uint64_t)1 << 40) + sc->size - 1) / sc->size;
	}
	/* The table: the first class that holds each 16-byte step. */
	unsigned cls = 0;
	for (unsigned i = 0; i <= PGA_SLAB_MAX / PGA_QUANTUM; i++) {
		uint32_t size = i ? i * PGA_QUANTUM : 1;
		while (pga_size_classes[cls].size < size)
			cls++;
		pga_size_class_table[i] = (uint8_t)cls;
	}
	PGA_CHECK(class_size(PGA_NR_SIZE_CLASSES - 1) == PGA_SLAB_MAX);
}

/* Build the tables when the library is loaded, before any thread can read
 * them: malloc's fast path looks a size up before it knows whether
 * pgalloc has started. */
__attribute__((constructor)) static void sizeclass_ctor(void)
{
	pga_sizeclass_init();
}
