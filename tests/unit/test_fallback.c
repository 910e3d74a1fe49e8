/* SPDX-License-Identifier: MIT */
/*
 * test_fallback.c - node placement and fallback between nodes on a fake
 * 4-node topology with 64 MiB per node: __GFP_THISNODE stays on its node and
 * fails when the node is down to its watermarks; without it, allocations
 * spill to the next node of the zonelist; a nodemask and the cpuset
 * (__GFP_HARDWALL) bound where pages may come from; everything freed comes
 * back.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>

#include "check.h"
#include "child.h"
#include "cpu.h"
#include "mmzone.h"
#include "pages.h"
#include "pgalloc.h"
#include "topology.h"
#include "zonelist.h"
#include "zones.h"

#define LIMIT_MB    64
#define LIMIT_PAGES ((unsigned long)LIMIT_MB << (20 - PGA_PAGE_SHIFT))

#define NOWARN PGA_GFP_NOWARN

/* The node after nid in nid's fallback zonelist. */
static int next_fallback_node(int nid)
{
	const struct pga_zonelist *zl = &pga_mem.nodes[nid].zonelists[PGA_ZONELIST_FALLBACK];

	for (int i = 0; i < zl->nr_zones; i++)
		if (zl->zones[i]->node != nid)
			return zl->zones[i]->node;
	return -1;
}

/* Allocate order-0 pages with THISNODE on nid until it fails; every page
 * must come from nid. Returns the pages obtained. */
static size_t fill_thisnode(int nid, struct pages *out)
{
	size_t before = out->n, wrong = 0;
	void *p;

	errno = 0;
	while ((p = pga_alloc_pages_node(nid, PGA_GFP_THISNODE | NOWARN, 0)) != NULL) {
		if (pga_page_node(p) != nid)
			wrong++;
		pages_push(out, p);
		REQUIRE(out->n - before <= 2 * LIMIT_PAGES); /* runaway */
	}
	CHECK_EQ(errno, ENOMEM);
	CHECK_EQ(wrong, 0);
	return out->n - before;
}

/* The reserve a node keeps (min watermark, lowmem reserve, a pcp batch) is
 * about 2% of it here; allow 3%. */
static void check_fill_count(const char *what, int nid, size_t got, unsigned long limit)
{
	unsigned long min_fill = limit - limit * 3 / 100;

	CHECK(got >= min_fill);
	CHECK(got <= limit);
	if (got < min_fill || got > limit)
		fprintf(stderr, "%s: node %d gave %zu pages; expected %lu..%lu\n", what, nid, got,
		        min_fill, limit);
}

/* THISNODE lands on the requested node, for every node. */
static void case_placement(void)
{
	REQUIRE(pga_num_nodes() == 4);
	for (int n = 0; n < 4; n++) {
		CHECK_EQ(pga_mem.nodes[n].limit_pages, LIMIT_PAGES);
		for (unsigned order = 0; order < PGA_MAX_ORDER; order += 3) {
			void *p = pga_alloc_pages_node(n, PGA_GFP_THISNODE, order);
			REQUIRE(p != NULL);
			CHECK_EQ(pga_page_node(p), n);
			CHECK_EQ(pga_page_zone(p), PGA_ZONE_NORMAL);
			CHECK_EQ((uintptr_t)p & ((PGA_PAGE_SIZE << order) - 1), 0);
			pga_free_pages(p, order);
		}
		/* The exact allocator honours the node too. */
		void *e = pga_alloc_pages_exact_node(n, 5 * PGA_PAGE_SIZE, PGA_GFP_THISNODE);
		REQUIRE(e != NULL);
		CHECK_EQ(pga_page_node(e), n);
		pga_free_pages_exact(e, 5 * PGA_PAGE_SIZE);
	}
	t_check_all_free("placement", (struct t_all_free){.drain = true, .validate = true});
}

/* THISNODE exhausts a node near its limit; without it, the same requests
 * spill, first to the next node of the zonelist. */
