/* SPDX-License-Identifier: MIT */
/*
 * test_mempolicy.c - the thread's memory policy on fake 2- and 4-node
 * topologies (CPU c on node c % N): every mode of pga_set_mempolicy places
 * small objects, large runs and pages on the nodes the kernel's rules
 * name; set_mempolicy's EINVAL cases; the static and relative flags
 * against the cpuset; bind failing with ENOMEM at its node's limit rather
 * than spilling, preferred spilling; interleave spreading evenly (counted
 * in numa_interleave); a thread that moves to another CPU following its
 * node; memory freed by a thread of another node not reused there;
 * pga_malloc_node for every node and size; the zones' mbind; and the NUMA
 * counters adding up.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "child.h"
#include "cpu.h"
#include "mmzone.h"
#include "pages.h"
#include "pgalloc.h"
#include "thread.h"
#include "zonelist.h"

#define LIMIT_MB    64
#define LIMIT_PAGES ((unsigned long)LIMIT_MB << (20 - PGA_PAGE_SHIFT))
#define NOWARN      PGA_GFP_NOWARN

static const size_t small_sizes[] = {16, 64, 200, 1024, 4096, 20000};
static const size_t large_sizes[] = {40000, 100000, 1 << 20};

static int set_policy(int mode, unsigned long mask)
{
	return pga_set_mempolicy(mode, mask ? &mask : NULL, mask ? 65 : 0);
}

/* Sum of one counter over a node's zones. */
struct node_counts {
	uint64_t pgalloc, hit, miss, foreign, interleave, local, other;
};

static struct node_counts node_counts(int nid)
{
	struct node_counts c = {0};
	struct pga_zone_stats st;

	for (int zt = 0; zt < PGA_NR_ZONES; zt++) {
		if (pga_zone_stats(nid, zt, &st) != 0)
			continue;
		c.pgalloc += st.pgalloc;
		c.hit += st.numa_hit;
		c.miss += st.numa_miss;
		c.foreign += st.numa_foreign;
		c.interleave += st.numa_interleave;
		c.local += st.numa_local;
		c.other += st.numa_other;
	}
	return c;
}

/* Allocate n objects of size with pga_malloc, all of them expected on a
 * node of allowed; returns how many were not, and frees them. */
static size_t small_off_nodes(size_t size, int n, unsigned long allowed, size_t *per_node)
{
	void **v = calloc((size_t)n, sizeof(*v));
	size_t wrong = 0;

	REQUIRE(v != NULL);
	for (int i = 0; i < n; i++) {
		v[i] = pga_malloc(size);
		REQUIRE(v[i] != NULL);
		memset(v[i], 1, size);
		int nid = pga_page_node(v[i]);
		if (nid < 0 || !((allowed >> nid) & 1))
			wrong++;
		else if (per_node)
			per_node[nid]++;
	}
	for (int i = 0; i < n; i++)
		pga_free(v[i]);
	free(v);
	return wrong;
}

/* Every size class kind and pages land on the nodes of allowed. */
static void check_placement(const char *what, unsigned long allowed)
{
	for (size_t i = 0; i < PGA_ARRAY_SIZE(small_sizes); i++) {
		size_t wrong = small_off_nodes(small_sizes[i], 300, allowed, NULL);
		CHECK_EQ(wrong, 0);
		if (wrong)
			fprintf(stderr, "%s: %zu of 300 objects of %zu bytes off nodes %#lx\n",
			        what, wrong, small_sizes[i], allowed);
	}
	for (size_t i = 0; i < PGA_ARRAY_SIZE(large_sizes); i++) {
		size_t wrong = small_off_nodes(large_sizes[i], 20, allowed, NULL);
		CHECK_EQ(wrong, 0);
		if (wrong)
			fprintf(stderr, "%s: %zu of 20 blocks of %zu bytes off nodes %#lx\n", what,
			        wrong, large_sizes[i], allowed);
	}
	for (unsigned order = 0; order < PGA_MAX_ORDER; order += 3) {
		for (int i = 0; i < 20; i++) {
			void *p = pga_alloc_pages(0, order);
			REQUIRE(p != NULL);
			int nid = pga_page_node(p);
			CHECK(nid >= 0 && ((allowed >> nid) & 1));
			pga_free_pages(p, order);
		}
	}
}

