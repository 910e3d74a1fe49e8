#!/usr/bin/env bash
# Python under numactl with pgalloc preloaded: --membind=0, --preferred=0,
# --interleave=all, --localalloc and --cpunodebind=0 each give the same
# output as without pgalloc, and pgalloc read the policy numactl set: on
# two fake nodes (numa_fake=2, both on this machine's node 0), interleave
# spreads allocations over both, counted in interleave_hit, and the other
# policies interleave nothing. Then a program that calls set_mempolicy(2)
# itself (through ctypes): the shim sees the change. Every numastat table
# must add up: per node hit + miss = local + other, and the misses of all
# nodes equal their foreigns.
# shellcheck source=tests/preload/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PYTHON=/usr/bin/python3
[[ -x $PYTHON ]] || PYTHON=python3
pt_need "$PYTHON" python3
pt_need numactl numactl
numactl --show >/dev/null 2>&1 || pt_skip "numactl cannot read this machine's policy (no NUMA system calls)"

PT_CONF="stats_print=1,numa_fake=2"

# Allocate and print something that depends on every object being intact.
cat >"$PT_TMP/work.py" <<'EOF'
import hashlib, json
d = {str(i): [i] * (i % 7) for i in range(60000)}
big = [bytearray(b"x" * (50000 + i)) for i in range(40)]
print(hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest(), sum(map(len, big)))
EOF
work() {
	"$@" "$PYTHON" -s -B "$PT_TMP/work.py"
}

# The policy changed from inside the program: MPOL_INTERLEAVE (3) over real
# node 0. Under preload the global scope finds the shim's set_mempolicy;
# without it, the system call itself (x86-64: 238; aarch64: 237).
self_interleave() {
	"$PYTHON" -s -B -c '
import ctypes, platform
libc = ctypes.CDLL(None, use_errno=True)
mask = ctypes.c_ulong(1)
try:
    rc = libc.set_mempolicy(3, ctypes.byref(mask), ctypes.c_ulong(65))
except AttributeError:
    nr = 238 if platform.machine() == "x86_64" else 237
    rc = libc.syscall(nr, 3, ctypes.byref(mask), ctypes.c_ulong(65))
x = [bytearray(4096 * (1 + i % 16)) for i in range(3000)]
print("rc", rc, sum(map(len, x)))
'
}

# numastat_of MODE: "hit miss foreign interleave local other" per node, one
# line each, from the numastat tables of MODE's statistics (summed over the
# processes that printed them).
numastat_of() {
	awk '
	$0 == "# numastat" { t = 1; next }
	t && /^ +node/ { nn = NF; next }
	t && $1 ~ /^(numa_hit|numa_miss|numa_foreign|interleave_hit|local_node|other_node)$/ {
		for (i = 2; i <= NF; i++) v[$1, i - 2] += $i
		next
	}
	{ t = 0 }
	END {
		for (n = 0; n < nn; n++)
			print v["numa_hit", n], v["numa_miss", n], v["numa_foreign", n], \
			    v["interleave_hit", n], v["local_node", n], v["other_node", n]
	}' "$PT_TMP/$1.stats"
}

# check_numastat MODE WANT: the table adds up; WANT is "spread" (both nodes
# have interleave hits) or "none" (no interleave hit anywhere).
check_numastat() {
	local mode="$1" want="$2" lines miss=0 foreign=0 nodes=0
	lines="$(numastat_of "$mode")"
	[[ -n $lines ]] || pt_fail "$mode: no numastat table in the statistics"
	while read -r hit m f il loc oth; do
		nodes=$((nodes + 1))
		((hit + m == loc + oth)) ||
			pt_fail "$mode: node $((nodes - 1)): hit $hit + miss $m != local $loc + other $oth"
		miss=$((miss + m))
		foreign=$((foreign + f))
		case "$want" in
		spread) ((il > 0)) || pt_fail "$mode: node $((nodes - 1)) has no interleave hit" ;;
		none) ((il == 0)) || pt_fail "$mode: node $((nodes - 1)) has $il interleave hits" ;;
		esac
	done <<<"$lines"
	((nodes == 2)) || pt_fail "$mode: $nodes nodes in the numastat table, expected 2"
	((miss == foreign)) || pt_fail "$mode: $miss misses but $foreign foreigns"
	pt_log "$mode: numastat adds up, interleave: $want"
}

pt_run plain work
for opt in --membind=0 --preferred=0 --interleave=all --localalloc --cpunodebind=0; do
	mode="preload${opt//[-=]/_}"
	pt_run "$mode" work numactl "$opt"
	pt_compare "$mode"
	pt_check_active "$mode"
	if [[ $opt == --interleave=all ]]; then
		check_numastat "$mode" spread
	else
		check_numastat "$mode" none
	fi
done

pt_run plain self_interleave
pt_run preload-self self_interleave
pt_compare preload-self
pt_check_active preload-self
check_numastat preload-self spread
