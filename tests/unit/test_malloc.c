/* SPDX-License-Identifier: MIT */
/*
 * test_malloc.c - the malloc API against glibc's semantics: alignment of 16
 * for every size, the aligned allocators over every power-of-two alignment
 * up to 64 MiB, EINVAL and ENOMEM where glibc reports them, calloc's
 * overflow check and zeroing of recycled memory, malloc(0), realloc's
 * corner cases, content preservation across every kind of block (slab,
 * page run, huge mapping) and in-place resizing of page runs,
 * malloc_usable_size, pga_owns, mallinfo, malloc_trim, and pga_malloc_node
 * on a fake two-node machine.
 *
 * Each case runs in its own child process (t_run_with_conf), so that one
 * case's leftovers never explain another's result and the NUMA case gets
 * its own configuration. "test_malloc CASE" runs one case alone.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>

#include "check.h"
#include "child.h"
#include "malloc_layer.h"
#include "pattern.h"
#include "pgalloc.h"
#include "rand.h"
#include "sizeclass.h"
#include "slab.h"
#include "statm.h"
#include "units.h"

static bool aligned(const void *p, size_t align)
{
	return ((uintptr_t)p & (align - 1)) == 0;
}

/* Write the first and last byte of every page of [p, p + n) (of the first
 * and last MiB for a bigger block: each new page costs a fault) and read
 * them back: the whole block is the caller's and mapped. */
static bool touch(void *p, size_t n, unsigned char v)
{
	unsigned char *c = p;

	if (!n)
		return true;
	for (size_t i = 0; i < n; i += PGA_PAGE_SIZE) {
		if (i == MIB && n > 2 * MIB)
			i = (n - MIB) & ~(PGA_PAGE_SIZE - 1);
		c[i] = v;
	}
	c[n - 1] = v;
	for (size_t i = 0; i < n; i += PGA_PAGE_SIZE) {
		if (i == MIB && n > 2 * MIB)
			i = (n - MIB) & ~(PGA_PAGE_SIZE - 1);
		if (c[i] != v)
			return false;
	}
	return c[n - 1] == v;
}

/* ------------------------------------------------------------------ */
/* Alignment of 16 and usable size, every size                         */

static long check_plain(size_t size)
{
	void *p = pga_malloc(size);
	long bad = 0;

	if (!p) {
		fprintf(stderr, "malloc(%zu) failed\n", size);
		return 1;
	}
	size_t usable = pga_malloc_usable_size(p);
	if (!aligned(p, 16) || usable < size || !pga_owns(p)) {
		fprintf(stderr, "malloc(%zu) = %p: usable %zu, owned %d\n", size, p, usable,
		        pga_owns(p));
		bad++;
	}
	if (!touch(p, usable, (unsigned char)size)) {
		fprintf(stderr, "malloc(%zu) = %p: cannot write its usable size\n", size, p);
		bad++;
	}
	pga_free(p);
	return bad;
}

static void case_align16(void)
{
	long bad = 0;

	/* Every size through the slab classes and well into page runs. */
	for (size_t size = 0; size <= 80 * KIB; size++)
		bad += check_plain(size);
	/* Every page count up to 1 MiB, then every 61st up to 8 MiB (past
	 * the largest block, into huge mappings), one byte each side of the
	 * page boundary. */
	for (size_t pages = 20; pages <= 2048; pages += pages < 256 ? 1 : 61) {
		size_t size = pages * PGA_PAGE_SIZE;
		bad += check_plain(size - 1) + check_plain(size) + check_plain(size + 1);
	}
	static const size_t huge[] = {4 * MIB + 1, 5 * MIB, 16 * MIB - 1, 64 * MIB + 17};
	for (size_t i = 0; i < PGA_ARRAY_SIZE(huge); i++)
		bad += check_plain(huge[i]);
	CHECK_EQ(bad, 0);
	CHECK_EQ(pga_malloc_usable_size(NULL), 0);

	/* Many live objects at once: none overlaps another. */
	enum { N = 2000 };
	static unsigned char *live[N];
	unsigned long long seed = 1;
	for (int i = 0; i < N; i++) {
		size_t size = 1 + t_rand(&seed) % 3000;
		live[i] = pga_malloc(size);
		REQUIRE(live[i] != NULL);
		CHECK(aligned(live[i], 16));
		memset(live[i], i & 0xff, size);
		live[i][0] = (unsigned char)(i & 0xff);
	}
	seed = 1;
	for (int i = 0; i < N; i++) {
		size_t size = 1 + t_rand(&seed) % 3000;
		if (!t_all_bytes(live[i], size, (unsigned char)(i & 0xff)))
			bad++;
		pga_free(live[i]);
	}
	CHECK_EQ(bad, 0);
}

/* ------------------------------------------------------------------ */
/* The aligned allocators                                              */

enum aligned_fn { FN_POSIX, FN_ALIGNED, FN_MEMALIGN };
static const char *const fn_names[] = {"posix_memalign", "aligned_alloc", "memalign"};

