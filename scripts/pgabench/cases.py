"""The benchmarks: which binaries the build has, the cases made of them
(one command each, run once per allocator and repetition), and the names
they go by in tables and plots."""

import json
import os
import re
import shutil
import subprocess

from . import ALLOCATORS, ROOT, log

# Micro-benchmark binaries that measure pgalloc's own API: pgalloc only.
PGALLOC_ONLY = {"pgalloc-micro-pages"}


# The workloads that follow a program of mimalloc-bench (the head of each
# source says which, with which parameters), and the thread counts
# mimalloc-bench runs them at: "1", "N" (the CPUs this process may use),
# "2N" (it oversubscribes); None: the program takes no thread count. Those
# it runs only at N get a one-thread case too where the loss to explain is
# a one-thread one (glibc-thread, rptest). Each becomes a case per count,
# named NAME-<n>t.
SUITE = {
    "wl-alloc-test": ["1", "N"],        # alloc-test1, alloc-testN
    "wl-larson": ["N"],                 # larsonN
    "wl-larson-sized": ["N"],           # larsonN-sized
    "wl-rptest": ["1", "N"],            # rptestN
    "wl-glibc-simple": [None],          # glibc-simple
    "wl-glibc-thread": ["1", "N"],      # glibc-thread
    "wl-malloc-large": [None],          # malloc-large
    "wl-sh6bench": ["2N"],              # sh6benchN
}

# Real programs, the "programs" group: (name, interpreters to look for on
# PATH, the script under bench/workloads/, its argument at scale 1 and with
# --quick). Each runs as it is under every allocator; its figure is the
# wall time of the run (the script prints its operation count).
PROGRAMS = [
    ("lua-realloc", ["lua5.4", "lua5.3", "lua"], "lua_realloc.lua", "1", "0.1"),
]


class Case:
    """One benchmark: a command run once per allocator and repetition."""

    def __init__(self, cid, group, argv, allocators, kind, trace=False):
        self.id = cid            # "micro/BM_malloc/64", "workloads/wl-larson-2t"
        self.group = group       # "micro", "pages", "workloads", "programs"
        self.argv = argv
        self.allocators = allocators
        self.kind = kind         # "gbench", "result" or "program"
        self.trace = trace       # pass --rss-trace FILE


def clean_env():
    """The environment a benchmark starts from: ours, without LD_PRELOAD."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return env


def bench_targets(build):
    """{'micro': [(name, path)], 'workloads': [(name, path)]}: the
    executables that bench/micro/meson.build and bench/workloads/meson.build
    define, as meson reports them (else what lies in the build directories)."""
    found = {"micro": [], "workloads": []}
    try:
        out = subprocess.run(["meson", "introspect", build, "--targets"],
                             capture_output=True, text=True, check=True).stdout
        targets = json.loads(out)
    except (OSError, subprocess.CalledProcessError, ValueError):
        targets = None
    if targets is not None:
        for t in targets:
            if t.get("type") != "executable" or not t.get("filename"):
                continue
            d = os.path.basename(os.path.dirname(t.get("defined_in", "")))
            if d in found:
                found[d].append((t["name"], t["filename"][0]))
    else:
        for d in found:
            path = os.path.join(build, "bench", d)
            if os.path.isdir(path):
                for f in os.listdir(path):
                    p = os.path.join(path, f)
                    if os.path.isfile(p) and os.access(p, os.X_OK) and "." not in f:
                        found[d].append((f, p))
    for d in found:
        found[d].sort()
    return found


def gbench_escape(name):
    """A google-benchmark --benchmark_filter regex matching exactly NAME."""
    return "^" + re.sub(r"([.\[\](){}*+?|^$\\])", r"\\\1", name) + "$"


def gbench_list(path):
    """The benchmarks of google-benchmark binary PATH, or None."""
    try:
        p = subprocess.run([path, "--benchmark_list_tests=true"], capture_output=True,
                           text=True, timeout=60, env=clean_env(), check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        log(f"{path}: cannot list its benchmarks: {e}")
        return None
    if p.returncode != 0:
        log(f"{path}: --benchmark_list_tests failed (status {p.returncode})")
        return None
    return [line.strip() for line in p.stdout.splitlines() if line.strip()]


def is_rss_decay(name):
    return "rss-decay" in name or "rss_decay" in name


def nprocs():
    """The CPUs this process may run on (N of the suite's thread counts)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def thread_counts(spec, n=None):
    """The thread counts of a SUITE entry, N resolved, duplicates gone."""
    n = n or nprocs()
    out = []
    for t in spec:
        v = None if t is None else {"1": 1, "N": n, "2N": 2 * n}[t]
        if v not in out:
            out.append(v)
    return out


def make_cases(build, libs, min_time=None, quick=False, pattern=None, published=False,
               threads=None):
    """The cases of build directory BUILD under the allocators of LIBS
    ({alloc: library}): google-benchmark's --benchmark_min_time MIN_TIME,
    the workloads' --quick with QUICK (or, PUBLISHED, the suite's workloads
    with the published amount of work: --published), the real programs,
    only the ids that regex PATTERN matches."""
    targets = bench_targets(build)
    cases = []
    everyone = [a for a in ALLOCATORS if a in libs]
    gb_args = ["--benchmark_format=json"]
    if min_time is not None:
        gb_args.append(f"--benchmark_min_time={min_time:g}")
    for name, path in targets["micro"]:
        only_pga = name in PGALLOC_ONLY or "pages" in name
        allocs = ["pgalloc"] if only_pga else everyone
        if only_pga and "pgalloc" not in libs:
            continue
        group = "pages" if only_pga else "micro"
        names = gbench_list(path)
        if names is None:
            # Every benchmark of the binary in one process.
            cases.append(Case(f"{group}/{name}", group, [path] + gb_args, allocs, "gbench"))
            continue
        for bm in names:
            cases.append(Case(f"{group}/{bm}", group,
                              [path, f"--benchmark_filter={gbench_escape(bm)}"] + gb_args,
                              allocs, "gbench"))
    for name, path in targets["workloads"]:
        if name in SUITE:
            extra = ["--published"] if published else (["--quick"] if quick else [])
            counts = thread_counts(SUITE[name])
            if threads and counts != [None]:
                counts = threads   # --threads: a scaling run
            for t in counts:
                cid = f"workloads/{name}" + (f"-{t}t" if t else "")
                argv = [path] + (["--threads", str(t)] if t else []) + extra
                cases.append(Case(cid, "workloads", argv, everyone, "result"))
            continue
        argv = [path] + (["--quick"] if quick else [])
        cases.append(Case(f"workloads/{name}", "workloads", argv, everyone, "result",
                          trace=is_rss_decay(name)))
    for name, interpreters, script, arg, quick_arg in PROGRAMS:
        exe = next((shutil.which(i) for i in interpreters if shutil.which(i)), None)
        if not exe:
            log(f"programs/{name}: none of {', '.join(interpreters)} on PATH: left out "
                "(scripts/setup-deps bench installs it)")
            continue
        path = os.path.join(ROOT, "bench", "workloads", script)
        cases.append(Case(f"programs/{name}", "programs",
                          [exe, path, quick_arg if quick else arg], everyone, "program"))
    if pattern:
        rx = re.compile(pattern)
        cases = [c for c in cases if rx.search(c.id)]
    return cases


def label(bench, metric):
    """The name of the row of figure METRIC of benchmark BENCH."""
    name = bench.split("/", 1)[1]
    return name if metric in ("time", "throughput") else f"{name} {metric}"
