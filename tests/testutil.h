/* SPDX-License-Identifier: MIT */
/*
 * testutil.h - the small harness shared by pgalloc's tests: CHECK macros that
 * report file:line and the values, a failure counter, and a helper that runs
 * a case in a forked child with its own PGALLOC_CONF (pgalloc reads its
 * configuration once, at its first allocation, so each configuration needs a
 * fresh process).
 *
 * A test program exits 0 when every check passed, 1 otherwise, and 77 (the
 * meson skip code) after printing why, when it cannot run on this machine.
 */
#ifndef PGA_TESTUTIL_H
#define PGA_TESTUTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/*
 * Run fn in a child process with PGALLOC_CONF=conf (NULL: unset). The child
 * counts its own checks from zero, prints them under name, and exits with
 * its tally. Returns true when the child passed; a failure or a
 * crash counts as one failed check here.
 */
static inline int t_run_with_conf(const char *name, const char *conf, void (*fn)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		/* The child reports only its own checks. */
		t_checks = 0;
		t_failures = 0;
		if (conf)
			setenv("PGALLOC_CONF", conf, 1);
		else
			unsetenv("PGALLOC_CONF");
		fn();
		printf("  %s: %d checks, %d failed\n", name, t_checks, t_failures);
		fflush(NULL);
		_exit(t_failures ? 1 : 0);
	}
	int status = 0;
	t_checks++;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		t_failures++;
		fprintf(stderr, "case '%s' (PGALLOC_CONF=%s) failed (status %#x)\n", name,
		        conf ? conf : "", status);
		return 0;
	}
	return 1;
}

/* Tiny seeded PRNG (xorshift64*), so that random tests are reproducible. */
static inline unsigned long long t_rand(unsigned long long *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

#endif /* PGA_TESTUTIL_H */
