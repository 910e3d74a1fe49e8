/* SPDX-License-Identifier: MIT */
/*
 * rss-decay - does memory go back? A long-running program's life in
 * miniature: it builds up a large working set, frees most of it, and
 * carries on with a little work; the resident set size is sampled all the
 * while (from /proc/self/statm).
 *
 *   ramp:  each thread allocates objects (95% 16 B - 1 KiB, 4.5% 1 - 32 KiB,
 *          0.5% 32 - 256 KiB; all written in full) until the threads hold
 *          --peak-mib between them, replacing a random earlier object now
 *          and then on the way;
 *   free:  each thread frees all but the oldest 10% of its objects (and a
 *          scattered 0.2% of the rest, which pin some pages);
 *   hold:  for --hold-ms, each thread churns a small set of small objects,
 *          a burst of 500 replacements every millisecond, like a server
 *          that is mostly idle. 12 s by default: longer than the decay
 *          times the allocators default to (pgalloc's decay_ms 1 s,
 *          jemalloc's dirty_decay_ms 10 s), so that the trace shows each
 *          one giving memory back, or not, by itself.
 *
 * Nothing calls malloc_trim() until the hold is over: the figures are what
 * the allocator gives back by itself. After them, malloc_trim(0) is called
 * and the RSS read again, as a second figure (a no-op for allocators that
 * do not provide malloc_trim, which then reach glibc's).
 *
 * Metric: RSS at the end of the hold over the RSS at the peak (lower is
 * better; live_ratio, the live bytes after the free over those at the peak,
 * is the floor). --rss-trace FILE (or RSS_TRACE=FILE in the environment)
 * writes the samples, "time_ms rss_kib" lines, with the phases as comment
 * lines.
 *
 * Usage: wl-rss-decay [threads [scale]] [--peak-mib N] [--hold-ms N]
 *                     [--sample-ms N] [--rss-trace FILE]
 */
#include "wl.h"

#include <malloc.h>
#include <stdatomic.h>

#define CHURN_SET   1000
#define CHURN_BURST 500
#define MAX_SAMPLES 200000
#define MAX_EVENTS  16

struct slot {
	unsigned char *p;
	size_t size;
	uint64_t tag;
};

struct worker {
	_Alignas(WL_CACHE_LINE) pthread_t thread;
	unsigned id;
	struct wl_rng rng;
	size_t target; /* bytes to hold at the peak */
	size_t live;   /* bytes held */
	size_t live_after_free;
	struct slot *slot;
	size_t nslots, cap;
	uint64_t serial;
};

static pthread_barrier_t barrier;
static atomic_bool stop_churn, stop_sampling;
static double t0;
static unsigned long sample_ms = 10;

static struct {
	float t_ms;
	unsigned rss_kib;
} samples[MAX_SAMPLES];
static atomic_uint nsamples;

static struct {
	double t_ms;
	const char *what;
} events[MAX_EVENTS];
static unsigned nevents;

static void event(const char *what)
{
	if (nevents < MAX_EVENTS) {
		events[nevents].t_ms = (wl_now() - t0) * 1000;
		events[nevents++].what = what;
	}
}

static void *sampler(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop_sampling)) {
		unsigned n = atomic_load(&nsamples);

		if (n < MAX_SAMPLES) {
			samples[n].t_ms = (float)((wl_now() - t0) * 1000);
			samples[n].rss_kib = (unsigned)wl_rss_kib();
			atomic_store(&nsamples, n + 1);
		}
		wl_sleep_ms((double)sample_ms);
	}
	return NULL;
}

static size_t pick_size(struct wl_rng *r)
{
	unsigned k = (unsigned)wl_below(r, 1000);

	if (k < 950)
		return wl_logsize(r, 16, 1024);
	if (k < 995)
		return wl_logsize(r, 1024, 32 * 1024);
	return wl_logsize(r, 32 * 1024, 256 * 1024);
}

static void fill(struct worker *w, struct slot *s, size_t size)
{
	s->size = size;
	s->p = wl_malloc(size);
	s->tag = wl_tag_of(w->id, w->serial++);
	memset(s->p, (int)(s->tag >> 56), size);
	wl_tag_put(s->p, size, s->tag);
	w->live += size;
}

static void drop(struct worker *w, struct slot *s)
{
	wl_tag_check(s->p, s->size, s->tag, "rss-decay");
	free(s->p);
	w->live -= s->size;
	s->p = NULL;
}

static void *decay_thread(void *arg)
{
	struct worker *w = arg;
	struct slot churn[CHURN_SET];

	/* Ramp up. */
	while (w->live < w->target) {
		if (w->nslots == w->cap) {
			w->cap = w->cap ? 2 * w->cap : 4096;
			w->slot = wl_realloc(w->slot, w->cap * sizeof(*w->slot));
		}
		fill(w, &w->slot[w->nslots++], pick_size(&w->rng));
		if (wl_chance(&w->rng, 25)) {
			struct slot *s = &w->slot[wl_below(&w->rng, w->nslots)];

			drop(w, s);
			fill(w, s, pick_size(&w->rng));
		}
	}
	pthread_barrier_wait(&barrier); /* peak */
	pthread_barrier_wait(&barrier);

	/* Free all but the oldest tenth and a scattered few. */
	size_t keep = w->nslots / 10, kept = keep;
	for (size_t i = keep; i < w->nslots; i++) {
		if (wl_below(&w->rng, 1000) < 2)
			w->slot[kept++] = w->slot[i];
		else
			drop(w, &w->slot[i]);
	}
	w->nslots = kept;
	w->live_after_free = w->live;
	pthread_barrier_wait(&barrier); /* freed */

	/* Hold: a little churn now and then. */
	for (unsigned i = 0; i < CHURN_SET; i++)
		fill(w, &churn[i], wl_logsize(&w->rng, 16, 1024));
	while (!atomic_load(&stop_churn)) {
		for (unsigned i = 0; i < CHURN_BURST; i++) {
			struct slot *s = &churn[wl_below(&w->rng, CHURN_SET)];

			drop(w, s);
			fill(w, s, wl_logsize(&w->rng, 16, 1024));
		}
		wl_sleep_ms(1);
	}
	pthread_barrier_wait(&barrier); /* hold over */
	pthread_barrier_wait(&barrier); /* measured */

	for (unsigned i = 0; i < CHURN_SET; i++)
		drop(w, &churn[i]);
	for (size_t i = 0; i < w->nslots; i++)
		drop(w, &w->slot[i]);
	free(w->slot);
	return NULL;
}

