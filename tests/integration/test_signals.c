/* SPDX-License-Identifier: MIT */
/*
 * test_signals.c - what pgalloc guarantees to signal handlers
 * (docs/signals.md), each promise tested:
 *
 *   handler_allocates  a handler may allocate and free, on every path and
 *                      across threads, when it interrupts its thread
 *                      outside pgalloc, while the other threads are inside
 *                      it (holding zone and slab locks, mid fast path);
 *   interrupted        signals that interrupt pgalloc calls, with handlers
 *                      that do not call it, change nothing: no failed
 *                      allocation, no corrupted block, every page back;
 *   fork_in_handler    a process with one thread may fork from a handler
 *                      that interrupted malloc or free (pgalloc takes no
 *                      lock in prepare then), and the child may _exit;
 *
 * and what it does not promise, not tested: a handler that calls malloc
 * or free while its own thread is inside malloc or free (malloc is
 * AS-unsafe, as glibc's is).
 *
 * Each case runs in a child that is killed after CASE_TIMEOUT_S, so that a
 * deadlock is a failure with the case's name.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/single_threaded.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "check.h"
#include "child.h"
#include "compiler.h"
#include "pattern.h"
#include "pgalloc.h"
#include "sanitizer.h"
#include "units.h"
#include "zones.h"

#define CASE_TIMEOUT_S 90
#define BUSY           3
#define SIGNALS        (T_TSAN ? 200 : 500)

static _Atomic bool stop;
static _Atomic long bad, busy_ops;

/* Sizes on every path: slab classes, page runs, a huge block. */
static const size_t sizes[] = {16, 100, 1000, 8000, 40 * KIB, 200 * KIB, 2 * MIB, 5 * MIB};

static void *busy_thread(void *arg)
{
	unsigned long long seed = (uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1;
	void *held[16] = {0};
	size_t held_size[16] = {0};

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned i = (unsigned)(t_rand(&seed) % 16);
		if (held[i]) {
			if (!t_verify(held[i], held_size[i] > 256 ? 256 : held_size[i],
			              (uintptr_t)held[i]))
				atomic_fetch_add(&bad, 1);
			pga_free(held[i]);
		}
		held_size[i] = sizes[t_rand(&seed) % PGA_ARRAY_SIZE(sizes)];
		held[i] = pga_malloc(held_size[i]);
		if (!held[i]) {
			atomic_fetch_add(&bad, 1);
			continue;
		}
		t_fill(held[i], held_size[i] > 256 ? 256 : held_size[i], (uintptr_t)held[i]);
		atomic_fetch_add_explicit(&busy_ops, 1, memory_order_relaxed);
	}
	for (unsigned i = 0; i < 16; i++)
		pga_free(held[i]);
	return NULL;
}

static void start_busy(pthread_t *th)
{
	for (int i = 0; i < BUSY; i++)
		REQUIRE(pthread_create(&th[i], NULL, busy_thread, (void *)(uintptr_t)(i + 1)) == 0);
}

static void stop_busy(pthread_t *th)
{
	atomic_store(&stop, true);
	for (int i = 0; i < BUSY; i++)
		REQUIRE(pthread_join(th[i], NULL) == 0);
}

/* Send sig to th n times, each after the previous one was handled. */
static void storm(pthread_t th, int sig, _Atomic long *handled, long n)
{
	for (long k = 0; k < n; k++) {
		long before = atomic_load(handled);
		REQUIRE(pthread_kill(th, sig) == 0);
		while (atomic_load(handled) == before)
			sched_yield();
	}
}

/* ------------------------------------------------------------------ */
/* A handler allocates, its thread interrupted outside pgalloc         */

static _Atomic long handled;
static _Atomic(void *) handed_over; /* a block the handler frees, from another thread */

static void allocating_handler(int sig)
{
	static unsigned long long seed = 42; /* only this handler, on one thread */
	int saved = errno;

	(void)sig;
	for (size_t s = 0; s < PGA_ARRAY_SIZE(sizes); s++) {
		size_t n = sizes[s] > 4096 ? 4096 : sizes[s];
		void *p = pga_malloc(sizes[s]);
		if (!p) {
			atomic_fetch_add(&bad, 1);
			continue;
		}
		t_fill(p, n, (uintptr_t)p ^ seed);
		if (!t_verify(p, n, (uintptr_t)p ^ seed))
			atomic_fetch_add(&bad, 1);
		/* Keep one for the main thread to free: a cross-thread free. */
		if (s == t_rand(&seed) % PGA_ARRAY_SIZE(sizes))
			p = atomic_exchange(&handed_over, p);
		pga_free(p);
	}
	errno = saved;
	atomic_fetch_add(&handled, 1);
}

static _Atomic bool target_stop;

/* The interrupted thread computes and never calls pgalloc itself. */
static void *target_thread(void *arg)
{
	volatile unsigned long x = 0;

	(void)arg;
	while (!atomic_load_explicit(&target_stop, memory_order_relaxed))
		x = x * 6364136223846793005ul + 1;
	return NULL;
}

