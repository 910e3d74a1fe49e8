/* SPDX-License-Identifier: MIT */
/*
 * page_testutil.h - a growable array of order-0 pages, for the tests that
 * run a node down to its watermarks and give everything back.
 */
#ifndef PGA_PAGE_TESTUTIL_H
#define PGA_PAGE_TESTUTIL_H

#include <stdlib.h>

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

#endif /* PGA_PAGE_TESTUTIL_H */
