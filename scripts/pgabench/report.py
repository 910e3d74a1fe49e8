"""results.md: the machine and the run, geometric means, pgalloc against
each allocator, the ratio tables, a table per benchmark, the failed runs.
Also the table of pgalloc against each allocator that README.md quotes."""

import os
import re

from .cases import label
from .running import SYSCALLS
from .stats import behind_best, geomean, noise, ratios, rows_of, stand, value_of


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


def write_md(results, out_dir, plots):
    """Write OUT_DIR/results.md from RESULTS, with the PLOTS ([(file,
    title)]) that were drawn; returns its path."""
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
      + (", the published amount of work (the suite's workloads with --published)"
         if cfg.get("published") else "")
      + f"; medians; wall time of the whole run {results['wall_s'] / 60:.1f} min")
    la0, la1 = info.get("loadavg_start"), info.get("loadavg_end")
    if la0 and la1:
        w(f"- load average (1, 5, 15 min) {la0[0]:.2f} {la0[1]:.2f} {la0[2]:.2f} at the start, "
          f"{la1[0]:.2f} {la1[1]:.2f} {la1[2]:.2f} at the end (the runs themselves load one "
          "or two CPUs)")
    spread = noise(med)
    if spread:
        w(f"- noise: the spread of a headline figure over the repetitions ((highest - lowest) "
          f"/ median) is {100 * spread[0]:.0f}% in the median, "
          f"{100 * spread[1]:.0f}% at the 90th percentile")
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
    groups = [("micro", "micro-benchmarks"), ("workloads", "workloads"),
              ("programs", "programs"), ("", "all")]
    groups = [(g, n) for g, n in groups
              if not g or any(b["group"] == g for b in results["benchmarks"])]
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

    scaling = scaling_table(results, rat)
    if scaling:
        w("## Scaling")
        w("")
        w("Each multi-threaded workload at every thread count of the run "
          f"(`--threads`; {info.get('nproc', '?')} CPUs): the time ratio to "
          "jemalloc at the same count (> 1: slower than jemalloc), and in "
          "parentheses the median headline figure itself.")
        w("")
        w(scaling)
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

    lock_lines = lock_table(results, rat)
    if lock_lines:
        w("## pgalloc's locks")
        w("")
        w("pgalloc's lock counters (`PGALLOC_CONF=stats_print=1`: its statistics at "
          "exit, the `lock_*` lines), medians over the repetitions, per 1000 of the "
          "benchmark's operations (its `operations` line: what one is, the head of "
          "each workload's source says), next to pgalloc's headline figure and its "
          "ratio to jemalloc. *acquired*: lock acquisitions; *contended*: those that "
          "found the lock held and waited; *sleeps*: waits that slept in the kernel "
          "(a futex call each).")
        w("")
        L.extend(lock_lines)
        w("")

    sys_lines = syscall_table(results)
    if sys_lines:
        w("## System calls")
        w("")
        w("Each benchmark once more under each allocator, under `strace -f -c -e "
          "trace=futex,mmap,munmap,mremap,madvise,brk` (`--syscalls`; not timed: strace "
          "slows every system call down): calls over the whole process, all threads, "
          "and all of them per 1000 of the run's operations.")
        w("")
        L.extend(sys_lines)
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


def scaling_table(results, rat):
    """A Markdown table of the workloads run at several thread counts
    (NAME-<n>t): per workload and count, each allocator's time ratio to
    jemalloc and its own median figure; None when there are none."""
    allocs = results["config"]["allocators"]
    med = results["medians"]
    units = {(bench, metric): unit for bench, metric, _, _, unit, _ in rows_of(results)}
    by = {}
    for (bench, metric), r in rat["time"].items():
        m = re.fullmatch(r"workloads/(.+)-(\d+)t", bench)
        if m:
            by.setdefault(m.group(1), {})[int(m.group(2))] = (bench, metric, r)
    by = {k: v for k, v in by.items() if len(v) >= 2}
    if not by:
        return None
    L = ["| workload | threads | " + " | ".join(allocs) + " |",
         "|---|---:|" + "---:|" * len(allocs)]
    for name in sorted(by):
        for t in sorted(by[name]):
            bench, metric, r = by[name][t]
            cells = []
            for a in allocs:
                v = value_of(med, bench, a, metric)
                s = fmt_ratio(r.get(a))
                if v is not None:
                    s += f" ({fmt_value(v, units.get((bench, metric), ''))})"
                cells.append(f"**{s}**" if a == "pgalloc" else s)
            L.append(f"| {name} | {t} | " + " | ".join(cells) + " |")
    return "\n".join(L)


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


