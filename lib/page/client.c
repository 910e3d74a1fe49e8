// SPDX-License-Identifier: MIT
/*
 * client.c - the registered clients of the page allocator; see client.h.
 *
 * clients[] only grows, under reg_lock; nr_clients is published with a
 * release store after the entry is written, so a reader that loads it with
 * acquire sees complete entries and needs no lock.
 *
 * start runs once per client, whichever comes second of the registration
 * and the end of start-up: each side publishes its part (the entry, the
 * initialised flag), a full fence, then looks at the other's, so at least
 * one of them sees both; started[] keeps the other from running it again.
 */
#include "client.h"

#include <pthread.h>
#include <stdatomic.h>

#include "mmzone.h"

static const struct pga_page_client *clients[PGA_MAX_CLIENTS];
static _Atomic int nr_clients;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic bool started[PGA_MAX_CLIENTS];

static int count(void)
{
	return atomic_load_explicit(&nr_clients, memory_order_acquire);
}

static void start_once(int i)
{
	if (clients[i]->start && !atomic_exchange(&started[i], true))
		clients[i]->start();
}

int pga_page_register_client(const struct pga_page_client *c)
{
	int slot = -1;

	pthread_mutex_lock(&reg_lock);
	int n = atomic_load_explicit(&nr_clients, memory_order_relaxed);
	for (int i = 0; i < n; i++)
		if (clients[i] == c)
			slot = i;
	if (slot < 0 && n < PGA_MAX_CLIENTS) {
		clients[n] = c;
		atomic_store_explicit(&nr_clients, n + 1, memory_order_release);
		slot = n;
	}
	pthread_mutex_unlock(&reg_lock);
	atomic_thread_fence(memory_order_seq_cst);
	if (slot >= 0 && atomic_load_explicit(&pga_initialized, memory_order_relaxed))
		start_once(slot);
	return slot;
}

int pga_nr_clients(void)
{
	return count();
}

const struct pga_page_client *pga_client(int slot)
{
	return clients[slot];
}

/* The clients whose fork_prepare ran, for the parent and child hooks:
 * written by the forking thread under reg_lock, which it holds across the
 * fork, so no registration can come between the two sides. */
static int fork_nr;

void pga_clients_fork_prepare(bool hooks)
{
	pthread_mutex_lock(&reg_lock);
	fork_nr = hooks ? atomic_load_explicit(&nr_clients, memory_order_relaxed) : 0;
	for (int i = fork_nr - 1; i >= 0; i--)
		if (clients[i]->fork_prepare)
			clients[i]->fork_prepare();
}

void pga_clients_fork_parent(void)
{
	for (int i = 0; i < fork_nr; i++)
		if (clients[i]->fork_parent)
			clients[i]->fork_parent();
	pthread_mutex_unlock(&reg_lock);
}

void pga_clients_fork_child(void)
{
	pthread_mutex_init(&reg_lock, NULL);
	for (int i = 0; i < fork_nr; i++)
		if (clients[i]->fork_child)
			clients[i]->fork_child();
}

unsigned long pga_clients_shrink(bool all)
{
	unsigned long pages = 0;
	int n = count();

	for (int i = 0; i < n; i++)
		if (clients[i]->shrink)
			pages += clients[i]->shrink(all);
	return pages;
}

void pga_clients_start(void)
{
	atomic_thread_fence(memory_order_seq_cst);
	int n = count();

	for (int i = 0; i < n; i++)
		start_once(i);
}

bool pga_clients_own(const void *addr)
{
	int n = count();

	for (int i = 0; i < n; i++)
		if (clients[i]->owns && clients[i]->owns(addr))
			return true;
	return false;
}
