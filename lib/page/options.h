/* SPDX-License-Identifier: MIT */
/*
 * options.h - run-time configuration from PGALLOC_CONF.
 *
 * PGALLOC_CONF="key=value,key=value,...". Every key, its values and its
 * default are listed in the table in options.c and in docs/configuration.md.
 * An unknown key or a bad value is reported on stderr, naming the key and
 * what is allowed, and the default is kept: configuration never stops the
 * program.
 */
#ifndef PGA_OPTIONS_H
#define PGA_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "pgalloc.h"

#define PGA_OPT_UNSET (-1L)

/* thp=: where pgalloc lets the kernel use transparent huge pages.
 *   never    nowhere: zone memory and huge mappings MADV_NOHUGEPAGE.
 *   madvise  in huge mappings (MADV_HUGEPAGE), which are used whole; zone
 *            memory MADV_NOHUGEPAGE, so that a system set to "always"
 *            cannot back a sparsely used pageblock with 2 MiB.
 *   always   also the zones' pageblocks that are entirely in use: the
 *            background reclaim thread advises and collapses them, and
 *            takes the advice back before any of their pages goes back to
 *            the kernel. */
enum pga_thp { PGA_THP_NEVER, PGA_THP_MADVISE, PGA_THP_ALWAYS };

/* purge=: how free memory goes back: MADV_DONTNEED (RSS drops at once) or
 * MADV_FREE (the kernel takes the pages when it needs them). */
enum pga_purge { PGA_PURGE_DONTNEED, PGA_PURGE_FREE };

struct pga_options {
	/* Topology. numa_fake = 0: use the real topology. */
	int numa_fake;                                         /* 0 or 1..PGA_MAX_NUMNODES */
	int nr_distance;                                       /* values given in numa_distance */
	uint8_t distance[PGA_MAX_NUMNODES * PGA_MAX_NUMNODES]; /* row-major */
	int nr_cpu_map;                                        /* values given in numa_cpu_map */
	int16_t cpu_map[1024];                                 /* cpu -> fake node */

	/* Memory. PGA_OPT_UNSET means "derive it". */
	int nr_node_limit;                    /* values given in node_limit_mb */
	long node_limit_mb[PGA_MAX_NUMNODES]; /* one value applies to every node */
	long dma32_mb;                        /* per node; 0 disables ZONE_DMA32 */
	long min_free_kbytes;                 /* per node */
	long lowmem_reserve_ratio;            /* kernel default 256 */
	long section_mb;                      /* zone growth granularity */

	/* Per-thread page caches. */
	long pcp_batch;
	long pcp_high;

	/* Zonelist cache: how long a zone stays marked full. */
	long zlc_interval_ms;

	/* Giving memory back: how long freed memory is kept for reuse, and
	 * whether a background thread returns it (kswapd). */
	long decay_ms;
	bool background_reclaim;
	long purge; /* enum pga_purge: how free pages go back */

	/* Transparent huge pages (enum pga_thp). */
	long thp;

	/* Cpuset: nodes allowed (bitmask). all ones when not configured. */
	bool cpuset_set;
	pga_nodemask_t cpuset_mems;

	/* Fault injection, the kernel's fail_page_alloc knobs. */
	long fail_probability; /* percent, 0..100 */
	long fail_interval;    /* fail only every interval-th candidate */
	long fail_times;       /* how many failures at most; -1 unlimited */
	long fail_min_order;   /* orders below this never fail */
	long fail_seed;

	/* Statistics printed to stderr at exit. */
	bool stats_print;
};

extern struct pga_options pga_opts;

/* Set the defaults, then apply conf (a PGALLOC_CONF string, may be NULL).
 * Errors are reported on stderr; the defaults stay for those keys. Returns
 * the number of errors. */
int pga_options_parse(struct pga_options *opts, const char *conf);

#endif /* PGA_OPTIONS_H */
