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

/* membarrier=: how a thread drains another's pcp lists (thread.h).
 *   auto  revoke, membarrier, drain at once, when the kernel has
 *         MEMBARRIER_CMD_PRIVATE_EXPEDITED (and per call, when it works);
 *   off   never: the drain is a request the owner carries out at its next
 *         operation, as on kernels without membarrier. */
enum pga_membarrier { PGA_MEMBARRIER_AUTO, PGA_MEMBARRIER_OFF };

/* harden=: how much misuse is checked (docs/hardening.md). The keys of
 * the opt-in checks (init_on_alloc ... check_sized_free) are PGA_OPT_UNSET
 * unless given, and then follow the level: on with full, else off. */
enum pga_harden { PGA_HARDEN_OFF, PGA_HARDEN_DEFAULT, PGA_HARDEN_FULL };

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

	/* Remote pcp drains (enum pga_membarrier). */
	long membarrier;

	/* Transparent huge pages (enum pga_thp). */
	long thp;

	/* Hardening (enum pga_harden) and its opt-in checks: 1, 0 or
	 * PGA_OPT_UNSET (pga_harden_resolve decides). */
	long harden;
	long init_on_alloc, init_on_free, slab_poison, page_poison, slab_red_zone,
	    slab_freelist_random, huge_guard_pages, check_sized_free;

	/* Cpuset: nodes allowed (bitmask). all ones when not configured. */
	bool cpuset_set;
	pga_nodemask_t cpuset_mems;

	/* Fault injection, the kernel's fail_page_alloc knobs. */
	long fail_probability; /* percent, 0..100 */
	long fail_interval;    /* fail only every interval-th candidate */
	long fail_times;       /* how many failures at most; -1 unlimited */
	long fail_min_order;   /* orders below this never fail */
	long fail_seed;

	/* Statistics: the views printed at exit (a mask of PGA_STATS_*, with
	 * PGA_STATS_JSON for the format; 0: none), where (stats_file, empty:
	 * stderr), every stats_interval_ms (0: only at exit), and whether the
	 * live views for pgalloc-stat are kept (stats_live). */
	unsigned stats_print;
	long stats_interval_ms;
	bool stats_live;
	char stats_file[256];
};

extern struct pga_options pga_opts;

/*
 * The hardening in force (docs/hardening.md), resolved once from harden=
 * and its keys at start-up (pga_harden_resolve, right after the options
 * are loaded) and only read afterwards, by every layer: an opt-in key as
 * given, else on with harden=full.
 */
struct pga_hardening {
	bool checks; /* harden != off: pops off the fast path and list walks checked */
	bool init_on_alloc, init_on_free, slab_poison, page_poison, red_zone, freelist_random,
	    guard_pages, sized;
	/* A check on small objects' contents (init_on_*, slab_poison,
	 * red_zone): the slab layer's debug mode, no thread caches. */
	bool slab_debug;
	/* slab_debug, page_poison or guard_pages: the malloc layer's checked
	 * paths (realloc always moves, page runs checked). */
	bool debug;
};
extern struct pga_hardening pga_harden;
void pga_harden_resolve(void);

/* Set the defaults, then apply conf (a PGALLOC_CONF string, may be NULL).
 * Errors are reported on stderr; the defaults stay for those keys. Returns
 * the number of errors. */
int pga_options_parse(struct pga_options *opts, const char *conf);

/*
 * The process's configuration, from every source in order, later entries
 * winning: /etc/pgalloc.conf, the file named by PGALLOC_CONF_FILE, then
 * PGALLOC_CONF. Files hold the same entries, separated by ',' or new lines,
 * '#' starting a comment. Messages name the source. A constructor loads it
 * once when pgalloc is loaded, so that mistakes show even in a program that
 * never allocates; start-up loads it again (the environment may have
 * changed since, as in a test's child) and reports only what the
 * constructor did not already. Not thread-safe: start-up holds its lock.
 */
int pga_options_load(struct pga_options *opts);

/* The paths read (tests point them elsewhere). */
extern const char *pga_options_system_file;

/* One key's description, the table's row (docs/configuration.md and
 * pgalloc-stat --conf are generated from these). false past the end. */
struct pga_option_doc {
	const char *name;
	const char *type;   /* integer, boolean, list, ... */
	const char *values; /* what is allowed, short */
	const char *def;    /* the default, in words */
	const char *layer;  /* the layer that reads it */
	const char *effect; /* one sentence */
	const char *anchor; /* section of docs/configuration.md */
};
bool pga_option_doc(int i, struct pga_option_doc *d);

/* The names of the statistics views, as stats_print and
 * pga_stats_print_views take them; bit: the PGA_STATS_* mask. */
struct pga_stats_view_name {
	const char *name;
	unsigned bit;
};
extern const struct pga_stats_view_name pga_stats_view_names[];
/* Parse a list of view names separated by sep (also "all", "json");
 * false when a name is unknown. */
bool pga_stats_parse_views(const char *s, const char *end, char sep, unsigned *mask);

#endif /* PGA_OPTIONS_H */