/* The first node of allowed in nid's fallback zonelist. */
static int nearest(int nid, unsigned long allowed)
{
	const struct pga_zonelist *zl = &pga_mem.nodes[nid].zonelists[PGA_ZONELIST_FALLBACK];

	for (int i = 0; i < zl->nr_zones; i++)
		if ((allowed >> zl->zones[i]->node) & 1)
			return zl->zones[i]->node;
	return -1;
}

/* set_mempolicy's argument checks, with EINVAL as the system call. */
static void case_einval(void)
{
	unsigned long m = 1, big[3] = {1, 0, 0};
	int mode = -1;

	REQUIRE(pga_num_nodes() == 4);
	const struct {
		int mode;
		unsigned long mask;
	} bad[] = {
	    {PGA_MPOL_DEFAULT, 1},                                                    /* mask */
	    {PGA_MPOL_LOCAL, 1},                                                      /* mask */
	    {PGA_MPOL_BIND, 0},                                                       /* empty */
	    {PGA_MPOL_INTERLEAVE, 0},                                                 /* empty */
	    {PGA_MPOL_PREFERRED_MANY, 0},                                             /* empty */
	    {6, 1},                                                                   /* mode */
	    {-1, 1},                                                                  /* mode */
	    {PGA_MPOL_BIND | PGA_MPOL_F_STATIC_NODES | PGA_MPOL_F_RELATIVE_NODES, 1}, /* flags */
	    {PGA_MPOL_PREFERRED | PGA_MPOL_F_STATIC_NODES, 0},                        /* flags */
	    {PGA_MPOL_BIND, 1UL << 10},       /* no such node */
	    {PGA_MPOL_INTERLEAVE, 1UL << 63}, /* no such node */
	};
	for (size_t i = 0; i < PGA_ARRAY_SIZE(bad); i++) {
		errno = 0;
		CHECK_EQ(set_policy(bad[i].mode, bad[i].mask), -1);
		CHECK_EQ(errno, EINVAL);
	}
	/* Bits past the nodes pgalloc can have. */
	big[2] = 1;
	errno = 0;
	CHECK_EQ(pga_set_mempolicy(PGA_MPOL_BIND, big, 3 * 64 + 1), -1);
	CHECK_EQ(errno, EINVAL);
	/* ... but not past maxnode: those are not read. */
	CHECK_EQ(pga_set_mempolicy(PGA_MPOL_BIND, big, 2 * 64 + 1), 0);
	errno = 0;
	CHECK_EQ(pga_set_mempolicy(PGA_MPOL_BIND, &m, 1UL << 20), -1);
	CHECK_EQ(errno, EINVAL);
	/* maxnode 1 reads no bit: an empty mask. */
	errno = 0;
	CHECK_EQ(pga_set_mempolicy(PGA_MPOL_BIND, &m, 1), -1);
	CHECK_EQ(errno, EINVAL);
	/* A failed call leaves the policy as it was. */
	CHECK_EQ(pga_get_mempolicy(&mode, &m, 65), 0);
	CHECK_EQ(mode, PGA_MPOL_BIND);
	CHECK_EQ(m, 1);
	/* Empty preferred is local; DEFAULT takes NULL. */
	CHECK_EQ(set_policy(PGA_MPOL_PREFERRED, 0), 0);
	CHECK_EQ(pga_get_mempolicy(&mode, NULL, 0), 0);
	CHECK_EQ(mode, PGA_MPOL_LOCAL);
	CHECK_EQ(set_policy(PGA_MPOL_DEFAULT, 0), 0);
	CHECK_EQ(pga_get_mempolicy(&mode, NULL, 0), 0);
	CHECK_EQ(mode, PGA_MPOL_DEFAULT);
	/* get_mempolicy's maxnode must cover the nodes. */
	errno = 0;
	CHECK_EQ(pga_get_mempolicy(&mode, &m, 3), -1);
	CHECK_EQ(errno, EINVAL);
}

