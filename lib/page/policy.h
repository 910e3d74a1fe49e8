/* SPDX-License-Identifier: MIT */
/*
 * policy.h - the calling thread's memory policy (policy.c): installing one, and
 * the reload the preload shim asks for after the program's own
 * set_mempolicy(2). pga_set_mempolicy and pga_get_mempolicy are in
 * pgalloc.h.
 */
#ifndef PGA_POLICY_H
#define PGA_POLICY_H

#include "mempolicy.h"

struct pga_thread;

/* Install pol as t's policy (t the caller's own, real): the fast node is
 * recomputed, and the caches of memory the policy may no longer allow are
 * given back (the clients' policy_changed, the thread's pcp lists). */
void pga_mempolicy_install(struct pga_thread *t, const struct pga_mempolicy *pol);

/* Read the calling thread's policy from the kernel again and install it:
 * the preload shim calls it after the program's own set_mempolicy(2). */
void pga_mempolicy_reload(void);

#endif /* PGA_POLICY_H */
