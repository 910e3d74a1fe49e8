# shellcheck shell=bash
# Shared by the preload tests and the apps tests (tests/apps/common.sh
# sources it). Each test is run by meson as
#
#   bash tests/preload/NAME.sh LIBPGALLOC SANITIZED
#
# and sources this file with those arguments. LIBPGALLOC is the built
# libpgalloc.so; SANITIZED is 1 when it was built with a sanitizer (an ASan
# library cannot be preloaded into programs built without ASan: skip).
#
# A test runs the same scenario (a shell function) twice, in two fresh
# directories: once as is (plain/), once with LD_PRELOAD=LIBPGALLOC and
# PGALLOC_CONF=stats_print=1 (preload/). Everything the scenario starts
# inherits the preload. Then it compares standard output, exit status and
# standard error, and checks in the statistics that the processes print at
# exit that pgalloc really served the preloaded run.
#
# Exit status: 0 pass, 1 fail, 77 skip (the reason on stdout). Set
# PGALLOC_TEST_KEEP=1 to keep the work directory (its path is printed). A
# test may set PT_CONF to run with another PGALLOC_CONF (it must keep
# stats_print=1 for the checks), and PT_STATS_FILE=1 to have the statistics
# written to a file of the work directory instead of standard error (for
# programs that check what their children print on standard error: the
# children inherit PGALLOC_CONF). PT_NAME, set before sourcing, names the
# test in messages (default: the script's name).
set -euo pipefail
export LC_ALL=C TZ=UTC
# meson test sets MALLOC_PERTURB_: glibc's malloc then fills every block it
# hands out and takes back, which makes the plain run of sort(1), with its
# large buffers, many times slower, and tells nothing here.
unset MALLOC_PERTURB_

PT_NAME="${PT_NAME:-$(basename "$0" .sh)}"
# shellcheck disable=SC2034  # for the tests that source this file
PT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

pt_log() {
	printf '%s: %s\n' "$PT_NAME" "$*"
}

pt_skip() {
	printf '%s: skipped: %s\n' "$PT_NAME" "$*"
	exit 77
}

pt_fail() {
	printf '%s: FAIL: %s\n' "$PT_NAME" "$*" >&2
	exit 1
}

if (($# < 1)); then
	pt_fail "usage: $0 LIBPGALLOC [SANITIZED]"
fi
PT_LIB="$1"
case "${2:-0}" in
0 | false | "") ;;
*) pt_skip "libpgalloc.so is built with a sanitizer: it cannot be preloaded into uninstrumented programs" ;;
esac
[[ -f "$PT_LIB" ]] || pt_fail "no library at $PT_LIB"
PT_LIB="$(realpath "$PT_LIB")"

PT_TMP="$(mktemp -d "${TMPDIR:-/tmp}/pgalloc-$PT_NAME.XXXXXX")"
pt_cleanup() {
	if [[ ${PGALLOC_TEST_KEEP:-0} == 1 ]]; then
		printf '%s: work directory kept: %s\n' "$PT_NAME" "$PT_TMP" >&2
	else
		rm -rf "$PT_TMP"
	fi
}
trap pt_cleanup EXIT

# pt_need PROGRAM PACKAGE: skip unless PROGRAM (a name on PATH or a path)
# can be run.
pt_need() {
	command -v "$1" >/dev/null 2>&1 ||
		pt_skip "$1 is not installed (scripts/test installs it as root: apt-get install $2)"
}

# pt_split_stats RAW ERR STATS: the statistics blocks that processes print at
# exit (from "# /proc/buddyinfo" to the end of the numastat section) go from
# RAW to STATS, everything else (the programs' own standard error) to ERR.
pt_split_stats() {
	awk -v stats="$3" '
	function numastat_line(l) {
		return l ~ /^node[0-9]+:$/ || l == "# numastat" || l ~ /^ +(node[0-9]+ *)+$/ ||
		    l ~ /^(numa_hit|numa_miss|numa_foreign|interleave_hit|local_node|other_node)( +[0-9]+)+$/
	}
	/# \/proc\/buddyinfo$/ {
		# A block may start after a program left a line unterminated.
		pre = substr($0, 1, length($0) - length("# /proc/buddyinfo"))
		if (pre != "")
			print pre
		print "# /proc/buddyinfo" > stats
		instats = 1
		numa = 0
		next
	}
	instats && $0 == "# /sys/devices/system/node/node*/numastat" {
		print > stats
		numa = 1
		next
	}
	instats && (!numa || numastat_line($0)) {
		print > stats
		next
	}
	{
		instats = 0
		numa = 0
		print
	}
	' "$1" >"$2"
	touch "$3"
}

