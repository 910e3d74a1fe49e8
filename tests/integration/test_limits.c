// SPDX-License-Identifier: MIT
/*
 * test_limits.c - beyond the zones: large requests that the zones cannot
 * serve are mapped directly (zones full up to node_limit_mb, or the kernel
 * refusing them address space under RLIMIT_AS), and every malloc entry
 * point handles such blocks; requests that cannot be met fail with ENOMEM
 * and leave everything else intact.
 *
 *   zones_full   node_limit_mb=64: four times the limit in 1 MiB + 1 byte
 *                blocks, aligned blocks, realloc both ways, usable size,
 *                the statistics; small requests fail at the limit (it is
 *                the zones' limit) and work again after the frees
 *   impossible   SIZE_MAX, PTRDIFF_MAX, calloc overflow, enormous
 *                alignments, realloc to SIZE_MAX: NULL and ENOMEM, also
 *                with harden=full
 *   rlimit       under setrlimit(RLIMIT_AS): pga_malloc reaches at least
 *                85% of what the C library's malloc reaches under the same
 *                limit (measured in a sibling child, in the same run), for
 *                small, large and huge sizes, and again after everything
 *                is freed; large requests are mapped first only under a
 *                limit below what the zones would span
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "check.h"
#include "child.h"
#include "pgalloc.h"
#include "sanitizer.h"
#include "statm.h"

/* Blocks form a list through their first word (no array of our own to
 * take address space); word i of block n holds pattern(n, i) on every
 * page, and in the last word. */
struct block {
	struct block *next;
	size_t index, len;
};

static uint64_t pattern(size_t index, size_t w)
{
	return ((uint64_t)index << 32) ^ (w * UINT64_C(0x9E3779B97F4A7C15));
}

#define HEADER_WORDS (sizeof(struct block) / 8)

static size_t step(size_t len)
{
	return len <= 4096 ? 1 : 64;
}

static void fill_block(struct block *b, size_t len, size_t index)
{
	uint64_t *w = (uint64_t *)b;

	b->index = index;
	b->len = len;
	for (size_t i = HEADER_WORDS; i < len / 8; i += step(len))
		w[i] = pattern(index, i);
	if (len / 8 > HEADER_WORDS)
		w[len / 8 - 1] = pattern(index, len / 8 - 1);
}

/* The first len bytes as fill_block(b, b->len, index) left them. */
static bool block_intact(const struct block *b, size_t len)
{
	const uint64_t *w = (const uint64_t *)b;

	if (len == b->len && len / 8 > HEADER_WORDS &&
	    w[len / 8 - 1] != pattern(b->index, len / 8 - 1))
		return false;
	for (size_t i = HEADER_WORDS; i < len / 8; i += step(b->len))
		if (w[i] != pattern(b->index, i))
			return false;
	return true;
}

/* Check and free a list with pga_free; returns the blocks freed. */
static size_t free_list(struct block *b)
{
	size_t n = 0, bad = 0;

	while (b) {
		struct block *next = b->next;
		if (!block_intact(b, b->len))
			bad++;
		pga_free(b);
		b = next;
		n++;
	}
	CHECK_EQ(bad, 0);
	return n;
}

/* ---- zones full: mapped directly --------------------------------------- */

#define LIMIT_MB 64
#define BIG      ((size_t)(1 << 20) + 1)

