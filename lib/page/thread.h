/* SPDX-License-Identifier: MIT */
/*
 * thread.h - per-thread state of the page allocator: the page caches
 * standing in for the kernel's per-CPU pcp lists, the per-thread event
 * counters (the kernel's per-CPU vm_event_states), and one private pointer
 * per registered client (client.h) for the layers above, which keep their
 * own per-thread state and learn of a thread's exit through their client.
 *
 * Ownership protocol of a thread's pcp lists
 * ------------------------------------------
 * The owner touches its lists with no lock and no atomic read-modify-write:
 *
 *   owner                                  drainer (another thread)
 *   in_pcp = 1                             lock(t->lock)
 *   compiler fence                         revoked = 1
 *   if revoked: in_pcp = 0, lock(t->lock)  membarrier()  <- full fence in every thread
 *   ... use the lists ...                  wait until in_pcp == 0
 *   in_pcp = 0 (release)                   ... drain the lists ...
 *                                          revoked = 0; unlock(t->lock)
 *
 * membarrier() orders the owner's "in_pcp = 1" before its read of revoked as
 * a full fence would, but the cost falls on the rare drainer: after it,
 * either the drainer sees in_pcp == 1 and waits, or the owner sees revoked
 * and takes the lock the drainer holds. Without membarrier (kernels before
 * 4.14, membarrier=off, or a call that fails: decided per drain) the
 * drainer only sets revoked and leaves; the owner drains its own lists at
 * its next operation (pga_pcp_lock: revoked still set once the owner holds
 * its lock can only be such a request, since a drainer that fenced clears
 * it before it unlocks).
 *
 * pga_current is an initial-exec TLS pointer, never NULL: a thread starts on
 * pga_thread_boot, whose revoked flag is always set, so its first allocation
 * takes the slow path, which attaches real state. After the thread-exit
 * destructor has run, the thread points at pga_thread_dead and allocates
 * straight from the buddy lists.
 */
#ifndef PGA_THREAD_H
#define PGA_THREAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "client.h"
#include "compiler.h"
#include "list.h"
#include "mempolicy.h"
#include "mmzone.h"
#include "os.h"
#include "topology.h"

struct pga_thread {
	/* Hot: touched by the owner on every operation. */
	_Atomic int in_pcp;
	_Atomic int revoked;
	int node;            /* node of the CPU the thread last ran on */
	int pol_node;        /* the fast path's node by the policy (mempolicy.h) */
	struct pga_pcp *pcp; /* [pga_mem.nr_zones] */

	/* Cold. lock: taken by drainers, and by the owner while revoked. */
	pga_aligned(PGA_CACHELINE) pthread_mutex_t lock;
	struct pga_list link; /* on the registry, under pga_thread_registry_lock */
	long tid;
	/* The thread's memory policy: the owner's alone. caches_stale: the
	 * node changed under a policy that follows it; the clients are told
	 * at their next slow path (pga_thread_caches_check). */
	struct pga_mempolicy pol;
	bool caches_stale;
	/* The clients' states for this thread, by slot: written by the owner,
	 * read by pga_clients_thread_exit when the thread goes away. */
	void *priv[PGA_MAX_CLIENTS];
};

extern __thread struct pga_thread *pga_current __attribute__((tls_model("initial-exec")));
extern struct pga_thread pga_thread_boot;
extern struct pga_thread pga_thread_dead;

static inline bool pga_thread_is_real(const struct pga_thread *t)
{
	return t != &pga_thread_boot && t != &pga_thread_dead;
}

/*
 * Enter the pcp lists: returns true when the owner may use them freely.
 * False means a drainer revoked them: the caller leaves with
 * pga_pcp_leave_fast() and retries under t->lock (pga_pcp_lock()).
 */
