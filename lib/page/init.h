/* SPDX-License-Identifier: MIT */
/*
 * init.h - start-up of the page allocator, once per process, on its first
 * use (init.c).
 */
#ifndef PGA_INIT_H
#define PGA_INIT_H

#include "mmzone.h"

void pga_page_init_slow(void);

/* Start the page allocator if it has not started. */
static inline void pga_page_init(void)
{
	if (unlikely(!atomic_load_explicit(&pga_initialized, memory_order_acquire)))
		pga_page_init_slow();
}

#endif /* PGA_INIT_H */
