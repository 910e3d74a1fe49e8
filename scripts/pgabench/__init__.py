"""Run pgalloc's benchmarks under every allocator and report on them.

Usually started by scripts/bench (through scripts/bench.py), which installs
what is missing and builds build/ first; see `scripts/bench --help`. Running
and reporting need nothing beyond the Python standard library. The plots
need matplotlib, which lives in Debian's /usr/bin/python3
(python3-matplotlib), not necessarily in the python3 on PATH: plots.py draws
them by running itself there (`python3 -m pgabench.plots DIR`), and they are
skipped (saying so) when it is not installed.

The modules, each using only those above it in this list:

  cases       the benchmarks: what runs, with which arguments, under which
              allocators
  running     a case under an allocator: the process, its peak RSS and its
              figures; the interleaved repetitions; the machine
  stats       medians, spread, ratios to the reference, geometric means
  results     results.json: what it keeps and how it is written
  report      results.md
  plots       the PNG plots (matplotlib)
  cli         the command line: run, then report; or report only

What runs (found with `meson introspect build --targets`):

  bench/micro/        google-benchmark binaries, through plain malloc: every
                      benchmark of each in a process of its own
                      (--benchmark_filter), under every allocator. Metric:
                      google-benchmark's CPU time per iteration, in ns (the
                      real time for the "/real_time" cases).
                      pgalloc-micro-pages (the native page API against mmap)
                      runs under pgalloc only.
  bench/workloads/    one binary per workload, printing lines
                      `RESULT <workload> <metric> <value> <unit>`, among
                      them its operation count (`operations`). rss-decay
                      also writes an RSS trace (--rss-trace FILE). Those
                      after a mimalloc-bench program (cases.SUITE) run at
                      its thread counts, a case each (NAME-<n>t); with
                      --published, with its full amount of work.
  programs            real programs (cases.PROGRAMS): the Lua interpreter on
                      bench/workloads/lua_realloc.lua; figure: the wall time.

pgalloc's runs get PGALLOC_CONF=stats_print=1 (joined to the user's; not
with --no-locks): the `lock_*` counters of the statistics it prints at exit
are kept with each run and reported per 1000 operations. --syscalls runs
every case once more under each allocator under strace -f -c and keeps its
futex, mmap, munmap, mremap, madvise and brk counts.

Each is run as the same binary under glibc (no preload) and, through
LD_PRELOAD, jemalloc, mimalloc, tcmalloc and pgalloc (build/preload/
libpgalloc.so). The order interleaves the allocators:

  for rep in reps: for benchmark: for allocator (rotated each rep): run

so that drift of the
machine spreads over all of them. Each run is a fresh process, started
through GNU time: its peak RSS is ru_maxrss from wait4() there (see
running.run_one() for why not here), its wall time is measured around it.
Medians over the repetitions are reported.

Ratios are always "x / jemalloc, > 1 = worse than jemalloc": a time (or a
throughput turned into time per unit: jemalloc's throughput / x's) or a
memory figure, lower is better. A workload's headline figure (its first
RESULT line) is the one the geometric means take.
"""

import os
import sys

# The repository root (this file is scripts/pgabench/__init__.py).
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFERENCE = "jemalloc"
ALLOCATORS = ["glibc", "jemalloc", "mimalloc", "tcmalloc", "pgalloc"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)