static void *aligned_call(enum aligned_fn fn, size_t align, size_t size)
{
	void *p = NULL;

	switch (fn) {
	case FN_POSIX:
		if (pga_posix_memalign(&p, align, size) != 0)
			return NULL;
		return p;
	case FN_ALIGNED:
		return pga_aligned_alloc(align, size);
	case FN_MEMALIGN:
		return pga_memalign(align, size);
	}
	return NULL;
}

/* Allocate, check alignment and usable size, write the whole block. */
static long check_aligned(enum aligned_fn fn, size_t align, size_t size)
{
	void *p = aligned_call(fn, align, size);

	if (!p) {
		fprintf(stderr, "%s(%zu, %zu) failed\n", fn_names[fn], align, size);
		return 1;
	}
	long bad = 0;
	size_t usable = pga_malloc_usable_size(p);
	if (!aligned(p, align) || usable < size || !pga_owns(p)) {
		fprintf(stderr, "%s(%zu, %zu) = %p: usable %zu, owned %d\n", fn_names[fn], align,
		        size, p, usable, pga_owns(p));
		bad++;
	}
	memset(p, 0x5a, size);
	if (size && (((unsigned char *)p)[0] != 0x5a || ((unsigned char *)p)[size - 1] != 0x5a))
		bad++;
	pga_free(p);
	return bad;
}

static void case_aligned_sweep(void)
{
	long bad = 0;

	for (int fn = FN_POSIX; fn <= FN_MEMALIGN; fn++) {
		for (size_t align = 16; align <= 4 * MIB; align *= 2) {
			size_t sizes[] = {1,     8,         align / 2 + 1, align - 1,
			                  align, align + 1, 3 * align + 40};
			for (size_t i = 0; i < PGA_ARRAY_SIZE(sizes); i++)
				bad += check_aligned((enum aligned_fn)fn, align, sizes[i]);
		}
		/* Alignments beyond the largest buddy block: huge mappings. */
		for (size_t align = 8 * MIB; align <= 64 * MIB; align *= 2) {
			if (align == 32 * MIB)
				continue;
			size_t sizes[] = {1, 4096, align / 2, align + 1};
			for (size_t i = 0; i < PGA_ARRAY_SIZE(sizes); i++)
				bad += check_aligned((enum aligned_fn)fn, align, sizes[i]);
		}
		/* Size 0 is a valid request too. */
		void *p = aligned_call((enum aligned_fn)fn, 64, 0);
		CHECK(p != NULL && aligned(p, 64));
		pga_free(p);
	}
	CHECK_EQ(bad, 0);

	/* Many live aligned blocks of one alignment: none overlaps. */
	enum { N = 200 };
	void *live[N];
	for (int i = 0; i < N; i++) {
		live[i] = pga_memalign(4096, 100 + (size_t)i * 37);
		REQUIRE(live[i] != NULL);
		CHECK(aligned(live[i], 4096));
		memset(live[i], i, 100 + (size_t)i * 37);
	}
	for (int i = 0; i < N; i++) {
		CHECK(t_all_bytes(live[i], 100 + (size_t)i * 37, (unsigned char)i));
		pga_free(live[i]);
	}

	/* memalign rounds a non-power-of-two alignment up, as glibc does. */
	size_t odd[] = {24, 48, 100, 3000, 5000, 70000};
	for (size_t i = 0; i < PGA_ARRAY_SIZE(odd); i++) {
		size_t up = 1;
		while (up < odd[i])
			up *= 2;
		void *p = pga_memalign(odd[i], 1000);
		CHECK(p != NULL && aligned(p, up));
		pga_free(p);
	}
	/* Alignments of 1..8 are just malloc. */
	for (size_t a = 1; a <= 8; a *= 2) {
		void *p = pga_memalign(a, 10);
		CHECK(p != NULL && aligned(p, 16));
		pga_free(p);
	}
}

static void case_einval(void)
{
	static const size_t bad_align[] = {0, 1, 2, 3, 4, 12, 24, 48, 4097, 3 * MIB, SIZE_MAX};
	void *sentinel = (void *)(uintptr_t)0xdeadbeef;

	for (size_t i = 0; i < PGA_ARRAY_SIZE(bad_align); i++) {
		void *p = sentinel;
		int rc = pga_posix_memalign(&p, bad_align[i], 100);
		CHECK_EQ(rc, EINVAL);
		CHECK(p == sentinel);
	}
	/* sizeof(void *) itself is fine. */
	void *p = sentinel;
	CHECK_EQ(pga_posix_memalign(&p, sizeof(void *), 100), 0);
	CHECK(p != sentinel && aligned(p, 16));
	pga_free(p);

	/* Success leaves errno alone, as glibc's does. */
	errno = 1234;
	p = NULL;
	CHECK_EQ(pga_posix_memalign(&p, 256, 1000), 0);
	CHECK_EQ(errno, 1234);
	CHECK(aligned(p, 256));
	pga_free(p);

	/* ENOMEM from posix_memalign is a return value; *memptr untouched. */
	p = sentinel;
	CHECK_EQ(pga_posix_memalign(&p, 64, SIZE_MAX / 2), ENOMEM);
	CHECK(p == sentinel);
	p = sentinel;
	CHECK_EQ(pga_posix_memalign(&p, 8 * MIB, SIZE_MAX - 4096), ENOMEM);
	CHECK(p == sentinel);

	static const size_t bad_aa[] = {0, 3, 24, 48, 4097, 3 * MIB};
	for (size_t i = 0; i < PGA_ARRAY_SIZE(bad_aa); i++) {
		errno = 0;
		CHECK(pga_aligned_alloc(bad_aa[i], 100) == NULL);
		CHECK_EQ(errno, EINVAL);
	}
	/* memalign: an alignment that cannot be rounded up is EINVAL. */
	errno = 0;
	CHECK(pga_memalign(SIZE_MAX, 100) == NULL);
	CHECK_EQ(errno, EINVAL);
}

