// SPDX-License-Identifier: MIT
/*
 * freeptr.c - the per-process secrets of the hardened freelists; see
 * freeptr.h.
 */
#include "freeptr.h"

#include "mmzone.h"
#include "os.h"

struct pga_freeptr_keys pga_freeptr = {.base = 1};

void pga_freeptr_init(void)
{
	struct {
		uintptr_t secret, key;
	} k;

	if (pga_freeptr.key)
		return;
	pga_os_random(&k, sizeof(k));
	/* A key of 0 would make every live object (word 1 cleared) look
	 * free. */
	k.key |= 1;
	pga_freeptr.secret = k.secret;
	pga_freeptr.key = k.key;
	const struct pga_arena *ar = &pga_mem.arenas[PGA_ZONE_NORMAL];
	__atomic_store_n(&pga_freeptr.base, ar->base ? ar->base : 1, __ATOMIC_RELAXED);
	__atomic_store_n(&pga_freeptr.bytes, ar->nr_pages << PGA_PAGE_SHIFT, __ATOMIC_RELAXED);
}
