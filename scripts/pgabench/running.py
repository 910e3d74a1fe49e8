"""Running the cases: each under each allocator, the repetitions
interleaved, a fresh process per run with its peak RSS and its figures; and
what the results record of the machine."""

import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from . import ALLOCATORS, ROOT, log
from .cases import clean_env

# The shared library of each allocator ("" for glibc, which needs none).
LIBRARIES = {
    "glibc": "",
    "jemalloc": "libjemalloc.so.2",
    "mimalloc": "libmimalloc.so.2",
    "tcmalloc": "libtcmalloc_minimal.so.4",
}
# Debian packages whose versions results.json records.
PACKAGES = ["libc6", "libjemalloc2", "libmimalloc2.0", "libtcmalloc-minimal4",
            "libbenchmark-dev", "lua5.4", "lua5.3", "strace"]
RESULT_RE = re.compile(r"^RESULT\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)")
GNU_TIME = "/usr/bin/time"
# What pgalloc is given for its lock counters (PGALLOC_CONF, joined to the
# user's): at exit it prints its statistics on stderr, among them, in the
# block after the "# /proc/vmstat" line, `lock_acquired N`,
# `lock_contended N`, ... (totals, then per lock class: _zone, _slab).
STATS_CONF = "stats_print=1"
VMSTAT_HEADER = "# /proc/vmstat"
# The system calls --syscalls counts (strace -f -c).
SYSCALLS = ["futex", "mmap", "munmap", "mremap", "madvise", "brk"]


# ----------------------------------------------------------- allocators ----

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
    """{alloc: library to preload ("" for glibc)} of the allocators in
    WANTED that are there; those that are not are named and left out."""
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


# --------------------------------------------------------------- output ----

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


def parse_locks(stderr):
    """{counter: value} of the `lock_*` lines in pgalloc's statistics at
    exit (the block after a "# /proc/vmstat" line, up to the next "#"
    line), summed over the blocks (one per process that printed one); {}
    when there is none (another allocator, an older pgalloc, a run that
    died before exit)."""
    totals = {}
    in_block = False
    for line in stderr.splitlines():
        line = line.strip()
        if line.startswith("#"):
            in_block = line == VMSTAT_HEADER
            continue
        if not in_block:
            continue
        parts = line.split()
        if len(parts) != 2 or not parts[0].startswith("lock_"):
            continue
        try:
            totals[parts[0]] = totals.get(parts[0], 0) + int(parts[1])
        except ValueError:
            continue
    return totals


def without_stats(stderr):
    """STDERR up to pgalloc's statistics at exit (their first header line,
    "# /proc/..." or "# /sys/..."): what the program itself said."""
    m = re.search(r"^# /(proc|sys)/", stderr, re.M)
    return stderr[:m.start()] if m else stderr


def with_conf(env, conf):
    """ENV with CONF joined to its PGALLOC_CONF (comma-separated)."""
    env = dict(env)
    old = env.get("PGALLOC_CONF", "").strip().strip(",")
    env["PGALLOC_CONF"] = f"{old},{conf}" if old else conf
    return env


def parse_strace(text):
    """{syscall: calls} from the summary table strace -c writes (columns
    % time, seconds, usecs/call, calls, [errors,] syscall)."""
    calls = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 5 or parts[-1] == "total" or parts[0].startswith(("%", "-")):
            continue
        try:
            calls[parts[-1]] = calls.get(parts[-1], 0) + int(parts[3])
        except ValueError:
            continue
    return calls


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


# ------------------------------------------------------------------ run ----

def run_one(case, alloc, lib, timeout, tmpdir, locks=False):
    """Run CASE once under ALLOC. The peak RSS comes from wait4() in GNU
    time, which forks the benchmark: a process's ru_maxrss carries over the
    high-water mark of the process that forked it (Linux copies it at fork
    and keeps it across exec), so a benchmark forked by this Python (some
    15-20 MiB) would report at least Python's size. GNU time is about 1 MiB,
    less than any benchmark. LD_PRELOAD is set by env(1), after time's fork,
    so that time itself keeps glibc's malloc. LOCKS: a pgalloc run prints
    its statistics at exit, and its lock counters are kept ("locks")."""
    env = clean_env()
    if locks and alloc == "pgalloc":
        env = with_conf(env, STATS_CONF)
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
            elif case.kind == "program":
                # A real program: its figure is the wall time; what it
                # prints (an operation count) comes after.
                run["metrics"] = {"time": {"value": round(wall, 6), "unit": "s"}}
                for k, v in parse_results(stdout).items():
                    if k != "time":
                        run["metrics"][k] = v
            else:
                run["metrics"] = parse_results(stdout)
                if not run["metrics"]:
                    problem = "no RESULT lines in its output"
        except (ValueError, KeyError) as e:
            problem = f"unreadable output: {e}"
    if locks and alloc == "pgalloc" and not timed_out:
        counters = parse_locks(stderr)
        if counters:
            run["locks"] = counters
    if problem:
        run["error"] = problem
        run["stderr_tail"] = without_stats(stderr)[-2000:]
    if trace_file and not problem:
        points = read_trace(trace_file)
        if points:
            run["trace"] = points
    return run


