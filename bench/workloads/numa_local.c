/* SPDX-License-Identifier: MIT */
/*
 * numa_local.c - how local an allocator keeps memory on a NUMA machine,
 * as the kernel sees it. One thread per node, pinned to a CPU of it, keeps
 * a working set of objects (64 B to 64 KiB, a few up to 1 MiB) that it
 * writes; every round each thread hands a quarter of its objects to the
 * thread of the next node (producer/consumer across nodes), which reads
 * and frees them, and replaces them with new ones of its own. At the end
 * every page of every live object is looked up with move_pages: the share
 * on the node of the thread that owns (allocated and uses) the object is
 * the headline figure.
 *
 * Plain malloc and free: whichever allocator serves the process is
 * measured (LD_PRELOAD). With one node it still runs (the share is then
 * 100% for everyone).
 *
 *   wl-numa-local [objects per thread] [rounds]     (default 4000 30)
 *
 *   RESULT numa-local local_pages <percent> %
 *   RESULT numa-local time <seconds> s
 *   RESULT numa-local operations <N> ops
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_NODES 16

/* splitmix64: seeded per thread, so that a run repeats. (Not wl.h: this
 * workload takes no standard options.) */
struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static bool chance(struct rng *r, unsigned pct)
{
	return rng_next(r) % 100 < pct;
}

/* Log-uniform in [lo, hi]. */
static size_t logsize(struct rng *r, size_t lo, size_t hi)
{
	unsigned bits = 0;
	while ((lo << (bits + 1)) <= hi)
		bits++;
	size_t base = lo << (rng_next(r) % (bits + 1));
	size_t v = base + rng_next(r) % base;
	return v < hi ? v : hi;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct obj {
	size_t size;
	unsigned char fill;
};

struct node_thread {
	int node, cpu;
	pthread_t th;
	void **ws;    /* the working set */
	void **inbox; /* objects handed over by the previous node */
	size_t inbox_n;
	pthread_mutex_t lock; /* guards inbox */
	uint64_t ops;
	long pages, local;
} __attribute__((aligned(128)));

static struct node_thread nt[MAX_NODES];
static int nr_nodes;
static size_t nr_objs = 4000;
static int rounds = 30;
static pthread_barrier_t barrier;

static size_t obj_size(struct rng *r)
{
	return chance(r, 1) ? logsize(r, 65536, 1 << 20) : logsize(r, 64, 65536);
}

/* A new object: size and fill in its first bytes, every page written. */
static void *obj_new(struct rng *r)
{
	size_t size = obj_size(r);
	unsigned char *p = malloc(size);

	if (!p) {
		fprintf(stderr, "numa-local: out of memory\n");
		exit(1);
	}
	struct obj h = {size, (unsigned char)rng_next(r)};
	for (size_t off = sizeof(h); off < size; off += 4096)
		p[off] = h.fill;
	p[size - 1] = h.fill;
	memcpy(p, &h, sizeof(h));
	return p;
}

/* Read it back (the consumer's use), then free it. */
static void obj_free(void *v)
{
	unsigned char *p = v;
	struct obj h;

	memcpy(&h, p, sizeof(h));
	if (p[h.size - 1] != h.fill) {
		fprintf(stderr, "numa-local: object %p corrupted\n", v);
		exit(1);
	}
	free(p);
}

static int kernel_node(void *p)
{
	void *page = (void *)((uintptr_t)p & ~(uintptr_t)4095);
	int status = -1;

	if (syscall(SYS_move_pages, 0, 1UL, &page, NULL, &status, 0) != 0)
		return -1;
	return status;
}

static void *run(void *arg)
{
	struct node_thread *me = arg;
	struct node_thread *next = &nt[(me->node + 1) % nr_nodes];
	struct rng r = {0};
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(me->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	r.s = 42 + 1000003 * (uint64_t)me->node;
	for (size_t i = 0; i < nr_objs; i++)
		me->ws[i] = obj_new(&r);
	pthread_barrier_wait(&barrier);
	for (int round = 0; round < rounds; round++) {
		/* Produce: a quarter of the working set goes to the next node. */
		void **out = malloc(nr_objs / 4 * sizeof(*out));
		size_t n = 0;
		for (size_t i = 0; i < nr_objs && n < nr_objs / 4; i++) {
			if (!chance(&r, 25))
				continue;
			out[n++] = me->ws[i];
			me->ws[i] = obj_new(&r);
			me->ops++;
		}
		pthread_mutex_lock(&next->lock);
		memcpy(next->inbox + next->inbox_n, out, n * sizeof(*out));
		next->inbox_n += n;
		pthread_mutex_unlock(&next->lock);
		free(out);
		pthread_barrier_wait(&barrier);
		/* Consume: read and free what the previous node sent. */
		pthread_mutex_lock(&me->lock);
		for (size_t i = 0; i < me->inbox_n; i++)
			obj_free(me->inbox[i]);
		me->inbox_n = 0;
		pthread_mutex_unlock(&me->lock);
		pthread_barrier_wait(&barrier);
	}
	/* Where the working set lies. */
	for (size_t i = 0; i < nr_objs; i++) {
		unsigned char *p = me->ws[i];
		struct obj h;
		memcpy(&h, p, sizeof(h));
		for (size_t off = 0; off < h.size; off += 4096) {
			me->pages++;
			me->local += kernel_node(p + off) == me->node;
		}
	}
	pthread_barrier_wait(&barrier);
	for (size_t i = 0; i < nr_objs; i++)
		obj_free(me->ws[i]);
	return NULL;
}

int main(int argc, char **argv)
{
	char path[96], buf[256];

	if (argc > 1)
		nr_objs = (size_t)atol(argv[1]);
	if (argc > 2)
		rounds = atoi(argv[2]);
	for (int n = 0; n < MAX_NODES; n++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", n);
		FILE *f = fopen(path, "r");
		if (!f)
			break;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		nt[n].node = n;
		nt[n].cpu = atoi(buf);
		nr_nodes = n + 1;
	}
	if (nr_nodes == 0) {
		nr_nodes = 1;
		nt[0].cpu = 0;
	}
	printf("# numa-local: %d nodes, %zu objects per thread, %d rounds\n", nr_nodes, nr_objs,
	       rounds);
	pthread_barrier_init(&barrier, NULL, (unsigned)nr_nodes);
	for (int n = 0; n < nr_nodes; n++) {
		nt[n].ws = calloc(nr_objs, sizeof(void *));
		nt[n].inbox = calloc(nr_objs, sizeof(void *));
		pthread_mutex_init(&nt[n].lock, NULL);
	}
	double t0 = now_s();
	for (int n = 0; n < nr_nodes; n++)
		pthread_create(&nt[n].th, NULL, run, &nt[n]);
	long pages = 0, local = 0;
	uint64_t ops = 0;
	for (int n = 0; n < nr_nodes; n++) {
		pthread_join(nt[n].th, NULL);
		pages += nt[n].pages;
		local += nt[n].local;
		ops += nt[n].ops + nr_objs;
		printf("# node %d: %ld of %ld pages local\n", n, nt[n].local, nt[n].pages);
	}
	double t = now_s() - t0;
	printf("RESULT numa-local local_pages %.2f %%\n",
	       pages ? 100.0 * (double)local / (double)pages : 0.0);
	printf("RESULT numa-local time %.3f s\n", t);
	printf("RESULT numa-local operations %llu ops\n", (unsigned long long)ops);
	return 0;
}
