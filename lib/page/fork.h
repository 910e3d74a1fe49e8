/* SPDX-License-Identifier: MIT */
/*
 * fork.h - the fork handlers of the whole allocator (fork.c), registered
 * with pthread_atfork when pgalloc is loaded (fork.c, a constructor).
 */
#ifndef PGA_FORK_H
#define PGA_FORK_H

void pga_fork_prepare(void);
void pga_fork_parent(void);
void pga_fork_child(void);

#endif /* PGA_FORK_H */
