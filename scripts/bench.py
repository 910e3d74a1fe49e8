#!/usr/bin/env python3
"""Run pgalloc's benchmarks under every allocator and report on them.

Usually started by scripts/bench, which installs what is missing and builds
build/ first; see `scripts/bench --help`. Running and reporting need nothing
beyond the Python standard library. The plots need matplotlib, which lives in
Debian's /usr/bin/python3 (python3-matplotlib), not necessarily in the
python3 on PATH: this script draws them by running itself there
(`bench.py plot DIR`), and skips them (saying so) when matplotlib is not
installed.

What runs (found with `meson introspect build --targets`):

  bench/micro/        google-benchmark binaries, through plain malloc: every
                      benchmark of each in a process of its own
                      (--benchmark_filter), under every allocator. Metric:
                      google-benchmark's CPU time per iteration, in ns (the
                      real time for the "/real_time" cases).
                      pgalloc-micro-pages (the native page API against mmap)
                      runs under pgalloc only.
  bench/workloads/    one binary per workload, printing lines
                      `RESULT <workload> <metric> <value> <unit>`. rss-decay
                      also writes an RSS trace (--rss-trace FILE).

Each is run as the same binary under glibc (no preload) and, through
LD_PRELOAD, jemalloc, mimalloc, tcmalloc and pgalloc (build/preload/
libpgalloc.so). The order interleaves the allocators:

  for rep in reps: for benchmark: for allocator (rotated each rep): run

so that drift of the
machine spreads over all of them. Each run is a fresh process, started
through GNU time: its peak RSS is ru_maxrss from wait4() there (see
run_one() for why not here), its wall time is measured around it. Medians
over the repetitions are reported.

Ratios are always "x / jemalloc, > 1 = worse than jemalloc": a time (or a
throughput turned into time per unit: jemalloc's throughput / x's) or a
memory figure, lower is better. A workload's headline figure (its first
RESULT line) is the one the geometric means take.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = "jemalloc"
ALLOCATORS = ["glibc", "jemalloc", "mimalloc", "tcmalloc", "pgalloc"]
# The shared library of each allocator ("" for glibc, which needs none).
LIBRARIES = {
    "glibc": "",
    "jemalloc": "libjemalloc.so.2",
    "mimalloc": "libmimalloc.so.2",
    "tcmalloc": "libtcmalloc_minimal.so.4",
}
# Debian packages whose versions results.json records.
PACKAGES = ["libc6", "libjemalloc2", "libmimalloc2.0", "libtcmalloc-minimal4",
            "libbenchmark-dev"]
# Micro-benchmark binaries that measure pgalloc's own API: pgalloc only.
PGALLOC_ONLY = {"pgalloc-micro-pages"}
RESULT_RE = re.compile(r"^RESULT\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)")
TRACE_POINTS = 400       # rss-decay trace points kept per allocator
COLORS = {"glibc": "#7f7f7f", "jemalloc": "#1f77b4", "mimalloc": "#2ca02c",
          "tcmalloc": "#ff7f0e", "pgalloc": "#d62728"}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------- units ----

TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0,
              "sec": 1.0, "cycles": None}
MEMORY_UNITS = {"b": 1, "bytes": 1, "kb": 1000, "kib": 1024, "mb": 1e6,
                "mib": 1 << 20, "gb": 1e9, "gib": 1 << 30, "pages": 4096}


def unit_kind(unit):
    """'time' (lower is better), 'throughput' (higher is better),
    'memory' (lower is better) or 'other' (no ratio)."""
    u = unit.lower()
    if u.endswith("/s") or u.endswith("/sec") or u.endswith("_per_s"):
        return "throughput"
    base = u.split("/", 1)[0]       # ns/op, ms/iter, ...
    if base in TIME_UNITS:
        return "time"
    if base in MEMORY_UNITS or base == "ratio":
        return "memory"
    return "other"


def cost(value, kind):
    """The figure whose ratio reads 'lower is better': time per unit for a
    throughput, the value itself otherwise."""
    if value is None:
        return None
    if kind == "throughput":
        return 1.0 / value if value > 0 else None
    return value


def geomean(values):
    values = [v for v in values if v is not None and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


# ------------------------------------------------------------ discovery ----

def find_lib(name):
    """The path of shared library NAME, or None."""
    multiarch = ""
    try:
        multiarch = subprocess.run(["gcc", "-print-multiarch"], capture_output=True,
                                   text=True, check=False).stdout.strip()
    except OSError:
        pass
    for d in (f"/usr/lib/{multiarch}", "/usr/lib", "/usr/lib64", f"/lib/{multiarch}"):
        path = os.path.join(d, name)
        if os.path.isfile(path):
            return path
    try:
        out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True,
                             check=False).stdout
    except OSError:
        return None
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] == name:
            return parts[-1]
    return None


def allocator_libs(build, wanted):
    libs = {}
    for name in wanted:
        if name == "glibc":
            libs[name] = ""
        elif name == "pgalloc":
            path = os.path.join(build, "preload", "libpgalloc.so")
            if os.path.isfile(path):
                libs[name] = path
            else:
                log(f"pgalloc: {path} not built: left out")
        else:
            path = find_lib(LIBRARIES[name])
            if path:
                libs[name] = path
            else:
                log(f"{name}: {LIBRARIES[name]} not found: left out")
    return libs


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


class Case:
    """One benchmark: a command run once per allocator and repetition."""

    def __init__(self, cid, group, argv, allocators, kind, trace=False):
        self.id = cid            # "micro/BM_malloc/64", "workloads/larson"
        self.group = group       # "micro", "pages", "workloads"
        self.argv = argv
        self.allocators = allocators
        self.kind = kind         # "gbench" or "result"
        self.trace = trace       # pass --rss-trace FILE


def make_cases(build, libs, args):
    targets = bench_targets(build)
    cases = []
    everyone = [a for a in ALLOCATORS if a in libs]
    gb_args = ["--benchmark_format=json"]
    if args.min_time is not None:
        gb_args.append(f"--benchmark_min_time={args.min_time:g}")
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
        argv = [path] + (["--quick"] if args.quick else [])
        cases.append(Case(f"workloads/{name}", "workloads", argv, everyone, "result",
                          trace=is_rss_decay(name)))
    if args.filter:
        rx = re.compile(args.filter)
        cases = [c for c in cases if rx.search(c.id)]
    return cases


# -------------------------------------------------------------- running ----

def clean_env():
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return env


def parse_gbench(stdout):
    """{benchmark name: {'value': ns per iteration, 'unit': 'ns', ...}}."""
    start = stdout.find("{")
    data = json.loads(stdout[start:])
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
    out = {}
    for b in data.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
            continue
        s = scale.get(b.get("time_unit", "ns"), 1.0)
        # The figure google-benchmark measures by: the main thread's CPU
        # time, or the wall-clock time of the cases registered with
        # UseRealTime() (multi-threaded; "/real_time" in the name).
        real = "/real_time" in b["name"]
        out[b["name"]] = {"value": (b["real_time"] if real else b["cpu_time"]) * s,
                          "unit": "ns", "clock": "real" if real else "cpu",
                          # the other clock's figure
                          ("cpu_ns" if real else "real_ns"):
                              (b["cpu_time"] if real else b["real_time"]) * s,
                          "iterations": b.get("iterations")}
    return out, data.get("context", {})


def parse_results(stdout):
    """{metric: {'value', 'unit'}} from RESULT lines (the workload's name is
    prefixed when one binary reports for several workloads)."""
    out = {}
    names = set()
    rows = []
    for line in stdout.splitlines():
        m = RESULT_RE.match(line.strip())
        if not m:
            continue
        try:
            value = float(m.group(3))
        except ValueError:
            continue
        rows.append((m.group(1), m.group(2), value, m.group(4)))
        names.add(m.group(1))
    for wl, metric, value, unit in rows:
        key = metric if len(names) <= 1 else f"{wl}.{metric}"
        out[key] = {"value": value, "unit": unit}
    return out


def read_trace(path):
    points = []
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) < 2 or line.lstrip().startswith("#"):
                    continue
                try:
                    points.append([float(parts[0]), float(parts[1])])
                except ValueError:
                    continue
    except OSError:
        return None
    return points


def downsample(points, n=TRACE_POINTS):
    """At most about N points, keeping each bucket's highest RSS (peaks
    survive) and the last point."""
    if len(points) <= n:
        return points
    step = len(points) / n
    out = []
    for i in range(n):
        bucket = points[int(i * step):max(int((i + 1) * step), int(i * step) + 1)]
        out.append(max(bucket, key=lambda p: p[1]))
    if out[-1] != points[-1]:
        out.append(points[-1])
    return out


GNU_TIME = "/usr/bin/time"


def run_one(case, alloc, lib, timeout, tmpdir):
    """Run CASE once under ALLOC. The peak RSS comes from wait4() in GNU
    time, which forks the benchmark: a process's ru_maxrss carries over the
    high-water mark of the process that forked it (Linux copies it at fork
    and keeps it across exec), so a benchmark forked by this Python (some
    15-20 MiB) would report at least Python's size. GNU time is about 1 MiB,
    less than any benchmark. LD_PRELOAD is set by env(1), after time's fork,
    so that time itself keeps glibc's malloc."""
    env = clean_env()
    argv = list(case.argv)
    trace_file = None
    if case.trace:
        trace_file = os.path.join(tmpdir, "rss-trace.txt")
        if os.path.exists(trace_file):
            os.unlink(trace_file)
        argv += ["--rss-trace", trace_file]
    if lib:
        argv = ["env", f"LD_PRELOAD={lib}"] + argv
    time_file = None
    if os.access(GNU_TIME, os.X_OK):
        time_file = os.path.join(tmpdir, "time.txt")
        argv = [GNU_TIME, "-o", time_file, "-f", "%M %e %U %S %x"] + argv
    out_f = tempfile.TemporaryFile(dir=tmpdir)
    err_f = tempfile.TemporaryFile(dir=tmpdir)
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=out_f, stderr=err_f, env=env,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    # Wait blocking (no polling to disturb the run); a timer thread kills
    # the run's process group when it overstays.
    killed = threading.Event()

    def kill():
        killed.set()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        _, status, ru = os.wait4(proc.pid, 0)
    except BaseException:
        # Interrupted (^C, SIGTERM): the run goes with us.
        kill()
        os.wait4(proc.pid, 0)
        proc.returncode = -9
        raise
    finally:
        timer.cancel()
    wall = time.perf_counter() - t0
    proc.returncode = 0     # reaped here: keep Popen from waiting again
    timed_out = killed.is_set()
    returncode = os.waitstatus_to_exitcode(status)
    maxrss, user, system = ru.ru_maxrss, ru.ru_utime, ru.ru_stime
    if time_file and not timed_out:
        # "[Command terminated by signal N | Command exited with non-zero
        # status N]\nMAXRSS WALL USER SYS STATUS"
        try:
            with open(time_file) as f:
                lines = [line.strip() for line in f if line.strip()]
            os.unlink(time_file)
            fields = lines[-1].split()
            maxrss, user, system = int(fields[0]), float(fields[2]), float(fields[3])
            returncode = int(fields[4])
            for line in lines[:-1]:
                m = re.match(r"Command terminated by signal (\d+)", line)
                if m:
                    returncode = -int(m.group(1))
        except (OSError, IndexError, ValueError):
            pass
    out_f.seek(0)
    err_f.seek(0)
    stdout = out_f.read().decode(errors="replace")
    stderr = err_f.read().decode(errors="replace")
    run = {"bench": case.id, "alloc": alloc, "status": returncode,
           "wall_s": round(wall, 6), "maxrss_kib": maxrss,
           "user_s": round(user, 4), "sys_s": round(system, 4),
           "metrics": {}}
    problem = None
    if timed_out:
        problem = f"timed out after {timeout} s"
    elif returncode != 0:
        problem = (f"killed by signal {-returncode}" if returncode < 0
                   else f"exit status {returncode}")
    else:
        try:
            if case.kind == "gbench":
                res, ctx = parse_gbench(stdout)
                if case.id.split("/", 1)[1] in res:     # one benchmark a process
                    run["metrics"]["time"] = res[case.id.split("/", 1)[1]]
                else:
                    run["metrics"] = res
                if not run["metrics"]:
                    problem = "no benchmark results in its output"
            else:
                run["metrics"] = parse_results(stdout)
                if not run["metrics"]:
                    problem = "no RESULT lines in its output"
        except (ValueError, KeyError) as e:
            problem = f"unreadable output: {e}"
    if problem:
        run["error"] = problem
        run["stderr_tail"] = stderr[-2000:]
    if trace_file and not problem:
        points = read_trace(trace_file)
        if points:
            run["trace"] = points
    return run


