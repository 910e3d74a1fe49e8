// SPDX-License-Identifier: MIT
/*
 * test_topology.c - the NUMA topology: the real one agrees with libnuma
 * (node count, CPU -> node map, distances); numa_fake=N makes N nodes with
 * cpu c on node c % N and distances 10/20, or those of numa_distance and
 * numa_cpu_map; pga_local_node() is the node of the CPU the thread runs on.
 */
#define _GNU_SOURCE
#if defined(__has_include)
#if __has_include(<numa.h>)
#define HAVE_LIBNUMA 1
#include <numa.h>
#endif
#endif
#ifndef HAVE_LIBNUMA
#define HAVE_LIBNUMA 0
#endif
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "child.h"
#include "pgalloc.h"
#include "topology.h"

/* ---- pga_local_node() follows the CPU --------------------------------------- */

struct local_arg {
	int cpu;
	int node;      /* pga_local_node() seen on that CPU */
	int ran_on;    /* sched_getcpu() */
	int page_node; /* node of a default allocation */
};

static void *local_thread(void *argp)
{
	struct local_arg *a = argp;

	a->ran_on = sched_getcpu();
	a->node = pga_local_node();
	void *p = pga_alloc_pages(0, 0);
	a->page_node = p ? pga_page_node(p) : -2;
	if (p)
		pga_free_pages(p, 0);
	return NULL;
}

/* For every allowed CPU: a thread pinned there sees that CPU's node. Then
 * the calling thread itself, moved from CPU to CPU. */
static void check_local_node(void)
{
	cpu_set_t allowed, one;
	int tried = 0;

	REQUIRE(sched_getaffinity(0, sizeof(allowed), &allowed) == 0);
	for (int c = 0; c < CPU_SETSIZE && c < PGA_MAX_CPUS && tried < 16; c++) {
		if (!CPU_ISSET(c, &allowed))
			continue;
		struct local_arg a = {.cpu = c, .node = -1, .ran_on = -1};
		pthread_attr_t attr;
		pthread_t th;

		CPU_ZERO(&one);
		CPU_SET(c, &one);
		pthread_attr_init(&attr);
		REQUIRE(pthread_attr_setaffinity_np(&attr, sizeof(one), &one) == 0);
		REQUIRE(pthread_create(&th, &attr, local_thread, &a) == 0);
		pthread_join(th, NULL);
		pthread_attr_destroy(&attr);
		tried++;
		CHECK_EQ(a.ran_on, c);
		CHECK_EQ(a.node, pga_topo.cpu_to_node[c]);
		/* With plenty of memory a default allocation is local. */
		CHECK_EQ(a.page_node, pga_topo.cpu_to_node[c]);
	}
	CHECK(tried > 0);

	/* The main thread, migrated: the answer follows it at once. */
	for (int c = 0; c < CPU_SETSIZE && c < PGA_MAX_CPUS; c++) {
		if (!CPU_ISSET(c, &allowed))
			continue;
		CPU_ZERO(&one);
		CPU_SET(c, &one);
		REQUIRE(sched_setaffinity(0, sizeof(one), &one) == 0);
		int on = sched_getcpu();
		CHECK_EQ(on, c);
		CHECK_EQ(pga_local_node(), pga_topo.cpu_to_node[on]);
	}
	sched_setaffinity(0, sizeof(allowed), &allowed);
}

/* ---- the real topology against libnuma -------------------------------------- */

#if HAVE_LIBNUMA
static void case_real(void)
{
	int nodes = pga_num_nodes();

	CHECK(!pga_topo.fake);
	CHECK_EQ(nodes, pga_topo.nr_nodes);
	CHECK_EQ(nodes, numa_num_configured_nodes());
	printf("real: %d nodes (libnuma: %d configured, max node %d), %d CPUs (libnuma: %d)\n",
	       nodes, numa_num_configured_nodes(), numa_max_node(), pga_topo.nr_cpus,
	       numa_num_configured_cpus());
	CHECK_EQ(pga_topo.nr_cpus, numa_num_configured_cpus());

	/* pgalloc numbers nodes densely; real_node[] keeps the kernel's id. */
	for (int n = 0; n < nodes; n++) {
		CHECK(numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned)pga_topo.real_node[n]) ||
		      numa_bitmask_isbitset(numa_nodes_ptr, (unsigned)pga_topo.real_node[n]));
		if (n > 0)
			CHECK(pga_topo.real_node[n] > pga_topo.real_node[n - 1]);
	}
	for (int c = 0; c < pga_topo.nr_cpus && c < PGA_MAX_CPUS; c++) {
		int want = numa_node_of_cpu(c);
		if (want < 0)
			continue; /* offline CPU: pgalloc puts it on node 0 */
		int got = pga_topo.cpu_to_node[c];
		CHECK(got >= 0 && got < nodes);
		CHECK_EQ(pga_topo.real_node[got], want);
	}
	for (int a = 0; a < nodes; a++)
		for (int b = 0; b < nodes; b++) {
			int want = numa_distance(pga_topo.real_node[a], pga_topo.real_node[b]);
			if (want == 0)
				continue; /* libnuma could not read it */
			CHECK_EQ(pga_topo.distance[a][b], want);
		}
	for (int n = 0; n < nodes; n++) {
		long long free_bytes = 0;
		long long size = numa_node_size64(pga_topo.real_node[n], &free_bytes);
		if (size > 0)
			CHECK_EQ((long long)pga_topo.node_mem_bytes[n], size);
	}
	check_local_node();
}
#endif

