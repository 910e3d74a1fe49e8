"""The figures: units and which way they read, medians and spread over the
repetitions, ratios to the reference allocator, geometric means."""

import math
import statistics

from . import REFERENCE

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


# -------------------------------------------------------------- medians ----

def median_runs(runs):
    """{bench: {alloc: {'n', 'failed', 'wall_s', 'maxrss_kib', 'metrics':
    {metric: {'value', 'unit', 'kind'}}, ['locks': {counter: value}]}}}:
    medians of the successful runs."""
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
                # pgalloc's lock counters (runs with --locks): medians of
                # each, over the runs that reported them.
                counters = {}
                for r in ok:
                    for k, v in (r.get("locks") or {}).items():
                        counters.setdefault(k, []).append(v)
                if counters:
                    m["locks"] = {k: statistics.median(vs) for k, vs in counters.items()}
            else:
                m["errors"] = sorted({r["error"] for r in rs})
            med[bench][alloc] = m
    return med


def noise(med):
    """(median, 90th percentile) of the spread ((highest - lowest) / median)
    of the headline figures (each benchmark's first, under each allocator),
    or None when none has a spread."""
    spreads = [v["spread"] for d in med.values() for m in d.values()
               for i, v in enumerate(m.get("metrics", {}).values()) if i == 0 and "spread" in v]
    if not spreads:
        return None
    return statistics.median(spreads), sorted(spreads)[int(0.9 * (len(spreads) - 1))]


# --------------------------------------------------------------- ratios ----

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