def loadavg():
    """The 1, 5 and 15 minute load averages (other work on the machine
    disturbs the figures)."""
    try:
        with open("/proc/loadavg") as f:
            return [float(x) for x in f.read().split()[:3]]
    except (OSError, ValueError):
        return None


def machine_info(build, libs):
    info = {"hostname": socket.gethostname(), "kernel": platform.release(),
            "machine": platform.machine()}
    try:
        info["nproc"] = len(os.sched_getaffinity(0))
    except AttributeError:
        info["nproc"] = os.cpu_count()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    info["mem_total_kib"] = int(line.split()[1])
    except OSError:
        pass
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    info["os"] = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    versions = {}
    for pkg in PACKAGES:
        try:
            p = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                               capture_output=True, text=True, check=False)
            versions[pkg] = p.stdout.strip() if p.returncode == 0 and p.stdout.strip() else None
        except OSError:
            versions[pkg] = None
    info["packages"] = versions

    def cmd(*argv):
        try:
            p = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, check=False)
            return p.stdout.strip() if p.returncode == 0 else None
        except OSError:
            return None

    info["pgalloc_commit"] = cmd("git", "rev-parse", "HEAD")
    dirty = cmd("git", "status", "--porcelain", "--untracked-files=no")
    info["pgalloc_dirty"] = bool(dirty)
    cc = cmd("cc", "--version")
    info["cc"] = cc.splitlines()[0] if cc else None
    try:
        opts = json.loads(cmd("meson", "introspect", build, "--buildoptions") or "[]")
        info["buildtype"] = next((o["value"] for o in opts if o["name"] == "buildtype"), None)
    except ValueError:
        pass
    info["libraries"] = {a: (os.path.relpath(p, ROOT) if p.startswith(ROOT + "/") else p)
                         for a, p in libs.items()}
    info["loadavg_start"] = loadavg()
    return info


