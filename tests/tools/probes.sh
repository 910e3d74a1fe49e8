#!/usr/bin/env bash
# The USDT probes in libpgalloc.so: every kernel-named probe is in its
# .note.stapsdt (readelf -n), provider pgalloc.
#
# Usage: probes.sh LIBPGALLOC HAVE_SDT
# shellcheck source=tests/tools/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
LIB="$1"
[[ ${2:-0} == 1 ]] || tt_skip "built without <sys/sdt.h> (apt-get install systemtap-sdt-dev): no probes"
command -v readelf >/dev/null || tt_skip "readelf is not installed (binutils)"
readelf -n "$LIB" >"$TT_TMP/notes"
for p in mm_page_alloc mm_page_free mm_page_alloc_zone_locked mm_page_pcpu_drain \
	mm_page_alloc_extfrag kmem_cache_alloc kmem_cache_free malloc free \
	mm_vmscan_direct_reclaim_begin mm_vmscan_direct_reclaim_end mm_vmscan_kswapd_wake; do
	awk -v p="$p" '$1 == "Provider:" { prov = $2 } $1 == "Name:" && $2 == p && prov == "pgalloc" { found = 1 }
		END { exit !found }' "$TT_TMP/notes" || tt_fail "no probe pgalloc:$p in $LIB"
done
# The inline paths hold no probe: no probe site lies inside the exported
# malloc and free (scripts/callgrind-malloc counts their instructions).
if command -v nm >/dev/null; then
	nm -D -S --defined-only "$LIB" >"$TT_TMP/syms"
	python3 - "$TT_TMP/syms" "$TT_TMP/notes" <<'PYEOF' || tt_fail "a probe sits on the inline path of malloc or free"
import re, sys
ranges = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) == 4 and f[3] in ("malloc", "free"):
        ranges[f[3]] = (int(f[0], 16), int(f[0], 16) + int(f[1], 16))
assert set(ranges) == {"malloc", "free"}, ranges
bad = [(hex(pc), n) for pc in (int(m, 16) for m in re.findall(r"Location: (0x[0-9a-f]+)", open(sys.argv[2]).read()))
       for n, (lo, hi) in ranges.items() if lo <= pc < hi]
if bad:
    print("probe sites inside the inline paths:", bad)
    sys.exit(1)
PYEOF
	grep -qE ' (malloc|free)$' "$TT_TMP/syms" || tt_fail "no malloc or free in $LIB's dynamic symbols"
fi
tt_log "pass: $(grep -c 'Provider: pgalloc' "$TT_TMP/notes") probe sites, none in malloc or free"
