// SPDX-License-Identifier: MIT
/*
 * policy.c - the calling thread's memory policy: pga_set_mempolicy and
 * pga_get_mempolicy, the reload after the program's own set_mempolicy(2),
 * and installing a policy, which gives back the caches of memory the new
 * policy may not allow. The rules themselves are mempolicy.c's.
 */
#include "policy.h"

#include <errno.h>
#include <string.h>

#include "init.h"
#include "mempolicy.h"
#include "pcp.h"
#include "thread.h"

void pga_mempolicy_install(struct pga_thread *t, const struct pga_mempolicy *pol)
{
	t->pol = *pol;
	t->pol_node = pga_mempolicy_fast_node(&t->pol, t->node);
	t->caches_stale = false;
	/* The slab layer's cpu slabs and partial lists first: what it frees
	 * lands on the pcp lists, which go back next. The pcp lists are per
	 * zone, so they never hand out memory of the wrong node; they are
	 * drained so that they hold none the policy does not use. */
	pga_clients_policy_changed(t);
	bool locked = pga_pcp_begin(t);
	pga_thread_drain_locked(t);
	pga_pcp_end(t, locked);
}

/* Called by the preload shim after the program's own set_mempolicy. */
void pga_mempolicy_reload(void)
{
	struct pga_thread *t;
	struct pga_mempolicy pol;

	if (!atomic_load_explicit(&pga_initialized, memory_order_acquire))
		return; /* start-up reads it */
	t = pga_thread_get();
	if (!pga_thread_is_real(t))
		return;
	pga_mempolicy_read_kernel(&pol);
	pga_mempolicy_install(t, &pol);
}

pga_export int pga_set_mempolicy(int mode, const unsigned long *nodemask, unsigned long maxnode)
{
	struct pga_mempolicy pol;
	struct pga_thread *t;
	int rc;

	pga_page_init();
	if ((rc = pga_mempolicy_build(&pol, mode, nodemask, maxnode)) != 0) {
		errno = -rc;
		return -1;
	}
	t = pga_thread_get();
	if (!pga_thread_is_real(t)) {
		errno = ENOMEM; /* an exiting thread has no policy to set */
		return -1;
	}
	/* The kernel's policy of the thread, on the real nodes, for the memory
	 * pgalloc does not place itself (huge blocks, stacks, the program's
	 * own mappings). */
	pga_mempolicy_set_kernel(&pol);
	pga_mempolicy_install(t, &pol);
	return 0;
}

pga_export int pga_get_mempolicy(int *mode, unsigned long *nodemask, unsigned long maxnode)
{
	struct pga_thread *t;

	pga_page_init();
	t = pga_thread_get();
	const struct pga_mempolicy *pol = &t->pol;
	if (!pga_thread_is_real(t)) {
		static const struct pga_mempolicy none = {0};
		pol = &none;
	}
	if (nodemask) {
		if (maxnode < (unsigned long)pga_mem.nr_nodes + 1) {
			errno = EINVAL;
			return -1;
		}
		unsigned long bits = maxnode - 1;
		for (unsigned long w = 0; w * 64 < bits; w++)
			nodemask[w] = w < PGA_ARRAY_SIZE(pol->nodes.bits) ? pol->nodes.bits[w] : 0;
	}
	if (mode)
		*mode = pol->mode | pol->flags;
	return 0;
}
