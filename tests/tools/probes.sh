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
tt_log "pass: $(grep -c 'Provider: pgalloc' "$TT_TMP/notes") probe sites"
