/* SPDX-License-Identifier: MIT */
/*
 * fork_stdio.c - fork storms against glibc's own locks. Several threads
 * fork in a loop (each child writes to a new stream, allocates and frees in
 * every size range, checks what it wrote and exits with 0) while other
 * threads call fflush(NULL), write to newly opened streams (fopen, fprintf,
 * fclose), popen and system, and others allocate and free on every path:
 * small objects, page runs of 64 KiB to 4 MiB, huge blocks past 4 MiB, and
 * frees by another thread than the one that allocated.
 *
 * What could go wrong: glibc's fork runs the atfork prepare handlers before
 * it takes its stdio list lock, and a thread inside fflush(NULL) holds that
 * lock while it allocates a stream buffer; were pgalloc's prepare to take
 * its own locks first, the forking thread and that thread would wait for
 * each other for ever (lib/page/fork.c). Also a child that inherits a lock
 * held by a thread that is gone, or a half-updated cache.
 *
 * Built twice (tests/preload/meson.build, tests/integration/meson.build):
 * as a plain program that calls malloc and runs under LD_PRELOAD of the
 * shipped libpgalloc.so (T_PRELOAD: there glibc's stdio allocates through
 * pgalloc), and linked with the static library, calling pga_malloc, so that
 * ThreadSanitizer (build-tsan) can run the same storm.
 *
 * A hang is a failure with a name: a watchdog thread, which neither
 * allocates nor uses stdio, reports the thread that stopped making progress
 * and what it was doing, and exits 1; every child is killed after
 * CHILD_TIMEOUT_S; alarm() is the last resort.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sanitizer.h"

#ifdef T_PRELOAD
#define ALLOC(n) malloc(n)
#define FREE(p)  free(p)
#else
#include "pgalloc.h"
#define ALLOC(n) pga_malloc(n)
#define FREE(p)  pga_free(p)
#endif

#define KIB 1024ul
#define MIB (1024ul * KIB)

#define FORKERS         3
#define STDIO_THREADS   3
#define ALLOC_THREADS   3
#define RUN_S           (T_TSAN ? 4 : 6)
#define CHILD_TIMEOUT_S (T_TSAN ? 60 : 20) /* a child under ThreadSanitizer takes seconds */
#define STALL_S         30                 /* a thread with no progress this long hangs */
#define ALARM_S         (RUN_S + STALL_S + CHILD_TIMEOUT_S + 30)

static char tmpdir[64];
static _Atomic bool stop;
static _Atomic long failures;
static _Atomic long nr_forks, nr_stdio, nr_allocs;

/* Progress and the stage of every thread, for the watchdog. */
enum { NR_THREADS = FORKERS + STDIO_THREADS + ALLOC_THREADS };
static struct {
	_Atomic long beats;
	_Atomic(const char *) stage;
} progress[NR_THREADS];

static void beat(int me, const char *stage)
{
	atomic_store_explicit(&progress[me].stage, stage, memory_order_relaxed);
	atomic_fetch_add_explicit(&progress[me].beats, 1, memory_order_relaxed);
}

/* write(2) only: the watchdog and the alarm handler may run while every
 * allocator and stdio lock is held. */
