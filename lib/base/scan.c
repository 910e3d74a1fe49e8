// SPDX-License-Identifier: MIT
/*
 * scan.c - parsing of integers, lists and "Key: value" lines; see scan.h.
 */
#include "scan.h"

#include <limits.h>
#include <string.h>

#include "nodemask.h"

/* Values in bit lists above this are a syntax error: no kernel prints them,
 * and the bound keeps the arithmetic free of overflow. */
#define BITLIST_VALUE_MAX (1L << 24)

void pga_scan_trim(const char **s, const char **end)
{
	while (*s < *end && pga_is_space(**s))
		(*s)++;
	while (*end > *s && pga_is_space((*end)[-1]))
		(*end)--;
}

bool pga_scan_eq(const char *s, const char *end, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(end - s) == n && memcmp(s, word, n) == 0;
}

bool pga_scan_long(const char **pp, const char *end, long min, long max, long *out)
{
	const char *p = *pp;
	bool neg = false;
	unsigned long mag = 0;
	/* |LONG_MIN| = LONG_MAX + 1 is representable as unsigned long. */
	const unsigned long lim = (unsigned long)LONG_MAX + 1;
	long v;

	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	if (p == end || *p < '0' || *p > '9')
		return false;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (mag > (lim - d) / 10)
			return false;
		mag = mag * 10 + d;
	}
	if (!neg && mag > (unsigned long)LONG_MAX)
		return false;
	v = neg ? (mag == lim ? LONG_MIN : -(long)mag) : (long)mag;
	if (v < min || v > max)
		return false;
	*pp = p;
	*out = v;
	return true;
}

bool pga_parse_long(const char *s, const char *end, long min, long max, long *out)
{
	long v;

	if (!pga_scan_long(&s, end, min, max, &v) || s != end)
		return false;
	*out = v;
	return true;
}

int pga_scan_list_count(const char *s, const char *end, char sep, long min, long max, int max_count)
{
	int n = 0;

	for (;;) {
		long v;

		if (!pga_scan_long(&s, end, min, max, &v) || ++n > max_count)
			return -1;
		if (s == end)
			return n;
		if (*s++ != sep)
			return -1;
	}
}

long pga_scan_list_next(const char **pp, const char *end, char sep)
{
	long v = 0;

	pga_scan_long(pp, end, LONG_MIN, LONG_MAX, &v);
	if (*pp < end && **pp == sep)
		(*pp)++;
	return v;
}

bool pga_parse_bitlist(const char *s, const char *end, uint64_t *bits, unsigned nbits, bool strict,
                       long *max_out)
{
	const char *p = s;
	long max = -1;

	memset(bits, 0, (nbits + 63) / 64 * sizeof(uint64_t));
	pga_scan_trim(&p, &end);
	while (p < end) {
		long a, b;

		if (!pga_scan_long(&p, end, 0, BITLIST_VALUE_MAX, &a))
			return false;
		b = a;
		if (p < end && *p == '-') {
			p++;
			if (!pga_scan_long(&p, end, 0, BITLIST_VALUE_MAX, &b) || b < a)
				return false;
		}
		if (strict && b >= (long)nbits)
			return false;
		for (long v = a; v <= b && v < (long)nbits; v++)
			pga_bit_set(bits, (unsigned long)v);
		if (b > max)
			max = b;
		if (p == end)
			break;
		if (*p != ',' && *p != ':')
			return false;
		p++;
		if (p == end)
			return false; /* a list does not end with a separator */
	}
	if (max_out)
		*max_out = max;
	return true;
}

bool pga_parse_nodelist(const char *s, const char *end, pga_nodemask_t *out)
{
	if (!end)
		end = s + strlen(s);
	if (pga_parse_bitlist(s, end, out->bits, PGA_MAX_NUMNODES, true, NULL))
		return true;
	*out = (pga_nodemask_t){{0}};
	return false;
}

const char *pga_scan_field(const char *text, const char *key, const char **end)
{
	const char *p = strstr(text, key);

	if (!p)
		return NULL;
	p += strlen(key);
	const char *e = strchr(p, '\n');
	if (!e)
		e = p + strlen(p);
	pga_scan_trim(&p, &e);
	*end = e;
	return p;
}
