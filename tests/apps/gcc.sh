#!/usr/bin/env bash
# gcc under pgalloc compiles a real project: pgalloc's own library, its 35
# or so C files, with the commands meson wrote for them
# (compile_commands.json next to the library's build directory) at -O2,
# then links them into a shared object. The driver, cc1, as, collect2 and
# ld all run preloaded. The objects must be the same, byte for byte, as
# without pgalloc, their disassembly too, and so must the warnings.
# (tests/preload/gcc.sh compiles a generated file of many small functions
# at -O1; this is code as people write it, at the optimisation level
# projects ship with.)
# shellcheck source=tests/apps/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

pt_need gcc gcc
pt_need objdump binutils
[[ -x $PA_PYTHON ]] || pt_skip "$PA_PYTHON is not installed (scripts/test installs it as root: apt-get install python3)"

# The library is BUILD/preload/libpgalloc.so; meson's compile commands are
# BUILD/compile_commands.json.
commands="$(dirname "$(dirname "$PT_LIB")")/compile_commands.json"
[[ -f $commands ]] ||
	pt_skip "no compile_commands.json next to $PT_LIB (a library not built by meson here): nothing to compile"

# compile.sh: one gcc command per C file of lib/, in the directory meson
# runs it from, at -O2, without -g (smaller objects, the same code) and
# without the dependency files, writing $OUT/NAME.o. Sorted: the same
# order in both runs.
pa_plain "$PA_PYTHON" -I -B - "$commands" >"$PT_TMP/compile.sh" <<'PY'
import json, shlex, sys

entries = [e for e in json.load(open(sys.argv[1]))
           if "/lib/" in "/" + e["file"] and e["file"].endswith(".c")]
entries.sort(key=lambda e: e["file"])
print("set -e")
for e in entries:
    args = shlex.split(e["command"]) if "command" in e else list(e["arguments"])
    if "clang" in args[0]:
        continue  # its options are clang's
    out, skip = ["gcc"], 0
    for a in args[1:]:
        if skip:
            skip -= 1
        elif a in ("-MQ", "-MF", "-o"):
            skip = 1
        elif a == "-MD" or a == "-g" or a.startswith("-O") or a.startswith("-fdiagnostics-color"):
            pass
        else:
            out.append(a)
    name = e["file"].split("/lib/")[-1].replace("/", "_")[:-2] + ".o"
    out += ["-O2", "-fdiagnostics-color=never", "-o", "$OUT/" + name]
    print("(cd " + shlex.quote(e["directory"]) + " && " + " ".join(
        a if a.startswith("$OUT/") else shlex.quote(a) for a in out) + ")")
PY
nfiles=$(grep -c '^(cd ' "$PT_TMP/compile.sh" || true)
((nfiles >= 10)) ||
	pt_skip "only $nfiles C files of lib/ compiled by gcc in $commands: not a pgalloc build directory, or one built with clang"

scenario() {
	mkdir obj
	OUT="$PWD/obj" bash "$PT_TMP/compile.sh"
	gcc -shared -pthread -o libcopy.so obj/*.o
	local o
	for o in obj/*.o; do
		printf '%s %s %s\n' "$o" "$(sha256sum <"$o" | cut -c 1-16)" \
			"$(objdump -d --no-show-raw-insn "$o" | tail -n +3 | sha256sum | cut -c 1-16)"
	done
	objdump -d --no-show-raw-insn libcopy.so | tail -n +3 | sha256sum
	nm -D --defined-only libcopy.so | sha256sum
	nm -D --defined-only libcopy.so | grep -c ' T '
	size obj/*.o | awk 'NR > 1 { t += $1; d += $2; b += $3 } END { print "text", t, "data", d, "bss", b }'
}

# Per file: gcc, cc1, as; then the link.
pt_plain_and_preload scenario "$((3 * nfiles))"
