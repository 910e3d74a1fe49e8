/* SPDX-License-Identifier: MIT */
/*
 * numa_guest.c - placement checked by the kernel, on a machine with real
 * NUMA nodes (scripts/numa-vm boots one in QEMU and runs this inside it).
 * Linked with libpgalloc.so, so that malloc is pgalloc's.
 *
 *   numa_guest all          every policy set with pga_set_mempolicy and
 *                           with set_mempolicy(2) (the shim's), threads
 *                           pinned to each node, pga_malloc_node, memory
 *                           freed on one node and reused on another
 *   numa_guest expect MODE  the policy the process was started with
 *                           (numactl): MODE is local, bind=N, preferred=N
 *                           or interleave; run under numactl
 *
 * For each case, every page of every allocation checked is touched and
 * the kernel says where it lies (move_pages in query mode); the case
 * passes when 100% of them are on the node the kernel's own policy would
 * have chosen, and pgalloc's books (pga_page_node) agree. One line per
 * case: "numa: PASS|FAIL <case>: <pages> pages, <n> off node". Exit 0
 * when every case passed, 1 otherwise, 77 with fewer than two nodes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pgalloc.h"

/* The shim's set_mempolicy (numaif.h's prototype). */
long set_mempolicy(int mode, const unsigned long *nodemask, unsigned long maxnode);

static int failures;
static int nr_nodes;   /* real nodes, from sysfs */
static int cpu_of[64]; /* a CPU of each node */
static int numa_fake;  /* PGALLOC_CONF numa_fake, 0 without */

/* The kernel node of the page at p, after touching it. */
static int kernel_node(void *p)
{
	void *page = (void *)((uintptr_t)p & ~(uintptr_t)4095);
	int status = -1;

	*(volatile char *)p = *(volatile char *)p + 1;
	if (syscall(SYS_move_pages, 0, 1UL, &page, NULL, &status, 0) != 0)
		return -errno;
	return status;
}

/* The real node a pgalloc node sits on (numa_fake: f * R / N). */
static int real_of(int nid)
{
	return numa_fake ? nid * nr_nodes / numa_fake : nid;
}

struct tally {
	const char *name;
	long pages, off, books;
	int per_node[64];
};

/* Check [p, p + size): every page on a node of allowed (a mask of real
 * nodes), and pgalloc's node of p on the same real node. */
static void check_block(struct tally *t, void *p, size_t size, unsigned long allowed)
{
	char *c = p;

	if (!p) {
		t->off++;
		return;
	}
	int books = pga_page_node(p);
	for (size_t off = 0; off < size; off += 4096) {
		int kn = kernel_node(c + off);
		t->pages++;
		if (kn < 0 || kn >= 64 || !((allowed >> kn) & 1))
			t->off++;
		else
			t->per_node[kn]++;
		if (off == 0 && (books < 0 || real_of(books) != kn))
			t->books++;
	}
	if (size % 4096 && size > 4096)
		(void)kernel_node(c + size - 1);
}

static void report(struct tally *t)
{
	bool ok = t->pages > 0 && t->off == 0 && t->books == 0;

	printf("numa: %s %s: %ld pages, %ld off node, %ld disagreeing with pga_page_node;",
	       ok ? "PASS" : "FAIL", t->name, t->pages, t->off, t->books);
	for (int n = 0; n < nr_nodes; n++)
		printf(" node%d %d", n, t->per_node[n]);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

/* Small objects, large runs, a huge block and pages, all expected on the
 * real nodes of allowed; freed at the end. */
static void check_allocations(struct tally *t, unsigned long allowed)
{
	static const size_t sizes[] = {16, 64, 1000, 4096, 20000, 40000, 200000, 1 << 20};
	void *v[64];

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		int n = sizes[s] <= 4096 ? 64 : 8;
		for (int i = 0; i < n; i++) {
			v[i] = malloc(sizes[s]);
			memset(v[i], 0x5a, sizes[s]);
			check_block(t, v[i], sizes[s], allowed);
		}
		for (int i = 0; i < n; i++)
			free(v[i]);
	}
	for (unsigned order = 0; order <= 6; order += 3) {
		for (int i = 0; i < 8; i++) {
			v[i] = pga_alloc_pages(0, order);
			check_block(t, v[i], 4096UL << order, allowed);
		}
		for (int i = 0; i < 8; i++)
			pga_free_pages(v[i], order);
	}
}