static void case_valloc(void)
{
	static const size_t sizes[] = {0, 1, 100, 4095, 4096, 4097, 40000, 100 * KIB, 5 * MIB};

	for (size_t i = 0; i < PGA_ARRAY_SIZE(sizes); i++) {
		void *p = pga_valloc(sizes[i]);
		CHECK(p != NULL);
		CHECK(aligned(p, PGA_PAGE_SIZE));
		CHECK(pga_malloc_usable_size(p) >= sizes[i]);
		CHECK(touch(p, sizes[i], 7));
		pga_free(p);

		size_t rounded = sizes[i] ? (sizes[i] + PGA_PAGE_SIZE - 1) & ~(PGA_PAGE_SIZE - 1)
		                          : PGA_PAGE_SIZE;
		p = pga_pvalloc(sizes[i]);
		CHECK(p != NULL);
		CHECK(aligned(p, PGA_PAGE_SIZE));
		CHECK(pga_malloc_usable_size(p) >= rounded);
		/* The rounded size is the caller's, all of it. */
		if (p)
			memset(p, 9, rounded);
		pga_free(p);
	}
	errno = 0;
	CHECK(pga_valloc(SIZE_MAX) == NULL);
	CHECK_EQ(errno, ENOMEM);
	errno = 0;
	CHECK(pga_pvalloc(SIZE_MAX) == NULL);
	CHECK_EQ(errno, ENOMEM);
	errno = 0;
	CHECK(pga_pvalloc(SIZE_MAX - PGA_PAGE_SIZE + 2) == NULL);
	CHECK_EQ(errno, ENOMEM);
}

/* ------------------------------------------------------------------ */
/* ENOMEM and overflow                                                 */

static void case_enomem(void)
{
	static const size_t impossible[] = {SIZE_MAX,       SIZE_MAX - 1,     SIZE_MAX - 4096,
	                                    SIZE_MAX / 2,   SIZE_MAX / 2 + 1, (size_t)1 << 62,
	                                    (size_t)1 << 50};

	for (size_t i = 0; i < PGA_ARRAY_SIZE(impossible); i++) {
		size_t n = impossible[i];
		errno = 0;
		CHECK(pga_malloc(n) == NULL);
		CHECK_EQ(errno, ENOMEM);
		errno = 0;
		CHECK(pga_calloc(1, n) == NULL);
		CHECK_EQ(errno, ENOMEM);
		errno = 0;
		CHECK(pga_memalign(64, n) == NULL);
		CHECK_EQ(errno, ENOMEM);
		errno = 0;
		CHECK(pga_memalign(16 * MIB, n) == NULL);
		CHECK_EQ(errno, ENOMEM);
		errno = 0;
		CHECK(pga_aligned_alloc(4096, n) == NULL);
		CHECK_EQ(errno, ENOMEM);
	}

	/* calloc: the product overflows. */
	errno = 0;
	CHECK(pga_calloc(SIZE_MAX / 2 + 1, 2) == NULL);
	CHECK_EQ(errno, ENOMEM);
	errno = 0;
	CHECK(pga_calloc(2, SIZE_MAX / 2 + 1) == NULL);
	CHECK_EQ(errno, ENOMEM);
	errno = 0;
	CHECK(pga_calloc((size_t)1 << 33, (size_t)1 << 33) == NULL);
	CHECK_EQ(errno, ENOMEM);
	/* ... but not when it fits. */
	void *z = pga_calloc(SIZE_MAX / 2, 0);
	CHECK(z != NULL);
	pga_free(z);

	/* A failed realloc leaves the block as it was, for every kind. */
	static const size_t kinds[] = {100, 100 * KIB, 6 * MIB};
	for (size_t k = 0; k < PGA_ARRAY_SIZE(kinds); k++) {
		unsigned char *p = pga_malloc(kinds[k]);
		REQUIRE(p != NULL);
		memset(p, 0x3c, kinds[k]);
		for (size_t i = 0; i < PGA_ARRAY_SIZE(impossible); i++) {
			errno = 0;
			CHECK(pga_realloc(p, impossible[i]) == NULL);
			CHECK_EQ(errno, ENOMEM);
		}
		errno = 0;
		CHECK(pga_reallocarray(p, SIZE_MAX / 2 + 1, 2) == NULL);
		CHECK_EQ(errno, ENOMEM);
		errno = 0;
		CHECK(pga_reallocarray(p, (size_t)1 << 40, (size_t)1 << 40) == NULL);
		CHECK_EQ(errno, ENOMEM);
		CHECK(pga_owns(p));
		CHECK(pga_malloc_usable_size(p) >= kinds[k]);
		CHECK(t_all_bytes(p, kinds[k], 0x3c));
		/* reallocarray that fits is realloc. */
		p = pga_reallocarray(p, 3, kinds[k]);
		REQUIRE(p != NULL);
		CHECK(t_all_bytes(p, kinds[k], 0x3c));
		pga_free(p);
	}
	/* reallocarray(NULL, ...) allocates. */
	void *r = pga_reallocarray(NULL, 10, 10);
	CHECK(r != NULL && pga_malloc_usable_size(r) >= 100);
	pga_free(r);

	/* Nothing that was allocated went missing meanwhile. */
	unsigned char *keep = pga_malloc(1000);
	REQUIRE(keep != NULL);
	memset(keep, 0x11, 1000);
	errno = 0;
	CHECK(pga_malloc(SIZE_MAX / 2) == NULL);
	CHECK(t_all_bytes(keep, 1000, 0x11));
	pga_free(keep);
}

