// SPDX-License-Identifier: MIT
/*
 * test_views.c - the slabinfo and meminfo views and the JSON document:
 * each parsed back and checked against what the test itself holds
 * (objects of a class, bytes touched), the meminfo lines adding up to
 * VmRSS and VmRSS agreeing with the kernel's, objects freed into the
 * thread's caches counted as free (slabinfo and mallinfo), and the JSON
 * document carrying the text views' figures, taken back to back with no
 * allocation between them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "check.h"
#include "child.h"
#include "pgalloc.h"

#define NOBJ 20000
#define OBJ  100 /* class 112 */

static void *objs[NOBJ];

/* Text (or JSON) of the views, captured with no allocation on the way. */
static int capture_views(unsigned what)
{
	int fd = t_capture_open();

	CHECK_EQ(pga_stats_print(fd, what), 0);
	return fd;
}

/* slabinfo's row of kmalloc-SIZE on node 0: active, num, objsize,
 * objperslab, pagesperslab, slabs. false when absent. */
static bool slab_row(const char *text, unsigned size, unsigned long v[6])
{
	char name[32];
	const char *p;

	snprintf(name, sizeof(name), "\nkmalloc-%u ", size);
	p = strstr(text, name);
	if (!p)
		return false;
	return sscanf(p + strlen(name),
	              "%lu %lu %lu %lu %lu : tunables %*u %*u %*u : slabdata %*u %lu", &v[0], &v[1],
	              &v[2], &v[3], &v[4], &v[5]) == 6;
}

/* meminfo's "Name: N kB", in kB; LLONG_MIN when absent. */
static long long mem_kb(const char *text, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\n%s:", name);
	p = strstr(text, key);
	return p ? strtoll(p + strlen(key), NULL, 10) : (long long)INT64_MIN;
}