static inline bool pga_pcp_enter(struct pga_thread *t)
{
	atomic_store_explicit(&t->in_pcp, 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	return !atomic_load_explicit(&t->revoked, memory_order_acquire);
}

static inline void pga_pcp_leave(struct pga_thread *t)
{
	atomic_store_explicit(&t->in_pcp, 0, memory_order_release);
}

static inline struct pga_pcp *pga_thread_pcp(struct pga_thread *t, const struct pga_zone *zone)
{
	return &t->pcp[zone->id];
}

static inline void pga_ev_add(struct pga_thread *t, int zone_id, enum pga_zone_event ev, uint64_t n)
{
	pga_pcp_ev_add(&t->pcp[zone_id], ev, n);
}

/* The node the slab layer takes partial slabs from for t's next refill:
 * the fast node, or under interleave the node the next slab goes to;
 * PGA_MAX_NUMNODES when no node of the policy has memory (then no node
 * list may serve it). */
static inline int pga_mempolicy_slab_node(struct pga_thread *t)
{
	if (t->pol.mode == PGA_MPOL_INTERLEAVE)
		return pga_mempolicy_interleave_node(&t->pol, false);
	return t->pol_node;
}

/* The real node a fresh huge block of the calling thread would be placed
 * on by its policy (the kernel's copy of it), so that a cached block is
 * reused only there: -1 when any will do (one real node, no thread state),
 * PGA_HUGE_NODE_NONE under interleave (the kernel spreads a fresh one). */
#define PGA_HUGE_NODE_NONE (-2)
static inline int pga_thread_huge_node(void)
{
	const struct pga_thread *t = pga_current;

	if (!pga_mem.multi_real || !pga_thread_is_real(t))
		return -1;
	if (t->pol.mode == PGA_MPOL_INTERLEAVE)
		return PGA_HUGE_NODE_NONE;
	return pga_topo.real_node[t->pol_node < pga_mem.nr_nodes ? t->pol_node : t->node];
}

/* Slow side of the protocol: the owner found its lists revoked. */
void pga_pcp_lock(struct pga_thread *t);
void pga_pcp_unlock(struct pga_thread *t);

/* Attach state to the calling thread (first allocation). Returns the new
 * current state: a real one, or pga_thread_dead when the thread is exiting
 * or no memory is left for the state. */
struct pga_thread *pga_thread_attach(void);

/* The calling thread's state, attached on first use: real, or
 * pga_thread_dead. */
static inline struct pga_thread *pga_thread_get(void)
{
	struct pga_thread *t = pga_current;

	return likely(t != &pga_thread_boot) ? t : pga_thread_attach();
}

/* Attach a client's state for the calling thread (t its own, real).
 * Relaxed atomic: statistics read the slots of running threads. */
static inline void pga_thread_set_private(struct pga_thread *t, int slot, void *priv)
{
	__atomic_store_n(&t->priv[slot], priv, __ATOMIC_RELAXED);
}

/* Every client gives back its state for t, the caller's own (client.h:
 * thread_exit); t's private pointers are cleared. */
void pga_clients_thread_exit(struct pga_thread *t);

/* Threads with state now (registered), and states ever mapped: states are
 * recycled, never unmapped, so mapped is the most that were alive at once. */
void pga_thread_counts(unsigned long *registered, unsigned long *mapped);

/* Look up the calling thread's node again (the CPU may have changed):
 * getcpu, which glibc answers from rseq or the vDSO, no system call. Called
 * on the slow paths, never per allocation. A new node recomputes the fast
 * node and, when the policy follows the node, marks the caches stale. */
void pga_thread_refresh_node_slow(struct pga_thread *t, int node);

static inline void pga_thread_refresh_node(struct pga_thread *t)
{
	int node = pga_cpu_to_node(&pga_topo, pga_os_current_cpu());

	if (unlikely(node != t->node))
		pga_thread_refresh_node_slow(t, node);
}

/* For a client's slow path (t the caller's own, real): if the thread's
 * node changed under a policy that follows it, tell every client now
 * (policy_changed), and clear the mark. */
void pga_thread_caches_check_slow(struct pga_thread *t);

static inline void pga_thread_caches_check(struct pga_thread *t)
{
	pga_thread_refresh_node(t);
	if (unlikely(t->caches_stale))
		pga_thread_caches_check_slow(t);
}

/* Drain t's lists for every zone into the buddy allocator; the caller holds
 * t->lock with the owner excluded (revoked and out of its lists), or is the
 * owner inside its lists. Returns the pages freed. */
unsigned long pga_thread_drain_locked(struct pga_thread *t);

/* Apply fn to every registered thread under the registry lock. */
void pga_for_each_thread(void (*fn)(struct pga_thread *t, void *arg), void *arg);

/* Registry lock, for pga_for_each_thread users that need a stable view. */
extern pthread_mutex_t pga_thread_registry_lock;

void pga_thread_init(void);

/* Fork (thread.c): prepare holds the registry lock and the state pool's
 * lock, parent releases them. In the child, pga_thread_fork_child resets
 * them and abandons the state of every thread that did not survive: out
 * of the registry, never walked, drained or recycled again, its pcp pages
 * and events counted in the books below. Only the caller runs then. */
void pga_thread_fork_prepare(void);
void pga_thread_fork_parent(void);
void pga_thread_fork_child(void);

/* What this process's fork children abandoned, summed over the forks
 * that made it (a child of a child inherits its parent's sums). */
struct pga_thread_abandoned {
	unsigned long threads;                  /* states abandoned */
	unsigned long total_pcp_pages;          /* pages on their pcp lists */
	unsigned long pcp_pages[PGA_MAX_ZONES]; /* the same, by zone id */
};
void pga_thread_abandoned(struct pga_thread_abandoned *out);

#endif /* PGA_THREAD_H */
