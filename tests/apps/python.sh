#!/usr/bin/env bash
# CPython's own regression tests under pgalloc: Debian's
# libpython3.11-testsuite, the modules that allocate the most (containers,
# strings, bytes, big integers, decimals, pickling, JSON, regular
# expressions, the cycle collector, weak references, threads), run by
# `python3 -m test` in one process with PYTHONMALLOC=malloc, so that every
# object comes from malloc rather than from Python's own arenas (the
# preload test python.sh runs a workload with both). The verdict of every
# test case (from regrtest's JUnit XML: ok, failure, error, skipped and
# why) must be the same as without pgalloc, and the suite's result too.
#
# A third argument runs one group of modules (meson runs the two groups as
# two tests, side by side): objects (containers, strings, numbers,
# serialisation) or collector (the cycle collector, weak references,
# threads). Without it, both.
group="${3:-}"
[[ -z $group ]] || PT_NAME="apps-python-$group"
# shellcheck source=tests/apps/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ -x $PA_PYTHON ]] || pt_skip "$PA_PYTHON is not installed (scripts/test installs it as root: apt-get install python3)"

# Bounded: about 15 s of CPU a run for each group. test_threading (10 s of
# wall time, more waiting than computing) starts and joins hundreds of
# threads (pgalloc's per-thread caches come and go) and forks with threads
# running.
objects=(test_dict test_list test_tuple test_set test_deque test_collections
	test_bytes test_unicode test_re test_json test_pickle test_long
	test_decimal test_sort)
collector=(test_gc test_weakref test_threading)
case "$group" in
"") modules=("${objects[@]}" "${collector[@]}") ;;
objects) modules=("${objects[@]}") ;;
collector) modules=("${collector[@]}") ;;
*) pt_fail "unknown group of modules: $group (objects or collector)" ;;
esac

missing="$("$PA_PYTHON" -I -B -c '
import importlib.util, sys
for name in ["test.libregrtest"] + ["test." + m for m in sys.argv[1:]]:
    try:
        found = importlib.util.find_spec(name) is not None
    except ImportError:
        found = False
    if not found:
        print(name, end=" ")
' "${modules[@]}")"
[[ -z $missing ]] ||
	pt_skip "CPython's test suite is not installed, no ${missing% } (scripts/test installs it as root: apt-get install libpython3.11-testsuite)"

# verdicts XML: one line per test case, "NAME VERDICT", sorted (a failing
# test's message has addresses and timings in it: only its kind is kept).
verdicts() {
	"$PA_PYTHON" -I -B - "$1" <<'PY'
import sys
import xml.etree.ElementTree as ET

rows = []
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    verdict = "ok"
    for child in case:
        if child.tag in ("failure", "error"):
            verdict = child.tag
        elif child.tag == "skipped" and verdict == "ok":
            verdict = "skipped: " + " ".join((child.text or "").split())
    rows.append(f"{case.get('name')} {verdict}")
rows.sort()
print("\n".join(rows))
print(len(rows), "test cases")
PY
}

scenario() {
	local rc=0
	mkdir tmp
	# regrtest's output has timings: kept in the work directory, shown on
	# a failure, not compared. --timeout: a test that hangs dumps every
	# thread's stack and fails instead of waiting for meson's timeout.
	env -u PYTHONPATH -u PYTHONHOME -u PYTHONSTARTUP -u PYTHONWARNINGS \
		PYTHONHASHSEED=0 PYTHONMALLOC=malloc TMPDIR="$PWD/tmp" \
		timeout -k 10 200 "$PA_PYTHON" -s -B -m test --timeout 120 \
		--junit-xml result.xml "${modules[@]}" >regrtest.log 2>&1 || rc=$?
	echo "regrtest exit status $rc"
	grep -E '^(Tests result|All [0-9]+ tests OK|[0-9]+ tests? (failed|skipped|altered))' regrtest.log || true
	if [[ ! -s result.xml ]]; then
		tail -n 40 regrtest.log >&2
		return 1
	fi
	pa_plain verdicts result.xml
}

pt_run plain scenario
if ! grep -qx 'regrtest exit status 0' "$PT_TMP/plain.out"; then
	pt_show "$PT_TMP/plain/regrtest.log" "regrtest's output without pgalloc"
	pt_fail "the regression tests fail without pgalloc: the suite or the machine is broken"
fi
pt_run preload scenario
if ! cmp -s "$PT_TMP/plain.out" "$PT_TMP/preload.out"; then
	grep -E '^(FAIL|ERROR):|^Traceback|Error:|Fatal Python error' "$PT_TMP/preload/regrtest.log" |
		head -n 40 >&2 || true
	pt_show "$PT_TMP/preload/regrtest.log" "regrtest's output with pgalloc"
fi
pt_compare preload
pt_check_active preload
pt_log "preload: $(tail -n 1 "$PT_TMP/preload.out"), the same verdicts as without pgalloc"