/* ------------------------------------------------------------------ */
/* calloc zeroes recycled memory                                       */

static void case_calloc(void)
{
	static const size_t sizes[] = {1,       16,          24,     100,       1000,
	                               4096,    32768,       40000,  100 * KIB, 1 * MIB,
	                               4 * MIB, 4 * MIB + 1, 5 * MIB};
	enum { BATCH = 16 };
	void *held[BATCH];
	long bad = 0;

	for (size_t s = 0; s < PGA_ARRAY_SIZE(sizes); s++) {
		size_t size = sizes[s];
		int rounds = size >= MIB ? 3 : 30, batch = size >= MIB ? 4 : BATCH;
		for (int r = 0; r < rounds; r++) {
			/* Dirty a batch and give it back... */
			for (int i = 0; i < batch; i++) {
				held[i] = pga_malloc(size);
				REQUIRE(held[i] != NULL);
				memset(held[i], 0xff, pga_malloc_usable_size(held[i]));
			}
			for (int i = 0; i < batch; i++)
				pga_free(held[i]);
			/* ... calloc must not hand the dirt back. */
			for (int i = 0; i < batch; i++) {
				held[i] = r & 1 ? pga_calloc(size, 1) : pga_calloc(1, size);
				REQUIRE(held[i] != NULL);
				if (!t_all_bytes(held[i], size, 0)) {
					bad++;
					fprintf(stderr, "calloc(%zu) = %p: not zeroed\n", size,
					        held[i]);
				}
				memset(held[i], 0xff, size);
			}
			for (int i = 0; i < batch; i++)
				pga_free(held[i]);
		}
	}
	CHECK_EQ(bad, 0);
	/* calloc(0, n) and calloc(n, 0) are malloc(0). */
	void *a = pga_calloc(0, 10), *b = pga_calloc(10, 0);
	CHECK(a != NULL && b != NULL && a != b);
	pga_free(a);
	pga_free(b);
}

/* ------------------------------------------------------------------ */
/* malloc(0), free(NULL), realloc corners                              */

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

static void case_zero_and_null(void)
{
	enum { N = 1000 };
	static void *p[N];
	static uintptr_t sorted[N];

	for (int i = 0; i < N; i++) {
		p[i] = pga_malloc(0);
		REQUIRE(p[i] != NULL);
		CHECK(aligned(p[i], 16));
		sorted[i] = (uintptr_t)p[i];
	}
	qsort(sorted, N, sizeof(sorted[0]), cmp_ptr);
	int dups = 0;
	for (int i = 1; i < N; i++)
		dups += sorted[i] == sorted[i - 1];
	CHECK_EQ(dups, 0);
	for (int i = 0; i < N; i++)
		pga_free(p[i]);

	/* free(NULL) and its relatives do nothing. */
	errno = 4321;
	pga_free(NULL);
	pga_free_sized(NULL, 0);
	pga_free_aligned_sized(NULL, 64, 0);
	CHECK_EQ(errno, 4321);

	/* realloc(NULL, n) is malloc(n), for every kind. */
	static const size_t sizes[] = {0, 1, 100, 40000, 6 * MIB};
	for (size_t i = 0; i < PGA_ARRAY_SIZE(sizes); i++) {
		void *q = pga_realloc(NULL, sizes[i]);
		CHECK(q != NULL);
		CHECK(pga_owns(q));
		CHECK(pga_malloc_usable_size(q) >= sizes[i]);
		CHECK(touch(q, sizes[i], 1));
		pga_free(q);
	}

	/* realloc(p, 0) frees p and returns NULL, as glibc does. A slab
	 * object goes back on the thread's freelist: the next malloc of its
	 * class hands it out again. */
	void *s = pga_malloc(64);
	REQUIRE(s != NULL);
	CHECK(pga_realloc(s, 0) == NULL);
	void *s2 = pga_malloc(64);
	CHECK(s2 == s);
	pga_free(s2);
	/* A page run and a huge mapping are not pgalloc's any more. */
	void *l = pga_malloc(100 * KIB);
	REQUIRE(l != NULL);
	CHECK(pga_realloc(l, 0) == NULL);
	CHECK(!pga_owns(l));
	struct pga_mallinfo mi0, mi1;
	void *h = pga_malloc(8 * MIB);
	REQUIRE(h != NULL);
	pga_mallinfo(&mi0);
	CHECK(pga_realloc(h, 0) == NULL);
	pga_mallinfo(&mi1);
	CHECK(!pga_owns(h));
	CHECK_EQ(mi1.hblks + 1, mi0.hblks);
}

