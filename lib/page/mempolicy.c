// SPDX-License-Identifier: MIT
/*
 * mempolicy.c - the task's NUMA memory policy (mm/mempolicy.c): building a
 * policy from set_mempolicy(2)'s arguments, reading the kernel's, the
 * per-allocation choices (interleave, the fast node), and binding the zones'
 * memory to their nodes. The allocation itself is page_alloc.c's
 * (alloc_pages_policy), which applies what is decided here; the
 * per-thread state and the API (pga_set_mempolicy) are policy.c's.
 *
 * Two node spaces meet here: pgalloc's nodes (dense, fake under numa_fake)
 * and the kernel's node ids. pgalloc node n sits on kernel node
 * pga_topo.real_node[n]; a kernel node stands for every pgalloc node on it.
 */
#include "mempolicy.h"

#include <errno.h>
#include <string.h>

#include "fmt.h"
#include "mmzone.h"
#include "os.h"
#include "topology.h"

bool pga_mempolicy_strict;

/* A kernel node mask, PGA_OS_NODE_WORDS words. */
struct real_mask {
	unsigned long w[PGA_OS_NODE_WORDS];
};

static_assert(sizeof(unsigned long) == sizeof(uint64_t), "node masks are 64-bit words");

static bool real_test(const struct real_mask *m, int id)
{
	return id >= 0 && id < PGA_OS_NODE_WORDS * 64 && ((m->w[id / 64] >> (id % 64)) & 1u);
}

static void real_set(struct real_mask *m, int id)
{
	if (id >= 0 && id < PGA_OS_NODE_WORDS * 64)
		m->w[id / 64] |= 1UL << (id % 64);
}

static int nodemask_weight(const pga_nodemask_t *m)
{
	int w = 0;

	for (size_t i = 0; i < PGA_ARRAY_SIZE(m->bits); i++)
		w += __builtin_popcountll(m->bits[i]);
	return w;
}

static int nodemask_first(const pga_nodemask_t *m)
{
	for (int n = 0; n < PGA_MAX_NUMNODES; n++)
		if (pga_nodemask_test(m, n))
			return n;
	return PGA_MAX_NUMNODES;
}

/* The pos-th node (from 0) of m. */
static int nodemask_nth(const pga_nodemask_t *m, int pos)
{
	for (int n = 0; n < PGA_MAX_NUMNODES; n++)
		if (pga_nodemask_test(m, n) && pos-- == 0)
			return n;
	return PGA_MAX_NUMNODES;
}

/* mpol_relative_nodemask: node i of user means the (i mod weight)-th node
 * of allowed (nodes_fold, then nodes_onto). */
static void relative_nodes(pga_nodemask_t *out, const pga_nodemask_t *user,
                           const pga_nodemask_t *allowed)
{
	int w = nodemask_weight(allowed);

	*out = (pga_nodemask_t){{0}};
	if (!w)
		return;
	for (int i = 0; i < PGA_MAX_NUMNODES; i++)
		if (pga_nodemask_test(user, i))
			pga_nodemask_set(out, nodemask_nth(allowed, i % w));
}

static void nodemask_and(pga_nodemask_t *out, const pga_nodemask_t *a, const pga_nodemask_t *b)
{
	for (size_t i = 0; i < PGA_ARRAY_SIZE(out->bits); i++)
		out->bits[i] = a->bits[i] & b->bits[i];
}

/*
 * get_nodes: maxnode - 1 bits of the caller's mask. Bits past the nodes
 * pgalloc can have must be clear (EINVAL otherwise, as the kernel says of
 * bits past MAX_NUMNODES); bits of nodes that do not exist are dropped by
 * the cpuset intersection later.
 */
