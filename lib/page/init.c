// SPDX-License-Identifier: MIT
/*
 * init.c - start-up of the page allocator, once per process, on its first
 * use: configuration, topology, the cpuset, zones, zonelists, fault
 * injection and the thread machinery, in that order; then the clients'
 * start hooks. Nothing here allocates through malloc, so start-up works
 * inside the LD_PRELOAD shim. The layers above start the page allocator
 * first, then themselves (pga_malloc_init).
 */
#include <stdlib.h>
#include <string.h>

#include "init.h"

#include "client.h"
#include "fail.h"
#include "fmt.h"
#include "mempolicy.h"
#include "nodemask.h"
#include "options.h"
#include "os.h"
#include "scan.h"
#include "topology.h"
#include "thread.h"
#include "zone.h"
#include "zonelist.h"

/* The start-up lock of every layer (init.h). */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

void pga_startup_lock(void)
{
	pthread_mutex_lock(&init_lock);
}

void pga_startup_unlock(void)
{
	pthread_mutex_unlock(&init_lock);
}

void pga_startup_fork_child(void)
{
	pthread_mutex_init(&init_lock, NULL);
}

/*
 * The nodes this process may allocate from: Mems_allowed of its cpuset
 * (read from /proc/self/status), mapped onto fake nodes through the real
 * node each sits on, and narrowed by the cpuset_mems option. An empty result
 * would make every request fail; it falls back to all nodes.
 */
static void init_cpuset(void)
{
	char buf[4096];
	pga_nodemask_t real = {{0}}, mems = {{0}};
	bool have_real = false;

	if (pga_os_read_file("/proc/self/status", buf, sizeof(buf)) > 0) {
		const char *end, *v = pga_scan_field(buf, "Mems_allowed_list:", &end);
		have_real = v && pga_parse_nodelist(v, end, &real);
	}
	for (int n = 0; n < pga_mem.nr_nodes; n++) {
		if (have_real && !pga_nodemask_test(&real, pga_topo.real_node[n]))
			continue;
		if (pga_opts.cpuset_set && !pga_nodemask_test(&pga_opts.cpuset_mems, n))
			continue;
		pga_nodemask_set(&mems, n);
	}
	if (pga_nodemask_empty(&mems)) {
		pga_log("cpuset_mems leaves no node; using all nodes", NULL, NULL);
		pga_nodemask_fill(&mems, pga_mem.nr_nodes);
	}
	pga_mem.cpuset_mems = mems;
}

/* The fast path's first zone per (node, zone type): only when that zone is
 * the one the full scan would try first at its own classzone. */
static void init_fast_zones(void)
{
	for (int n = 0; n < pga_mem.nr_nodes; n++) {
		for (int zt = 0; zt < PGA_NR_ZONES; zt++) {
			struct pga_zone *z = &pga_mem.nodes[n].zones[zt];
			bool ok = pga_zone_populated(z) && pga_cpuset_zone_allowed(z);
			pga_mem.fast[n][zt].zone = ok ? z : NULL;
		}
	}
}

void pga_page_init_slow(void)
{
	pthread_mutex_lock(&init_lock);
	if (atomic_load_explicit(&pga_initialized, memory_order_relaxed)) {
		pthread_mutex_unlock(&init_lock);
		return;
	}
	pga_options_load(&pga_opts);
	pga_harden_resolve();
	pga_topology_init(&pga_topo, &pga_opts);
	pga_mem.nr_nodes = pga_topo.nr_nodes;
	pga_zones_init();
	pga_build_all_zonelists();
	init_cpuset();
	pga_mempolicy_bind_zones();
	init_fast_zones();
	pga_fail_init();
	pga_thread_init();
	atomic_store_explicit(&pga_initialized, 1, memory_order_release);
	pthread_mutex_unlock(&init_lock);
	/* Outside the lock: a start hook may allocate. */
	pga_clients_start();
}

pga_export int pga_num_nodes(void)
{
	pga_page_init();
	return pga_mem.nr_nodes;
}

pga_export int pga_local_node(void)
{
	pga_page_init();
	return pga_cpu_to_node(&pga_topo, pga_os_current_cpu());
}
