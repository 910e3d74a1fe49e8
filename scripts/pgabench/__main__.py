"""`python3 -m pgabench` (from scripts/): the same as scripts/bench.py."""

from .cli import entry

entry()
