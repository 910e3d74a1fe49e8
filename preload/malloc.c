// SPDX-License-Identifier: MIT
/*
 * malloc.c - the C allocation API under the C library's names, for
 * libpgalloc.so. Preloading the library (LD_PRELOAD) or linking it replaces
 * the C library's allocator for the whole process: every malloc, the C
 * library's own included, lands here.
 *
 * malloc and free are the inline fast paths of lib/malloc_layer.h, compiled into
 * the exported functions themselves; everything else forwards to the pga_
 * function of the same name. Within the library those calls bind directly
 * (-Bsymbolic-functions), with no PLT hop.
 *
 * Rules for this file, because it runs inside every allocation of the
 * process: no stdio (except malloc_info, which writes to the caller's FILE),
 * nothing at load time that could allocate, and errno left alone except
 * where the C API sets it.
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "policy.h"
#include "os.h"
#include "malloc_layer.h"
#include "pgalloc.h"
#include "reclaim.h"

/*
 * Declarations the C library's headers may lack: free_sized and
 * free_aligned_sized are C23 (glibc 2.43), mallinfo2 is glibc 2.33. The
 * build defines PGA_NO_MALLINFO2 when <malloc.h> has no struct mallinfo2; this
 * one has glibc's layout.
 */
void free_sized(void *ptr, size_t size);
void free_aligned_sized(void *ptr, size_t alignment, size_t size);
#ifdef PGA_NO_MALLINFO2
struct mallinfo2 {
	size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks,
	    keepcost;
};
struct mallinfo2 mallinfo2(void);
#endif

/* ---- set_mempolicy: the program changes its NUMA policy ---- */

/*
 * set_mempolicy(2) (numaif.h), as libnuma defines it: the system call, then
 * pgalloc reads the thread's policy back from the kernel, so that its
 * caches and its next allocations follow the new policy. Without this,
 * pages cached under the old policy would go on being handed out. The
 * system call's result and errno are the caller's.
 */
long set_mempolicy(int mode, const unsigned long *nodemask, unsigned long maxnode);

pga_export long set_mempolicy(int mode, const unsigned long *nodemask, unsigned long maxnode)
{
	int rc = pga_os_set_mempolicy(mode, nodemask, maxnode);

	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	pga_mempolicy_reload();
	return 0;
}

/* ---- malloc and free: the fast paths, inline ---- */

pga_export void *malloc(size_t size)
{
	return pga_malloc_inline(size);
}

pga_export void free(void *ptr)
{
	pga_free_inline(ptr);
}

/* ---- the rest of the API: pgalloc's own functions ---- */

pga_export void *calloc(size_t nmemb, size_t size)
{
	return pga_calloc(nmemb, size);
}

pga_export void *realloc(void *ptr, size_t size)
{
	return pga_realloc(ptr, size);
}

pga_export void *reallocarray(void *ptr, size_t nmemb, size_t size)
{
	return pga_reallocarray(ptr, nmemb, size);
}

pga_export void *memalign(size_t alignment, size_t size)
{
	return pga_memalign(alignment, size);
}

pga_export int posix_memalign(void **memptr, size_t alignment, size_t size)
{
	return pga_posix_memalign(memptr, alignment, size);
}

pga_export void *aligned_alloc(size_t alignment, size_t size)
{
	return pga_aligned_alloc(alignment, size);
}

pga_export void *valloc(size_t size)
{
	return pga_valloc(size);
}

pga_export void *pvalloc(size_t size)
{
	return pga_pvalloc(size);
}

pga_export size_t malloc_usable_size(void *ptr)
{
	return pga_malloc_usable_size(ptr);
}

pga_export void free_sized(void *ptr, size_t size)
{
	pga_free_sized(ptr, size);
}

pga_export void free_aligned_sized(void *ptr, size_t alignment, size_t size)
{
	pga_free_aligned_sized(ptr, alignment, size);
}

pga_export int malloc_trim(size_t pad)
{
	return pga_malloc_trim(pad);
}

/*
 * ---- the C library's other names for the same functions ----
 *
 * glibc's allocator is also reachable as __libc_malloc and friends (some
 * programs and libraries call them to bypass a replacement malloc, and
 * glibc's own malloc hooks used to) and as cfree (obsolete, still in the
 * ABI). Defined here, a pointer from any of them is pgalloc's, and nothing
 * ever reaches glibc's heap with a pgalloc pointer or the other way round.
 */
void cfree(void *ptr);
void *__libc_malloc(size_t size);
void __libc_free(void *ptr);
void *__libc_calloc(size_t nmemb, size_t size);
void *__libc_realloc(void *ptr, size_t size);
void *__libc_memalign(size_t alignment, size_t size);
void *__libc_valloc(size_t size);
void *__libc_pvalloc(size_t size);
struct mallinfo __libc_mallinfo(void);
int __libc_mallopt(int param, int value);
int __posix_memalign(void **memptr, size_t alignment, size_t size);