/* Every mode on four nodes, from a thread on node 0 (CPU 0). */
static void case_modes(void)
{
	REQUIRE(t_pin_to_cpu(0));
	REQUIRE(pga_num_nodes() == 4);
	pga_free(pga_malloc(1)); /* the thread's state, on node 0 */
	CHECK_EQ(pga_local_node(), 0);

	CHECK_EQ(set_policy(PGA_MPOL_BIND, 1UL << 2), 0);
	check_placement("bind 2", 1UL << 2);
	CHECK_EQ(set_policy(PGA_MPOL_BIND, (1UL << 1) | (1UL << 3)), 0);
	check_placement("bind 1,3", 1UL << nearest(0, (1UL << 1) | (1UL << 3)));
	CHECK_EQ(set_policy(PGA_MPOL_PREFERRED, 1UL << 3), 0);
	check_placement("preferred 3", 1UL << 3);
	CHECK_EQ(set_policy(PGA_MPOL_PREFERRED_MANY, (1UL << 2) | (1UL << 3)), 0);
	check_placement("preferred-many 2,3", 1UL << nearest(0, (1UL << 2) | (1UL << 3)));
	CHECK_EQ(set_policy(PGA_MPOL_LOCAL, 0), 0);
	check_placement("local", 1UL << 0);
	CHECK_EQ(set_policy(PGA_MPOL_BIND, 1UL << 1), 0);
	check_placement("bind 1 again", 1UL << 1);
	CHECK_EQ(set_policy(PGA_MPOL_DEFAULT, 0), 0);
	check_placement("default", 1UL << 0);

	/* A thread started now takes the kernel's policy (the default here),
	 * not this thread's. */
	int mode = -1;
	CHECK_EQ(pga_get_mempolicy(&mode, NULL, 0), 0);
	CHECK_EQ(mode, PGA_MPOL_DEFAULT);
}

/* Interleave: round-robin over the mask, a node per page-allocator call;
 * small objects by slab; every allocation counted in numa_interleave. */
static void case_interleave(void)
{
	unsigned long all = 0xf;
	uint64_t before = 0, after = 0;
	size_t per_node[4] = {0};

	REQUIRE(t_pin_to_cpu(0));
	REQUIRE(pga_num_nodes() == 4);
	for (int n = 0; n < 4; n++)
		before += node_counts(n).interleave;
	CHECK_EQ(set_policy(PGA_MPOL_INTERLEAVE, all), 0);

	/* Pages: exactly even, in order. */
	struct pages got = {0};
	int last = -1;
	for (int i = 0; i < 400; i++) {
		void *p = pga_alloc_pages(0, 0);
		REQUIRE(p != NULL);
		int nid = pga_page_node(p);
		REQUIRE(nid >= 0 && nid < 4);
		per_node[nid]++;
		if (last >= 0)
			CHECK_EQ(nid, (last + 1) % 4);
		last = nid;
		pages_push(&got, p);
	}
	for (int n = 0; n < 4; n++)
		CHECK_EQ(per_node[n], 100);
	pages_free(&got);
	for (int n = 0; n < 4; n++)
		after += node_counts(n).interleave;
	CHECK(after - before >= 400);

	/* Large runs: one node each, even. */
	memset(per_node, 0, sizeof(per_node));
	void *v[200];
	for (int i = 0; i < 200; i++) {
		v[i] = pga_malloc(64 * 1024);
		REQUIRE(v[i] != NULL);
		per_node[pga_page_node(v[i])]++;
	}
	for (int n = 0; n < 4; n++)
		CHECK_EQ(per_node[n], 50);
	for (int i = 0; i < 200; i++)
		pga_free(v[i]);

	/* Small objects, by slab: 64 slabs of 1 KiB objects spread within one
	 * slab per node. */
	memset(per_node, 0, sizeof(per_node));
	CHECK_EQ(small_off_nodes(1024, 64 * 32, all, per_node), 0);
	for (int n = 0; n < 4; n++) {
		CHECK(per_node[n] >= 15 * 32 && per_node[n] <= 17 * 32);
		if (per_node[n] < 15 * 32 || per_node[n] > 17 * 32)
			fprintf(stderr, "interleave: node %d has %zu of %d objects\n", n,
			        per_node[n], 64 * 32);
	}

	/* Two nodes of four. */
	memset(per_node, 0, sizeof(per_node));
	CHECK_EQ(set_policy(PGA_MPOL_INTERLEAVE, (1UL << 1) | (1UL << 3)), 0);
	CHECK_EQ(small_off_nodes(100000, 100, (1UL << 1) | (1UL << 3), per_node), 0);
	CHECK_EQ(per_node[1], 50);
	CHECK_EQ(per_node[3], 50);
}

