/* SPDX-License-Identifier: MIT */
/*
 * init.h - start-up of the page allocator, once per process, on its first
 * use (init.c).
 */
#ifndef PGA_INIT_H
#define PGA_INIT_H

#include "mmzone.h"

void pga_page_init_slow(void);

/*
 * The one start-up lock of the whole allocator: the page allocator's
 * start-up holds it, and so do the slab and malloc layers' (each after the
 * layers below it have started, so it is never taken twice). Fork's
 * prepare takes it before any other lock of pgalloc's, so that a fork
 * waits for a start-up in progress instead of copying it half done, and
 * so that whether pgalloc had started is decided once for prepare, parent
 * and child. Nothing that takes it holds another lock of pgalloc's; under
 * it a layer may register its client (the registration lock).
 */
void pga_startup_lock(void);
void pga_startup_unlock(void);
void pga_startup_fork_child(void);

/* Start the page allocator if it has not started. */
static inline void pga_page_init(void)
{
	if (unlikely(!atomic_load_explicit(&pga_initialized, memory_order_acquire)))
		pga_page_init_slow();
}

#endif /* PGA_INIT_H */
