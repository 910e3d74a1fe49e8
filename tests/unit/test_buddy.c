// SPDX-License-Identifier: MIT
/*
 * test_buddy.c - the buddy allocator's invariants: split and merge give back
 * the same free lists, a seeded torture of orders 0..10 checked against a
 * shadow model (alignment, no overlap, contents intact, validator), the
 * grouping of pages by migratetype, and alloc_pages_exact's page count.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buddy.h"
#include "check.h"
#include "child.h"
#include "mmzone.h"
#include "pgalloc.h"
#include "rand.h"
#include "zones.h"

/* ---- helpers ---------------------------------------------------------- */

struct zone_snap {
	unsigned long nr_free[PGA_MAX_ORDER];
	unsigned long free_pages;
	unsigned long managed;
};

static void snap_zone(struct pga_zone *zone, struct zone_snap *s)
{
	pga_lock(&zone->lock);
	for (unsigned o = 0; o < PGA_MAX_ORDER; o++)
		s->nr_free[o] = zone->free_area[o].nr_free;
	s->free_pages = pga_zone_free_pages(zone);
	s->managed = atomic_load(&zone->managed_pages);
	pga_unlock(&zone->lock);
}

static void snap_all(struct zone_snap *s)
{
	for (int i = 0; i < pga_mem.nr_zones; i++)
		snap_zone(pga_mem.zones[i], &s[i]);
}

static bool managed_changed(const struct zone_snap *a, const struct zone_snap *b)
{
	for (int i = 0; i < pga_mem.nr_zones; i++)
		if (a[i].managed != b[i].managed)
			return true;
	return false;
}

/* Free + pcp pages of every zone, from the public statistics. */
static unsigned long available_pages(unsigned long *managed)
{
	unsigned long sum = 0;

	*managed = 0;
	for (int n = 0; n < pga_num_nodes(); n++)
		for (int z = 0; z < PGA_NR_ZONES; z++) {
			struct pga_zone_stats st;

			if (pga_zone_stats(n, z, &st) != 0)
				continue;
			sum += st.free + st.pcp;
			*managed += st.managed;
		}
	return sum;
}

/* ---- split and merge -------------------------------------------------- */

#define NR_SMALL 1024

static void case_split_merge(void)
{
	static void *small[NR_SMALL];
	static void *mid[3][96];
	struct zone_snap before[PGA_MAX_ZONES], mid_snap[PGA_MAX_ZONES], after[PGA_MAX_ZONES];
	int attempt;

	REQUIRE(pga_num_nodes() >= 1);
	/* Attach the thread state first: it must not disturb the counts. */
	void *warm = pga_alloc_pages(0, 0);
	REQUIRE(warm);
	pga_free_pages(warm, 0);

	for (attempt = 0; attempt < 4; attempt++) {
		pga_drain_all_pages();
		snap_all(before);

		/* One order-10 block: one fewer on free_area[10]. */
		void *big = pga_alloc_pages(0, PGA_MAX_ORDER - 1);
		REQUIRE(big);
		CHECK((uintptr_t)big % (PGA_PAGE_SIZE << (PGA_MAX_ORDER - 1)) == 0);
		unsigned long pfn;
		struct pga_zone *zone = pga_addr_to_zone(big, &pfn);
		REQUIRE(zone);
		snap_all(mid_snap);
		if (!managed_changed(before, mid_snap)) {
			CHECK_EQ(mid_snap[zone->id].nr_free[PGA_MAX_ORDER - 1],
			         before[zone->id].nr_free[PGA_MAX_ORDER - 1] - 1);
			CHECK_EQ(mid_snap[zone->id].free_pages,
			         before[zone->id].free_pages - PGA_MAX_ORDER_PAGES);
		}
		t_zones_valid("order-10 block allocated");
		pga_free_pages(big, PGA_MAX_ORDER - 1);
		t_zones_valid("order-10 block freed");

		/* Split it (and more) into order-0..3 blocks of all types. */
		for (int i = 0; i < NR_SMALL; i++) {
			small[i] = pga_alloc_pages(i % 3 == 1 ? PGA_GFP_MOVABLE : 0, 0);
			CHECK(small[i] != NULL);
		}
		for (int o = 1; o <= 3; o++)
			for (int i = 0; i < 96; i++) {
				pga_gfp_t gfp = i % 3 == 0   ? 0
				                : i % 3 == 1 ? PGA_GFP_MOVABLE
				                             : PGA_GFP_RECLAIMABLE;
				mid[o - 1][i] = pga_alloc_pages(gfp, (unsigned)o);
				CHECK(mid[o - 1][i] != NULL);
			}
		t_zones_valid("split into small blocks");

		/* Free in an order that is neither LIFO nor FIFO. */
		for (int i = 0; i < NR_SMALL; i += 2)
			pga_free_pages(small[i], 0);
		for (int o = 3; o >= 1; o--)
			for (int i = 95; i >= 0; i--)
				if (mid[o - 1][i])
					pga_free_pages(mid[o - 1][i], (unsigned)o);
		for (int i = NR_SMALL - 1; i > 0; i -= 2)
			pga_free_pages(small[i], 0);
		pga_drain_all_pages();
		t_zones_valid("everything freed and drained");
		snap_all(after);
		if (managed_changed(before, after)) {
			printf("zone grew during attempt %d; again\n", attempt);
			continue;
		}
		for (int i = 0; i < pga_mem.nr_zones; i++) {
			CHECK_EQ(after[i].free_pages, before[i].free_pages);
			for (unsigned o = 0; o < PGA_MAX_ORDER; o++) {
				if (after[i].nr_free[o] != before[i].nr_free[o])
					fprintf(stderr, "zone %d order %u: nr_free %lu, was %lu\n",
					        i, o, after[i].nr_free[o], before[i].nr_free[o]);
				CHECK_EQ(after[i].nr_free[o], before[i].nr_free[o]);
			}
		}
		break;
	}
	CHECK(attempt < 4);
}