/* The flags against a cpuset of nodes 1 and 3. */
static void case_flags(void)
{
	int mode;
	unsigned long m;

	REQUIRE(pga_num_nodes() == 4);
	/* Plain: intersected with the cpuset; nothing left is EINVAL. */
	CHECK_EQ(set_policy(PGA_MPOL_BIND, 0x3), 0);
	check_placement("bind 0-1 in cpuset 1,3", 1UL << 1);
	errno = 0;
	CHECK_EQ(set_policy(PGA_MPOL_BIND, 1UL << 0), -1);
	CHECK_EQ(errno, EINVAL);
	/* Static: the same, and the mask kept as given. */
	CHECK_EQ(set_policy(PGA_MPOL_PREFERRED | PGA_MPOL_F_STATIC_NODES, 1UL << 3), 0);
	check_placement("preferred static 3", 1UL << 3);
	CHECK_EQ(pga_get_mempolicy(&mode, NULL, 0), 0);
	CHECK_EQ(mode, PGA_MPOL_PREFERRED | PGA_MPOL_F_STATIC_NODES);
	errno = 0;
	CHECK_EQ(set_policy(PGA_MPOL_BIND | PGA_MPOL_F_STATIC_NODES, 1UL << 2), -1);
	CHECK_EQ(errno, EINVAL);
	/* Relative: node i is the (i mod 2)-th node of the cpuset. */
	CHECK_EQ(set_policy(PGA_MPOL_BIND | PGA_MPOL_F_RELATIVE_NODES, 1UL << 0), 0);
	check_placement("bind relative 0", 1UL << 1);
	CHECK_EQ(pga_get_mempolicy(&mode, &m, 65), 0);
	CHECK_EQ(m, 1UL << 1);
	CHECK_EQ(set_policy(PGA_MPOL_BIND | PGA_MPOL_F_RELATIVE_NODES, 1UL << 1), 0);
	check_placement("bind relative 1", 1UL << 3);
	CHECK_EQ(set_policy(PGA_MPOL_PREFERRED | PGA_MPOL_F_RELATIVE_NODES, 1UL << 2), 0);
	check_placement("preferred relative 2", 1UL << 1);
	CHECK_EQ(set_policy(PGA_MPOL_INTERLEAVE | PGA_MPOL_F_RELATIVE_NODES, 0x3), 0);
	CHECK_EQ(pga_get_mempolicy(&mode, &m, 65), 0);
	CHECK_EQ(m, (1UL << 1) | (1UL << 3));
}

/* Bind to a node that reaches its limit: ENOMEM, never the other node.
 * Preferred to the same node spills instead, counted as misses. */
static void case_bind_limit(void)
{
	struct pages got = {0};
	void *p;

	REQUIRE(pga_num_nodes() == 2);
	CHECK_EQ(set_policy(PGA_MPOL_BIND, 1UL << 1), 0);
	uint64_t node0 = node_counts(0).pgalloc;
	errno = 0;
	while ((p = pga_alloc_pages(NOWARN, 4)) != NULL) {
		CHECK_EQ(pga_page_node(p), 1);
		pages_push(&got, p);
		REQUIRE(got.n <= LIMIT_PAGES / 16);
	}
	CHECK_EQ(errno, ENOMEM);
	CHECK(got.n >= LIMIT_PAGES / 16 * 9 / 10);
	/* Small and large requests fail too. */
	void **objs = calloc(LIMIT_PAGES, sizeof(*objs));
	size_t nobj = 0;
	REQUIRE(objs != NULL);
	errno = 0;
	while ((p = pga_malloc(8192)) != NULL) {
		CHECK_EQ(pga_page_node(p), 1);
		objs[nobj++] = p;
		REQUIRE(nobj < LIMIT_PAGES);
	}
	CHECK_EQ(errno, ENOMEM);
	errno = 0;
	CHECK(pga_malloc(100000) == NULL);
	CHECK_EQ(errno, ENOMEM);
	CHECK_EQ(node_counts(0).pgalloc, node0);

	/* Preferred: the same request spills to node 0, a miss each. */
	struct node_counts c0 = node_counts(0), c1 = node_counts(1);
	CHECK_EQ(set_policy(PGA_MPOL_PREFERRED, 1UL << 1), 0);
	for (int i = 0; i < 50; i++) {
		p = pga_malloc(100000);
		REQUIRE(p != NULL);
		CHECK_EQ(pga_page_node(p), 0);
		objs[nobj++] = p;
	}
	CHECK(node_counts(0).miss >= c0.miss + 50);
	CHECK(node_counts(1).foreign >= c1.foreign + 50);
	/* Preferred-many over node 1 alone spills too. */
	CHECK_EQ(set_policy(PGA_MPOL_PREFERRED_MANY, 1UL << 1), 0);
	p = pga_malloc(100000);
	REQUIRE(p != NULL);
	CHECK_EQ(pga_page_node(p), 0);
	objs[nobj++] = p;

	for (size_t i = 0; i < nobj; i++)
		pga_free(objs[i]);
	free(objs);
	for (size_t i = 0; i < got.n; i++)
		pga_free_pages(got.v[i], 4);
	free(got.v);
	/* Freed, node 1 serves its bound thread again. */
	CHECK_EQ(set_policy(PGA_MPOL_BIND, 1UL << 1), 0);
	check_placement("bind 1 after freeing", 1UL << 1);
}

