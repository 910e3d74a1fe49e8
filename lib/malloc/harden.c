// SPDX-License-Identifier: MIT
/*
 * harden.c - the malloc layer's opt-in checks; see harden.h.
 */
#include "harden.h"

#include <stdint.h>
#include <string.h>

#include "bug.h"
#include "freeptr.h"
#include "mmzone.h"
#include "options.h"
#include "poison.h"

static uint64_t red_word(const void *obj, size_t size)
{
	return (uint64_t)size ^ pga_freeptr.secret ^ (uintptr_t)obj;
}

void pga_red_zone_arm(void *obj, size_t size, size_t csize)
{
	uint64_t w = red_word(obj, size);

	pga_poison_fill((char *)obj + size, csize - 8 - size, PGA_POISON_RED);
	memcpy((char *)obj + csize - 8, &w, 8);
}

pga_noreturn pga_cold static void red_zone_broken(const void *obj, const char *fn)
{
	char what[64];
	size_t n = strlen(fn);

	/* "free(): red zone overwritten" */
	memcpy(what, fn, n);
	memcpy(what + n, "(): red zone overwritten", sizeof("(): red zone overwritten"));
	pga_report_abort(what, obj, NULL, 0);
}

size_t pga_red_zone_size(const void *obj, size_t csize, const char *fn)
{
	uint64_t w;

	memcpy(&w, (const char *)obj + csize - 8, 8);
	size_t size = (size_t)(w ^ pga_freeptr.secret ^ (uintptr_t)obj);
	if (size > csize - PGA_RED_ZONE_MIN)
		red_zone_broken(obj, fn);
	return size;
}

void pga_red_zone_check(const void *obj, size_t csize)
{
	size_t size = pga_red_zone_size(obj, csize, "free");

	if (!pga_poison_intact((const char *)obj + size, csize - 8 - size, PGA_POISON_RED))
		red_zone_broken(obj, "free");
}

void pga_harden_run_alloc(void *p, size_t size)
{
	size_t bytes = pga_round_up(size, PGA_PAGE_SIZE);

	if (pga_harden.page_poison && !pga_poison_pages_intact(p, bytes, PGA_PAGE_SIZE))
		pga_report_abort("malloc(): write after free", p, "pages", bytes >> PGA_PAGE_SHIFT);
	if (pga_harden.init_on_alloc)
		memset(p, 0, bytes);
}

void pga_harden_run_free(void *p, size_t usable)
{
	/* With page_poison the page layer poisons the run as it frees it. */
	if (pga_harden.init_on_free && !pga_harden.page_poison)
		memset(p, 0, usable);
}

void pga_harden_check_size(const void *p, size_t size, size_t usable, size_t red_size, bool aligned,
                           bool pages)
{
	bool ok;

	if (red_size)
		ok = size == red_size;
	else if (aligned)
		/* Alignment may have taken a larger block than size needs. */
		ok = size <= usable;
	else if (pages)
		/* Whole pages: the request rounded up; a huge block reused from
		 * the huge cache may be up to twice that. */
		ok = size <= usable && (usable - size < PGA_PAGE_SIZE ||
		                        (size > (PGA_PAGE_SIZE << (PGA_MAX_ORDER - 1)) &&
		                         usable / 2 <= pga_round_up(size, PGA_PAGE_SIZE)));
	else
		/* malloc(size) got the class of size; realloc in place keeps
		 * an object while the size stays above half of it. */
		ok = size <= usable && (size > usable / 2 || usable <= 2 * PGA_RED_ZONE_MIN);
	if (!ok)
		pga_report_abort(aligned ? "free_aligned_sized(): wrong size"
		                         : "free_sized(): wrong size",
		                 p, "size", size);
}