/* ------------------------------------------------------------------ */
/* realloc keeps the content, through every kind of block              */

static unsigned char *ref; /* the pattern, REF_BYTES long */
#define REF_BYTES (64 * MIB + 1)

static void make_ref(void)
{
	if (ref)
		return;
	ref = malloc(REF_BYTES); /* the C library's: a reference, not a subject */
	REQUIRE(ref != NULL);
	uint64_t x = 0x243f6a8885a308d3ULL;
	for (size_t i = 0; i < REF_BYTES; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		ref[i] = (unsigned char)(x >> 56);
	}
}

static size_t n_sizes;
static size_t seq[512];

/* 1, 2, 3, ... 64 every size, then steps of about 1/4, with each power of
 * two and its neighbours, up to 64 MiB. */
static void make_sizes(void)
{
	n_sizes = 0;
	for (size_t s = 1; s <= 64; s++)
		seq[n_sizes++] = s;
	for (size_t p = 128; p <= 64 * MIB; p *= 2) {
		size_t prev = p / 2;
		for (size_t k = 1; k < 4; k++)
			seq[n_sizes++] = prev + k * (prev / 4) + 3;
		seq[n_sizes++] = p - 1;
		seq[n_sizes++] = p;
		if (p < 64 * MIB)
			seq[n_sizes++] = p + 1;
	}
	REQUIRE(n_sizes <= PGA_ARRAY_SIZE(seq));
}

static void case_realloc_content(void)
{
	make_ref();
	make_sizes();

	unsigned char *p = NULL;
	size_t old = 0;
	long bad = 0, moves = 0;

	/* Up... */
	for (size_t i = 0; i < n_sizes; i++) {
		size_t size = seq[i];
		unsigned char *q = pga_realloc(p, size);
		REQUIRE(q != NULL);
		if (!aligned(q, 16) || pga_malloc_usable_size(q) < size)
			bad++;
		if (memcmp(q, ref, old < size ? old : size) != 0) {
			bad++;
			fprintf(stderr, "realloc %zu -> %zu lost the content\n", old, size);
		}
		memcpy(q + old, ref + old, size - old);
		moves += q != p;
		p = q;
		old = size;
	}
	/* ... and down again. */
	for (size_t i = n_sizes - 1; i-- > 0;) {
		size_t size = seq[i];
		unsigned char *q = pga_realloc(p, size);
		REQUIRE(q != NULL);
		if (!aligned(q, 16) || pga_malloc_usable_size(q) < size)
			bad++;
		if (memcmp(q, ref, size) != 0) {
			bad++;
			fprintf(stderr, "realloc %zu -> %zu lost the content\n", old, size);
		}
		moves += q != p;
		p = q;
		old = size;
	}
	pga_free(p);
	CHECK_EQ(bad, 0);
	printf("realloc through %zu sizes up and down: %ld moves\n", n_sizes, moves);

	/* Jumps between kinds in one step, both ways. */
	static const size_t jumps[][2] = {
	    {10, 6 * MIB},
	    {6 * MIB, 10},
	    {100, 100 * KIB},
	    {100 * KIB, 100},
	    {40 * KIB, 5 * MIB},
	    {5 * MIB, 40 * KIB},
	    {8 * MIB, 64 * MIB},
	    {64 * MIB, 8 * MIB},
	    {4 * MIB, 4 * MIB + 1},
	    {4 * MIB + 1, 4 * MIB},
	    {32 * KIB, 32 * KIB + 1},
	    {32 * KIB + 1, 32 * KIB},
	};
	for (size_t j = 0; j < PGA_ARRAY_SIZE(jumps); j++) {
		size_t a = jumps[j][0], b = jumps[j][1];
		unsigned char *x = pga_malloc(a);
		REQUIRE(x != NULL);
		memcpy(x, ref, a);
		unsigned char *y = pga_realloc(x, b);
		REQUIRE(y != NULL);
		CHECK(memcmp(y, ref, a < b ? a : b) == 0);
		CHECK(pga_malloc_usable_size(y) >= b);
		pga_free(y);
	}

	/* realloc of aligned blocks keeps the content too. */
	for (size_t align = 64; align <= 16 * MIB; align *= 4) {
		unsigned char *x = pga_memalign(align, 3000);
		REQUIRE(x != NULL);
		memcpy(x, ref, 3000);
		unsigned char *y = pga_realloc(x, 9 * MIB);
		REQUIRE(y != NULL);
		CHECK(memcmp(y, ref, 3000) == 0);
		y = pga_realloc(y, 2000);
		REQUIRE(y != NULL);
		CHECK(memcmp(y, ref, 2000) == 0);
		pga_free(y);
	}
}