static void say(const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(2, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void say_num(long v)
{
	char buf[24];
	int i = (int)sizeof(buf) - 1;
	bool neg = v < 0;
	unsigned long u = neg ? (unsigned long)-v : (unsigned long)v;

	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u && i > 1);
	if (neg)
		buf[--i] = '-';
	say(buf + i);
}

static void fail(const char *what, long v)
{
	say("fork_stdio: FAIL: ");
	say(what);
	say(" ");
	say_num(v);
	say("\n");
	atomic_fetch_add(&failures, 1);
}

static void on_alarm(int sig)
{
	(void)sig;
	say("fork_stdio: FAIL: hang: the whole test ran past its alarm\n");
	_exit(1);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void fill(void *p, size_t n, uint64_t key)
{
	unsigned char *c = p;
	size_t step = n > 4096 ? 4093 : 1;

	for (size_t i = 0; i < n; i += step)
		c[i] = (unsigned char)(key + i);
	c[n - 1] = (unsigned char)(key ^ 0x5a);
}

static bool verify(const void *p, size_t n, uint64_t key)
{
	const unsigned char *c = p;
	size_t step = n > 4096 ? 4093 : 1;

	for (size_t i = 0; i < n - 1; i += step)
		if (c[i] != (unsigned char)(key + i))
			return false;
	return c[n - 1] == (unsigned char)(key ^ 0x5a);
}

/* A size on one of the paths: small, page run, huge. */
static size_t pick_size(uint64_t *s)
{
	switch (rnd(s) % 8) {
	case 0:
		return 64 * KIB + rnd(s) % (4 * MIB - 64 * KIB);
	case 1:
		return 4 * MIB + 1 + rnd(s) % (4 * MIB);
	case 2:
		return 4096 + rnd(s) % (60 * KIB);
	default:
		return 1 + rnd(s) % 1024;
	}
}

/* ---------------------------------------------------------------- child */

/* The child: write to a new stream, allocate and free on every path,
 * check the content; 0 when all was well. Only the forking thread runs. */
static int child_main(unsigned long long seed)
{
	static const size_t sizes[] = {1,        24,        200, 1000,    4000,    20000,
	                               64 * KIB, 300 * KIB, MIB, 4 * MIB, 5 * MIB, 9 * MIB};
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	void *held[N][3];
	char path[128];
	int bad = 0;

	/* The parent's handler reports the parent; here the default action
	 * ends the child, and the parent names the hang. */
	signal(SIGALRM, SIG_DFL);
	alarm(CHILD_TIMEOUT_S);
	snprintf(path, sizeof(path), "%s/child.%d", tmpdir, (int)getpid());
	FILE *f = fopen(path, "w");
	if (!f)
		return 10;
	for (int i = 0; i < 100; i++)
		fprintf(f, "child %d line %d\n", (int)getpid(), i);
	if (fclose(f) != 0)
		bad++;
	unlink(path);
	for (int round = 0; round < 2; round++) {
		for (int s = 0; s < N; s++)
			for (int k = 0; k < 3; k++) {
				held[s][k] = ALLOC(sizes[s]);
				if (!held[s][k]) {
					bad++;
					continue;
				}
				fill(held[s][k], sizes[s], seed + (uintptr_t)held[s][k]);
			}
		for (int s = 0; s < N; s++)
			for (int k = 0; k < 3; k++) {
				if (!held[s][k])
					continue;
				if (!verify(held[s][k], sizes[s], seed + (uintptr_t)held[s][k]))
					bad++;
				FREE(held[s][k]);
			}
	}
	/* stdout through the allocator for its buffer (unbuffered in the
	 * parent: nothing to write twice). */
	printf("%s", "");
	return bad ? 11 : 0;
}

/* -------------------------------------------------------------- threads */

static void *forker(void *arg)
{
	int me = (int)(intptr_t)arg;
	unsigned long long n = 0;

	while (!atomic_load(&stop)) {
		beat(me, "fork()");
		pid_t pid = fork();
		if (pid < 0) {
			if (errno == EAGAIN || errno == ENOMEM) {
				usleep(1000);
				continue;
			}
			fail("fork failed, errno", errno);
			break;
		}
		if (pid == 0) {
			int rc = child_main(n * FORKERS + (unsigned)me);
			/* Every stream flushed under the stdio list lock, then
			 * _exit: exit() would run the parent's atexit handlers
			 * (a leak checker's among them) in a child whose other
			 * threads vanished. The result is not the child's to
			 * judge: the streams are the other threads' copies (an
			 * unlinked file, a pipe), which may refuse a flush. */
			(void)fflush(NULL);
			_exit(rc);
		}
		beat(me, "waiting for a child");
		int st = 0;
		struct timespec t0, t;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (;;) {
			pid_t r = waitpid(pid, &st, WNOHANG);
			if (r == pid)
				break;
			if (r < 0 && errno != EINTR) {
				fail("waitpid failed, errno", errno);
				break;
			}
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec > CHILD_TIMEOUT_S + 5) {
				fail("hang: a child did not end, pid", pid);
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
				break;
			}
			usleep(200);
		}
		if (WIFSIGNALED(st))
			fail(WTERMSIG(st) == SIGALRM
			         ? "hang: a child timed out (in fork or its work), "
			           "signal"
			         : "a child died of signal",
			     WTERMSIG(st));
		else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fail("a child exited with status", WEXITSTATUS(st));
		atomic_fetch_add(&nr_forks, 1);
		n++;
	}
	beat(me, "done");
	return NULL;
}

static void *stdio_thread(void *arg)
{
	int me = (int)(intptr_t)arg;
	uint64_t seed = (uint64_t)me * 7919 + 1;
	char path[128], line[64];

	for (unsigned long i = 0; !atomic_load(&stop); i++) {
		beat(me, "fflush(NULL)");
		fflush(NULL);
		beat(me, "fopen, fprintf, fclose");
		snprintf(path, sizeof(path), "%s/s%d.%lu", tmpdir, me, i);
		FILE *f = fopen(path, "w");
		if (!f) {
			fail("fopen failed, errno", errno);
			break;
		}
		/* The buffer is allocated at the first write, under the
		 * stream's lock; fflush(NULL) elsewhere walks the list. */
		for (int k = 0; k < 50; k++)
			fprintf(f, "%d %lu %d %llu\n", me, i, k, (unsigned long long)rnd(&seed));
		fflush(NULL);
		if (fclose(f) != 0)
			fail("fclose failed, errno", errno);
		unlink(path);
		/* A stream that reallocates its buffer under its own lock, which
		 * fflush(NULL) waits for while it holds the list lock: a memory
		 * stream grown to page-run and huge sizes, read back with getline
		 * (whose buffer grows the same way). */
		beat(me, "open_memstream, getline");
		char *mem = NULL;
		size_t mem_len = 0;
		FILE *m = open_memstream(&mem, &mem_len);
		if (!m) {
			fail("open_memstream failed, errno", errno);
			break;
		}
		size_t want = 64 * KIB + rnd(&seed) % (6 * MIB);
		for (size_t k = 0; k < want; k += sizeof(line) - 1) {
			memset(line, 'a' + (int)(k % 26), sizeof(line) - 1);
			line[sizeof(line) - 1] = 0;
			fputs(line, m);
		}
		fputc('\n', m);
		if (fclose(m) != 0 || !mem) {
			fail("memstream fclose failed, errno", errno);
			break;
		}
		FILE *r = fmemopen(mem, mem_len, "r");
		if (r) {
			char *got = NULL;
			size_t cap = 0;
			ssize_t n = getline(&got, &cap, r);
			if (n != (ssize_t)mem_len)
				fail("getline read the wrong length", (long)n);
			free(got); /* getline's: the C library's allocator */
			fclose(r);
		}
		free(mem); /* open_memstream's: the C library's allocator */
		if (i % 16 == 0) {
			beat(me, "popen");
			FILE *p = popen("echo pgalloc", "r");
			if (!p) {
				fail("popen failed, errno", errno);
			} else {
				if (!fgets(line, sizeof(line), p) || strcmp(line, "pgalloc\n") != 0)
					fail("popen read the wrong line, thread", me);
				int st = pclose(p);
				if (st != 0)
					fail("pclose status", st);
			}
		}
		if (i % 32 == 5) {
			beat(me, "system");
			int st = system("exit 3");
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 3)
				fail("system() status", st);
		}
		atomic_fetch_add(&nr_stdio, 1);
	}
	beat(me, "done");
	return NULL;
}

