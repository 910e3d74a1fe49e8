/* SPDX-License-Identifier: MIT */
/*
 * test_dma32.c - ZONE_DMA32: PGA_GFP_DMA32 pages lie below 4 GiB and come
 * from the DMA32 zone; plain requests come from ZONE_NORMAL and fall back
 * into DMA32 only down to its lowmem_reserve; DMA32 requests may go below
 * that reserve; dma32_mb=0 removes the zone and DMA32 requests fail.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "check.h"
#include "child.h"
#include "mmzone.h"
#include "pages.h"
#include "pgalloc.h"
#include "zones.h"

#define FOUR_GIB ((uint64_t)1 << 32)
#define NOWARN   PGA_GFP_NOWARN

static bool below_4g(const void *p, unsigned order)
{
	return (uint64_t)(uintptr_t)p + ((uint64_t)PGA_PAGE_SIZE << order) <= FOUR_GIB;
}

/* DMA32 requests: below 4 GiB, from ZONE_DMA32, on each node; plain ones
 * from ZONE_NORMAL. */
static void case_placement(void)
{
	int nr = pga_num_nodes();

	REQUIRE(nr >= 1);
	for (int n = 0; n < nr; n++) {
		struct pga_zone *dz = &pga_mem.nodes[n].zones[PGA_ZONE_DMA32];
		struct pga_zone *nz = &pga_mem.nodes[n].zones[PGA_ZONE_NORMAL];

		REQUIRE(pga_zone_populated(dz));
		REQUIRE(pga_zone_populated(nz));
		/* The zone's whole span lies under 4 GiB. */
		CHECK((uint64_t)(uintptr_t)pga_pfn_to_addr(dz, dz->zone_start_pfn +
		                                                   dz->spanned_pages) <= FOUR_GIB);
		/* dma32_mb is clamped to a quarter of the node. */
		CHECK(dz->spanned_pages * 4 <= pga_mem.nodes[n].limit_pages);

		for (unsigned order = 0; order < PGA_MAX_ORDER; order++) {
			void *p = pga_alloc_pages_node(n, PGA_GFP_DMA32 | PGA_GFP_THISNODE, order);
			REQUIRE(p != NULL);
			CHECK(below_4g(p, order));
			CHECK_EQ(pga_page_zone(p), PGA_ZONE_DMA32);
			CHECK_EQ(pga_page_node(p), n);
			CHECK_EQ((uintptr_t)p & ((PGA_PAGE_SIZE << order) - 1), 0);
			/* Writable, all of it. */
			memset(p, 0x5a, PGA_PAGE_SIZE << order);
			pga_free_pages(p, order);

			void *q = pga_alloc_pages_node(n, PGA_GFP_THISNODE, order);
			REQUIRE(q != NULL);
			CHECK_EQ(pga_page_zone(q), PGA_ZONE_NORMAL);
			CHECK_EQ(pga_page_node(q), n);
			pga_free_pages(q, order);
		}

		/* The other gfp bits combine with DMA32. */
		const pga_gfp_t extra[] = {PGA_GFP_MOVABLE, PGA_GFP_RECLAIMABLE, PGA_GFP_ZERO,
		                           PGA_GFP_COLD, PGA_GFP_HIGH};
		for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
			unsigned char *p =
			    pga_alloc_pages_node(n, PGA_GFP_DMA32 | PGA_GFP_THISNODE | extra[i], 1);
			REQUIRE(p != NULL);
			CHECK(below_4g(p, 1));
			CHECK_EQ(pga_page_zone(p), PGA_ZONE_DMA32);
			if (extra[i] == PGA_GFP_ZERO) {
				size_t nonzero = 0;
				for (size_t b = 0; b < 2 * PGA_PAGE_SIZE; b++)
					nonzero += p[b] != 0;
				CHECK_EQ(nonzero, 0);
			}
			memset(p, 0xa5, 2 * PGA_PAGE_SIZE);
			pga_free_pages(p, 1);
		}

		/* alloc_pages_exact with DMA32. */
		void *e = pga_alloc_pages_exact_node(n, 3 * PGA_PAGE_SIZE, PGA_GFP_DMA32);
		REQUIRE(e != NULL);
		CHECK(below_4g(e, 0) && (uintptr_t)e + 3 * PGA_PAGE_SIZE <= FOUR_GIB);
		CHECK_EQ(pga_page_zone(e), PGA_ZONE_DMA32);
		pga_free_pages_exact(e, 3 * PGA_PAGE_SIZE);
	}

	/* The calling thread's own node, through pga_alloc_pages. */
	void *p = pga_alloc_pages(PGA_GFP_DMA32, 0);
	REQUIRE(p != NULL);
	CHECK(below_4g(p, 0));
	CHECK_EQ(pga_page_zone(p), PGA_ZONE_DMA32);
	pga_free_pages(p, 0);
	p = pga_alloc_pages(0, 0);
	REQUIRE(p != NULL);
	CHECK_EQ(pga_page_zone(p), PGA_ZONE_NORMAL);
	pga_free_pages(p, 0);

	t_check_all_free("placement", (struct t_all_free){.drain = true, .validate = true});
}

