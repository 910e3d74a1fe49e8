// SPDX-License-Identifier: MIT
/*
 * test_gfp.c - what the gfp flags and the order promise at the API: ZERO
 * clears recycled memory, blocks are naturally aligned, invalid requests get
 * EINVAL, exhaustion gets ENOMEM without losing pages, HIGH dips below MIN,
 * NORETRY fails cleanly, NOWARN silences the failure report, the node and
 * zone of an address, and bad frees abort with the address.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "child.h"
#include "mmzone.h"
#include "pattern.h"
#include "pgalloc.h"

#define SMALL_CONF "node_limit_mb=32,dma32_mb=0"

/* ---- PGA_GFP_ZERO ------------------------------------------------------- */

static void zero_order(unsigned order, int rounds, pga_gfp_t extra)
{
	size_t size = PGA_PAGE_SIZE << order;
	int reused = 0, dirty = 0;

	for (int r = 0; r < rounds; r++) {
		unsigned char *p = pga_alloc_pages(extra, order);
		REQUIRE(p);
		memset(p, 0xab, size);
		pga_free_pages(p, order);

		unsigned char *q = pga_alloc_pages(extra | PGA_GFP_ZERO, order);
		REQUIRE(q);
		reused += q == p;
		if (!t_all_bytes(q, size, 0))
			dirty++;
		memset(q, 0xcd, size);
		pga_free_pages(q, order);
	}
	printf("ZERO order %u: %d rounds, %d reused the dirtied block, %d not zeroed\n", order,
	       rounds, reused, dirty);
	CHECK_EQ(dirty, 0);
}

static void case_zero(void)
{
	zero_order(0, 300, 0);
	zero_order(0, 50, PGA_GFP_MOVABLE);
	zero_order(0, 50, PGA_GFP_COLD);
	zero_order(1, 50, 0);
	zero_order(3, 50, PGA_GFP_RECLAIMABLE);
	zero_order(4, 20, 0);
	zero_order(10, 10, 0);
	zero_order(10, 4, PGA_GFP_MOVABLE);

	/* Many dirty pages on the pcp lists, then a run of ZERO requests. */
	static unsigned char *pages[512];
	for (int i = 0; i < 512; i++) {
		pages[i] = pga_alloc_pages(0, 0);
		REQUIRE(pages[i]);
		memset(pages[i], 0xee, PGA_PAGE_SIZE);
	}
	for (int i = 0; i < 512; i++)
		pga_free_pages(pages[i], 0);
	int dirty = 0;
	for (int i = 0; i < 512; i++) {
		pages[i] = pga_alloc_pages_node(-1, PGA_GFP_ZERO, 0);
		REQUIRE(pages[i]);
		dirty += !t_all_bytes(pages[i], PGA_PAGE_SIZE, 0);
		memset(pages[i], 0xee, PGA_PAGE_SIZE);
	}
	CHECK_EQ(dirty, 0);
	for (int i = 0; i < 512; i++)
		pga_free_pages(pages[i], 0);

	/* alloc_pages_exact with ZERO after the same pages were dirtied. */
	for (int r = 0; r < 20; r++) {
		unsigned char *p = pga_alloc_pages_exact(36 * 1024, 0);
		REQUIRE(p);
		memset(p, 0x11, 36 * 1024);
		pga_free_pages_exact(p, 36 * 1024);
		p = pga_alloc_pages_exact(36 * 1024, PGA_GFP_ZERO);
		REQUIRE(p);
		CHECK(t_all_bytes(p, 36 * 1024, 0));
		memset(p, 0x22, 36 * 1024);
		pga_free_pages_exact(p, 36 * 1024);
	}
}

/* ---- natural alignment ------------------------------------------------- */

static void case_alignment(void)
{
	static void *blocks[PGA_MAX_ORDER][8];

	for (unsigned order = 0; order < PGA_MAX_ORDER; order++)
		for (int i = 0; i < 8; i++) {
			pga_gfp_t gfp = (i % 3 == 1)   ? PGA_GFP_MOVABLE
			                : (i % 3 == 2) ? PGA_GFP_COLD
			                               : 0;
			void *p = pga_alloc_pages(gfp, order);
			blocks[order][i] = p;
			CHECK(p != NULL);
			if (p && (uintptr_t)p % (PGA_PAGE_SIZE << order)) {
				fprintf(stderr, "order %u block %p not aligned\n", order, p);
				CHECK((uintptr_t)p % (PGA_PAGE_SIZE << order) == 0);
			}
		}
	for (unsigned order = 0; order < PGA_MAX_ORDER; order++)
		for (int i = 0; i < 8; i++)
			if (blocks[order][i])
				pga_free_pages(blocks[order][i], order);
}