static void case_exhaust_and_spill(void)
{
	REQUIRE(pga_num_nodes() == 4);
	for (int n = 0; n < 4; n++) {
		struct pages own = {0}, spill = {0};
		int next = next_fallback_node(n);
		size_t got = fill_thisnode(n, &own);

		REQUIRE(next >= 0 && next != n);
		check_fill_count("exhaust", n, got, LIMIT_PAGES);

		/* Still full: THISNODE keeps failing, with ENOMEM. */
		errno = 0;
		CHECK(pga_alloc_pages_node(n, PGA_GFP_THISNODE | NOWARN, 0) == NULL);
		CHECK_EQ(errno, ENOMEM);

		/* A ZONE_NORMAL page freed now sits on this thread's pcp list:
		 * it does not lift the zone above its watermark, so even the
		 * order-0 fast path must not take it. */
		size_t li = own.n;
		while (li > 0 && pga_page_zone(own.v[li - 1]) != PGA_ZONE_NORMAL)
			li--;
		REQUIRE(li > 0);
		void *last = own.v[li - 1];
		own.v[li - 1] = own.v[--own.n];
		unsigned long pfn;
		struct pga_zone *lz = pga_addr_to_zone(last, &pfn);
		REQUIRE(lz != NULL);
		pga_free_pages(last, 0);
		struct pga_page *lp = pga_pfn_to_page(lz, pfn);
		CHECK_EQ(lp->flags, PGA_PG_PCP);
		/* Ask for the migratetype of the list it went to. */
		pga_gfp_t mt_gfp = lp->migratetype == PGA_MIGRATE_MOVABLE ? PGA_GFP_MOVABLE
		                   : lp->migratetype == PGA_MIGRATE_RECLAIMABLE
		                       ? PGA_GFP_RECLAIMABLE
		                       : 0;

		/* Without THISNODE: success, off node n, first on `next`. */
		struct pga_zone_stats next_before, n_before, next_after, n_after;
		REQUIRE(pga_zone_stats(next, PGA_ZONE_NORMAL, &next_before) == 0);
		REQUIRE(pga_zone_stats(n, PGA_ZONE_NORMAL, &n_before) == 0);
		size_t on_n = 0, failed = 0, on_next_normal = 0;
		for (int i = 0; i < 2000; i++) {
			void *p = pga_alloc_pages_node(n, (i == 0 ? mt_gfp : 0) | NOWARN, 0);
			if (!p) {
				failed++;
				continue;
			}
			if (pga_page_node(p) == n)
				on_n++;
			if (spill.n == 0) {
				CHECK_EQ(pga_page_node(p), next);
				if (pga_page_node(p) != next)
					fprintf(stderr, "node %d spilled first to %d, not %d\n", n,
					        pga_page_node(p), next);
			}
			if (pga_page_node(p) == next && pga_page_zone(p) == PGA_ZONE_NORMAL)
				on_next_normal++;
			pages_push(&spill, p);
		}
		CHECK_EQ(failed, 0);
		CHECK_EQ(on_n, 0);
		/* zone_statistics: a miss where the pages came from, a foreign
		 * allocation where they were meant to come from. */
		REQUIRE(pga_zone_stats(next, PGA_ZONE_NORMAL, &next_after) == 0);
		REQUIRE(pga_zone_stats(n, PGA_ZONE_NORMAL, &n_after) == 0);
		CHECK(on_next_normal > 0);
		CHECK_EQ(next_after.numa_miss - next_before.numa_miss, on_next_normal);
		CHECK_EQ(next_after.numa_hit, next_before.numa_hit);
		CHECK_EQ(n_after.numa_foreign - n_before.numa_foreign, spill.n);
		/* Higher orders spill too. */
		void *big = pga_alloc_pages_node(n, NOWARN, 4);
		CHECK(big != NULL);
		if (big) {
			CHECK(pga_page_node(big) != n);
			pga_free_pages(big, 4);
		}

		pages_free(&spill);
		pages_free(&own);
		t_check_all_free("exhaust", (struct t_all_free){.drain = true, .validate = true});
	}
}