static void case_zones_full(void)
{
	struct block *list = NULL;
	size_t in_zones = 0, mapped = 0, n = 0;

	/* Four times the node's limit: the zones take what they hold, the
	 * rest is mapped directly, and nothing fails. */
	for (; n < 4 * LIMIT_MB; n++) {
		errno = 0;
		struct block *b = pga_malloc(BIG);
		REQUIRE(b != NULL);
		CHECK(pga_malloc_usable_size(b) >= BIG);
		CHECK(pga_owns(b));
		if (pga_page_zone(b) >= 0)
			in_zones++;
		else
			mapped++;
		fill_block(b, BIG, n);
		b->next = list;
		list = b;
	}
	printf("  %zu blocks of 1 MiB + 1: %zu from the zones, %zu mapped directly\n", n, in_zones,
	       mapped);
	CHECK(in_zones >= 8);
	CHECK(mapped >= 3 * LIMIT_MB);

	struct pga_mallinfo mi;
	pga_mallinfo(&mi);
	CHECK(mi.hblks >= mapped);
	CHECK(mi.hblkhd >= mapped * BIG);
	CHECK(mi.arena <= (size_t)LIMIT_MB << 20);

	/* Aligned requests beyond the zones. */
	void *al[16];
	for (int i = 0; i < 16; i++) {
		CHECK_EQ(pga_posix_memalign(&al[i], 65536, 100000), 0);
		CHECK(((uintptr_t)al[i] & 65535) == 0);
		CHECK(pga_malloc_usable_size(al[i]) >= 100000);
		memset(al[i], i, 100000);
	}
	void *a1 = pga_aligned_alloc((size_t)1 << 20, (size_t)1 << 20);
	void *a2 = pga_memalign((size_t)2 << 20, 3 << 20);
	void *a3 = pga_valloc(200000);
	REQUIRE(a1 && a2 && a3);
	CHECK(((uintptr_t)a1 & ((1 << 20) - 1)) == 0);
	CHECK(((uintptr_t)a2 & ((2 << 20) - 1)) == 0);
	CHECK(((uintptr_t)a3 & 4095) == 0);
	CHECK(pga_page_zone(a1) < 0 && pga_page_zone(a2) < 0);
	memset(a1, 1, 1 << 20);
	memset(a2, 2, 3 << 20);
	memset(a3, 3, 200000);

	/* realloc of a mapped block: grow past the largest run, shrink back
	 * into the large range, then to a small size; contents kept. */
	struct block *b = list;
	list = list->next;
	size_t index = b->index;
	b = pga_realloc(b, (size_t)6 << 20);
	REQUIRE(b != NULL);
	CHECK(block_intact(b, BIG));
	b = pga_realloc(b, 200000);
	REQUIRE(b != NULL);
	CHECK(block_intact(b, 200000));
	b = pga_realloc(b, 1000);
	REQUIRE(b != NULL);
	CHECK(block_intact(b, 1000));
	CHECK_EQ(b->index, index);
	pga_free(b);
	n--;

	/* Small requests: slabs come from the zones, which are full up to
	 * the limit: ENOMEM, and the process goes on. */
	struct block *small = NULL;
	size_t nsmall = 0;
	for (;;) {
		errno = 0;
		struct block *s = pga_malloc(2000);
		if (!s) {
			CHECK_EQ(errno, ENOMEM);
			break;
		}
		fill_block(s, 2000, nsmall++);
		s->next = small;
		small = s;
		REQUIRE(nsmall < ((size_t)LIMIT_MB << 20) / 2000);
	}
	printf("  %zu small blocks of 2000 bytes until ENOMEM\n", nsmall);

	CHECK_EQ(free_list(list), n);
	CHECK_EQ(free_list(small), nsmall);
	for (int i = 0; i < 16; i++) {
		CHECK(((unsigned char *)al[i])[99999] == i);
		pga_free(al[i]);
	}
	CHECK(((unsigned char *)a1)[(1 << 20) - 1] == 1);
	CHECK(((unsigned char *)a2)[(3 << 20) - 1] == 2);
	CHECK(((unsigned char *)a3)[199999] == 3);
	pga_free(a1);
	pga_free(a2);
	pga_free(a3);

	/* The books balance: no huge block left, every zone page free once
	 * the caches are given back. */
	pga_mallinfo(&mi);
	CHECK_EQ(mi.hblks, 0);
	CHECK_EQ(mi.hblkhd, 0);
	pga_malloc_trim(0);
	struct pga_zone_stats st;
	unsigned long managed = 0, free_pages = 0;
	for (int z = 0; z < PGA_NR_ZONES; z++)
		if (pga_zone_stats(0, z, &st) == 0) {
			managed += st.managed;
			free_pages += st.free + st.pcp;
			CHECK(st.managed <= st.spanned);
		}
	printf("  after the frees: %lu of %lu zone pages free\n", free_pages, managed);
	CHECK(free_pages + 64 >= managed);

	/* The memory came back: the small requests are served again, as many
	 * as before. */
	size_t again = 0;
	small = NULL;
	while (again < nsmall) {
		struct block *s = pga_malloc(2000);
		if (!s)
			break;
		fill_block(s, 2000, again++);
		s->next = small;
		small = s;
	}
	CHECK_EQ(again, nsmall);
	CHECK_EQ(free_list(small), again);
}

