#!/usr/bin/env bash
# meson install into a temporary directory (DESTDIR) puts the library, the
# header, pgalloc.pc, pgalloc-stat, pgalloc-run and their man pages where a
# Debian user expects them; a program builds with `pkg-config --cflags
# --libs pgalloc` and runs against the installed library, and the installed
# pgalloc-run runs a program with it.
#
# Usage: install.sh BUILDDIR PREFIX LIBDIR BINDIR MANDIR INCLUDEDIR SANITIZED HAVE_MAN
# shellcheck source=tests/tools/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
BUILD="$1" PREFIX="$2" LIBDIR="$3" BINDIR="$4" MANDIR="$5" INCDIR="$6"
tt_sanitized "${7:-0}"
command -v meson >/dev/null || tt_skip "meson is not on PATH"
command -v pkg-config >/dev/null || tt_skip "pkg-config is not installed"
D="$TT_TMP/root"
meson install -C "$BUILD" --no-rebuild --destdir "$D" >"$TT_TMP/install.log" 2>&1 || {
	cat "$TT_TMP/install.log" >&2
	tt_fail "meson install failed"
}
abs() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PREFIX" "$1" ;; esac; }
lib="$D$(abs "$LIBDIR")" bin="$D$(abs "$BINDIR")" man="$D$(abs "$MANDIR")" inc="$D$(abs "$INCDIR")"
for f in "$lib/libpgalloc.so" "$lib/pkgconfig/pgalloc.pc" "$inc/pgalloc.h"; do
	[[ -e $f ]] || tt_fail "not installed: $f"
done
for f in "$bin/pgalloc-stat" "$bin/pgalloc-run"; do
	[[ -x $f ]] || tt_fail "not installed or not executable: $f"
done
if [[ ${8:-0} == 1 ]]; then
	for f in "$man/man1/pgalloc-stat.1" "$man/man1/pgalloc-run.1"; do
		[[ -s $f ]] || tt_fail "man page not installed: $f"
	done
fi
cat >"$TT_TMP/prog.c" <<'CEOF'
#include <stdio.h>
#include <string.h>
#include <pgalloc.h>
int main(void)
{
	char *p = pga_malloc(100);
	if (!p || !pga_owns(p))
		return 1;
	strcpy(p, "ok");
	puts(p);
	pga_free(p);
	return pga_stats_print_views(1, "slabinfo") == 0 ? 0 : 1;
}
CEOF
export PKG_CONFIG_SYSROOT_DIR="$D" PKG_CONFIG_PATH="$lib/pkgconfig"
flags="$(pkg-config --cflags --libs pgalloc)" || tt_fail "pkg-config --cflags --libs pgalloc failed"
tt_log "pkg-config: $flags"
# shellcheck disable=SC2086  # the flags are words
cc -o "$TT_TMP/prog" "$TT_TMP/prog.c" $flags || tt_fail "the program does not build with pkg-config's flags"
LD_LIBRARY_PATH="$lib" "$TT_TMP/prog" >"$TT_TMP/out" || tt_fail "the program failed"
tt_expect "program" "$TT_TMP/out" '^ok$'
tt_expect "program slabinfo" "$TT_TMP/out" '^slabinfo - version: 2.1$'
PGALLOC_LIB="$lib/libpgalloc.so" PGALLOC_CONF="stats_print=vmstat" "$bin/pgalloc-run" -- ls / \
	>"$TT_TMP/run" 2>"$TT_TMP/run.err" || tt_fail "the installed pgalloc-run failed"
tt_expect "pgalloc-run" "$TT_TMP/run.err" '^pgalloc_normal [0-9]+$'
"$bin/pgalloc-stat" --conf >"$TT_TMP/conf" || tt_fail "pgalloc-stat --conf failed"
tt_expect "pgalloc-stat --conf" "$TT_TMP/conf" '^stats_print$'
tt_log "pass"