def median_runs(runs):
    """{bench: {alloc: {'n', 'failed', 'wall_s', 'maxrss_kib', 'metrics':
    {metric: {'value', 'unit', 'kind'}}}}}: medians of the successful runs."""
    groups = {}
    for r in runs:
        groups.setdefault(r["bench"], {}).setdefault(r["alloc"], []).append(r)
    med = {}
    for bench, by_alloc in groups.items():
        med[bench] = {}
        for alloc, rs in by_alloc.items():
            ok = [r for r in rs if "error" not in r]
            m = {"n": len(ok), "failed": len(rs) - len(ok)}
            if ok:
                m["wall_s"] = statistics.median(r["wall_s"] for r in ok)
                m["maxrss_kib"] = statistics.median(r["maxrss_kib"] for r in ok)
                metrics = {}
                for r in ok:
                    for k, v in r["metrics"].items():
                        metrics.setdefault(k, []).append(v)
                m["metrics"] = {
                    k: {"value": statistics.median(v["value"] for v in vs),
                        "unit": vs[0]["unit"], "kind": unit_kind(vs[0]["unit"]),
                        **({"spread": (max(v["value"] for v in vs) - min(v["value"] for v in vs))
                            / statistics.median(v["value"] for v in vs)}
                           if len(vs) > 1 and statistics.median(v["value"] for v in vs) else {})}
                    for k, vs in metrics.items()}
            else:
                m["errors"] = sorted({r["error"] for r in rs})
            med[bench][alloc] = m
    return med


def keep_traces(runs):
    """{alloc: points} of the rss-decay runs: of each allocator, the run
    with the median wall time, downsampled."""
    by_alloc = {}
    for r in runs:
        if "trace" in r:
            by_alloc.setdefault(r["alloc"], []).append(r)
    traces = {}
    for alloc, rs in by_alloc.items():
        rs.sort(key=lambda r: r["wall_s"])
        r = rs[(len(rs) - 1) // 2]
        traces[alloc] = {"bench": r["bench"], "points": downsample(r["trace"])}
    for r in runs:
        r.pop("trace", None)
    return traces


def rounded(x, digits=5):
    """X with its floats rounded to DIGITS significant digits."""
    if isinstance(x, float):
        return float(f"{x:.{digits}g}") if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: rounded(v, digits) for k, v in x.items()}
    if isinstance(x, list):
        return [rounded(v, digits) for v in x]
    return x