static long long status_rss_kb(void)
{
	char buf[8192];
	FILE *f = fopen("/proc/self/status", "r");
	long long kb = -1;

	REQUIRE(f);
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "VmRSS: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* The number after "\"key\":" in json, from start; -1 if absent. */
static long long json_after(const char *json, const char *start, const char *key)
{
	char k[64];
	const char *p = strstr(json, start);

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = p ? strstr(p, k) : NULL;
	return p ? strtoll(p + strlen(k), NULL, 10) : -1;
}

static void check_slabinfo(const char *text, unsigned long lo, unsigned long hi)
{
	unsigned long v[6];

	REQUIRE(slab_row(text, 112, v));
	CHECK_EQ(v[2], 112);
	CHECK_EQ(v[1], v[3] * v[5]); /* num_objs = objperslab * slabs */
	CHECK(v[0] <= v[1]);
	CHECK(v[0] >= lo && v[0] <= hi);
	if (v[0] < lo || v[0] > hi)
		fprintf(stderr, "kmalloc-112 active %lu, expected %lu..%lu\n", v[0], lo, hi);
}

static void case_views(void)
{
	struct pga_mallinfo m0, m1, m2;

	/* Warm up, then the baseline of the class. */
	pga_free(pga_malloc(OBJ));
	pga_mallinfo(&m0);
	int fd = capture_views(PGA_STATS_SLABINFO);
	char *text = t_capture_take(fd, NULL);
	unsigned long base[6];
	REQUIRE(slab_row(text, 112, base));
	free(text);

	for (int i = 0; i < NOBJ; i++) {
		objs[i] = pga_malloc(OBJ);
		REQUIRE(objs[i]);
		memset(objs[i], 1, OBJ);
	}
	pga_mallinfo(&m1);
	text = t_capture_take(capture_views(PGA_STATS_SLABINFO), NULL);
	check_slabinfo(text, base[0] + NOBJ, base[0] + NOBJ + 64);
	free(text);
	/* mallinfo: the objects count as used, at their class's size. */
	CHECK(m1.uordblks - m0.uordblks >= (size_t)NOBJ * 112);
	CHECK(m1.uordblks - m0.uordblks <= (size_t)NOBJ * 112 + 256 * 1024);

	/* Half of them back: into this thread's caches (its slabs stay
	 * frozen to it), free all the same. */
	for (int i = 0; i < NOBJ; i += 2)
		pga_free(objs[i]);
	pga_mallinfo(&m2);
	text = t_capture_take(capture_views(PGA_STATS_SLABINFO), NULL);
	check_slabinfo(text, base[0] + NOBJ / 2, base[0] + NOBJ / 2 + 64);
	free(text);
	CHECK(m1.uordblks - m2.uordblks >= (size_t)(NOBJ / 2) * 112 - 4096);

	/* 64 MiB touched, in page runs: meminfo's Allocated holds it, its
	 * lines add up to VmRSS, and VmRSS is the kernel's. */
	enum { RUN = 1 << 20, RUNS = 64 };
	static void *runs[RUNS];
	for (int i = 0; i < RUNS; i++) {
		runs[i] = pga_malloc(RUN);
		REQUIRE(runs[i]);
		memset(runs[i], 2, RUN);
	}
	text = t_capture_take(capture_views(PGA_STATS_MEMINFO), NULL);
	long long kernel = status_rss_kb();
	static const char *const parts[] = {"Allocated", "ThreadCached", "SlabFree",
	                                    "BuddyFree", "Huge",         "HugeCached",
	                                    "Metadata",  "NotResident",  "Other"};
	long long sum = 0, rss = mem_kb(text, "VmRSS");
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		long long v = mem_kb(text, parts[i]);
		CHECK(v != (long long)INT64_MIN);
		sum += v;
	}
	/* Each line is rounded down to a kB. */
	CHECK(sum <= rss && sum >= rss - 9);
	CHECK(rss > 0 && kernel > 0);
	CHECK(rss >= kernel - kernel / 20 && rss <= kernel + kernel / 20);
	long long alloc = mem_kb(text, "Allocated");
	CHECK(alloc >= RUNS * (RUN / 1024) && alloc <= RUNS * (RUN / 1024) * 11 / 10 + 4096);
	CHECK(mem_kb(text, "Other") >= 0);
	printf("meminfo: VmRSS %lld kB (kernel %lld), Allocated %lld kB, lines sum %lld kB\n", rss,
	       kernel, alloc, sum);
	free(text);

	/* Text and JSON back to back: the same figures. */
	int tfd = capture_views(PGA_STATS_ALL);
	int jfd = capture_views(PGA_STATS_ALL | PGA_STATS_JSON);
	text = t_capture_take(tfd, NULL);
	char *json = t_capture_take(jfd, NULL);
	static const char *const vm[] = {"pgalloc_normal", "pgfree", "numa_hit", "nr_free_pages"};
	for (size_t i = 0; i < 4; i++) {
		char key[64];
		snprintf(key, sizeof(key), "\n%s ", vm[i]);
		const char *p = strstr(strstr(text, "# /proc/vmstat"), key);
		REQUIRE(p);
		CHECK_EQ(strtoll(p + strlen(key), NULL, 10),
		         json_after(json, "\"vmstat\":", vm[i]));
	}
	unsigned long v[6];
	REQUIRE(slab_row(text, 112, v));
	const char *row = strstr(json, "\"name\":\"kmalloc-112\"");
	REQUIRE(row);
	CHECK_EQ((long long)v[0], json_after(row, "", "active_objs"));
	CHECK_EQ((long long)v[1], json_after(row, "", "num_objs"));
	CHECK_EQ(mem_kb(text, "Allocated"), json_after(json, "\"meminfo\":", "Allocated") / 1024);
	/* Balanced, and one document. */
	long depth = 0;
	bool in_str = false, ok = true;
	for (const char *p = json; *p; p++) {
		if (*p == '"')
			in_str = !in_str;
		else if (!in_str && (*p == '{' || *p == '['))
			depth++;
		else if (!in_str && (*p == '}' || *p == ']'))
			ok &= --depth >= 0;
	}
	CHECK(ok && depth == 0 && !in_str);
	CHECK(json[0] == '{');
	free(text);
	free(json);

	/* By name, and a bad name. */
	fd = t_capture_open();
	CHECK_EQ(pga_stats_print_views(fd, "slabinfo,meminfo"), 0);
	text = t_capture_take(fd, NULL);
	CHECK(strstr(text, "slabinfo - version: 2.1") && strstr(text, "# meminfo") &&
	      !strstr(text, "# /proc/buddyinfo"));
	free(text);
	errno = 0;
	CHECK_EQ(pga_stats_print_views(1, "slabinfo:nosuchview"), -1);
	CHECK_EQ(errno, EINVAL);

	for (int i = 1; i < NOBJ; i += 2)
		pga_free(objs[i]);
	for (int i = 0; i < RUNS; i++)
		pga_free(runs[i]);
}

int main(void)
{
	t_run_with_conf("views", "stats_live=0", case_views);
	t_run_with_conf("views-live", NULL, case_views);
	return t_done("views");
}
