/* SPDX-License-Identifier: MIT */
/*
 * fail.h - fault injection for page allocations, after the kernel's
 * fail_page_alloc: probability (percent), interval, times, min-order, and a
 * seed that makes the pattern reproducible. Configured with the PGALLOC_CONF
 * keys fail_probability, fail_interval, fail_times, fail_min_order,
 * fail_seed. Off unless fail_probability > 0.
 */
#ifndef PGA_FAIL_H
#define PGA_FAIL_H

#include "compiler.h"
#include "pgalloc.h"

/* True when fault injection is configured; read on every allocation. */
extern bool pga_fail_enabled;

void pga_fail_init(void);

/* should_fail_alloc_page: decide whether this allocation fails. */
bool pga_should_fail_alloc_page(pga_gfp_t gfp, unsigned order);

/* Fork: hold the lock of the failure pattern across fork (fork.c). */
void pga_fail_fork_prepare(void);
void pga_fail_fork_parent(void);
void pga_fail_fork_child(void);

#endif /* PGA_FAIL_H */