pga_export void cfree(void *ptr)
{
	pga_free_inline(ptr);
}

pga_export void *__libc_malloc(size_t size)
{
	return pga_malloc_inline(size);
}

pga_export void __libc_free(void *ptr)
{
	pga_free_inline(ptr);
}

pga_export void *__libc_calloc(size_t nmemb, size_t size)
{
	return pga_calloc(nmemb, size);
}

pga_export void *__libc_realloc(void *ptr, size_t size)
{
	return pga_realloc(ptr, size);
}

pga_export void *__libc_memalign(size_t alignment, size_t size)
{
	return pga_memalign(alignment, size);
}

pga_export void *__libc_valloc(size_t size)
{
	return pga_valloc(size);
}

pga_export void *__libc_pvalloc(size_t size)
{
	return pga_pvalloc(size);
}

pga_export int __posix_memalign(void **memptr, size_t alignment, size_t size)
{
	return pga_posix_memalign(memptr, alignment, size);
}

/* ---- introspection: glibc's interfaces over pgalloc's counters ---- */

pga_export struct mallinfo2 mallinfo2(void)
{
	struct pga_mallinfo pm;
	struct mallinfo2 mi;

	pga_mallinfo(&pm);
	memset(&mi, 0, sizeof(mi));
	mi.arena = pm.arena;
	mi.ordblks = pm.ordblks;
	mi.hblks = pm.hblks;
	mi.hblkhd = pm.hblkhd;
	mi.uordblks = pm.uordblks;
	mi.fordblks = pm.fordblks;
	mi.keepcost = pm.keepcost;
	return mi;
}

/* mallinfo's fields are int; glibc lets large values wrap, which turns a
 * 3 GiB heap into a negative number. Here they saturate at INT_MAX. */
static int mallinfo_int(size_t v)
{
	return v > INT_MAX ? INT_MAX : (int)v;
}

static struct mallinfo mallinfo_int_fields(void)
{
	struct mallinfo2 m2 = mallinfo2();
	struct mallinfo mi;

	memset(&mi, 0, sizeof(mi));
	mi.arena = mallinfo_int(m2.arena);
	mi.ordblks = mallinfo_int(m2.ordblks);
	mi.hblks = mallinfo_int(m2.hblks);
	mi.hblkhd = mallinfo_int(m2.hblkhd);
	mi.uordblks = mallinfo_int(m2.uordblks);
	mi.fordblks = mallinfo_int(m2.fordblks);
	mi.keepcost = mallinfo_int(m2.keepcost);
	return mi;
}

pga_export struct mallinfo mallinfo(void)
{
	return mallinfo_int_fields();
}

/*
 * mallopt: glibc's parameters, mapped where pgalloc has the same knob
 * (docs/configuration.md, "mallopt"):
 *   M_TRIM_THRESHOLD  -1 (never trim) turns background reclaim off, any
 *                     other value back on (background_reclaim);
 * the others are accepted (return 1) when glibc would accept the value, so
 * that programs tuning glibc keep working, but have no effect: they
 * describe glibc's arenas, bins and mmap threshold, which pgalloc does not
 * have (its huge threshold is the largest buddy block, 4 MiB). A value
 * glibc rejects returns 0 and changes nothing, as there: M_MXFAST above
 * 80 * sizeof(size_t) / 4 or negative, M_MMAP_THRESHOLD above 32 MiB
 * (glibc's HEAP_MAX_SIZE / 2) or negative, negative M_TOP_PAD or
 * M_MMAP_MAX, M_ARENA_TEST or M_ARENA_MAX not above 0. An unknown
 * parameter returns 0, as in glibc.
 */
pga_export int mallopt(int param, int value)
{
	switch (param) {
	case M_TRIM_THRESHOLD:
		pga_kswapd_set_enabled(value >= 0);
		return 1;
	case M_MXFAST:
		return value >= 0 && (size_t)value <= 80 * sizeof(size_t) / 4;
	case M_MMAP_THRESHOLD:
		return value >= 0 && value <= (32 << 20);
	case M_TOP_PAD:
	case M_MMAP_MAX:
		return value >= 0;
	case M_ARENA_TEST:
	case M_ARENA_MAX:
		return value > 0;
	case M_CHECK_ACTION:
	case M_PERTURB:
		return 1;
	default:
		return 0;
	}
}

pga_export int __libc_mallopt(int param, int value)
{
	return mallopt(param, value);
}

pga_export struct mallinfo __libc_mallinfo(void)
{
	return mallinfo_int_fields();
}