static void case_realloc_inplace(void)
{
	make_ref();

	/* Shrinking a page run keeps its address (the tail goes back). */
	unsigned char *p = pga_malloc(100 * KIB);
	REQUIRE(p != NULL);
	memcpy(p, ref, 100 * KIB);
	CHECK(pga_realloc(p, 60 * KIB) == p);
	CHECK(pga_malloc_usable_size(p) >= 60 * KIB);
	CHECK(pga_malloc_usable_size(p) < 100 * KIB);
	CHECK(pga_realloc(p, 40 * KIB) == p);
	CHECK(pga_realloc(p, 40 * KIB + 5) == p);
	CHECK(memcmp(p, ref, 40 * KIB) == 0);

	/*
	 * Growing into pages known to be free. 36 KiB takes an order-4
	 * block (16 pages) and gives its last 7 pages straight back to the
	 * buddy lists; nothing else runs in this process, so they are still
	 * free when the run grows to 64 KiB right after.
	 */
	pga_free(p);
	p = pga_malloc(36 * KIB);
	REQUIRE(p != NULL);
	memcpy(p, ref, 36 * KIB);
	CHECK_EQ(pga_malloc_usable_size(p), 36 * KIB);
	CHECK(pga_realloc(p, 64 * KIB) == p);
	CHECK_EQ(pga_malloc_usable_size(p), 64 * KIB);
	CHECK(memcmp(p, ref, 36 * KIB) == 0);
	memcpy(p, ref, 64 * KIB);
	/* Back down and up again, still in place. */
	CHECK(pga_realloc(p, 33 * KIB) == p);
	CHECK(pga_realloc(p, 60 * KIB) == p);
	CHECK(memcmp(p, ref, 33 * KIB) == 0);
	pga_free(p);
	/* The same for 100 KiB -> 120 KiB (25 pages of a 32-page block). */
	p = pga_malloc(100 * KIB);
	REQUIRE(p != NULL);
	memcpy(p, ref, 100 * KIB);
	CHECK(pga_realloc(p, 120 * KIB) == p);
	CHECK(memcmp(p, ref, 100 * KIB) == 0);
	pga_free(p);

	/* Doubling a fresh block: in place when the buddy lists have the
	 * next pages free, which depends on what came before. Counted. */
	int in_place = 0, tries = 64;
	void *keep[64];
	for (int i = 0; i < tries; i++) {
		unsigned char *x = pga_malloc(64 * KIB);
		REQUIRE(x != NULL);
		memcpy(x, ref, 64 * KIB);
		unsigned char *y = pga_realloc(x, 128 * KIB);
		REQUIRE(y != NULL);
		in_place += y == x;
		CHECK(memcmp(y, ref, 64 * KIB) == 0);
		keep[i] = y;
	}
	for (int i = 0; i < tries; i++)
		pga_free(keep[i]);
	printf("64 KiB -> 128 KiB in place: %d of %d\n", in_place, tries);
}

/* ------------------------------------------------------------------ */
/* pga_owns                                                            */

static int static_var;

static void case_owns(void)
{
	int stack_var = 0;
	void *small = pga_malloc(64), *large = pga_malloc(100 * KIB), *huge = pga_malloc(6 * MIB);
	void *al = pga_memalign(64 * KIB, 1000), *hal = pga_memalign(16 * MIB, 1000);
	void *c_small = malloc(100), *c_big = malloc(16 * MIB);

	REQUIRE(small && large && huge && al && hal && c_small && c_big);
	CHECK(pga_owns(small));
	CHECK(pga_owns(large));
	CHECK(pga_owns(huge));
	CHECK(pga_owns(al));
	CHECK(pga_owns(hal));

	CHECK(!pga_owns(NULL));
	CHECK(!pga_owns(&stack_var));
	CHECK(!pga_owns(&static_var));
	CHECK(!pga_owns("a string literal"));
	CHECK(!pga_owns((const void *)(uintptr_t)case_owns));
	CHECK(!pga_owns(c_small));
	CHECK(!pga_owns(c_big));
	/* Not the start of a block. */
	CHECK(!pga_owns((char *)small + 16));
	CHECK(!pga_owns((char *)large + 16));
	CHECK(!pga_owns((char *)large + 4096));
	CHECK(!pga_owns((char *)huge + 4096));

	pga_free(small);
	pga_free(large);
	pga_free(huge);
	pga_free(al);
	pga_free(hal);
	/* Freed page runs and mappings are not live any more. */
	CHECK(!pga_owns(large));
	CHECK(!pga_owns(huge));
	CHECK(!pga_owns(hal));
	free(c_small);
	free(c_big);
}

/* ------------------------------------------------------------------ */
/* mallinfo and malloc_trim                                            */

