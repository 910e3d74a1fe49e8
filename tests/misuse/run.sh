#!/usr/bin/env bash
# shellcheck disable=SC2016  # the expectations hold regular expressions
#
# run.sh - the misuse suite: every misuse of the C allocation API, done by an
# ordinary program with libpgalloc.so preloaded, ends exactly as specified.
#
#   tests/misuse/run.sh LIBPGALLOC [CASE...]     (all cases when none named)
#   tests/misuse/run.sh --list
#
# Each case is one process of misuse.c (built without pgalloc, calling
# malloc, free, realloc, ...), started as
#
#   timeout 20 env LD_PRELOAD=LIBPGALLOC [PGALLOC_CONF=...] misuse CASE
#
# which does legal calls, prints the pointer it is about to misuse as
# "addr=0x..." (pgalloc's hex format), then misuses it once. The case passes
# when the process ends exactly as its expectation below says:
#
#   abort FUNC PHRASES  killed by SIGABRT, and standard error holds exactly
#                       one line starting with "pgalloc:", which reads
#                       "pgalloc: FUNC(): PHRASE: ADDR" (then the end of the
#                       line or a detail such as " (size class 32)"), PHRASE
#                       one of PHRASES (an alternation), ADDR the address
#                       the program printed
#   exit N              exit status N, and no "pgalloc:" line at all
#   signal              killed by the signal STATUS - 128 says (the guard
#                       pages: SIGSEGV is then the right ending), and no
#                       "pgalloc:" line
#
# Never a SIGSEGV and never a hang: any other signal fails, and a process
# still running after 20 s is killed and reported as a hang. For the
# foreign pointers (free-stack, free-global, free-mmap) standard error must
# hold nothing but the pgalloc: line: a pointer pgalloc never returned must
# not be handed to the C library's free, whose own message ("free():
# invalid pointer", no "pgalloc:" prefix) would show that it was. A case
# the program cannot run here exits 77 and says why (free_sized where the
# process has none); the case is then skipped.
#
# What each case proves (the sizes: small 24-100 bytes is a slab object,
# 200000 bytes to 4 MiB a page run, 64 MiB a huge mapping):
#
#   double-free-small-immediate    a small object freed twice in a row
#   double-free-small-delayed      ... with another free in between: the
#                                  object is no longer the freelist head
#   double-free-small-delayed-many ... with 1000 frees of its class between
#   double-free-small-remote       allocated in one thread, freed in a
#                                  second, again in a third (each joined:
#                                  the owner has exited)
#   double-free-small-remote-live  the same while the owner is alive and
#                                  allocating: both frees go to the remote
#                                  list of a live thread's slab
#   double-free-small-emptied      freed again after its slab emptied and
#                                  malloc_trim(0) gave it back: "double
#                                  free" or "invalid pointer", still an abort
#   double-free-large[-1m|-4m]     a page run freed twice (200000 B, 1, 4 MiB)
#   double-free-huge               a huge mapping freed twice
#   double-free-huge-reused        freed again after an unrelated mmap of
#                                  the same size (it says whether it took
#                                  the same address)
#   free-stack, free-global,       pointers pgalloc never returned: a local,
#   free-mmap                      a static array, a page from mmap
#   free-interior-small|large|huge a pointer inside a block (+16, +4096)
#   free-misaligned                a small block's address + 1
#   realloc-freed[-large|-huge]    realloc of a freed block: use after free
#                                  (a freed huge mapping is gone: "invalid
#                                  pointer" is accepted there)
#   realloc-invalid, -interior     realloc of a local, of a block + 16
#   usable-size-freed[-large|-huge], usable-size-invalid
#                                  the same for malloc_usable_size
#   write-after-free-link          16 bytes written over a freed object's
#                                  freelist link: malloc notices the link
#                                  before following it (default settings);
#                                  the message names where the link leads
#   write-after-free-poison        harden=full: one byte written inside a
#                                  freed object is found when it is handed
#                                  out again (up to 100000 mallocs later)
#   overflow-canary                harden=full: the byte past a 40-byte
#                                  request is a red zone that free checks
#   usable-size-redzone            harden=full: the red zone is not usable:
#                                  malloc_usable_size(malloc(40)) == 40
#   free-sized-wrong, -right       harden=full: free_sized checks the size
#   calloc-overflow                calloc(SIZE_MAX/2, 3): NULL, ENOMEM, and
#                                  the heap goes on working
#   reallocarray-overflow          the same; the block is untouched
#   impossible-sizes               SIZE_MAX, PTRDIFF_MAX(+1) through every
#                                  allocating call: NULL, ENOMEM, nothing lost
#   impossible-alignments          alignments that are not powers of two or
#                                  not multiples of sizeof(void *): EINVAL;
#                                  2^62, 2^40: ENOMEM
#   glibc-entry-points             __libc_malloc, __libc_free, __libc_calloc,
#                                  __libc_realloc, __libc_memalign and cfree
#                                  resolve to libpgalloc.so, and their blocks
#                                  mix with malloc's and free's
#
# The case program: $MISUSE_PROG (meson sets it); otherwise the one built
# next to the library (BUILD/tests/misuse/misuse for BUILD/preload/
# libpgalloc.so); otherwise misuse.c is compiled into a temporary directory
# with cc. MISUSE_TIMEOUT_S changes the 20 s limit. MISUSE_SANITIZED=1
# (meson sets it for a sanitizer build) skips: an ASan libpgalloc.so cannot
# be preloaded into uninstrumented programs.
#
# Exit status: 0 every case passed (or was skipped, with at least one run),
# 1 a case failed, 77 everything was skipped (the reason on stdout).
set -uo pipefail
export LC_ALL=C
# meson test sets it; glibc's own malloc would act on it, and nothing here
# is about glibc's malloc.
unset MALLOC_PERTURB_ MALLOC_CHECK_
# Where glibc reports a fatal error: standard error, never /dev/tty, so that
# a message of the C library's own allocator is seen and fails the case.
export LIBC_FATAL_STDERR_=1

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TIMEOUT_S="${MISUSE_TIMEOUT_S:-20}"

