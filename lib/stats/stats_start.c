// SPDX-License-Identifier: MIT
/*
 * stats_start.c - the statistics layer as a client of the page allocator
 * (client.h): once the page allocator has read the configuration, the
 * output of stats_print and stats_interval_ms is opened and the print at
 * exit registered (stats.c), and the live views start (live.c); in a fork
 * child, the live views are dropped.
 */
#include "stats_int.h"

#include "client.h"

static void stats_start(void)
{
	pga_stats_output_start();
	pga_live_start();
}

static const struct pga_page_client stats_client = {
    .name = "stats",
    .start = stats_start,
    .fork_child = pga_live_fork_child,
};

/* The views are a client of the page allocator from the moment they are
 * loaded: registering allocates nothing and starts nothing. */
__attribute__((constructor)) static void stats_register(void)
{
	pga_page_register_client(&stats_client);
}
