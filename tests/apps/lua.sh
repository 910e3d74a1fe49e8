#!/usr/bin/env bash
# lua5.4 under pgalloc: workload.lua (binary trees for the collector,
# strings built and matched, a word index, records sorted with a
# comparator, objects with metatables and weak tables, coroutine
# pipelines, string.pack, a table churned). Every allocation of the
# interpreter goes through realloc and free. (Debian ships Lua without its
# test suite.) Its output must be the same as without pgalloc.
# shellcheck source=tests/apps/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

pt_need lua5.4 lua5.4

scenario() {
	timeout -k 5 120 lua5.4 "$PA_DIR/workload.lua"
}

pt_plain_and_preload scenario 1
