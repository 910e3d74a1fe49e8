#!/usr/bin/env bash
# PGALLOC_CONF=stats_print=all under LD_PRELOAD (the shipped libpgalloc.so)
# in Python: lines that readers of the kernel's files accept (buddyinfo's
# "Node 0, zone   Normal" and 11 counts, zoneinfo's pages free, min, low,
# high, managed, pagetypeinfo's Unmovable and Movable rows, vmstat's
# pgalloc_normal, pgfree, numa_hit), a slabinfo table and the meminfo
# summary; and stats_print=all:json, one JSON document with every view.
#
# Usage: formats.sh LIBPGALLOC SANITIZED
# shellcheck source=tests/tools/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
LIB="$1"
tt_sanitized "${2:-0}"
PY=/usr/bin/python3
[[ -x $PY ]] || PY="$(command -v python3)" || tt_skip "python3 is not installed"
code='x = [str(i) * 10 for i in range(200000)]; print(len(x))'

PGALLOC_CONF=stats_print=all LD_PRELOAD="$LIB" "$PY" -c "$code" >"$TT_TMP/out" 2>"$TT_TMP/err" ||
	tt_fail "python3 failed under pgalloc"
E="$TT_TMP/err"
tt_expect buddyinfo "$E" '^Node 0, zone +Normal( +[0-9]+){11} *$'
for f in 'pages free' min low high managed; do
	tt_expect "zoneinfo $f" "$E" "^ +$f +[0-9]+$"
done
tt_expect "pagetypeinfo Unmovable" "$E" '^Node +0, zone +Normal, type +Unmovable( +>?[0-9]+){11} *$'
tt_expect "pagetypeinfo Movable" "$E" '^Node +0, zone +Normal, type +Movable( +>?[0-9]+){11} *$'
for f in pgalloc_normal pgfree numa_hit; do
	tt_expect "vmstat $f" "$E" "^$f [0-9]+$"
done
tt_expect "slabinfo" "$E" '^slabinfo - version: 2.1$'
tt_expect "slabinfo row" "$E" '^kmalloc-32 +[0-9]+ +[0-9]+ +32 +[0-9]+ +[0-9]+ : tunables +0 +0 +0 : slabdata +[0-9]+ +[0-9]+ +0$'
tt_expect "meminfo" "$E" '^VmRSS: +[1-9][0-9]* kB$'
# /proc/buddyinfo's reader: every count of every row, in order.
awk '/^Node [0-9]+, zone/ && NF == 15 { n++ } END { exit !(n >= 1) }' "$E" ||
	tt_fail "no buddyinfo row splits into 15 fields as /proc/buddyinfo's do"

PGALLOC_CONF=stats_print=all:json LD_PRELOAD="$LIB" "$PY" -c "$code" >/dev/null 2>"$TT_TMP/json" ||
	tt_fail "python3 failed with stats_print=all:json"
"$PY" - "$TT_TMP/json" <<'PYEOF' || tt_fail "stats_print=all:json: not one JSON document with every view"
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("buddyinfo", "pagetypeinfo", "zoneinfo", "vmstat", "numastat", "slabinfo", "meminfo"):
    assert k in d, k
assert d["vmstat"]["pgalloc_normal"] > 0 and d["vmstat"]["pgfree"] > 0
assert any(z["zone"] == "Normal" and z["managed"] > 0 for z in d["zoneinfo"])
PYEOF
# glibc's introspection under pgalloc: malloc_stats's report, malloc_info's
# XML, mallinfo2 with figures that add up.
PYTHONMALLOC=malloc LD_PRELOAD="$LIB" "$PY" - >"$TT_TMP/glibc.out" 2>"$TT_TMP/glibc.err" <<'PYEOF' || tt_fail "malloc_stats/malloc_info/mallinfo2 failed: $(cat "$TT_TMP/glibc.err")"
import ctypes
libc = ctypes.CDLL(None)
keep = [bytes(200) for i in range(50000)]
class MI2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc.mallinfo2.restype = MI2
m = libc.mallinfo2()
assert m.uordblks >= 50000 * 200 and m.arena >= m.uordblks and m.uordblks + m.fordblks == m.arena, \
    (m.arena, m.uordblks, m.fordblks)
libc.malloc_stats()
libc.fdopen.restype = ctypes.c_void_p
fp = libc.fdopen(1, b"w")
assert libc.malloc_info(0, ctypes.c_void_p(fp)) == 0
libc.fflush(ctypes.c_void_p(fp))
PYEOF
tt_expect "malloc_stats" "$TT_TMP/glibc.err" '^in use bytes += +[0-9]+$'
tt_expect "malloc_info" "$TT_TMP/glibc.out" '^<malloc version="1">$'
tt_expect "malloc_info heap" "$TT_TMP/glibc.out" '^<heap nr="0">$'
tt_expect "malloc_info end" "$TT_TMP/glibc.out" '^</malloc>$'
tt_log "pass"