RUN_FIELDS = ["bench", "alloc", "rep", "status", "wall_s", "maxrss_kib", "user_s", "sys_s",
              "metrics"]


def stored_runs(runs):
    """The runs as results.json keeps them, a row each (they are many):
    {'fields': RUN_FIELDS, 'rows': [...]}, metrics as {name: value} (the
    units are in the medians; a micro-benchmark's row also has the other
    clock, real_ns or cpu_ns). Failed runs are listed in full apart."""
    rows = []
    for r in runs:
        metrics = {}
        for k, v in r["metrics"].items():
            metrics[k] = v["value"]
            for extra in ("real_ns", "cpu_ns"):
                if extra in v:
                    metrics[extra] = v[extra]
        rows.append([r[f] for f in RUN_FIELDS[:-1]] + [metrics])
    return {"fields": RUN_FIELDS, "rows": rows}


def write_json(path, results):
    """results.json: indented, but a line per benchmark in the lists and
    tables that have many (benchmarks, medians, failures, runs)."""
    def line(v):
        return json.dumps(rounded(v), separators=(",", ":"))

    parts = []
    for k, v in results.items():
        if k == "runs":
            body = ('{\n  "fields": ' + json.dumps(v["fields"]) + ',\n  "rows": [\n' +
                    ",\n".join("   " + line(r) for r in v["rows"]) + "\n  ]\n }")
        elif k in ("benchmarks", "failures") and v:
            body = "[\n" + ",\n".join("  " + line(x) for x in v) + "\n ]"
        elif k in ("medians", "traces") and v:
            body = "{\n" + ",\n".join(f"  {json.dumps(b)}: {line(x)}" for b, x in v.items()) + "\n }"
        else:
            body = json.dumps(rounded(v), indent=1).replace("\n", "\n ")
        parts.append(f" {json.dumps(k)}: {body}")
    with open(path, "w") as f:
        f.write("{\n" + ",\n".join(parts) + "\n}\n")


def run_all(args):
    build = os.path.join(ROOT, args.build)
    libs = allocator_libs(build, args.allocators)
    if not libs:
        log("no allocator to run")
        return 1
    cases = make_cases(build, libs, args)
    if not cases:
        log("no benchmarks found: is bench/micro or bench/workloads built?")
        return 1
    total = sum(len([a for a in c.allocators if a in libs]) for c in cases) * args.reps
    if args.list:
        for c in cases:
            print(f"{c.id}\t{','.join(a for a in c.allocators if a in libs)}\t"
                  f"{' '.join([os.path.relpath(c.argv[0], ROOT)] + c.argv[1:])}")
        return 0
    out_dir = args.out if os.path.isabs(args.out) else os.path.join(ROOT, "bench", "results", args.out)
    os.makedirs(out_dir, exist_ok=True)
    log(f"{len(cases)} benchmarks, {len(libs)} allocators, {args.reps} repetitions: "
        f"{total} runs; results in {os.path.relpath(out_dir)}")
    info = machine_info(build, libs)
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.perf_counter()
    runs = []
    done = 0
    tty = sys.stderr.isatty()
    last = t0
    with tempfile.TemporaryDirectory(prefix="pga-bench-") as tmpdir:
        rep_start = per_rep = 0
        rep_wall = 0.0
        for rep in range(args.reps):
            if rep:
                per_rep = done - rep_start
                rep_wall = sum(r["wall_s"] for r in runs[rep_start:])
                rep_start = done
            for case in cases:
                allocs = [a for a in ALLOCATORS if a in libs and a in case.allocators]
                k = rep % len(allocs)
                for alloc in allocs[k:] + allocs[:k]:
                    r = run_one(case, alloc, libs[alloc], args.timeout, tmpdir)
                    r["rep"] = rep
                    runs.append(r)
                    done += 1
                    elapsed = time.perf_counter() - t0
                    # What is left: after the first repetition, the rest of
                    # this one (as long as in the last) and the others.
                    if rep == 0:
                        eta = elapsed / done * (total - done)
                    else:
                        rest = sum(r["wall_s"] for r in runs[rep_start - per_rep:rep_start]
                                   [done - rep_start:])
                        eta = rest + rep_wall * (args.reps - rep - 1)
                    status = r.get("error", "")
                    if not args.verbose and not status:
                        if tty:
                            print(f"\r[{done}/{total}] {elapsed:5.0f} s, ~{eta:4.0f} s left  ",
                                  end="", file=sys.stderr, flush=True)
                        elif done == total or time.perf_counter() - last >= 60:
                            last = time.perf_counter()
                            log(f"[{done}/{total}] {elapsed:5.0f} s, ~{eta:4.0f} s left")
                    else:
                        print(f"{chr(13) if tty else ''}[{done}/{total}] rep {rep + 1} {case.id} {alloc}: "
                              f"{r['wall_s']:.2f} s, {r['maxrss_kib']} KiB {status}",
                              file=sys.stderr, flush=True)
                        if status and r.get("stderr_tail"):
                            log("    " + r["stderr_tail"].strip().replace("\n", "\n    ")[-600:])
    if tty:
        print(file=sys.stderr)
    wall = time.perf_counter() - t0
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
                   "note": args.note},
        "machine": info,
        "benchmarks": [{"id": c.id, "group": c.group,
                        "argv": [os.path.relpath(c.argv[0], ROOT)] + c.argv[1:],
                        "allocators": [a for a in c.allocators if a in libs]} for c in cases],
        "medians": median_runs(runs),
        "traces": traces,
        "failures": [r for r in runs if "error" in r],
        "runs": stored_runs(runs),
    }
    path = os.path.join(out_dir, "results.json")
    write_json(path, results)
    log(f"wrote {os.path.relpath(path)} ({wall:.0f} s of runs)")
    failed = sum(1 for r in runs if "error" in r)
    if failed:
        log(f"{failed} of {len(runs)} runs failed: see results.md")
    report(out_dir, args.plots)
    return 0


