/* SPDX-License-Identifier: MIT */
/*
 * pages.h - a growable array of order-0 pages, for the tests that run a
 * node down to its watermarks and give everything back.
 */
#ifndef PGA_TEST_PAGES_H
#define PGA_TEST_PAGES_H

#include <stdlib.h>

#include "check.h"
#include "pgalloc.h"

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

/* Free pages [from, to) of the array; the array keeps them listed. */
static inline void pages_free_range(struct pages *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		pga_free_pages(p->v[i], 0);
}

/* Free every page and empty the array. */
static inline void pages_free(struct pages *p)
{
	pages_free_range(p, 0, p->n);
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}

#endif /* PGA_TEST_PAGES_H */
