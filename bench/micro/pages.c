// SPDX-License-Identifier: MIT
/*
 * pages.c - micro-benchmarks of pgalloc's native page API, for
 * pgalloc-micro-pages (linked with libpgalloc.so, so pgalloc is its malloc
 * too; scripts/bench runs it under pgalloc only).
 *
 *   pages_pga/order:N    pga_alloc_pages(PGA_GFP_MOVABLE, N) + pga_free_pages
 *   pages_mmap/order:N   mmap + munmap of the same size (PAGE_SIZE << N),
 *                        what a program without a page allocator does
 *
 * for orders 0, 3, 9 and 10 (4 KiB, 32 KiB, 2 MiB, 4 MiB). Movable, as
 * anonymous user memory is in the kernel.
 *
 * Both write the first byte of the block, and only the first byte: a block
 * is allocated to be used, and an untouched mmap costs the kernel nothing
 * but the VMA, which would flatter it; touching every page would measure
 * page faults and memset rather than the allocators. So mmap pays one page
 * fault per iteration, and pgalloc (whose pages stay mapped when freed) none
 * once warm: that is the difference being measured.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */

#include <stddef.h>
#include <stdio.h>
#include <sys/mman.h>

#include "micro.h"
#include "pgalloc.h"

static void bm_pages_pga(struct bm_state *s, long order, long unused)
{
	for (BM_ITERATIONS(s)) {
		char *p = pga_alloc_pages(PGA_GFP_MOVABLE, (unsigned)order);
		if (!p) {
			bm_error(s, "pga_alloc_pages failed");
			break;
		}
		*p = 1;
		bm_do_not_optimize(p);
		pga_free_pages(p, (unsigned)order);
	}
	bm_set_items(s, 1);
}

static void bm_pages_mmap(struct bm_state *s, long order, long unused)
{
	size_t size = PGA_PAGE_SIZE << order;

	for (BM_ITERATIONS(s)) {
		char *p =
		    mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			bm_error(s, "mmap failed");
			break;
		}
		*p = 1;
		bm_do_not_optimize(p);
		if (munmap(p, size) != 0) {
			bm_error(s, "munmap failed");
			break;
		}
	}
	bm_set_items(s, 1);
}

void bm_register_all(void)
{
	static const long orders[] = {0, 3, 9, 10};
	char name[64];

	for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		snprintf(name, sizeof(name), "pages_pga/order:%ld", orders[i]);
		bm_register(name, bm_pages_pga, orders[i], 0, 0);
		snprintf(name, sizeof(name), "pages_mmap/order:%ld", orders[i]);
		bm_register(name, bm_pages_mmap, orders[i], 0, 0);
	}
}
