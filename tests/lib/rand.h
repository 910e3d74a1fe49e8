/* SPDX-License-Identifier: MIT */
/*
 * rand.h - seeded pseudo-random numbers, so that random tests are
 * reproducible: a generator (xorshift64*) and a 64-bit mix (splitmix64's
 * finaliser) that turns a key into well-spread bits.
 */
#ifndef PGA_TEST_RAND_H
#define PGA_TEST_RAND_H

#include <stdint.h>

static inline unsigned long long t_rand(unsigned long long *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static inline uint64_t t_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

#endif /* PGA_TEST_RAND_H */