# expect CASE: sets CONF (PGALLOC_CONF, empty for the defaults), END
# ("abort" or "exit"), STATUS (for exit), FUNC and PHRASES (for abort) and
# FOREIGN (1: nothing but the pgalloc: line on stderr). Returns 1 for an
# unknown case.
expect() {
	CONF="" END="abort" STATUS=0 FUNC=free PHRASES="" FOREIGN=0 ANYADDR=0
	case "$1" in
	double-free-small-immediate | double-free-small-delayed | double-free-small-delayed-many | \
		double-free-small-remote | double-free-small-remote-live | \
		double-free-large | double-free-large-1m | double-free-large-4m | double-free-huge)
		PHRASES="double free" ;;
	double-free-small-emptied | double-free-huge-reused)
		PHRASES="double free|invalid pointer" ;;
	free-stack | free-global | free-mmap)
		PHRASES="invalid pointer" FOREIGN=1 ;;
	free-interior-small | free-interior-large | free-interior-huge | free-misaligned)
		PHRASES="invalid pointer" ;;
	realloc-freed | realloc-freed-large)
		FUNC=realloc PHRASES="use after free" ;;
	realloc-freed-huge)
		FUNC=realloc PHRASES="use after free|invalid pointer" ;;
	realloc-invalid | realloc-interior)
		FUNC=realloc PHRASES="invalid pointer" ;;
	usable-size-freed | usable-size-freed-large)
		FUNC=malloc_usable_size PHRASES="use after free" ;;
	usable-size-freed-huge)
		FUNC=malloc_usable_size PHRASES="use after free|invalid pointer" ;;
	usable-size-invalid)
		FUNC=malloc_usable_size PHRASES="invalid pointer" ;;
	write-after-free-link)
		# The address reported is where the corrupt link leads (the
		# object it was read from is handed out by then).
		FUNC=malloc PHRASES="corrupted freelist" ANYADDR=1 ;;
	write-after-free-poison)
		CONF=harden=full FUNC=malloc PHRASES="write after free" ;;
	overflow-canary)
		CONF=harden=full PHRASES="red zone overwritten" ;;
	usable-size-redzone | free-sized-right)
		CONF=harden=full END="exit" ;;
	free-sized-wrong)
		CONF=harden=full FUNC=free_sized PHRASES="wrong size" ;;
	calloc-overflow | reallocarray-overflow | impossible-sizes | impossible-alignments | \
		glibc-entry-points | mallopt-values)
		END="exit" ;;
	write-after-free-large)
		CONF=harden=full FUNC=malloc PHRASES="write after free" ;;
	huge-guard-after | huge-guard-before)
		CONF=harden=full END="signal" STATUS=139 ;;
	init-on-alloc)
		CONF=init_on_alloc=1 END="exit" ;;
	init-on-free)
		CONF=init_on_free=1 END="exit" ;;
	freelist-random)
		CONF=slab_freelist_random=1 END="exit" ;;
	*)
		return 1 ;;
	esac
	return 0
}