/*
 * lowmem_reserve: with 64 MiB on one node, 16 MiB of it DMA32, exhaust the
 * node with plain THISNODE requests. They take ZONE_NORMAL, then fall back
 * into DMA32, but must leave min + lowmem_reserve[NORMAL] pages there. DMA32
 * requests may then go below that.
 */
static void case_lowmem_reserve(void)
{
	struct pages normal = {0}, dma = {0};
	size_t from_dma32 = 0, from_normal = 0, bad = 0;
	void *p;

	REQUIRE(pga_num_nodes() == 1);
	struct pga_zone *dz = &pga_mem.nodes[0].zones[PGA_ZONE_DMA32];
	struct pga_zone *nz = &pga_mem.nodes[0].zones[PGA_ZONE_NORMAL];
	REQUIRE(pga_zone_populated(dz));
	REQUIRE(pga_zone_populated(nz));
	CHECK_EQ(dz->spanned_pages, 16UL << (20 - PGA_PAGE_SHIFT));
	CHECK_EQ(dz->spanned_pages + nz->spanned_pages, 64UL << (20 - PGA_PAGE_SHIFT));

	unsigned long reserve = dz->lowmem_reserve[PGA_ZONE_NORMAL];
	unsigned long min = dz->watermark[PGA_WMARK_MIN];
	CHECK(reserve > 0);
	/* The kernel's rule: the higher zone's pages / lowmem_reserve_ratio. */
	CHECK_EQ(reserve, nz->spanned_pages / 256);
	CHECK_EQ(dz->lowmem_reserve[PGA_ZONE_DMA32], 0);

	errno = 0;
	while ((p = pga_alloc_pages_node(0, PGA_GFP_THISNODE | NOWARN, 0)) != NULL) {
		int zt = pga_page_zone(p);
		if (zt == PGA_ZONE_DMA32)
			from_dma32++;
		else if (zt == PGA_ZONE_NORMAL)
			from_normal++;
		else
			bad++;
		pages_push(&normal, p);
		REQUIRE(normal.n <= 2 * (64UL << (20 - PGA_PAGE_SHIFT)));
	}
	CHECK_EQ(errno, ENOMEM);
	CHECK_EQ(bad, 0);
	CHECK(from_normal > 0);
	/* NORMAL requests do fall back into DMA32 (above its reserve). */
	CHECK(from_dma32 > 0);

	/* What the pcp lists hold is not allocated: drain it back. The last
	 * refill may have taken a batch of pages past the watermark check
	 * (rmqueue_bulk checks once per batch), hence the slack. */
	pga_drain_all_pages();
	unsigned long dfree = pga_zone_free_pages(dz);
	CHECK(atomic_load(&dz->managed_pages) == dz->spanned_pages); /* fully grown */
	CHECK(dfree + (unsigned long)dz->pcp_batch >= min + reserve);
	if (dfree + (unsigned long)dz->pcp_batch < min + reserve)
		fprintf(stderr, "DMA32 kept %lu free; min %lu + reserve %lu\n", dfree, min,
		        reserve);
	/* And NORMAL requests took DMA32 only down to that point. */
	CHECK(from_dma32 <= dz->spanned_pages - min - reserve + (unsigned long)dz->pcp_batch);

	/* A DMA32 request (classzone DMA32: no reserve) still succeeds, and
	 * such requests may go below min + reserve[NORMAL]. */
	errno = 0;
	while ((p = pga_alloc_pages_node(0, PGA_GFP_DMA32 | PGA_GFP_THISNODE | NOWARN, 0)) !=
	       NULL) {
		CHECK_EQ(pga_page_zone(p), PGA_ZONE_DMA32);
		CHECK(below_4g(p, 0));
		pages_push(&dma, p);
		REQUIRE(dma.n <= dz->spanned_pages);
	}
	CHECK_EQ(errno, ENOMEM);
	CHECK(dma.n > 0);
	pga_drain_all_pages();
	dfree = pga_zone_free_pages(dz);
	CHECK(dfree < min + reserve);
	if (dfree >= min + reserve)
		fprintf(stderr, "DMA32 requests stopped at %lu free; min %lu + reserve %lu\n",
		        dfree, min, reserve);

	/* Everything is full: a plain request fails. */
	errno = 0;
	CHECK(pga_alloc_pages_node(0, PGA_GFP_THISNODE | NOWARN, 0) == NULL);
	CHECK_EQ(errno, ENOMEM);

	pages_free(&dma);
	pages_free(&normal);
	t_check_all_free("lowmem_reserve", (struct t_all_free){.drain = true, .validate = true});
}