static int get_nodes(pga_nodemask_t *m, const unsigned long *mask, unsigned long maxnode)
{
	*m = (pga_nodemask_t){{0}};
	if (maxnode)
		maxnode--;
	if (!mask || !maxnode)
		return 0;
	if (maxnode > PGA_PAGE_SIZE * 8)
		return -EINVAL;
	for (unsigned long word = 0; word * 64 < maxnode; word++) {
		unsigned long bits = mask[word];
		unsigned long left = maxnode - word * 64;
		if (left < 64)
			bits &= (1UL << left) - 1;
		if (word < PGA_ARRAY_SIZE(m->bits))
			m->bits[word] = bits;
		else if (bits)
			return -EINVAL;
	}
	return 0;
}

int pga_mempolicy_build(struct pga_mempolicy *pol, int mode, const unsigned long *nodemask,
                        unsigned long maxnode)
{
	int flags = mode & PGA_MPOL_MODE_FLAGS;
	pga_nodemask_t user, eff;
	int rc;

	mode &= ~PGA_MPOL_MODE_FLAGS;
	if (mode < 0 || mode >= PGA_MPOL_MAX || flags == PGA_MPOL_MODE_FLAGS)
		return -EINVAL;
	if ((rc = get_nodes(&user, nodemask, maxnode)) != 0)
		return rc;
	memset(pol, 0, sizeof(*pol));
	pol->user = user;
	pol->flags = flags;
	pol->il_prev = PGA_MAX_NUMNODES;

	/* mpol_new's rules. */
	switch (mode) {
	case PGA_MPOL_DEFAULT:
		if (!pga_nodemask_empty(&user))
			return -EINVAL;
		pol->mode = PGA_MPOL_DEFAULT;
		pol->flags = 0;
		return 0;
	case PGA_MPOL_PREFERRED:
		if (pga_nodemask_empty(&user)) {
			/* An empty preferred mask is local allocation. */
			if (flags)
				return -EINVAL;
			pol->mode = PGA_MPOL_LOCAL;
			return 0;
		}
		break;
	case PGA_MPOL_LOCAL:
		if (!pga_nodemask_empty(&user) || flags)
			return -EINVAL;
		pol->mode = PGA_MPOL_LOCAL;
		return 0;
	default: /* BIND, INTERLEAVE, PREFERRED_MANY */
		if (pga_nodemask_empty(&user))
			return -EINVAL;
		break;
	}

	/* mpol_set_nodemask: relative to, or intersected with, the nodes of
	 * the cpuset; nothing left is EINVAL. */
	if (flags & PGA_MPOL_F_RELATIVE_NODES)
		relative_nodes(&eff, &user, &pga_mem.cpuset_mems);
	else
		nodemask_and(&eff, &user, &pga_mem.cpuset_mems);
	if (pga_nodemask_empty(&eff))
		return -EINVAL;
	pol->mode = mode;
	if (mode == PGA_MPOL_PREFERRED) {
		pol->preferred = nodemask_first(&eff);
		eff = (pga_nodemask_t){{0}};
		pga_nodemask_set(&eff, pol->preferred);
	}
	pol->nodes = eff;
	return 0;
}

/* The nearest node of m from nid: the first zone of nid's zonelist on a
 * node of m, as the zonelist scan with that nodemask would pick. */
static int nearest_node(int nid, const pga_nodemask_t *m)
{
	const struct pga_zonelist *zl = &pga_mem.nodes[nid].zonelists[PGA_ZONELIST_FALLBACK];

	for (int i = 0; i < zl->nr_zones; i++)
		if (pga_nodemask_test(m, zl->zones[i]->node))
			return zl->zones[i]->node;
	return PGA_MAX_NUMNODES;
}

int pga_mempolicy_fast_node(const struct pga_mempolicy *pol, int node)
{
	switch (pol->mode) {
	case PGA_MPOL_INTERLEAVE:
		return PGA_MAX_NUMNODES; /* every allocation picks its node */
	case PGA_MPOL_PREFERRED:
		return pol->preferred;
	case PGA_MPOL_BIND:
	case PGA_MPOL_PREFERRED_MANY:
		return nearest_node(node, &pol->nodes);
	default:
		return node;
	}
}

