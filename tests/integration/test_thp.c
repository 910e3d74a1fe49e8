// SPDX-License-Identifier: MIT
/*
 * test_thp.c - transparent huge pages where memory is used whole, and
 * nowhere else (thp=, options.h): the kernel's own count, AnonHugePages in
 * /proc/self/smaps for the mapping that holds an address, is the judge.
 *
 *   madvise  (the default) a huge allocation gets huge pages; the zones,
 *            even full, get none.
 *   never    not even a huge allocation.
 *   always   pageblocks of the zones that are entirely in use become huge
 *            (the background thread advises and collapses them); once the
 *            memory is freed and trimmed, none is left huge.
 *
 * Needs a kernel with THP not set to "never" (exit 77 otherwise). The
 * waits for the background thread are bounded polls.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "child.h"
#include "pgalloc.h"
#include "units.h"

#define OBJ      1024
#define OBJECTS  (24 * MIB / OBJ) /* slabs filling a dozen pageblocks */
#define HUGE_LEN (64 * MIB)

static void *objs[OBJECTS];

/* AnonHugePages, in KiB, of the mapping of /proc/self/smaps that holds p;
 * -1 when none does. */
static long huge_kb(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;
	long kb = -1;

	REQUIRE(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void fill_zones(void)
{
	for (size_t i = 0; i < OBJECTS; i++) {
		objs[i] = pga_malloc(OBJ);
		REQUIRE(objs[i] != NULL);
		memset(objs[i], 0x5a, OBJ);
	}
}

static void free_zones(void)
{
	for (size_t i = 0; i < OBJECTS; i++)
		pga_free(objs[i]);
}

static void *touch_huge(void)
{
	char *h = pga_malloc(HUGE_LEN);

	REQUIRE(h != NULL);
	memset(h, 0x11, HUGE_LEN);
	return h;
}

/* Ten decay periods (decay_ms=100): the background thread had its passes. */
static void settle(void)
{
	usleep(1000 * 1000);
}

static void case_madvise(void)
{
	fill_zones();
	void *h = touch_huge();
	settle();
	long zone_kb = huge_kb(objs[OBJECTS / 2]), huge = huge_kb(h);
	printf("madvise: zones %ld KiB huge, huge allocation %ld KiB huge\n", zone_kb, huge);
	CHECK_EQ(zone_kb, 0);
	CHECK(huge > 0);
	pga_free(h);
	free_zones();
}

static void case_never(void)
{
	void *h = touch_huge();
	long huge = huge_kb(h);
	printf("never: huge allocation %ld KiB huge\n", huge);
	CHECK_EQ(huge, 0);
	pga_free(h);
}

static void case_always(void)
{
	/* At least the pageblocks the objects fill whole, less the first and
	 * the last, which others may share. The background thread collapses
	 * a batch of pageblocks per pass: wait for the passes (bounded), not
	 * only for the first huge page, which a pass during the fill brings. */
	const long want = (long)(OBJECTS * OBJ / KIB) - 4 * 2048;
	fill_zones();
	uint64_t start = now_ms();
	long kb;
	while ((kb = huge_kb(objs[OBJECTS / 2])) < want && now_ms() - start < 20000)
		usleep(50 * 1000);
	printf("always: zones %ld KiB huge after %llu ms\n", kb,
	       (unsigned long long)(now_ms() - start));
	CHECK(kb >= want);
	/* The objects read back what was written. */
	for (size_t i = 0; i < OBJECTS; i += 97)
		CHECK(((unsigned char *)objs[i])[OBJ - 1] == 0x5a);
	free_zones();
	pga_malloc_trim(0);
	kb = huge_kb(objs[OBJECTS / 2]);
	printf("always: zones %ld KiB huge after free and trim\n", kb);
	CHECK_EQ(kb, 0);
}

int main(void)
{
	char mode[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (!f || !fgets(mode, sizeof(mode), f) || strstr(mode, "[never]")) {
		printf("test_thp: skipped: transparent huge pages are off in this kernel (%s)\n",
		       f ? "enabled: never" : "no /sys/kernel/mm/transparent_hugepage");
		return 77;
	}
	fclose(f);
	t_run_with_conf("madvise", "decay_ms=100", case_madvise);
	t_run_with_conf("never", "decay_ms=100,thp=never", case_never);
	t_run_with_conf("always", "decay_ms=100,thp=always", case_always);
	return t_done("test_thp");
}
