/* SPDX-License-Identifier: MIT */
/*
 * malloc_testutil.h - helpers shared by the malloc layer's tests (after
 * testutil.h): resident memory, the "nothing leaked" check on the zones,
 * object patterns, and how heavily sanitizers slow a test down.
 */
#ifndef PGA_MALLOC_TESTUTIL_H
#define PGA_MALLOC_TESTUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "pgalloc.h"
#include "testutil.h"

#if defined(__SANITIZE_THREAD__)
#define T_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define T_TSAN 1
#endif
#endif
#ifndef T_TSAN
#define T_TSAN 0
#endif

#if defined(__SANITIZE_ADDRESS__)
#define T_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define T_ASAN 1
#endif
#endif
#ifndef T_ASAN
#define T_ASAN 0
#endif

/* Resident set size in bytes, from /proc/self/statm (0 if unreadable). */
static inline size_t t_rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, resident = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * After everything was freed and every other thread has exited: give all
 * caches back (malloc_trim) and check that every zone has all its managed
 * pages free again (free + pcp == managed): no slab, page run or pcp page
 * leaked. Returns true when so; reports each zone that is not.
 */
static inline bool t_zones_all_free(const char *when)
{
	bool ok = true;

	pga_malloc_trim(0);
	for (int nid = 0; nid < pga_num_nodes(); nid++) {
		for (int zt = 0; zt < PGA_NR_ZONES; zt++) {
			struct pga_zone_stats st;
			if (pga_zone_stats(nid, zt, &st) != 0)
				continue;
			t_checks++;
			if (st.free + st.pcp != st.managed) {
				t_failures++;
				ok = false;
				fprintf(stderr,
				        "%s: node %d zone %d: free %lu + pcp %lu != managed %lu "
				        "(%ld pages missing)\n",
				        when, nid, zt, st.free, st.pcp, st.managed,
				        (long)st.managed - (long)(st.free + st.pcp));
			}
		}
	}
	return ok;
}

/* A 64-bit mix (splitmix64's finaliser). */
static inline uint64_t t_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/*
 * Fill [p, p + size) with a pattern derived from key (at least the address
 * and size; add a sequence number where one exists), and check it. Whole
 * words, then the tail bytes. Any overlap with another live object, or a
 * write after free by the allocator (its freelist link), breaks it.
 */
static inline void t_fill(void *p, size_t size, uint64_t key)
{
	uint64_t *w = p, v = t_mix(key);
	size_t n = size / 8;

	for (size_t i = 0; i < n; i++)
		w[i] = v + i * 0x9e3779b97f4a7c15ULL;
	for (size_t i = n * 8; i < size; i++)
		((unsigned char *)p)[i] = (unsigned char)(v >> (8 * (i & 7)));
}

static inline bool t_verify(const void *p, size_t size, uint64_t key)
{
	const uint64_t *w = p;
	uint64_t v = t_mix(key);
	size_t n = size / 8;

	for (size_t i = 0; i < n; i++)
		if (w[i] != v + i * 0x9e3779b97f4a7c15ULL)
			return false;
	for (size_t i = n * 8; i < size; i++)
		if (((const unsigned char *)p)[i] != (unsigned char)(v >> (8 * (i & 7))))
			return false;
	return true;
}

#endif /* PGA_MALLOC_TESTUTIL_H */
