// SPDX-License-Identifier: MIT
/*
 * test_link.c - use pgalloc the way a program does: of pgalloc's headers
 * only <pgalloc.h>, linked against libpgalloc.so (the build gives this
 * program the public include directory and the tests' own check.h, nothing
 * of lib/). Allocate and free every order through the public API, check the
 * natural alignment, write every byte, ask for the node.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <pgalloc.h>

#include "check.h"

int main(void)
{
	void *blocks[PGA_MAX_ORDER][2];
	int nodes = pga_num_nodes();

	CHECK(nodes >= 1 && nodes <= PGA_MAX_NUMNODES);
	for (unsigned order = 0; order < PGA_MAX_ORDER; order++) {
		size_t size = PGA_PAGE_SIZE << order;

		for (int i = 0; i < 2; i++) {
			unsigned char *p = pga_alloc_pages(i ? PGA_GFP_MOVABLE : 0, order);

			blocks[order][i] = p;
			CHECK(p != NULL);
			if (!p)
				continue;
			CHECK((uintptr_t)p % size == 0);
			memset(p, 0xa5 ^ (int)order, size);
			CHECK(p[0] == (0xa5 ^ order) && p[size - 1] == (0xa5 ^ order));
			int nid = pga_page_node(p);
			CHECK(nid >= 0 && nid < nodes);
			CHECK(pga_page_node(p + size - 1) == nid);
			int zone = pga_page_zone(p);
			CHECK(zone == PGA_ZONE_NORMAL || zone == PGA_ZONE_DMA32);
		}
	}
	/* The contents survive the other allocations: no block overlaps. */
	for (unsigned order = 0; order < PGA_MAX_ORDER; order++) {
		size_t size = PGA_PAGE_SIZE << order;

		for (int i = 0; i < 2; i++) {
			unsigned char *p = blocks[order][i];

			if (!p)
				continue;
			for (size_t b = 0; b < size; b += 509)
				if (p[b] != (0xa5 ^ order)) {
					CHECK(p[b] == (0xa5 ^ order));
					break;
				}
			pga_free_pages(p, order);
		}
	}

	int local = 0;
	CHECK(pga_page_node(&local) == -1);
	errno = 0;
	CHECK(pga_alloc_pages(0, PGA_MAX_ORDER) == NULL && errno == EINVAL);

	void *exact = pga_alloc_pages_exact(5 * PGA_PAGE_SIZE, PGA_GFP_ZERO);
	CHECK(exact != NULL);
	if (exact) {
		CHECK((uintptr_t)exact % PGA_PAGE_SIZE == 0);
		CHECK(((unsigned char *)exact)[5 * PGA_PAGE_SIZE - 1] == 0);
		memset(exact, 1, 5 * PGA_PAGE_SIZE);
		pga_free_pages_exact(exact, 5 * PGA_PAGE_SIZE);
	}

	struct pga_zone_stats st;
	CHECK(pga_zone_stats(0, PGA_ZONE_NORMAL, &st) == 0 && st.managed > 0);
	CHECK(pga_stats_print(-1, 0) == -1);

	return t_done("link");
}
