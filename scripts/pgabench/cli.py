"""The command line of scripts/bench: run the benchmarks and report, or
(--report DIR) only report."""

import argparse
import datetime
import os
import signal
import socket
import sys
import time

from . import ALLOCATORS, REFERENCE, ROOT, log
from .cases import make_cases
from .plots import make_plots
from .report import stand_table, write_md
from .results import keep_traces, load, stored_runs, write_json
from .running import allocator_libs, loadavg, machine_info, run_cases, run_syscalls
from .stats import median_runs, ratios


def run_all(args):
    build = os.path.join(ROOT, args.build)
    libs = allocator_libs(build, args.allocators)
    if not libs:
        log("no allocator to run")
        return 1
    cases = make_cases(build, libs, min_time=args.min_time, quick=args.quick,
                       pattern=args.filter, published=args.published, threads=args.threads)
    if not cases:
        log("no benchmarks found: is bench/micro or bench/workloads built?")
        return 1
    total = sum(len([a for a in c.allocators if a in libs]) for c in cases) * args.reps
    if args.list:
        for c in cases:
            print(f"{c.id}\t{','.join(a for a in c.allocators if a in libs)}\t"
                  f"{' '.join(shown(c.argv))}")
        return 0
    out_dir = args.out if os.path.isabs(args.out) else os.path.join(ROOT, "bench", "results", args.out)
    os.makedirs(out_dir, exist_ok=True)
    log(f"{len(cases)} benchmarks, {len(libs)} allocators, {args.reps} repetitions: "
        f"{total} runs; results in {os.path.relpath(out_dir)}")
    info = machine_info(build, libs)
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.perf_counter()
    runs = run_cases(cases, libs, args.reps, args.timeout, args.verbose, locks=args.locks)
    wall = time.perf_counter() - t0
    syscalls = None
    if args.syscalls:
        log("--syscalls: each benchmark once more under each allocator, under strace")
        syscalls = run_syscalls(cases, libs, args.timeout)
    info["loadavg_end"] = loadavg()
    traces = keep_traces(runs)
    results = {
        "format": 1,
        "started": started.isoformat(timespec="seconds"),
        "wall_s": round(wall, 1),
        "command": " ".join(["scripts/bench"] + args.argv),
        "config": {"reps": args.reps, "quick": args.quick, "min_time": args.min_time,
                   "timeout_s": args.timeout, "reference": REFERENCE,
                   "allocators": [a for a in ALLOCATORS if a in libs],
                   "published": args.published, "locks": args.locks,
                   "threads": args.threads,
                   "syscalls": bool(syscalls), "note": args.note},
        "machine": info,
        "benchmarks": [{"id": c.id, "group": c.group,
                        "argv": shown(c.argv),
                        "allocators": [a for a in c.allocators if a in libs]} for c in cases],
        "medians": median_runs(runs),
        "traces": traces,
        "failures": [r for r in runs if "error" in r],
        "runs": stored_runs(runs),
    }
    if syscalls:
        results["syscalls"] = syscalls
    path = os.path.join(out_dir, "results.json")
    write_json(path, results)
    log(f"wrote {os.path.relpath(path)} ({wall:.0f} s of runs)")
    failed = sum(1 for r in runs if "error" in r)
    if failed:
        log(f"{failed} of {len(runs)} runs failed: see results.md")
    report(out_dir, args.plots)
    return 0


def thread_list(text):
    try:
        counts = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        counts = []
    if not counts or counts[0] < 1:
        raise argparse.ArgumentTypeError(f"expected thread counts such as 1,2,4, not {text!r}")
    return counts


def shown(argv):
    """ARGV as results and --list show it: paths in the checkout relative
    to it."""
    return [os.path.relpath(a, ROOT) if os.path.isabs(a) and a.startswith(ROOT + "/") else a
            for a in argv]


def report(out_dir, plots=True):
    """Write OUT_DIR's plots and results.md from its results.json, and print
    the table of pgalloc against each allocator."""
    results = load(out_dir)
    made = make_plots(out_dir) if plots else []
    path = write_md(results, out_dir, made)
    log(f"wrote {os.path.relpath(path)}" + (f" and {', '.join(f for f, _ in made)}" if made else ""))
    rat = ratios(results)
    if "pgalloc" in results["config"]["allocators"]:
        print("pgalloc against each allocator (ratios pgalloc / allocator, > 1: pgalloc worse):")
        print(stand_table(results, rat))
    return 0