/* A huge block is the kernel's to place, under the kernel's policy. */
static void check_huge(struct tally *t, unsigned long allowed)
{
	size_t size = 6 << 20;
	char *h = malloc(size);

	memset(h, 1, size);
	for (size_t off = 0; off < size; off += 4096) {
		int kn = kernel_node(h + off);
		t->pages++;
		if (kn < 0 || !((allowed >> kn) & 1))
			t->off++;
		else
			t->per_node[kn]++;
	}
	free(h);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		perror("sched_setaffinity");
		exit(1);
	}
}

static unsigned long all_nodes(void)
{
	return nr_nodes >= 64 ? ~0UL : (1UL << nr_nodes) - 1;
}

/* Policies of pga_set_mempolicy, from a thread on node 0. */
static void case_policies(void)
{
	char name[64];

	pin(cpu_of[0]);
	for (int n = 0; n < nr_nodes; n++) {
		unsigned long m = 1UL << n;
		struct tally t = {0};
		snprintf(name, sizeof(name), "pga_set_mempolicy bind %d", n);
		t.name = name;
		pga_set_mempolicy(PGA_MPOL_BIND, &m, 65);
		check_allocations(&t, m);
		check_huge(&t, m);
		report(&t);

		struct tally p = {0};
		snprintf(name, sizeof(name), "pga_set_mempolicy preferred %d", n);
		p.name = name;
		pga_set_mempolicy(PGA_MPOL_PREFERRED, &m, 65);
		check_allocations(&p, m);
		check_huge(&p, m);
		report(&p);
	}
	unsigned long all = all_nodes();
	struct tally il = {.name = "pga_set_mempolicy interleave all"};
	pga_set_mempolicy(PGA_MPOL_INTERLEAVE, &all, 65);
	check_allocations(&il, all);
	report(&il);
	/* Interleave spreads: every node got a share. */
	for (int n = 0; n < nr_nodes; n++)
		if (il.per_node[n] * nr_nodes * 2 < il.pages / 2) {
			printf("numa: FAIL interleave: node %d got %d of %ld pages\n", n,
			       il.per_node[n], il.pages);
			failures++;
		}

	unsigned long far = 1UL << (nr_nodes - 1);
	struct tally pm = {.name = "pga_set_mempolicy preferred-many last node"};
	pga_set_mempolicy(PGA_MPOL_PREFERRED_MANY, &far, 65);
	check_allocations(&pm, far);
	report(&pm);

	struct tally lo = {.name = "pga_set_mempolicy local (node 0)"};
	pga_set_mempolicy(PGA_MPOL_LOCAL, NULL, 0);
	check_allocations(&lo, 1UL);
	check_huge(&lo, 1UL);
	report(&lo);

	/* The program's own set_mempolicy(2), through the shim. */
	struct tally sm = {.name = "set_mempolicy(2) bind last node"};
	if (set_mempolicy(PGA_MPOL_BIND, &far, 65) != 0) {
		perror("set_mempolicy");
		failures++;
	}
	check_allocations(&sm, far);
	check_huge(&sm, far);
	report(&sm);
	set_mempolicy(PGA_MPOL_DEFAULT, NULL, 0);
}

/* Threads pinned to each node, default policy: local. */
static void *local_thread(void *arg)
{
	int n = (int)(intptr_t)arg;
	char name[64];
	struct tally t = {0};

	pin(cpu_of[n]);
	snprintf(name, sizeof(name), "thread on node %d, default policy", n);
	t.name = name;
	check_allocations(&t, 1UL << n);
	check_huge(&t, 1UL << n);
	report(&t);
	return NULL;
}

static void case_threads(void)
{
	for (int n = 0; n < nr_nodes; n++) {
		pthread_t th;
		pthread_create(&th, NULL, local_thread, (void *)(intptr_t)n);
		pthread_join(th, NULL);
	}
}

/* pga_malloc_node on every node, small and large. */
static void case_malloc_node(void)
{
	int nodes = pga_num_nodes();

	pin(cpu_of[0]);
	for (int n = 0; n < nodes; n++) {
		char name[64];
		struct tally t = {0};
		static const size_t sizes[] = {32, 512, 8192, 30000, 100000, 2 << 20};
		void *v[64];
		snprintf(name, sizeof(name), "pga_malloc_node node %d", n);
		t.name = name;
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			int k = sizes[s] <= 8192 ? 64 : 4;
			for (int i = 0; i < k; i++) {
				v[i] = pga_malloc_node(sizes[s], n);
				memset(v[i], 3, sizes[s]);
				check_block(&t, v[i], sizes[s], 1UL << real_of(n));
			}
			for (int i = 0; i < k; i++)
				free(v[i]);
		}
		void *p = pga_alloc_pages_node(n, PGA_GFP_THISNODE, 2);
		check_block(&t, p, 4 * 4096, 1UL << real_of(n));
		pga_free_pages(p, 2);
		report(&t);
	}
}

