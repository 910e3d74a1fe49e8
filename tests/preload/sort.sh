#!/usr/bin/env bash
# sort(1) under pgalloc: numeric, lexical, keyed, unique and external
# (temporary files, two threads) sorts of a few MB of generated lines.
# shellcheck source=tests/preload/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

pt_need sort coreutils

# 250,000 lines (about 6 MB): an integer, a decimal, a word, a padded field.
# Park-Miller generator: exact in awk's doubles.
awk 'BEGIN {
	x = 20240601
	for (i = 0; i < 250000; i++) {
		x = (x * 16807) % 2147483647
		w = ""
		n = 3 + x % 9
		for (j = 0; j < n; j++) {
			x = (x * 16807) % 2147483647
			w = w sprintf("%c", 97 + x % 26)
		}
		printf "%d %d.%03d %s %0*d\n", x % 1000003 - 500000, x % 977, x % 1000, w, 1 + x % 40, i
	}
}' >"$PT_TMP/input"

scenario() {
	local input="$PT_TMP/input" out
	for args in "-n" "" "-r" "-k3,3 -k1,1n" "-t. -k2,2n -s" "-u -k3,3" "-g -k2,2"; do
		# shellcheck disable=SC2086  # the options are words
		out="$(sort $args "$input" | sha256sum)"
		printf 'sort %s: %s\n' "$args" "$out"
	done
	# External sort: a 256 KiB buffer forces temporary files and merges.
	mkdir tmp
	sort -n -S 256K -T tmp --parallel=2 "$input" >sorted
	printf 'external: %s' "$(sha256sum <sorted)"
	printf ' %s lines\n' "$(wc -l <sorted)"
	sort -c -n sorted
	sort -m -n sorted sorted | sha256sum
	sort -n "$input" | uniq -c -w 6 | sort -k1,1nr -k2 | sed -n 1,20p
	# sort closes its standard error before exit, so it prints no
	# statistics: see in its memory map that it runs with pgalloc, while
	# it waits for its input.
	mkfifo fifo
	sort -k3,3 -k1,1n fifo >sorted-fifo &
	local pid=$!
	pt_record_loaded "$pid" sort
	cat "$input" >fifo
	wait "$pid"
	sha256sum <sorted-fifo
}

pt_run plain scenario
pt_run preload scenario
pt_compare preload
pt_check_loaded sort
# Of the programs above, sed prints statistics (sort, sha256sum, uniq and
# wc close their standard error first).
pt_check_active preload 1
