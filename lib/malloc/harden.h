/* SPDX-License-Identifier: MIT */
/*
 * harden.h - the malloc layer's opt-in checks (harden=full and its keys,
 * docs/hardening.md): red zones after small objects, zeroing and poisoning
 * of page runs, the size check of sized frees, which checks are on
 * (pga_harden, options.h). All of it runs on the slow paths: with any
 * check on contents, the slab layer is in debug mode and every small
 * request leaves the inline paths.
 */
#ifndef PGA_HARDEN_H
#define PGA_HARDEN_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

/*
 * Red zones. A request of size bytes takes an object of the class of
 * size + PGA_RED_ZONE_MIN bytes, of class size csize: [size, csize - 8)
 * holds PGA_POISON_RED, the last 8 bytes the size, mixed with the
 * freelist secret and the object's address (a stray write there is caught
 * as well). malloc_usable_size is then the size requested.
 */
#define PGA_RED_ZONE_MIN 16u
void pga_red_zone_arm(void *obj, size_t size, size_t csize);
/* The size stored in obj's red zone; fn names the caller in the report of
 * a red zone found overwritten (then abort). */
size_t pga_red_zone_size(const void *obj, size_t csize, const char *fn);
/* Check obj's red zone whole (free). */
void pga_red_zone_check(const void *obj, size_t csize);

/* A page run of size bytes just allocated: its poison checked (page_poison)
 * and it zeroed (init_on_alloc). */
void pga_harden_run_alloc(void *p, size_t size);
/* A page run of usable bytes about to be freed: poisoned or zeroed. */
void pga_harden_run_free(void *p, size_t usable);

/* free_sized(p, size) of a block of usable bytes (red_size: the size its
 * red zone records, 0 without one; pages: a page run or huge block, else a
 * slab object): abort unless size is one that could have been asked for
 * it. */
void pga_harden_check_size(const void *p, size_t size, size_t usable, size_t red_size, bool aligned,
                           bool pages);

#endif /* PGA_HARDEN_H */
