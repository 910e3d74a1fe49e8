// SPDX-License-Identifier: MIT
/*
 * pool.c - fixed-size objects from their own mappings; see pool.h.
 */
#include "pool.h"

#include "compiler.h"
#include "os.h"
#include "pgalloc.h"

void pga_pool_init(struct pga_pool *pool, size_t bytes)
{
	pool->bytes = (size_t)pga_round_up(bytes, PGA_PAGE_SIZE);
}

void *pga_pool_get(struct pga_pool *pool)
{
	void *obj;

	pthread_mutex_lock(&pool->lock);
	obj = pool->free;
	if (obj)
		pool->free = *(void **)obj;
	pthread_mutex_unlock(&pool->lock);
	if (!obj) {
		obj = pga_os_reserve(pool->bytes, PGA_PAGE_SIZE);
		if (!obj)
			return NULL;
		if (!pga_os_commit(obj, pool->bytes)) {
			pga_os_release(obj, pool->bytes);
			return NULL;
		}
		pthread_mutex_lock(&pool->lock);
		pool->mapped++;
		pthread_mutex_unlock(&pool->lock);
	}
	return obj;
}

void pga_pool_put(struct pga_pool *pool, void *obj)
{
	pthread_mutex_lock(&pool->lock);
	*(void **)obj = pool->free;
	pool->free = obj;
	pthread_mutex_unlock(&pool->lock);
}

unsigned long pga_pool_mapped(struct pga_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	unsigned long n = pool->mapped;
	pthread_mutex_unlock(&pool->lock);
	return n;
}

void pga_pool_lock(struct pga_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
}

void pga_pool_unlock(struct pga_pool *pool)
{
	pthread_mutex_unlock(&pool->lock);
}

void pga_pool_reinit(struct pga_pool *pool)
{
	pthread_mutex_init(&pool->lock, NULL);
}
