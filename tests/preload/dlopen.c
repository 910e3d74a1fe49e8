/* SPDX-License-Identifier: MIT */
/*
 * dlopen.c - libpgalloc.so loaded with dlopen into a program that did not
 * preload it (argv[1]: the library). The program keeps the C library's
 * malloc; pgalloc serves what is asked of it by name: pga_malloc and
 * pga_free, and its own malloc and free, looked up in the handle. Checked:
 *
 *   - the program's malloc is still the C library's, and pgalloc does not
 *     claim its blocks; pgalloc's free passes such a block back to the C
 *     library (memory allocated before pgalloc came);
 *   - threads allocate and free through both of pgalloc's entry points on
 *     every path (small, page runs, huge), free each other's blocks, mix in
 *     the C library's malloc, and exit (pgalloc's thread-exit destructor
 *     runs in each);
 *   - fork: a child allocates through pgalloc and exits 0;
 *   - dlclose: libpgalloc.so is linked -z nodelete, so dlclose leaves it
 *     loaded (its background threads, its thread-exit destructor and the
 *     memory it handed out outlive any handle): after dlclose it is still
 *     there, and still allocates, also in a new thread that exits.
 *
 * Ends in bounded time: alarm() names the hang.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sanitizer.h"

#define KIB 1024ul
#define MIB (1024ul * KIB)

#define THREADS 4
#define ROUNDS  20000

static void *(*p_pga_malloc)(size_t);
static void (*p_pga_free)(void *);
static int (*p_pga_owns)(const void *);
static void *(*p_malloc)(size_t);
static void (*p_free)(void *);

static _Atomic long failures;
static _Atomic(void *) slots[16];

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "dlopen: %s:%d: CHECK failed: %s\n", __FILE__, __LINE__,   \
			        #cond);                                                            \
			atomic_fetch_add(&failures, 1);                                            \
		}                                                                                  \
	} while (0)

static void on_alarm(int sig)
{
	static const char msg[] = "dlopen: FAIL: hang: the test ran past its alarm\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t pick_size(uint64_t *s)
{
	switch (rnd(s) % 16) {
	case 0:
		return 4 * MIB + 1 + rnd(s) % (2 * MIB);
	case 1:
	case 2:
		return 64 * KIB + rnd(s) % (2 * MIB);
	default:
		return 2 + rnd(s) % 2000; /* two bytes at least: both ends are checked */
	}
}

static void *worker(void *arg)
{
	uint64_t seed = (uintptr_t)arg * 2654435761u + 1;

	for (int i = 0; i < ROUNDS; i++) {
		size_t n = pick_size(&seed);
		bool by_name = rnd(&seed) & 1;
		unsigned char *p = by_name ? p_pga_malloc(n) : p_malloc(n);
		if (!p) {
			CHECK(p != NULL);
			continue;
		}
		p[0] = (unsigned char)i;
		p[n - 1] = (unsigned char)~i;
		if (i % 64 == 0)
			CHECK(p_pga_owns(p));
		/* The C library's malloc, unchanged, alongside. */
		void *g = malloc(32);
		CHECK(g != NULL);
		if (g && i % 256 == 0)
			CHECK(!p_pga_owns(g));
		free(g);
		CHECK(p[0] == (unsigned char)i && p[n - 1] == (unsigned char)~i);
		if (n < 4096 && rnd(&seed) % 4 == 0) {
			/* Cross-thread: the taker frees it, through either entry. */
			void *old = atomic_exchange(&slots[rnd(&seed) % 16], p);
			if (old)
				(by_name ? p_free : p_pga_free)(old);
			continue;
		}
		(by_name ? p_pga_free : p_free)(p);
	}
	return NULL;
}

static void *one_allocation(void *arg)
{
	(void)arg;
	void *p = p_pga_malloc(1000);
	CHECK(p != NULL && p_pga_owns(p));
	p_pga_free(p);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[THREADS];

	if (argc != 2) {
		fprintf(stderr, "usage: %s LIBPGALLOC\n", argv[0]);
		return 2;
	}
	signal(SIGALRM, on_alarm);
	alarm(120);
	void *before = malloc(100); /* the C library's, from before pgalloc */
	if (dlsym(RTLD_DEFAULT, "pga_malloc")) {
		printf("FAIL: pgalloc is already loaded: this test is about dlopen alone\n");
		return 1;
	}
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		printf("FAIL: dlopen: %s\n", dlerror());
		return 1;
	}
	p_pga_malloc = (void *(*)(size_t))dlsym(h, "pga_malloc");
	p_pga_free = (void (*)(void *))dlsym(h, "pga_free");
	p_pga_owns = (int (*)(const void *))dlsym(h, "pga_owns");
	p_malloc = (void *(*)(size_t))dlsym(h, "malloc");
	p_free = (void (*)(void *))dlsym(h, "free");
	if (!p_pga_malloc || !p_pga_free || !p_pga_owns || !p_malloc || !p_free) {
		printf("FAIL: a symbol is missing from %s\n", argv[1]);
		return 1;
	}
	/* The program's malloc is still the C library's. */
	CHECK((void *)p_malloc != dlsym(RTLD_DEFAULT, "malloc"));
	CHECK(!p_pga_owns(before));
	void *q = p_malloc(100);
	CHECK(q && p_pga_owns(q));
	p_free(q);
	/* A block of the C library's given to pgalloc's free goes back there.
	 * Not under a sanitizer: its runtime, not the C library, is then the
	 * program's malloc, and pgalloc hands foreign blocks to the C
	 * library's own free. */
	if (!T_SANITIZED) {
		p_free(before);
		before = malloc(100);
		CHECK(before != NULL);
	} else {
		printf(
		    "note: a sanitizer's malloc is the program's: no foreign block for pgalloc's "
		    "free\n");
	}

	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(i + 1)) != 0)
			return 1;
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 16; i++)
		p_pga_free(atomic_exchange(&slots[i], NULL));

	pid_t pid = fork();
	if (pid == 0) {
		void *c = p_pga_malloc(5 * MIB);
		void *d = p_malloc(100);
		_exit(c && d && p_pga_owns(d) ? 0 : 3);
	}
	int st = 0;
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* dlclose: the library stays (-z nodelete). */
	CHECK(dlclose(h) == 0);
	void *again = dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD);
	CHECK(again != NULL);
	if (again)
		dlclose(again);
	pthread_t late;
	CHECK(pthread_create(&late, NULL, one_allocation, NULL) == 0);
	pthread_join(late, NULL);
	void *r = p_pga_malloc(200 * KIB);
	CHECK(r && p_pga_owns(r));
	p_pga_free(r);
	free(before);
	printf("dlopen: %d threads x %d allocations, %ld failures\n", THREADS, ROUNDS,
	       atomic_load(&failures));
	return atomic_load(&failures) ? 1 : 0;
}
