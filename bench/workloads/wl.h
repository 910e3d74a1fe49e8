/* SPDX-License-Identifier: MIT */
/*
 * wl.h - what the allocator workloads share: a seeded random generator,
 * the clock, the command line, object tags, resident memory and the
 * RESULT lines.
 *
 * The workloads call plain malloc, calloc, realloc and free and link nothing
 * of pgalloc, so that one binary measures whichever allocator serves the
 * process: glibc's, or one preloaded (LD_PRELOAD=libjemalloc.so.2 ...).
 *
 * Every object a workload allocates carries a tag in its first and last
 * bytes, checked again before the object is freed: an allocator that hands
 * out one block twice, or memory that something else writes, makes the
 * workload fail (a message on stderr, exit status 1) instead of reporting a
 * fast number.
 *
 * Output: one line per figure on stdout,
 *
 *   RESULT <workload> <metric> <value> <unit>
 *
 * the first of them the workload's headline figure. The unit says which way
 * is better: "ops/s" higher, "s", "KiB" and "ratio" lower. One "op" is one
 * allocation and its free, unless the workload says otherwise (the
 * published programs some of them follow count a malloc and a free as two).
 * Every workload also prints
 *
 *   RESULT <workload> operations <N> ops
 *
 * the number of operations the run did, so that a count taken over the
 * whole process (lock acquisitions, system calls) can be put per operation.
 * Lines that start with '#' are comments (the parameters of the run).
 *
 * The header also compiles as C++ (g++, -std=c++17), for the workloads that
 * follow a C++ original through operator new[] and delete[].
 */
#ifndef WL_H
#define WL_H

#ifndef _GNU_SOURCE /* g++ defines it */
#define _GNU_SOURCE /* clock_gettime(), nanosleep(), malloc_trim() under -std=c11 */
#endif

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WL_MAX_THREADS 256
#define WL_CACHE_LINE  128 /* two lines: adjacent-line prefetch shares pairs */
#define WL_MIB         (1024UL * 1024UL)

static const char *wl_name = "workload";

/* ---- failure ---------------------------------------------------------- */

/* Report and leave at once, without atexit handlers or the other threads'
 * cooperation: the heap may be corrupt. */
__attribute__((format(printf, 1, 2), noreturn)) static void wl_fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "wl-%s: FAIL: ", wl_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	_exit(1);
}

/* ---- random numbers --------------------------------------------------- */

/* splitmix64 to seed, xorshift64* to run: small, fast, and the same
 * sequence for the same seed on every machine. */
struct wl_rng {
	uint64_t s;
};

static inline uint64_t wl_mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void wl_rng_init(struct wl_rng *r, uint64_t seed, uint64_t stream)
{
	r->s = wl_mix64(seed ^ wl_mix64(stream + 1));
	if (!r->s)
		r->s = 1;
}

static inline uint64_t wl_rand(struct wl_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 2685821657736338717ULL;
}

/* Uniform in [0, n), n > 0 (multiply-shift: no division). */
static inline uint64_t wl_below(struct wl_rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)wl_rand(r) * n) >> 64);
}

/* Uniform in [lo, hi]. */
static inline uint64_t wl_range(struct wl_rng *r, uint64_t lo, uint64_t hi)
{
	return lo + wl_below(r, hi - lo + 1);
}

/* True with probability pct / 100. */
static inline bool wl_chance(struct wl_rng *r, unsigned pct)
{
	return wl_below(r, 100) < pct;
}

/* Log-uniform in [lo, hi], lo >= 1: every power-of-two octave equally
 * likely, uniform within an octave. Small sizes are common and large ones
 * rare, as in real programs; no libm. */
static inline size_t wl_logsize(struct wl_rng *r, size_t lo, size_t hi)
{
	unsigned blo = 63 - (unsigned)__builtin_clzll(lo);
	unsigned bhi = 63 - (unsigned)__builtin_clzll(hi);

	for (;;) {
		unsigned b = blo + (unsigned)wl_below(r, bhi - blo + 1);
		size_t base = (size_t)1 << b;
		size_t s = base + (size_t)wl_below(r, base);

		if (s >= lo && s <= hi)
			return s;
	}
}

/* ---- time ------------------------------------------------------------- */

static inline double wl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void wl_sleep_ms(double ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)((ms - (double)(time_t)(ms / 1000) * 1000) * 1e6);

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- memory ----------------------------------------------------------- */

