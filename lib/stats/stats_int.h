/* SPDX-License-Identifier: MIT */
/*
 * stats_int.h - what the files of the statistics layer share: the views
 * written to a struct pga_fmt (text in the kernel's formats, or one JSON
 * document), the figures of slabinfo and meminfo collected once for both,
 * and the live views that pgalloc-stat reads.
 *
 * Every view follows stats.c's rules: no stdio, no malloc, nothing written
 * while a lock is held (figures are snapshotted under the locks, then
 * printed).
 */
#ifndef PGA_STATS_INT_H
#define PGA_STATS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "fmt.h"
#include "pgalloc.h"
#include "sizeclass.h"
#include "slab.h"

/* The views of what (PGA_STATS_*; PGA_STATS_JSON: as JSON) to o. */
void pga_stats_write(struct pga_fmt *o, unsigned what);

/* The text views of stats.c, and the two of memviews.c. */
void pga_stats_text(struct pga_fmt *o, unsigned what);
void pga_stats_slabinfo_text(struct pga_fmt *o);
void pga_stats_meminfo_text(struct pga_fmt *o);

/* The JSON document (json.c). */
void pga_stats_json(struct pga_fmt *o, unsigned what);

/* Where the process's resident memory is, in bytes. The identity that the
 * meminfo view prints and the tests check:
 *
 *   allocated + thread_cached + slab_free + buddy_dirty + huge + huge_cached
 *     + metadata - not_resident + other == vm_rss
 *
 * allocated .. buddy_dirty are zone memory by what pgalloc's books say it
 * holds; zone_resident is what mincore says of the zones' memory, and
 * not_resident the difference (pages handed out or free but never
 * touched, or given back since). buddy_clean is free memory already given
 * back: not resident, so outside the sum. other is the rest of VmRSS:
 * the program, its libraries, stacks, and pgalloc's own static data.
 */
struct pga_meminfo {
	uint64_t vm_rss;        /* /proc/self/status VmRSS */
	uint64_t allocated;     /* slab objects and page runs the program holds */
	uint64_t thread_cached; /* pcp pages, free objects in thread caches */
	uint64_t slab_free;     /* free objects of node lists, slab tails */
	uint64_t buddy_dirty;   /* free buddy pages not given back */
	uint64_t buddy_clean;   /* free buddy pages given back (not resident) */
	uint64_t huge;          /* live huge mappings */
	uint64_t huge_cached;   /* freed huge mappings kept for reuse */
	uint64_t metadata;      /* page descriptors and zone tables, resident */
	uint64_t zone_resident; /* zone memory resident (mincore) */
	int64_t not_resident;   /* zone memory counted above, not resident */
	int64_t other;          /* VmRSS not pgalloc's */
};
void pga_meminfo_collect(struct pga_meminfo *m);

/* Per node and class: slabinfo's figures (the slab layer's, with the
 * derived ones). */
struct pga_slabinfo_row {
	int node;
	unsigned cls;
	uint64_t active_objs, num_objs, num_slabs, cached_free;
	uint32_t objsize, objperslab, pagesperslab;
};
/* info: pga_mem.nr_nodes * PGA_NR_SIZE_CLASSES entries; row i of node
 * i / PGA_NR_SIZE_CLASSES. */
void pga_slabinfo_collect(struct pga_slab_info *info);
void pga_slabinfo_row(const struct pga_slab_info *info, int i, struct pga_slabinfo_row *r);

/* The live views (live.c): started with the statistics, redone in a fork
 * child. */
void pga_live_start(void);
void pga_live_fork_child(void);

/* The views printed at exit and every stats_interval_ms: to stats_file
 * or the copy of stderr (stats.c), opened by pga_stats_output_start,
 * which also registers the print at exit (stats_print). */
void pga_stats_print_configured(void);
void pga_stats_output_start(void);

#endif /* PGA_STATS_INT_H */