# ------------------------------------------------------------ reporting ----

def rows_of(results):
    """The rows of the report: (bench, metric, group, kind, unit, headline),
    in the order the benchmarks print them. A workload's headline figure is
    its first RESULT line; each micro-benchmark has one figure."""
    rows = []
    med = results["medians"]
    for b in results["benchmarks"]:
        metrics = {}
        for alloc in results["config"]["allocators"]:
            m = med.get(b["id"], {}).get(alloc, {})
            for k, v in m.get("metrics", {}).items():
                metrics.setdefault(k, (v["kind"], v["unit"]))
        for i, k in enumerate(metrics):
            rows.append((b["id"], k, b["group"], metrics[k][0], metrics[k][1],
                         i == 0 or b["group"] != "workloads"))
    return rows


def value_of(med, bench, alloc, metric):
    m = med.get(bench, {}).get(alloc)
    if not m or metric not in m.get("metrics", {}):
        return None
    return m["metrics"][metric]["value"]


def ratios(results):
    """Ratios to the reference, lower is better: {'time': {(bench, metric):
    {alloc: r}}} of the headline figures (time or throughput), 'time_all'
    of every time or throughput figure, 'memory' of the memory figures the
    workloads report, 'rss': {bench: {alloc: r}} of peak RSS."""
    med = results["medians"]
    allocs = results["config"]["allocators"]
    out = {"time": {}, "time_all": {}, "memory": {}, "rss": {}}
    for bench, metric, group, kind, unit, headline in rows_of(results):
        if group == "pages" or kind == "other":
            continue
        ref = cost(value_of(med, bench, REFERENCE, metric), kind)
        if not ref:
            continue
        r = {a: cost(value_of(med, bench, a, metric), kind) / ref
             for a in allocs if cost(value_of(med, bench, a, metric), kind)}
        if kind == "memory":
            out["memory"][(bench, metric)] = r
        else:
            out["time_all"][(bench, metric)] = r
            if headline:
                out["time"][(bench, metric)] = r
    for b in results["benchmarks"]:
        if b["group"] == "pages":
            continue
        ref = med.get(b["id"], {}).get(REFERENCE, {}).get("maxrss_kib")
        if not ref:
            continue
        out["rss"][b["id"]] = {a: med[b["id"]][a]["maxrss_kib"] / ref for a in allocs
                               if med[b["id"]].get(a, {}).get("maxrss_kib")}
    return out


def fmt_value(v, unit):
    if v is None:
        return "–"
    if unit == "KiB":
        return fmt_kib(v)
    if unit == "ratio":
        return f"{v:.3g}"
    if unit == "ns":
        for scale, u in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
            if v >= scale:
                return f"{v / scale:.3g} {u}"
        return f"{v:.3g} ns"
    if unit.endswith("/s"):
        for scale, p in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
            if v >= scale:
                return f"{v / scale:.3g} {p}{unit}"
    if abs(v) >= 1e5:
        return f"{v:,.0f} {unit}"
    return f"{v:.3g} {unit}"


def fmt_ratio(r):
    if r is None:
        return "–"
    if r < 0.095:
        return f"{r:.2g}"
    if r >= 99.5:
        return f"{r:.0f}"
    return f"{r:.2f}"


def fmt_kib(k):
    if k is None:
        return "–"
    if k >= 10 * 1024:
        return f"{k / 1024:.0f} MiB"
    if k >= 1024:
        return f"{k / 1024:.1f} MiB"
    return f"{k:.0f} KiB"


def label(bench, metric):
    name = bench.split("/", 1)[1]
    return name if metric in ("time", "throughput") else f"{name} {metric}"


def stand(results, rat, group=""):
    """pgalloc against each allocator, over GROUP's benchmarks ("": all):
    [{alloc, time, n, faster, slower, worst: [(row, r)], rss, rss_n,
    rss_less, rss_more}], ratios pgalloc / alloc, worst first."""
    allocs = [a for a in results["config"]["allocators"] if a != "pgalloc"]
    out = []
    for a in allocs:
        t = [(k, r["pgalloc"] / r[a]) for k, r in rat["time"].items()
             if "pgalloc" in r and a in r and k[0].startswith(group)]
        m = [(k, r["pgalloc"] / r[a]) for k, r in rat["rss"].items()
             if "pgalloc" in r and a in r and k.startswith(group)]
        out.append({
            "alloc": a,
            "time": geomean([x for _, x in t]), "n": len(t),
            "faster": sum(1 for _, x in t if x < 1), "slower": sum(1 for _, x in t if x > 1),
            "worst": sorted((kx for kx in t if kx[1] > 1), key=lambda kx: -kx[1]),
            "rss": geomean([x for _, x in m]), "rss_n": len(m),
            "rss_less": sum(1 for _, x in m if x < 1), "rss_more": sum(1 for _, x in m if x > 1),
        })
    return out


def behind_best(results, rat, group):
    """[(row, pgalloc / best, best alloc)] of GROUP's time rows, worst first."""
    out = []
    for (bench, metric), r in rat["time"].items():
        if not bench.startswith(group + "/") or "pgalloc" not in r:
            continue
        others = {a: x for a, x in r.items() if a != "pgalloc"}
        if not others:
            continue
        best = min(others, key=others.get)
        out.append(((bench, metric), r["pgalloc"] / others[best], best))
    out.sort(key=lambda t: -t[1])
    return out