/* ---- EINVAL ------------------------------------------------------------ */

#define EXPECT_EINVAL(call)                                                                        \
	do {                                                                                       \
		errno = 0;                                                                         \
		void *_p = (call);                                                                 \
		CHECK(_p == NULL);                                                                 \
		if (_p == NULL)                                                                    \
			CHECK_EQ(errno, EINVAL);                                                   \
	} while (0)

static void case_einval(void)
{
	static const unsigned bad_orders[] = {PGA_MAX_ORDER, PGA_MAX_ORDER + 1, 31, 32, 64,
	                                      UINT_MAX};
	pga_nodemask_t all;

	memset(&all, 0xff, sizeof(all));
	/* Warm the pcp lists so that the order-0 fast path is taken. */
	void *warm = pga_alloc_pages(0, 0);
	REQUIRE(warm);
	pga_free_pages(warm, 0);
	warm = pga_alloc_pages(PGA_GFP_MOVABLE, 0);
	REQUIRE(warm);
	pga_free_pages(warm, 0);

	for (size_t i = 0; i < PGA_ARRAY_SIZE(bad_orders); i++) {
		EXPECT_EINVAL(pga_alloc_pages(0, bad_orders[i]));
		EXPECT_EINVAL(pga_alloc_pages(PGA_GFP_NOFAIL, bad_orders[i]));
		EXPECT_EINVAL(pga_alloc_pages_node(0, 0, bad_orders[i]));
		EXPECT_EINVAL(pga_alloc_pages_nodemask(0, bad_orders[i], -1, &all));
	}

	/* Contradictory mobility. */
	const pga_gfp_t both = PGA_GFP_MOVABLE | PGA_GFP_RECLAIMABLE;
	for (unsigned order = 0; order < PGA_MAX_ORDER; order += 3) {
		EXPECT_EINVAL(pga_alloc_pages(both, order));
		EXPECT_EINVAL(pga_alloc_pages(both | PGA_GFP_ZERO, order));
		EXPECT_EINVAL(pga_alloc_pages_node(0, both, order));
		EXPECT_EINVAL(pga_alloc_pages_nodemask(both, order, 0, &all));
	}
	EXPECT_EINVAL(pga_alloc_pages_exact(36 * 1024, both));

	/* Unknown bits, on the fast path (order 0, warm pcp) and off it. */
	static const pga_gfp_t unknown[] = {PGA_GFP_ALL + 1, 0x1000u, 0x10000u, 0x80000000u,
	                                    ~PGA_GFP_ALL};
	for (size_t i = 0; i < PGA_ARRAY_SIZE(unknown); i++) {
		EXPECT_EINVAL(pga_alloc_pages(unknown[i], 0));
		EXPECT_EINVAL(pga_alloc_pages(unknown[i] | PGA_GFP_MOVABLE, 0));
		EXPECT_EINVAL(pga_alloc_pages(unknown[i], 4));
		EXPECT_EINVAL(pga_alloc_pages_node(-1, unknown[i], 0));
		EXPECT_EINVAL(pga_alloc_pages_exact(PGA_PAGE_SIZE, unknown[i]));
	}

	/* Nodes that do not exist. */
	EXPECT_EINVAL(pga_alloc_pages_node(pga_num_nodes(), 0, 0));
	EXPECT_EINVAL(pga_alloc_pages_node(PGA_MAX_NUMNODES, 0, 0));
	EXPECT_EINVAL(pga_alloc_pages_node(PGA_MAX_NUMNODES + 5, 0, 3));

	/* The allocator still works afterwards. */
	void *p = pga_alloc_pages(0, 0);
	CHECK(p != NULL);
	if (p)
		pga_free_pages(p, 0);
}

/* ---- ENOMEM, HIGH, NORETRY, NOFAIL on a small node ---------------------- */

#define MAX_PAGES (32 * 256 + 64)

/* Allocate order-0 pages with gfp until NULL; returns how many, the errno
 * of the failure in *err. */
static int exhaust(void **pages, int max, pga_gfp_t gfp, int *err)
{
	int n = 0;

	for (; n < max; n++) {
		errno = 0;
		pages[n] = pga_alloc_pages(gfp, 0);
		if (!pages[n]) {
			*err = errno;
			break;
		}
		*(volatile char *)pages[n] = 1;
	}
	return n;
}

