// SPDX-License-Identifier: MIT
/*
 * test_fault.c - fault injection (the kernel's fail_page_alloc): interval
 * and times pick exactly which allocations fail, min_order spares small
 * orders, NOFAIL is never failed, and a fixed seed repeats its pattern.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "child.h"
#include "pgalloc.h"

#define NR_ALLOCS 60

/* ---- interval and times ------------------------------------------------- */

static void case_interval(void)
{
	void *p[NR_ALLOCS];
	int err[NR_ALLOCS];
	char pattern[NR_ALLOCS + 1];

	for (int i = 0; i < NR_ALLOCS; i++) {
		errno = 0;
		p[i] = pga_alloc_pages(0, 0);
		err[i] = errno;
		pattern[i] = p[i] ? '.' : 'X';
	}
	pattern[NR_ALLOCS] = '\0';
	printf("interval=3 times=4: %s\n", pattern);
	for (int i = 0; i < NR_ALLOCS; i++) {
		int n = i + 1; /* allocation number, from 1 */
		bool expect_fail = n % 3 == 0 && n <= 12;

		if (expect_fail != (p[i] == NULL))
			fprintf(stderr, "allocation #%d: %s, expected %s\n", n,
			        p[i] ? "succeeded" : "failed", expect_fail ? "failure" : "success");
		CHECK(expect_fail == (p[i] == NULL));
		if (!p[i])
			CHECK_EQ(err[i], ENOMEM);
	}
	for (int i = 0; i < NR_ALLOCS; i++)
		if (p[i])
			pga_free_pages(p[i], 0);

	/* fail_times is used up: nothing fails any more, whatever the order. */
	for (unsigned order = 0; order < PGA_MAX_ORDER; order++) {
		void *q = pga_alloc_pages(0, order);
		CHECK(q != NULL);
		if (q)
			pga_free_pages(q, order);
	}
}

/* ---- min_order ---------------------------------------------------------- */

static void case_min_order(void)
{
	for (unsigned order = 0; order < 2; order++)
		for (int i = 0; i < 50; i++) {
			void *q = pga_alloc_pages(PGA_GFP_NOWARN, order);
			CHECK(q != NULL);
			if (q)
				pga_free_pages(q, order);
		}
	for (unsigned order = 2; order < PGA_MAX_ORDER; order++)
		for (int i = 0; i < 5; i++) {
			errno = 0;
			void *q = pga_alloc_pages(PGA_GFP_NOWARN, order);
			CHECK(q == NULL);
			if (q) {
				fprintf(stderr, "order %u allocation succeeded\n", order);
				pga_free_pages(q, order);
			} else {
				CHECK_EQ(errno, ENOMEM);
			}
		}
	/* The exact variant goes through the same point (order 4 here). */
	errno = 0;
	void *e = pga_alloc_pages_exact(36 * 1024, PGA_GFP_NOWARN);
	CHECK(e == NULL);
	if (e)
		pga_free_pages_exact(e, 36 * 1024);
}

/* ---- NOFAIL ------------------------------------------------------------- */

static void case_nofail(void)
{
	static void *p[200];

	for (int i = 0; i < 200; i++) {
		p[i] = pga_alloc_pages(PGA_GFP_NOFAIL, 0);
		CHECK(p[i] != NULL);
	}
	for (int i = 0; i < 200; i++)
		if (p[i])
			pga_free_pages(p[i], 0);
	for (unsigned order = 1; order < PGA_MAX_ORDER; order++) {
		void *q = pga_alloc_pages(PGA_GFP_NOFAIL | PGA_GFP_MOVABLE, order);
		CHECK(q != NULL);
		if (q)
			pga_free_pages(q, order);
	}
	/* Injection is on: a request without NOFAIL does fail. */
	errno = 0;
	CHECK(pga_alloc_pages(PGA_GFP_NOWARN, 0) == NULL);
	CHECK_EQ(errno, ENOMEM);
}

/* ---- probability with a seed -------------------------------------------- */

#define NR_PATTERN 200

static void child_pattern(void)
{
	static void *p[NR_PATTERN];
	char pattern[NR_PATTERN];

	for (int i = 0; i < NR_PATTERN; i++) {
		errno = 0;
		p[i] = pga_alloc_pages(PGA_GFP_NOWARN, 0);
		pattern[i] = p[i] ? '0' : '1';
		if (!p[i])
			CHECK_EQ(errno, ENOMEM);
	}
	for (int i = 0; i < NR_PATTERN; i++)
		if (p[i])
			pga_free_pages(p[i], 0);
	CHECK(t_child_send(pattern, NR_PATTERN));
}

/* Run child_pattern with conf; the pattern comes back as the child's data. */
static bool get_pattern(const char *conf, char out[NR_PATTERN + 1])
{
	struct t_child r;
	size_t got;

	CHECK(t_child_run(child_pattern, (struct t_child_opts){.conf = conf}, &r));
	got = r.data_len < NR_PATTERN ? r.data_len : NR_PATTERN;
	memcpy(out, r.data, got);
	out[got] = '\0';
	t_child_release(&r);
	CHECK_EQ(got, NR_PATTERN);
	return got == NR_PATTERN;
}

static void case_seed(void)
{
	char a[NR_PATTERN + 1], b[NR_PATTERN + 1], c[NR_PATTERN + 1];
	const char *conf_a = "fail_probability=50,fail_seed=42,fail_times=-1";
	const char *conf_c = "fail_probability=50,fail_seed=4242,fail_times=-1";

	if (!get_pattern(conf_a, a) || !get_pattern(conf_a, b) || !get_pattern(conf_c, c))
		return;
	printf("seed 42:   %.60s...\nseed 42:   %.60s...\nseed 4242: %.60s...\n", a, b, c);
	CHECK(strcmp(a, b) == 0);
	/* Another seed gives another pattern (2^-200 odds of a clash). */
	CHECK(strcmp(a, c) != 0);
	int fails = 0;
	for (int i = 0; i < NR_PATTERN; i++)
		fails += a[i] == '1';
	printf("failure rate with probability 50: %d of %d\n", fails, NR_PATTERN);
	CHECK(fails >= NR_PATTERN / 5 && fails <= NR_PATTERN * 4 / 5);
}

/* ---- off by default ----------------------------------------------------- */

static void case_off(void)
{
	for (int i = 0; i < 500; i++) {
		void *q = pga_alloc_pages(0, (unsigned)(i % 4));
		CHECK(q != NULL);
		if (q)
			pga_free_pages(q, (unsigned)(i % 4));
	}
}

int main(void)
{
	t_run_with_conf("interval", "fail_probability=100,fail_interval=3,fail_times=4",
	                case_interval);
	t_run_with_conf("min_order", "fail_probability=100,fail_min_order=2,fail_times=-1",
	                case_min_order);
	t_run_with_conf("nofail", "fail_probability=100,fail_times=-1", case_nofail);
	case_seed();
	t_run_with_conf("off", "fail_interval=2,fail_times=5", case_off);
	return t_done("fault");
}
