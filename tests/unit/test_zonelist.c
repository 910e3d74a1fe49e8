/* SPDX-License-Identifier: MIT */
/*
 * test_zonelist.c - the order of the fallback zonelists (the kernel's
 * build_zonelists with find_next_best_node), the no-fallback zonelists, and
 * iteration with a zone index limit and a nodemask.
 *
 * Every topology is fake (numa_fake=N), so that it is the same on every
 * machine: CPU c sits on node c % N. The expected node orders come from two
 * independent sources: a plain re-implementation of the kernel's rule below,
 * and, for the usual two-CPU test machine, orders worked out by hand.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdint.h>

#include "mmzone.h"
#include "pgalloc.h"
#include "check.h"
#include "child.h"
#include "topology.h"
#include "zonelist.h"

#define MAXN 8

/* One topology to check; set before the fork, read by the child. */
struct zl_case {
	const char *name;
	int nr_nodes;
	const int *distance; /* row-major nr_nodes^2; NULL: 10 local, 20 remote */
	/* Orders worked out by hand for a machine with 2 possible CPUs (nodes
	 * 0 and 1 have CPUs, the others are headless); rows of nr_nodes. */
	const int *hand_order;
	int hand_rows; /* how many rows of hand_order are given */
};

static const struct zl_case *cur;

static int case_distance(const struct zl_case *c, int a, int b)
{
	if (c->distance)
		return c->distance[a * c->nr_nodes + b];
	return a == b ? 10 : 20;
}

/*
 * The kernel's find_next_best_node / build_zonelists, node order only:
 * local node first; then the unused node with the smallest
 *   (distance(local, n) + (n < local) + has_cpus(n)) * (nr * MAX_NUMNODES)
 *     + node_load[n],
 * the first such node on ties. node_load is cleared once before all nodes'
 * lists are built; while building local's list, a chosen node whose distance
 * differs from the previous chosen node's gets node_load = load, where load
 * starts at nr and drops by one per chosen node.
 */
static void ref_orders(const struct zl_case *c, const bool *has_cpus, int order[MAXN][MAXN])
{
	int nr = c->nr_nodes;
	int node_load[MAXN] = {0};

	for (int local = 0; local < nr; local++) {
		bool used[MAXN] = {false};
		int load = nr, prev = local;

		for (int k = 0; k < nr; k++) {
			int best = -1;

			if (!used[local]) {
				best = local;
			} else {
				long min_val = LONG_MAX;
				for (int n = 0; n < nr; n++) {
					if (used[n])
						continue;
					long val = case_distance(c, local, n);
					val += n < local;
					val += has_cpus[n] ? 1 : 0;
					val *= (long)nr * PGA_MAX_NUMNODES;
					val += node_load[n];
					if (val < min_val) {
						min_val = val;
						best = n;
					}
				}
			}
			used[best] = true;
			if (case_distance(c, local, best) != case_distance(c, local, prev))
				node_load[best] = load;
			prev = best;
			load--;
			order[local][k] = best;
		}
	}
}

/* The node order of a fallback zonelist, checking that each node's zones
 * are contiguous, highest zone first, and that every node appears once. */
static int zonelist_nodes(const struct pga_zonelist *zl, int *nodes)
{
	int nr = 0;

	for (int i = 0; i < zl->nr_zones; i++) {
		const struct pga_zone *z = zl->zones[i];
		REQUIRE(z != NULL);
		if (nr > 0 && nodes[nr - 1] == z->node) {
			/* Second zone of the same node: a lower one. */
			CHECK(z->idx < zl->zones[i - 1]->idx);
			continue;
		}
		for (int k = 0; k < nr; k++)
			CHECK(nodes[k] != z->node); /* a node's zones are contiguous */
		REQUIRE(nr < PGA_MAX_NUMNODES);
		nodes[nr++] = z->node;
	}
	return nr;
}

static void print_order(const char *what, int nid, const int *o, int nr)
{
	fprintf(stderr, "  %s node %d: [", what, nid);
	for (int k = 0; k < nr; k++)
		fprintf(stderr, "%s%d", k ? "," : "", o[k]);
	fprintf(stderr, "]\n");
}

/* The exact zone sequence a zonelist must hold for a node order: each
 * node's populated zones, Normal before DMA32. */
