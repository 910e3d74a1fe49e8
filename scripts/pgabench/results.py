"""results.json: what it keeps of the runs (a row each, the rss-decay
traces downsampled), how it is written, and reading it back."""

import json
import math
import os

TRACE_POINTS = 400       # rss-decay trace points kept per allocator
RUN_FIELDS = ["bench", "alloc", "rep", "status", "wall_s", "maxrss_kib", "user_s", "sys_s",
              "metrics", "locks"]


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


def keep_traces(runs):
    """{alloc: points} of the rss-decay runs: of each allocator, the run
    with the median wall time, downsampled. The runs lose their traces."""
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


def stored_runs(runs):
    """The runs as results.json keeps them, a row each (they are many):
    {'fields': RUN_FIELDS, 'rows': [...]}, metrics as {name: value} (the
    units are in the medians; a micro-benchmark's row also has the other
    clock, real_ns or cpu_ns), locks pgalloc's lock counters or null.
    Failed runs are listed in full apart."""
    rows = []
    for r in runs:
        metrics = {}
        for k, v in r["metrics"].items():
            metrics[k] = v["value"]
            for extra in ("real_ns", "cpu_ns"):
                if extra in v:
                    metrics[extra] = v[extra]
        rows.append([r[f] for f in RUN_FIELDS[:-2]] + [metrics, r.get("locks")])
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
        elif k in ("medians", "traces", "syscalls") and v:
            body = "{\n" + ",\n".join(f"  {json.dumps(b)}: {line(x)}" for b, x in v.items()) + "\n }"
        else:
            body = json.dumps(rounded(v), indent=1).replace("\n", "\n ")
        parts.append(f" {json.dumps(k)}: {body}")
    with open(path, "w") as f:
        f.write("{\n" + ",\n".join(parts) + "\n}\n")


def load(out_dir):
    """The results of results directory OUT_DIR."""
    with open(os.path.join(out_dir, "results.json")) as f:
        return json.load(f)
