// SPDX-License-Identifier: MIT
/*
 * thread.c - per-thread state: creation on a thread's first allocation,
 * the registry that lets other threads drain its pcp lists, and the
 * thread-exit destructor that gives everything back, the clients' states
 * first.
 *
 * Thread states come from a pool (pool.h: their own mappings, recycled), so
 * that thread churn costs no system call once warm.
 */
#include "thread.h"

#include <limits.h>
#include <string.h>

#include "buddy.h"
#include "fmt.h"
#include "os.h"
#include "pool.h"
#include "topology.h"

__thread struct pga_thread *pga_current __attribute__((tls_model("initial-exec"))) =
    &pga_thread_boot;

/* Both dummies are permanently revoked, so every fast path leaves them. */
struct pga_thread pga_thread_boot = {.revoked = 1, .node = 0, .pol_node = 0};
struct pga_thread pga_thread_dead = {.revoked = 1, .node = 0, .pol_node = 0};

pthread_mutex_t pga_thread_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pga_list registry = {&registry, &registry};
static struct pga_pool states = PGA_POOL_INITIALIZER;
static pthread_key_t exit_key;
static bool exit_key_ok; /* without the key, threads stay on the dead state */

void pga_pcp_lock(struct pga_thread *t)
{
	pthread_mutex_lock(&t->lock);
	/* Without membarrier a drainer could only ask; honour the request
	 * now that the lists are ours under the lock. */
	if (!pga_mem.membarrier && atomic_load_explicit(&t->revoked, memory_order_relaxed)) {
		pga_thread_drain_locked(t);
		atomic_store_explicit(&t->revoked, 0, memory_order_relaxed);
	}
}

void pga_pcp_unlock(struct pga_thread *t)
{
	pthread_mutex_unlock(&t->lock);
}

void pga_thread_refresh_node_slow(struct pga_thread *t, int node)
{
	int mode = t->pol.mode;

	t->node = node;
	t->pol_node = pga_mempolicy_fast_node(&t->pol, node);
	/* Memory cached for the old node is no longer local; under a policy
	 * that names its nodes it still is what the policy asked for. */
	if (mode == PGA_MPOL_DEFAULT || mode == PGA_MPOL_LOCAL)
		t->caches_stale = true;
}

void pga_thread_caches_check_slow(struct pga_thread *t)
{
	t->caches_stale = false;
	pga_clients_policy_changed(t);
}

unsigned long pga_thread_drain_locked(struct pga_thread *t)
{
	unsigned long freed = 0;

	for (int id = 0; id < pga_mem.nr_zones; id++) {
		struct pga_pcp *pcp = &t->pcp[id];
		if (atomic_load_explicit(&pcp->count, memory_order_relaxed))
			freed += pga_free_pcppages_bulk(pga_mem.zones[id], pcp, ULONG_MAX);
	}
	return freed;
}

/* A zeroed state with its arrays laid out, or NULL. */
static struct pga_thread *state_alloc(void)
{
	struct pga_thread *t = pga_pool_get(&states);

	if (!t)
		return NULL;
	memset(t, 0, states.bytes);
	char *p = (char *)t + pga_round_up(sizeof(*t), PGA_CACHELINE);
	t->pcp = (struct pga_pcp *)p;
	for (int id = 0; id < pga_mem.nr_zones; id++)
		for (int l = 0; l < PGA_NR_PCP_LISTS; l++)
			pga_list_init(&t->pcp[id].lists[l]);
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

/* Give back t's pcp pages, fold its events into the zones, unlink and
 * recycle it. The registry lock and t->lock are held; t->lock is released. */
static void retire_locked(struct pga_thread *t)
{
	pga_list_del(&t->link);
	pga_thread_drain_locked(t);
	for (int id = 0; id < pga_mem.nr_zones; id++)
		for (int e = 0; e < PGA_NR_ZONE_EVENTS; e++)
			atomic_fetch_add_explicit(
			    &pga_mem.zones[id]->ev_exited[e],
			    atomic_load_explicit(&t->pcp[id].ev[e], memory_order_relaxed),
			    memory_order_relaxed);
	pthread_mutex_unlock(&t->lock);
	pthread_mutex_destroy(&t->lock);
	pga_pool_put(&states, t);
}

/* The thread-exit destructor: the clients give their states back, then
 * the pcp pages go back, the events are folded into the zones, and the
 * state is recycled. */
static void thread_detach(void *arg)
{
	struct pga_thread *t = arg;

	/* Clients first: what they free may fill the pcp lists drained
	 * below. */
	pga_clients_thread_exit(t, true);
	pthread_mutex_lock(&pga_thread_registry_lock);
	pthread_mutex_lock(&t->lock);
	retire_locked(t);
	pthread_mutex_unlock(&pga_thread_registry_lock);
	/* Allocations from later TLS destructors go straight to the buddy
	 * lists: attaching again would leak the new state's pages. */
	pga_current = &pga_thread_dead;
}

struct pga_thread *pga_thread_attach(void)
{
	struct pga_thread *t;