/* A nodemask of {2} from a thread on node 0: only node 2, and failure
 * rather than leaving the mask. */
static void case_nodemask(void)
{
	pga_nodemask_t mask;
	struct pages got = {0};
	size_t wrong = 0;
	void *p;

	REQUIRE(t_pin_to_cpu(0)); /* main checked that CPU 0 is allowed */
	REQUIRE(pga_num_nodes() == 4);
	CHECK_EQ(pga_local_node(), 0);

	memset(&mask, 0, sizeof(mask));
	pga_nodemask_set(&mask, 2);

	p = pga_alloc_pages_nodemask(0, 0, -1, &mask);
	REQUIRE(p != NULL);
	CHECK_EQ(pga_page_node(p), 2);
	pga_free_pages(p, 0);
	p = pga_alloc_pages_nodemask(0, 2, 0, &mask);
	REQUIRE(p != NULL);
	CHECK_EQ(pga_page_node(p), 2);
	pga_free_pages(p, 2);

	errno = 0;
	while ((p = pga_alloc_pages_nodemask(NOWARN, 0, 0, &mask)) != NULL) {
		if (pga_page_node(p) != 2)
			wrong++;
		pages_push(&got, p);
		REQUIRE(got.n <= 2 * LIMIT_PAGES);
	}
	CHECK_EQ(errno, ENOMEM);
	CHECK_EQ(wrong, 0);
	check_fill_count("nodemask", 2, got.n, LIMIT_PAGES);

	/* Node 2 is full; the others are not, and are still usable. */
	errno = 0;
	CHECK(pga_alloc_pages_nodemask(NOWARN, 0, -1, &mask) == NULL);
	CHECK_EQ(errno, ENOMEM);
	CHECK(pga_alloc_pages_nodemask(NOWARN, 3, 2, &mask) == NULL);
	p = pga_alloc_pages_node(0, NOWARN, 0);
	REQUIRE(p != NULL);
	CHECK_EQ(pga_page_node(p), 0);
	pga_free_pages(p, 0);

	/* Mask {1,2}: node 2 is full, so the pages come from 1. */
	pga_nodemask_set(&mask, 1);
	p = pga_alloc_pages_nodemask(NOWARN, 0, 0, &mask);
	REQUIRE(p != NULL);
	CHECK_EQ(pga_page_node(p), 1);
	pga_free_pages(p, 0);

	pages_free(&got);
	t_check_all_free("nodemask", (struct t_all_free){.drain = true, .validate = true});
}

/* The first node of nid's fallback zonelist outside the cpuset. */
static int first_outside_cpuset(int nid)
{
	const struct pga_zonelist *zl = &pga_mem.nodes[nid].zonelists[PGA_ZONELIST_FALLBACK];

	for (int i = 0; i < zl->nr_zones; i++)
		if (!pga_nodemask_test(&pga_mem.cpuset_mems, zl->zones[i]->node))
			return zl->zones[i]->node;
	return -1;
}

/*
 * cpuset_mems=0:1. While the cpuset has memory, every request stays inside
 * it, HARDWALL or not (the first attempts check the cpuset). With HARDWALL,
 * requests never leave it and fail when nodes 0 and 1 are full. Without
 * HARDWALL, page_alloc.c documents a soft wall: after reclaim, as a last
 * resort, the request may leave the cpuset rather than fail; it then takes
 * the first node outside the cpuset in its zonelist.
 */
