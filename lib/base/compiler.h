/* SPDX-License-Identifier: MIT */
/*
 * compiler.h - the few macros pgalloc allows itself: branch hints,
 * attributes, container_of and the assertion family. Everything else is a
 * static inline function.
 */
#ifndef PGA_COMPILER_H
#define PGA_COMPILER_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define pga_noinline      __attribute__((noinline))
#define pga_always_inline inline __attribute__((always_inline))
#define pga_cold          __attribute__((cold, noinline))
#define pga_noreturn      __attribute__((noreturn))
#define pga_aligned(n)    __attribute__((aligned(n)))
#define pga_export        __attribute__((visibility("default")))
#define pga_printf(a, b)  __attribute__((format(printf, a, b)))

#define PGA_CACHELINE 64

/*
 * PGA_READ_RACY(x): a read of a word that start-up writes once (with
 * __atomic_store_n) while other threads may already read it, where the
 * reader is correct with the old value and with the new one (each use says
 * why), as the kernel's data_race(). A plain load, so that it folds into
 * the instruction that uses it; a relaxed atomic load under
 * ThreadSanitizer, which would otherwise report the race it tolerates.
 */
#if defined(__SANITIZE_THREAD__)
#define PGA_READ_RACY(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PGA_READ_RACY(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#endif
#endif
#ifndef PGA_READ_RACY
#define PGA_READ_RACY(x) (x)
#endif

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

#define PGA_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Debug builds (meson -Ddebug_checks=true, on by default for buildtype
 * debug) check invariants. The checks always compile, so they cannot rot;
 * in release builds the constant removes them.
 */
static const bool pga_config_debug = PGA_CONFIG_DEBUG;

pga_noreturn pga_cold void pga_assert_fail(const char *expr, const char *file, int line);

/* O(1) invariant checks, active in debug builds. */
#define PGA_BUG_ON(cond)                                                                           \
	do {                                                                                       \
		if (pga_config_debug && unlikely(cond))                                            \
			pga_assert_fail(#cond, __FILE__, __LINE__);                                \
	} while (0)

/* Checks that stay in every build: the price of ignoring them is corruption. */
#define PGA_CHECK(cond)                                                                            \
	do {                                                                                       \
		if (unlikely(!(cond)))                                                             \
			pga_assert_fail(#cond, __FILE__, __LINE__);                                \
	} while (0)

static inline unsigned pga_ilog2(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

static inline unsigned pga_min_u(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

static inline uint64_t pga_round_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

#endif /* PGA_COMPILER_H */