int pga_mempolicy_interleave_node(struct pga_mempolicy *pol, bool advance)
{
	const pga_nodemask_t *m = &pol->nodes;
	int n = pol->il_prev;

	/* next_node_in: the next node of the mask after il_prev, wrapping. */
	for (int i = 0; i < PGA_MAX_NUMNODES; i++) {
		n = n + 1 >= PGA_MAX_NUMNODES ? 0 : n + 1;
		if (pga_nodemask_test(m, n))
			break;
	}
	if (advance)
		pol->il_prev = n;
	return n;
}

/* The pgalloc nodes on the kernel nodes of m. */
static void from_real(pga_nodemask_t *out, const struct real_mask *m)
{
	*out = (pga_nodemask_t){{0}};
	for (int n = 0; n < pga_mem.nr_nodes; n++)
		if (real_test(m, pga_topo.real_node[n]))
			pga_nodemask_set(out, n);
}

/* The kernel nodes the pgalloc nodes of m sit on. */
static void to_real(struct real_mask *out, const pga_nodemask_t *m)
{
	memset(out, 0, sizeof(*out));
	for (int n = 0; n < pga_mem.nr_nodes; n++)
		if (pga_nodemask_test(m, n))
			real_set(out, pga_topo.real_node[n]);
}

/*
 * The kernel's policy of the calling thread, in pgalloc's nodes. The kernel
 * reports the mask as given for the static and relative flags: relative is
 * resolved against Mems_allowed here, as the kernel does. A preferred real
 * node that holds several fake nodes prefers all of them (PREFERRED_MANY).
 * Anything unreadable or unknown is the default policy.
 */
void pga_mempolicy_read_kernel(struct pga_mempolicy *pol)
{
	struct real_mask km, allowed;
	pga_nodemask_t nodes;
	int mode = 0;

	memset(pol, 0, sizeof(*pol));
	pol->il_prev = PGA_MAX_NUMNODES;
	/* With one node every policy places everything there: no system
	 * call per new thread for nothing. */
	if (pga_mem.nr_nodes == 1)
		return;
	memset(&km, 0, sizeof(km));
	if (pga_os_get_mempolicy(&mode, km.w, PGA_OS_MAXNODE, NULL, 0) != 0)
		return;
	int flags = mode & PGA_MPOL_MODE_FLAGS;
	mode &= 0xff;
	if (flags & PGA_MPOL_F_RELATIVE_NODES) {
		struct real_mask rel = km;
		int w = 0, dummy;
		memset(&allowed, 0, sizeof(allowed));
		/* MPOL_F_MEMS_ALLOWED (1 << 2): the cpuset's nodes. */
		if (pga_os_get_mempolicy(&dummy, allowed.w, PGA_OS_MAXNODE, NULL, 1UL << 2) != 0)
			return;
		for (int i = 0; i < PGA_OS_NODE_WORDS * 64; i++)
			w += real_test(&allowed, i);
		memset(&km, 0, sizeof(km));
		for (int i = 0; w && i < PGA_OS_NODE_WORDS * 64; i++) {
			if (!real_test(&rel, i))
				continue;
			for (int id = 0, pos = i % w; id < PGA_OS_NODE_WORDS * 64; id++)
				if (real_test(&allowed, id) && pos-- == 0) {
					real_set(&km, id);
					break;
				}
		}
	}
	from_real(&nodes, &km);
	switch (mode) {
	case PGA_MPOL_PREFERRED:
		if (pga_nodemask_empty(&nodes)) {
			pol->mode = PGA_MPOL_LOCAL;
			return;
		}
		mode = nodemask_weight(&nodes) > 1 ? PGA_MPOL_PREFERRED_MANY : PGA_MPOL_PREFERRED;
		break;
	case PGA_MPOL_BIND:
	case PGA_MPOL_INTERLEAVE:
	case PGA_MPOL_PREFERRED_MANY:
		break;
	case PGA_MPOL_LOCAL:
		pol->mode = PGA_MPOL_LOCAL;
		return;
	default:
		return;
	}
	struct pga_mempolicy p;
	if (pga_mempolicy_build(&p, mode, (const unsigned long *)nodes.bits,
	                        PGA_MAX_NUMNODES + 1) == 0) {
		p.flags = flags;
		*pol = p;
	}
}