/* DMA32 requests fall back to other nodes' DMA32 zones when the preferred
 * node's is full; with THISNODE they fail. */
static void case_dma32_fallback(void)
{
	struct pages own = {0}, other = {0};
	void *p;

	REQUIRE(pga_num_nodes() == 2);
	errno = 0;
	while ((p = pga_alloc_pages_node(0, PGA_GFP_DMA32 | PGA_GFP_THISNODE | NOWARN, 0)) !=
	       NULL) {
		CHECK_EQ(pga_page_node(p), 0);
		CHECK_EQ(pga_page_zone(p), PGA_ZONE_DMA32);
		pages_push(&own, p);
		REQUIRE(own.n <= (16UL << (20 - PGA_PAGE_SHIFT)));
	}
	CHECK_EQ(errno, ENOMEM);
	CHECK(own.n > 0);

	for (int i = 0; i < 100; i++) {
		p = pga_alloc_pages_node(0, PGA_GFP_DMA32 | NOWARN, 0);
		REQUIRE(p != NULL);
		CHECK_EQ(pga_page_node(p), 1);
		CHECK_EQ(pga_page_zone(p), PGA_ZONE_DMA32);
		CHECK(below_4g(p, 0));
		pages_push(&other, p);
	}
	/* A plain request for node 0 still has node 0's NORMAL zone. */
	p = pga_alloc_pages_node(0, NOWARN, 0);
	REQUIRE(p != NULL);
	CHECK_EQ(pga_page_node(p), 0);
	CHECK_EQ(pga_page_zone(p), PGA_ZONE_NORMAL);
	pga_free_pages(p, 0);

	pages_free(&other);
	pages_free(&own);
	t_check_all_free("dma32 fallback", (struct t_all_free){.drain = true, .validate = true});
}

/* dma32_mb=0: no DMA32 zone; DMA32 requests fail with ENOMEM, others
 * work. */
static void case_no_dma32(void)
{
	int nr = pga_num_nodes();
	struct pga_zone_stats st;

	for (int n = 0; n < nr; n++) {
		CHECK(!pga_zone_populated(&pga_mem.nodes[n].zones[PGA_ZONE_DMA32]));
		errno = 0;
		CHECK_EQ(pga_zone_stats(n, PGA_ZONE_DMA32, &st), -1);
		CHECK_EQ(errno, EINVAL);
		CHECK_EQ(pga_zone_stats(n, PGA_ZONE_NORMAL, &st), 0);

		for (unsigned order = 0; order < 4; order++) {
			errno = 0;
			CHECK(pga_alloc_pages_node(n, PGA_GFP_DMA32 | NOWARN, order) == NULL);
			CHECK_EQ(errno, ENOMEM);
			errno = 0;
			CHECK(pga_alloc_pages_node(n, PGA_GFP_DMA32 | PGA_GFP_THISNODE | NOWARN,
			                           order) == NULL);
			CHECK_EQ(errno, ENOMEM);
		}
		void *p = pga_alloc_pages_node(n, 0, 0);
		REQUIRE(p != NULL);
		CHECK_EQ(pga_page_zone(p), PGA_ZONE_NORMAL);
		pga_free_pages(p, 0);
	}
	errno = 0;
	CHECK(pga_alloc_pages(PGA_GFP_DMA32 | NOWARN, 0) == NULL);
	CHECK_EQ(errno, ENOMEM);
	errno = 0;
	CHECK(pga_alloc_pages_exact(PGA_PAGE_SIZE, PGA_GFP_DMA32 | NOWARN) == NULL);
	CHECK_EQ(errno, ENOMEM);
	t_check_all_free("no_dma32", (struct t_all_free){.drain = true, .validate = true});
}

int main(void)
{
	t_run_with_conf("placement-1", "numa_fake=1,node_limit_mb=64,dma32_mb=16", case_placement);
	t_run_with_conf("placement-2", "numa_fake=2,node_limit_mb=64,dma32_mb=16", case_placement);
	/* dma32_mb above a quarter of the node is clamped to 16 MiB. */
	t_run_with_conf("placement-clamped", "numa_fake=2,node_limit_mb=64,dma32_mb=64",
	                case_placement);
	t_run_with_conf("dma32-fallback", "numa_fake=2,node_limit_mb=64,dma32_mb=16",
	                case_dma32_fallback);
	t_run_with_conf("lowmem-reserve", "numa_fake=1,node_limit_mb=64,dma32_mb=16",
	                case_lowmem_reserve);
	t_run_with_conf("no-dma32-1", "numa_fake=1,node_limit_mb=64,dma32_mb=0", case_no_dma32);
	t_run_with_conf("no-dma32-3", "numa_fake=3,node_limit_mb=64,dma32_mb=0", case_no_dma32);
	return t_done("test_dma32");
}
