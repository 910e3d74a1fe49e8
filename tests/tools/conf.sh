#!/usr/bin/env bash
# Configuration mistakes are reported when libpgalloc.so is loaded, even by
# a program that never allocates, naming the key and what is allowed, and
# the program goes on (exit 0); PGALLOC_CONF_FILE is read, its messages
# name it; mallopt(M_TRIM_THRESHOLD) is accepted.
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
tt_log "pass"