static void check_zone_sequence(const struct pga_zonelist *zl, const int *order, int nr)
{
	int pos = 0;

	for (int k = 0; k < nr; k++) {
		for (int idx = PGA_NR_ZONES - 1; idx >= 0; idx--) {
			struct pga_zone *z = &pga_mem.nodes[order[k]].zones[idx];
			if (!pga_zone_populated(z))
				continue;
			CHECK(pos < zl->nr_zones && zl->zones[pos] == z);
			pos++;
		}
	}
	CHECK_EQ(zl->nr_zones, pos);
}

static void check_topology(const struct zl_case *c, bool *has_cpus)
{
	int nr = c->nr_nodes;

	REQUIRE(pga_num_nodes() == nr);
	CHECK_EQ(pga_topo.nr_nodes, nr);
	CHECK_EQ(pga_mem.nr_nodes, nr);
	CHECK(pga_topo.nr_cpus >= 1);
	for (int n = 0; n < nr; n++)
		has_cpus[n] = false;
	for (int cpu = 0; cpu < pga_topo.nr_cpus && cpu < PGA_MAX_CPUS; cpu++) {
		CHECK_EQ(pga_topo.cpu_to_node[cpu], cpu % nr);
		has_cpus[cpu % nr] = true;
	}
	for (int n = 0; n < nr; n++) {
		CHECK_EQ(pga_topo.has_cpus[n], has_cpus[n]);
		/* The matrix as configured: row a is distances from a. */
		for (int m = 0; m < nr; m++)
			CHECK_EQ(pga_node_distance(&pga_topo, n, m), case_distance(c, n, m));
	}
}

static void run_case(void)
{
	const struct zl_case *c = cur;
	int nr = c->nr_nodes;
	bool has_cpus[MAXN];
	int ref[MAXN][MAXN];

	check_topology(c, has_cpus);
	ref_orders(c, has_cpus, ref);

	for (int nid = 0; nid < nr; nid++) {
		const struct pga_node *node = &pga_mem.nodes[nid];
		const struct pga_zonelist *zl = &node->zonelists[PGA_ZONELIST_FALLBACK];
		int got[PGA_MAX_NUMNODES];
		int n_got = zonelist_nodes(zl, got);
		bool same = n_got == nr;

		CHECK_EQ(n_got, nr);
		CHECK(n_got > 0 && got[0] == nid); /* local first */
		for (int k = 0; same && k < nr; k++)
			same = got[k] == ref[nid][k];
		CHECK(same);
		if (!same) {
			fprintf(stderr, "%s: zonelist order differs from the reference\n", c->name);
			print_order("got      ", nid, got, n_got);
			print_order("reference", nid, ref[nid], nr);
		}
		check_zone_sequence(zl, ref[nid], nr);

		/* Distances along the list never decrease (the matrices used
		 * here keep distinct distances more than 2 apart, so the +1
		 * penalties cannot reorder them). */
		for (int k = 1; k < n_got; k++)
			CHECK(pga_node_distance(&pga_topo, nid, got[k - 1]) <=
			      pga_node_distance(&pga_topo, nid, got[k]));

		/* Hand-checked orders (two possible CPUs only). */
		if (c->hand_order && nid < c->hand_rows && pga_topo.nr_cpus == 2) {
			const int *h = &c->hand_order[nid * nr];
			bool hand_same = n_got == nr;
			for (int k = 0; hand_same && k < nr; k++)
				hand_same = got[k] == h[k];
			CHECK(hand_same);
			if (!hand_same) {
				fprintf(stderr,
				        "%s: zonelist order differs from the hand-checked one\n",
				        c->name);
				print_order("got ", nid, got, n_got);
				print_order("hand", nid, h, nr);
			}
		}

		/* NOFALLBACK: the node's own zones only, highest first. */
		const struct pga_zonelist *nz = &node->zonelists[PGA_ZONELIST_NOFALLBACK];
		int own = 0;
		for (int idx = PGA_NR_ZONES - 1; idx >= 0; idx--) {
			const struct pga_zone *z = &node->zones[idx];
			if (!pga_zone_populated(z))
				continue;
			CHECK(own < nz->nr_zones && nz->zones[own] == z);
			own++;
		}
		CHECK(own >= 1);
		CHECK_EQ(nz->nr_zones, own);
		for (int i = 0; i < nz->nr_zones; i++)
			CHECK_EQ(nz->zones[i]->node, nid);

		/* pga_node_zonelist picks the list by __GFP_THISNODE. */
		CHECK(pga_node_zonelist(nid, 0) == zl);
		CHECK(pga_node_zonelist(nid, PGA_GFP_THISNODE) == nz);
	}
}