static void case_enomem(void)
{
	static void *pages[MAX_PAGES];
	static void *high[MAX_PAGES];
	struct pga_zone_stats st;
	int err = 0, n1, n2, nh;

	REQUIRE(pga_num_nodes() >= 1);
	CHECK(pga_zone_stats(0, PGA_ZONE_DMA32, &st) == -1);
	REQUIRE(pga_zone_stats(0, PGA_ZONE_NORMAL, &st) == 0);
	printf("small node: spanned %lu, min %lu low %lu high %lu\n", st.spanned, st.watermark_min,
	       st.watermark_low, st.watermark_high);
	CHECK(st.spanned <= 32 * 256);

	n1 = exhaust(pages, MAX_PAGES, PGA_GFP_NOWARN, &err);
	printf("first round: %d pages before ENOMEM\n", n1);
	CHECK(n1 < MAX_PAGES);
	CHECK(n1 > 32 * 256 / 2);
	CHECK_EQ(err, ENOMEM);

	/* Still failing, cleanly, for every kind of normal request. */
	errno = 0;
	CHECK(pga_alloc_pages(PGA_GFP_NORETRY | PGA_GFP_NOWARN, 0) == NULL);
	CHECK_EQ(errno, ENOMEM);
	errno = 0;
	CHECK(pga_alloc_pages(PGA_GFP_NOWARN | PGA_GFP_MOVABLE, 0) == NULL);
	CHECK_EQ(errno, ENOMEM);
	errno = 0;
	CHECK(pga_alloc_pages(PGA_GFP_NOWARN, 3) == NULL);
	CHECK_EQ(errno, ENOMEM);
	errno = 0;
	CHECK(pga_alloc_pages(PGA_GFP_NORETRY | PGA_GFP_NOWARN, PGA_MAX_ORDER - 1) == NULL);
	CHECK_EQ(errno, ENOMEM);

	/* HIGH dips below MIN: it still gets pages, then runs out too. */
	err = 0;
	nh = exhaust(high, MAX_PAGES, PGA_GFP_HIGH | PGA_GFP_NOWARN, &err);
	printf("HIGH got %d more pages\n", nh);
	CHECK(nh > 0);
	CHECK_EQ(err, ENOMEM);

	/* NOFAIL never fails, even now. */
	void *nf[4];
	for (int i = 0; i < 4; i++) {
		nf[i] = pga_alloc_pages(PGA_GFP_NOFAIL, 0);
		CHECK(nf[i] != NULL);
	}
	for (int i = 0; i < 4; i++)
		if (nf[i])
			pga_free_pages(nf[i], 0);

	/* Nothing is lost: free everything, the same count comes back. */
	for (int i = 0; i < nh; i++)
		pga_free_pages(high[i], 0);
	for (int i = 0; i < n1; i++)
		pga_free_pages(pages[i], 0);
	pga_drain_all_pages();
	REQUIRE(pga_zone_stats(0, PGA_ZONE_NORMAL, &st) == 0);
	CHECK_EQ(st.free, st.managed);

	err = 0;
	n2 = exhaust(pages, MAX_PAGES, PGA_GFP_NOWARN, &err);
	printf("second round: %d pages before ENOMEM\n", n2);
	CHECK_EQ(n2, n1);
	CHECK_EQ(err, ENOMEM);
	for (int i = 0; i < n2; i++)
		pga_free_pages(pages[i], 0);

	/* And larger blocks work again once the pages are back. */
	pga_drain_all_pages();
	void *big = pga_alloc_pages(0, 8);
	CHECK(big != NULL);
	if (big)
		pga_free_pages(big, 8);
}

/* ---- NOWARN ------------------------------------------------------------ */

static void *g_pages[MAX_PAGES];

static void exhaust_then(pga_gfp_t last)
{
	int err = 0;
	int n = exhaust(g_pages, MAX_PAGES, PGA_GFP_NOWARN, &err);

	CHECK(n > 0 && n < MAX_PAGES);
	errno = 0;
	CHECK(pga_alloc_pages(last, 0) == NULL);
	CHECK_EQ(errno, ENOMEM);
	errno = 0;
	CHECK(pga_alloc_pages(last, 2) == NULL);
	CHECK_EQ(errno, ENOMEM);
	for (int i = 0; i < n; i++)
		pga_free_pages(g_pages[i], 0);
}