static void case_mallinfo(void)
{
	enum { N = 4096, SZ = 1024 };
	static void *p[N];
	struct pga_mallinfo before, after, freed;

	/* Warm up so that the first slab's bookkeeping is not in the delta. */
	pga_free(pga_malloc(SZ));
	pga_mallinfo(&before);
	for (int i = 0; i < N; i++) {
		p[i] = pga_malloc(SZ);
		REQUIRE(p[i] != NULL);
	}
	pga_mallinfo(&after);
	printf("uordblks %zu -> %zu after %d x %d bytes\n", before.uordblks, after.uordblks, N, SZ);
	/* Objects cached free in a thread's cpu slab count as used (slab.h),
	 * so the warm-up slab may already be in "before": one slab of slack. */
	CHECK(after.uordblks + 64 * KIB >= before.uordblks + (size_t)N * SZ);
	CHECK(after.arena >= after.uordblks);
	CHECK_EQ(after.uordblks + after.fordblks, after.arena);
	for (int i = 0; i < N; i++)
		pga_free(p[i]);
	pga_mallinfo(&freed);
	printf("uordblks %zu after freeing them\n", freed.uordblks);
	/* All back but what a thread may keep cached: its cache of the class
	 * (at most a slab's worth of objects, from any slabs), its cpu slab and
	 * PGA_SLAB_CPU_EMPTY empty ones (slab.h). */
	size_t kept = (2 + PGA_SLAB_CPU_EMPTY) *
	              ((size_t)PGA_PAGE_SIZE << pga_size_classes[pga_size_to_class(SZ)].order);
	CHECK(freed.uordblks + (size_t)N * SZ - kept <= after.uordblks);

	/* Page runs count in full. */
	pga_mallinfo(&before);
	for (int i = 0; i < 64; i++) {
		p[i] = pga_malloc(200 * KIB);
		REQUIRE(p[i] != NULL);
	}
	pga_mallinfo(&after);
	CHECK(after.uordblks >= before.uordblks + 64 * 200 * KIB);
	for (int i = 0; i < 64; i++)
		pga_free(p[i]);
	pga_mallinfo(&freed);
	CHECK(freed.uordblks + 64 * 200 * KIB <= after.uordblks);

	/* Huge mappings in hblks and hblkhd. */
	pga_mallinfo(&before);
	void *h1 = pga_malloc(10 * MIB), *h2 = pga_malloc(5 * MIB + 3);
	REQUIRE(h1 && h2);
	pga_mallinfo(&after);
	CHECK_EQ(after.hblks, before.hblks + 2);
	CHECK(after.hblkhd >= before.hblkhd + 15 * MIB);
	pga_free(h1);
	pga_free(h2);
	pga_mallinfo(&freed);
	CHECK_EQ(freed.hblks, before.hblks);
	CHECK_EQ(freed.hblkhd, before.hblkhd);
}

static void case_trim(void)
{
	enum { N = 1024, SZ = 64 * 1024 };
	static void *p[N];

	/* Settle whatever start-up touched. */
	pga_free(pga_malloc(SZ));
	pga_malloc_trim(0);
	size_t base = t_rss_bytes();
	for (int i = 0; i < N; i++) {
		p[i] = pga_malloc(SZ);
		REQUIRE(p[i] != NULL);
		memset(p[i], 0x77, SZ);
	}
	size_t peak = t_rss_bytes();
	for (int i = 0; i < N; i++)
		pga_free(p[i]);
	size_t before_trim = t_rss_bytes();
	int rc = pga_malloc_trim(0);
	size_t after = t_rss_bytes();
	printf("rss: base %zu KiB, peak %zu KiB, freed %zu KiB, trimmed %zu KiB (rc %d)\n",
	       base >> 10, peak >> 10, before_trim >> 10, after >> 10, rc);
	/*
	 * 64 MiB written: RSS grows by at least that (ASan adds its shadow, an
	 * eighth, on top). After the trim the 64 MiB are given back, whatever
	 * else (metadata, ASan's shadow) stays resident. Half of it, 32 MiB,
	 * on either side leaves room for everything that is not the buffers
	 * and still fails if they were never touched or never returned.
	 */
	CHECK(peak >= base + (size_t)N * SZ / 2);
	CHECK_EQ(rc, 1);
	CHECK(after + (size_t)N * SZ / 2 <= peak);

	/* The memory is usable again after being given back, and reads as
	 * calloc promises. */
	for (int i = 0; i < N; i += 7) {
		p[i] = pga_calloc(1, SZ);
		REQUIRE(p[i] != NULL);
		CHECK(t_all_bytes(p[i], SZ, 0));
		pga_free(p[i]);
	}
}

/* ------------------------------------------------------------------ */
/* pga_malloc_node on a fake two-node machine                          */

/* ---------------------------------------------------------------------- */
/* The huge cache                                                          */

/* Is [p, p + len) mapped? mincore answers ENOMEM for an unmapped range,
 * and reads nothing of the memory. */
