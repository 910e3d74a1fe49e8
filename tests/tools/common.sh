# shellcheck shell=bash
# Shared by the tool tests: each is run by meson as
#   bash tests/tools/NAME.sh ARGS...
# Exit status: 0 pass, 1 fail, 77 skip (the reason on stdout).
set -euo pipefail
export LC_ALL=C
unset MALLOC_PERTURB_
TT_NAME="$(basename "$0" .sh)"
TT_TMP="$(mktemp -d "${TMPDIR:-/tmp}/pgalloc-$TT_NAME.XXXXXX")"
TT_PIDS=()
tt_cleanup() {
	local p
	for p in "${TT_PIDS[@]}"; do
		kill -CONT "$p" 2>/dev/null || true
		kill "$p" 2>/dev/null || true
	done
	rm -rf "$TT_TMP"
}
trap tt_cleanup EXIT

tt_log() { printf '%s: %s\n' "$TT_NAME" "$*"; }
tt_skip() {
	printf '%s: skipped: %s\n' "$TT_NAME" "$*"
	exit 77
}
tt_fail() {
	printf '%s: FAIL: %s\n' "$TT_NAME" "$*" >&2
	exit 1
}
# tt_expect WHAT FILE PATTERN: FILE has a line matching the extended regex.
tt_expect() {
	grep -Eq -- "$3" "$2" || {
		sed 's/^/    /' "$2" | head -40 >&2
		tt_fail "$1: no line matching /$3/ in $2"
	}
}
tt_sanitized() {
	case "${1:-0}" in
	0 | false | "") ;;
	*) tt_skip "libpgalloc.so is built with a sanitizer: it cannot be preloaded into uninstrumented programs" ;;
	esac
}
