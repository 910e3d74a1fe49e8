/* SPDX-License-Identifier: MIT */
/*
 * sanitizer.h - which sanitizer this program is built with, for the tests
 * that scale their work down under one (each operation is several times
 * slower) or skip what a sanitizer's own memory use makes meaningless.
 * T_ASAN, T_TSAN, T_MSAN: 1 or 0; T_SANITIZED: any of them.
 */
#ifndef PGA_TEST_SANITIZER_H
#define PGA_TEST_SANITIZER_H

#ifndef __has_feature
#define T_HAS_FEATURE(x) 0
#else
#define T_HAS_FEATURE(x) __has_feature(x)
#endif

#if defined(__SANITIZE_ADDRESS__) || T_HAS_FEATURE(address_sanitizer)
#define T_ASAN 1
#else
#define T_ASAN 0
#endif

#if defined(__SANITIZE_THREAD__) || T_HAS_FEATURE(thread_sanitizer)
#define T_TSAN 1
#else
#define T_TSAN 0
#endif

#if T_HAS_FEATURE(memory_sanitizer)
#define T_MSAN 1
#else
#define T_MSAN 0
#endif

#define T_SANITIZED (T_ASAN || T_TSAN || T_MSAN)

#endif /* PGA_TEST_SANITIZER_H */
