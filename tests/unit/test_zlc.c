/* SPDX-License-Identifier: MIT */
/*
 * test_zlc.c - the zonelist cache: on only with more than one node; a scan
 * that finds zones under their watermark marks them full; later scans skip
 * marked zones even when they have memory again, until the marks expire
 * after zlc_interval_ms.
 *
 * Timing: the "still skipped" step must happen within the interval of the
 * marking. The interval is made long (1 s) and the step is checked only when
 * it really ran in time (it takes milliseconds), so a slow machine skips a
 * check rather than failing it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "check.h"
#include "child.h"
#include "cpu.h"
#include "mmzone.h"
#include "pages.h"
#include "pgalloc.h"
#include "zonelist.h"
#include "zones.h"

#define NOWARN      PGA_GFP_NOWARN
#define INTERVAL_MS 1000

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Fill a node with THISNODE allocations until they fail. */
static void fill_node(int nid, struct pages *out)
{
	void *p;

	errno = 0;
	while ((p = pga_alloc_pages_node(nid, PGA_GFP_THISNODE | NOWARN, 0)) != NULL) {
		CHECK_EQ(pga_page_node(p), nid);
		pages_push(out, p);
		REQUIRE(out->n <= (64UL << (20 - PGA_PAGE_SHIFT)));
	}
	CHECK_EQ(errno, ENOMEM);
}

/* Are all of nid's zones in zl marked full (want_full) or all unmarked? */
static bool node_marks_are(const struct pga_zonelist *zl, int nid, bool want_full)
{
	int seen = 0;

	for (int i = 0; i < zl->nr_zones; i++) {
		if (zl->zones[i]->node != nid)
			continue;
		seen++;
		if (pga_zlc_zone_worth_trying(zl, i) == want_full)
			return false;
	}
	return seen > 0;
}

/* The first position of nid's zones in zl. */
static int node_first_pos(const struct pga_zonelist *zl, int nid)
{
	for (int i = 0; i < zl->nr_zones; i++)
		if (zl->zones[i]->node == nid)
			return i;
	return -1;
}

static bool zl_any_marked(const struct pga_zonelist *zl)
{
	for (int i = 0; i < zl->nr_zones; i++)
		if (!pga_zlc_zone_worth_trying(zl, i))
			return true;
	return false;
}

/* One node: no zlc, nothing is ever marked. */
static void case_one_node(void)
{
	struct pages all = {0};

	REQUIRE(pga_num_nodes() == 1);
	CHECK(!pga_mem.zlc_enabled);
	fill_node(0, &all);
	/* The fallback path too. */
	errno = 0;
	CHECK(pga_alloc_pages(NOWARN, 0) == NULL);
	CHECK_EQ(errno, ENOMEM);
	for (int k = 0; k < 2; k++)
		CHECK(!zl_any_marked(&pga_mem.nodes[0].zonelists[k]));
	pages_free(&all);
	t_check_all_free("one node", (struct t_all_free){.drain = true, .validate = true});
}

/*
 * Three nodes, 32 MiB each, from a thread on node 0. The fallback list of
 * node 0 is 0, S, T (S the second node, T the third). Fill 0 and S; a plain
 * allocation lands on T and marks 0 and S full. Free half of S: S is above
 * its watermarks again, but while the marks last the next allocation still
 * goes to T. After the interval, the marks are zapped and S serves again.
 */