static void stats_line(struct pga_fmt *f, const char *label, uint64_t v)
{
	pga_fmt_str(f, label);
	pga_fmt_u64(f, v, 10);
	pga_fmt_char(f, '\n');
}

/*
 * malloc_stats: glibc's report on stderr, written with write(2). pgalloc is
 * one arena; "system bytes" are the pages onlined into its zones, and the
 * "max mmap" lines give the current huge (directly mapped) allocations, as
 * no peak is kept.
 */
pga_export void malloc_stats(void)
{
	int saved = errno;
	struct pga_mallinfo mi;
	struct pga_fmt f;

	pga_mallinfo(&mi);
	pga_fmt_init(&f, 2);
	pga_fmt_str(&f, "Arena 0:\n");
	stats_line(&f, "system bytes     = ", mi.arena);
	stats_line(&f, "in use bytes     = ", mi.uordblks);
	pga_fmt_str(&f, "Total (incl. mmap):\n");
	stats_line(&f, "system bytes     = ", (uint64_t)mi.arena + mi.hblkhd);
	stats_line(&f, "in use bytes     = ", (uint64_t)mi.uordblks + mi.hblkhd);
	stats_line(&f, "max mmap regions = ", mi.hblks);
	stats_line(&f, "max mmap bytes   = ", mi.hblkhd);
	pga_fmt_flush(&f);
	errno = saved;
}

/* One node's figures for malloc_info, summed over its zones. */
struct heap_info {
	unsigned long nr_free[PGA_MAX_ORDER]; /* free buddy blocks per order */
	unsigned long blocks;                 /* free buddy blocks, all orders */
	unsigned long free_pages;             /* pages in those blocks */
	unsigned long pcp_pages;              /* pages in per-thread caches */
	unsigned long managed_pages;          /* pages onlined into the zones */
	unsigned long spanned_pages;          /* pages reserved for the zones */
};

static void heap_info_add(struct heap_info *h, const struct pga_zone_stats *st)
{
	for (int o = 0; o < PGA_MAX_ORDER; o++) {
		h->nr_free[o] += st->nr_free[o];
		h->blocks += st->nr_free[o];
	}
	h->free_pages += st->free;
	h->pcp_pages += st->pcp;
	h->managed_pages += st->managed;
	h->spanned_pages += st->spanned;
}

/* The <total>, <system> and <aspace> elements, per heap and overall. */
static void heap_info_print(FILE *fp, const struct heap_info *h)
{
	fprintf(fp, "<total type=\"fast\" count=\"%lu\" size=\"%lu\"/>\n", h->pcp_pages,
	        h->pcp_pages * PGA_PAGE_SIZE);
	fprintf(fp, "<total type=\"rest\" count=\"%lu\" size=\"%lu\"/>\n", h->blocks,
	        h->free_pages * PGA_PAGE_SIZE);
}

static void heap_system_print(FILE *fp, const struct heap_info *h)
{
	/* Zones only grow (memory is onlined, never offlined): the current
	 * size is also the peak. */
	fprintf(fp, "<system type=\"current\" size=\"%lu\"/>\n", h->managed_pages * PGA_PAGE_SIZE);
	fprintf(fp, "<system type=\"max\" size=\"%lu\"/>\n", h->managed_pages * PGA_PAGE_SIZE);
	fprintf(fp, "<aspace type=\"total\" size=\"%lu\"/>\n", h->spanned_pages * PGA_PAGE_SIZE);
	fprintf(fp, "<aspace type=\"mprotect\" size=\"%lu\"/>\n", h->managed_pages * PGA_PAGE_SIZE);
}

/*
 * malloc_info: glibc's XML, one <heap> per NUMA node. <sizes> lists the free
 * buddy blocks by size (from = to = the block size of an order); "fast" is
 * the pages held in per-thread caches (glibc: fastbins), "rest" the free
 * buddy blocks; "system" is the memory onlined into the node's zones,
 * "aspace" total the address space reserved for them. stdio is fine here:
 * the caller handed us its FILE, and no pgalloc lock is held while writing.
 */