/* ---- impossible requests ------------------------------------------------ */

/* v, hidden from the compiler, which would warn about the sizes. */
static size_t opaque(size_t v)
{
	__asm__("" : "+r"(v));
	return v;
}

#define CHECK_ENOMEM(expr)                                                                         \
	do {                                                                                       \
		errno = 0;                                                                         \
		void *_p = (expr);                                                                 \
		CHECK(_p == NULL);                                                                 \
		CHECK_EQ(errno, ENOMEM);                                                           \
	} while (0)

static void case_impossible(void)
{
	char *live = pga_malloc(5000);
	void *p = NULL;

	REQUIRE(live != NULL);
	memset(live, 0x77, 5000);
	CHECK_ENOMEM(pga_malloc(opaque(SIZE_MAX)));
	CHECK_ENOMEM(pga_malloc(opaque(PTRDIFF_MAX)));
	CHECK_ENOMEM(pga_malloc(opaque((size_t)PTRDIFF_MAX + 1)));
	CHECK_ENOMEM(pga_calloc(opaque(SIZE_MAX / 2), 3));
	CHECK_ENOMEM(pga_calloc(opaque(1), PTRDIFF_MAX));
	CHECK_ENOMEM(pga_memalign((size_t)1 << 62, opaque(16)));
	CHECK_ENOMEM(pga_memalign((size_t)1 << 63, opaque(16)));
	CHECK_ENOMEM(pga_aligned_alloc((size_t)1 << 40, opaque((size_t)1 << 40)));
	CHECK_ENOMEM(pga_valloc(opaque(SIZE_MAX - 4096)));
	CHECK_ENOMEM(pga_pvalloc(opaque(SIZE_MAX - 100)));
	CHECK_EQ(pga_posix_memalign(&p, (size_t)1 << 62, 16), ENOMEM);
	CHECK_EQ(pga_posix_memalign(&p, 4096, opaque(SIZE_MAX)), ENOMEM);
	CHECK_ENOMEM(pga_realloc(live, opaque(SIZE_MAX)));
	CHECK_ENOMEM(pga_realloc(live, opaque(PTRDIFF_MAX)));
	CHECK_ENOMEM(pga_reallocarray(live, opaque(SIZE_MAX / 2), 3));
	bool same = true;
	for (int i = 0; i < 5000; i++)
		same &= live[i] == 0x77;
	CHECK(same);
	CHECK(pga_malloc_usable_size(live) >= 5000);
	pga_free(live);
}

/* ---- RLIMIT_AS: against the C library ---------------------------------- */

#define HEADROOM ((size_t)384 << 20)

/* Allocate blocks of size with alloc until it fails; the MiB reached. The
 * list is freed with release. */
static size_t fill_mib(void *(*alloc)(size_t), void (*release)(void *), size_t size, bool mine)
{
	struct block *list = NULL;
	size_t n = 0, bad = 0;

	for (;;) {
		errno = 0;
		struct block *b = alloc(size);
		if (!b) {
			CHECK_EQ(errno, ENOMEM);
			break;
		}
		fill_block(b, size, n++);
		b->next = list;
		list = b;
	}
	if (mine)
		CHECK(pga_malloc_usable_size(list) >= size);
	while (list) {
		struct block *next = list->next;
		bad += !block_intact(list, size);
		release(list);
		list = next;
	}
	CHECK_EQ(bad, 0);
	return (n * size) >> 20;
}

static size_t g_size;

static void set_limit(void)
{
	size_t statm_size, resident;
	struct rlimit rl;

	REQUIRE(t_statm(&statm_size, &resident));
	rl.rlim_cur = rl.rlim_max = statm_size + HEADROOM;
	REQUIRE(setrlimit(RLIMIT_AS, &rl) == 0);
}

