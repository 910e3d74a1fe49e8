/* SPDX-License-Identifier: MIT */
/*
 * client.h - how the layers above use the page allocator without it ever
 * calling them by name (the kernel's cpu hotplug callbacks and shrinkers):
 * a layer registers a client, and the page allocator calls every
 * registered client when a thread goes away, around fork, under memory
 * pressure, and once it has started.
 *
 * Order: clients are called in the order they registered, except for
 * fork_prepare, which runs in the reverse order, so that a layer registered
 * later (higher up) takes its locks first, the kernel's lock order from
 * the top down.
 */
#ifndef PGA_CLIENT_H
#define PGA_CLIENT_H

#include <stdbool.h>

#define PGA_MAX_CLIENTS 4

struct pga_thread;

struct pga_page_client {
	const char *name;
	/*
	 * The state priv that the client attached to thread t
	 * (pga_thread_set_private) goes away: t is exiting, and this is
	 * called on t itself, from its thread-exit destructor, before t's
	 * pcp lists are drained, so that what the client frees ends up in the
	 * buddy lists. priv is never NULL. Never called for a thread that did
	 * not survive a fork: in the child such a state is abandoned, not
	 * given back (fork.c), and the client must never walk it again.
	 */
	void (*thread_exit)(struct pga_thread *t, void *priv);
	/* fork: take the client's locks; release them; reset them (in the
	 * child, only the caller runs, and the states of the other threads
	 * are abandoned: the client must not reach them through anything it
	 * keeps, or keep them whole enough to be reached, as the slab layer's
	 * parked states are). Called only once the page allocator has
	 * started, with the start-up lock and the registration lock held, so
	 * the three run for the same clients. */
	void (*fork_prepare)(void);
	void (*fork_parent)(void);
	void (*fork_child)(void);
	/* Give back free memory the client caches (empty slabs, cached huge
	 * blocks); returns the pages freed. all: everything it can (direct
	 * reclaim, malloc_trim); else only what has stayed unused for
	 * decay_ms (background reclaim). Called with no lock of the page
	 * allocator held. */
	unsigned long (*shrink)(bool all);
	/* The page allocator has started (called at once when it already
	 * had), outside every lock. */
	void (*start)(void);
	/* The memory policy of thread t changed (or its node did, under a
	 * policy that follows the node): stop serving cached memory the new
	 * policy may not allow (give it back, or serve from the caches of the
	 * node it names), so that the next allocations follow it.
	 * Called on t itself, at a point where it is inside no allocator
	 * call: pga_set_mempolicy, or a slow path of the client's own that
	 * asked (pga_thread_caches_check). */
	void (*policy_changed)(struct pga_thread *t, void *priv);
	/* Is addr the start of memory the client handed out from outside the
	 * zones (a huge mapping)? pga_page_node then asks the kernel where
	 * it lies. Lock-free or under the client's leaf lock. */
	bool (*owns)(const void *addr);
};

/*
 * Register c (static storage, every hook optional). Returns the client's
 * slot for pga_thread_private(), or -1 when PGA_MAX_CLIENTS are taken.
 * Registering the same client again returns its slot.
 */
int pga_page_register_client(const struct pga_page_client *c);

/* The clients registered so far, slots 0 .. pga_nr_clients() - 1. */
int pga_nr_clients(void);
const struct pga_page_client *pga_client(int slot);

/* Called by the page allocator (thread exit: pga_clients_thread_exit in
 * thread.h, which owns the per-thread states). */
/* Fork: prepare takes the registration lock and, with hooks, runs every
 * client's fork_prepare (reverse order); parent and child run the hooks
 * of the same clients and release (reset) the lock. */
void pga_clients_fork_prepare(bool hooks);
void pga_clients_fork_parent(void);
void pga_clients_fork_child(void);
unsigned long pga_clients_shrink(bool all);
void pga_clients_start(void);
/* Does a client own addr (its owns hook)? */
bool pga_clients_own(const void *addr);

/* Every client's policy_changed for the calling thread t (thread.c, which
 * owns the per-thread states). */
void pga_clients_policy_changed(struct pga_thread *t);

#endif /* PGA_CLIENT_H */
