/* SPDX-License-Identifier: MIT */
/*
 * mempolicy.h - the task's NUMA memory policy (the kernel's mm/mempolicy.c),
 * per thread, as the page allocator applies it to every allocation that
 * names no node: default and local (the node of the CPU the thread runs
 * on), preferred, preferred-many, bind and interleave, with the static and
 * relative node flags, inside the cpuset's Mems_allowed.
 *
 * A thread's policy is read from the kernel (get_mempolicy) when the thread
 * gets its state, so numactl and a policy inherited from the parent apply
 * from the first allocation; it changes through pga_set_mempolicy (pgalloc
 * node numbers, fake nodes too) and through set_mempolicy(2) called by the
 * program (the preload shim interposes it, then reads the kernel's policy
 * again). Kernel node ids map onto pgalloc's nodes through real_node[]: a
 * real node stands for every (fake) node that sits on it.
 *
 * The fast path reads one field, pga_thread.pol_node: the node whose first
 * zone an order-0 allocation tries (local, preferred, or the nearest
 * allowed node for bind and preferred-many), or PGA_MAX_NUMNODES when every
 * allocation must come to the slow path (interleave).
 *
 * Zone memory is bound to its node (pga_mempolicy_bind_zones): each
 * node's zone ranges get an mbind before any page of them is touched, so
 * the kernel places the pages where pgalloc's books say they are.
 */
#ifndef PGA_MEMPOLICY_H
#define PGA_MEMPOLICY_H

#include <stdbool.h>

#include "nodemask.h"
#include "pgalloc.h"

#define PGA_MPOL_MODE_FLAGS (PGA_MPOL_F_STATIC_NODES | PGA_MPOL_F_RELATIVE_NODES)
#define PGA_MPOL_MAX        6 /* modes 0 .. PGA_MPOL_MAX - 1 */

/*
 * One thread's policy, owned by the thread (written only by it, in
 * pga_set_mempolicy or a reload; read by its allocations).
 *   mode     PGA_MPOL_*; DEFAULT and LOCAL behave alike (the local node)
 *   flags    the mode flags as given (reported back, not re-applied: the
 *            cpuset is read once, so nodes are never rebound)
 *   user     the nodes as given, in pgalloc node numbers
 *   nodes    the nodes it allows (BIND, INTERLEAVE, PREFERRED_MANY) or
 *            prefers (PREFERRED: one node); non-empty, inside the cpuset
 *   il_prev  INTERLEAVE: the node of the last allocation
 */
struct pga_mempolicy {
	int mode;
	int flags;
	int preferred;
	int il_prev;
	pga_nodemask_t user;
	pga_nodemask_t nodes;
};

/* Validate and build a policy in pgalloc node numbers, set_mempolicy(2)'s
 * rules: 0 or -EINVAL. */
int pga_mempolicy_build(struct pga_mempolicy *pol, int mode, const unsigned long *nodemask,
                        unsigned long maxnode);

/* The kernel's policy of the calling thread, in pgalloc's nodes (thread
 * attach, reload); the default policy when it cannot be read. */
void pga_mempolicy_read_kernel(struct pga_mempolicy *pol);

/* Set the calling thread's kernel policy to pol on the real nodes its
 * nodes sit on, so that memory pgalloc does not place itself (huge blocks,
 * stacks, the program's own mappings) follows it too. */
void pga_mempolicy_set_kernel(const struct pga_mempolicy *pol);

/* The pgalloc node of the resident page at addr as the kernel placed it
 * (move_pages; the first pgalloc node on that kernel node), or -1. */
int pga_mempolicy_kernel_node(const void *addr);

/* Ask the kernel to place [addr, addr + len), memory outside the zones
 * (a huge block), on node nid's real node, moving pages already there. */
void pga_mempolicy_place(void *addr, size_t len, int nid);

/* The node the fast path uses under pol for a thread on node: the local,
 * preferred or nearest allowed node; PGA_MAX_NUMNODES for interleave. */
int pga_mempolicy_fast_node(const struct pga_mempolicy *pol, int node);

/* INTERLEAVE: the node the next allocation goes to; advance says whether
 * the allocation happens now (the slab layer peeks to pick a partial
 * list). */
int pga_mempolicy_interleave_node(struct pga_mempolicy *pol, bool advance);

/* Bind every zone's range to its real node before first touch (init). */
void pga_mempolicy_bind_zones(void);

/* The process's policy at start-up was BIND: the zones of its nodes are
 * bound strictly. Set by pga_mempolicy_bind_zones. */
extern bool pga_mempolicy_strict;

#endif /* PGA_MEMPOLICY_H */
