// SPDX-License-Identifier: MIT
/*
 * test_stats.c - counters and their printing: every page of a zone is free,
 * on a pcp list or handed out (free + pcp + pgalloc - pgfree == managed),
 * buddyinfo agrees with nr_free, zoneinfo and vmstat agree with
 * pga_zone_stats, stats_print=1 prints at exit, and the NUMA counters
 * (numa_hit/miss/foreign/local/other) count what the kernel's would.
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
#include <unistd.h>

#include "capture.h"
#include "check.h"
#include "child.h"
#include "mmzone.h"
#include "pgalloc.h"
#include "rand.h"
#include "topology.h"

/* The whole output of pga_stats_print(what), NUL-terminated, malloc'd. */
static char *stats_text(unsigned what)
{
	int fd = t_capture_open();

	CHECK_EQ(pga_stats_print(fd, what), 0);
	return t_capture_take(fd, NULL);
}

/* The number after "\n<name> " in text, from start; -1 if absent. */
static long long value_after(const char *text, const char *name)
{
	char key[128];
	const char *p;

	snprintf(key, sizeof(key), "\n%s ", name);
	p = strstr(text, key);
	if (!p)
		return -1;
	p += strlen(key);
	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	return strtoll(p, NULL, 10);
}

/* ---- accounting under a two-thread workload ------------------------------ */

#define LIVE_MAX 256

struct workload {
	unsigned long long seed;
	void *blocks[LIVE_MAX];
	unsigned orders[LIVE_MAX];
	size_t exact[LIVE_MAX]; /* nonzero: an alloc_pages_exact run of this size */
	int n;
};

static void work(struct workload *w, int ops)
{
	for (int i = 0; i < ops; i++) {
		if (w->n < LIVE_MAX && (w->n == 0 || t_rand(&w->seed) % 100 < 55)) {
			unsigned r = (unsigned)(t_rand(&w->seed) % 100);
			unsigned order = r < 60 ? 0 : r < 85 ? 1 + r % 3 : 4 + r % 3;
			pga_gfp_t gfp = r % 3 == 0   ? PGA_GFP_MOVABLE
			                : r % 7 == 0 ? PGA_GFP_COLD
			                             : 0;
			void *p;

			w->exact[w->n] = 0;
			if (r % 11 == 0) {
				size_t sz = (size_t)(1 + r % 13) * PGA_PAGE_SIZE + 5;
				p = pga_alloc_pages_exact(sz, gfp);
				w->exact[w->n] = sz;
			} else {
				p = pga_alloc_pages(gfp, order);
			}
			CHECK(p != NULL);
			if (!p)
				continue;
			*(volatile char *)p = 1;
			w->blocks[w->n] = p;
			w->orders[w->n] = order;
			w->n++;
		} else {
			int k = (int)(t_rand(&w->seed) % (unsigned long long)w->n);
			if (w->exact[k])
				pga_free_pages_exact(w->blocks[k], w->exact[k]);
			else
				pga_free_pages(w->blocks[k], w->orders[k]);
			w->n--;
			w->blocks[k] = w->blocks[w->n];
			w->orders[k] = w->orders[w->n];
			w->exact[k] = w->exact[w->n];
		}
	}
}

static void work_free_all(struct workload *w)
{
	while (w->n > 0) {
		w->n--;
		if (w->exact[w->n])
			pga_free_pages_exact(w->blocks[w->n], w->exact[w->n]);
		else
			pga_free_pages(w->blocks[w->n], w->orders[w->n]);
	}
}

static pthread_barrier_t g_quiet, g_checked;

static void *worker(void *arg)
{
	struct workload *w = arg;

	work(w, 20000);
	/* End on frees of order 0 so that the pcp lists hold pages. */
	for (int i = 0; i < 8; i++) {
		void *p = pga_alloc_pages(0, 0);
		if (p)
			pga_free_pages(p, 0);
	}
	pthread_barrier_wait(&g_quiet);
	pthread_barrier_wait(&g_checked);
	work_free_all(w);
	return NULL;
}

struct zone_line {
	int node;
	char name[16];
	unsigned long nr_free[PGA_MAX_ORDER];
};

