/* SPDX-License-Identifier: MIT */
/*
 * park.h - threads that stop, alive, where the test wants them: each parks
 * when its work is done and waits there until released, so that the test
 * can look at (or fork) a process whose threads hold their caches but are
 * not inside the allocator.
 */
#ifndef PGA_TEST_PARK_H
#define PGA_TEST_PARK_H

#include <pthread.h>
#include <stdbool.h>

struct t_park {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int parked;    /* threads waiting */
	bool released; /* they may go on */
};

#define T_PARK_INITIALIZER                                                                         \
	{                                                                                          \
		PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false                      \
	}

/* In a thread: count itself parked, then wait for the release. */
static inline void t_park(struct t_park *p)
{
	pthread_mutex_lock(&p->lock);
	p->parked++;
	pthread_cond_broadcast(&p->cond);
	while (!p->released)
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

/* Wait until n threads are parked. */
static inline void t_park_wait(struct t_park *p, int n)
{
	pthread_mutex_lock(&p->lock);
	while (p->parked < n)
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

/* Let every parked thread, and every one that parks later, go on. */
static inline void t_park_release(struct t_park *p)
{
	pthread_mutex_lock(&p->lock);
	p->released = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

#endif /* PGA_TEST_PARK_H */
