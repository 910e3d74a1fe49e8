/* SPDX-License-Identifier: MIT */
/*
 * check.h - how a test program counts and reports: CHECK macros that name
 * file:line and the values, a tally of checks and failures, the skip, and
 * the end of the program.
 *
 * A test program exits 0 when every check passed, 1 otherwise, and 77 (the
 * meson skip code) after printing why, when it cannot run on this machine.
 */
#ifndef PGA_TEST_CHECK_H
#define PGA_TEST_CHECK_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failures;
static int t_checks;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		t_checks++;                                                                        \
		if (!(cond)) {                                                                     \
			t_failures++;                                                              \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
		}                                                                                  \
	} while (0)

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                                \
		t_checks++;                                                                        \
		if (_a != _b) {                                                                    \
			t_failures++;                                                              \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld != %lld)\n",       \
			        __FILE__, __LINE__, #a, #b, _a, _b);                               \
		}                                                                                  \
	} while (0)

/* Stop at once: the rest of the test depends on this. */
#define REQUIRE(cond)                                                                              \
	do {                                                                                       \
		t_checks++;                                                                        \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond); \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

/* The harness itself could not go on (a system call it needs failed):
 * stop, without counting a check, since nothing was tested. */
static inline void t_need(bool ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "test harness: %s: %s\n", what, strerror(errno));
	exit(1);
}

static inline void t_skip(const char *why)
{
	printf("SKIP: %s\n", why);
	exit(77);
}

/* End a test program: print the tally, return the exit code. */
static inline int t_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, t_checks, t_failures);
	return t_failures ? 1 : 0;
}

#endif /* PGA_TEST_CHECK_H */
