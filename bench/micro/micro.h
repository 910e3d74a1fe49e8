/* SPDX-License-Identifier: MIT */
/*
 * micro.h - the C face of google-benchmark, for the micro-benchmarks.
 *
 * The benchmark bodies are C (malloc_cases.c, xthread.c, pages.c); a thin
 * C++ file, register.cc, wraps benchmark::State behind struct bm_state and
 * registers whatever the C side asks for. Each binary's C code defines
 * bm_register_all(), which calls bm_register() once per case; register.cc's
 * main() calls it, then runs google-benchmark as usual (every --benchmark_*
 * flag works: --benchmark_format=json, --benchmark_filter=...,
 * --benchmark_repetitions=N, --benchmark_min_time=SECONDS).
 *
 * A body looks like
 *
 *	void bm_malloc_free(struct bm_state *s, long size, long unused)
 *	{
 *		for (BM_ITERATIONS(s)) {
 *			void *p = malloc(size);
 *			if (!p) {
 *				bm_error(s, "malloc failed");
 *				break;
 *			}
 *			bm_do_not_optimize(p);
 *			free(p);
 *		}
 *	}
 *
 * Only the loop is timed. Set-up before it and clean-up after it are not.
 */
#ifndef PGA_BENCH_MICRO_H
#define PGA_BENCH_MICRO_H

#ifdef __cplusplus
extern "C" {
#endif

/* One run of one benchmark (a benchmark::State underneath). */
struct bm_state;

/* A benchmark body: arg and arg2 are the ones given to bm_register(). */
typedef void (*bm_fn)(struct bm_state *s, long arg, long arg2);

/* bm_register() flags. BM_REAL_TIME: measure wall-clock time, not the main
 * thread's CPU time (for multi-threaded bodies); google-benchmark appends
 * "/real_time" to the name. */
#define BM_REAL_TIME 0x1u

/* Register a benchmark under name (copied). Call from bm_register_all(). */
void bm_register(const char *name, bm_fn fn, long arg, long arg2, unsigned flags);

/* Defined by each binary's C code: register all of its cases. */
void bm_register_all(void);

/* The bodies that live in a file of their own (xthread.c). */
void bm_xthread_free(struct bm_state *s, long size, long unused);

/*
 * The timed loop. bm_batch() starts the timer on its first call and returns
 * the number of iterations to run; the next call stops the timer and
 * returns 0. for (BM_ITERATIONS(s)) { ... } runs its body that many times,
 * with the overhead of a decrement and a branch per iteration (as
 * google-benchmark's own range-for loop). A body may break out of the loop
 * after bm_error(). (A for statement rather than a BM_LOOP(s) { } macro, so
 * that clang-format lays it out as one.)
 */
long bm_batch(struct bm_state *s);

/* clang-format off */
#define BM_ITERATIONS(s) long bm_n_ = 0; bm_n_ > 0 || (bm_n_ = bm_batch(s)) > 0; bm_n_--
/* clang-format on */

/* Stop and start the timer inside the loop (costly: a few hundred ns). */
void bm_pause(struct bm_state *s);
void bm_resume(struct bm_state *s);

/* Items and bytes processed per iteration: google-benchmark reports
 * items_per_second and bytes_per_second from them. May be called anywhere in
 * the body. */
void bm_set_items(struct bm_state *s, long per_iteration);
void bm_set_bytes(struct bm_state *s, long per_iteration);

/* Report an error (the run is marked error_occurred in the output, and its
 * timings are not reported); the body should leave the loop and return. */
void bm_error(struct bm_state *s, const char *msg);

/* The compiler must assume that p is read, and that any memory may be read
 * and written: an allocation whose pointer goes here cannot be elided (GCC
 * and clang drop a malloc whose result is only freed), nor stores to it,
 * nor can iterations be merged. As benchmark::DoNotOptimize plus
 * benchmark::ClobberMemory. */
static inline __attribute__((always_inline)) void bm_do_not_optimize(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static inline __attribute__((always_inline)) void bm_clobber_memory(void)
{
	__asm__ volatile("" : : : "memory");
}

#ifdef __cplusplus
}
#endif

#endif /* PGA_BENCH_MICRO_H */
