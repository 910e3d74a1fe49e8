/* SPDX-License-Identifier: MIT */
/*
 * statm.h - this process's memory as the kernel counts it
 * (/proc/self/statm): the size of the address space and the resident set,
 * in bytes.
 */
#ifndef PGA_TEST_STATM_H
#define PGA_TEST_STATM_H

#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

/* Both figures, in bytes; false when /proc/self/statm cannot be read. */
static inline bool t_statm(size_t *size, size_t *resident)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long s = 0, r = 0;
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "%lu %lu", &s, &r) == 2;
	fclose(f);
	if (!ok)
		return false;
	*size = s * (size_t)sysconf(_SC_PAGESIZE);
	*resident = r * (size_t)sysconf(_SC_PAGESIZE);
	return true;
}

/* Resident set size in bytes (0 if unreadable). */
static inline size_t t_rss_bytes(void)
{
	size_t size, resident;

	return t_statm(&size, &resident) ? resident : 0;
}

#endif /* PGA_TEST_STATM_H */