static bool mapped(void *p, size_t len)
{
	static unsigned char vec[(16 * MIB) / 4096];

	return mincore(p, len, vec) == 0;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* decay_ms=600000 here: nothing expires while the case runs. */
static void case_huge_cache(void)
{
	enum { SZ = 10 * MIB };
	unsigned char *p = pga_malloc(SZ);

	REQUIRE(p != NULL);
	memset(p, 0xa5, SZ);
	pga_free(p);
	/* Freed, but kept mapped for the next request of its size. */
	CHECK(mapped(p, SZ));
	unsigned char *q = pga_malloc(SZ - 100 * KIB);
	CHECK(q == p);
	CHECK(pga_malloc_usable_size(q) >= SZ - 100 * KIB);
	memset(q, 0x5a, SZ - 100 * KIB);
	pga_free(q);
	/* calloc of a reused, dirty block is zero. */
	unsigned char *z = pga_calloc(1, SZ);
	REQUIRE(z != NULL);
	CHECK(z == p);
	CHECK(all_zero(z, SZ));
	pga_free(z);
	/* A block twice the request or more is not taken: a fresh mapping. */
	unsigned char *small = pga_malloc(5 * MIB - 4096);
	REQUIRE(small != NULL);
	CHECK(small != p);
	pga_free(small);
	/* malloc_trim gives every cached block back. */
	CHECK(mapped(p, SZ));
	CHECK_EQ(pga_malloc_trim(0), 1);
	CHECK(!mapped(p, SZ));
	CHECK(!mapped(small, 5 * MIB - 4096));
}

/* decay_ms=0: a huge block goes back when it is freed. */
static void case_huge_nocache(void)
{
	enum { SZ = 10 * MIB };
	unsigned char *p = pga_malloc(SZ);

	REQUIRE(p != NULL);
	memset(p, 0xa5, SZ);
	pga_free(p);
	CHECK(!mapped(p, SZ));
}

static void case_node(void)
{
	static const size_t sizes[] = {1,     16,    100,       1000, 4096,
	                               32768, 32769, 100 * KIB, MIB,  4 * MIB};
	static void *held[PGA_ARRAY_SIZE(sizes)][100];

	REQUIRE(pga_malloc(1) != NULL); /* start up, then ask */
	if (pga_num_nodes() != 2) {
		fprintf(stderr, "numa_fake=2 gave %d nodes\n", pga_num_nodes());
		CHECK_EQ(pga_num_nodes(), 2);
		return;
	}
	for (int nid = 0; nid < 2; nid++) {
		long wrong = 0;
		for (size_t s = 0; s < PGA_ARRAY_SIZE(sizes); s++) {
			int n = sizes[s] >= MIB ? 4 : 100;
			for (int i = 0; i < n; i++) {
				void *p = pga_malloc_node(sizes[s], nid);
				REQUIRE(p != NULL);
				held[s][i] = p;
				if (pga_page_node(p) != nid || !aligned(p, 16) ||
				    pga_malloc_usable_size(p) < sizes[s]) {
					wrong++;
					if (wrong < 10)
						fprintf(stderr,
						        "malloc_node(%zu, %d) = %p on node %d\n",
						        sizes[s], nid, p, pga_page_node(p));
				}
				memset(p, nid + 1, sizes[s]);
			}
		}
		for (size_t s = 0; s < PGA_ARRAY_SIZE(sizes); s++) {
			int n = sizes[s] >= MIB ? 4 : 100;
			for (int i = 0; i < n; i++) {
				CHECK(t_all_bytes(held[s][i], sizes[s], (unsigned char)(nid + 1)));
				pga_free(held[s][i]);
			}
		}
		CHECK_EQ(wrong, 0);

		/* Beyond the largest block there is no node to ask about, but
		 * the request still works. */
		void *h = pga_malloc_node(6 * MIB, nid);
		CHECK(h != NULL && pga_owns(h));
		pga_free(h);
	}
	/* No such node. */
	errno = 0;
	CHECK(pga_malloc_node(100, 2) == NULL);
	CHECK_EQ(errno, EINVAL);
	/* -1: the caller's node. */
	void *p = pga_malloc_node(100, -1);
	CHECK(p != NULL && pga_page_node(p) >= 0);
	pga_free(p);
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	unsetenv("PGALLOC_CONF");
	if (!only || !strcmp(only, "align16"))
		t_run_with_conf("align16", NULL, case_align16);
	if (!only || !strcmp(only, "aligned_sweep"))
		t_run_with_conf("aligned_sweep", NULL, case_aligned_sweep);
	if (!only || !strcmp(only, "einval"))
		t_run_with_conf("einval", NULL, case_einval);
	if (!only || !strcmp(only, "valloc"))
		t_run_with_conf("valloc", NULL, case_valloc);
	if (!only || !strcmp(only, "enomem"))
		t_run_with_conf("enomem", NULL, case_enomem);
	if (!only || !strcmp(only, "calloc"))
		t_run_with_conf("calloc", NULL, case_calloc);
	if (!only || !strcmp(only, "zero_and_null"))
		t_run_with_conf("zero_and_null", NULL, case_zero_and_null);
	if (!only || !strcmp(only, "realloc_content"))
		t_run_with_conf("realloc_content", NULL, case_realloc_content);
	if (!only || !strcmp(only, "realloc_inplace"))
		t_run_with_conf("realloc_inplace", NULL, case_realloc_inplace);
	if (!only || !strcmp(only, "owns"))
		t_run_with_conf("owns", NULL, case_owns);
	if (!only || !strcmp(only, "mallinfo"))
		t_run_with_conf("mallinfo", NULL, case_mallinfo);
	if (!only || !strcmp(only, "trim"))
		t_run_with_conf("trim", NULL, case_trim);
	if (!only || !strcmp(only, "huge_cache"))
		t_run_with_conf("huge_cache", "decay_ms=600000", case_huge_cache);
	if (!only || !strcmp(only, "huge_nocache"))
		t_run_with_conf("huge_nocache", "decay_ms=0", case_huge_nocache);
	if (!only || !strcmp(only, "node"))
		t_run_with_conf("node", "numa_fake=2", case_node);
	return t_done("test_malloc");
}