/* The real topology without libnuma to compare with: it must still be
 * sane, and pga_local_node() must follow the CPU. */
static void case_real_sanity(void)
{
	int nodes = pga_num_nodes();

	CHECK(!pga_topo.fake);
	CHECK(nodes >= 1 && nodes <= PGA_MAX_NUMNODES);
	for (int c = 0; c < pga_topo.nr_cpus && c < PGA_MAX_CPUS; c++)
		CHECK(pga_topo.cpu_to_node[c] >= 0 && pga_topo.cpu_to_node[c] < nodes);
	for (int a = 0; a < nodes; a++)
		for (int b = 0; b < nodes; b++)
			CHECK(a == b ? pga_topo.distance[a][b] == 10
			             : pga_topo.distance[a][b] > 10);
	check_local_node();
}

/* ---- fake topologies ------------------------------------------------------------ */

static void check_fake(int nr)
{
	CHECK_EQ(pga_num_nodes(), nr);
	CHECK(pga_topo.fake);
	CHECK_EQ(pga_topo.nr_nodes, nr);
	for (int c = 0; c < pga_topo.nr_cpus && c < PGA_MAX_CPUS; c++)
		CHECK_EQ(pga_topo.cpu_to_node[c], c % nr);
	for (int a = 0; a < nr; a++)
		for (int b = 0; b < nr; b++)
			CHECK_EQ(pga_topo.distance[a][b], a == b ? 10 : 20);
	/* Every fake node has memory and zones. */
	for (int n = 0; n < nr; n++) {
		struct pga_zone_stats st;
		CHECK(pga_topo.node_mem_bytes[n] > 0);
		CHECK_EQ(pga_zone_stats(n, PGA_ZONE_NORMAL, &st), 0);
		void *p = pga_alloc_pages_node(n, PGA_GFP_THISNODE, 0);
		CHECK(p != NULL);
		if (p) {
			CHECK_EQ(pga_page_node(p), n);
			pga_free_pages(p, 0);
		}
	}
	check_local_node();
}

static void case_fake4(void)
{
	check_fake(4);
}

static void case_fake2(void)
{
	check_fake(2);
}

static void case_fake1(void)
{
	check_fake(1);
}

static void case_distance(void)
{
	static const int want[3][3] = {{10, 20, 30}, {20, 10, 20}, {30, 20, 10}};

	CHECK_EQ(pga_num_nodes(), 3);
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 3; b++)
			CHECK_EQ(pga_topo.distance[a][b], want[a][b]);
	check_local_node();
}

static void case_asymmetric(void)
{
	CHECK_EQ(pga_num_nodes(), 2);
	CHECK_EQ(pga_topo.distance[0][1], 15);
	CHECK_EQ(pga_topo.distance[1][0], 40);
}

static void case_cpu_map(void)
{
	/* CPUs 0 and 1 on node 2, CPU 2 on node 0; the rest c % 3. */
	CHECK_EQ(pga_num_nodes(), 3);
	CHECK_EQ(pga_topo.cpu_to_node[0], 2);
	if (pga_topo.nr_cpus > 1)
		CHECK_EQ(pga_topo.cpu_to_node[1], 2);
	if (pga_topo.nr_cpus > 2)
		CHECK_EQ(pga_topo.cpu_to_node[2], 0);
	for (int c = 3; c < pga_topo.nr_cpus && c < PGA_MAX_CPUS; c++)
		CHECK_EQ(pga_topo.cpu_to_node[c], c % 3);
	check_local_node();
}

int main(void)
{
#if HAVE_LIBNUMA
	bool have_numa = numa_available() >= 0;

	if (have_numa)
		t_run_with_conf("real", NULL, case_real);
	else
		printf("SKIP real: libnuma says NUMA is not available here\n");
#else
	bool have_numa = false;

	printf("SKIP real: built without <numa.h> (libnuma-dev)\n");
#endif
	t_run_with_conf("real-sanity", NULL, case_real_sanity);
	t_run_with_conf("fake4", "numa_fake=4", case_fake4);
	t_run_with_conf("fake2", "numa_fake=2", case_fake2);
	t_run_with_conf("fake1", "numa_fake=1", case_fake1);
	t_run_with_conf("distance", "numa_fake=3,numa_distance=10:20:30:20:10:20:30:20:10",
	                case_distance);
	t_run_with_conf("asymmetric", "numa_fake=2,numa_distance=10:15:40:10", case_asymmetric);
	t_run_with_conf("cpu_map", "numa_fake=3,numa_cpu_map=2:2:0", case_cpu_map);
	if (!have_numa && t_failures == 0) {
		t_done("topology");
		t_skip("libnuma says NUMA is not available (numa_available() < 0): the real "
		       "topology could not be compared; the fake-topology cases passed");
	}
	return t_done("topology");
}
