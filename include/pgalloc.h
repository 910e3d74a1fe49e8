/* SPDX-License-Identifier: MIT */
/*
 * pgalloc.h - the native API of pgalloc, a user-space port of the Linux page
 * allocator.
 *
 * Memory is organised as in the kernel: NUMA nodes, each with a ZONE_DMA32
 * (addresses under 4 GiB) and a ZONE_NORMAL; a buddy allocator per zone;
 * zonelists that fall back from node to node by distance; watermarks derived
 * from a per-node memory limit; per-thread page caches (the kernel's per-CPU
 * "pcp" lists) in front of the buddy lists.
 *
 * A block of order n is 2^n pages of PGA_PAGE_SIZE bytes, naturally aligned
 * (its address is a multiple of PGA_PAGE_SIZE << n). Orders run from 0 to
 * PGA_MAX_ORDER - 1 (4 MiB blocks).
 *
 * Every function here is thread-safe. Failure returns NULL with errno set to
 * ENOMEM (EINVAL for a request that can never be valid, such as an order of
 * PGA_MAX_ORDER or more, or contradictory gfp flags).
 */
#ifndef PGALLOC_H
#define PGALLOC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PGA_PAGE_SHIFT   12
#define PGA_PAGE_SIZE    (1UL << PGA_PAGE_SHIFT)
#define PGA_MAX_ORDER    11 /* orders 0 .. PGA_MAX_ORDER - 1 */
#define PGA_MAX_NUMNODES 64

/*
 * gfp ("get free pages") flags: how an allocation may be satisfied.
 *
 * Zone modifier:
 *   PGA_GFP_DMA32        the page must lie below 4 GiB (ZONE_DMA32 only).
 * Placement:
 *   PGA_GFP_THISNODE     only the preferred node; no fallback to other nodes.
 *   PGA_GFP_HARDWALL     never leave the allowed nodes (cpuset / Mems_allowed),
 *                        not even as a last resort.
 * Mobility (which free lists and pageblocks the page is grouped with):
 *   (none)               unmovable: long-lived, pinned (slab pages).
 *   PGA_GFP_MOVABLE      movable: user buffers.
 *   PGA_GFP_RECLAIMABLE  reclaimable: caches that could be dropped.
 * Cache behaviour:
 *   PGA_GFP_ZERO         return zeroed memory.
 *   PGA_GFP_COLD         the caller does not need the page cache-hot: take it
 *                        from the cold end of the per-thread list.
 * Watermarks and failure:
 *   PGA_GFP_HIGH         high priority: may dip below the MIN watermark.
 *   PGA_GFP_NORETRY      fail after one reclaim attempt instead of retrying.
 *   PGA_GFP_NOFAIL       never fail: retry (and finally ignore watermarks)
 *                        until memory is found.
 *   PGA_GFP_NOWARN       do not print the allocation failure report.
 */
typedef unsigned int pga_gfp_t;

#define PGA_GFP_DMA32       0x0001u
#define PGA_GFP_MOVABLE     0x0002u
#define PGA_GFP_RECLAIMABLE 0x0004u
#define PGA_GFP_ZERO        0x0008u
#define PGA_GFP_COLD        0x0010u
#define PGA_GFP_THISNODE    0x0020u
#define PGA_GFP_HARDWALL    0x0040u
#define PGA_GFP_HIGH        0x0080u
#define PGA_GFP_NORETRY     0x0100u
#define PGA_GFP_NOFAIL      0x0200u
#define PGA_GFP_NOWARN      0x0400u
#define PGA_GFP_ALL         0x07ffu

/* Composites, named after the kernel's. */
#define PGA_GFP_KERNEL           0u /* unmovable, may reclaim */
#define PGA_GFP_ATOMIC           (PGA_GFP_HIGH | PGA_GFP_NORETRY | PGA_GFP_NOWARN)
#define PGA_GFP_USER             (PGA_GFP_HARDWALL) /* stays inside the cpuset */
#define PGA_GFP_HIGHUSER_MOVABLE (PGA_GFP_HARDWALL | PGA_GFP_MOVABLE)
#define PGA_GFP_RECLAIM_CACHE    (PGA_GFP_RECLAIMABLE)

/* Zone indexes, as returned by pga_page_zone(). */
enum pga_zone_type {
	PGA_ZONE_DMA32 = 0,
	PGA_ZONE_NORMAL = 1,
	PGA_NR_ZONES = 2,
};

/* A set of nodes; bit n of bits[n / 64] is node n. */
typedef struct {
	uint64_t bits[PGA_MAX_NUMNODES / 64];
} pga_nodemask_t;