/* Iteration: highest_zoneidx and nodemask filters, on a 4-node topology with
 * DMA32 zones. */
static void run_iter(void)
{
	REQUIRE(pga_num_nodes() == 4);
	for (int nid = 0; nid < 4; nid++) {
		struct pga_zonelist *zl = &pga_mem.nodes[nid].zonelists[PGA_ZONELIST_FALLBACK];
		struct pga_zone *zone = NULL;
		int i, seen, last = -1;

		for (int n = 0; n < 4; n++)
			REQUIRE(pga_zone_populated(&pga_mem.nodes[n].zones[PGA_ZONE_DMA32]));

		/* Unfiltered: every position in turn. */
		seen = 0;
		for_each_zone_zonelist_nodemask (zone, i, zl, PGA_ZONE_NORMAL, NULL) {
			CHECK_EQ(i, seen);
			CHECK(zone == zl->zones[i]);
			seen++;
		}
		CHECK_EQ(seen, zl->nr_zones);
		CHECK_EQ(seen, 8);

		/* DMA32 requests see only DMA32 zones, in zonelist order, one per
		 * node, local first. */
		seen = 0;
		for_each_zone_zonelist_nodemask (zone, i, zl, PGA_ZONE_DMA32, NULL) {
			CHECK_EQ(zone->idx, PGA_ZONE_DMA32);
			CHECK(zone == zl->zones[i]);
			CHECK(i > last);
			last = i;
			if (seen == 0)
				CHECK_EQ(zone->node, nid);
			seen++;
		}
		CHECK_EQ(seen, 4);

		/* A nodemask: only its nodes, both zones each. */
		pga_nodemask_t mask;
		memset(&mask, 0, sizeof(mask));
		pga_nodemask_set(&mask, (nid + 1) % 4);
		pga_nodemask_set(&mask, (nid + 3) % 4);
		seen = 0;
		last = -1;
		for_each_zone_zonelist_nodemask (zone, i, zl, PGA_ZONE_NORMAL, &mask) {
			CHECK(zone->node == (nid + 1) % 4 || zone->node == (nid + 3) % 4);
			CHECK(zone == zl->zones[i]);
			CHECK(i > last);
			last = i;
			seen++;
		}
		CHECK_EQ(seen, 4);

		/* Both filters. */
		seen = 0;
		for_each_zone_zonelist_nodemask (zone, i, zl, PGA_ZONE_DMA32, &mask) {
			CHECK_EQ(zone->idx, PGA_ZONE_DMA32);
			CHECK(zone->node == (nid + 1) % 4 || zone->node == (nid + 3) % 4);
			seen++;
		}
		CHECK_EQ(seen, 2);

		/* An empty nodemask: nothing. */
		memset(&mask, 0, sizeof(mask));
		seen = 0;
		for_each_zone_zonelist_nodemask (zone, i, zl, PGA_ZONE_NORMAL, &mask) {
			seen++;
		}
		CHECK_EQ(seen, 0);
		CHECK_EQ(pga_next_zone_zonelist(zl, 0, PGA_ZONE_NORMAL, &mask), zl->nr_zones);
	}
}

/* Without a DMA32 zone, a zonelist holds one zone per node. */
static void run_no_dma32(void)
{
	REQUIRE(pga_num_nodes() == 3);
	for (int nid = 0; nid < 3; nid++) {
		const struct pga_zonelist *zl =
		    &pga_mem.nodes[nid].zonelists[PGA_ZONELIST_FALLBACK];
		CHECK(!pga_zone_populated(&pga_mem.nodes[nid].zones[PGA_ZONE_DMA32]));
		CHECK_EQ(zl->nr_zones, 3);
		for (int i = 0; i < zl->nr_zones; i++)
			CHECK_EQ(zl->zones[i]->idx, PGA_ZONE_NORMAL);
		CHECK_EQ(pga_mem.nodes[nid].zonelists[PGA_ZONELIST_NOFALLBACK].nr_zones, 1);
		CHECK_EQ(pga_next_zone_zonelist(zl, 0, PGA_ZONE_DMA32, NULL), zl->nr_zones);
	}
}