/*
 * Bind each zone's range of address space to the real node its node sits
 * on, before any page of it is touched (the arenas are reserved PROT_NONE,
 * sections are committed later; the policy survives mprotect and
 * madvise). Preferred, so that the kernel may still place a page elsewhere
 * when the node is out of memory rather than kill the program, unless the
 * process started under a BIND policy that holds the node: then strict, as
 * that policy asked. Without the system call (no NUMA in the kernel, a
 * seccomp filter) placement is the kernel's first touch; said once when
 * that matters (more than one real node). With a single node nothing is
 * asked of the kernel.
 */
void pga_mempolicy_bind_zones(void)
{
	struct real_mask bind;
	int mode = 0, failed = 0;
	bool multi = false;

	/* One node (and no fake ones): there is nowhere else to be. */
	if (pga_mem.nr_nodes == 1)
		return;
	memset(&bind, 0, sizeof(bind));
	if (pga_os_get_mempolicy(&mode, bind.w, PGA_OS_MAXNODE, NULL, 0) == 0 &&
	    (mode & 0xff) == PGA_MPOL_BIND)
		pga_mempolicy_strict = true;
	for (int n = 1; n < pga_mem.nr_nodes; n++)
		multi |= pga_topo.real_node[n] != pga_topo.real_node[0];
	pga_mem.multi_real = multi;

	for (int id = 0; id < pga_mem.nr_zones; id++) {
		struct pga_zone *z = pga_mem.zones[id];
		struct real_mask one;
		int real = pga_topo.real_node[z->node];
		bool strict = pga_mempolicy_strict && real_test(&bind, real);

		memset(&one, 0, sizeof(one));
		real_set(&one, real);
		if (pga_os_mbind(
		        pga_pfn_to_addr(z, z->zone_start_pfn), z->spanned_pages << PGA_PAGE_SHIFT,
		        strict ? PGA_MPOL_BIND : PGA_MPOL_PREFERRED, one.w, PGA_OS_MAXNODE, 0) != 0)
			failed++;
	}
	if (failed && multi)
		pga_log("mbind failed: zone memory is placed by first touch, ",
		        "not bound to its node", NULL);
}

/* The node of a page the kernel placed, in pgalloc's nodes: the first node
 * on the kernel's node; -1 when the page is not resident. */
int pga_mempolicy_kernel_node(const void *addr)
{
	int real = pga_os_page_node(addr);

	if (real < 0)
		return -1;
	for (int n = 0; n < pga_mem.nr_nodes; n++)
		if (pga_topo.real_node[n] == real)
			return n;
	return -1;
}

void pga_mempolicy_place(void *addr, size_t len, int nid)
{
	struct real_mask one;

	if (nid < 0 || nid >= pga_mem.nr_nodes)
		return;
	memset(&one, 0, sizeof(one));
	real_set(&one, pga_topo.real_node[nid]);
	/* MPOL_MF_MOVE (2): pages already there move too. */
	pga_os_mbind(addr, len, PGA_MPOL_PREFERRED, one.w, PGA_OS_MAXNODE, 2);
}

void pga_mempolicy_set_kernel(const struct pga_mempolicy *pol)
{
	struct real_mask km;

	/* Where the kernel has no NUMA calls, pgalloc's policy still applies
	 * to its zones. */
	if (pol->mode == PGA_MPOL_DEFAULT || pol->mode == PGA_MPOL_LOCAL) {
		pga_os_set_mempolicy(pol->mode, NULL, 0);
		return;
	}
	to_real(&km, &pol->nodes);
	if (pga_os_set_mempolicy(pol->mode, km.w, PGA_OS_MAXNODE) == -EINVAL &&
	    pol->mode == PGA_MPOL_PREFERRED_MANY)
		/* Kernels before 5.15 know no PREFERRED_MANY. */
		pga_os_set_mempolicy(PGA_MPOL_PREFERRED, km.w, PGA_OS_MAXNODE);
}