static void child_warn(void)
{
	exhaust_then(0);
}

static void child_nowarn(void)
{
	exhaust_then(PGA_GFP_NOWARN);
	exhaust_then(PGA_GFP_NOWARN | PGA_GFP_NORETRY);
}

/* The children run with stderr captured, and must not leave a core file
 * when a bad free aborts them. */
static const struct t_child_opts small_captured = {
    .conf = SMALL_CONF, .capture_err = true, .no_core = true};

static void case_nowarn(void)
{
	struct t_child r;
	bool ok;

	ok = t_child_run(child_warn, small_captured, &r);
	CHECK(ok);
	CHECK(strstr(r.err, "page allocation failure") != NULL);
	CHECK(strstr(r.err, "order") != NULL);
	if (!ok || !strstr(r.err, "page allocation failure"))
		fprintf(stderr, "without NOWARN (%s), stderr was:\n%s\n", r.how, r.err);
	t_child_release(&r);

	ok = t_child_run(child_nowarn, small_captured, &r);
	CHECK(ok);
	CHECK(strstr(r.err, "page allocation failure") == NULL);
	if (!ok || strstr(r.err, "page allocation failure"))
		fprintf(stderr, "with NOWARN (%s), stderr was:\n%s\n", r.how, r.err);
	t_child_release(&r);
}

/* ---- node and zone of an address --------------------------------------- */

static int static_var;

static void case_page_node(void)
{
	int nodes = pga_num_nodes();
	int on_stack = 0;
	struct pga_zone_stats st;

	for (unsigned order = 0; order < PGA_MAX_ORDER; order += 2) {
		unsigned char *p = pga_alloc_pages(0, order);
		size_t size = PGA_PAGE_SIZE << order;

		REQUIRE(p);
		int nid = pga_page_node(p);
		CHECK(nid >= 0 && nid < nodes);
		CHECK_EQ(pga_page_zone(p), PGA_ZONE_NORMAL);
		CHECK_EQ(pga_page_node(p + size - 1), nid);
		CHECK_EQ(pga_page_node(p + size / 2 + 17), nid);
		CHECK_EQ(pga_page_zone(p + size - 1), PGA_ZONE_NORMAL);
		pga_free_pages(p, order);
	}
	for (int n = 0; n < nodes; n++) {
		void *p = pga_alloc_pages_node(n, PGA_GFP_THISNODE, 0);
		CHECK(p != NULL);
		if (!p)
			continue;
		CHECK_EQ(pga_page_node(p), n);
		pga_free_pages(p, 0);
	}
	if (pga_zone_stats(0, PGA_ZONE_DMA32, &st) == 0) {
		unsigned char *p = pga_alloc_pages(PGA_GFP_DMA32, 2);
		CHECK(p != NULL);
		if (p) {
			CHECK_EQ(pga_page_zone(p), PGA_ZONE_DMA32);
			CHECK_EQ(pga_page_zone(p + 4 * PGA_PAGE_SIZE - 1), PGA_ZONE_DMA32);
			CHECK((uintptr_t)p + 4 * PGA_PAGE_SIZE <= ((uintptr_t)1 << 32));
			CHECK(pga_page_node(p) >= 0 && pga_page_node(p) < nodes);
			pga_free_pages(p, 2);
		}
	} else {
		printf("no DMA32 zone on node 0: DMA32 address checks skipped\n");
	}

	/* Memory pgalloc does not manage. */
	void *heap = malloc(100);
	void *big_heap = malloc(8 << 20);
	REQUIRE(heap && big_heap);
	const void *unmanaged[] = {&on_stack,
	                           heap,
	                           big_heap,
	                           &static_var,
	                           NULL,
	                           (const void *)(uintptr_t)case_page_node,
	                           (const void *)1,
	                           (const void *)UINTPTR_MAX};
	for (size_t i = 0; i < PGA_ARRAY_SIZE(unmanaged); i++) {
		CHECK_EQ(pga_page_node(unmanaged[i]), -1);
		CHECK_EQ(pga_page_zone(unmanaged[i]), -1);
	}
	free(heap);
	free(big_heap);
}

/* ---- bad frees ----------------------------------------------------------- */

/* In the child: the address its bad free names, as %p prints it, sent to
 * the parent before the call. */
static void note(uintptr_t addr)
{
	char text[64];

	snprintf(text, sizeof(text), "%p", (void *)addr);
	REQUIRE(t_child_send(text, strlen(text)));
}

