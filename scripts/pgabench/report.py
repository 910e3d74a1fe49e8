"""results.md: the machine and the run, geometric means, pgalloc against
each allocator, the ratio tables, a table per benchmark, the failed runs.
Also the table of pgalloc against each allocator that README.md quotes."""

import os

from .cases import label
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
