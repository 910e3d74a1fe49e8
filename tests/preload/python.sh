#!/usr/bin/env bash
# Python under pgalloc: workload.py (dicts, lists, big integers, strings,
# JSON, a thread pool), with Python's own small-object allocator (pymalloc)
# and with PYTHONMALLOC=malloc, which sends every object to malloc.
# shellcheck source=tests/preload/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Debian's python3 where there is one (not a pyenv or venv shim).
PYTHON=/usr/bin/python3
[[ -x $PYTHON ]] || PYTHON=python3
pt_need "$PYTHON" python3

# PYTHONMALLOC: pymalloc, Python's small-object allocator (objects up to
# 512 bytes from its own arenas, the rest from malloc), or malloc (every
# object from malloc). -s: no user site; -B: no .pyc files written.
workload() {
	env -u PYTHONPATH -u PYTHONHOME -u PYTHONSTARTUP \
		PYTHONHASHSEED=0 PYTHONMALLOC="$1" "$PYTHON" -s -B "$PT_DIR/workload.py"
}

pt_run plain workload pymalloc
pt_run preload workload pymalloc
pt_compare preload
pt_check_active preload
pt_run preload-malloc workload malloc
pt_compare preload-malloc
pt_check_active preload-malloc