/* Lines of buddyinfo: "Node 0, zone   Normal  n0 n1 ... n10". */
static int parse_buddyinfo(const char *text, struct zone_line *out, int max)
{
	int n = 0;

	for (const char *line = text; line && *line; line = strchr(line, '\n'), line += !!line) {
		int used = 0;

		if (strncmp(line, "Node ", 5) != 0 || n == max)
			continue;
		if (sscanf(line, "Node %d, zone %15s%n", &out[n].node, out[n].name, &used) != 2)
			continue;
		const char *p = line + used;
		int o;
		for (o = 0; o < PGA_MAX_ORDER; o++) {
			char *end;
			out[n].nr_free[o] = strtoul(p, &end, 10);
			if (end == p)
				break;
			p = end;
		}
		CHECK_EQ(o, PGA_MAX_ORDER);
		n++;
	}
	return n;
}

/* The value on the zoneinfo line "<label> N" after the zone's heading. */
static long long zoneinfo_value(const char *zi, const char *label)
{
	const char *p = strstr(zi, label);

	if (!p)
		return -1;
	/* Only inside this zone's block. */
	const char *next = strstr(zi + 1, "\nNode ");
	if (next && p > next)
		return -1;
	p += strlen(label);
	while (*p == ' ')
		p++;
	return (*p >= '0' && *p <= '9') ? strtoll(p, NULL, 10) : -1;
}

