/* SPDX-License-Identifier: MIT */
/*
 * scan.h - the one scanner for the text pgalloc reads: PGALLOC_CONF values,
 * the kernel's lists and rows in sysfs, and "Key: value" lines of /proc
 * files. Every function works on a [s, end) range of the caller's text and
 * never writes to it; none allocates, so all of it runs inside malloc.
 */
#ifndef PGA_SCAN_H
#define PGA_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgalloc.h"

static inline bool pga_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Narrow [*s, *end) to leave out the white space at either end. */
void pga_scan_trim(const char **s, const char **end);

/* Is [s, end) exactly word? */
bool pga_scan_eq(const char *s, const char *end, const char *word);

/*
 * A decimal integer in [min, max] at *pp, stopping at end or at the first
 * character that is not a digit; advances *pp past it on success only. A
 * '-' is accepted as a sign; no '+', no spaces, no hex, at least one digit.
 * Overflow is an error, not a wrap.
 */
bool pga_scan_long(const char **pp, const char *end, long min, long max, long *out);

/* The whole of [s, end) as one integer in [min, max]: trailing junk fails. */
bool pga_parse_long(const char *s, const char *end, long min, long max, long *out);

/*
 * Integers in [min, max] separated by sep: returns how many [s, end) holds,
 * or -1 when one is bad, a separator is doubled or trailing, or there are
 * more than max_count. After it succeeds, pga_scan_list_next() walks the
 * same values without failing.
 */
int pga_scan_list_count(const char *s, const char *end, char sep, long min, long max,
                        int max_count);
long pga_scan_list_next(const char **pp, const char *end, char sep);

/*
 * A kernel bit list ("0-3,8,10-11"; ':' separates as well as ',') in
 * [s, end) into bits, a bitmap of nbits bits, cleared first. White space
 * around the list is allowed and an empty list is valid (the cpulist of a
 * node without CPUs is "\n"). A value >= nbits is an error when strict, and
 * left out of the bitmap otherwise (it still counts for *max_out). *max_out,
 * when not NULL, is the largest value listed, -1 for an empty list. Values
 * above 2^24 are errors: no kernel prints them.
 */
bool pga_parse_bitlist(const char *s, const char *end, uint64_t *bits, unsigned nbits, bool strict,
                       long *max_out);

/* A list of nodes below PGA_MAX_NUMNODES, strictly (end NULL: up to the
 * NUL). On failure *out is empty. */
bool pga_parse_nodelist(const char *s, const char *end, pga_nodemask_t *out);

/*
 * The value of the first "key" in text (a NUL-terminated file, one entry
 * per line; key includes its ':', "MemTotal:"): its start, with *end at
 * the end of its line, white space trimmed. NULL when the key is missing.
 */
const char *pga_scan_field(const char *text, const char *key, const char **end);

#endif /* PGA_SCAN_H */