def write_md(results, out_dir, plots):
    med = results["medians"]
    allocs = results["config"]["allocators"]
    info = results["machine"]
    rat = ratios(results)
    L = []
    w = L.append
    date = results["started"][:10]
    w(f"# pgalloc benchmarks, {date}")
    w("")
    commit = info.get("pgalloc_commit") or "unknown"
    w(f"- pgalloc commit `{commit[:12]}`"
      + (" (with uncommitted changes)" if info.get("pgalloc_dirty") else "")
      + f", build `{info.get('buildtype', '?')}`, {info.get('cc') or ''}")
    w(f"- {info.get('cpu', '?')}, {info.get('nproc', '?')} CPUs, "
      f"{(info.get('mem_total_kib') or 0) / 1048576:.1f} GiB, {info.get('os', '')}, "
      f"Linux {info.get('kernel', '?')}")
    pk = info.get("packages", {})
    w("- " + ", ".join(f"{p} {v}" for p, v in pk.items() if v))
    cfg = results["config"]
    w(f"- `{results['command']}`: {cfg['reps']} repetition(s)"
      + (", quick mode (workloads' --quick, short google-benchmark runs)" if cfg["quick"] else "")
      + f"; medians; wall time of the whole run {results['wall_s'] / 60:.1f} min")
    la0, la1 = info.get("loadavg_start"), info.get("loadavg_end")
    if la0 and la1:
        w(f"- load average (1, 5, 15 min) {la0[0]:.2f} {la0[1]:.2f} {la0[2]:.2f} at the start, "
          f"{la1[0]:.2f} {la1[1]:.2f} {la1[2]:.2f} at the end (the runs themselves load one "
          "or two CPUs)")
    spreads = [v["spread"] for d in med.values() for m in d.values()
               for i, v in enumerate(m.get("metrics", {}).values()) if i == 0 and "spread" in v]
    if spreads:
        w(f"- noise: the spread of a headline figure over the repetitions ((highest - lowest) "
          f"/ median) is {100 * statistics.median(spreads):.0f}% in the median, "
          f"{100 * sorted(spreads)[int(0.9 * (len(spreads) - 1))]:.0f}% at the 90th percentile")
    if cfg.get("note"):
        w(f"- **Note:** {cfg['note']}")
    w("")
    w("Every benchmark is the same binary under each allocator: glibc without "
      "preload, the others through `LD_PRELOAD`. Runs interleave the allocators "
      "(for each repetition, for each benchmark, for each allocator) and each run "
      "is a fresh process; peak RSS is its `ru_maxrss` (as GNU time reports it: "
      "a process forked by the Python runner would inherit the runner's "
      "high-water mark).")
    w("")
    w("**Ratios are to jemalloc, and > 1 is worse than jemalloc** for time and "
      "memory alike: time ratio = time(x) / time(jemalloc), with throughputs "
      "turned into time per unit first (so jemalloc's ops/s divided by x's); "
      "RSS ratio = peak RSS(x) / peak RSS(jemalloc). Micro-benchmarks run one "
      "google-benchmark per process; their figure is the CPU time per "
      "iteration (the wall-clock time for the multi-threaded `/real_time` ones). "
      "A workload's headline figure is its first `RESULT` line; the time "
      "ratios and their means take that one (its other figures are in its "
      "own table), and a workload whose headline is a memory figure "
      "(rss-decay) counts among the memory figures, not the times.")
    w("")

    # Geometric means per allocator.
    w("## Geometric means")
    w("")
    groups = [("micro", "micro-benchmarks"), ("workloads", "workloads"), ("", "all")]
    head = "| allocator |" + "".join(f" time, {n} |" for _, n in groups) + \
        "".join(f" peak RSS, {n} |" for _, n in groups)
    w(head)
    w("|---|" + "---:|" * (2 * len(groups)))
    for a in allocs:
        cells = []
        for src in ("time", "rss"):
            for g, _ in groups:
                vals = [r[a] for k, r in rat[src].items()
                        if a in r and (k[0] if src == "time" else k).startswith(g)]
                gm = geomean(vals)
                cells.append(f"{gm:.2f} ({len(vals)})" if gm else "–")
        w(f"| {a} | " + " | ".join(cells) + " |")
    w("")
    w("(in parentheses: the number of benchmark figures in the mean)")
    w("")

    # pgalloc against each.
    if "pgalloc" in allocs:
        w("## pgalloc against each allocator")
        w("")
        w("Ratios pgalloc / allocator, geometric means over the workloads and over "
          "the micro-benchmarks (> 1: pgalloc slower, or bigger); the last column "
          "lists every workload where pgalloc is slower, with its ratio.")
        w("")
        w(stand_table(results, rat))
        w("")
        for group, title in (("workloads", "Workloads"), ("micro", "Micro-benchmarks")):
            bb = behind_best(results, rat, group)
            if not bb:
                continue
            w(f"### {title} where pgalloc is furthest behind the fastest")
            w("")
            w("| benchmark | pgalloc / fastest | fastest |")
            w("|---|---:|---|")
            for (bench, metric), r, best in bb[:12 if group == "workloads" else 8]:
                w(f"| {label(bench, metric)} | {fmt_ratio(r)} | {best} |")
            w("")

    if plots:
        w("## Plots")
        w("")
        for f, t in plots:
            w(f"![{t}]({f})")
            w("")

    # Ratio overview.
    for src, title in (("time", "Time ratios to jemalloc (of each workload its headline figure)"),
                       ("memory", "Memory figures reported by the workloads, ratios to jemalloc"),
                       ("rss", "Peak RSS ratios to jemalloc")):
        if not rat[src]:
            continue
        w(f"## {title}")
        w("")
        w("| benchmark | " + " | ".join(allocs) + " |")
        w("|---|" + "---:|" * len(allocs))
        for k, r in rat[src].items():
            name = label(*k) if src != "rss" else k.split("/", 1)[1]
            cells = []
            for a in allocs:
                x = r.get(a)
                s = fmt_ratio(x)
                if a == "pgalloc" and x is not None:
                    s = f"**{s}**"
                cells.append(s)
            w(f"| {name} | " + " | ".join(cells) + " |")
        w("")

    # One table per benchmark.
    w("## Each benchmark")
    w("")
    rows = rows_of(results)
    for b in results["benchmarks"]:
        bench = b["id"]
        metrics = [(m, kind, unit) for (bb, m, g, kind, unit, h) in rows if bb == bench]
        w(f"### {bench}")
        w("")
        w(f"`{' '.join(b['argv'])}`")
        w("")
        head = "| allocator |"
        sep = "|---|"
        for i, (m, kind, unit) in enumerate(metrics):
            direction = {"time": "lower is better", "throughput": "higher is better",
                         "memory": "lower is better"}.get(kind, "")
            head += f" {m} ({direction}) |" if direction else f" {m} |"
            sep += "---:|"
            if i == 0 and results["config"]["reps"] > 1:
                head += " spread |"
                sep += "---:|"
            if kind != "other" and b["group"] != "pages":
                head += " ratio |"
                sep += "---:|"
        head += " peak RSS |"
        sep += "---:|"
        if b["group"] != "pages":
            head += " RSS ratio |"
            sep += "---:|"
        head += " wall |"
        sep += "---:|"
        w(head)
        w(sep)
        for a in b["allocators"]:
            m = med.get(bench, {}).get(a)
            if not m:
                continue
            if not m.get("n"):
                w(f"| {a} | failed: {'; '.join(m.get('errors', []))} |")
                continue
            cells = []
            for i, (metric, kind, unit) in enumerate(metrics):
                v = value_of(med, bench, a, metric)
                cells.append(fmt_value(v, unit))
                if i == 0 and results["config"]["reps"] > 1:
                    sp = m.get("metrics", {}).get(metric, {}).get("spread")
                    cells.append("–" if sp is None else f"{100 * sp:.0f}%")
                if kind != "other" and b["group"] != "pages":
                    key = "memory" if kind == "memory" else "time_all"
                    cells.append(fmt_ratio(rat[key].get((bench, metric), {}).get(a)))
            cells.append(fmt_kib(m.get("maxrss_kib")))
            if b["group"] != "pages":
                cells.append(fmt_ratio(rat["rss"].get(bench, {}).get(a)))
            cells.append(f"{m['wall_s']:.2f} s")
            extra = f" ({m['failed']} of {m['n'] + m['failed']} runs failed)" if m["failed"] else ""
            w(f"| {a}{extra} | " + " | ".join(cells) + " |")
        w("")

    failures = results.get("failures", [])
    if failures:
        w("## Failed runs")
        w("")
        for r in failures:
            tail = (r.get("stderr_tail") or "").strip().splitlines()[-3:]
            w(f"- {r['bench']} under {r['alloc']} (repetition {r['rep'] + 1}): {r['error']}"
              + (": `" + " / ".join(tail)[:300] + "`" if tail else ""))
        w("")
    path = os.path.join(out_dir, "results.md")
    with open(path, "w") as f:
        f.write("\n".join(L).rstrip() + "\n")
    return path