/* Hide a pointer from the optimiser, so that a malloc whose block is only
 * written and freed is not elided. */
static inline void wl_escape(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* malloc() that fails the workload on NULL or on a block not aligned for
 * max_align_t (16 bytes on x86-64; smaller requests may be less aligned). */
static inline void *wl_malloc(size_t size)
{
	void *p = malloc(size);
	size_t align = size >= 16 ? 16 : size >= 8 ? 8 : 1;

	if (!p)
		wl_fail("malloc(%zu) returned NULL", size);
	if ((uintptr_t)p & (align - 1))
		wl_fail("malloc(%zu) returned %p, not aligned to %zu", size, p, align);
	wl_escape(p);
	return p;
}

static inline void *wl_realloc(void *old, size_t size)
{
	void *p = realloc(old, size);

	if (!p)
		wl_fail("realloc(%p, %zu) returned NULL", old, size);
	if (size >= 16 && ((uintptr_t)p & 15))
		wl_fail("realloc(%zu) returned %p, not aligned to 16", size, p);
	wl_escape(p);
	return p;
}

/* ---- tags --------------------------------------------------------------
 *
 * wl_tag_put() writes a 64-bit tag into the first 8 and the last 8 bytes of
 * a block (the tail bit-inverted, so that a tail read as a head does not
 * match); blocks under 16 bytes get the tag's bytes repeated over them.
 * wl_tag_check() fails the workload when they are not what was written.
 */
static inline uint64_t wl_tag_of(uint64_t a, uint64_t b)
{
	return wl_mix64(a * 0x100000001b3ULL ^ b);
}

static inline void wl_tag_put(void *p, size_t size, uint64_t tag)
{
	unsigned char *c = (unsigned char *)p;

	if (size >= 16) {
		uint64_t tail = ~tag;

		memcpy(c, &tag, 8);
		memcpy(c + size - 8, &tail, 8);
	} else {
		for (size_t i = 0; i < size; i++)
			c[i] = (unsigned char)(tag >> (8 * (i % 8)));
	}
}

static inline void wl_tag_check(const void *p, size_t size, uint64_t tag, const char *what)
{
	const unsigned char *c = (const unsigned char *)p;

	if (size >= 16) {
		uint64_t head, tail;

		memcpy(&head, c, 8);
		memcpy(&tail, c + size - 8, 8);
		if (head != tag || tail != ~tag)
			wl_fail("%s: block %p (%zu bytes) overwritten: head %016llx tail %016llx, "
			        "expected %016llx %016llx",
			        what, p, size, (unsigned long long)head, (unsigned long long)tail,
			        (unsigned long long)tag, (unsigned long long)~tag);
	} else {
		for (size_t i = 0; i < size; i++)
			if (c[i] != (unsigned char)(tag >> (8 * (i % 8))))
				wl_fail("%s: block %p (%zu bytes) overwritten at byte %zu", what, p,
				        size, i);
	}
}

/* Self-describing objects, for workloads in which a block travels without
 * its size (between threads, through shared slots): the first 16 bytes hold
 * the size, a check word and the tag, the last 8 the inverted tag. */
#define WL_OBJ_MIN 24

struct wl_obj_head {
	uint32_t size;
	uint32_t check;
	uint64_t tag;
};

static inline uint32_t wl_obj_check_word(uint32_t size, uint64_t tag)
{
	return (uint32_t)(wl_mix64(tag ^ size) >> 32);
}

static inline void wl_obj_put(void *p, size_t size, uint64_t tag)
{
	struct wl_obj_head h = {(uint32_t)size, wl_obj_check_word((uint32_t)size, tag), tag};
	uint64_t tail = ~tag;

	memcpy(p, &h, sizeof(h));
	memcpy((char *)p + size - 8, &tail, 8);
}

/* Checks the object and returns its size. */
static inline size_t wl_obj_check(const void *p, const char *what)
{
	struct wl_obj_head h;
	uint64_t tail;

	memcpy(&h, p, sizeof(h));
	if (h.size < WL_OBJ_MIN || h.check != wl_obj_check_word(h.size, h.tag))
		wl_fail("%s: object %p: header overwritten (size %u, check %08x)", what, p, h.size,
		        h.check);
	memcpy(&tail, (const char *)p + h.size - 8, 8);
	if (tail != ~h.tag)
		wl_fail("%s: object %p (%u bytes): tail overwritten: %016llx, expected %016llx",
		        what, p, h.size, (unsigned long long)tail, (unsigned long long)~h.tag);
	return h.size;
}

/* ---- resident memory -------------------------------------------------- */

/* Resident set size in KiB, from /proc/self/statm (0 if unreadable). */
static inline unsigned long wl_rss_kib(void)
{
	unsigned long page_kib = (unsigned long)sysconf(_SC_PAGESIZE) / 1024;
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * page_kib;
}

/* Peak resident set size in KiB (VmHWM in /proc/self/status; 0 if absent). */
static inline unsigned long wl_hwm_kib(void)
{
	char line[256];
	unsigned long kib = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %lu kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* ---- threads ---------------------------------------------------------- */

static inline void wl_spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int err = pthread_create(t, NULL, fn, arg);

	if (err)
		wl_fail("pthread_create: %s", strerror(err));
}

static inline void wl_join(pthread_t t)
{
	int err = pthread_join(t, NULL);

	if (err)
		wl_fail("pthread_join: %s", strerror(err));
}

/* ---- results ---------------------------------------------------------- */

static inline void wl_result(const char *metric, double value, const char *unit)
{
	if (!strcmp(unit, "s"))
		printf("RESULT %s %s %.4f %s\n", wl_name, metric, value, unit);
	else if (!strcmp(unit, "ratio"))
		printf("RESULT %s %s %.3f %s\n", wl_name, metric, value, unit);
	else
		printf("RESULT %s %s %.0f %s\n", wl_name, metric, value, unit);
	fflush(stdout);
}

/* The number of operations the run did (see the head of this file). */
static inline void wl_result_ops(double ops)
{
	printf("RESULT %s operations %.0f ops\n", wl_name, ops);
	fflush(stdout);
}

/* The CPUs this process may run on (what nproc prints). */
static inline unsigned long wl_nprocs(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned long)CPU_COUNT(&set);
	return 1;
}

