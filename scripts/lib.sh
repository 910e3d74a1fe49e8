# shellcheck shell=bash
# Helpers shared by scripts/test, scripts/run and scripts/callgrind-malloc.
# Source it; do not run it.
#
#   pga_ensure_deps            install the build dependencies that are missing,
#                              and the programs the preload tests run
#   pga_ensure_pkgs PKG...     install the Debian packages PKG... that are missing
#   pga_build_opts NAME        the meson options of build directory NAME
#   pga_build DIR OPTS...      configure DIR if needed, then compile it

# The repository root, whatever directory the caller runs from.
PGA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian packages needed to build, test and run pgalloc.
PGA_DEPS=(meson ninja-build pkg-config gcc g++ clang libnuma-dev numactl valgrind python3)

# The other programs the preload tests (tests/preload/) run under LD_PRELOAD
# (python3 and gcc are above). Installed with the rest when possible; without
# them (not root, no apt) those tests skip rather than the whole suite
# failing.
PGA_TEST_DEPS=(sqlite3 git coreutils binutils)

pga_log() {
	printf '%s\n' "$*" >&2
}

# True when the Debian package $1 is installed.
pga_pkg_installed() {
	local status
	status="$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" || return 1
	[[ $status == *" ok installed" ]]
}

# The packages among $1... that are not installed, one per line.
pga_missing_pkgs() {
	local pkg
	for pkg in "$@"; do
		pga_pkg_installed "$pkg" || printf '%s\n' "$pkg"
	done
}

# Install the Debian packages $1... that are missing. Needs root, and
# apt-get, when something is missing; returns 1 (after saying why) when it
# cannot install.
pga_ensure_pkgs() {
	local missing=()
	if ! command -v dpkg-query >/dev/null 2>&1; then
		pga_log "not a Debian system: cannot check for packages: $*"
		return 1
	fi
	mapfile -t missing < <(pga_missing_pkgs "$@")
	((${#missing[@]})) || return 0
	if [[ $(id -u) -ne 0 ]]; then
		pga_log "missing packages: ${missing[*]}"
		pga_log "run as root, or: sudo apt-get install -y ${missing[*]}"
		return 1
	fi
	pga_log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get update -qq >&2 ||
		! apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
		pga_log "could not install: ${missing[*]}"
		return 1
	fi
}

# Install whatever in PGA_DEPS is missing, and PGA_TEST_DEPS with them when
# possible (the tests that need a program still missing skip). Returns 1
# (after saying why) when a build dependency is missing and cannot be
# installed.
pga_ensure_deps() {
	local missing=() optional=()
	if ! command -v dpkg-query >/dev/null 2>&1; then
		# Not a Debian system: check for the tools themselves instead.
		local tool
		for tool in meson ninja pkg-config cc; do
			command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
		done
		if ((${#missing[@]})); then
			pga_log "missing tools: ${missing[*]} (install them with your package manager)"
			return 1
		fi
		return 0
	fi
	mapfile -t missing < <(pga_missing_pkgs "${PGA_DEPS[@]}")
	mapfile -t optional < <(pga_missing_pkgs "${PGA_TEST_DEPS[@]}")
	((${#missing[@]} + ${#optional[@]})) || return 0
	if [[ $(id -u) -ne 0 ]]; then
		if ((${#optional[@]})); then
			pga_log "not installed: ${optional[*]} (the preload tests that run them skip)"
		fi
		((${#missing[@]} == 0)) || pga_ensure_pkgs "${missing[@]}"
		return
	fi
	pga_ensure_pkgs "${missing[@]}" "${optional[@]}" && return 0
	# One apt-get run for everything failed: what is required alone.
	if ((${#missing[@]})); then
		pga_ensure_pkgs "${missing[@]}" || return 1
	fi
	pga_log "the preload tests that need what is missing skip"
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
