/* SPDX-License-Identifier: MIT */
/*
 * page_testutil.h - for the tests that run a node down to its watermarks
 * and give everything back: a growable array of order-0 pages, and the
 * check that everything came back.
 */
#ifndef PGA_PAGE_TESTUTIL_H
#define PGA_PAGE_TESTUTIL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "buddy.h"
#include "mmzone.h"
#include "pgalloc.h"
#include "testutil.h"

struct pages {
	void **v;
	size_t n, cap;
};

static inline void pages_push(struct pages *p, void *addr)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4096;
		p->v = realloc(p->v, p->cap * sizeof(*p->v));
		REQUIRE(p->v != NULL);
	}
	p->v[p->n++] = addr;
}

/* Free every page and empty the array. */
static inline void pages_free(struct pages *p)
{
	for (size_t i = 0; i < p->n; i++)
		pga_free_pages(p->v[i], 0);
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}

/* Every zone: after a drain, all its managed pages are on the free lists,
 * and the buddy validator is happy. */
static inline void check_all_free(const char *when)
{
	pga_drain_all_pages();
	for (int id = 0; id < pga_mem.nr_zones; id++) {
		struct pga_zone *z = pga_mem.zones[id];
		char why[256] = "";
		bool ok;

		pthread_mutex_lock(&z->lock);
		ok = pga_zone_check_locked(z, why, sizeof(why));
		pthread_mutex_unlock(&z->lock);
		CHECK(ok);
		if (!ok)
			fprintf(stderr, "%s: zone %d/%s: %s\n", when, z->node, z->name, why);
		CHECK_EQ(pga_zone_free_pages(z), atomic_load(&z->managed_pages));
	}
}

#endif /* PGA_PAGE_TESTUTIL_H */
