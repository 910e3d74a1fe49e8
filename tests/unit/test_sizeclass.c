/* SPDX-License-Identifier: MIT */
/*
 * test_sizeclass.c - the size-class spec of sizeclass.h, over every size:
 * each request from 1 to PGA_SLAB_MAX maps to the smallest class that holds
 * it; classes increase strictly in steps of PGA_QUANTUM multiples; the
 * waste bound holds; every slab holds at least 8 objects with at most 1/8
 * of it left over; pga_obj_index() is an exact division for every offset
 * of every class's slab; and malloc's usable size is the class size for
 * every request size.
 */
#define _GNU_SOURCE
#include "check.h"
#include "malloc_layer.h"
#include "pgalloc.h"
#include "sizeclass.h"

static void test_classes(void)
{
	pga_sizeclass_init();

	uint32_t prev = 0;
	for (unsigned cls = 0; cls < PGA_NR_SIZE_CLASSES; cls++) {
		const struct pga_sizeclass *sc = &pga_size_classes[cls];
		CHECK(sc->size > prev);
		CHECK_EQ(sc->size % PGA_QUANTUM, 0);
		prev = sc->size;

		uint32_t slab_bytes = (uint32_t)PGA_PAGE_SIZE << sc->order;
		CHECK(sc->order < PGA_MAX_ORDER);
		CHECK_EQ(sc->objects, slab_bytes / sc->size);
		CHECK(sc->objects >= 8);
		CHECK(sc->objects >= PGA_SLAB_MIN_OBJECTS || slab_bytes >= PGA_SLAB_MIN_BYTES);
		CHECK(slab_bytes % sc->size <= slab_bytes / 8);
		/* The smallest such order: one less would break a rule. */
		if (sc->order > 0) {
			uint32_t half = slab_bytes / 2;
			CHECK(
			    half / sc->size < 8 ||
			    (half / sc->size < PGA_SLAB_MIN_OBJECTS && half < PGA_SLAB_MIN_BYTES) ||
			    half % sc->size > half / 8);
		}
		/* A slab never reaches the 2^20 bound of pga_obj_index. */
		CHECK(slab_bytes <= (1u << 20));
	}
	CHECK_EQ(pga_size_classes[0].size, PGA_QUANTUM);
	CHECK_EQ(pga_size_classes[PGA_NR_SIZE_CLASSES - 1].size, PGA_SLAB_MAX);

	/* The spec: every multiple of 16 up to 128, then four classes per
	 * doubling, 2^p + k * 2^(p-2). */
	for (unsigned cls = 0; cls < 8; cls++)
		CHECK_EQ(pga_size_classes[cls].size, (cls + 1) * 16);
	for (unsigned cls = 8; cls < PGA_NR_SIZE_CLASSES; cls++) {
		unsigned p = 7 + (cls - 8) / 4, k = (cls - 8) % 4 + 1;
		CHECK_EQ(pga_size_classes[cls].size, (1u << p) + k * (1u << (p - 2)));
	}
}

static void test_every_size(void)
{
	double worst = 0;
	size_t worst_size = 0;
	long bad_class = 0, bad_waste = 0, over_doc = 0;

	/* 0 is a 1-byte request. */
	CHECK_EQ(pga_size_to_class(0), 0);
	for (size_t size = 1; size <= PGA_SLAB_MAX; size++) {
		unsigned cls = pga_size_to_class(size);
		if (cls >= PGA_NR_SIZE_CLASSES) {
			bad_class++;
			if (bad_class < 10)
				fprintf(stderr, "size %zu: class %u out of range\n", size, cls);
			continue;
		}
		uint32_t csize = pga_size_classes[cls].size;
		uint32_t below = cls ? pga_size_classes[cls - 1].size : 0;
		if (csize < size || below >= size) {
			bad_class++;
			if (bad_class < 10)
				fprintf(stderr, "size %zu: class %u (%u bytes), previous %u\n",
				        size, cls, csize, below);
		}
		/*
		 * Waste. With a 16-byte quantum no spec can keep it under 20%
		 * for 17..64 bytes (17 needs 32: 47%); what a quantum spacing
		 * guarantees there is less than one quantum. Above 64 the
		 * classes are at most 1/4 apart (the 16-byte steps, then four
		 * per doubling): under 20%, approaching it one byte past each
		 * doubling (16385 -> 20480: 19.995%).
		 */
		double waste = (double)(csize - size) / csize;
		if (size > 64 && waste > worst) {
			worst = waste;
			worst_size = size;
		}
		if (size > 16 && waste >= 0.20)
			over_doc++;
		bool ok = size > 64 ? waste < 0.20 : csize - size < PGA_QUANTUM;
		if (!ok) {
			bad_waste++;
			if (bad_waste < 10)
				fprintf(stderr, "size %zu: class %u wastes %.1f%%\n", size, csize,
				        waste * 100);
		}
	}
	CHECK_EQ(bad_class, 0);
	CHECK_EQ(bad_waste, 0);
	CHECK(worst < 0.20);
	/* sizeclass.h once claimed "below 20% for every request above 16
	 * bytes"; say how far from that the sizes up to 64 are. */
	if (over_doc)
		printf("note: %ld sizes in 17..64 waste 20%% or more (17 -> 32: 46.9%%)\n",
		       over_doc);
	printf("worst waste above 64 bytes: %.3f%% at %zu bytes\n", worst * 100, worst_size);

	/* The table ends where the slab classes do: its last entry is the
	 * largest class, of exactly the largest slab size. */
	CHECK_EQ(pga_size_to_class(PGA_SLAB_MAX), PGA_NR_SIZE_CLASSES - 1);
	CHECK_EQ(pga_size_classes[pga_size_to_class(PGA_SLAB_MAX)].size, PGA_SLAB_MAX);
}

static void test_obj_index(void)
{
	long bad = 0;

	for (unsigned cls = 0; cls < PGA_NR_SIZE_CLASSES; cls++) {
		const struct pga_sizeclass *sc = &pga_size_classes[cls];
		uint32_t slab_bytes = (uint32_t)PGA_PAGE_SIZE << sc->order;
		for (uint32_t off = 0; off < slab_bytes; off++) {
			if (pga_obj_index(sc, off) != off / sc->size) {
				bad++;
				if (bad < 10)
					fprintf(stderr, "class %u: index(%u) = %u, want %u\n",
					        sc->size, off, pga_obj_index(sc, off),
					        off / sc->size);
			}
		}
	}
	CHECK_EQ(bad, 0);
}

static void test_usable_size(void)
{
	long bad = 0;

	for (size_t size = 1; size <= PGA_SLAB_MAX; size++) {
		void *p = pga_malloc(size);
		if (!p) {
			bad++;
			fprintf(stderr, "malloc(%zu) failed\n", size);
			continue;
		}
		size_t want = pga_size_classes[pga_size_to_class(size)].size;
		size_t got = pga_malloc_usable_size(p);
		if (got != want || ((uintptr_t)p & 15)) {
			bad++;
			if (bad < 10)
				fprintf(stderr, "malloc(%zu) = %p: usable %zu, want %zu\n", size, p,
				        got, want);
		}
		/* The whole usable size is the caller's. */
		((char *)p)[got - 1] = 1;
		((char *)p)[0] = 1;
		pga_free(p);
	}
	CHECK_EQ(bad, 0);
}

int main(void)
{
	test_classes();
	test_every_size();
	test_obj_index();
	test_usable_size();
	return t_done("test_sizeclass");
}
