# shellcheck shell=bash
# Shared by the apps tests: real programs running their own test suite or
# benchmark with libpgalloc.so preloaded. Each test is run by meson as
#
#   bash tests/apps/NAME.sh LIBPGALLOC SANITIZED
#
# (or alone: tests/apps/NAME.sh build/preload/libpgalloc.so) and sources
# this file, which sources tests/preload/common.sh: the same two runs
# (without and with pgalloc, in fresh directories), the same comparison and
# the same checks of pgalloc's statistics at exit (pt_run, pt_compare,
# pt_check_active; see there). The statistics go to a file (PT_STATS_FILE):
# test suites start child processes and check what they print on standard
# error.
#
# What is compared is what the program's suite decides: the verdict of
# every test case, a digest of the data a benchmark leaves, the output of a
# script; never timings.
PT_NAME="${PT_NAME:-apps-$(basename "$0" .sh)}"
PT_STATS_FILE=1
# shellcheck source=tests/preload/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../preload/common.sh"

# This folder (PT_DIR is tests/preload).
# shellcheck disable=SC2034  # for the tests that source this file
PA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Debian's python3 (the one the testsuite package belongs to): python.sh
# runs its tests, redis.sh and gcc.sh their helpers (without the preload).
# shellcheck disable=SC2034
PA_PYTHON=/usr/bin/python3

# pa_plain CMD...: run CMD (a program or a function) without pgalloc, from
# inside a scenario: for the helpers that turn the program's results into
# what is compared, which are the test's, not the program's.
pa_plain() {
	(
		unset LD_PRELOAD PGALLOC_CONF
		"$@"
	)
}
