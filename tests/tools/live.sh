#!/usr/bin/env bash
# pgalloc-stat against running processes under pgalloc-run (the shipped
# libpgalloc.so preloaded): every view while three threads allocate, one
# view, --json (parsed), --watch, --list; a stopped process (its last
# figures, with a note); a fork child without exec and a killed process
# (recognised, nothing stale shown); another user (refused); stats_live=0
# (no views); the mapping names in /proc/PID/maps where the kernel has them.
#
# Usage: live.sh PGALLOC_STAT PGALLOC_RUN LIBPGALLOC SANITIZED
# shellcheck source=tests/tools/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
STAT="$1" RUN="$2" LIB="$3"
tt_sanitized "${4:-0}"
PY=/usr/bin/python3
[[ -x $PY ]] || PY="$(command -v python3)" || tt_skip "python3 is not installed"
export PGALLOC_LIB="$LIB"

# start NAME CONF [ARGS]: the workload in the background; sets PID (and
# CHILD with "fork").
start() {
	local out="$TT_TMP/$1.out" i
	PGALLOC_CONF="$2" PYTHONMALLOC=malloc sh "$RUN" -- "$PY" -s -B \
		"$(dirname "${BASH_SOURCE[0]}")/workload.py" "${@:3}" >"$out" 2>"$TT_TMP/$1.err" &
	TT_PIDS+=($!)
	for ((i = 0; i < 200; i++)); do
		grep -Eq '^ready [0-9]+$' "$out" 2>/dev/null && break
		sleep 0.05
	done
	grep -Eq '^ready [0-9]+$' "$out" || tt_fail "$1: the workload did not start: $(cat "$TT_TMP/$1.err")"
	PID="$(awk '$1 == "ready" { print $2 }' "$out")"
	CHILD="$(awk '$1 == "child" { print $2 }' "$out")"
	TT_PIDS+=("$PID")
	[[ -z $CHILD ]] || TT_PIDS+=("$CHILD")
}

start main ""
# Several reads while the threads run: each complete.
for i in 1 2 3; do
	"$STAT" "$PID" >"$TT_TMP/all.$i" || tt_fail "pgalloc-stat $PID failed"
	tt_expect "read $i: buddyinfo" "$TT_TMP/all.$i" '^Node 0, zone +Normal( +[0-9]+){11} *$'
	tt_expect "read $i: zoneinfo" "$TT_TMP/all.$i" '^  pages free +[0-9]+$'
	tt_expect "read $i: zoneinfo min" "$TT_TMP/all.$i" '^ +min +[0-9]+$'
	tt_expect "read $i: zoneinfo managed" "$TT_TMP/all.$i" '^ +managed +[0-9]+$'
	tt_expect "read $i: pagetypeinfo" "$TT_TMP/all.$i" 'type +Movable( +[0-9]+){11}'
	tt_expect "read $i: vmstat" "$TT_TMP/all.$i" '^pgalloc_normal [1-9][0-9]*$'
	tt_expect "read $i: numastat" "$TT_TMP/all.$i" '^node0:$'
	tt_expect "read $i: slabinfo" "$TT_TMP/all.$i" '^kmalloc-64 +[0-9]+ +[0-9]+ +64 '
	tt_expect "read $i: meminfo" "$TT_TMP/all.$i" '^Other: +-?[0-9]+ kB$'
	# One pagesets entry per thread with state: the workload's threads.
	n="$(grep -c '^    thread: ' "$TT_TMP/all.$i")"
	((n >= 4)) || tt_fail "read $i: zoneinfo shows $n threads, expected the 3 workers and main"
	sleep 0.1
done
# The figures move: pgfree grows between reads.
a="$(awk '$1 == "pgfree" { print $2 }' "$TT_TMP/all.1")"
b="$(awk '$1 == "pgfree" { print $2 }' "$TT_TMP/all.3")"
tt_log "pgfree $a then $b"

"$STAT" "$PID" meminfo >"$TT_TMP/one" || tt_fail "pgalloc-stat $PID meminfo failed"
tt_expect "one view" "$TT_TMP/one" '^# meminfo$'
! grep -q '^# /proc/' "$TT_TMP/one" || tt_fail "pgalloc-stat PID meminfo printed other views"
# meminfo adds up to VmRSS (each line rounded down to a kB).
awk '$1 == "VmRSS:" { rss = $2 } /^(Allocated|ThreadCached|SlabFree|BuddyFree|Huge|HugeCached|Metadata|NotResident|Other):/ { s += $2 }
	END { if (s > rss || s < rss - 9) { print "sum " s " VmRSS " rss; exit 1 } }' "$TT_TMP/one" ||
	tt_fail "meminfo does not add up to VmRSS"

