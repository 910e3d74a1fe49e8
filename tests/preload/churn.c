/* SPDX-License-Identifier: MIT */
/*
 * churn.c - 10,000 threads created and exited in waves of WAVE, under
 * LD_PRELOAD of the shipped libpgalloc.so (run_preloaded.sh), where the C
 * library's own thread machinery allocates through pgalloc too (the TLS
 * blocks of dlopen'ed modules, pthread key data, stdio buffers). Each thread
 * allocates on every path, frees most of it, writes a line to a stream of its
 * own, and leaves a few blocks for the main thread to free after it exited.
 *
 * Asserted on pgalloc's own books (pga_mallinfo, looked up in the process):
 * once the first WARM threads have come and gone, and after malloc_trim(0)
 * each time, the bytes allocated and the huge blocks do not grow with the
 * threads that follow: a thread's state and caches all come back at its
 * exit, or are parked for the next thread, whose number is fixed.
 *
 * And on RSS, with a bound argued: after the warm-up, pgalloc's thread
 * states come from pools that are recycled (never more than WAVE + 1 are
 * mapped), the slab layer parks a fixed number of exited states, and the C
 * library reuses the stacks of exited threads from its cache; so RSS after
 * 10,000 threads may exceed RSS after WARM by noise only. RSS_SLACK is 16
 * MiB: a leak of 2 KiB per thread (a page per two threads) already passes it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "statm.h"

#define KIB 1024ul
#define MIB (1024ul * KIB)

#define THREADS   10000
#define WAVE      4
#define WARM      100
#define OBJECTS   200
#define LEFT      2
#define RSS_SLACK (16 * MIB)

struct pga_mallinfo {
	size_t arena, ordblks, hblks, hblkhd, uordblks, fordblks, keepcost;
};
static void (*p_mallinfo)(struct pga_mallinfo *);

static _Atomic long failures;

static void fail(const char *what, long v)
{
	fprintf(stderr, "churn: FAIL: %s %ld\n", what, v);
	atomic_fetch_add(&failures, 1);
}

static void on_alarm(int sig)
{
	static const char msg[] = "churn: FAIL: hang: the test ran past its alarm\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

struct job {
	pthread_t th;
	unsigned seed;
	void *left[LEFT];
};

static size_t pick(unsigned *s, int i)
{
	*s = *s * 1103515245u + 12345u;
	if (i == 0)
		return 5 * MIB; /* one huge block per thread */
	if (i % 50 == 1)
		return 64 * KIB + (*s >> 8) % (512 * KIB); /* page runs */
	return 1 + (*s >> 8) % 3000;
}

static void *worker(void *arg)
{
	struct job *j = arg;
	void *held[OBJECTS];
	size_t size[OBJECTS];
	char line[64];

	for (int i = 0; i < OBJECTS; i++) {
		size[i] = pick(&j->seed, i);
		held[i] = malloc(size[i]);
		if (!held[i]) {
			fail("malloc failed, size", (long)size[i]);
			continue;
		}
		memset(held[i], (int)i, size[i] < 256 ? size[i] : 256);
	}
	for (int i = 0; i < OBJECTS; i++) {
		if (!held[i])
			continue;
		if (((unsigned char *)held[i])[0] != (unsigned char)i)
			fail("a block's content changed, size", (long)size[i]);
		if (i < LEFT)
			j->left[i] = held[i];
		else
			free(held[i]);
	}
	/* A stream: its buffer is the C library's request to pgalloc. */
	FILE *f = fopen("/dev/null", "w");
	if (f) {
		snprintf(line, sizeof(line), "thread %u", j->seed);
		fputs(line, f);
		fclose(f);
	}
	return NULL;
}

/* Bytes allocated and huge blocks, after giving back what can be. */
static void books(struct pga_mallinfo *mi)
{
	malloc_trim(0);
	p_mallinfo(mi);
}

int main(void)
{
	static struct job jobs[WAVE];
	struct pga_mallinfo warm = {0}, end;
	size_t rss_warm = 0;

	signal(SIGALRM, on_alarm);
	alarm(150);
	p_mallinfo = (void (*)(struct pga_mallinfo *))dlsym(RTLD_DEFAULT, "pga_mallinfo");
	if (!p_mallinfo) {
		printf("FAIL: libpgalloc.so is not preloaded\n");
		return 1;
	}
	for (int done = 0; done < THREADS; done += WAVE) {
		for (int k = 0; k < WAVE; k++) {
			jobs[k].seed = (unsigned)(done + k) * 2654435761u + 1;
			if (pthread_create(&jobs[k].th, NULL, worker, &jobs[k]) != 0) {
				fail("pthread_create failed after threads", done + k);
				return 1;
			}
		}
		for (int k = 0; k < WAVE; k++) {
			pthread_join(jobs[k].th, NULL);
			/* Freed by another thread than the one that allocated. */
			for (int l = 0; l < LEFT; l++)
				free(jobs[k].left[l]);
		}
		if (done + WAVE == WARM) {
			books(&warm);
			rss_warm = t_rss_bytes();
		}
	}
	books(&end);
	size_t rss_end = t_rss_bytes();
	printf("churn: %d threads in waves of %d; allocated after %d: %zu bytes, at the end: %zu "
	       "bytes; huge blocks %zu, %zu; rss %zu KiB, %zu KiB\n",
	       THREADS, WAVE, WARM, warm.uordblks, end.uordblks, warm.hblks, end.hblks,
	       rss_warm >> 10, rss_end >> 10);
	/* The books: what the threads took came back (a little slack for the
	 * main thread's own caches and stdio). */
	if (end.uordblks > warm.uordblks + 256 * KIB)
		fail("bytes allocated grew with the threads, by",
		     (long)(end.uordblks - warm.uordblks));
	if (end.hblks > warm.hblks)
		fail("huge blocks left behind:", (long)(end.hblks - warm.hblks));
	if (rss_warm && rss_end > rss_warm + RSS_SLACK)
		fail("RSS grew with the threads, KiB:", (long)((rss_end - rss_warm) >> 10));
	return atomic_load(&failures) ? 1 : 0;
}
