#!/usr/bin/env bash
# pgalloc under an address-space limit (ulimit -v 2000000, about 1.9 GiB):
#
#  - start-up works: /bin/true, python3 and a C program (limits.c) start
#    with libpgalloc.so preloaded, and pgalloc serves them (statistics);
#  - requests no allocator can meet (malloc(SIZE_MAX), calloc overflow,
#    memalign(2^62), realloc to SIZE_MAX, ...) return NULL with ENOMEM,
#    with and without the limit, with and without pgalloc (and with
#    harden=full, whose red zones add to the size);
#  - for each size range (small objects, large runs, huge blocks, an
#    aligned request), allocating until ENOMEM reaches at least MIN_PCT
#    percent of what the C library's malloc reaches under the same limit,
#    measured here in the same run; every block keeps its contents; after
#    everything is freed the same amount can be had again (limits.c checks
#    contents, ENOMEM, realloc and the statistics, and fails otherwise);
#  - the same for Python filling a list with 1 MiB bytearrays until
#    MemoryError.
#
# Usage (by meson): ulimit.sh LIBPGALLOC SANITIZED LIMITS_PROGRAM
# shellcheck source=tests/preload/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PROG="${3:-}"
[[ -x $PROG ]] || pt_fail "no test program at '$PROG'"
LIMIT_KB=2000000
MIN_PCT=85

hard="$(ulimit -H -v)"
if [[ $hard != unlimited ]] && ((hard < LIMIT_KB)); then
	pt_skip "the hard address-space limit ($hard KiB) is below the $LIMIT_KB KiB this test sets"
fi

# limited CMD...: run CMD under the limit (in a subshell: the limit stays
# there).
limited() {
	(
		ulimit -v "$LIMIT_KB"
		"$@"
	)
}

# with_pgalloc CMD...: CMD with libpgalloc.so preloaded.
with_pgalloc() {
	env LD_PRELOAD="$PT_LIB" "$@"
}

# check_start [--stats] WHAT CMD...: CMD starts and exits 0 under the limit
# with pgalloc preloaded; with --stats, the statistics it prints at exit
# prove that pgalloc started and served it (/bin/true may allocate nothing,
# and pgalloc starts at the first allocation).
check_start() {
	local stats=0 what out err
	if [[ $1 == --stats ]]; then
		stats=1
		shift
	fi
	what="$1"
	shift
	out="$PT_TMP/start.out"
	err="$PT_TMP/start.err"
	if ! limited env LD_PRELOAD="$PT_LIB" PGALLOC_CONF=stats_print=1 "$@" >"$out" 2>"$err"; then
		pt_show "$err" "standard error"
		pt_fail "$what does not start under ulimit -v $LIMIT_KB with pgalloc"
	fi
	if ((stats)) && ! grep -q '^# /proc/buddyinfo$' "$err"; then
		pt_fail "$what under the limit printed no pgalloc statistics: was pgalloc loaded?"
	fi
	pt_log "start-up under the limit: $what ok"
}

check_start /bin/true /bin/true
check_start --stats "$PROG hello" "$PROG" hello
grep -qx hello "$PT_TMP/start.out" || pt_fail "$PROG hello printed '$(cat "$PT_TMP/start.out")'"
PYTHON=/usr/bin/python3
[[ -x $PYTHON ]] || PYTHON=python3
if command -v "$PYTHON" >/dev/null 2>&1; then
	check_start --stats "$PYTHON" "$PYTHON" -s -c 'import json; print(len(json.dumps(list(range(100000)))))'
else
	pt_log "no python3: its start-up is not checked"
fi

# Impossible requests: four ways.
for mode in plain pgalloc hardened; do
	for lim in none limited; do
		cmd=("$PROG" impossible)
		[[ $mode == pgalloc ]] && cmd=(with_pgalloc "${cmd[@]}")
		[[ $mode == hardened ]] && cmd=(env PGALLOC_CONF=harden=full LD_PRELOAD="$PT_LIB" "${cmd[@]}")
		[[ $lim == limited ]] && cmd=(limited "${cmd[@]}")
		out="$("${cmd[@]}" 2>&1)" || pt_fail "impossible requests ($mode, limit: $lim): $out"
	done
done
pt_log "impossible requests: NULL and ENOMEM with and without pgalloc (also harden=full) and the limit"

# fill_mib [pgalloc] SIZE [ALIGN]: MiB the first and second fill reached,
# under the limit.
fill_mib() {
	local out cmd=("$PROG" fill)
	if [[ $1 == pgalloc ]]; then
		cmd=(with_pgalloc "${cmd[@]}")
		shift
	fi
	out="$(limited "${cmd[@]}" "$@" 2>&1)" || pt_fail "fill $* ($(declare -p cmd | cut -c1-80)): $out"
	[[ $out =~ ^fill\ [0-9]+\ ([0-9]+)\ ([0-9]+)$ ]] || pt_fail "fill $*: unexpected output '$out'"
	echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
}

# compare WHAT GLIBC_MIB PGALLOC_FIRST PGALLOC_SECOND
compare() {
	local what="$1" ref="$2" first="$3" second="$4"
	((ref > 0)) || pt_fail "$what: the C library reached nothing: the test is broken"
	pt_log "$what: glibc $ref MiB, pgalloc $first MiB ($((first * 100 / ref))%), again after freeing $second MiB"
	((first * 100 >= ref * MIN_PCT)) ||
		pt_fail "$what: pgalloc reached $first MiB, less than $MIN_PCT% of the C library's $ref MiB"
	((second * 100 >= first * 95)) ||
		pt_fail "$what: after freeing everything pgalloc reached only $second MiB of $first"
}

# Sizes: small objects (the first and a late slab class), large runs (a
# 40 KB buffer, Python's 1 MiB + 1 byte), a huge block, a 100 KB request
# aligned to 64 KiB.
for spec in 64 24000 40000 1048577 8388608 100000:65536; do
	size="${spec%%:*}"
	align=()
	[[ $spec == *:* ]] && align=("${spec#*:}")
	res="$(fill_mib "$size" "${align[@]}")"
	read -r ref _ <<<"$res"
	res="$(fill_mib pgalloc "$size" "${align[@]}")"
	read -r first second <<<"$res"
	compare "fill $spec" "$ref" "$first" "$second"
done

# Python: 1 MiB bytearrays until MemoryError.
if command -v "$PYTHON" >/dev/null 2>&1; then
	script='
x = []
try:
    while True:
        x.append(bytearray(1 << 20))
except MemoryError:
    n = len(x)
    del x
    y = [bytearray(1 << 20) for _ in range(n * 9 // 10)]
    print(n)
'
	ref="$(limited "$PYTHON" -s -c "$script")" || pt_fail "python3 under the limit failed without pgalloc"
	got="$(limited env LD_PRELOAD="$PT_LIB" "$PYTHON" -s -c "$script")" ||
		pt_fail "python3 under the limit failed with pgalloc (or could not allocate 90% again)"
	compare "python3 bytearray(1 MiB)" "$ref" "$got" "$got"
fi
pt_log "pass"
