#!/usr/bin/env bash
# Configuration mistakes are reported when libpgalloc.so is loaded, even by
# a program that never allocates, naming the key and what is allowed, and
# the program goes on (exit 0); PGALLOC_CONF_FILE is read, its messages
# name it; stats_file and stats_interval_ms.
#
# Usage: conf.sh NOALLOC LIBPGALLOC SANITIZED
# shellcheck source=tests/tools/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
PROG="$1" LIB="$2"
tt_sanitized "${3:-0}"

rc=0
PGALLOC_CONF="stats_live=0,nosuchkey=1,dma32_mb=99999" LD_PRELOAD="$LIB" "$PROG" \
	2>"$TT_TMP/err" || rc=$?
((rc == 0)) || tt_fail "the program exited $rc"
tt_expect "unknown key" "$TT_TMP/err" "^pgalloc: PGALLOC_CONF: unknown key 'nosuchkey'; known keys: .*stats_print"
tt_expect "bad value" "$TT_TMP/err" "^pgalloc: PGALLOC_CONF: bad value '99999' for key 'dma32_mb': expected an integer 0..4096.*; using the default$"
n="$(wc -l <"$TT_TMP/err")"
((n == 2)) || tt_fail "expected 2 lines on stderr, got $n"

printf '# a comment\nsection_mb=48   # not a power of two\n' >"$TT_TMP/pgalloc.conf"
PGALLOC_CONF_FILE="$TT_TMP/pgalloc.conf" LD_PRELOAD="$LIB" "$PROG" 2>"$TT_TMP/err2" ||
	tt_fail "the program failed with PGALLOC_CONF_FILE"
tt_expect "file" "$TT_TMP/err2" "^pgalloc: $TT_TMP/pgalloc.conf: bad value '48' for key 'section_mb': expected a power of two"

# A program that allocates reports each mistake once, not at load and again
# at start-up.
PGALLOC_CONF="nosuchkey=1" LD_PRELOAD="$LIB" ls / >/dev/null 2>"$TT_TMP/err3" ||
	tt_fail "sh failed"
n="$(grep -c "unknown key 'nosuchkey'" "$TT_TMP/err3" || true)"
((n == 1)) || tt_fail "the unknown key was reported $n times, expected once"

# stats_file: the views at exit go there.
PGALLOC_CONF="stats_print=vmstat:slabinfo,stats_file=$TT_TMP/stats" LD_PRELOAD="$LIB" \
	ls / >/dev/null || tt_fail "sh failed with stats_file"
tt_expect "stats_file" "$TT_TMP/stats" '^pgalloc_normal [0-9]+$'
tt_expect "stats_file slabinfo" "$TT_TMP/stats" '^slabinfo - version: 2.1$'
perm="$(stat -c %a "$TT_TMP/stats")"
[[ $perm == 600 ]] || tt_fail "stats_file has mode $perm, expected 600"
# stats_interval_ms: the views while the program runs, with and without
# the live views (the same thread prints them).
PY=/usr/bin/python3
[[ -x $PY ]] || PY="$(command -v python3)" || tt_skip "python3 is not installed"
for live in 1 0; do
	PGALLOC_CONF="stats_interval_ms=200,stats_print=vmstat,stats_live=$live" LD_PRELOAD="$LIB" \
		"$PY" -c 'import time; time.sleep(1.1)' 2>"$TT_TMP/interval" || tt_fail "python3 failed"
	n="$(grep -c '^# /proc/vmstat$' "$TT_TMP/interval")"
	((n >= 4)) || tt_fail "stats_interval_ms=200 for 1.1 s (stats_live=$live): vmstat $n times, expected at least 4"
done
# mallopt: M_TRIM_THRESHOLD (-1) is pgalloc's background_reclaim, known
# parameters are accepted, unknown ones refused, as glibc does.
out="$(LD_PRELOAD="$LIB" "$PY" -c '
import ctypes
libc = ctypes.CDLL(None)
print(libc.mallopt(-1, -1), libc.mallopt(-1, 131072), libc.mallopt(-3, 65536), libc.mallopt(12345, 1))')"
[[ $out == "1 1 1 0" ]] || tt_fail "mallopt returned '$out', expected '1 1 1 0'"
tt_log "pass"