def run_cases(cases, libs, reps, timeout, verbose=False, locks=False):
    """Every run of CASES under the allocators of LIBS, REPS times:

      for rep in reps: for case: for allocator (rotated each rep): run

    with a progress line on stderr (a line per run with VERBOSE, and for
    every failed run); pgalloc's lock counters with LOCKS. Returns the
    runs, each with its "rep"."""
    total = sum(len([a for a in c.allocators if a in libs]) for c in cases) * reps
    t0 = time.perf_counter()
    runs = []
    done = 0
    tty = sys.stderr.isatty()
    last = t0
    with tempfile.TemporaryDirectory(prefix="pga-bench-") as tmpdir:
        rep_start = per_rep = 0
        rep_wall = 0.0
        for rep in range(reps):
            if rep:
                per_rep = done - rep_start
                rep_wall = sum(r["wall_s"] for r in runs[rep_start:])
                rep_start = done
            for case in cases:
                allocs = [a for a in ALLOCATORS if a in libs and a in case.allocators]
                k = rep % len(allocs)
                for alloc in allocs[k:] + allocs[:k]:
                    r = run_one(case, alloc, libs[alloc], timeout, tmpdir, locks=locks)
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
                        eta = rest + rep_wall * (reps - rep - 1)
                    status = r.get("error", "")
                    if not verbose and not status:
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
    return runs


def run_syscalls(cases, libs, timeout):
    """Each case once under each allocator, under
    `strace -f -c -e trace=futex,mmap,munmap,mremap,madvise,brk` (not timed: strace
    slows system calls down): {bench: {alloc: {syscall: calls, ...,
    "operations": the run's count, or None}}}, or {"error": ...} for a run
    that failed. None when strace is not installed."""
    strace = shutil.which("strace")
    if not strace:
        log("--syscalls: strace is not installed (apt-get install strace): no counts")
        return None
    out = {}
    total = sum(len([a for a in c.allocators if a in libs]) for c in cases)
    done = 0
    with tempfile.TemporaryDirectory(prefix="pga-strace-") as tmpdir:
        for case in cases:
            for alloc in [a for a in ALLOCATORS if a in libs and a in case.allocators]:
                lib = libs[alloc]
                counts_file = os.path.join(tmpdir, "strace.txt")
                argv = [strace, "-f", "-c", "-o", counts_file,
                        "-e", "trace=" + ",".join(SYSCALLS)]
                argv += (["env", f"LD_PRELOAD={lib}"] if lib else []) + list(case.argv)
                if case.trace:
                    argv += ["--rss-trace", os.path.join(tmpdir, "rss-trace.txt")]
                t0 = time.perf_counter()
                entry = {}
                try:
                    p = subprocess.run(argv, capture_output=True, text=True, env=clean_env(),
                                       stdin=subprocess.DEVNULL, timeout=timeout, check=False)
                    if p.returncode != 0:
                        entry["error"] = f"exit status {p.returncode}"
                    else:
                        with open(counts_file) as f:
                            calls = parse_strace(f.read())
                        entry = {name: calls.get(name, 0) for name in SYSCALLS}
                        metrics = (parse_results(p.stdout) if case.kind != "gbench" else {})
                        ops = metrics.get("operations")
                        entry["operations"] = ops["value"] if ops else None
                except subprocess.TimeoutExpired:
                    entry["error"] = f"timed out after {timeout} s"
                except OSError as e:
                    entry["error"] = str(e)
                entry["wall_s"] = round(time.perf_counter() - t0, 3)
                out.setdefault(case.id, {})[alloc] = entry
                done += 1
                log(f"[strace {done}/{total}] {case.id} {alloc}: "
                    + (entry["error"] if "error" in entry else
                       ", ".join(f"{k} {entry[k]}" for k in SYSCALLS)))
    return out


# -------------------------------------------------------------- machine ----

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
