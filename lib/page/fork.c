// SPDX-License-Identifier: MIT
/*
 * fork.c - the fork handlers of the whole allocator, registered with
 * pthread_atfork when pgalloc is loaded (init.c), so that the child of a
 * multi-threaded parent finds every lock free and gets back what the threads
 * that did not survive held.
 *
 * prepare takes every lock in lock order, the clients' first (the layers
 * above, top down), then the thread registry and the thread locks, then the
 * zone locks; parent releases them in the reverse order. child resets the
 * page allocator's locks, then the clients', and only then reaps the dead
 * threads, whose clients' states and pcp pages go back through those locks.
 */
#include "fork.h"

#include "client.h"
#include "mmzone.h"
#include "reclaim.h"
#include "thread.h"

void pga_fork_prepare(void)
{
	if (!atomic_load_explicit(&pga_initialized, memory_order_acquire))
		return;
	pga_clients_fork_prepare();
	pga_thread_fork_prepare();
	for (int id = 0; id < pga_mem.nr_zones; id++)
		pga_lock(&pga_mem.zones[id]->lock);
}

void pga_fork_parent(void)
{
	if (!atomic_load_explicit(&pga_initialized, memory_order_acquire))
		return;
	for (int id = 0; id < pga_mem.nr_zones; id++)
		pga_unlock(&pga_mem.zones[id]->lock);
	pga_thread_fork_parent();
	pga_clients_fork_parent();
}

void pga_fork_child(void)
{
	if (!atomic_load_explicit(&pga_initialized, memory_order_acquire))
		return;
	for (int id = 0; id < pga_mem.nr_zones; id++)
		pga_lock_init(&pga_mem.zones[id]->lock);
	pga_thread_fork_reset();
	pga_clients_fork_child();
	pga_thread_fork_reap();
	pga_kswapd_fork_child();
}