def stand_table(results, rat):
    """pgalloc against each allocator, workloads and micro-benchmarks apart:
    a Markdown table (also the one in README.md)."""
    by = {g: {x["alloc"]: x for x in stand(results, rat, g + "/")} for g in ("workloads", "micro")}
    L = ["| pgalloc against | workloads: time | workloads: peak RSS | micro: time "
         "| micro: peak RSS | workloads where pgalloc is slower |",
         "|---|---:|---:|---:|---:|---|"]
    for a in by["workloads"]:
        cells = []
        for g in ("workloads", "micro"):
            x = by[g][a]
            cells.append(f"{fmt_ratio(x['time'])} (faster in {x['faster']} of {x['n']})"
                         if x["n"] else "–")
            cells.append(f"{fmt_ratio(x['rss'])} (smaller in {x['rss_less']} of {x['rss_n']})"
                         if x["rss_n"] else "–")
        worst = ", ".join(f"{label(*k)} {fmt_ratio(r)}" for k, r in by["workloads"][a]["worst"])
        L.append(f"| {a} | " + " | ".join(cells) + f" | {worst or 'none'} |")
    return "\n".join(L)


# ---------------------------------------------------------------- plots ----

PLOT_FILES = [("time-ratios.png", "Time ratio to jemalloc"),
              ("rss-ratios.png", "Peak RSS ratio to jemalloc"),
              ("rss-decay-trace.png", "RSS over time, rss-decay")]


PANELS = [("workloads", "workloads"), ("micro", "micro-benchmarks")]


def plot_data(results):
    """What the plots show: {'time'|'rss': [(panel title, [labels], {alloc:
    [ratios]})]}, a panel per group with its geometric mean last, and the
    traces."""
    rat = ratios(results)
    allocs = [a for a in results["config"]["allocators"] if a != REFERENCE]
    data = {}
    for src in ("time", "rss"):
        data[src] = []
        for group, title in PANELS:
            keys = [k for k in rat[src] if (k[0] if src == "time" else k).startswith(group + "/")]
            if not keys:
                continue
            labels = [label(*k) if src == "time" else k.split("/", 1)[1] for k in keys]
            series = {a: [rat[src][k].get(a) for k in keys] for a in allocs}
            labels.append("geometric mean")
            for a in allocs:
                series[a].append(geomean(series[a]))
            data[src].append((title, labels, series))
    return data, results.get("traces", {})


