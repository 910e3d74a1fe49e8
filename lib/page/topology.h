/* SPDX-License-Identifier: MIT */
/*
 * topology.h - NUMA nodes, the CPU -> node map and the distance matrix.
 *
 * Read once at start-up from sysfs (/sys/devices/system/node), with
 * open/read only, or made up from configuration (numa_fake=N, the kernel's
 * numa=fake): N nodes, CPU c on node c % N unless numa_cpu_map says
 * otherwise, distance 10 local and 20 remote unless numa_distance says
 * otherwise. Fake node f sits on real node real_node[f], sharing its memory.
 * Immutable after pga_topology_init(); read without locks.
 */
#ifndef PGA_TOPOLOGY_H
#define PGA_TOPOLOGY_H

#include <stdbool.h>
#include <stdint.h>

#include "nodemask.h"
#include "options.h"
#include "pgalloc.h"

#define PGA_MAX_CPUS 1024

struct pga_topology {
	int nr_nodes; /* nodes 0 .. nr_nodes - 1, all online */
	int nr_cpus;  /* possible CPUs */
	bool fake;    /* made up from numa_fake */
	uint8_t distance[PGA_MAX_NUMNODES][PGA_MAX_NUMNODES];
	int16_t cpu_to_node[PGA_MAX_CPUS];
	uint64_t node_mem_bytes[PGA_MAX_NUMNODES]; /* memory of the node (fake: its share) */
	int real_node[PGA_MAX_NUMNODES];           /* the real node each node sits on */
	bool has_cpus[PGA_MAX_NUMNODES];
};

extern struct pga_topology pga_topo;

/* Fill topo from sysfs and opts. Never fails: without sysfs it describes a
 * single node holding all CPUs and the memory from /proc/meminfo. */
void pga_topology_init(struct pga_topology *topo, const struct pga_options *opts);

static inline int pga_cpu_to_node(const struct pga_topology *topo, unsigned cpu)
{
	return cpu < PGA_MAX_CPUS ? topo->cpu_to_node[cpu] : 0;
}

static inline int pga_node_distance(const struct pga_topology *topo, int a, int b)
{
	return topo->distance[a][b];
}

#endif /* PGA_TOPOLOGY_H */