"$STAT" "$PID" --json >"$TT_TMP/json" || tt_fail "pgalloc-stat --json failed"
"$PY" - "$TT_TMP/json" "$PID" <<'PYEOF' || tt_fail "--json: not the document expected"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["pgalloc"]["pid"] == int(sys.argv[2]), d["pgalloc"]
for k in ("buddyinfo", "pagetypeinfo", "zoneinfo", "vmstat", "numastat", "slabinfo", "meminfo"):
    assert k in d, k
assert all(len(z["free"]) == 11 for z in d["buddyinfo"])
assert d["vmstat"]["pgalloc_normal"] > 0
m = d["meminfo"]
parts = ("Allocated", "ThreadCached", "SlabFree", "BuddyFree", "Huge", "HugeCached", "Metadata", "NotResident", "Other")
assert sum(m[p] for p in parts) == m["VmRSS"], m
for r in d["slabinfo"]:
    assert r["num_objs"] == r["num_slabs"] * r["objperslab"] and r["active_objs"] <= r["num_objs"], r
PYEOF

timeout 2.2 "$STAT" "$PID" vmstat --watch 0.5 >"$TT_TMP/watch" || true
n="$(grep -c '^# /proc/vmstat$' "$TT_TMP/watch")"
((n >= 3)) || tt_fail "--watch 0.5 for 2.2 s printed vmstat $n times, expected 3 or more"

"$STAT" --list >"$TT_TMP/list"
tt_expect "--list" "$TT_TMP/list" "^$PID "

# A stopped process: the last figures, and a note.
kill -STOP "$PID"
# kill returns before the stop takes effect: a thread still running could
# answer. Wait (bounded) until the kernel says every thread is stopped.
for _ in $(seq 100); do
	stopped=1
	for st in /proc/"$PID"/task/*/stat; do
		[[ "$(awk '{print $3}' "$st" 2>/dev/null)" == T ]] || stopped=0
	done
	((stopped)) && break
	sleep 0.05
done
rc=0
"$STAT" "$PID" vmstat >"$TT_TMP/stopped" 2>"$TT_TMP/stopped.err" || rc=$?
kill -CONT "$PID"
((rc == 0)) || tt_fail "stopped process: exit $rc"
tt_expect "stopped: figures" "$TT_TMP/stopped" '^pgfree [0-9]+$'
tt_expect "stopped: note" "$TT_TMP/stopped.err" 'did not answer'

# Another user may not read them.
if command -v setpriv >/dev/null && (($(id -u) == 0)); then
	rc=0
	setpriv --reuid=65534 --regid=65534 --clear-groups "$STAT" "$PID" >"$TT_TMP/other" \
		2>"$TT_TMP/other.err" || rc=$?
	((rc == 1)) || tt_fail "another user: exit $rc, expected 1"
	tt_expect "another user" "$TT_TMP/other.err" 'ermission denied'
	[[ ! -s $TT_TMP/other ]] || tt_fail "another user got figures"
else
	tt_log "not root or no setpriv: the other-user check is left out"
fi

# Mapping names, where the kernel supports them.
if grep -q '\[anon:pgalloc' "/proc/$PID/maps"; then
	tt_expect "maps" "/proc/$PID/maps" '\[anon:pgalloc zone Normal node 0\]'
else
	tt_log "no [anon:pgalloc ...] in /proc/$PID/maps: the kernel lacks PR_SET_VMA_ANON_NAME"
fi

# A killed process: nothing left behind, and said so.
kill -KILL "$PID"
sleep 0.2
rc=0
"$STAT" "$PID" >/dev/null 2>"$TT_TMP/dead.err" || rc=$?
((rc == 1)) || tt_fail "killed process: exit $rc, expected 1"
tt_expect "killed" "$TT_TMP/dead.err" "no process $PID"

# A fork child without exec holds no copy of its parent's views.
start forked "" fork
[[ -n $CHILD ]] || tt_fail "no child pid from the workload"
rc=0
"$STAT" "$CHILD" >/dev/null 2>"$TT_TMP/child.err" || rc=$?
((rc == 1)) || tt_fail "fork child: exit $rc, expected 1"
tt_expect "fork child" "$TT_TMP/child.err" 'no live pgalloc statistics|inherited across fork'
"$STAT" "$PID" vmstat >/dev/null || tt_fail "the parent of the fork cannot be read"

# stats_live=0: none.
start off "stats_live=0"
rc=0
"$STAT" "$PID" >/dev/null 2>"$TT_TMP/off.err" || rc=$?
((rc == 1)) || tt_fail "stats_live=0: exit $rc, expected 1"
tt_log "pass"
