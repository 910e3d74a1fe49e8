// SPDX-License-Identifier: MIT
/*
 * malloc_init.c - start-up of the whole allocator, on the first call into the
 * malloc API: the page allocator first, then the slab layer, then the
 * malloc layer's own page client (its lock around fork: the huge table's;
 * its shrinker: the huge cache).
 */
#include "malloc_layer.h"

#include <pthread.h>

#include "client.h"
#include "page_alloc.h"

_Atomic bool pga_malloc_ready;

/* pga_page_node asks whether a pointer outside the zones is a huge block. */
static bool huge_owns(const void *p)
{
	return pga_huge_usable_size(p) != 0;
}

static const struct pga_page_client malloc_client = {
    .name = "malloc",
    .fork_prepare = pga_huge_lock,
    .fork_parent = pga_huge_unlock,
    .fork_child = pga_huge_reinit_lock,
    .shrink = pga_huge_shrink,
    .owns = huge_owns,
};

void pga_malloc_init(void)
{
	if (atomic_load_explicit(&pga_malloc_ready, memory_order_acquire))
		return;
	pga_page_init();
	pga_slab_init();
	/* The allocator's one start-up lock (init.h), which fork holds. */
	pga_startup_lock();
	if (!atomic_load_explicit(&pga_malloc_ready, memory_order_relaxed)) {
		pga_page_register_client(&malloc_client);
		atomic_store_explicit(&pga_malloc_ready, true, memory_order_release);
	}
	pga_startup_unlock();
}