/* ---- torture against a shadow model ------------------------------------ */

#define T_OPS       50000
#define T_MAX_LIVE  2048
#define T_MAX_PAGES 16384UL
#define T_CHECK_N   1000

struct live_block {
	unsigned char *addr;
	unsigned order;
	uint64_t id;
};

static uint64_t *shadow_bits[PGA_NR_ZONES]; /* one bit per arena pfn: page is live */

static bool shadow_test_set(unsigned arena, unsigned long pfn, bool set)
{
	uint64_t *w = &shadow_bits[arena][pfn / 64];
	uint64_t m = (uint64_t)1 << (pfn % 64);
	bool was = (*w & m) != 0;

	if (set)
		*w |= m;
	else
		*w &= ~m;
	return was;
}

static uint64_t tag(const void *page, uint64_t id)
{
	return (uint64_t)(uintptr_t)page ^ (id * 0x9e3779b97f4a7c15ULL);
}

static void stamp(struct live_block *b)
{
	for (unsigned long i = 0; i < (1UL << b->order); i++) {
		unsigned char *pg = b->addr + i * PGA_PAGE_SIZE;
		uint64_t t = tag(pg, b->id);

		memcpy(pg, &t, sizeof(t));
		memcpy(pg + PGA_PAGE_SIZE - sizeof(t), &t, sizeof(t));
	}
}

static int verify(const struct live_block *b)
{
	for (unsigned long i = 0; i < (1UL << b->order); i++) {
		unsigned char *pg = b->addr + i * PGA_PAGE_SIZE;
		uint64_t t = tag(pg, b->id), x, y;

		memcpy(&x, pg, sizeof(x));
		memcpy(&y, pg + PGA_PAGE_SIZE - sizeof(y), sizeof(y));
		if (x != t || y != t) {
			fprintf(stderr, "block %p order %u: page %lu corrupted\n", (void *)b->addr,
			        b->order, i);
			return 1;
		}
	}
	return 0;
}

/* Mark the pages of b live (set) or free in the shadow; returns the number
 * of pages whose previous state was wrong (overlap or lost block). */
static unsigned long shadow_update(const struct live_block *b, bool set)
{
	unsigned long pfn, bad = 0;
	struct pga_zone *zone = pga_addr_to_zone(b->addr, &pfn);

	if (!zone)
		return 1UL << b->order;
	for (unsigned long i = 0; i < (1UL << b->order); i++)
		if (shadow_test_set((unsigned)zone->idx, pfn + i, set) == set)
			bad++;
	return bad;
}

static unsigned pick_order(unsigned long long *seed)
{
	unsigned r = (unsigned)(t_rand(seed) % 100);

	if (r < 50)
		return 0;
	if (r < 72)
		return 1 + (unsigned)(t_rand(seed) % 3);
	if (r < 95)
		return 4 + (unsigned)(t_rand(seed) % 5);
	return 9 + (unsigned)(t_rand(seed) % 2);
}