/* Objects passed between the allocating threads, freed by whoever takes
 * them out. */
#define SLOTS 32
static _Atomic(void *) slots[SLOTS];

static void *alloc_thread(void *arg)
{
	int me = (int)(intptr_t)arg;
	uint64_t seed = (uint64_t)me * 104729 + 3;
	void *held[16] = {0};
	size_t size[16] = {0};

	while (!atomic_load(&stop)) {
		beat(me, "allocating");
		unsigned i = (unsigned)(rnd(&seed) % 16);
		if (held[i]) {
			if (!verify(held[i], size[i], (uintptr_t)held[i]))
				fail("an allocation's content changed, size", (long)size[i]);
			FREE(held[i]);
		}
		size[i] = pick_size(&seed);
		held[i] = ALLOC(size[i]);
		if (!held[i]) {
			fail("allocation failed, size", (long)size[i]);
			continue;
		}
		fill(held[i], size[i], (uintptr_t)held[i]);
		/* Cross-thread: a small object through a slot. */
		void *o = ALLOC(48 + rnd(&seed) % 200);
		if (o)
			FREE(atomic_exchange(&slots[rnd(&seed) % SLOTS], o));
		atomic_fetch_add(&nr_allocs, 1);
	}
	for (int i = 0; i < 16; i++)
		FREE(held[i]);
	beat(me, "done");
	return NULL;
}