struct mover {
	int from_cpu, to_cpu;
};

/* A thread that moves to another CPU follows its node under the default
 * policy: after the slow paths have seen the move, every new object,
 * block and page is on the new node. */
static void *move_thread(void *arg)
{
	const struct mover *m = arg;
	int from = m->from_cpu % 2, to = m->to_cpu % 2;

	REQUIRE(t_pin_to_cpu(m->from_cpu));
	check_placement("before the move", 1UL << from);
	REQUIRE(t_pin_to_cpu(m->to_cpu));
	/* The move is seen at the next slow path, which gives back the caches
	 * of the old node: at most the rest of each class's cpu slab and the
	 * pages on the thread's lists still come from there. Use them up. */
	static void *warm[2048];
	for (size_t s = 0; s < PGA_ARRAY_SIZE(small_sizes); s++) {
		int n = small_sizes[s] >= 4096 ? 64 : 2048;
		for (int i = 0; i < n; i++)
			warm[i] = pga_malloc(small_sizes[s]);
		for (int i = 0; i < n; i++)
			pga_free(warm[i]);
	}
	for (int i = 0; i < 256; i++)
		warm[i] = pga_alloc_pages(0, 0);
	for (int i = 0; i < 256; i++)
		pga_free_pages(warm[i], 0);
	CHECK_EQ(pga_local_node(), to);
	check_placement("after the move", 1UL << to);
	return NULL;
}

static void case_move(void)
{
	pthread_t th;
	struct mover there = {0, 1}, back = {1, 0};

	REQUIRE(pga_num_nodes() == 2);
	REQUIRE(pthread_create(&th, NULL, move_thread, &there) == 0);
	pthread_join(th, NULL);
	REQUIRE(pthread_create(&th, NULL, move_thread, &back) == 0);
	pthread_join(th, NULL);
}

/* Objects allocated on node 0 and freed by a thread on node 1: they go back
 * to their slabs, and the node-1 thread's next objects are its own
 * node's. */
static void **shared;
#define NR_SHARED 4096

static void *free_on_node1(void *arg)
{
	(void)arg;
	REQUIRE(t_pin_to_cpu(1));
	pga_free(pga_malloc(64));
	for (int i = 0; i < NR_SHARED; i++)
		pga_free(shared[i]);
	CHECK_EQ(small_off_nodes(64, NR_SHARED, 1UL << 1, NULL), 0);
	CHECK_EQ(small_off_nodes(100000, 20, 1UL << 1, NULL), 0);
	return NULL;
}

static void case_remote_free(void)
{
	pthread_t th;

	REQUIRE(pga_num_nodes() == 2);
	REQUIRE(t_pin_to_cpu(0));
	shared = calloc(NR_SHARED, sizeof(*shared));
	REQUIRE(shared != NULL);
	for (int i = 0; i < NR_SHARED; i++) {
		shared[i] = pga_malloc(i % 16 ? 64 : 40000 + (size_t)i);
		REQUIRE(shared[i] != NULL);
		CHECK_EQ(pga_page_node(shared[i]), 0);
	}
	REQUIRE(pthread_create(&th, NULL, free_on_node1, NULL) == 0);
	pthread_join(th, NULL);
	/* And node 0's thread reuses what came back, on node 0. */
	CHECK_EQ(small_off_nodes(64, NR_SHARED, 1UL << 0, NULL), 0);
	free(shared);
}

