// SPDX-License-Identifier: MIT
/*
 * init.c - start-up, once per process, on the first call into pgalloc:
 * configuration, topology, the cpuset, zones, zonelists, fault injection and
 * the thread machinery, in that order. Nothing here allocates through
 * malloc, so start-up works inside the LD_PRELOAD shim.
 */
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "options.h"
#include "os.h"
#include "page_alloc.h"
#include "slab.h"
#include "stats.h"
#include "topology.h"
#include "zonelist.h"

struct pga_pgdat pga_pgdat;
_Atomic int pga_initialized;

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

void pga_assert_fail(const char *expr, const char *file, int line)
{
	struct pga_fmt f;

	pga_fmt_init(&f, 2);
	pga_fmt_str(&f, "pgalloc: assertion failed: ");
	pga_fmt_str(&f, expr);
	pga_fmt_str(&f, " at ");
	pga_fmt_str(&f, file);
	pga_fmt_char(&f, ':');
	pga_fmt_i64(&f, line, 0);
	pga_fmt_char(&f, '\n');
	pga_fmt_flush(&f);
	pga_os_abort();
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
		const char *key = "Mems_allowed_list:";
		char *line = strstr(buf, key);
		if (line) {
			line += strlen(key);
			while (*line == ' ' || *line == '\t')
				line++;
			char *end = strchr(line, '\n');
			have_real = pga_parse_nodelist(line, end, &real);
		}
	}
	for (int n = 0; n < pga_pgdat.nr_nodes; n++) {
		if (have_real && !pga_nodemask_test(&real, pga_topo.real_node[n]))
			continue;
		if (pga_opts.cpuset_set && !pga_nodemask_test(&pga_opts.cpuset_mems, n))
			continue;
		pga_nodemask_set(&mems, n);
	}
	bool any = false;
	for (size_t i = 0; i < PGA_ARRAY_SIZE(mems.bits); i++)
		any |= mems.bits[i] != 0;
	if (!any) {
		pga_log("cpuset_mems leaves no node; using all nodes", NULL, NULL);
		for (int n = 0; n < pga_pgdat.nr_nodes; n++)
			pga_nodemask_set(&mems, n);
	}
	pga_pgdat.cpuset_mems = mems;
}

/* The fast path's first zone per (node, zone type): only when that zone is
 * the one the full scan would try first at its own classzone. */
static void init_fast_zones(void)
{
	for (int n = 0; n < pga_pgdat.nr_nodes; n++) {
		for (int zt = 0; zt < PGA_NR_ZONES; zt++) {
			struct pga_zone *z = &pga_pgdat.nodes[n].zones[zt];
			bool ok = pga_zone_populated(z) && pga_cpuset_zone_allowed(z);
			pga_pgdat.fast[n][zt].zone = ok ? z : NULL;
		}
	}
}

static void stats_at_exit(void)
{
	pga_stats_atexit();
}

void pga_init_slow(void)
{
	pthread_mutex_lock(&init_lock);
	if (atomic_load_explicit(&pga_initialized, memory_order_relaxed)) {
		pthread_mutex_unlock(&init_lock);
		return;
	}
	pga_options_parse(&pga_opts, getenv("PGALLOC_CONF"));
	pga_topology_init(&pga_topo, &pga_opts);
	pga_pgdat.nr_nodes = pga_topo.nr_nodes;
	pga_zones_init();
	pga_build_all_zonelists();
	init_cpuset();
	init_fast_zones();
	pga_fail_init();
	pga_slab_init();
	pga_thread_init();
	if (pga_opts.stats_print) {
		pga_stats_keep_stderr();
		atexit(stats_at_exit);
	}
	atomic_store_explicit(&pga_initialized, 1, memory_order_release);
	pthread_mutex_unlock(&init_lock);
}

static void ensure_init(void)
{
	if (unlikely(!atomic_load_explicit(&pga_initialized, memory_order_acquire)))
		pga_init_slow();
}

pga_export int pga_num_nodes(void)
{
	ensure_init();
	return pga_pgdat.nr_nodes;
}

pga_export int pga_local_node(void)
{
	ensure_init();
	return pga_cpu_to_node(&pga_topo, pga_os_current_cpu());
}