pga_export int malloc_info(int options, FILE *fp)
{
	struct heap_info all;
	struct pga_mallinfo mi;
	int nodes = pga_num_nodes();

	if (options != 0) {
		errno = EINVAL;
		return -1;
	}
	memset(&all, 0, sizeof(all));
	fputs("<malloc version=\"1\">\n", fp);
	for (int nid = 0; nid < nodes; nid++) {
		struct heap_info h;
		struct pga_zone_stats st;

		memset(&h, 0, sizeof(h));
		for (int zt = 0; zt < PGA_NR_ZONES; zt++) {
			if (pga_zone_stats(nid, zt, &st) == 0) {
				heap_info_add(&h, &st);
				heap_info_add(&all, &st);
			}
		}
		fprintf(fp, "<heap nr=\"%d\">\n<sizes>\n", nid);
		for (int o = 0; o < PGA_MAX_ORDER; o++) {
			unsigned long bytes = PGA_PAGE_SIZE << o;

			if (h.nr_free[o])
				fprintf(fp,
				        "  <size from=\"%lu\" to=\"%lu\" total=\"%lu\" "
				        "count=\"%lu\"/>\n",
				        bytes, bytes, h.nr_free[o] * bytes, h.nr_free[o]);
		}
		fputs("</sizes>\n", fp);
		heap_info_print(fp, &h);
		heap_system_print(fp, &h);
		fputs("</heap>\n", fp);
	}
	pga_mallinfo(&mi);
	heap_info_print(fp, &all);
	fprintf(fp, "<total type=\"mmap\" count=\"%zu\" size=\"%zu\"/>\n", mi.hblks, mi.hblkhd);
	heap_system_print(fp, &all);
	fputs("</malloc>\n", fp);
	return 0;
}

/*
 * ---- pointers pgalloc never handed out ----
 *
 * pgalloc exports every entry point of the C library's allocator, its
 * __libc_ names included, so once it is loaded the C library's allocator
 * hands out nothing more. A pointer that is not pgalloc's can still be the
 * C library's in two cases only: pgalloc was loaded with dlopen after the
 * program had allocated (the program's own calls keep going to the C
 * library then, but one that reaches pgalloc's free by dlsym can pass such
 * a pointer), or memory allocated before pgalloc took over. Everything else
 * (a stack or global address, an mmap'd page, a pointer freed twice) is a
 * misuse, reported by the malloc layer.
 *
 * pga_foreign_owns decides it from what the C library and the kernel say,
 * not from the bytes around the pointer (the C library's own check reads a
 * chunk header 16 bytes before it, which for a stack or mmap'd address is
 * whatever is there):
 *   1. the C library's mallinfo2 (its own, found after pgalloc): when its
 *      heap holds no memory at all (arena and mmapped bytes 0), which is
 *      the case in every process pgalloc was preloaded into, nothing can be
 *      its: no;
 *   2. otherwise p must lie in memory the C library allocates from: the brk
 *      heap or an anonymous mapping, as /proc/self/maps lists them (not a
 *      stack, a file, a named mapping such as pgalloc's own); then yes.
 * The C library's functions are looked up with dlsym(RTLD_NEXT) only when
 * such a pointer first shows up, never at load time.
 */

/* The C library's definition of name, found after this library; NULL when
 * there is none or dlsym finds our own (self). */
static void *libc_symbol(const char *name, void *self)
{
	void *sym = dlsym(RTLD_NEXT, name);

	return sym == self ? NULL : sym;
}

typedef void free_fn(void *);
typedef void *realloc_fn(void *, size_t);
typedef size_t usable_size_fn(void *);
typedef struct mallinfo2 mallinfo2_fn(void);

static _Atomic(free_fn *) libc_free_fn;
static _Atomic(realloc_fn *) libc_realloc_fn;
static _Atomic(usable_size_fn *) libc_usable_size_fn;

/* *slot, looked up once. */
#define LIBC_FN(slot, type, name, self)                                                            \
	({                                                                                         \
		type *fn_ = atomic_load_explicit(&(slot), memory_order_acquire);                   \
		if (!fn_) {                                                                        \
			fn_ = (type *)libc_symbol(name, (void *)(self));                           \
			atomic_store_explicit(&(slot), fn_, memory_order_release);                 \
		}                                                                                  \
		fn_;                                                                               \
	})

bool pga_foreign_owns(const void *p)
{
	mallinfo2_fn *mi = (mallinfo2_fn *)libc_symbol("mallinfo2", (void *)mallinfo2);

	if (!mi)
		return false;
	struct mallinfo2 m = mi();
	if (m.arena == 0 && m.hblkhd == 0)
		return false;
	char name[32];
	if (!pga_os_find_mapping(p, name, sizeof(name)))
		return false;
	return name[0] == '\0' || strcmp(name, "[heap]") == 0;
}

void pga_foreign_free(void *p)
{
	free_fn *fn = LIBC_FN(libc_free_fn, free_fn, "free", free);

	if (fn)
		fn(p);
}

void *pga_foreign_realloc(void *p, size_t size)
{
	realloc_fn *fn = LIBC_FN(libc_realloc_fn, realloc_fn, "realloc", realloc);

	if (!fn) {
		errno = ENOMEM;
		return NULL;
	}
	return fn(p, size);
}

size_t pga_foreign_usable_size(void *p)
{
	usable_size_fn *fn =
	    LIBC_FN(libc_usable_size_fn, usable_size_fn, "malloc_usable_size", malloc_usable_size);

	return fn ? fn(p) : 0;
}
