/* SPDX-License-Identifier: MIT */
/*
 * pool.h - objects of one size, each in a mapping of its own, recycled
 * through a free stack: the per-thread states of the layers, which cannot
 * come from malloc (pgalloc is malloc) and must not come from the zones
 * (their pages would count as allocated memory). Once warm, thread churn
 * costs no system call.
 *
 * Invariant: mapped == objects handed out + objects on the free stack; a
 * pool never unmaps, so mapped is the most that were in use at once.
 */
#ifndef PGA_POOL_H
#define PGA_POOL_H

#include <pthread.h>
#include <stddef.h>

struct pga_pool {
	pthread_mutex_t lock; /* guards free and mapped */
	size_t bytes;         /* object size, a multiple of the page size */
	void *free;           /* stack linked through each object's first word */
	unsigned long mapped;
};

#define PGA_POOL_INITIALIZER                                                                       \
	{                                                                                          \
		PTHREAD_MUTEX_INITIALIZER, 0, NULL, 0                                              \
	}

/* Set the object size (before the first pga_pool_get). */
void pga_pool_init(struct pga_pool *pool, size_t bytes);

/* A page-aligned object, or NULL when no memory can be mapped. A fresh one
 * is zero; a recycled one holds what its last user left (except its first
 * word): the caller initialises it. (Other threads may still write atomics
 * in a recycled object, as the slab layer's remote hints do: zeroing it
 * here would race with them.) */
void *pga_pool_get(struct pga_pool *pool);

/* Give obj back for reuse. */
void pga_pool_put(struct pga_pool *pool, void *obj);

/* Objects ever mapped. */
unsigned long pga_pool_mapped(struct pga_pool *pool);

/* Fork: hold the lock across fork, release it in the parent, reset it in
 * the child. */
void pga_pool_lock(struct pga_pool *pool);
void pga_pool_unlock(struct pga_pool *pool);
void pga_pool_reinit(struct pga_pool *pool);

#endif /* PGA_POOL_H */
