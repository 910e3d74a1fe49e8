// SPDX-License-Identifier: MIT
/*
 * zonelist.c - building the zonelists (build_zonelists, find_next_best_node)
 * and the zonelist cache.
 *
 * The fallback order is the kernel's: the local node, then the other nodes
 * by distance. Ties go to nodes numbered above the local one (so that the
 * nodes do not all fall back to node 0), to nodes without CPUs (their memory
 * is otherwise idle), and then to the node least used as a fallback so far
 * (node_load), which spreads the fallback traffic of equidistant nodes.
 * Within a node, zones are listed highest first (NORMAL, then DMA32), so a
 * request uses its own zone type before eating into DMA32.
 */
#include "zonelist.h"

#include <limits.h>
#include <string.h>

#include "options.h"
#include "os.h"

#define PENALTY_FOR_NODE_WITH_CPUS 1

static int find_next_best_node(int node, bool used[PGA_MAX_NUMNODES],
                               int node_load[PGA_MAX_NUMNODES])
{
	int nr = pga_mem.nr_nodes, best = -1, min_val = INT_MAX;

	if (!used[node]) {
		used[node] = true;
		return node;
	}
	for (int n = 0; n < nr; n++) {
		if (used[n])
			continue;
		int val = pga_node_distance(&pga_topo, node, n);
		val += n < node;
		if (pga_topo.has_cpus[n])
			val += PENALTY_FOR_NODE_WITH_CPUS;
		val *= nr * PGA_MAX_NUMNODES;
		val += node_load[n];
		if (val < min_val) {
			min_val = val;
			best = n;
		}
	}
	if (best >= 0)
		used[best] = true;
	return best;
}

/* Append the populated zones of node nid, highest first. */
static void add_node_zones(struct pga_zonelist *zl, int nid)
{
	for (int zt = PGA_NR_ZONES - 1; zt >= 0; zt--) {
		struct pga_zone *z = &pga_mem.nodes[nid].zones[zt];
		if (pga_zone_populated(z))
			zl->zones[zl->nr_zones++] = z;
	}
}

static void build_zonelists(int local, int node_load[PGA_MAX_NUMNODES])
{
	struct pga_node *pgdat = &pga_mem.nodes[local];
	struct pga_zonelist *zl = &pgdat->zonelists[PGA_ZONELIST_FALLBACK];
	bool used[PGA_MAX_NUMNODES] = {false};
	int load = pga_mem.nr_nodes, prev = local, node;

	zl->nr_zones = 0;
	while ((node = find_next_best_node(local, used, node_load)) >= 0) {
		/* Nodes at a new distance from the local node become more
		 * "loaded", steering later lists to others at that distance. */
		if (pga_node_distance(&pga_topo, local, node) !=
		    pga_node_distance(&pga_topo, local, prev))
			node_load[node] = load;
		prev = node;
		load--;
		add_node_zones(zl, node);
	}

	zl = &pgdat->zonelists[PGA_ZONELIST_NOFALLBACK];
	zl->nr_zones = 0;
	add_node_zones(zl, local);
}

void pga_build_all_zonelists(void)
{
	int node_load[PGA_MAX_NUMNODES];

	memset(node_load, 0, sizeof(node_load));
	for (int n = 0; n < pga_mem.nr_nodes; n++)
		build_zonelists(n, node_load);
	pga_mem.zlc_enabled = pga_mem.nr_nodes > 1;
}

void pga_zlc_setup(struct pga_zonelist *zl)
{
	uint64_t now = pga_os_now_ms();
	uint64_t last = atomic_load_explicit(&zl->zlc_last_zap_ms, memory_order_relaxed);

	if (now - last < (uint64_t)pga_opts.zlc_interval_ms)
		return;
	/* One thread wins the zap; the others see a fresh timestamp. */
	if (!atomic_compare_exchange_strong_explicit(&zl->zlc_last_zap_ms, &last, now,
	                                             memory_order_relaxed, memory_order_relaxed))
		return;
	for (int i = 0; i < PGA_ZONELIST_WORDS; i++)
		atomic_store_explicit(&zl->zlc_full[i], 0, memory_order_relaxed);
}
