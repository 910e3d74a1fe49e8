// SPDX-License-Identifier: MIT
/*
 * fork.c - the fork handlers of the whole allocator, registered with
 * pthread_atfork when pgalloc is loaded (below), so that the child of a
 * multi-threaded parent finds every lock free and every structure whole.
 *
 * What the child does with the threads that did not survive
 * ----------------------------------------------------------
 * It abandons them. A thread's caches (its pcp lists, its slab layer
 * state: object caches, cpu slab, frozen partial and full slabs) are
 * updated by their owner with no lock and no atomic read-modify-write, so
 * the copy the child gets may be in the middle of an update: a pcp count
 * that says 1 over empty lists, a slab half unlinked from a frozen list.
 * Stopping every owner's fast path in prepare would need the pcp's
 * revocation (thread.h) for the slab caches too, a cost on every small
 * allocation and free; and a thread that is stopped may still be inside
 * an update. So the child never walks, drains, flushes or recycles a dead
 * thread's state: it unlinks it from the thread registry (the only place
 * anything finds it: drains, statistics walks, malloc_trim, background
 * reclaim), and that is all. What it held stays allocated, unreachable:
 *   - its pcp pages stay PG_pcp, which the buddy allocator never merges
 *     with; their number (the dead counts, plain numbers) is kept in
 *     pga_thread_abandoned(), and its event counters join the zone's;
 *   - its slab state, with the objects in its caches and the slabs frozen
 *     to it: a free into such a slab is a remote free (one push onto the
 *     slab's remote stack, which no one takes); the slabs keep counting
 *     as slabs of their node;
 *   - a realloc in flight in a huge block: the block stays mapped.
 * The cost is memory the parent's threads cached, at most their caches'
 * limits per thread, and a child usually execs or exits soon. The slab
 * layer's parked states (exited threads' states kept whole for the next
 * thread) are no thread's and are whole: they are kept.
 *
 * Lock order
 * ----------
 * prepare takes, outermost first (parent releases in the reverse order;
 * child resets):
 *   1. glibc's stdio list lock (_IO_list_lock), when the process has
 *      threads (below);
 *   2. the start-up lock (init.h): page, slab and malloc start-up; prepare
 *      decides under it whether pgalloc had started, once for all three
 *      handlers;
 *   3. the client registration lock (client.c), so that prepare, parent
 *      and child run the hooks of the same clients;
 *   4. the clients' locks, top down (client.h: fork_prepare in the reverse
 *      order of registration): the malloc layer's huge table lock; the
 *      slab layer's parked-state lock, its node list locks and its state
 *      pool's lock; the views have none of their own (they read under the
 *      registry and zone locks, taken below);
 *   5. the thread registry lock and the thread state pool's lock
 *      (thread.c: the thread locks need not be held);
 *   6. the zone locks, by zone id;
 *   7. the fault injection lock (fail.c), a leaf.
 * No other lock exists in lib/: the memory policy code, the options, the
 * topology and the statistics have none (they are written at start-up,
 * under the start-up lock, or by their owner thread only).
 *
 * After the handlers, glibc's fork (2.36, posix/fork.c) takes, when the
 * process has threads, the NSS database lock (briefly), then the stdio list
 * lock (recursively, as its holder: 1. above), then its own malloc's arena
 * locks; in the child it resets them before it runs the child handlers, in
 * the parent it releases them before the parent handlers.
 *
 * Why the stdio list lock comes first: glibc runs the prepare handlers
 * before it takes that lock, and a thread inside fflush(NULL), or writing
 * the first byte to a stream, holds it while it calls malloc for the
 * stream's buffer. Were pgalloc's locks taken first, the forking thread
 * would hold them and wait for the stdio lock, and that thread would hold
 * the stdio lock and wait for pgalloc's: a deadlock. Taken first, the
 * forking thread waits until the stream is done, and no holder of
 * pgalloc's locks ever waits for stdio (nothing in lib/ uses it). The lock
 * is recursive, so glibc's own take by the same thread nests. glibc takes
 * it only when the process has threads (!SINGLE_THREAD_P, which is
 * __libc_single_threaded's internal twin: both cleared by the first
 * pthread_create, never set again), and so does prepare: then glibc has
 * released its take when parent runs, which releases ours, and has reset
 * the lock when child runs, which resets it again (harmless; it matters
 * only on a C library that does not reset it). _IO_list_lock and
 * __libc_single_threaded are weak references: without the first, pgalloc
 * takes nothing of glibc's; without the second, it takes the lock always.
 *
 * With threads, prepare first starts the page allocator if it has not
 * started: in the child it is started, with its threads off for good.
 *
 * A process without threads takes none of pgalloc's locks either: no
 * other thread can hold one, and the child is the same thread at the same
 * point, so whatever it was doing (fork from a signal handler that
 * interrupted malloc, which glibc makes work for one thread) it finishes
 * in both processes.
 *
 * Not covered: glibc's NSS database lock, which glibc's fork takes after
 * the handlers, is held by a thread that reloads /etc/nsswitch.conf while
 * it allocates; a fork at that moment can deadlock, with any malloc that
 * holds locks across fork. The lock is not exported.
 */