/* Allocate 2^order pages on the calling thread's node (falling back by
 * distance). */
void *pga_alloc_pages(pga_gfp_t gfp, unsigned order);

/* Allocate 2^order pages, preferring node nid (-1: the calling thread's). */
void *pga_alloc_pages_node(int nid, pga_gfp_t gfp, unsigned order);

/* The general form: preferred node nid (-1: local), restricted to the nodes
 * in nodemask (NULL: all nodes). */
void *pga_alloc_pages_nodemask(pga_gfp_t gfp, unsigned order, int nid,
                               const pga_nodemask_t *nodemask);

/* Free a block returned by the functions above; order must be the one it
 * was allocated with. A bad or double free is reported and aborts. */
void pga_free_pages(void *addr, unsigned order);

/*
 * alloc_pages_exact: allocate size bytes rounded up to whole pages (not to a
 * power of two); the tail of the underlying block goes back to the buddy
 * lists at once. The result is aligned to PGA_PAGE_SIZE only. size must not
 * exceed the largest block (PGA_PAGE_SIZE << (PGA_MAX_ORDER - 1)).
 */
void *pga_alloc_pages_exact(size_t size, pga_gfp_t gfp);
void *pga_alloc_pages_exact_node(int nid, size_t size, pga_gfp_t gfp);
void pga_free_pages_exact(void *addr, size_t size);

/* The node of the page holding addr, for every pointer pgalloc handed out
 * (a huge allocation: the node its first page lies on, as the kernel says);
 * -1 for memory pgalloc does not manage. */
int pga_page_node(const void *addr);

/* The zone (enum pga_zone_type) of the page holding addr; -1 if unmanaged. */
int pga_page_zone(const void *addr);

/* Number of nodes (real or from numa_fake) and the node of the calling
 * thread. */
int pga_num_nodes(void);
int pga_local_node(void);

/* Give every page held in per-thread caches back to the buddy lists, for all
 * threads (the kernel's drain_all_pages). Returns the number of pages. */
unsigned long pga_drain_all_pages(void);

/* Give memory back (the kernel's shrink_all_memory): the caches of the
 * layers above (empty slabs), every thread's page caches, and then the
 * memory of free blocks to the kernel (madvise). Works for a program that
 * uses only the page API too. Returns the number of pages reclaimed and
 * released. */
unsigned long pga_shrink_all_memory(void);

/* Statistics in the kernel's /proc formats, written to fd with write(2).
 * what: a mask of PGA_STATS_* (0 means all). Returns 0, or -1 with errno. */
#define PGA_STATS_BUDDYINFO    0x1u
#define PGA_STATS_PAGETYPEINFO 0x2u
#define PGA_STATS_ZONEINFO     0x4u
#define PGA_STATS_VMSTAT       0x8u
#define PGA_STATS_NUMASTAT     0x10u
#define PGA_STATS_SLABINFO     0x20u /* as /proc/slabinfo, per node and size class */
#define PGA_STATS_MEMINFO      0x40u /* where the process's RSS is */
#define PGA_STATS_ALL          0x7fu
/* Not a view: the views as one JSON document instead of text. */
#define PGA_STATS_JSON 0x100u
int pga_stats_print(int fd, unsigned what);

/* The same by name: views is a list of buddyinfo, pagetypeinfo, zoneinfo,
 * vmstat, numastat, slabinfo, meminfo, all (and json for the format),
 * separated by ',' or ':'; NULL or "" means all. -1 with errno EINVAL for
 * an unknown name. */
int pga_stats_print_views(int fd, const char *views);

/* One zone's counters, for programs that read them directly. */
struct pga_zone_stats {
	int node;
	int zone;              /* enum pga_zone_type */
	unsigned long spanned; /* pages reserved for the zone */
	unsigned long managed; /* pages onlined into the buddy allocator */
	unsigned long free;    /* pages in the buddy free lists */
	unsigned long pcp;     /* pages held in per-thread caches */
	unsigned long watermark_min, watermark_low, watermark_high;
	unsigned long nr_free[PGA_MAX_ORDER]; /* free blocks per order */
	uint64_t pgalloc;                     /* pages allocated from this zone */
	uint64_t pgfree;                      /* pages freed to this zone */
	uint64_t numa_hit, numa_miss, numa_foreign, numa_interleave;
	uint64_t numa_local, numa_other;
};

/* Fill *st for the given node and zone type. Returns 0, or -1 (errno
 * EINVAL) when the zone does not exist. */