def on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv):
    signal.signal(signal.SIGTERM, on_sigterm)
    ap = argparse.ArgumentParser(prog="scripts/bench",
                                 description="Run pgalloc's benchmarks under glibc, jemalloc, "
                                 "mimalloc, tcmalloc and pgalloc and report on them.")
    ap.add_argument("--reps", type=int, help="repetitions of every run (default 5; 2 with --quick)")
    ap.add_argument("--quick", action="store_true",
                    help="2 repetitions, the workloads' --quick, short google-benchmark runs")
    ap.add_argument("--out", help="results directory: bench/results/NAME "
                    "(default DATE-HOSTNAME), or an absolute path")
    ap.add_argument("--filter", help="only the benchmarks whose id (micro/NAME, "
                    "pages/NAME, workloads/NAME, programs/NAME) matches this Python regex")
    ap.add_argument("--published", action="store_true",
                    help="the workloads that follow a mimalloc-bench program run with its "
                    "published amount of work (--published: minutes, not seconds)")
    ap.add_argument("--syscalls", action="store_true",
                    help="afterwards, run every benchmark once more under each allocator "
                    "under strace -f -c and record its futex, mmap, munmap, mremap, madvise "
                    "and brk calls")
    ap.add_argument("--no-locks", dest="locks", action="store_false",
                    help="do not collect pgalloc's lock counters (by default pgalloc runs "
                    "with PGALLOC_CONF=stats_print=1, joined to yours, and its lock_* "
                    "counters are reported per 1000 operations)")
    ap.add_argument("--threads", type=thread_list, metavar="LIST",
                    help="a scaling run: the suite's multi-threaded workloads at each of "
                    "these thread counts (comma-separated, such as 1,2,4), instead of "
                    "the counts the suite runs them at")
    ap.add_argument("--allocators", default=",".join(ALLOCATORS),
                    help="comma-separated subset of %(default)s")
    ap.add_argument("--min-time", type=float,
                    help="google-benchmark's --benchmark_min_time in seconds "
                    "(default: its own, 0.5; 0.02 with --quick)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds a run may take (default 600)")
    ap.add_argument("--nice", type=int, metavar="N",
                    help="run the benchmarks at this nice value (as root, a negative one "
                    "keeps other work on the machine from disturbing them)")
    ap.add_argument("--note", help="a note for results.md (why the repetitions were reduced, ...)")
    ap.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    ap.add_argument("--report", metavar="DIR",
                    help="only rewrite results.md and the plots of DIR from its results.json")
    ap.add_argument("--no-plots", dest="plots", action="store_false", help="draw no plots")
    # matplotlib draws the plots, nothing else does: the option that chose
    # between it and gnuplot is still accepted, for the command lines that
    # give it.
    ap.add_argument("--plotter", choices=("auto", "matplotlib"), default="auto",
                    help=argparse.SUPPRESS)
    ap.add_argument("--build", default="build", help=argparse.SUPPRESS)
    ap.add_argument("-v", "--verbose", action="store_true", help="a line per run")
    args = ap.parse_args(argv)
    args.argv = argv
    if args.report:
        return report(args.report, args.plots)
    if args.published and args.quick:
        ap.error("--published and --quick do not go together")
    if args.reps is None:
        args.reps = 2 if args.quick else 5
    if args.reps < 1:
        ap.error("--reps must be at least 1")
    if args.min_time is None and args.quick:
        args.min_time = 0.02
    args.allocators = [a.strip() for a in args.allocators.split(",") if a.strip()]
    bad = [a for a in args.allocators if a not in ALLOCATORS]
    if bad:
        ap.error(f"unknown allocator(s): {', '.join(bad)}")
    if REFERENCE not in args.allocators:
        log(f"note: without {REFERENCE} there are no ratios")
    if args.nice is not None:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, args.nice)
        except OSError as e:
            ap.error(f"--nice {args.nice}: {e.strerror}")
    if not args.out:
        args.out = datetime.date.today().isoformat() + "-" + socket.gethostname().split(".")[0]
    return run_all(args)


def entry():
    """main() on the command line's arguments, as the program's exit status."""
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        log("\ninterrupted")
        sys.exit(130)