/* pga_malloc_node: every node, every kind of size, whatever the policy. */
static void case_malloc_node(void)
{
	REQUIRE(pga_num_nodes() == 4);
	REQUIRE(t_pin_to_cpu(0));
	CHECK_EQ(set_policy(PGA_MPOL_BIND, 1UL << 0), 0);
	for (int nid = 0; nid < 4; nid++) {
		void *v[600];
		int n = 0;
		for (size_t i = 0; i < PGA_ARRAY_SIZE(small_sizes); i++)
			for (int k = 0; k < 80; k++)
				v[n++] = pga_malloc_node(small_sizes[i], nid);
		for (size_t i = 0; i < PGA_ARRAY_SIZE(large_sizes); i++)
			for (int k = 0; k < 5; k++)
				v[n++] = pga_malloc_node(large_sizes[i], nid);
		for (int i = 0; i < n; i++) {
			REQUIRE(v[i] != NULL);
			CHECK_EQ(pga_page_node(v[i]), nid);
		}
		/* Freed by another thread's free, reused by this one. */
		for (int i = 0; i < n; i++)
			pga_free(v[i]);
	}
	/* A huge block: the kernel's node, on the one real node: node 0. */
	char *h = pga_malloc_node(8 << 20, 3);
	REQUIRE(h != NULL);
	memset(h, 1, 8 << 20);
	CHECK_EQ(pga_page_node(h), 0);
	pga_free(h);
	CHECK_EQ(pga_page_node((char *)&h), -1);
	errno = 0;
	CHECK(pga_malloc_node(64, 4) == NULL);
	CHECK_EQ(errno, EINVAL);
	/* The node caches go back with malloc_trim. */
	pga_malloc_trim(0);
}

/* Each zone's range is bound to the real node its node sits on, before
 * first touch: get_mempolicy(MPOL_F_ADDR) on it says preferred, node 0. */
static void case_mbind(void)
{
	int mode = -1;
	unsigned long mask[16] = {0};
	void *p = pga_alloc_pages(0, 0);

	REQUIRE(p != NULL);
	long rc = syscall(SYS_get_mempolicy, &mode, mask, 16 * 64 + 1, p, 2UL /* MPOL_F_ADDR */);
	if (rc != 0) {
		printf("SKIP: get_mempolicy: %s\n", strerror(errno));
		pga_free_pages(p, 0);
		return;
	}
	CHECK_EQ(mode, PGA_MPOL_PREFERRED);
	CHECK_EQ(mask[0], 1);
	pga_free_pages(p, 0);
}

/* The counters add up, after a mix of every policy: hit + miss = local +
 * other per node (each allocation counted once in each pair), misses and
 * foreigns balance over the nodes, interleave hits are hits. */
static void case_counters(void)
{
	struct node_counts c[4];
	uint64_t miss = 0, foreign = 0;

	REQUIRE(pga_num_nodes() == 4);
	REQUIRE(t_pin_to_cpu(0));
	CHECK_EQ(set_policy(PGA_MPOL_INTERLEAVE, 0xf), 0);
	check_placement("interleave", 0xf);
	CHECK_EQ(set_policy(PGA_MPOL_PREFERRED, 1UL << 2), 0);
	check_placement("preferred", 1UL << 2);
	CHECK_EQ(set_policy(PGA_MPOL_DEFAULT, 0), 0);
	check_placement("default", 1UL << 0);
	for (int n = 0; n < 4; n++) {
		c[n] = node_counts(n);
		CHECK_EQ(c[n].hit + c[n].miss, c[n].local + c[n].other);
		CHECK(c[n].interleave <= c[n].hit);
		CHECK(c[n].interleave > 0);
		miss += c[n].miss;
		foreign += c[n].foreign;
	}
	CHECK_EQ(miss, foreign);
	/* Node 2 served a thread on node 0 (preferred 2): other. */
	CHECK(c[2].other > 0);
	CHECK(c[0].local > 0);
}

int main(void)
{
	const char *four = "numa_fake=4,node_limit_mb=64";
	const char *two = "numa_fake=2,node_limit_mb=64";

	if (!t_cpu_allowed(0))
		t_skip("this process may not run on CPU 0");
	t_run_with_conf("einval", four, case_einval);
	t_run_with_conf("modes", four, case_modes);
	t_run_with_conf("interleave", four, case_interleave);
	t_run_with_conf("flags", "numa_fake=4,node_limit_mb=64,cpuset_mems=1:3", case_flags);
	t_run_with_conf("bind-limit", two, case_bind_limit);
	t_run_with_conf("malloc-node", four, case_malloc_node);
	t_run_with_conf("mbind", two, case_mbind);
	t_run_with_conf("counters", four, case_counters);
	if (t_cpu_allowed(1)) {
		t_run_with_conf("move", two, case_move);
		t_run_with_conf("remote-free", two, case_remote_free);
	} else {
		printf("SKIP: move, remote-free: this process may not run on CPU 1\n");
	}
	return t_done("test_mempolicy");
}