static void case_cpuset(void)
{
	struct pages got = {0}, soft = {0};
	size_t outside = 0, per_node[4] = {0};
	void *p;

	REQUIRE(t_pin_to_cpu(0)); /* main checked that CPU 0 is allowed */
	REQUIRE(pga_num_nodes() == 4);
	CHECK_EQ(pga_local_node(), 0);
	CHECK(pga_nodemask_test(&pga_mem.cpuset_mems, 0));
	CHECK(pga_nodemask_test(&pga_mem.cpuset_mems, 1));
	CHECK(!pga_nodemask_test(&pga_mem.cpuset_mems, 2));
	CHECK(!pga_nodemask_test(&pga_mem.cpuset_mems, 3));

	/* Even a request for node 3 stays inside the cpuset, with or without
	 * HARDWALL, while the cpuset has memory. */
	const pga_gfp_t walls[] = {PGA_GFP_HARDWALL, 0};
	for (int w = 0; w < 2; w++) {
		for (int n = 0; n < 4; n++) {
			p = pga_alloc_pages_node(n, walls[w], 0);
			REQUIRE(p != NULL);
			CHECK(pga_page_node(p) == 0 || pga_page_node(p) == 1);
			pga_free_pages(p, 0);
			p = pga_alloc_pages_node(n, walls[w], 5);
			REQUIRE(p != NULL);
			CHECK(pga_page_node(p) == 0 || pga_page_node(p) == 1);
			pga_free_pages(p, 5);
		}
	}

	errno = 0;
	while ((p = pga_alloc_pages(PGA_GFP_HARDWALL | NOWARN, 0)) != NULL) {
		int nid = pga_page_node(p);
		if (nid != 0 && nid != 1)
			outside++;
		if (nid >= 0 && nid < 4)
			per_node[nid]++;
		pages_push(&got, p);
		REQUIRE(got.n <= 4 * LIMIT_PAGES);
	}
	CHECK_EQ(errno, ENOMEM);
	CHECK_EQ(outside, 0);
	check_fill_count("cpuset node 0", 0, per_node[0], LIMIT_PAGES);
	check_fill_count("cpuset node 1", 1, per_node[1], LIMIT_PAGES);

	/* Full: HARDWALL keeps failing, whichever node is preferred. */
	for (int n = 0; n < 4; n++) {
		errno = 0;
		CHECK(pga_alloc_pages_node(n, PGA_GFP_HARDWALL | NOWARN, 0) == NULL);
		CHECK_EQ(errno, ENOMEM);
	}

	/* Nodes 2 and 3 were never touched. */
	for (int n = 2; n < 4; n++) {
		struct pga_zone_stats st;
		for (int zt = 0; zt < PGA_NR_ZONES; zt++) {
			if (pga_zone_stats(n, zt, &st) != 0)
				continue;
			CHECK_EQ(st.pgalloc, 0);
		}
	}

	/* The soft wall: without HARDWALL the last resort leaves the cpuset,
	 * to the first node outside it in the local zonelist. */
	int expect = first_outside_cpuset(0);
	REQUIRE(expect == 2 || expect == 3);
	for (int i = 0; i < 100; i++) {
		p = pga_alloc_pages(NOWARN, 0);
		CHECK(p != NULL);
		if (!p)
			break;
		if (i == 0)
			CHECK_EQ(pga_page_node(p), expect);
		CHECK(pga_page_node(p) == 2 || pga_page_node(p) == 3);
		pages_push(&soft, p);
	}

	pages_free(&soft);
	pages_free(&got);
	t_check_all_free("cpuset", (struct t_all_free){.drain = true, .validate = true});
}

int main(void)
{
	const char *conf = "numa_fake=4,node_limit_mb=64";

	t_run_with_conf("placement", conf, case_placement);
	t_run_with_conf("exhaust-and-spill", conf, case_exhaust_and_spill);
	if (t_cpu_allowed(0)) {
		t_run_with_conf("nodemask", conf, case_nodemask);
		t_run_with_conf("cpuset", "numa_fake=4,node_limit_mb=64,cpuset_mems=0:1",
		                case_cpuset);
	} else {
		printf("SKIP: nodemask, cpuset: this process may not run on CPU 0\n");
	}
	return t_done("test_fallback");
}