def fmt_count(v):
    if v is None:
        return "–"
    return f"{v:,.0f}"


def fmt_per_kop(v):
    if v is None:
        return "–"
    if v >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def lock_table(results, rat):
    """The lines of the table of pgalloc's lock counters per 1000
    operations, a row per benchmark that has them; [] when none has."""
    med = results["medians"]
    rows = rows_of(results)
    have = [b["id"] for b in results["benchmarks"]
            if med.get(b["id"], {}).get("pgalloc", {}).get("locks")]
    if not have:
        return []
    classes = []
    for bench in have:
        for k in med[bench]["pgalloc"]["locks"]:
            for prefix in ("lock_acquired_", "lock_contended_"):
                if k.startswith(prefix) and k[len(prefix):] not in classes:
                    classes.append(k[len(prefix):])
    head = ("| benchmark | pgalloc | / jemalloc | operations | acquired | contended | sleeps |"
            + "".join(f" {c}: acquired | {c}: contended |" for c in classes))
    out = [head, "|---|" + "---:|" * (6 + 2 * len(classes))]
    for bench in have:
        locks = med[bench]["pgalloc"]["locks"]
        first = next(((m, unit) for (b, m, g, kind, unit, h) in rows if b == bench), None)
        value = value_of(med, bench, "pgalloc", first[0]) if first else None
        ratio = rat["time"].get((bench, first[0]), {}).get("pgalloc") if first else None
        ops = value_of(med, bench, "pgalloc", "operations")

        def per(key):
            v = locks.get(key)
            return None if v is None or not ops else 1000.0 * v / ops

        cells = [fmt_value(value, first[1]) if first else "–", fmt_ratio(ratio),
                 fmt_count(ops), fmt_per_kop(per("lock_acquired")),
                 fmt_per_kop(per("lock_contended")), fmt_per_kop(per("lock_sleeps"))]
        for c in classes:
            cells += [fmt_per_kop(per(f"lock_acquired_{c}")),
                      fmt_per_kop(per(f"lock_contended_{c}"))]
        out.append(f"| {bench.split('/', 1)[1]} | " + " | ".join(cells) + " |")
    if any(value_of(med, b, "pgalloc", "operations") is None for b in have):
        out.append("")
        out.append("(–: the benchmark reports no operation count)")
    return out


def syscall_table(results):
    """The lines of the table of --syscalls' counts, a row per benchmark
    and allocator; [] without them."""
    sc = results.get("syscalls")
    if not sc:
        return []
    names = SYSCALLS
    out = ["| benchmark | allocator | " + " | ".join(names) + " | all per 1000 ops |",
           "|---|---|" + "---:|" * (len(names) + 1)]
    for b in results["benchmarks"]:
        by = sc.get(b["id"])
        if not by:
            continue
        for a in results["config"]["allocators"]:
            e = by.get(a)
            if e is None:
                continue
            name = b["id"].split("/", 1)[1]
            if "error" in e:
                out.append(f"| {name} | {a} | failed: {e['error']} |")
                continue
            ops = e.get("operations")
            total = sum(e.get(n, 0) for n in names)
            cells = [fmt_count(e.get(n, 0)) for n in names]
            cells.append(fmt_per_kop(1000.0 * total / ops) if ops else "–")
            a_cell = f"**{a}**" if a == "pgalloc" else a
            out.append(f"| {name} | {a_cell} | " + " | ".join(cells) + " |")
    return out