/* ---- command line ------------------------------------------------------
 *
 * Every workload takes
 *
 *   [threads [scale]] [--threads N] [--scale F] [--quick] [--seed N]
 *
 * plus options of its own; --help lists them. --scale multiplies the work
 * (1 = the default run, about 1 to 3 s with glibc on two cores); --quick
 * is a scale chosen for about 0.3 s. The workloads that follow a published
 * program with its parameters also take --published: the published amount
 * of work (or run time) as well, where the default run does less of it.
 */
enum wl_opt_type {
	WL_OPT_UINT,   /* unsigned long */
	WL_OPT_DOUBLE, /* double */
	WL_OPT_STR,    /* const char * */
};

struct wl_opt {
	const char *name; /* without the leading "--" */
	enum wl_opt_type type;
	void *dst;
	const char *help;
};

struct wl_args {
	unsigned long threads; /* default set by the workload */
	double scale;          /* 1 */
	double quick_scale;    /* what --quick sets scale to */
	unsigned long seed;
	/* Non-NULL: the workload accepts --published (the parameters of the
	 * published program it follows, in full: a longer run), and this says
	 * what they are. */
	const char *published_help;
	bool quick;
	bool scale_given;
	bool published; /* --published was given */
};

/* What --help prints; defaults are those the workload set. */
static struct wl_args wl_defaults;
static const char *wl_summary;
static const struct wl_opt *wl_extra;

static void wl_usage(FILE *f)
{
	fprintf(f, "usage: wl-%s [threads [scale]] [options]\n%s\n", wl_name, wl_summary);
	fprintf(f, "  --threads N        threads (default %lu)\n", wl_defaults.threads);
	fprintf(f, "  --scale F          multiply the work by F (default 1)\n");
	fprintf(f, "  --quick            a short run (scale %g)\n", wl_defaults.quick_scale);
	fprintf(f, "  --seed N           random seed (default %lu)\n", wl_defaults.seed);
	if (wl_defaults.published_help)
		fprintf(f, "  --published        %s\n", wl_defaults.published_help);
	for (const struct wl_opt *o = wl_extra; o && o->name; o++) {
		char left[64];

		snprintf(left, sizeof(left), "%s %s", o->name,
		         o->type == WL_OPT_STR      ? "FILE"
		         : o->type == WL_OPT_DOUBLE ? "F"
		                                    : "N");
		fprintf(f, "  --%-16s %s\n", left, o->help);
	}
}