/* Allocated on node 0, freed by a thread on the last node, then that
 * thread's allocations: on its own node, not the freed node-0 memory. */
#define NR_SHARED 2000
static void *shared[NR_SHARED];

static void *free_far(void *arg)
{
	struct tally t = {.name = "freed on the last node, reused there"};

	(void)arg;
	pin(cpu_of[nr_nodes - 1]);
	for (int i = 0; i < NR_SHARED; i++)
		free(shared[i]);
	for (int i = 0; i < NR_SHARED; i++) {
		shared[i] = malloc(i % 20 ? 64 : 50000);
		memset(shared[i], 2, i % 20 ? 64 : 50000);
		check_block(&t, shared[i], i % 20 ? 64 : 50000, 1UL << (nr_nodes - 1));
	}
	report(&t);
	return NULL;
}

static void case_remote_free(void)
{
	struct tally t = {.name = "allocated on node 0, freed on the last node"};
	pthread_t th;

	pin(cpu_of[0]);
	for (int i = 0; i < NR_SHARED; i++) {
		shared[i] = malloc(i % 20 ? 64 : 50000);
		memset(shared[i], 1, i % 20 ? 64 : 50000);
		check_block(&t, shared[i], i % 20 ? 64 : 50000, 1UL);
	}
	report(&t);
	pthread_create(&th, NULL, free_far, NULL);
	pthread_join(th, NULL);
	for (int i = 0; i < NR_SHARED; i++)
		free(shared[i]);
	/* And node 0 reuses what came back, on node 0. */
	struct tally back = {.name = "node 0 after the far frees"};
	check_allocations(&back, 1UL);
	report(&back);
}

/* Under numactl: the policy the process started with. */
static void case_expect(const char *mode)
{
	struct tally t = {0};
	char name[96];
	unsigned long allowed;
	int n;

	snprintf(name, sizeof(name), "started under %s", mode);
	t.name = name;
	if (strcmp(mode, "local") == 0) {
		allowed = 1UL << pga_local_node();
	} else if (sscanf(mode, "bind=%d", &n) == 1 || sscanf(mode, "preferred=%d", &n) == 1) {
		allowed = 1UL << n;
	} else if (strcmp(mode, "interleave") == 0) {
		allowed = all_nodes();
	} else {
		fprintf(stderr, "numa_guest: unknown mode %s\n", mode);
		exit(2);
	}
	check_allocations(&t, allowed);
	check_huge(&t, allowed);
	if (strcmp(mode, "interleave") == 0)
		for (int k = 0; k < nr_nodes; k++)
			if (t.per_node[k] * nr_nodes * 4 < t.pages) {
				printf("numa: FAIL interleave: node %d got %d of %ld pages\n", k,
				       t.per_node[k], t.pages);
				failures++;
			}
	report(&t);
}

/* The real nodes and a CPU of each, from sysfs. */
static void read_topology(void)
{
	char path[96], buf[256];

	for (int n = 0; n < 64; n++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", n);
		FILE *f = fopen(path, "r");
		if (!f)
			break;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		cpu_of[n] = atoi(buf);
		nr_nodes = n + 1;
	}
	const char *conf = getenv("PGALLOC_CONF");
	const char *fake = conf ? strstr(conf, "numa_fake=") : NULL;
	if (fake)
		numa_fake = atoi(fake + strlen("numa_fake="));
}

int main(int argc, char **argv)
{
	read_topology();
	if (nr_nodes < 2) {
		printf("SKIP: %d NUMA node(s): needs at least 2 (scripts/numa-vm)\n", nr_nodes);
		return 77;
	}
	if (argc == 3 && strcmp(argv[1], "expect") == 0) {
		case_expect(argv[2]);
	} else if (argc == 2 && strcmp(argv[1], "fake") == 0) {
		case_malloc_node();
	} else if (argc == 2 && strcmp(argv[1], "all") == 0) {
		case_policies();
		case_threads();
		case_malloc_node();
		case_remote_free();
	} else {
		fprintf(stderr, "usage: numa_guest all | fake | expect MODE\n");
		return 2;
	}
	return failures ? 1 : 0;
}