/* Sleeps, reads counters, writes with write(2): never blocks on a lock
 * that the threads it watches may hold. */
static void *watchdog(void *arg)
{
	long last[NR_THREADS];
	int still[NR_THREADS] = {0};

	(void)arg;
	for (int i = 0; i < NR_THREADS; i++)
		last[i] = -1;
	for (;;) {
		sleep(1);
		for (int i = 0; i < NR_THREADS; i++) {
			long b = atomic_load(&progress[i].beats);
			const char *stage = atomic_load(&progress[i].stage);
			if (stage && strcmp(stage, "done") == 0)
				continue;
			still[i] = b == last[i] ? still[i] + 1 : 0;
			last[i] = b;
			if (still[i] >= STALL_S) {
				say("fork_stdio: FAIL: hang: thread ");
				say_num(i);
				say(" made no progress for ");
				say_num(STALL_S);
				say(" s in: ");
				say(stage ? stage : "(start)");
				say("\n");
				_exit(1);
			}
		}
	}
	return NULL;
}

int main(void)
{
	pthread_t th[NR_THREADS], dog;
	int n = 0;

#ifdef T_PRELOAD
	if (T_SANITIZED) {
		printf(
		    "SKIP: a sanitizer's runtime replaces malloc itself: libpgalloc.so cannot be "
		    "preloaded into this build\n");
		return 77;
	}
	/* The storm is about the shipped library: it must be the allocator. */
	if (!dlsym(RTLD_DEFAULT, "pga_malloc")) {
		printf("FAIL: libpgalloc.so is not preloaded (LD_PRELOAD=%s)\n",
		       getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "");
		return 1;
	}
#endif
	/* No buffered output for the children to inherit and write again. */
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGALRM, on_alarm);
	alarm(ALARM_S);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pga-fork-stdio.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		printf("FAIL: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	if (pthread_create(&dog, NULL, watchdog, NULL) != 0)
		return 1;
	for (int i = 0; i < FORKERS; i++, n++)
		if (pthread_create(&th[n], NULL, forker, (void *)(intptr_t)n) != 0)
			return 1;
	for (int i = 0; i < STDIO_THREADS; i++, n++)
		if (pthread_create(&th[n], NULL, stdio_thread, (void *)(intptr_t)n) != 0)
			return 1;
	for (int i = 0; i < ALLOC_THREADS; i++, n++)
		if (pthread_create(&th[n], NULL, alloc_thread, (void *)(intptr_t)n) != 0)
			return 1;
	sleep(RUN_S);
	atomic_store(&stop, true);
	for (int i = 0; i < NR_THREADS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < SLOTS; i++)
		FREE(atomic_exchange(&slots[i], NULL));
	rmdir(tmpdir);
	printf("fork_stdio: %ld forks, %ld stream rounds, %ld allocations, %ld failures\n",
	       atomic_load(&nr_forks), atomic_load(&nr_stdio), atomic_load(&nr_allocs),
	       atomic_load(&failures));
	/* Each kind of thread must have done its work, or the test proved
	 * nothing. */
	if (atomic_load(&nr_forks) < FORKERS || atomic_load(&nr_stdio) < STDIO_THREADS ||
	    atomic_load(&nr_allocs) < ALLOC_THREADS) {
		printf("FAIL: too little work was done\n");
		return 1;
	}
	return atomic_load(&failures) ? 1 : 0;
}
