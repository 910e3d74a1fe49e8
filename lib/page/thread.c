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
#include "options.h"
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
	/* A drainer that could fence (membarrier) holds the lock while the
	 * lists are revoked and clears revoked before it lets go: revoked
	 * still set under the owner's own hold is a drainer that could not
	 * fence (membarrier=off, an old kernel, a call that failed) and only
	 * asked. Honour the request now that the lists are ours. */
	if (atomic_load_explicit(&t->revoked, memory_order_relaxed)) {
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
	pga_clients_thread_exit(t);
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
		/* No destructor would run: give the state back now (what the
		 * clients attached meanwhile too: setspecific may have called
		 * calloc through this very state), and let the thread allocate
		 * straight from the buddy lists. */
		pga_clients_thread_exit(t);
		pthread_mutex_lock(&pga_thread_registry_lock);
		pthread_mutex_lock(&t->lock);
		retire_locked(t);
		pthread_mutex_unlock(&pga_thread_registry_lock);
		pga_current = &pga_thread_dead;
		return &pga_thread_dead;
	}
	return t;
}

void pga_clients_thread_exit(struct pga_thread *t)
{
	int n = pga_nr_clients();

	for (int i = 0; i < n; i++) {
		const struct pga_page_client *c = pga_client(i);
		void *priv = __atomic_load_n(&t->priv[i], __ATOMIC_RELAXED);
		__atomic_store_n(&t->priv[i], NULL, __ATOMIC_RELAXED);
		if (priv && c->thread_exit)
			c->thread_exit(t, priv);
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
	/* Decided per call: a membarrier that fails fences no one, and the
	 * drain must not race the owners then. */
	bool fenced = pga_mem.membarrier && pga_os_membarrier();
	pga_list_for_each (pos, &registry) {
		struct pga_thread *t = container_of(pos, struct pga_thread, link);
		/* The caller is out of its own lists: those drain at once. */
		if (fenced || t == pga_current) {
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
 * Fork. The child never walks the lists of a thread that did not survive:
 * that thread may have been anywhere in a lock-free update of its pcp
 * lists when the address space was copied (a count that says 1 over empty
 * lists, a block half unlinked), and nothing in the child can tell. Its
 * state is abandoned whole (fork.c says why): unlinked from the registry,
 * so that no drain, statistics walk or reclaim pass ever finds it again,
 * and never recycled, so that nothing of it is reused. Its pages stay
 * PG_pcp, which the buddy allocator never merges with; its event counters
 * and page count, plain numbers, are read once into the zone's books.
 *
 * prepare holds the registry lock and the state pool's lock, so that the
 * registry's links and the pool's free stack are whole in the child. The
 * thread locks need not be held: a drainer holds the registry lock
 * throughout its drain, and without a drainer only a thread's owner takes
 * its lock, so in the child the survivor's lock is free but for the copy
 * of a drainer that cannot exist; it is reset all the same.
 */
void pga_thread_fork_prepare(void)
{
	pthread_mutex_lock(&pga_thread_registry_lock);
	pga_pool_lock(&states);
}

void pga_thread_fork_parent(void)
{
	pga_pool_unlock(&states);
	pthread_mutex_unlock(&pga_thread_registry_lock);
}

static struct pga_thread_abandoned abandoned;

/* A dead thread's state, in the child: into the books, out of the
 * registry, and never touched again. */
static void abandon(struct pga_thread *t)
{
	pga_list_del(&t->link);
	abandoned.threads++;
	for (int id = 0; id < pga_mem.nr_zones; id++) {
		long n = atomic_load_explicit(&t->pcp[id].count, memory_order_relaxed);
		/* A count caught mid-update can be off by the block in flight,
		 * never negative in the books. */
		if (n > 0) {
			abandoned.pcp_pages[id] += (unsigned long)n;
			abandoned.total_pcp_pages += (unsigned long)n;
		}
		for (int e = 0; e < PGA_NR_ZONE_EVENTS; e++)
			atomic_fetch_add_explicit(
			    &pga_mem.zones[id]->ev_exited[e],
			    atomic_load_explicit(&t->pcp[id].ev[e], memory_order_relaxed),
			    memory_order_relaxed);
	}
}

void pga_thread_fork_child(void)
{
	struct pga_list *pos, *tmp;
	struct pga_thread *self = pga_current;

	pga_pool_reinit(&states);
	pthread_mutex_init(&pga_thread_registry_lock, NULL);
	pga_list_for_each_safe (pos, tmp, &registry) {
		struct pga_thread *t = container_of(pos, struct pga_thread, link);
		if (t != self) {
			abandon(t);
			continue;
		}
		pthread_mutex_init(&t->lock, NULL);
		atomic_store_explicit(&t->in_pcp, 0, memory_order_relaxed);
		/* A request a drainer left is dropped: the survivor's lists are
		 * whole (it is in the fork handler, not in them). */
		atomic_store_explicit(&t->revoked, 0, memory_order_relaxed);
		t->tid = pga_os_gettid();
	}
}

void pga_thread_abandoned(struct pga_thread_abandoned *out)
{
	*out = abandoned;
}

void pga_thread_init(void)
{
	size_t bytes = pga_round_up(sizeof(struct pga_thread), PGA_CACHELINE) +
	               (size_t)pga_mem.nr_zones * sizeof(struct pga_pcp);

	pga_pool_init(&states, bytes);
	/* Without a key no thread learns of its exit: attaching caches would
	 * leak them with every thread, so every thread stays on
	 * pga_thread_dead and allocates from the shared lists (the buddy
	 * lists, the slab node lists), slower but whole. */
	exit_key_ok = pthread_key_create(&exit_key, thread_detach) == 0;
	if (!exit_key_ok)
		pga_log("pthread_key_create failed: threads allocate without caches", NULL, NULL);
	pga_mem.membarrier = pga_opts.membarrier != PGA_MEMBARRIER_OFF && pga_os_membarrier_init();
}