#include "fork.h"

#include <pthread.h>
#include <stdbool.h>

#include "client.h"
#include "fail.h"
#include "fmt.h"
#include "init.h"
#include "mmzone.h"
#include "reclaim.h"
#include "thread.h"

/* glibc's, weak: pgalloc loads on a C library without them. */
extern void _IO_list_lock(void) __attribute__((weak));
extern void _IO_list_unlock(void) __attribute__((weak));
extern void _IO_list_resetlock(void) __attribute__((weak));
extern char __libc_single_threaded __attribute__((weak));

/*
 * What prepare did, for parent and child. Written by the forking thread
 * while it holds the stdio list lock and the start-up lock, read back by
 * it before it releases them; a process without threads has only the one
 * thread that writes it.
 */
static struct {
	bool stdio;   /* glibc's stdio list lock is held */
	bool locked;  /* pgalloc's locks are held (the process has threads) */
	bool started; /* the page allocator had started: the layers' locks too */
} held;

static bool has_threads(void)
{
	return !&__libc_single_threaded || !__libc_single_threaded;
}

void pga_fork_prepare(void)
{
	bool threads = has_threads();

	if (!threads) {
		held.stdio = held.locked = held.started = false;
		return;
	}
	/* Started now if not yet, before any lock: a child that started
	 * pgalloc would start its threads (background reclaim, the live
	 * views), and a child of a multi-threaded fork may only make
	 * async-signal-safe calls until it execs. */
	pga_page_init();
	bool stdio = _IO_list_lock && _IO_list_unlock && _IO_list_resetlock;
	if (stdio)
		_IO_list_lock();
	pga_startup_lock();
	held.stdio = stdio;
	held.locked = true;
	held.started = atomic_load_explicit(&pga_initialized, memory_order_relaxed);
	pga_clients_fork_prepare(held.started);
	if (held.started) {
		pga_thread_fork_prepare();
		for (int id = 0; id < pga_mem.nr_zones; id++)
			pga_lock(&pga_mem.zones[id]->lock);
	}
	pga_fail_fork_prepare();
}

void pga_fork_parent(void)
{
	bool stdio = held.stdio, started = held.started;

	if (!held.locked)
		return;
	pga_fail_fork_parent();
	if (started) {
		for (int id = pga_mem.nr_zones - 1; id >= 0; id--)
			pga_unlock(&pga_mem.zones[id]->lock);
		pga_thread_fork_parent();
	}
	pga_clients_fork_parent();
	pga_startup_unlock();
	if (stdio)
		_IO_list_unlock();
}

void pga_fork_child(void)
{
	if (!held.locked)
		return;
	pga_fail_fork_child();
	if (held.started) {
		for (int id = 0; id < pga_mem.nr_zones; id++)
			pga_lock_init(&pga_mem.zones[id]->lock);
		pga_thread_fork_child();
	}
	pga_clients_fork_child();
	pga_startup_fork_child();
	if (held.stdio)
		_IO_list_resetlock();
	if (held.started)
		pga_kswapd_fork_child();
}

/*
 * Fork handlers are registered when pgalloc is loaded (a constructor here,
 * so that start-up, which fork's prepare calls, does not call up into this
 * file; every object of the library is linked whole, as for the other
 * constructors), before those of
 * anything loaded later, so that pgalloc's prepare handler runs after
 * theirs (prepare handlers run in reverse order) and handlers that allocate
 * still can. glibc's pthread_atfork does not allocate; nothing else happens
 * here: pgalloc itself starts at its first use.
 */
__attribute__((constructor)) static void register_fork_handlers(void)
{
	if (pthread_atfork(pga_fork_prepare, pga_fork_parent, pga_fork_child) != 0)
		pga_log("pthread_atfork failed: a child of a multi-threaded fork may deadlock",
		        NULL, NULL);
}
