# shellcheck shell=bash
# Helpers shared by scripts/test, scripts/run, scripts/bench and
# scripts/callgrind-malloc. Source it; do not run it.
#
#   pga_build_opts NAME        the meson options of build directory NAME
#   pga_build DIR OPTS...      configure DIR if needed, then compile it
#
# The packages themselves, and what may be missing, are scripts/setup-deps'
# business.

# The repository root, whatever directory the caller runs from.
PGA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

pga_log() {
	printf '%s\n' "$*" >&2
}

# The meson options of each build directory the scripts use.
pga_build_opts() {
	case "$1" in
	build) printf '%s\n' -Dbuildtype=debugoptimized -Db_sanitize=none ;;
	build-asan)
		printf '%s\n' -Db_sanitize=address,undefined -Dbuildtype=debug -Db_lundef=false
		;;
	*)
		pga_log "unknown build directory: $1"
		return 1
		;;
	esac
}

# Succeeds when build directory $1 already has every option in $2...
# (-Dname=value), as meson reports them.
pga_opts_match() {
	local dir="$1"
	shift
	meson introspect "$dir" --buildoptions 2>/dev/null | python3 -c '
import json, sys
want = dict(a[2:].split("=", 1) for a in sys.argv[1:])
have = {}
for o in json.load(sys.stdin):
    v = o.get("value")
    if isinstance(v, bool):
        v = "true" if v else "false"
    elif isinstance(v, list):
        v = ",".join(str(x) for x in v)
    have[o["name"]] = str(v)
sys.exit(0 if all(have.get(k) == v for k, v in want.items()) else 1)
' "$@"
}

# Configure build directory $1 (relative to the root) with options $2...
# unless it is already configured that way, then compile it. Output goes to
# stdout/stderr as usual; callers that want quiet redirect it.
pga_build() {
	local dir="$1"
	shift
	local path="$PGA_ROOT/$dir"
	if [[ ! -f "$path/build.ninja" ]]; then
		if [[ -f "$path/meson-private/coredata.dat" ]]; then
			meson setup --wipe "$path" "$PGA_ROOT" "$@" || return 1
		else
			meson setup "$path" "$PGA_ROOT" "$@" || return 1
		fi
	elif ! pga_opts_match "$path" "$@"; then
		# Configured otherwise: change the options in place. (meson
		# setup --reconfigure does not apply b_* options in every meson
		# version; meson configure does.) Start afresh if that fails.
		if ! meson configure "$path" "$@" || ! pga_opts_match "$path" "$@"; then
			meson setup --wipe "$path" "$PGA_ROOT" "$@" || return 1
		fi
	fi
	meson compile -C "$path" || return 1
}