static void case_skip_and_expiry(void)
{
	struct pages p0 = {0}, ps = {0}, pt = {0};
	void *p;

	REQUIRE(t_pin_to_cpu(0)); /* main checked that CPU 0 is allowed */
	REQUIRE(pga_num_nodes() == 3);
	CHECK(pga_mem.zlc_enabled);
	REQUIRE(pga_local_node() == 0);

	struct pga_zonelist *zl = &pga_mem.nodes[0].zonelists[PGA_ZONELIST_FALLBACK];
	REQUIRE(zl->zones[0]->node == 0);
	int s = -1, t = -1;
	for (int i = 0; i < zl->nr_zones; i++) {
		int nid = zl->zones[i]->node;
		if (nid == 0 || nid == s || nid == t)
			continue;
		if (s < 0)
			s = nid;
		else
			t = nid;
	}
	REQUIRE(s > 0 && t > 0);
	printf("node 0 falls back to %d, then %d\n", s, t);

	fill_node(0, &p0);
	fill_node(s, &ps);
	REQUIRE(p0.n > 0 && ps.n > 0);

	/* The first plain allocation scans 0 and S, finds them under their
	 * watermarks, marks them, and lands on T. */
	uint64_t marked_at = now_ms();
	p = pga_alloc_pages_node(0, NOWARN, 0);
	REQUIRE(p != NULL);
	CHECK_EQ(pga_page_node(p), t);
	pages_push(&pt, p);
	CHECK(node_marks_are(zl, 0, true));
	CHECK(node_marks_are(zl, s, true));
	int tpos = node_first_pos(zl, t);
	REQUIRE(tpos >= 0);
	CHECK(pga_zlc_zone_worth_trying(zl, tpos)); /* T served: not marked */

	/* Give S half of its memory back: it is well above its watermarks. */
	pages_free_range(&ps, ps.n / 2, ps.n);
	ps.n /= 2;
	pga_drain_all_pages();
	for (int zt = 0; zt < PGA_NR_ZONES; zt++) {
		struct pga_zone *z = &pga_mem.nodes[s].zones[zt];
		if (pga_zone_populated(z) && zt == PGA_ZONE_NORMAL)
			CHECK(pga_zone_free_pages(z) > z->watermark[PGA_WMARK_HIGH]);
	}

	/* While marked, S is skipped although it has memory. */
	p = pga_alloc_pages_node(0, NOWARN, 0);
	uint64_t elapsed = now_ms() - marked_at;
	REQUIRE(p != NULL);
	pages_push(&pt, p);
	if (elapsed < INTERVAL_MS / 2) {
		CHECK_EQ(pga_page_node(p), t);
		CHECK(node_marks_are(zl, s, true));
	} else {
		printf("note: the machine is too slow (%llu ms) to check the skip\n",
		       (unsigned long long)elapsed);
	}

	/* THISNODE uses its own zonelist: S serves it at once. */
	p = pga_alloc_pages_node(s, PGA_GFP_THISNODE | NOWARN, 0);
	REQUIRE(p != NULL);
	CHECK_EQ(pga_page_node(p), s);
	pages_push(&ps, p);

	/* After the interval the marks are forgotten: S serves again. */
	usleep((INTERVAL_MS + 300) * 1000);
	p = pga_alloc_pages_node(0, NOWARN, 0);
	REQUIRE(p != NULL);
	CHECK_EQ(pga_page_node(p), s);
	pages_push(&ps, p);
	CHECK(node_marks_are(zl, s, false));
	/* Node 0 is still full: the same scan marked it again. */
	CHECK(node_marks_are(zl, 0, true));

	/* pga_zlc_setup zaps by itself after the interval. */
	usleep((INTERVAL_MS + 300) * 1000);
	pga_zlc_setup(zl);
	CHECK(!zl_any_marked(zl));

	pages_free(&pt);
	pages_free(&ps);
	pages_free(&p0);
	t_check_all_free("skip and expiry", (struct t_all_free){.drain = true, .validate = true});
}

/* The zlc primitives on their own. */
static void case_primitives(void)
{
	REQUIRE(pga_num_nodes() == 3);
	struct pga_zonelist *zl = &pga_mem.nodes[1].zonelists[PGA_ZONELIST_FALLBACK];
	REQUIRE(zl->nr_zones >= 3);

	/* The zap below stamps the list at some time in [t0, now]. */
	uint64_t t0 = now_ms();
	pga_zlc_setup(zl); /* older than the interval at start: zapped */
	CHECK(!zl_any_marked(zl));
	pga_zlc_mark_zone_full(zl, 1);
	CHECK(!pga_zlc_zone_worth_trying(zl, 1));
	CHECK(pga_zlc_zone_worth_trying(zl, 0));
	CHECK(pga_zlc_zone_worth_trying(zl, 2));
	pga_zlc_setup(zl);
	bool kept = pga_zlc_zone_worth_trying(zl, 1) == false;
	uint64_t elapsed = now_ms() - t0;
	/* Within the interval the mark must be kept. A process descheduled
	 * past the interval between the two setups may see it zapped, rightly:
	 * then there is nothing to check. */
	if (elapsed < 200)
		CHECK(kept);
	else
		printf("note: %llu ms between the two setups: the kept mark is not checked\n",
		       (unsigned long long)elapsed);
	usleep(400 * 1000); /* zlc_interval_ms=200 here: at least 400 ms since the stamp */
	pga_zlc_setup(zl);
	CHECK(pga_zlc_zone_worth_trying(zl, 1));
}

int main(void)
{
	char conf[256];

	t_run_with_conf("one-node", "numa_fake=1,node_limit_mb=32", case_one_node);
	snprintf(conf, sizeof(conf), "numa_fake=3,node_limit_mb=32,zlc_interval_ms=%d",
	         INTERVAL_MS);
	if (t_cpu_allowed(0))
		t_run_with_conf("skip-and-expiry", conf, case_skip_and_expiry);
	else
		printf("SKIP: skip-and-expiry: this process may not run on CPU 0\n");
	t_run_with_conf("primitives", "numa_fake=3,node_limit_mb=32,zlc_interval_ms=200",
	                case_primitives);
	return t_done("test_zlc");
}