__attribute__((noreturn)) static void wl_bad(const char *what, const char *arg)
{
	fprintf(stderr, "wl-%s: bad %s '%s'\n", wl_name, what, arg);
	wl_usage(stderr);
	exit(2);
}

static unsigned long wl_parse_ulong(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-')
		wl_bad(what, s);
	return v;
}

static double wl_parse_double(const char *s, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0))
		wl_bad(what, s);
	return v;
}

static unsigned long wl_parse_threads(const char *s)
{
	unsigned long v = wl_parse_ulong(s, "threads");

	if (!v || v > WL_MAX_THREADS)
		wl_bad("threads (1 to 256)", s);
	return v;
}

static void wl_parse_args(int argc, char **argv, const char *summary, struct wl_args *a,
                          const struct wl_opt *extra)
{
	int positional = 0;

	wl_defaults = *a;
	wl_summary = summary;
	wl_extra = extra;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *val = NULL, *eq;
		const struct wl_opt *o = NULL;
		char name[64];
		size_t n;

		if (arg[0] != '-' || arg[1] != '-') {
			if (positional == 0) {
				a->threads = wl_parse_threads(arg);
			} else if (positional == 1) {
				a->scale = wl_parse_double(arg, "scale");
				a->scale_given = true;
			} else {
				wl_bad("argument", arg);
			}
			positional++;
			continue;
		}
		eq = strchr(arg + 2, '=');
		n = eq ? (size_t)(eq - (arg + 2)) : strlen(arg + 2);
		if (n >= sizeof(name))
			wl_bad("option", arg);
		memcpy(name, arg + 2, n);
		name[n] = 0;
		if (!strcmp(name, "help")) {
			wl_usage(stdout);
			exit(0);
		}
		if (!strcmp(name, "quick")) {
			if (eq)
				wl_bad("option", arg);
			a->quick = true;
			continue;
		}
		if (!strcmp(name, "published") && a->published_help) {
			if (eq)
				wl_bad("option", arg);
			a->published = true;
			continue;
		}
		if (strcmp(name, "threads") && strcmp(name, "scale") && strcmp(name, "seed")) {
			for (o = extra; o && o->name && strcmp(o->name, name); o++)
				;
			if (!o || !o->name)
				wl_bad("option", arg);
		}
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			wl_bad("option (it needs a value)", arg);

		if (!o) {
			if (!strcmp(name, "threads")) {
				a->threads = wl_parse_threads(val);
			} else if (!strcmp(name, "scale")) {
				a->scale = wl_parse_double(val, "scale");
				a->scale_given = true;
			} else {
				a->seed = wl_parse_ulong(val, "seed");
			}
			continue;
		}
		switch (o->type) {
		case WL_OPT_UINT:
			*(unsigned long *)o->dst = wl_parse_ulong(val, o->name);
			break;
		case WL_OPT_DOUBLE:
			*(double *)o->dst = wl_parse_double(val, o->name);
			break;
		case WL_OPT_STR:
			*(const char **)o->dst = val;
			break;
		}
	}
	if (a->quick && !a->scale_given)
		a->scale = a->quick_scale;
}

/* n scaled, at least min. */
static inline unsigned long wl_scaled(unsigned long n, double scale, unsigned long min)
{
	double v = (double)n * scale;

	return v < (double)min ? min : (unsigned long)v;
}

/* ---- C++ ---------------------------------------------------------------
 *
 * The C++ originals allocate with new uint8_t[n] / new char[n] and free
 * with delete[] (larson-sized: the sized operator delete[](p, n)). Under a
 * preloaded allocator that replaces operator new and delete these go to it
 * directly; under glibc, libstdc++'s operators call malloc and free.
 */
#ifdef __cplusplus
#include <new>

static inline void *wl_new_bytes(size_t size)
{
	unsigned char *p = new unsigned char[size];

	if ((uintptr_t)p & (size >= 16 ? 15 : size >= 8 ? 7 : 0))
		wl_fail("new unsigned char[%zu] returned %p, not aligned", size, (void *)p);
	wl_escape(p);
	return p;
}

static inline void wl_delete_bytes(void *p, size_t size)
{
#ifdef WL_SIZED_DELETE
	::operator delete[](p, size);
#else
	unsigned char *bytes = (unsigned char *)p;

	(void)size;
	delete[] bytes;
#endif
}
#endif

#endif /* WL_H */