int pga_zone_stats(int nid, int zone, struct pga_zone_stats *st);

/*
 * The malloc API, with glibc's semantics (alignment 16, errno ENOMEM on
 * failure, EINVAL for a bad alignment). libpgalloc.so exports these under
 * their standard names too (malloc, free, ...), so that preloading it or
 * linking it replaces the C library's allocator; the pga_ names are always
 * pgalloc's, whoever else is loaded.
 */
void *pga_malloc(size_t size);
void pga_free(void *ptr);
void *pga_calloc(size_t nmemb, size_t size);
void *pga_realloc(void *ptr, size_t size);
void *pga_reallocarray(void *ptr, size_t nmemb, size_t size);
void *pga_memalign(size_t alignment, size_t size);
int pga_posix_memalign(void **memptr, size_t alignment, size_t size);
void *pga_aligned_alloc(size_t alignment, size_t size);
void *pga_valloc(size_t size);
void *pga_pvalloc(size_t size);
size_t pga_malloc_usable_size(void *ptr);
void pga_free_sized(void *ptr, size_t size);
void pga_free_aligned_sized(void *ptr, size_t alignment, size_t size);
/* malloc_trim: drain every cache, give empty slabs back, and return free
 * memory to the kernel (madvise); 1 if memory was released. */
int pga_malloc_trim(size_t pad);

/* Is ptr the start of a live allocation pgalloc handed out? false for NULL
 * and for memory from any other allocator. */
int pga_owns(const void *ptr);

/* What mallinfo2 reports, from pgalloc's own counters. */
struct pga_mallinfo {
	size_t arena;    /* bytes onlined into zones (pages pgalloc manages) */
	size_t ordblks;  /* free blocks in the buddy lists */
	size_t hblks;    /* huge (directly mapped) allocations */
	size_t hblkhd;   /* bytes in huge allocations */
	size_t uordblks; /* bytes allocated (slab objects and pages) */
	size_t fordblks; /* bytes free in zones */
	size_t keepcost; /* bytes in per-thread caches */
};
void pga_mallinfo(struct pga_mallinfo *mi);

/*
 * Allocate size bytes on node nid (-1: as malloc, by the calling thread's
 * policy), freed with free()/pga_free(). The node is preferred, as the
 * kernel's kmalloc_node: when it has no memory left the request falls back
 * by distance. Small sizes come from a per-thread cache of that node's
 * objects, large ones from the per-thread page caches. EINVAL for a node
 * that does not exist.
 */
void *pga_malloc_node(size_t size, int nid);

/*
 * NUMA memory policy (docs/numa.md). The modes and flags have the values of
 * the kernel's MPOL_* (numaif.h), so either set may be used.
 */
#define PGA_MPOL_DEFAULT          0
#define PGA_MPOL_PREFERRED        1
#define PGA_MPOL_BIND             2
#define PGA_MPOL_INTERLEAVE       3
#define PGA_MPOL_LOCAL            4
#define PGA_MPOL_PREFERRED_MANY   5
#define PGA_MPOL_F_STATIC_NODES   (1 << 15)
#define PGA_MPOL_F_RELATIVE_NODES (1 << 14)

/*
 * set_mempolicy(2) for the calling thread, in pgalloc's node numbers (the
 * fake nodes under numa_fake): mode, optionally or-ed with one of the two
 * flags, and nodemask, maxnode bits of it read (the system call's
 * convention: maxnode is one more than the highest bit), NULL or empty for
 * DEFAULT and LOCAL. Allocations by malloc and pga_alloc_pages from then on
 * follow it. The kernel's own policy of the thread is set to the real nodes
 * the given ones sit on, so memory pgalloc does not manage follows too.
 * Returns 0, or -1 with errno EINVAL (a bad mode, flags or mask, or no
 * allowed node left), as the system call.
 */
int pga_set_mempolicy(int mode, const unsigned long *nodemask, unsigned long maxnode);

/* The calling thread's policy as pgalloc applies it: the mode or-ed with
 * its flags (PGA_MPOL_F_STATIC_NODES, PGA_MPOL_F_RELATIVE_NODES), as
 * get_mempolicy(2) gives them, into *mode, and, when nodemask is not NULL,
 * the nodes it uses (maxnode bits, as get_mempolicy(2)). Returns 0, or -1
 * with errno EINVAL when maxnode is too small for the nodes. */
int pga_get_mempolicy(int *mode, unsigned long *nodemask, unsigned long maxnode);

#ifdef __cplusplus
}
#endif

#endif /* PGALLOC_H */
