/* SPDX-License-Identifier: MIT */
/*
 * bug.h - how pgalloc stops: a failed invariant (PGA_BUG_ON, PGA_CHECK in
 * compiler.h) and a misuse by the program (a double free, a pointer pgalloc
 * never returned) end in one line on stderr, written with one write(2),
 * then abort(). Nothing here allocates or takes a lock.
 */
#ifndef PGA_BUG_H
#define PGA_BUG_H

#include <stdint.h>

#include "compiler.h"

/*
 * "pgalloc: WHAT: ADDR\n", or with a detail "pgalloc: WHAT: ADDR (LABEL N)\n"
 * (label NULL: no detail), then abort. The one report of a misuse: callers
 * name what was wrong ("double free", "free(): invalid pointer") and what
 * they know of the block (its order, its size class).
 */
pga_noreturn pga_cold void pga_report_abort(const char *what, const void *addr, const char *label,
                                            uint64_t detail);

#endif /* PGA_BUG_H */