static void case_accounting(void)
{
	static struct workload wt = {.seed = 1234}, wm = {.seed = 98765};
	struct pga_zone_stats st[PGA_MAX_ZONES];
	int nst = 0;
	pthread_t th;

	REQUIRE(pga_num_nodes() >= 1);
	pthread_barrier_init(&g_quiet, NULL, 2);
	pthread_barrier_init(&g_checked, NULL, 2);
	REQUIRE(pthread_create(&th, NULL, worker, &wt) == 0);
	work(&wm, 20000);
	pthread_barrier_wait(&g_quiet);

	/* Quiescent: the worker is alive, holding pages and pcp pages. */
	unsigned long pcp_total = 0;
	for (int n = 0; n < pga_num_nodes(); n++)
		for (int z = 0; z < PGA_NR_ZONES; z++) {
			if (pga_zone_stats(n, z, &st[nst]) != 0)
				continue;
			struct pga_zone_stats *s = &st[nst++];
			CHECK_EQ(s->node, n);
			CHECK_EQ(s->zone, z);
			long long live = (long long)s->pgalloc - (long long)s->pgfree;
			CHECK(live >= 0);
			CHECK_EQ((long long)s->free + (long long)s->pcp + live,
			         (long long)s->managed);
			if ((long long)s->free + (long long)s->pcp + live != (long long)s->managed)
				fprintf(stderr,
				        "node %d zone %d: free %lu + pcp %lu + (pgalloc %llu - "
				        "pgfree %llu) != managed %lu\n",
				        n, z, s->free, s->pcp, (unsigned long long)s->pgalloc,
				        (unsigned long long)s->pgfree, s->managed);
			unsigned long sum = 0;
			for (int o = 0; o < PGA_MAX_ORDER; o++)
				sum += s->nr_free[o] << o;
			CHECK_EQ(sum, s->free);
			CHECK(s->numa_hit + s->numa_miss > 0 || s->pgalloc == 0);
			pcp_total += s->pcp;
		}
	CHECK(nst >= 1);
	CHECK(pcp_total > 0);
	printf("%d zones; %lu pages on pcp lists while quiescent\n", nst, pcp_total);

	/* buddyinfo: one line per zone, matching nr_free. */
	char *bi = stats_text(PGA_STATS_BUDDYINFO);
	struct zone_line lines[PGA_MAX_ZONES];
	int nl = parse_buddyinfo(bi, lines, PGA_MAX_ZONES);
	CHECK_EQ(nl, nst);
	CHECK(strncmp(bi, "# /proc/buddyinfo\n", 18) == 0);
	for (int i = 0; i < nl && i < nst; i++) {
		const char *want = st[i].zone == PGA_ZONE_DMA32 ? "DMA32" : "Normal";
		CHECK_EQ(lines[i].node, st[i].node);
		CHECK(strcmp(lines[i].name, want) == 0);
		for (int o = 0; o < PGA_MAX_ORDER; o++)
			CHECK_EQ(lines[i].nr_free[o], st[i].nr_free[o]);
	}
	free(bi);

	/* Everything: section headers, zoneinfo and vmstat values. */
	char *all = stats_text(0);
	static const char *const headers[] = {"# /proc/buddyinfo\n", "# /proc/pagetypeinfo\n",
	                                      "# /proc/zoneinfo\n", "# /proc/vmstat\n",
	                                      "numastat\n"};
	for (size_t h = 0; h < PGA_ARRAY_SIZE(headers); h++)
		CHECK(strstr(all, headers[h]) != NULL);
	const char *zi = strstr(all, "# /proc/zoneinfo\n");
	const char *vm = strstr(all, "# /proc/vmstat\n");
	REQUIRE(zi && vm);
	uint64_t pgalloc_normal = 0, pgalloc_dma32 = 0, pgfree = 0, hit = 0, miss = 0, freep = 0;
	for (int i = 0; i < nst; i++) {
		char head[64];
		snprintf(head, sizeof(head), "\nNode %d, zone %8s\n", st[i].node,
		         st[i].zone == PGA_ZONE_DMA32 ? "DMA32" : "Normal");
		const char *z = strstr(zi - 1, head);
		CHECK(z != NULL && z < vm);
		if (!z)
			continue;
		z += 1;
		CHECK_EQ(zoneinfo_value(z, "\n  pages free"), (long long)st[i].free);
		CHECK_EQ(zoneinfo_value(z, "\n        min"), (long long)st[i].watermark_min);
		CHECK_EQ(zoneinfo_value(z, "\n        low"), (long long)st[i].watermark_low);
		CHECK_EQ(zoneinfo_value(z, "\n        high"), (long long)st[i].watermark_high);
		CHECK_EQ(zoneinfo_value(z, "\n        spanned"), (long long)st[i].spanned);
		CHECK_EQ(zoneinfo_value(z, "\n        managed"), (long long)st[i].managed);
		CHECK_EQ(zoneinfo_value(z, "\n      pgalloc"), (long long)st[i].pgalloc);
		CHECK_EQ(zoneinfo_value(z, "\n      numa_hit"), (long long)st[i].numa_hit);
		if (st[i].zone == PGA_ZONE_NORMAL)
			pgalloc_normal += st[i].pgalloc;
		else
			pgalloc_dma32 += st[i].pgalloc;
		pgfree += st[i].pgfree;
		hit += st[i].numa_hit;
		miss += st[i].numa_miss;
		freep += st[i].free;
	}
	CHECK_EQ(value_after(vm, "pgalloc_normal"), (long long)pgalloc_normal);
	CHECK_EQ(value_after(vm, "pgalloc_dma32"), (long long)pgalloc_dma32);
	CHECK_EQ(value_after(vm, "pgfree"), (long long)pgfree);
	CHECK_EQ(value_after(vm, "numa_hit"), (long long)hit);
	CHECK_EQ(value_after(vm, "numa_miss"), (long long)miss);
	CHECK_EQ(value_after(vm, "nr_free_pages"), (long long)freep);
	CHECK(pgalloc_normal > 0);
	/* pgalloc's own lock counters: every lock taken counts, a contended
	 * acquisition is one of them, and the total is the sum of
	 * the zone and slab locks'. The workload above took zone locks. */
	long long acq = value_after(vm, "lock_acquired"), cont = value_after(vm, "lock_contended");
	long long acq_zone = value_after(vm, "lock_acquired_zone");
	long long acq_slab = value_after(vm, "lock_acquired_slab");
	long long cont_zone = value_after(vm, "lock_contended_zone");
	long long cont_slab = value_after(vm, "lock_contended_slab");
	CHECK(acq_zone > 0);
	CHECK_EQ(acq, acq_zone + acq_slab);
	CHECK_EQ(cont, cont_zone + cont_slab);
	CHECK(cont >= 0 && cont <= acq);
	/* Sleeps are futex waits of contended acquisitions; one acquisition
	 * may sleep more than once (woken with the lock taken again), so
	 * there is no bound by cont, only: no sleep without contention. */
	long long sleeps = value_after(vm, "lock_sleeps");
	CHECK(sleeps >= 0 && (sleeps == 0 || cont > 0));
	free(all);

	/* Bad arguments. */
	errno = 0;
	CHECK_EQ(pga_stats_print(-1, 0), -1);
	CHECK(errno != 0);
	struct pga_zone_stats bad;
	errno = 0;
	CHECK_EQ(pga_zone_stats(pga_num_nodes(), PGA_ZONE_NORMAL, &bad), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(pga_zone_stats(0, PGA_NR_ZONES, &bad), -1);
	CHECK_EQ(pga_zone_stats(-1, PGA_ZONE_NORMAL, &bad), -1);

	pthread_barrier_wait(&g_checked);
	pthread_join(th, NULL);
	work_free_all(&wm);
	pga_drain_all_pages();

	/* The worker is gone, its events folded into the zones; everything is
	 * back: every zone's pgalloc equals its pgfree. */
	for (int n = 0; n < pga_num_nodes(); n++)
		for (int z = 0; z < PGA_NR_ZONES; z++) {
			struct pga_zone_stats s;
			if (pga_zone_stats(n, z, &s) != 0)
				continue;
			CHECK_EQ(s.pcp, 0);
			CHECK_EQ(s.free, s.managed);
			CHECK_EQ(s.pgalloc, s.pgfree);
		}
}

/* ---- stats_print=1 -------------------------------------------------------- */

static void child_print_at_exit(void)
{
	void *p = pga_alloc_pages(0, 2);
	if (p)
		pga_free_pages(p, 2);
}

static void case_print_at_exit(const char *conf, bool expect)
{
	struct t_child r;

	CHECK(t_child_run(
	    child_print_at_exit,
	    (struct t_child_opts){.conf = conf, .capture_err = true, .run_atexit = true}, &r));
	bool printed = strstr(r.err, "Node 0, zone") != NULL;
	CHECK(printed == expect);
	if (expect) {
		CHECK(strstr(r.err, "# /proc/buddyinfo") != NULL);
		CHECK(strstr(r.err, "# /proc/vmstat") != NULL);
		CHECK(value_after(r.err, "pgalloc_normal") >= 4);
	}
	if (printed != expect)
		fprintf(stderr, "PGALLOC_CONF=%s: stderr was:\n%.2000s\n", conf, r.err);
	t_child_release(&r);
}

/* ---- NUMA counters ----------------------------------------------------------- */

#define NODE_PAGES (32 * 256 + 64)

static void *numa_thread(void *arg)
{
	static void *pages[NODE_PAGES];
	struct pga_zone_stats a0, a1, b0, b1;
	int n = 0;

	(void)arg;
	CHECK_EQ(pga_local_node(), 0);

	/* THISNODE on node 1 from a node-0 thread: a hit there, and "other". */
	REQUIRE(pga_zone_stats(0, PGA_ZONE_NORMAL, &a0) == 0);
	REQUIRE(pga_zone_stats(1, PGA_ZONE_NORMAL, &a1) == 0);
	void *p = pga_alloc_pages_node(1, PGA_GFP_THISNODE, 0);
	REQUIRE(p);
	CHECK_EQ(pga_page_node(p), 1);
	REQUIRE(pga_zone_stats(0, PGA_ZONE_NORMAL, &b0) == 0);
	REQUIRE(pga_zone_stats(1, PGA_ZONE_NORMAL, &b1) == 0);
	CHECK_EQ(b1.numa_hit - a1.numa_hit, 1);
	CHECK_EQ(b1.numa_other - a1.numa_other, 1);
	CHECK_EQ(b1.numa_local - a1.numa_local, 0);
	CHECK_EQ(b1.numa_miss - a1.numa_miss, 0);
	CHECK_EQ(b0.numa_foreign - a0.numa_foreign, 0);
	CHECK_EQ(b1.pgalloc - a1.pgalloc, 1);
	pga_free_pages(p, 0);

	/* A local allocation: hit and local on node 0. */
	REQUIRE(pga_zone_stats(0, PGA_ZONE_NORMAL, &a0) == 0);
	p = pga_alloc_pages(0, 1);
	REQUIRE(p);
	CHECK_EQ(pga_page_node(p), 0);
	REQUIRE(pga_zone_stats(0, PGA_ZONE_NORMAL, &b0) == 0);
	CHECK_EQ(b0.numa_hit - a0.numa_hit, 1);
	CHECK_EQ(b0.numa_local - a0.numa_local, 1);
	CHECK_EQ(b0.numa_other - a0.numa_other, 0);
	CHECK_EQ(b0.pgalloc - a0.pgalloc, 2);
	pga_free_pages(p, 1);

	/* Fill node 0, then a request for node 0 falls back to node 1: a miss
	 * on node 1, foreign on node 0. */
	while (n < NODE_PAGES) {
		pages[n] = pga_alloc_pages_node(0, PGA_GFP_THISNODE | PGA_GFP_NOWARN, 0);
		if (!pages[n])
			break;
		n++;
	}
	CHECK(n > 0 && n < NODE_PAGES);
	for (int round = 0; round < 2; round++) {
		REQUIRE(pga_zone_stats(0, PGA_ZONE_NORMAL, &a0) == 0);
		REQUIRE(pga_zone_stats(1, PGA_ZONE_NORMAL, &a1) == 0);
		p = round ? pga_alloc_pages(0, 0) : pga_alloc_pages_node(0, 0, 0);
		REQUIRE(p);
		CHECK_EQ(pga_page_node(p), 1);
		REQUIRE(pga_zone_stats(0, PGA_ZONE_NORMAL, &b0) == 0);
		REQUIRE(pga_zone_stats(1, PGA_ZONE_NORMAL, &b1) == 0);
		CHECK_EQ(b1.numa_miss - a1.numa_miss, 1);
		CHECK_EQ(b0.numa_foreign - a0.numa_foreign, 1);
		CHECK_EQ(b1.numa_hit - a1.numa_hit, 0);
		CHECK_EQ(b1.numa_other - a1.numa_other, 1);
		CHECK_EQ(b0.numa_hit - a0.numa_hit, 0);
		CHECK_EQ(b1.numa_foreign - a1.numa_foreign, 0);
		CHECK_EQ(b0.numa_miss - a0.numa_miss, 0);
		pga_free_pages(p, 0);
	}
	/* numastat shows the same. */
	char *text = stats_text(PGA_STATS_NUMASTAT);
	const char *n1 = strstr(text, "node1:\n");
	CHECK(n1 != NULL);
	if (n1) {
		REQUIRE(pga_zone_stats(1, PGA_ZONE_NORMAL, &b1) == 0);
		CHECK_EQ(value_after(n1 - 1, "numa_miss"), (long long)b1.numa_miss);
		CHECK_EQ(value_after(n1 - 1, "other_node"), (long long)b1.numa_other);
	}
	free(text);
	for (int i = 0; i < n; i++)
		pga_free_pages(pages[i], 0);
	printf("numa: node 0 filled after %d pages; counters checked (%d checks, %d failed)\n", n,
	       t_checks, t_failures);
	return NULL;
}

static void case_numa(void)
{
	cpu_set_t allowed, one;
	int cpu = -1;
	pthread_attr_t attr;
	pthread_t th;

	REQUIRE(pga_num_nodes() == 2);
	REQUIRE(sched_getaffinity(0, sizeof(allowed), &allowed) == 0);
	for (int c = 0; c < CPU_SETSIZE && c < PGA_MAX_CPUS; c++)
		if (CPU_ISSET(c, &allowed) && pga_topo.cpu_to_node[c] == 0) {
			cpu = c;
			break;
		}
	if (cpu < 0) {
		printf("SKIP numa: no allowed CPU on fake node 0\n");
		return;
	}
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	pthread_attr_init(&attr);
	REQUIRE(pthread_attr_setaffinity_np(&attr, sizeof(one), &one) == 0);
	REQUIRE(pthread_create(&th, &attr, numa_thread, NULL) == 0);
	pthread_join(th, NULL);
	pthread_attr_destroy(&attr);
}

int main(void)
{
	t_run_with_conf("accounting", NULL, case_accounting);
	t_run_with_conf("accounting-fake", "numa_fake=2,node_limit_mb=256", case_accounting);
	case_print_at_exit("stats_print=1", true);
	case_print_at_exit("stats_print=0", false);
	t_run_with_conf("numa", "numa_fake=2,node_limit_mb=32,dma32_mb=0", case_numa);
	return t_done("stats");
}
