"""The plots: time ratios and peak RSS ratios to jemalloc (a panel for the
workloads, one for the micro-benchmarks), and the RSS trace of rss-decay.

They are drawn with matplotlib, which is Debian's python3-matplotlib and
lives in /usr/bin/python3, not necessarily in the python3 that runs the
rest: make_plots() runs this module there (`python3 -m pgabench.plots
DIR`), and draws nothing, saying why, when matplotlib is not installed."""

import os
import subprocess
import sys

from . import REFERENCE, ROOT, log
from .cases import label
from .results import load
from .stats import geomean, ratios

# The python3 with matplotlib, and where it finds this package.
PYTHON = "/usr/bin/python3"
SCRIPTS = os.path.join(ROOT, "scripts")

PLOT_FILES = [("time-ratios.png", "Time ratio to jemalloc"),
              ("rss-ratios.png", "Peak RSS ratio to jemalloc"),
              ("rss-decay-trace.png", "RSS over time, rss-decay")]
PANELS = [("workloads", "workloads"), ("programs", "programs"), ("micro", "micro-benchmarks")]
COLORS = {"glibc": "#7f7f7f", "jemalloc": "#1f77b4", "mimalloc": "#2ca02c",
          "tcmalloc": "#ff7f0e", "pgalloc": "#d62728"}


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


def draw(out_dir):
    """Draw the PNGs of OUT_DIR with matplotlib (in Debian's python3: see
    make_plots()); prints the names of those drawn."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    results = load(out_dir)
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
    """Draw the plots of results directory OUT_DIR, replacing those it has;
    returns [(file, title)] of those drawn."""
    for f, _ in PLOT_FILES:
        try:
            os.unlink(os.path.join(out_dir, f))
        except FileNotFoundError:
            pass
    # Run from scripts/, which puts this package, and nothing else, before
    # the standard library.
    if not os.access(PYTHON, os.X_OK) or subprocess.run(
            [PYTHON, "-c", "import matplotlib"], cwd=SCRIPTS, capture_output=True,
            check=False).returncode != 0:
        log(f"no plots: matplotlib is not installed (python3-matplotlib, for {PYTHON})")
        return []
    p = subprocess.run([PYTHON, "-m", "pgabench.plots", os.path.abspath(out_dir)],
                       cwd=SCRIPTS, capture_output=True, text=True, check=False)
    if p.returncode != 0:
        log("matplotlib plots failed: " + p.stderr.strip()[-800:])
        return []
    made = p.stdout.split()
    return [(f, t) for f, t in PLOT_FILES if f in made]


if __name__ == "__main__":
    draw(sys.argv[1])