static void case_torture(void)
{
	static struct live_block live[T_MAX_LIVE];
	static const pga_gfp_t gfps[] = {0,
	                                 PGA_GFP_MOVABLE,
	                                 PGA_GFP_RECLAIMABLE,
	                                 PGA_GFP_MOVABLE | PGA_GFP_ZERO,
	                                 PGA_GFP_COLD,
	                                 PGA_GFP_HIGHUSER_MOVABLE};
	unsigned long long seed = 0x5eed1234abcdULL;
	unsigned long live_pages = 0, overlaps = 0, misaligned = 0, corrupt = 0, nulls = 0;
	unsigned long not_zero = 0, allocs = 0, frees = 0;
	int nlive = 0;
	uint64_t next_id = 1;

	REQUIRE(pga_num_nodes() >= 1);
	for (int a = 0; a < PGA_NR_ZONES; a++) {
		unsigned long n = pga_mem.arenas[a].nr_pages;

		shadow_bits[a] = calloc(n / 64 + 1, sizeof(uint64_t));
		REQUIRE(shadow_bits[a]);
	}

	for (int op = 0; op < T_OPS; op++) {
		bool do_alloc = nlive == 0 || (nlive < T_MAX_LIVE && t_rand(&seed) % 100 < 55);
		unsigned order = do_alloc ? pick_order(&seed) : 0;

		if (do_alloc && live_pages + (1UL << order) > T_MAX_PAGES)
			do_alloc = false;
		if (do_alloc) {
			pga_gfp_t gfp = gfps[t_rand(&seed) % PGA_ARRAY_SIZE(gfps)];
			struct live_block *b = &live[nlive];

			b->addr = pga_alloc_pages(gfp, order);
			if (!b->addr) {
				nulls++;
				continue;
			}
			allocs++;
			b->order = order;
			b->id = next_id++;
			if ((uintptr_t)b->addr % (PGA_PAGE_SIZE << order))
				misaligned++;
			if (gfp & PGA_GFP_ZERO) {
				/* Spot-check: first and last word of every page. */
				for (unsigned long i = 0; i < (1UL << order); i++) {
					uint64_t x, y;
					unsigned char *pg = b->addr + i * PGA_PAGE_SIZE;
					memcpy(&x, pg, 8);
					memcpy(&y, pg + PGA_PAGE_SIZE - 8, 8);
					if (x || y)
						not_zero++;
				}
			}
			overlaps += shadow_update(b, true);
			stamp(b);
			live_pages += 1UL << order;
			nlive++;
		} else {
			int i = (int)(t_rand(&seed) % (unsigned long long)nlive);
			struct live_block b = live[i];

			corrupt += (unsigned long)verify(&b);
			overlaps += shadow_update(&b, false);
			/* Dirty the block so that a ZERO allocation must clear it. */
			memset(b.addr, 0x5a, 64);
			pga_free_pages(b.addr, b.order);
			frees++;
			live_pages -= 1UL << b.order;
			live[i] = live[--nlive];
		}
		if ((op + 1) % T_CHECK_N == 0) {
			if ((op + 1) % (5 * T_CHECK_N) == 0)
				pga_drain_all_pages();
			if (t_zones_valid("torture"))
				break;
		}
	}
	printf("torture: %lu allocs, %lu frees, %d live (%lu pages) at the end, %lu NULL\n", allocs,
	       frees, nlive, live_pages, nulls);
	CHECK_EQ(misaligned, 0);
	CHECK_EQ(overlaps, 0);
	CHECK_EQ(corrupt, 0);
	CHECK_EQ(not_zero, 0);
	CHECK_EQ(nulls, 0);

	while (nlive > 0) {
		struct live_block b = live[--nlive];
		corrupt += (unsigned long)verify(&b);
		overlaps += shadow_update(&b, false);
		pga_free_pages(b.addr, b.order);
	}
	CHECK_EQ(corrupt, 0);
	CHECK_EQ(overlaps, 0);
	/* Everything came back: every onlined page is on a free list. */
	t_check_all_free("torture end",
	                 (struct t_all_free){.drain = true, .stats = true, .validate = true});
	for (int a = 0; a < PGA_NR_ZONES; a++)
		free(shadow_bits[a]);
}

