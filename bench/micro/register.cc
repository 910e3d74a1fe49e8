// SPDX-License-Identifier: MIT
/*
 * register.cc - the C shim over google-benchmark (see micro.h), and main().
 *
 * The same file serves both micro-benchmark binaries: what they run is the C
 * code's bm_register_all(). Nothing here allocates inside a timed loop.
 *
 * Default run length: --benchmark_min_time=0.05 (seconds per case) unless
 * the command line gives one, so that a whole binary runs in a few seconds.
 * It is a command-line default and not Benchmark::MinTime(), which would
 * override the flag and add "/min_time:..." to every name. A value with a
 * unit, "0.2s" (the syntax of google-benchmark 1.8), is passed on as
 * "0.2", which every version reads as seconds.
 */
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

#include "micro.h"

struct bm_state {
	benchmark::State &st;
	bool started = false;
	bool finished = false;
	long items = 0;
	long bytes = 0;

	explicit bm_state(benchmark::State &state) : st(state)
	{
	}
};

extern "C" long bm_batch(struct bm_state *s)
{
	if (!s->started) {
		s->started = true;
		// Starts the timer; false only after an error before the loop.
		if (s->st.KeepRunningBatch(s->st.max_iterations))
			return static_cast<long>(s->st.max_iterations);
		s->finished = true;
		return 0;
	}
	// The whole count was taken at once: this call stops the timer.
	if (!s->finished) {
		s->finished = true;
		while (s->st.KeepRunningBatch(1)) {
		}
	}
	return 0;
}

extern "C" void bm_pause(struct bm_state *s)
{
	s->st.PauseTiming();
}

extern "C" void bm_resume(struct bm_state *s)
{
	s->st.ResumeTiming();
}

extern "C" void bm_set_items(struct bm_state *s, long per_iteration)
{
	s->items = per_iteration;
}

extern "C" void bm_set_bytes(struct bm_state *s, long per_iteration)
{
	s->bytes = per_iteration;
}

extern "C" void bm_error(struct bm_state *s, const char *msg)
{
	s->st.SkipWithError(msg);
}

extern "C" void bm_register(const char *name, bm_fn fn, long arg, long arg2, unsigned flags)
{
	benchmark::internal::Benchmark *b =
	    benchmark::RegisterBenchmark(name, [fn, arg, arg2](benchmark::State &st) {
		    bm_state s(st);
		    fn(&s, arg, arg2);
		    if (!s.started) // a body that returned before its loop
			    st.SkipWithError("the benchmark body never ran its loop");
		    if (s.items)
			    st.SetItemsProcessed(st.iterations() * s.items);
		    if (s.bytes)
			    st.SetBytesProcessed(st.iterations() * s.bytes);
	    });
	if (flags & BM_REAL_TIME)
		b->UseRealTime();
}

int main(int argc, char **argv)
{
	static const char min_time_flag[] = "--benchmark_min_time";
	static char default_min_time[] = "--benchmark_min_time=0.05";
	std::vector<std::string> kept; // storage for rewritten arguments
	std::vector<char *> args;
	bool has_min_time = false;

	kept.reserve(argc);
	for (int i = 0; i < argc; i++) {
		char *a = argv[i];
		size_t n = sizeof(min_time_flag) - 1;
		if (i > 0 && std::strncmp(a, min_time_flag, n) == 0 && a[n] == '=') {
			has_min_time = true;
			size_t len = std::strlen(a);
			if (len > n + 1 && a[len - 1] == 's') {
				kept.emplace_back(a, len - 1);
				a = &kept.back()[0];
			}
		}
		args.push_back(a);
	}
	if (!has_min_time)
		args.insert(args.begin() + (argc > 0 ? 1 : 0), default_min_time);
	int nargs = static_cast<int>(args.size());
	args.push_back(nullptr);

	bm_register_all();

	benchmark::Initialize(&nargs, args.data());
	if (benchmark::ReportUnrecognizedArguments(nargs, args.data()))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