	if (pga_current == &pga_thread_dead || !exit_key_ok)
		return &pga_thread_dead;
	t = state_alloc();
	if (!t)
		return &pga_thread_dead;
	t->tid = pga_os_gettid();
	t->node = pga_cpu_to_node(&pga_topo, pga_os_current_cpu());
	pga_mempolicy_read_kernel(&t->pol);
	t->pol_node = pga_mempolicy_fast_node(&t->pol, t->node);
	pthread_mutex_lock(&pga_thread_registry_lock);
	pga_list_add_tail(&t->link, &registry);
	pthread_mutex_unlock(&pga_thread_registry_lock);
	/* The state is current before the key is set: should setting it
	 * allocate (keys above PTHREAD_KEY_2NDLEVEL_SIZE do), that allocation
	 * finds the state instead of attaching again. */
	pga_current = t;
	if (pthread_setspecific(exit_key, t) != 0) {
		/* No destructor would run: give the state back now, and let the
		 * thread allocate straight from the buddy lists. */
		pthread_mutex_lock(&pga_thread_registry_lock);
		pthread_mutex_lock(&t->lock);
		retire_locked(t);
		pthread_mutex_unlock(&pga_thread_registry_lock);
		pga_current = &pga_thread_dead;
		return &pga_thread_dead;
	}
	return t;
}

void pga_clients_thread_exit(struct pga_thread *t, bool self)
{
	int n = pga_nr_clients();

	for (int i = 0; i < n; i++) {
		const struct pga_page_client *c = pga_client(i);
		void *priv = __atomic_load_n(&t->priv[i], __ATOMIC_RELAXED);
		__atomic_store_n(&t->priv[i], NULL, __ATOMIC_RELAXED);
		if (priv && c->thread_exit)
			c->thread_exit(t, priv, self);
	}
}

void pga_clients_policy_changed(struct pga_thread *t)
{
	int n = pga_nr_clients();

	for (int i = 0; i < n; i++) {
		const struct pga_page_client *c = pga_client(i);
		if (c->policy_changed && t->priv[i])
			c->policy_changed(t, t->priv[i]);
	}
}

void pga_thread_counts(unsigned long *registered, unsigned long *mapped)
{
	struct pga_list *pos;
	unsigned long n = 0;

	pthread_mutex_lock(&pga_thread_registry_lock);
	pga_list_for_each (pos, &registry) {
		n++;
	}
	pthread_mutex_unlock(&pga_thread_registry_lock);
	*registered = n;
	*mapped = pga_pool_mapped(&states);
}

void pga_for_each_thread(void (*fn)(struct pga_thread *t, void *arg), void *arg)
{
	struct pga_list *pos;

	pthread_mutex_lock(&pga_thread_registry_lock);
	pga_list_for_each (pos, &registry) {
		fn(container_of(pos, struct pga_thread, link), arg);
	}
	pthread_mutex_unlock(&pga_thread_registry_lock);
}

/*
 * drain_all_pages: every thread's pcp pages back to the buddy lists. The
 * protocol is in thread.h: revoke every thread, one membarrier for all of
 * them, then drain each once its owner is out of its lists.
 */
pga_export unsigned long pga_drain_all_pages(void)
{
	struct pga_list *pos;
	unsigned long freed = 0;

	if (!atomic_load_explicit(&pga_initialized, memory_order_acquire))
		return 0;
	pthread_mutex_lock(&pga_thread_registry_lock);
	pga_list_for_each (pos, &registry) {
		struct pga_thread *t = container_of(pos, struct pga_thread, link);
		pthread_mutex_lock(&t->lock);
		atomic_store_explicit(&t->revoked, 1, memory_order_relaxed);
	}
	if (pga_mem.membarrier)
		pga_os_membarrier();
	pga_list_for_each (pos, &registry) {
		struct pga_thread *t = container_of(pos, struct pga_thread, link);
		/* The caller is out of its own lists: those drain at once. */
		if (pga_mem.membarrier || t == pga_current) {
			while (atomic_load_explicit(&t->in_pcp, memory_order_acquire))
				pga_os_yield();
			freed += pga_thread_drain_locked(t);
			atomic_store_explicit(&t->revoked, 0, memory_order_release);
		}
		/* Without membarrier revoked stays set: the owner drains its
		 * own lists at its next operation (pga_pcp_lock). */
		pthread_mutex_unlock(&t->lock);
	}
	pthread_mutex_unlock(&pga_thread_registry_lock);
	return freed;
}

/*
 * Fork must not copy a thread's pcp lists in the middle of an owner's
 * lock-free update (a count that says 1 over empty lists would make the
 * child's drain spin for ever). So prepare revokes every other thread's
 * lists as a drainer does (thread.h), holding their locks: after the
 * membarrier each owner is either out of its lists or sees revoked and
 * queues on its lock, which the forking thread holds until the fork is
 * done. Without membarrier (kernels before 4.14) the wait for in_pcp is
 * the best that can be done.
 */
void pga_thread_fork_prepare(void)
{
	struct pga_list *pos;

	pthread_mutex_lock(&pga_thread_registry_lock);
	pga_list_for_each (pos, &registry) {
		struct pga_thread *t = container_of(pos, struct pga_thread, link);
		pthread_mutex_lock(&t->lock);
		if (t != pga_current)
			atomic_store_explicit(&t->revoked, 1, memory_order_relaxed);
	}
	if (pga_mem.membarrier)
		pga_os_membarrier();
	pga_list_for_each (pos, &registry) {
		struct pga_thread *t = container_of(pos, struct pga_thread, link);
		while (t != pga_current && atomic_load_explicit(&t->in_pcp, memory_order_acquire))
			pga_os_yield();
	}
	pga_pool_lock(&states);
}

void pga_thread_fork_parent(void)
{
	struct pga_list *pos;

	pga_pool_unlock(&states);
	pga_list_for_each (pos, &registry) {
		struct pga_thread *t = container_of(pos, struct pga_thread, link);
		if (t != pga_current)
			atomic_store_explicit(&t->revoked, 0, memory_order_release);
		pthread_mutex_unlock(&t->lock);
	}
	pthread_mutex_unlock(&pga_thread_registry_lock);
}

void pga_thread_fork_reset(void)
{
	struct pga_list *pos;

	pga_pool_reinit(&states);
	pthread_mutex_init(&pga_thread_registry_lock, NULL);
	pga_list_for_each (pos, &registry) {
		struct pga_thread *t = container_of(pos, struct pga_thread, link);
		pthread_mutex_init(&t->lock, NULL);
		atomic_store_explicit(&t->in_pcp, 0, memory_order_relaxed);
		atomic_store_explicit(&t->revoked, 0, memory_order_relaxed);
	}
}

void pga_thread_fork_reap(void)
{
	struct pga_list *pos, *tmp;

	pga_list_for_each_safe (pos, tmp, &registry) {
		struct pga_thread *t = container_of(pos, struct pga_thread, link);
		/* pga_current, not a copy taken before the loop: what a client
		 * frees for a dead thread may attach the caller's own state. */
		if (t == pga_current)
			continue;
		/* The thread is gone: only this one runs now, so its caches
		 * can be taken without its cooperation. */
		pga_clients_thread_exit(t, false);
		pthread_mutex_lock(&pga_thread_registry_lock);
		pthread_mutex_lock(&t->lock);
		retire_locked(t);
		pthread_mutex_unlock(&pga_thread_registry_lock);
	}
	if (pga_thread_is_real(pga_current))
		pga_current->tid = pga_os_gettid();
}

void pga_thread_init(void)
{
	size_t bytes = pga_round_up(sizeof(struct pga_thread), PGA_CACHELINE) +
	               (size_t)pga_mem.nr_zones * sizeof(struct pga_pcp);

	pga_pool_init(&states, bytes);
	exit_key_ok = pthread_key_create(&exit_key, thread_detach) == 0;
	if (!exit_key_ok)
		pga_log("pthread_key_create failed: threads allocate without caches", NULL, NULL);
	pga_mem.membarrier = pga_os_membarrier_init();
}