# pt_run MODE FUNCTION [ARGS...]: run FUNCTION in a subshell, in a new
# directory $PT_TMP/MODE (plain or preload), with errexit on. Its standard
# output goes to $PT_TMP/MODE.out, its standard error to MODE.err (and, for
# the preloaded run, the statistics to MODE.stats), its exit status to
# MODE.rc.
pt_run() {
	local mode="$1" rc=0 start end conf="${PT_CONF:-stats_print=1}"
	shift
	if [[ ${PT_STATS_FILE:-0} == 1 ]]; then
		rm -f "$PT_TMP/$mode.statsfile"
		conf+=",stats_file=$PT_TMP/$mode.statsfile"
	fi
	rm -rf "${PT_TMP:?}/$mode"
	mkdir -p "$PT_TMP/$mode"
	start=$(date +%s.%N)
	set +e
	if [[ $mode == plain ]]; then
		(
			set -euo pipefail
			unset LD_PRELOAD PGALLOC_CONF
			cd "$PT_TMP/$mode"
			"$@"
		) >"$PT_TMP/$mode.out" 2>"$PT_TMP/$mode.err"
		rc=$?
	else
		(
			set -euo pipefail
			# shellcheck disable=SC2030  # local to the run, on purpose
			export LD_PRELOAD="$PT_LIB" PGALLOC_CONF="$conf"
			cd "$PT_TMP/$mode"
			"$@"
		) >"$PT_TMP/$mode.out" 2>"$PT_TMP/$mode.raw"
		rc=$?
	fi
	set -e
	end=$(date +%s.%N)
	echo "$rc" >"$PT_TMP/$mode.rc"
	if [[ $mode != plain ]]; then
		pt_split_stats "$PT_TMP/$mode.raw" "$PT_TMP/$mode.err" "$PT_TMP/$mode.stats"
		if [[ -f $PT_TMP/$mode.statsfile ]]; then
			cat "$PT_TMP/$mode.statsfile" >>"$PT_TMP/$mode.stats"
		fi
	fi
	pt_log "$mode: exit $rc, $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }') s"
}

# pt_record_loaded PID NAME: for a scenario. In a preloaded run, wait (10 s
# at most) until process PID has libpgalloc mapped (/proc/PID/maps), and if
# it does, add NAME to $PT_TMP/loaded. For programs that cannot show the
# statistics at exit (see pt_check_active): start the program in the
# background blocked on a FIFO, call this, then feed the FIFO.
pt_record_loaded() {
	local pid="$1" name="$2" i
	# shellcheck disable=SC2031  # set in pt_run's subshell, which runs this
	[[ -n ${LD_PRELOAD:-} ]] || return 0
	for ((i = 0; i < 200; i++)); do
		if grep -qF "$PT_LIB" "/proc/$pid/maps" 2>/dev/null; then
			echo "$name" >>"$PT_TMP/loaded"
			return 0
		fi
		sleep 0.05
	done
}

# pt_check_loaded NAME: pt_record_loaded saw NAME with libpgalloc mapped.
pt_check_loaded() {
	if ! grep -qxF "$1" "$PT_TMP/loaded" 2>/dev/null; then
		pt_fail "$1 did not have libpgalloc mapped (/proc/PID/maps) in the preloaded run"
	fi
	pt_log "preload: $1 had libpgalloc mapped"
}

# pt_show FILE LABEL: the first lines of FILE on stderr, for a failure.
pt_show() {
	if [[ -s $1 ]]; then
		printf -- '--- %s (%s):\n' "$2" "$1" >&2
		head -n 40 "$1" >&2
	fi
}

# pt_compare MODE: the run MODE must match the plain run: exit status 0 in
# both, the same standard output, the same standard error.
pt_compare() {
	local mode="$1" prc mrc
	prc="$(cat "$PT_TMP/plain.rc")"
	mrc="$(cat "$PT_TMP/$mode.rc")"
	if ((prc != 0)); then
		pt_show "$PT_TMP/plain.err" "standard error without pgalloc"
		pt_fail "the scenario fails without pgalloc (exit $prc): the test or the program is broken"
	fi
	if ((mrc != 0)); then
		pt_show "$PT_TMP/$mode.err" "standard error with pgalloc"
		pt_show "$PT_TMP/$mode.out" "standard output with pgalloc"
		pt_fail "$mode: exit status $mrc with pgalloc, 0 without"
	fi
	if ! cmp -s "$PT_TMP/plain.out" "$PT_TMP/$mode.out"; then
		diff -u "$PT_TMP/plain.out" "$PT_TMP/$mode.out" | head -n 60 >&2 || true
		pt_show "$PT_TMP/$mode.err" "standard error with pgalloc"
		pt_fail "$mode: standard output differs with pgalloc"
	fi
	if ! cmp -s "$PT_TMP/plain.err" "$PT_TMP/$mode.err"; then
		diff -u "$PT_TMP/plain.err" "$PT_TMP/$mode.err" | head -n 60 >&2 || true
		pt_fail "$mode: standard error differs with pgalloc"
	fi
	[[ -s $PT_TMP/plain.out ]] || pt_fail "the scenario printed nothing: nothing was compared"
}

# pt_check_active MODE [MIN]: pgalloc served the run MODE: at least MIN
# (default 1) processes printed statistics at exit, and they allocated pages
# from ZONE_NORMAL. (A program that closes its standard error before exit,
# as everything built on gnulib's close_stdout does (coreutils), prints no
# statistics: pgalloc writes them to file descriptor 2 from an atexit
# handler registered before the program's.)
pt_check_active() {
	local mode="$1" min="${2:-1}" blocks pages
	blocks="$(grep -c '^# /proc/buddyinfo$' "$PT_TMP/$mode.stats" || true)"
	pages="$(awk '$1 == "pgalloc_normal" { n += $2 } END { printf "%d", n }' "$PT_TMP/$mode.stats")"
	if ((blocks < min)); then
		pt_fail "$mode: $blocks processes printed pgalloc statistics at exit, expected at least $min: was pgalloc loaded?"
	fi
	if ((blocks > 0 && pages <= 0)); then
		pt_fail "$mode: pgalloc_normal is 0 in the statistics: pgalloc served no pages"
	fi
	pt_log "$mode: pgalloc active: $blocks processes, pgalloc_normal $pages"
}

# pt_plain_and_preload FUNCTION [MIN]: the usual test: run FUNCTION plain and
# preloaded, compare, check that pgalloc was active (MIN as above).
pt_plain_and_preload() {
	pt_run plain "$1"
	pt_run preload "$1"
	pt_compare preload
	pt_check_active preload "${2:-1}"
}
