// SPDX-License-Identifier: MIT
/*
 * test_options.c - PGALLOC_CONF: pga_options_parse() on its own (values,
 * defaults, every kind of mistake), and whole programs started with good and
 * bad configurations: a mistake prints one line naming the key and what is
 * allowed, the program goes on with the default, and good values take
 * effect in the zones.
 */
#define _GNU_SOURCE
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
#include "options.h"
#include "pgalloc.h"
#include "topology.h"

static int count_lines(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* ---- pga_options_parse() on a local struct --------------------------------- */

static char *g_msg; /* what the last parse() printed */

/* Parse conf into *o with stderr captured into g_msg; returns the errors. */
static int parse(const char *conf, struct pga_options *o)
{
	struct t_redirect r;
	int errors;

	t_redirect_begin(&r, STDERR_FILENO);
	errors = pga_options_parse(o, conf);
	free(g_msg);
	g_msg = t_redirect_end(&r, NULL);
	return errors;
}

/* A bad entry: errors, one line naming the key and every word in expect. */
static void expect_bad(const char *conf, int nerr, const char *key, const char *w1, const char *w2)
{
	static struct pga_options o;
	int errors = parse(conf, &o);
	bool ok = errors == nerr && strstr(g_msg, key) && (!w1 || strstr(g_msg, w1)) &&
	          (!w2 || strstr(g_msg, w2)) &&
	          count_lines(g_msg, "pgalloc: PGALLOC_CONF:") == nerr &&
	          count_lines(g_msg, "\n") == nerr;

	CHECK(ok);
	if (!ok)
		fprintf(stderr, "conf \"%s\": %d errors (want %d), message:\n%s", conf, errors,
		        nerr, g_msg);
}

static void expect_good(const char *conf, struct pga_options *o)
{
	int errors = parse(conf, o);

	CHECK_EQ(errors, 0);
	CHECK_EQ(strlen(g_msg), 0);
	if (errors || g_msg[0])
		fprintf(stderr, "conf \"%s\": %d errors, message:\n%s", conf, errors, g_msg);
}

static void case_parse(void)
{
	static struct pga_options o, d;

	/* Defaults, as documented in docs/configuration.md. */
	expect_good(NULL, &d);
	CHECK_EQ(d.numa_fake, 0);
	CHECK_EQ(d.nr_distance, 0);
	CHECK_EQ(d.nr_cpu_map, 0);
	CHECK_EQ(d.nr_node_limit, 0);
	CHECK_EQ(d.node_limit_mb[0], PGA_OPT_UNSET);
	CHECK_EQ(d.dma32_mb, 64);
	CHECK_EQ(d.min_free_kbytes, PGA_OPT_UNSET);
	CHECK_EQ(d.lowmem_reserve_ratio, 256);
	CHECK_EQ(d.section_mb, 16);
	CHECK_EQ(d.pcp_batch, PGA_OPT_UNSET);
	CHECK_EQ(d.pcp_high, PGA_OPT_UNSET);
	CHECK_EQ(d.zlc_interval_ms, 1000);
	CHECK_EQ(d.decay_ms, 1000);
	CHECK(d.background_reclaim);
	CHECK_EQ(d.thp, PGA_THP_MADVISE);
	CHECK_EQ(d.purge, PGA_PURGE_DONTNEED);
	CHECK(!d.cpuset_set);
	CHECK_EQ(d.fail_probability, 0);
	CHECK_EQ(d.fail_interval, 1);
	CHECK_EQ(d.fail_times, -1);
	CHECK_EQ(d.fail_min_order, 0);
	CHECK_EQ(d.fail_seed, 42);
	CHECK(!d.stats_print);
	expect_good("", &o);
	CHECK(memcmp(&o, &d, sizeof(o)) == 0);
	expect_good(",, ,", &o);
	CHECK(memcmp(&o, &d, sizeof(o)) == 0);

	/* Good values. */
	expect_good("numa_fake=4", &o);
	CHECK_EQ(o.numa_fake, 4);
	expect_good(" numa_fake = 2 , numa_distance=10:30:30:10,", &o);
	CHECK_EQ(o.numa_fake, 2);
	CHECK_EQ(o.nr_distance, 4);
	CHECK(o.distance[0] == 10 && o.distance[1] == 30 && o.distance[2] == 30 &&
	      o.distance[3] == 10);
	/* Order does not matter. */
	expect_good("numa_distance=10:12:12:10,numa_fake=2", &o);
	CHECK_EQ(o.nr_distance, 4);
	CHECK_EQ(o.distance[1], 12);
	expect_good("numa_fake=4,numa_cpu_map=3:3:0:1", &o);
	CHECK_EQ(o.nr_cpu_map, 4);
	CHECK(o.cpu_map[0] == 3 && o.cpu_map[1] == 3 && o.cpu_map[2] == 0 && o.cpu_map[3] == 1);
	expect_good("node_limit_mb=128", &o);
	CHECK_EQ(o.nr_node_limit, 1);
	CHECK_EQ(o.node_limit_mb[0], 128);
	expect_good("numa_fake=2,node_limit_mb=512:256", &o);
	CHECK_EQ(o.nr_node_limit, 2);
	CHECK(o.node_limit_mb[0] == 512 && o.node_limit_mb[1] == 256);
	expect_good("dma32_mb=0,min_free_kbytes=8192,lowmem_reserve_ratio=32,section_mb=64", &o);
	CHECK_EQ(o.dma32_mb, 0);
	CHECK_EQ(o.min_free_kbytes, 8192);
	CHECK_EQ(o.lowmem_reserve_ratio, 32);
	CHECK_EQ(o.section_mb, 64);
	expect_good("pcp_batch=7,pcp_high=50,zlc_interval_ms=5", &o);
	CHECK(o.pcp_batch == 7 && o.pcp_high == 50 && o.zlc_interval_ms == 5);
	expect_good("decay_ms=0,background_reclaim=no", &o);
	CHECK(o.decay_ms == 0 && !o.background_reclaim);
	expect_good("decay_ms=600000,background_reclaim=1", &o);
	CHECK(o.decay_ms == 600000 && o.background_reclaim);
	expect_good("thp=never,purge=free", &o);
	CHECK(o.thp == PGA_THP_NEVER && o.purge == PGA_PURGE_FREE);
	expect_good("thp=always,purge=dontneed", &o);
	CHECK(o.thp == PGA_THP_ALWAYS && o.purge == PGA_PURGE_DONTNEED);

	/* harden: the level, and the opt-in keys unset (following it) until
	 * given, in either order. */
	CHECK_EQ(d.harden, PGA_HARDEN_DEFAULT);
	CHECK_EQ(d.slab_poison, PGA_OPT_UNSET);
	expect_good("harden=full,slab_freelist_random=0", &o);
	CHECK(o.harden == PGA_HARDEN_FULL && o.slab_freelist_random == 0 &&
	      o.init_on_alloc == PGA_OPT_UNSET);
	expect_good("init_on_free=yes,harden=off,huge_guard_pages=true", &o);
	CHECK(o.harden == PGA_HARDEN_OFF && o.init_on_free == 1 && o.huge_guard_pages == 1 &&
	      o.check_sized_free == PGA_OPT_UNSET);
	expect_good("cpuset_mems=0-1:3", &o);
	CHECK(o.cpuset_set);
	CHECK_EQ(o.cpuset_mems.bits[0], 0xbu);
	expect_good("fail_probability=30,fail_interval=2,fail_times=0,fail_min_order=10,"
	            "fail_seed=1000000000000000000",
	            &o);
	CHECK(o.fail_probability == 30 && o.fail_interval == 2 && o.fail_times == 0 &&
	      o.fail_min_order == 10 && o.fail_seed == 1000000000000000000L);
	static const char *const yes[] = {"stats_print=1", "stats_print=true", "stats_print=yes"};
	static const char *const no[] = {"stats_print=0", "stats_print=false", "stats_print=no"};
	for (int i = 0; i < 3; i++) {
		expect_good(yes[i], &o);
		CHECK(o.stats_print);
		expect_good(no[i], &o);
		CHECK(!o.stats_print);
	}
	/* The later entry wins. */
	expect_good("pcp_batch=3,pcp_batch=9", &o);
	CHECK_EQ(o.pcp_batch, 9);

	/* Bad values: the key keeps its default, the rest still applies. */
	expect_bad("numa_fake=abc", 1, "'numa_fake'", "1..64", "'abc'");
	CHECK_EQ(o.numa_fake, 0);
	expect_bad("numa_fake=0", 1, "'numa_fake'", "1..64", NULL);
	expect_bad("numa_fake=65", 1, "'numa_fake'", "1..64", NULL);
	expect_bad("numa_fake=-1", 1, "'numa_fake'", "1..64", NULL);
	expect_bad("numa_fake=2x", 1, "'numa_fake'", "1..64", NULL);
	expect_bad("numa_fake=0x2", 1, "'numa_fake'", "1..64", NULL);
	expect_bad("numa_fake=", 1, "'numa_fake'", "1..64", NULL);
	expect_bad("numa_fake", 1, "'numa_fake'", "key=value", NULL);
	expect_bad("nosuchkey=1", 1, "'nosuchkey'", "known keys", "numa_fake");
	expect_bad("numa_fakes=2", 1, "'numa_fakes'", "known keys", "stats_print");
	expect_bad("node_limit_mb=-5", 1, "'node_limit_mb'", "4..16777216", NULL);
	expect_bad("node_limit_mb=3", 1, "'node_limit_mb'", "4..16777216", NULL);
	expect_bad("node_limit_mb=128::256", 1, "'node_limit_mb'", NULL, NULL);
	expect_bad("numa_fake=3,node_limit_mb=512:256", 1, "'node_limit_mb'", "numa_fake=3", NULL);
	expect_bad("numa_fake=2,numa_distance=10:20:20", 1, "'numa_distance'", "4 distances",
	           "got 3");
	expect_bad("numa_fake=2,numa_distance=10:5:5:10", 1, "'numa_distance'", "10..254", NULL);
	expect_bad("numa_fake=2,numa_distance=10:10:20:10", 1, "'numa_distance'", "more than 10",
	           NULL);
	expect_bad("numa_fake=2,numa_distance=12:20:20:10", 1, "'numa_distance'",
	           "10 on the diagonal", NULL);
	expect_bad("numa_distance=10:20:20:10", 1, "'numa_distance'", "numa_fake", NULL);
	expect_bad("numa_fake=2,numa_cpu_map=0:2", 1, "'numa_cpu_map'", "numa_fake=2", NULL);
	expect_bad("numa_cpu_map=0:1", 1, "'numa_cpu_map'", "numa_fake", NULL);
	expect_bad("pcp_batch=", 1, "'pcp_batch'", "1..4096", NULL);
	expect_bad("pcp_batch=0", 1, "'pcp_batch'", "1..4096", NULL);
	expect_bad("pcp_batch=12abc", 1, "'pcp_batch'", "1..4096", NULL);
	expect_bad("pcp_batch=99999999999999999999999", 1, "'pcp_batch'", "1..4096", NULL);
	expect_bad("pcp_batch=+5", 1, "'pcp_batch'", NULL, NULL);
	expect_bad("pcp_batch=8,pcp_high=4", 1, "'pcp_high'", "pcp_batch=8", NULL);
	expect_bad("stats_print=maybe", 1, "'stats_print'", "true", "yes");
	expect_bad("section_mb=48", 1, "'section_mb'", "power of two", NULL);
	expect_bad("dma32_mb=4097", 1, "'dma32_mb'", "0..4096", NULL);
	expect_bad("min_free_kbytes=1", 1, "'min_free_kbytes'", "128..1048576", NULL);
	expect_bad("fail_probability=101", 1, "'fail_probability'", "0..100", NULL);
	expect_bad("fail_min_order=11", 1, "'fail_min_order'", "0..10", NULL);
	expect_bad("fail_times=-2", 1, "'fail_times'", "-1", NULL);
	expect_bad("cpuset_mems=", 1, "'cpuset_mems'", NULL, NULL);
	expect_bad("cpuset_mems=3-1", 1, "'cpuset_mems'", NULL, NULL);
	expect_bad("numa_fake=2,cpuset_mems=0-2", 1, "'cpuset_mems'", "numa_fake=2", NULL);
	expect_bad("zlc_interval_ms=0", 1, "'zlc_interval_ms'", "1..60000", NULL);
	expect_bad("decay_ms=600001", 1, "'decay_ms'", "0..600000", NULL);
	expect_bad("background_reclaim=sometimes", 1, "'background_reclaim'", "true", "yes");
	expect_bad("thp=sometimes", 1, "'thp'", "never, madvise or always", NULL);
	expect_bad("thp=Always", 1, "'thp'", "madvise", NULL);
	expect_bad("purge=lazy", 1, "'purge'", "dontneed or free", NULL);
	expect_bad("harden=paranoid", 1, "'harden'", "off, default or full", NULL);
	expect_bad("slab_poison=2", 1, "'slab_poison'", "0, 1, true, false, yes or no", NULL);
	expect_bad("nosuchkey=1,numa_fake=abc,pcp_batch=", 3, "'nosuchkey'", "'numa_fake'",
	           "'pcp_batch'");

	/* What a bad entry leaves behind. */
	CHECK_EQ(parse("numa_fake=abc,pcp_batch=9", &o), 1);
	CHECK_EQ(o.numa_fake, 0);
	CHECK_EQ(o.pcp_batch, 9);
	CHECK_EQ(parse("numa_fake=2,numa_fake=x", &o), 1);
	CHECK_EQ(o.numa_fake, 2);
	CHECK(strstr(g_msg, "earlier") != NULL);
	CHECK_EQ(parse("numa_fake=2,numa_distance=10:20:20", &o), 1);
	CHECK_EQ(o.numa_fake, 2);
	CHECK_EQ(o.nr_distance, 0);
	CHECK_EQ(parse("pcp_batch=8,pcp_high=4", &o), 1);
	CHECK_EQ(o.pcp_batch, 8);
	CHECK_EQ(o.pcp_high, PGA_OPT_UNSET);
	CHECK_EQ(parse("node_limit_mb=-5,dma32_mb=16", &o), 1);
	CHECK_EQ(o.nr_node_limit, 0);
	CHECK_EQ(o.node_limit_mb[0], PGA_OPT_UNSET);
	CHECK_EQ(o.dma32_mb, 16);
	CHECK_EQ(parse("stats_print=maybe", &o), 1);
	CHECK(!o.stats_print);

	/* A long value is cut short and the message stays one line. */
	static char longconf[1200];
	strcpy(longconf, "numa_distance=");
	for (int i = 0; i < 300; i++)
		strcat(longconf, "10:");
	strcat(longconf, "x");
	CHECK_EQ(parse(longconf, &o), 1);
	CHECK_EQ(count_lines(g_msg, "\n"), 1);
	CHECK(strlen(g_msg) < 600);
	CHECK(strstr(g_msg, "...") != NULL);
}

/* ---- whole programs --------------------------------------------------------- */

#define OBS_ZONES 8

struct observed {
	int nr_nodes;
	bool fake;
	bool stats_print;
	int nr_zones;
	bool has_dma32;
	bool alloc_ok;
	unsigned long section_pages;
	unsigned long limit_pages[4];
	uint8_t distance01, distance10;
	struct {
		int node, idx, pcp_batch, pcp_high;
		unsigned long spanned, wmark[PGA_NR_WMARK], lowmem_reserve[PGA_NR_ZONES];
	} zones[OBS_ZONES];
};

static void child_observe(void)
{
	struct observed ob;

	memset(&ob, 0, sizeof(ob));
	ob.nr_nodes = pga_num_nodes();
	ob.fake = pga_topo.fake;
	ob.stats_print = pga_opts.stats_print;
	ob.nr_zones = pga_mem.nr_zones;
	ob.section_pages = pga_mem.section_pages;
	for (int n = 0; n < 4 && n < ob.nr_nodes; n++)
		ob.limit_pages[n] = pga_mem.nodes[n].limit_pages;
	if (ob.nr_nodes >= 2) {
		ob.distance01 = pga_topo.distance[0][1];
		ob.distance10 = pga_topo.distance[1][0];
	}
	ob.has_dma32 = pga_zone_populated(&pga_mem.nodes[0].zones[PGA_ZONE_DMA32]);
	for (int i = 0; i < pga_mem.nr_zones && i < OBS_ZONES; i++) {
		const struct pga_zone *z = pga_mem.zones[i];
		ob.zones[i].node = z->node;
		ob.zones[i].idx = (int)z->idx;
		ob.zones[i].pcp_batch = z->pcp_batch;
		ob.zones[i].pcp_high = z->pcp_high;
		ob.zones[i].spanned = z->spanned_pages;
		for (int w = 0; w < PGA_NR_WMARK; w++)
			ob.zones[i].wmark[w] = z->watermark[w];
		for (int t = 0; t < PGA_NR_ZONES; t++)
			ob.zones[i].lowmem_reserve[t] = z->lowmem_reserve[t];
	}
	/* The program goes on: allocation works. */
	unsigned char *p = pga_alloc_pages(0, 0);
	unsigned char *q = pga_alloc_pages(PGA_GFP_MOVABLE, 3);
	ob.alloc_ok = p && q;
	if (p) {
		memset(p, 1, PGA_PAGE_SIZE);
		pga_free_pages(p, 0);
	}
	if (q) {
		memset(q, 2, 8 * PGA_PAGE_SIZE);
		pga_free_pages(q, 3);
	}
	CHECK(t_child_send(&ob, sizeof(ob)));
}

static char *g_err; /* the stderr of the last observe() */

/* Run child_observe with PGALLOC_CONF=conf; stderr into g_err. exit(), not
 * _exit(), ends the child: its atexit handlers run (stats_print). */
static bool observe(const char *conf, struct observed *ob)
{
	struct t_child r;

	bool exited = t_child_run(
	    child_observe,
	    (struct t_child_opts){.conf = conf, .capture_err = true, .run_atexit = true}, &r);
	bool ok = exited && r.data_len == sizeof(*ob);
	memset(ob, 0, sizeof(*ob));
	memcpy(ob, r.data, r.data_len < sizeof(*ob) ? r.data_len : sizeof(*ob));
	free(g_err);
	g_err = r.err;
	r.err = NULL;
	CHECK(ok);
	if (!ok)
		fprintf(stderr, "PGALLOC_CONF=%s: child %s, stderr:\n%s\n", conf ? conf : "", r.how,
		        g_err);
	t_child_release(&r);
	return ok;
}

static struct observed g_base;

/* A program with a bad configuration: one message naming the key and what
 * is allowed, and it runs. */
static bool bad_program(const char *conf, const char *key, const char *allowed, struct observed *ob)
{
	bool ran = observe(conf, ob);
	bool msg = strstr(g_err, key) && strstr(g_err, allowed) &&
	           count_lines(g_err, "pgalloc: PGALLOC_CONF:") == 1;

	CHECK(msg);
	if (!msg)
		fprintf(stderr,
		        "PGALLOC_CONF=%s: expected one message naming %s and %s, got:\n%s\n", conf,
		        key, allowed, g_err);
	if (ran)
		CHECK(ob->alloc_ok);
	return ran;
}

static void same_pcp_as_base(const struct observed *ob)
{
	CHECK_EQ(ob->nr_zones, g_base.nr_zones);
	for (int i = 0; i < ob->nr_zones && i < OBS_ZONES; i++) {
		CHECK_EQ(ob->zones[i].pcp_batch, g_base.zones[i].pcp_batch);
		CHECK_EQ(ob->zones[i].pcp_high, g_base.zones[i].pcp_high);
	}
}

static void programs_bad(void)
{
	struct observed ob;

	if (bad_program("numa_fake=abc", "'numa_fake'", "1..64", &ob)) {
		CHECK_EQ(ob.nr_nodes, g_base.nr_nodes);
		CHECK(!ob.fake);
	}
	if (bad_program("numa_fake=0", "'numa_fake'", "1..64", &ob)) {
		CHECK_EQ(ob.nr_nodes, g_base.nr_nodes);
		CHECK(!ob.fake);
	}
	if (bad_program("nosuchkey=1", "'nosuchkey'", "known keys", &ob)) {
		CHECK_EQ(ob.nr_nodes, g_base.nr_nodes);
		same_pcp_as_base(&ob);
	}
	if (bad_program("node_limit_mb=-5", "'node_limit_mb'", "4..16777216", &ob))
		CHECK_EQ(ob.limit_pages[0], g_base.limit_pages[0]);
	if (bad_program("numa_fake=2,numa_distance=10:20:20", "'numa_distance'", "4 distances",
	                &ob)) {
		CHECK_EQ(ob.nr_nodes, 2);
		CHECK_EQ(ob.distance01, PGA_REMOTE_DISTANCE);
		CHECK_EQ(ob.distance10, PGA_REMOTE_DISTANCE);
	}
	if (bad_program("numa_fake=2,numa_distance=10:5:5:10", "'numa_distance'", "more than 10",
	                &ob)) {
		CHECK_EQ(ob.nr_nodes, 2);
		CHECK_EQ(ob.distance01, PGA_REMOTE_DISTANCE);
	}
	if (bad_program("pcp_batch=", "'pcp_batch'", "1..4096", &ob))
		same_pcp_as_base(&ob);
	if (bad_program("stats_print=maybe", "'stats_print'", "yes", &ob)) {
		CHECK(!ob.stats_print);
		/* No statistics at exit. */
		CHECK(strstr(g_err, "Node 0, zone") == NULL);
	}
	/* The rest of the string still applies. */
	if (bad_program("numa_fake=2,pcp_batch=abc,pcp_high=40", "'pcp_batch'", "1..4096", &ob)) {
		CHECK_EQ(ob.nr_nodes, 2);
		for (int i = 0; i < ob.nr_zones && i < OBS_ZONES; i++)
			CHECK_EQ(ob.zones[i].pcp_high, 40);
	}
}

static void programs_good(void)
{
	struct observed ob;

	if (observe("numa_fake=4", &ob)) {
		CHECK_EQ(ob.nr_nodes, 4);
		CHECK(ob.fake);
		CHECK(ob.alloc_ok);
		CHECK_EQ(strlen(g_err), 0);
	}
	if (observe("pcp_batch=7,pcp_high=50", &ob)) {
		CHECK(ob.nr_zones >= 1);
		for (int i = 0; i < ob.nr_zones && i < OBS_ZONES; i++) {
			CHECK_EQ(ob.zones[i].pcp_batch, 7);
			CHECK_EQ(ob.zones[i].pcp_high, 50);
		}
		CHECK_EQ(strlen(g_err), 0);
	}
	if (observe("pcp_batch=5", &ob)) {
		for (int i = 0; i < ob.nr_zones && i < OBS_ZONES; i++) {
			CHECK_EQ(ob.zones[i].pcp_batch, 5);
			CHECK_EQ(ob.zones[i].pcp_high, 30);
		}
	}
	/* min_free_kbytes: the node's MIN watermark, split over its zones by
	 * size; low and high are min + min/4 and min + min/2. */
	static const long kbytes[] = {8192, 1000, 65536};
	for (size_t k = 0; k < PGA_ARRAY_SIZE(kbytes); k++) {
		char conf[128];
		snprintf(conf, sizeof(conf), "node_limit_mb=1024,min_free_kbytes=%ld", kbytes[k]);
		if (!observe(conf, &ob))
			continue;
		unsigned long sum = 0;
		int nz = 0;
		for (int i = 0; i < ob.nr_zones && i < OBS_ZONES; i++) {
			if (ob.zones[i].node != 0)
				continue;
			unsigned long min = ob.zones[i].wmark[PGA_WMARK_MIN];
			sum += min;
			nz++;
			CHECK_EQ(ob.zones[i].wmark[PGA_WMARK_LOW], min + min / 4);
			CHECK_EQ(ob.zones[i].wmark[PGA_WMARK_HIGH], min + min / 2);
			/* In proportion to the zone's size (within rounding). */
			unsigned long share =
			    (unsigned long)kbytes[k] / 4 * ob.zones[i].spanned / ob.limit_pages[0];
			CHECK(min + 1 >= share && min <= share + 1);
		}
		unsigned long want = (unsigned long)kbytes[k] / 4;
		printf("min_free_kbytes=%ld: sum of node 0 MIN = %lu pages over %d zones "
		       "(want %lu)\n",
		       kbytes[k], sum, nz, want);
		CHECK(sum <= want && sum + (unsigned long)nz >= want);
	}
	/* The default: sqrt(16 * KiB) of the node; 4096 KiB for 1 GiB. */
	if (observe("node_limit_mb=1024", &ob)) {
		unsigned long sum = 0;
		for (int i = 0; i < ob.nr_zones && i < OBS_ZONES; i++)
			if (ob.zones[i].node == 0)
				sum += ob.zones[i].wmark[PGA_WMARK_MIN];
		CHECK(sum <= 1024 && sum + 2 >= 1024);
		CHECK_EQ(ob.limit_pages[0], 1024UL * 256);
	}
	if (observe("dma32_mb=0,node_limit_mb=512", &ob)) {
		CHECK(!ob.has_dma32);
		for (int i = 0; i < ob.nr_zones && i < OBS_ZONES; i++)
			CHECK_EQ(ob.zones[i].idx, PGA_ZONE_NORMAL);
	}
	if (observe("dma32_mb=16,node_limit_mb=256,lowmem_reserve_ratio=32", &ob)) {
		unsigned long dma = 0, normal = 0, reserve = 0;
		for (int i = 0; i < ob.nr_zones && i < OBS_ZONES; i++) {
			if (ob.zones[i].node != 0)
				continue;
			if (ob.zones[i].idx == PGA_ZONE_DMA32) {
				dma = ob.zones[i].spanned;
				reserve = ob.zones[i].lowmem_reserve[PGA_ZONE_NORMAL];
			} else {
				normal = ob.zones[i].spanned;
			}
		}
		if (ob.has_dma32) {
			CHECK_EQ(dma, 16 * 256);
			CHECK_EQ(normal, 240 * 256);
			CHECK_EQ(reserve, normal / 32);
		} else {
			printf("no DMA32 zone (no address space below 4 GiB?)\n");
		}
		CHECK_EQ(ob.limit_pages[0], 256 * 256);
	}
	if (observe("section_mb=4", &ob))
		CHECK_EQ(ob.section_pages, 1024);
	if (observe("numa_fake=2,node_limit_mb=64:128", &ob)) {
		CHECK_EQ(ob.limit_pages[0], 64 * 256);
		CHECK_EQ(ob.limit_pages[1], 128 * 256);
	}
	if (observe("stats_print=yes", &ob)) {
		CHECK(ob.stats_print);
		CHECK(strstr(g_err, "Node 0, zone") != NULL);
	}
}

int main(void)
{
	t_run_with_conf("parse", NULL, case_parse);
	REQUIRE(observe(NULL, &g_base));
	CHECK_EQ(strlen(g_err), 0);
	printf("real topology: %d nodes, %d zones\n", g_base.nr_nodes, g_base.nr_zones);
	programs_bad();
	programs_good();
	return t_done("options");
}
