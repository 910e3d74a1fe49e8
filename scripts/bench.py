#!/usr/bin/env python3
"""Run pgalloc's benchmarks under every allocator and report on them.

Usually started by scripts/bench, which installs what is missing and builds
build/ first; see `scripts/bench --help` and `scripts/bench.py --help`. The
code is the package next to this file, scripts/pgabench/ (its __init__.py
says how it is laid out)."""

from pgabench.cli import entry

if __name__ == "__main__":
    entry()