/* ---- migratetype grouping ---------------------------------------------- */

#define MT_ALLOCS 600

static void case_migratetype(void)
{
	static void *blocks[3][4][MT_ALLOCS];
	static const pga_gfp_t gfp_of[3] = {0, PGA_GFP_MOVABLE, PGA_GFP_RECLAIMABLE};
	static const unsigned orders[4] = {0, 1, 3, 5};
	unsigned long match[3] = {0}, total[3] = {0};
	int nblocks[PGA_MIGRATE_TYPES] = {0};

	REQUIRE(pga_num_nodes() >= 1);
	pga_drain_all_pages();
	/* Interleave the three types so that each one has to take its own
	 * pageblocks (stealing from whatever type the zone started with). */
	for (int i = 0; i < MT_ALLOCS; i++)
		for (int o = 0; o < 4; o++)
			for (int t = 0; t < 3; t++) {
				if (orders[o] > 1 && i >= MT_ALLOCS / 8)
					continue;
				blocks[t][o][i] = pga_alloc_pages(gfp_of[t], orders[o]);
				CHECK(blocks[t][o][i] != NULL);
			}
	for (int t = 0; t < 3; t++)
		for (int o = 0; o < 4; o++)
			for (int i = 0; i < MT_ALLOCS; i++) {
				unsigned long pfn;
				struct pga_zone *zone;

				if (!blocks[t][o][i])
					continue;
				zone = pga_addr_to_zone(blocks[t][o][i], &pfn);
				REQUIRE(zone);
				total[t]++;
				int got = pga_pageblock_migratetype(zone, pfn);
				if (got == t)
					match[t]++;
				else if (match[t] + 5 >= total[t])
					fprintf(
					    stderr, "%s order %u block %p is in a %s pageblock\n",
					    pga_migratetype_names[t], orders[o], blocks[t][o][i],
					    got < PGA_MIGRATE_TYPES ? pga_migratetype_names[got]
					                            : "?");
			}
	for (int t = 0; t < 3; t++) {
		printf("%s: %lu of %lu blocks in pageblocks of their type\n",
		       pga_migratetype_names[t], match[t], total[t]);
		/* A fresh zone has whole free pageblocks to claim: every
		 * block must land in a pageblock of its own type. */
		CHECK_EQ(match[t], total[t]);
	}

	/* Every onlined pageblock has a valid type, and each type owns some. */
	for (int i = 0; i < pga_mem.nr_zones; i++) {
		struct pga_zone *zone = pga_mem.zones[i];

		pga_lock(&zone->lock);
		for (unsigned long pfn = zone->zone_start_pfn; pfn < zone->online_end_pfn;
		     pfn += PGA_PAGEBLOCK_PAGES) {
			int mt = pga_pageblock_migratetype(zone, pfn);
			CHECK(mt >= 0 && mt < PGA_MIGRATE_TYPES);
			if (mt >= 0 && mt < PGA_MIGRATE_TYPES)
				nblocks[mt]++;
		}
		pga_unlock(&zone->lock);
	}
	for (int t = 0; t < 3; t++)
		CHECK(nblocks[t] > 0);
	t_zones_valid("migratetype allocations");

	for (int t = 0; t < 3; t++)
		for (int o = 0; o < 4; o++)
			for (int i = 0; i < MT_ALLOCS; i++)
				if (blocks[t][o][i])
					pga_free_pages(blocks[t][o][i], orders[o]);
	t_check_all_free("migratetype freed", (struct t_all_free){.drain = true, .validate = true});
}

/* ---- alloc_pages_exact ------------------------------------------------- */

/* Allocate size bytes exactly; the free + pcp pages must drop by
 * expect_pages, and come back at the free. */
static void exact_one(size_t size, unsigned long expect_pages)
{
	int attempt;

	for (attempt = 0; attempt < 4; attempt++) {
		unsigned long m0, m1, m2;

		pga_drain_all_pages();
		unsigned long before = available_pages(&m0);
		unsigned char *p = pga_alloc_pages_exact(size, 0);
		REQUIRE(p);
		unsigned long during = available_pages(&m1);
		CHECK((uintptr_t)p % PGA_PAGE_SIZE == 0);

		unsigned long pfn;
		struct pga_zone *zone = pga_addr_to_zone(p, &pfn);
		REQUIRE(zone);
		struct pga_page *head = pga_pfn_to_page(zone, pfn);
		CHECK(head->flags & PGA_PG_ALLOC);
		memset(p, 0x77, size);

		pga_free_pages_exact(p, size);
		pga_drain_all_pages();
		unsigned long after = available_pages(&m2);
		if (m0 != m1 || m1 != m2)
			continue; /* the zone grew meanwhile: measure again */
		if (before - during != expect_pages)
			fprintf(stderr, "alloc_pages_exact(%zu) took %lu pages, expected %lu\n",
			        size, before - during, expect_pages);
		CHECK_EQ(before - during, expect_pages);
		CHECK_EQ(after, before);
		break;
	}
	CHECK(attempt < 4);
}