static void conf_for(const struct zl_case *c, char *buf, size_t len)
{
	size_t off =
	    (size_t)snprintf(buf, len, "numa_fake=%d,node_limit_mb=64,dma32_mb=8", c->nr_nodes);
	if (c->distance) {
		off += (size_t)snprintf(buf + off, len - off, ",numa_distance=");
		for (int i = 0; i < c->nr_nodes * c->nr_nodes; i++)
			off += (size_t)snprintf(buf + off, len - off, "%s%d", i ? ":" : "",
			                        c->distance[i]);
	}
}

/* Asymmetric: the brief's example, rows growing away from the diagonal. */
static const int dist_asym4[] = {10, 20, 30, 40, 25, 10, 20, 30, 35, 25, 10, 20, 45, 35, 25, 10};

/* Asymmetric and directional: node i reaches i+1 at 20, i+2 at 30, i+3 at 40
 * (mod 4), but is reached from i-1 at 20. Reading the matrix by columns
 * instead of rows reverses every order. */
static const int dist_dir4[] = {10, 20, 30, 40, 40, 10, 20, 30, 30, 40, 10, 20, 20, 30, 40, 10};

static int dist_ring8[64];

/*
 * Worked out by hand from the rule above (nodes 0 and 1 have CPUs).
 * 2 nodes: trivially local, then the other.
 * 4 nodes, 10/20: node 0 prefers headless 2 (20) over 1 (21), then 3 (load
 * 0 beats nothing: 2 and 3 tie at 20, 2 comes first), then 1; node_load[2]
 * = 3. Node 1: 0 costs 22, 2 costs 20 + load 3, 3 costs 20: [1,3,2,0];
 * node_load[3] = 3. Node 2: 3 costs 20*M + 3, 0 and 1 cost 22: [2,3,0,1].
 * Node 3: 2 costs 21 (below), 0 and 1 cost 22: [3,2,0,1].
 */
static const int hand2[] = {0, 1, 1, 0};
static const int hand4[] = {0, 2, 3, 1, 1, 3, 2, 0, 2, 3, 0, 1, 3, 2, 0, 1};
/* Asymmetric example, by rows: node 0: 1 (20+1), 2 (30), 3 (40). Node 1: 2
 * (20), 3 (30), 0 (25+1+1 = 27 < 30!): [1,2,0,3]. Node 2: 3 (20), 1 (25+1+1
 * = 27), 0 (35+2): [2,3,1,0]. Node 3: 2 (26), 1 (37), 0 (47). */
static const int hand_asym4[] = {0, 1, 2, 3, 1, 2, 0, 3, 2, 3, 1, 0, 3, 2, 1, 0};
/* Directional: node i: i+1, i+2, i+3 (penalties +1/+2 never bridge 10). */
static const int hand_dir4[] = {0, 1, 2, 3, 1, 2, 3, 0, 2, 3, 0, 1, 3, 0, 1, 2};
/* 8 nodes, 10/20: node 0: headless 2..7 at 20 (2 first, node_load[2] = 7),
 * then 1 at 21. Node 1: 3..7 at 20 + 0, then 2 at 20 + 7, then 0 at 22. */
static const int hand8[] = {0, 2, 3, 4, 5, 6, 7, 1, 1, 3, 4, 5, 6, 7, 2, 0};

int main(void)
{
	char conf[1024];

	/* A ring: distance 10 + 10 * hops, the short way round. */
	for (int a = 0; a < 8; a++) {
		for (int b = 0; b < 8; b++) {
			int d = a > b ? a - b : b - a;
			if (8 - d < d)
				d = 8 - d;
			dist_ring8[a * 8 + b] = 10 + 10 * d;
		}
	}

	static const struct zl_case cases[] = {
	    {"fake1", 1, NULL, NULL, 0},
	    {"fake2", 2, NULL, hand2, 2},
	    {"fake3", 3, NULL, NULL, 0},
	    {"fake4", 4, NULL, hand4, 4},
	    {"asym4", 4, dist_asym4, hand_asym4, 4},
	    {"dir4", 4, dist_dir4, hand_dir4, 4},
	    {"fake8", 8, NULL, hand8, 2},
	    {"ring8", 8, dist_ring8, NULL, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cur = &cases[i];
		conf_for(cur, conf, sizeof(conf));
		t_run_with_conf(cur->name, conf, run_case);
	}
	t_run_with_conf("iterate", "numa_fake=4,node_limit_mb=64,dma32_mb=8", run_iter);
	t_run_with_conf("no-dma32", "numa_fake=3,node_limit_mb=64,dma32_mb=0", run_no_dma32);
	return t_done("test_zonelist");
}