# The cases, in the order they run by default.
CASES=(
	double-free-small-immediate double-free-small-delayed double-free-small-delayed-many
	double-free-small-remote double-free-small-remote-live double-free-small-emptied
	double-free-large double-free-large-1m double-free-large-4m
	double-free-huge double-free-huge-reused
	free-stack free-global free-mmap
	free-interior-small free-interior-large free-interior-huge free-misaligned
	realloc-freed realloc-freed-large realloc-freed-huge realloc-invalid realloc-interior
	usable-size-freed usable-size-freed-large usable-size-freed-huge usable-size-invalid
	write-after-free-link write-after-free-poison
	overflow-canary usable-size-redzone free-sized-wrong free-sized-right
	calloc-overflow reallocarray-overflow impossible-sizes impossible-alignments
	glibc-entry-points write-after-free-large huge-guard-after huge-guard-before
	init-on-alloc init-on-free freelist-random mallopt-values
)

if [[ ${1:-} == --list ]]; then
	printf '%s\n' "${CASES[@]}"
	exit 0
fi
if (($# < 1)); then
	echo "usage: $0 LIBPGALLOC [CASE...] | $0 --list" >&2
	exit 1
fi
LIB="$1"
shift
if (($# == 0)); then
	set -- "${CASES[@]}"
fi
for c in "$@"; do
	if ! expect "$c"; then
		echo "misuse: unknown case '$c' ($0 --list names them)" >&2
		exit 1
	fi
done

case "${MISUSE_SANITIZED:-0}" in
0 | false | "") ;;
*)
	echo "misuse: skipped: libpgalloc.so is built with a sanitizer: it cannot be preloaded into uninstrumented programs"
	exit 77
	;;
esac
if [[ ! -f $LIB ]]; then
	echo "misuse: FAIL: no library at $LIB" >&2
	exit 1
fi
LIB="$(realpath "$LIB")"
command -v timeout >/dev/null || {
	echo "misuse: FAIL: timeout(1) is needed (coreutils)" >&2
	exit 1
}

TMP="$(mktemp -d "${TMPDIR:-/tmp}/pgalloc-misuse.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

PROG="${MISUSE_PROG:-}"
if [[ -z $PROG ]]; then
	PROG="$(dirname "$LIB")/../tests/misuse/misuse"
	if [[ ! -x $PROG ]]; then
		# Standalone, with no build tree next to the library: build the
		# program as meson would (no pgalloc, no optimisation).
		PROG="$TMP/misuse"
		if ! ${CC:-cc} -std=gnu11 -O0 -fno-builtin -w -pthread -o "$PROG" \
			"$HERE/misuse.c" -ldl; then
			echo "misuse: FAIL: cannot build $HERE/misuse.c" >&2
			exit 1
		fi
	fi
fi

# The name of the signal behind a shell status above 128.
signame() {
	local s
	s="$(kill -l $(($1 - 128)) 2>/dev/null)" || s="signal $(($1 - 128))"
	echo "SIG$s"
}

# how RC: the ending in words.
how() {
	if (($1 == 124)); then
		echo "a hang (still running after ${TIMEOUT_S} s, killed)"
	elif (($1 > 128)); then
		echo "killed by $(signame "$1")"
	else
		echo "exit $1"
	fi
}

# show FILE LABEL: a file's first lines, for a failure.
show() {
	if [[ -s $1 ]]; then
		printf -- '  --- %s:\n' "$2"
		head -n 20 "$1" | sed 's/^/  | /'
	fi
}

# run_case CASE: 0 pass, 1 fail, 77 skip; one line of verdict, the details
# of a failure under it.
run_case() {
	local c="$1" out="$TMP/$1.out" err="$TMP/$1.err" rc addr lines line other why="" start
	expect "$c"
	start=$SECONDS

	# timeout re-raises the signal that killed the case on itself, so $?
	# is 128 + that signal; 124 when it had to stop the case. No core
	# files: a suite of aborts would fill the disk. The group's stderr
	# takes the shell's own "Aborted" notice.
	{
		(
			ulimit -c 0
			if [[ -n $CONF ]]; then
				exec timeout -k 5 "$TIMEOUT_S" env LD_PRELOAD="$LIB" \
					PGALLOC_CONF="$CONF" "$PROG" "$c"
			else
				exec timeout -k 5 "$TIMEOUT_S" env -u PGALLOC_CONF LD_PRELOAD="$LIB" \
					"$PROG" "$c"
			fi
		) >"$out" 2>"$err" </dev/null
	} 2>/dev/null
	rc=$?
	# Killed at the time limit: timeout says 124, or 137 when the case
	# did not die of SIGTERM either.
	if ((rc == 124 || (rc == 137 && SECONDS - start >= TIMEOUT_S))); then
		rc=124
	fi

	if ((rc == 77)); then
		echo "SKIP $c: $(grep -m1 'skipped' "$out" || echo 'the program skipped it')"
		return 77
	fi
	lines="$(grep -c '^pgalloc:' "$err")"
	addr="$(sed -n 's/^addr=\(0x[0-9a-f]*\)$/\1/p' "$out" | tail -n 1)"

	if [[ $END == exit || $END == signal ]]; then
		if ((rc != STATUS)); then
			why="want $(how "$STATUS"), got $(how "$rc")"
		elif ((lines != 0)); then
			why="exit $rc as wanted, but pgalloc said something ($lines pgalloc: lines)"
		fi
	else
		local want="pgalloc: $FUNC(): ($PHRASES): $addr"
		if ((rc != 134)); then
			why="want SIGABRT, got $(how "$rc")"
		elif [[ -z $addr ]]; then
			why="the program printed no addr= line before the misuse"
		elif ((lines != 1)); then
			why="killed by SIGABRT, but with $lines pgalloc: lines, not one"
			other="$(grep -v '^pgalloc:' "$err" | head -n 1)"
			if [[ -n $other ]]; then
				why="$why; a message without the prefix (the C library's?): '$other'"
			fi
		else
			line="$(grep -m1 '^pgalloc:' "$err")"
			# The address ends the line or is followed by a detail:
			# 0x10 must not match 0x100.
			local want_addr="$addr"
			((ANYADDR)) && want_addr="0x[0-9a-f]+"
			if ! [[ $line =~ ^pgalloc:\ $FUNC\(\):\ ($PHRASES):\ $want_addr($|[^0-9a-fA-Fx]) ]]; then
				why="killed by SIGABRT, but the pgalloc: line does not match"
			elif ((FOREIGN)) && grep -qv '^pgalloc:' "$err"; then
				why="standard error holds more than the pgalloc: line (the C library's free?)"
			fi
		fi
		[[ -n $why ]] && why="$why; want '$want'"
	fi

	if [[ -z $why ]]; then
		if [[ $END == exit || $END == signal ]]; then
			echo "ok   $c: $(how "$rc")"
		else
			echo "ok   $c: $(grep -m1 '^pgalloc:' "$err")"
		fi
		# What the program said besides the address (huge-reused says
		# whether the mapping came back at the same address).
		grep -v '^addr=' "$out" | sed 's/^/       /'
		return 0
	fi
	echo "FAIL $c: $why"
	show "$out" "standard output"
	show "$err" "standard error"
	return 1
}

pass=0 fail=0 skipped=0
for c in "$@"; do
	run_case "$c"
	case $? in
	0) pass=$((pass + 1)) ;;
	77) skipped=$((skipped + 1)) ;;
	*) fail=$((fail + 1)) ;;
	esac
done
if (($# > 1)); then
	echo "misuse: $pass passed, $fail failed, $skipped skipped"
fi
if ((fail)); then
	exit 1
fi
if ((pass == 0)); then
	exit 77
fi
exit 0