def nice_ticks(lo, hi):
    """Log-scale ticks between LO and HI, not too many."""
    steps = [(1, 1.5, 2, 3, 5, 7), (1, 2, 5), (1, 3), (1,)]
    for mult in steps:
        ticks = []
        for e in range(-6, 7):
            for m in mult:
                t = m * 10.0 ** e
                if lo / 1.5 <= t <= hi * 1.5:
                    ticks.append(t)
        if 1.0 not in ticks:
            ticks.append(1.0)
        if len(ticks) <= 9:
            return sorted(ticks)
    return sorted(ticks)


def plot_matplotlib(out_dir):
    """Run by Debian's python3: draw the PNGs with matplotlib."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    with open(os.path.join(out_dir, "results.json")) as f:
        results = json.load(f)
    data, traces = plot_data(results)
    made = []
    for (src, title), fname in zip((("time", "Time ratio to jemalloc (> 1: slower than jemalloc)"),
                                    ("rss", "Peak RSS ratio to jemalloc (> 1: bigger than jemalloc)")),
                                   ("time-ratios.png", "rss-ratios.png")):
        panels = data[src]
        if not panels:
            continue
        sizes = [len(p[1]) for p in panels]
        fig, axes = plt.subplots(len(panels), 1, squeeze=False,
                                 figsize=(9, 0.26 * sum(sizes) + 1.2 * len(panels) + 0.6),
                                 gridspec_kw={"height_ratios": [n + 2 for n in sizes]})
        for ax, (ptitle, labels, series) in zip(axes[:, 0], panels):
            n = len(labels)
            allocs = list(series)
            h = 0.8 / len(allocs)
            for i, a in enumerate(allocs):
                ys = [j + (i - (len(allocs) - 1) / 2) * h for j in range(n)]
                vals = [v if v else float("nan") for v in series[a]]
                ax.barh(ys, vals, height=h, label=a, color=COLORS.get(a))
            ax.axvline(1.0, color="black", linewidth=0.8)
            ax.set_xscale("log")
            vals = [v for a in allocs for v in series[a] if v]
            ticks = nice_ticks(min(vals + [1.0]), max(vals + [1.0]))
            ax.set_xticks(ticks)
            ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.set_yticks(range(n))
            ax.set_yticklabels(labels, fontsize=7)
            ax.get_yticklabels()[-1].set_fontweight("bold")
            ax.set_ylim(n - 0.5, -0.5)
            ax.set_title(ptitle, fontsize=9)
            ax.grid(axis="x", which="major", alpha=0.3)
        axes[0, 0].legend(fontsize=8, loc="best")
        axes[-1, 0].set_xlabel("ratio to jemalloc, log scale (< 1: better than jemalloc)")
        fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, fname), dpi=80)
        plt.close(fig)
        made.append(fname)
    if traces:
        fig, ax = plt.subplots(figsize=(9, 4.5))
        for a in results["config"]["allocators"]:
            if a in traces:
                pts = traces[a]["points"]
                ax.plot([p[0] / 1000 for p in pts], [p[1] / 1024 for p in pts],
                        label=a, color=COLORS.get(a), linewidth=1.2)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("RSS (MiB)")
        ax.set_title("RSS over time, rss-decay")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, "rss-decay-trace.png"), dpi=90)
        plt.close(fig)
        made.append("rss-decay-trace.png")
    print("\n".join(made))


def make_plots(out_dir):
    """Draw the plots, replacing those OUT_DIR has; returns [(file, title)]
    of those drawn."""
    for f, _ in PLOT_FILES:
        try:
            os.unlink(os.path.join(out_dir, f))
        except FileNotFoundError:
            pass
    py = "/usr/bin/python3"
    if not os.access(py, os.X_OK) or subprocess.run(
            [py, "-c", "import matplotlib"], capture_output=True, check=False).returncode != 0:
        log(f"no plots: matplotlib is not installed (python3-matplotlib, for {py})")
        return []
    p = subprocess.run([py, os.path.abspath(__file__), "plot", out_dir],
                       capture_output=True, text=True, check=False)
    if p.returncode != 0:
        log("matplotlib plots failed: " + p.stderr.strip()[-800:])
        return []
    made = p.stdout.split()
    return [(f, t) for f, t in PLOT_FILES if f in made]


def report(out_dir, plots=True):
    with open(os.path.join(out_dir, "results.json")) as f:
        results = json.load(f)
    made = make_plots(out_dir) if plots else []
    path = write_md(results, out_dir, made)
    log(f"wrote {os.path.relpath(path)}" + (f" and {', '.join(f for f, _ in made)}" if made else ""))
    rat = ratios(results)
    if "pgalloc" in results["config"]["allocators"]:
        print("pgalloc against each allocator (ratios pgalloc / allocator, > 1: pgalloc worse):")
        print(stand_table(results, rat))
    return 0


# ----------------------------------------------------------------- main ----

def on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv):
    signal.signal(signal.SIGTERM, on_sigterm)
    if len(argv) >= 1 and argv[0] == "plot":
        plot_matplotlib(argv[1])
        return 0
    ap = argparse.ArgumentParser(prog="scripts/bench",
                                 description="Run pgalloc's benchmarks under glibc, jemalloc, "
                                 "mimalloc, tcmalloc and pgalloc and report on them.")
    ap.add_argument("--reps", type=int, help="repetitions of every run (default 5; 2 with --quick)")
    ap.add_argument("--quick", action="store_true",
                    help="2 repetitions, the workloads' --quick, short google-benchmark runs")
    ap.add_argument("--out", help="results directory: bench/results/NAME "
                    "(default DATE-HOSTNAME), or an absolute path")
    ap.add_argument("--filter", help="only the benchmarks whose id (micro/NAME, "
                    "pages/NAME, workloads/NAME) matches this Python regex")
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


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        log("\ninterrupted")
        sys.exit(130)