/* The C library's malloc through pointers the compiler cannot see
 * through: knowing malloc, clang would otherwise drop the allocations
 * that are only freed again, and with them the loop until NULL. */
static void *(*volatile libc_malloc)(size_t) = malloc;
static void (*volatile libc_free)(void *) = free;

static void *call_libc_malloc(size_t size)
{
	return libc_malloc(size);
}

static void call_libc_free(void *p)
{
	libc_free(p);
}

/* In a child: the C library's malloc under the limit. */
static void child_libc(void)
{
	set_limit();
	size_t mib[2] = {fill_mib(call_libc_malloc, call_libc_free, g_size, false), 0};
	t_child_send(mib, sizeof(mib));
}

/* In a child from the same state: pgalloc under the limit, twice. */
static void child_pgalloc(void)
{
	set_limit();
	size_t mib[2] = {fill_mib(pga_malloc, pga_free, g_size, true), 0};
	mib[1] = fill_mib(pga_malloc, pga_free, g_size, true);
	t_child_send(mib, sizeof(mib));
}

/* Which comes first for a large request under a limit: under a tight one
 * (below what the zones would span) a mapping, under a loose one (the
 * zones span less: node_limit_mb) the zones, as without a limit. */
static void child_order_tight(void)
{
	set_limit();
	void *p = pga_malloc(BIG);
	REQUIRE(p != NULL);
	CHECK(pga_page_zone(p) < 0);
	CHECK(pga_owns(p));
	pga_free(p);
}

static void child_order_loose(void)
{
	set_limit();
	void *p = pga_malloc(BIG);
	REQUIRE(p != NULL);
	CHECK(pga_page_zone(p) >= 0);
	pga_free(p);
}

/* Run fn in a child; the two numbers it sent. */
static bool run_fill(void (*fn)(void), size_t mib[2])
{
	struct t_child r;
	bool ok = t_child_run(fn, (struct t_child_opts){.timeout_s = 120}, &r);

	if (!ok)
		fprintf(stderr, "fill of %zu bytes failed (%s)\n", g_size, r.how);
	ok = ok && r.data_len == 2 * sizeof(size_t);
	if (ok)
		memcpy(mib, r.data, 2 * sizeof(size_t));
	t_child_release(&r);
	return ok;
}

/* Each fill runs in a fresh child forked from this process, which has not
 * started pgalloc: the C library's heap (which keeps mappings it made
 * after brk failed) and pgalloc's zones (which keep the address space they
 * grew into) never meet. */
static void case_rlimit(void)
{
	static const size_t sizes[] = {64, 4000, 40000, BIG, (size_t)8 << 20};

	/* HEADROOM is below the node's memory, but above 64 MiB. */
	t_run_with_conf("rlimit_tight", NULL, child_order_tight);
	t_run_with_conf("rlimit_loose", "node_limit_mb=64", child_order_loose);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t ref[2], got[2];
		g_size = sizes[i];
		CHECK(run_fill(child_libc, ref));
		CHECK(run_fill(child_pgalloc, got));
		printf("  rlimit +%zu MiB, %zu bytes: C library %zu MiB, pgalloc %zu MiB, "
		       "again %zu MiB\n",
		       HEADROOM >> 20, sizes[i], ref[0], got[0], got[1]);
		CHECK(ref[0] > 0);
		CHECK(got[0] * 100 >= ref[0] * 85);
		CHECK(got[1] * 100 >= got[0] * 95);
	}
}

int main(void)
{
	char conf[64];

	snprintf(conf, sizeof(conf), "node_limit_mb=%d", LIMIT_MB);
	t_run_with_conf("zones_full", conf, case_zones_full);
	t_run_with_conf("impossible", NULL, case_impossible);
	/* The debug path (red zones add to the size) too. */
	t_run_with_conf("impossible_harden", "harden=full", case_impossible);
	if (T_ASAN || T_TSAN)
		printf("SKIP rlimit: the sanitizer reserves terabytes of shadow memory, "
		       "RLIMIT_AS cannot be used\n");
	else
		case_rlimit();
	return t_done("limits");
}