static void case_exact(void)
{
	REQUIRE(pga_num_nodes() >= 1);
	void *warm = pga_alloc_pages(0, 0);
	REQUIRE(warm);
	pga_free_pages(warm, 0);

	/* 36 KiB: 9 pages, not the 16 of an order-4 block. */
	int attempt;
	for (attempt = 0; attempt < 4; attempt++) {
		struct pga_zone_stats st0, st1, st2;
		pga_drain_all_pages();
		unsigned char *probe = pga_alloc_pages_exact(36 * 1024, 0);
		REQUIRE(probe);
		int nid = pga_page_node(probe), zt = pga_page_zone(probe);
		pga_free_pages_exact(probe, 36 * 1024);
		pga_drain_all_pages();

		REQUIRE(pga_zone_stats(nid, zt, &st0) == 0);
		unsigned char *p = pga_alloc_pages_exact(36 * 1024, 0);
		REQUIRE(p);
		REQUIRE(pga_zone_stats(nid, zt, &st1) == 0);
		memset(p, 1, 36 * 1024);
		pga_free_pages_exact(p, 36 * 1024);
		pga_drain_all_pages();
		REQUIRE(pga_zone_stats(nid, zt, &st2) == 0);
		if (st0.managed != st1.managed || st1.managed != st2.managed ||
		    pga_page_node(p) != nid || pga_page_zone(p) != zt)
			continue;
		CHECK_EQ(st0.free + st0.pcp - (st1.free + st1.pcp), 9);
		CHECK_EQ(st0.free - st1.free, 9);
		CHECK_EQ(st2.free, st0.free);
		CHECK_EQ(st2.pcp, 0);
		break;
	}
	CHECK(attempt < 4);

	exact_one(36 * 1024, 9);
	exact_one(1, 1);
	exact_one(PGA_PAGE_SIZE, 1);
	exact_one(5 * PGA_PAGE_SIZE + 1, 6);
	exact_one(12 * PGA_PAGE_SIZE, 12);
	exact_one(513 * PGA_PAGE_SIZE, 513);
	exact_one(PGA_PAGE_SIZE << (PGA_MAX_ORDER - 1), PGA_MAX_ORDER_PAGES);

	/* Larger than the largest block: never valid. */
	errno = 0;
	CHECK(pga_alloc_pages_exact((PGA_PAGE_SIZE << (PGA_MAX_ORDER - 1)) + 1, 0) == NULL);
	CHECK_EQ(errno, EINVAL);

	/* Many exact runs side by side, freed in another order. */
	void *runs[64];
	for (int i = 0; i < 64; i++) {
		size_t sz = (size_t)(1 + i % 23) * PGA_PAGE_SIZE - (size_t)(i % 7);
		runs[i] = pga_alloc_pages_exact(sz, i % 2 ? PGA_GFP_MOVABLE : 0);
		CHECK(runs[i] != NULL);
		if (runs[i])
			memset(runs[i], i, sz);
	}
	for (int i = 0; i < 64; i++) {
		int j = (i * 37) % 64;
		unsigned char *p = runs[j];
		size_t sz = (size_t)(1 + j % 23) * PGA_PAGE_SIZE - (size_t)(j % 7);

		if (!p)
			continue;
		CHECK(p[0] == (unsigned char)j && p[sz - 1] == (unsigned char)j);
		pga_free_pages_exact(p, sz);
	}
	t_check_all_free("exact runs freed", (struct t_all_free){.drain = true, .validate = true});
}

int main(void)
{
	t_run_with_conf("split_merge", NULL, case_split_merge);
	t_run_with_conf("torture", NULL, case_torture);
	t_run_with_conf("migratetype", NULL, case_migratetype);
	t_run_with_conf("exact", NULL, case_exact);
	return t_done("buddy");
}
