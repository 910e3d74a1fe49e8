#!/usr/bin/env bash
# A bpftrace one-liner of docs/tracing.md on the probes: the orders of
# mm_page_alloc while a program runs under pgalloc. Skips where bpftrace
# cannot run (not installed, not root, no BPF in this kernel or container).
#
# Usage: bpftrace.sh LIBPGALLOC HAVE_SDT SANITIZED
# shellcheck source=tests/tools/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
LIB="$1"
[[ ${2:-0} == 1 ]] || tt_skip "built without <sys/sdt.h>: no probes"
tt_sanitized "${3:-0}"
command -v bpftrace >/dev/null || tt_skip "bpftrace is not installed (apt-get install bpftrace)"
if ! timeout 20 bpftrace -e 'BEGIN { exit(); }' >"$TT_TMP/probe.log" 2>&1; then
	tt_skip "bpftrace cannot run here: $(grep -v '^$' "$TT_TMP/probe.log" | tail -1)"
fi
PY=/usr/bin/python3
[[ -x $PY ]] || PY="$(command -v python3)" || tt_skip "python3 is not installed"
# bpftrace lists the probes (it reads the notes itself).
timeout 20 bpftrace -l "usdt:$LIB:*" >"$TT_TMP/list" 2>&1 || true
tt_expect "bpftrace -l" "$TT_TMP/list" ':pgalloc:mm_page_alloc_extfrag$'
# A process that allocates for a while; bpftrace attaches to it (-p: its
# copy of the library, as mapped; -c finds no location for a preloaded
# library's probes in bpftrace 0.17).
LD_PRELOAD="$LIB" PYTHONMALLOC=malloc "$PY" -c '
import time
for i in range(100):
    x = [bytes(5000) for j in range(2000)]
    time.sleep(0.05)' &
TT_PIDS+=($!)
sleep 0.5
timeout 60 bpftrace -p "${TT_PIDS[-1]}" \
	-e "usdt:$LIB:pgalloc:mm_page_alloc { @orders[arg1] = count(); } interval:s:2 { exit(); }" \
	>"$TT_TMP/out" 2>&1 || true
tt_expect "orders" "$TT_TMP/out" '^@orders\[[0-9]+\]: [0-9]+$'
tt_log "pass: $(grep -c '^@orders' "$TT_TMP/out") orders seen"