static void case_handler_allocates(void)
{
	pthread_t busy[BUSY], target;
	struct sigaction sa = {.sa_handler = allocating_handler};

	sigemptyset(&sa.sa_mask);
	REQUIRE(sigaction(SIGUSR1, &sa, NULL) == 0);
	start_busy(busy);
	REQUIRE(pthread_create(&target, NULL, target_thread, NULL) == 0);
	/* Let the busy threads get inside pgalloc first. */
	while (atomic_load(&busy_ops) < 1000)
		sched_yield();
	for (long k = 0; k < SIGNALS; k += 100) {
		storm(target, SIGUSR1, &handled, 100);
		/* The main thread takes a block the handler allocated. */
		pga_free(atomic_exchange(&handed_over, NULL));
	}
	atomic_store(&target_stop, true);
	REQUIRE(pthread_join(target, NULL) == 0);
	stop_busy(busy);
	pga_free(atomic_exchange(&handed_over, NULL));
	printf("handler_allocates: %ld handlers ran, %ld operations in the busy threads\n",
	       atomic_load(&handled), atomic_load(&busy_ops));
	CHECK_EQ(atomic_load(&handled), SIGNALS);
	CHECK_EQ(atomic_load(&bad), 0);
	t_check_all_free("handler_allocates", (struct t_all_free){.trim = pga_malloc_trim});
}

/* ------------------------------------------------------------------ */
/* Signals interrupt pgalloc; the handlers do not call it              */

static _Atomic long interrupts;

static void counting_handler(int sig)
{
	(void)sig;
	atomic_fetch_add(&interrupts, 1);
}

static void case_interrupted(void)
{
	pthread_t busy[BUSY];
	/* No SA_RESTART: a system call inside pgalloc (a futex wait on a
	 * contended lock, mmap, madvise) sees EINTR where it can. */
	struct sigaction sa = {.sa_handler = counting_handler};

	sigemptyset(&sa.sa_mask);
	REQUIRE(sigaction(SIGUSR2, &sa, NULL) == 0);
	start_busy(busy);
	while (atomic_load(&busy_ops) < 1000)
		sched_yield();
	for (long k = 0; k < SIGNALS; k++)
		storm(busy[k % BUSY], SIGUSR2, &interrupts, 1);
	stop_busy(busy);
	printf("interrupted: %ld signals, %ld operations\n", atomic_load(&interrupts),
	       atomic_load(&busy_ops));
	CHECK_EQ(atomic_load(&interrupts), SIGNALS);
	CHECK_EQ(atomic_load(&bad), 0);
	t_check_all_free("interrupted", (struct t_all_free){.trim = pga_malloc_trim});
}

/* ------------------------------------------------------------------ */
/* fork from a handler, one thread                                     */

static _Atomic long forks, fork_bad;

static void forking_handler(int sig)
{
	int saved = errno, st = 0;
	pid_t pid;

	(void)sig;
	pid = fork();
	if (pid == 0)
		_exit(7);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
		atomic_fetch_add(&fork_bad, 1);
	atomic_fetch_add(&forks, 1);
	errno = saved;
}

static void case_fork_in_handler(void)
{
	struct sigaction sa = {.sa_handler = forking_handler};
	struct itimerval every = {.it_interval = {0, 2000}, .it_value = {0, 2000}};
	struct itimerval off = {0};
	unsigned long long seed = 7;
	long ops = 0;

	if (T_TSAN) {
		/* ThreadSanitizer defers a signal to its next safe point and
		 * has a thread of its own: no fork from inside malloc. */
		printf("fork_in_handler: not run under ThreadSanitizer (its runtime defers "
		       "signals and runs a thread of its own)\n");
		return;
	}
	pga_free(pga_malloc(1));
	/* background_reclaim=0, stats_live=0: no thread of pgalloc's either. */
	REQUIRE(__libc_single_threaded);
	sigemptyset(&sa.sa_mask);
	REQUIRE(sigaction(SIGALRM, &sa, NULL) == 0);
	REQUIRE(setitimer(ITIMER_REAL, &every, NULL) == 0);
	while (atomic_load(&forks) < 200) {
		size_t n = sizes[t_rand(&seed) % PGA_ARRAY_SIZE(sizes)];
		void *p = pga_malloc(n);
		if (!p) {
			atomic_fetch_add(&bad, 1);
			continue;
		}
		t_fill(p, n > 256 ? 256 : n, (uintptr_t)p);
		if (!t_verify(p, n > 256 ? 256 : n, (uintptr_t)p))
			atomic_fetch_add(&bad, 1);
		pga_free(p);
		ops++;
	}
	REQUIRE(setitimer(ITIMER_REAL, &off, NULL) == 0);
	printf("fork_in_handler: %ld forks from a handler, %ld allocations\n", atomic_load(&forks),
	       ops);
	CHECK_EQ(atomic_load(&fork_bad), 0);
	CHECK_EQ(atomic_load(&bad), 0);
	t_check_all_free("fork_in_handler", (struct t_all_free){.trim = pga_malloc_trim});
}

static void run_case(const char *name, const char *conf, void (*fn)(void))
{
	char what[96];

	snprintf(what, sizeof(what), "case '%s' (PGALLOC_CONF=%s)", name, conf ? conf : "");
	t_checks++;
	if (!t_child_passes(fn, (struct t_child_opts){.conf = conf, .timeout_s = CASE_TIMEOUT_S},
	                    what))
		t_failures++;
}

int main(void)
{
	unsetenv("PGALLOC_CONF");
	run_case("handler_allocates", NULL, case_handler_allocates);
	run_case("interrupted", NULL, case_interrupted);
	run_case("interrupted-membarrier-off", "membarrier=off", case_interrupted);
	run_case("fork_in_handler", "background_reclaim=0,stats_live=0", case_fork_in_handler);
	return t_done("test_signals");
}
