"""The benchmarks: which binaries the build has, the cases made of them
(one command each, run once per allocator and repetition), and the names
they go by in tables and plots."""

import json
import os
import re
import subprocess

from . import ALLOCATORS, log

# Micro-benchmark binaries that measure pgalloc's own API: pgalloc only.
PGALLOC_ONLY = {"pgalloc-micro-pages"}


class Case:
    """One benchmark: a command run once per allocator and repetition."""

    def __init__(self, cid, group, argv, allocators, kind, trace=False):
        self.id = cid            # "micro/BM_malloc/64", "workloads/larson"
        self.group = group       # "micro", "pages", "workloads"
        self.argv = argv
        self.allocators = allocators
        self.kind = kind         # "gbench" or "result"
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


def make_cases(build, libs, min_time=None, quick=False, pattern=None):
    """The cases of build directory BUILD under the allocators of LIBS
    ({alloc: library}): google-benchmark's --benchmark_min_time MIN_TIME,
    the workloads' --quick with QUICK, only the ids that regex PATTERN
    matches."""
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
        argv = [path] + (["--quick"] if quick else [])
        cases.append(Case(f"workloads/{name}", "workloads", argv, everyone, "result",
                          trace=is_rss_decay(name)))
    if pattern:
        rx = re.compile(pattern)
        cases = [c for c in cases if rx.search(c.id)]
    return cases


def label(bench, metric):
    """The name of the row of figure METRIC of benchmark BENCH."""
    name = bench.split("/", 1)[1]
    return name if metric in ("time", "throughput") else f"{name} {metric}"