static void write_trace(const char *path)
{
	FILE *f = fopen(path, "w");
	unsigned n = atomic_load(&nsamples), e = 0;

	if (!f)
		wl_fail("cannot write %s: %s", path, strerror(errno));
	fprintf(f, "# wl-rss-decay: time_ms rss_kib\n");
	for (unsigned i = 0; i < n; i++) {
		while (e < nevents && events[e].t_ms <= samples[i].t_ms) {
			fprintf(f, "# %.1f %s\n", events[e].t_ms, events[e].what);
			e++;
		}
		fprintf(f, "%.1f %u\n", samples[i].t_ms, samples[i].rss_kib);
	}
	for (; e < nevents; e++)
		fprintf(f, "# %.1f %s\n", events[e].t_ms, events[e].what);
	if (fclose(f))
		wl_fail("cannot write %s: %s", path, strerror(errno));
}

int main(int argc, char **argv)
{
	static struct worker workers[WL_MAX_THREADS];
	unsigned long peak_mib = 128, hold_ms = 0;
	const char *trace = getenv("RSS_TRACE");
	struct wl_args a = {.threads = 2, .scale = 1, .quick_scale = 0.25, .seed = 1};
	const struct wl_opt opts[] = {
	    {"peak-mib", WL_OPT_UINT, &peak_mib,
	     "working set at the peak at scale 1 (default 128)"},
	    {"hold-ms", WL_OPT_UINT, &hold_ms,
	     "time from the free to the measurement (default 12000; 300 with --quick)"},
	    {"sample-ms", WL_OPT_UINT, &sample_ms, "RSS sampling interval (default 10)"},
	    {"rss-trace", WL_OPT_STR, &trace, "write the RSS samples to FILE (or RSS_TRACE=FILE)"},
	    {0},
	};
	pthread_t sampler_thread;
	size_t live_peak = 0, live_after = 0;

	wl_name = "rss-decay";
	wl_parse_args(argc, argv,
	              "rss-decay: build a large working set, free most of it, churn a little, "
	              "and watch the RSS.",
	              &a, opts);
	if (!hold_ms)
		hold_ms = a.quick ? 300 : 12000;
	if (!sample_ms || !peak_mib)
		wl_fail("bad parameters");
	size_t peak = (size_t)wl_scaled(peak_mib * WL_MIB, a.scale, 4 * WL_MIB);
	printf("# rss-decay: %lu threads, peak %zu MiB, hold %lu ms\n", a.threads, peak / WL_MIB,
	       hold_ms);

	if (pthread_barrier_init(&barrier, NULL, (unsigned)a.threads + 1))
		wl_fail("pthread_barrier_init");
	t0 = wl_now();
	wl_spawn(&sampler_thread, sampler, NULL);
	event("start");
	for (unsigned i = 0; i < a.threads; i++) {
		struct worker *w = &workers[i];

		w->id = i;
		w->target = peak / a.threads;
		wl_rng_init(&w->rng, a.seed, i);
		wl_spawn(&w->thread, decay_thread, w);
	}
	pthread_barrier_wait(&barrier); /* peak */
	unsigned long rss_peak = wl_rss_kib();
	event("peak");
	for (unsigned i = 0; i < a.threads; i++)
		live_peak += workers[i].live;
	pthread_barrier_wait(&barrier);
	pthread_barrier_wait(&barrier); /* freed */
	event("freed");
	for (unsigned i = 0; i < a.threads; i++)
		live_after += workers[i].live_after_free;
	wl_sleep_ms((double)hold_ms);
	atomic_store(&stop_churn, true);
	pthread_barrier_wait(&barrier); /* hold over */
	unsigned long rss_after = wl_rss_kib();
	event("hold-over");
	malloc_trim(0);
	unsigned long rss_trim = wl_rss_kib();
	event("malloc_trim");
	wl_sleep_ms((double)sample_ms); /* one sample after the trim */
	pthread_barrier_wait(&barrier); /* measured */
	for (unsigned i = 0; i < a.threads; i++)
		wl_join(workers[i].thread);
	event("end");
	atomic_store(&stop_sampling, true);
	wl_join(sampler_thread);

	wl_result("rss_after_peak_ratio", (double)rss_after / (double)rss_peak, "ratio");
	wl_result("peak_rss", (double)rss_peak, "KiB");
	wl_result("rss_after_peak", (double)rss_after, "KiB");
	wl_result("live_ratio", (double)live_after / (double)live_peak, "ratio");
	wl_result("rss_after_trim", (double)rss_trim, "KiB");
	wl_result("rss_after_trim_ratio", (double)rss_trim / (double)rss_peak, "ratio");
	wl_result("time", wl_now() - t0, "s");
	double allocs = 0;
	for (unsigned i = 0; i < a.threads; i++)
		allocs += (double)workers[i].serial;
	wl_result_ops(allocs);
	if (trace && *trace)
		write_trace(trace);
	return 0;
}
