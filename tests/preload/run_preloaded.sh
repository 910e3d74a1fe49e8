#!/bin/bash
# SPDX-License-Identifier: MIT
# Run a test program with libpgalloc.so preloaded:
#   run_preloaded.sh LIBPGALLOC SANITIZED PROGRAM [ARGS...]
# SANITIZED is 1 when the build uses a sanitizer: its runtime replaces
# malloc itself and a sanitized libpgalloc.so cannot be preloaded into a
# program (it crashes at load), so the test is skipped, saying so.
set -u
lib="$1" sanitized="$2"
shift 2
if [ "$sanitized" = 1 ]; then
	echo "SKIP: built with a sanitizer, whose runtime replaces malloc: libpgalloc.so cannot be preloaded"
	exit 77
fi
LD_PRELOAD="$lib" exec "$@"