static void bad_double_free_pcp(void)
{
	void *p = pga_alloc_pages(0, 0);
	REQUIRE(p);
	note((uintptr_t)p);
	pga_free_pages(p, 0);
	pga_free_pages(p, 0);
}

static void bad_double_free_buddy(void)
{
	void *p = pga_alloc_pages(0, 0);
	REQUIRE(p);
	note((uintptr_t)p);
	pga_free_pages(p, 0);
	pga_drain_all_pages();
	pga_free_pages(p, 0);
}

static void bad_double_free_order5(void)
{
	void *p = pga_alloc_pages(PGA_GFP_MOVABLE, 5);
	REQUIRE(p);
	note((uintptr_t)p);
	pga_free_pages(p, 5);
	pga_free_pages(p, 5);
}

static void bad_free_stack(void)
{
	char buf[64];
	note((uintptr_t)buf);
	pga_free_pages(buf, 0);
}

static void bad_free_heap(void)
{
	void *p = malloc(PGA_PAGE_SIZE * 2);
	REQUIRE(p);
	note((uintptr_t)p);
	pga_free_pages(p, 0);
}

static void bad_free_interior(void)
{
	unsigned char *p = pga_alloc_pages(0, 2);
	REQUIRE(p);
	note((uintptr_t)(p + PGA_PAGE_SIZE));
	pga_free_pages(p + PGA_PAGE_SIZE, 2);
}

static void bad_free_interior_order0(void)
{
	unsigned char *p = pga_alloc_pages(0, 2);
	REQUIRE(p);
	note((uintptr_t)(p + 2 * PGA_PAGE_SIZE));
	pga_free_pages(p + 2 * PGA_PAGE_SIZE, 0);
}

static void bad_free_misaligned(void)
{
	unsigned char *p = pga_alloc_pages(0, 0);
	REQUIRE(p);
	note((uintptr_t)(p + 16));
	pga_free_pages(p + 16, 0);
}

static void bad_free_wrong_order(void)
{
	void *p = pga_alloc_pages(0, 2);
	REQUIRE(p);
	note((uintptr_t)p);
	pga_free_pages(p, 3);
}

static void bad_free_never_allocated(void)
{
	/* A page of the zone that is free (on a pcp or buddy list). */
	unsigned char *p = pga_alloc_pages(0, 4);
	REQUIRE(p);
	pga_free_pages(p, 4);
	pga_drain_all_pages();
	note((uintptr_t)(p + 8 * PGA_PAGE_SIZE));
	pga_free_pages(p + 8 * PGA_PAGE_SIZE, 0);
}

struct bad_case {
	const char *name;
	void (*fn)(void);
};

static void case_bad_frees(void)
{
	static const struct bad_case cases[] = {
	    {"double free (pcp)", bad_double_free_pcp},
	    {"double free (buddy)", bad_double_free_buddy},
	    {"double free order 5", bad_double_free_order5},
	    {"free of a stack address", bad_free_stack},
	    {"free of a malloc address", bad_free_heap},
	    {"free of an interior pointer", bad_free_interior},
	    {"order-0 free inside an order-2 block", bad_free_interior_order0},
	    {"free of a misaligned pointer", bad_free_misaligned},
	    {"free with the wrong order", bad_free_wrong_order},
	    {"free of a page never allocated", bad_free_never_allocated},
	};
	for (size_t i = 0; i < PGA_ARRAY_SIZE(cases); i++) {
		struct t_child r;
		t_child_run(cases[i].fn,
		            (struct t_child_opts){.capture_err = true, .no_core = true}, &r);
		bool aborted = t_child_killed_by(&r, SIGABRT);
		bool named = r.data[0] && strstr(r.err, r.data) != NULL;

		CHECK(aborted);
		CHECK(named);
		if (!aborted || !named)
			fprintf(stderr, "%s: %s, expected %s in stderr:\n---\n%s---\n",
			        cases[i].name, r.how, r.data, r.err);
		else
			printf("%s: aborted, message names %s\n", cases[i].name, r.data);
		t_child_release(&r);
	}
}

int main(void)
{
	t_run_with_conf("zero", NULL, case_zero);
	t_run_with_conf("alignment", NULL, case_alignment);
	t_run_with_conf("einval", NULL, case_einval);
	t_run_with_conf("enomem", SMALL_CONF, case_enomem);
	case_nowarn();
	t_run_with_conf("page_node", NULL, case_page_node);
	case_bad_frees();
	return t_done("gfp");
}
