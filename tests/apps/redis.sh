#!/usr/bin/env bash
# redis-server under pgalloc, driven by redis-benchmark and redis-cli on
# 127.0.0.1 (a free port; the server stopped whatever happens):
#   1. a generated data set (strings of 1 to 4,000 bytes, lists, hashes,
#      sets, sorted sets; then deletes, trims and a Lua script inside the
#      server) sent through redis-cli --pipe: every reply counted, none an
#      error;
#   2. redis-benchmark, 14 command types, 20 clients on 2 threads, random
#      keys, in database 1: the server must have run every request (INFO
#      commandstats: the calls of each command, no failed or rejected
#      call), and DBSIZE must agree with INFO keyspace;
#   3. database 1 flushed by the server's background thread (lazyfree:
#      objects freed by another thread than the one that allocated them),
#      the digest of the data set (DEBUG DIGEST), then DEBUG RELOAD (save,
#      empty, load) and the digest again, a few values read back, an RDB
#      saved and checked by redis-check-rdb.
# Compared with the run without pgalloc: the replies, the digests, the
# calls per command. Not compared: timings, INFO memory (pgalloc's
# malloc_usable_size is not glibc's), the benchmark's random keys.
#
# Redis on Debian is linked with jemalloc; preloaded, pgalloc's malloc,
# free, realloc, calloc and malloc_usable_size take the place of
# jemalloc's. What Redis calls besides still reaches jemalloc: mallctl,
# for INFO (jemalloc then reports on itself), and nallocx, which sds asks
# whether a realloc would change a string's block (jemalloc's size class
# against pgalloc's usable size: at worst a realloc that could have been
# saved; never too small, as nallocx(n) >= n).
# shellcheck source=tests/apps/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

pt_need redis-server redis-server
pt_need redis-cli redis-tools
pt_need redis-benchmark redis-tools

# Requests per benchmark test: about 5 s a run on this kind of machine.
N=10000
TESTS=set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,mset

# The data set: 60,000 commands in Redis's protocol (Park-Miller generator:
# exact in awk's doubles), then edits. cmd(N, WORD...) prints one command
# of N words.
awk 'function cmd(n, a, b, c, d, e,   s, i, w) {
		w[1] = a; w[2] = b; w[3] = c; w[4] = d; w[5] = e
		s = "*" n "\r\n"
		for (i = 1; i <= n; i++)
			s = s "$" length(w[i]) "\r\n" w[i] "\r\n"
		printf "%s", s
	}
	BEGIN {
		x = 977
		for (i = 0; i < 12000; i++) {
			x = (x * 16807) % 2147483647
			v = sprintf("%0*d", 1 + x % 4000, x)
			cmd(3, "SET", "str:" i, v)
			cmd(3, "RPUSH", "list:" (i % 97), "item-" i "-" x % 1000)
			cmd(4, "HSET", "hash:" (i % 301), "field:" i, substr(v, 1, 1 + x % 300))
			cmd(3, "SADD", "set:" (i % 53), "m" (x % 5000))
			cmd(4, "ZADD", "zset:" (i % 29), x % 100000, "member:" i)
		}
	}' >"$PT_TMP/load.proto"
awk 'function cmd(n, a, b, c, d, e,   s, i, w) {
		w[1] = a; w[2] = b; w[3] = c; w[4] = d; w[5] = e
		s = "*" n "\r\n"
		for (i = 1; i <= n; i++)
			s = s "$" length(w[i]) "\r\n" w[i] "\r\n"
		printf "%s", s
	}
	BEGIN {
		for (i = 0; i < 12000; i += 3)
			cmd(2, "DEL", "str:" i)
		for (i = 0; i < 12000; i += 7)
			cmd(3, "APPEND", "str:" i, "-appended-" i)
		for (i = 0; i < 97; i++)
			cmd(4, "LTRIM", "list:" i, i % 10, 60 + i)
		for (i = 0; i < 12000; i += 5)
			cmd(3, "HDEL", "hash:" (i % 301), "field:" i)
		for (i = 0; i < 29; i++)
			cmd(4, "ZREMRANGEBYRANK", "zset:" i, 0, 99)
		cmd(3, "SUNIONSTORE", "set:all", "set:1", "set:2")
		cmd(5, "ZUNIONSTORE", "zset:all", 2, "zset:1", "zset:2")
	}' >"$PT_TMP/edit.proto"
# The replies that redis-cli --pipe must count.
expect_replies=$(($(grep -c '^\*' "$PT_TMP/load.proto") + $(grep -c '^\*' "$PT_TMP/edit.proto")))

# A Lua script run by the server (its interpreter allocates through Redis's
# allocator): builds and sorts a list and a hash from the data set.
LUA='local n = 0
for i = 1, 3000 do
  local v = redis.call("GET", "str:" .. i)
  if v then
    redis.call("RPUSH", "lua:list", string.sub(v, 1, 8) .. ":" .. i)
    redis.call("HSET", "lua:hash", "k" .. (i % 500), string.rep(string.sub(v, 1, 2), i % 50))
    n = n + 1
  end
end
local t = redis.call("LRANGE", "lua:list", 0, -1)
table.sort(t)
redis.call("DEL", "lua:sorted")
for _, s in ipairs(t) do redis.call("RPUSH", "lua:sorted", s) end
return {n, redis.call("LLEN", "lua:sorted"), redis.call("HLEN", "lua:hash")}'

# A free TCP port on 127.0.0.1 (free when asked; the server start is
# retried should another process take it meanwhile).
free_port() {
	pa_plain "$PA_PYTHON" -I -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# The server goes whatever ends a run:
#  - a run that fails (or gets SIGTERM or SIGINT): stop_server, from the
#    EXIT trap;
#  - meson's timeout kills the test's process group, the server with it:
#    timeout(1) runs in the foreground, so it leaves the server in that
#    group (by default it would make a group of its own);
#  - neither: timeout(1) stops it after 120 s.
# server is timeout's process id, server_pid the server's (from INFO).
# Globals: the trap runs after the scenario has returned.
server="" server_pid=""
stop_server() {
	[[ -n $server ]] || return 0
	# timeout passes SIGTERM on to the server; it may be past that.
	kill -TERM "$server" 2>/dev/null || true
	[[ -z $server_pid ]] || kill -KILL "$server_pid" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
	server="" server_pid=""
}

scenario() {
	local port="" try i
	cli() {
		redis-cli -h 127.0.0.1 -p "$port" "$@"
	}
	trap stop_server EXIT
	for ((try = 0; try < 5; try++)); do
		port="$(free_port)"
		timeout --foreground -k 5 120 redis-server --port "$port" --bind 127.0.0.1 \
			--save "" --appendonly no --dir "$PWD" --dbfilename dump.rdb \
			--logfile "" --daemonize no --enable-debug-command local \
			--lazyfree-lazy-user-del yes \
			--lazyfree-lazy-user-flush yes --lazyfree-lazy-server-del yes \
			>"server-$try.log" 2>&1 &
		server=$!
		for ((i = 0; i < 100; i++)); do
			if [[ $(cli ping 2>/dev/null) == PONG ]]; then
				break 2
			fi
			kill -0 "$server" 2>/dev/null || break
			sleep 0.1
		done
		stop_server
	done
	if [[ -z $server ]]; then
		tail -n 20 "server-$((try - 1)).log" >&2
		echo "redis-server did not start" >&2
		return 1
	fi

	# The server itself (not only the clients) runs with pgalloc.
	server_pid="$(cli info server | tr -d '\r' | sed -n 's/^process_id://p')"
	pt_record_loaded "$server_pid" redis-server

	# 1. The data set.
	cli --pipe <"$PT_TMP/load.proto" >pipe.out
	cli --pipe <"$PT_TMP/edit.proto" >>pipe.out
	# "errors: E, replies: R", once per pipe: every reply, no error.
	awk -v want="$expect_replies" '/^errors: / {
			gsub(",", ""); e += $2; r += $4
		}
		END {
			print "pipe: errors " e ", replies " r
			if (e != 0 || r != want) {
				print "pipe: expected " want " replies and no error" > "/dev/stderr"
				exit 1
			}
		}' pipe.out
	cli eval "$LUA" 0
	cli dbsize

	# 2. The benchmark, in database 1, counted from a clean slate.
	cli config resetstat >/dev/null
	redis-benchmark -h 127.0.0.1 -p "$port" --dbnum 1 -n "$N" -r 20000 -d 64 \
		-c 20 --threads 2 -t "$TESTS" -q >benchmark.out 2>&1 || {
		tail -n 20 benchmark.out >&2
		return 1
	}
	cli info commandstats >commandstats.txt
	# calls per command, failed and rejected calls: sorted, without the
	# commands redis-benchmark sends to set up (CONFIG GET, SELECT) and this
	# script's CONFIG RESETSTAT.
	tr -d '\r' <commandstats.txt | sed -n 's/^cmdstat_\([^:]*\):calls=\([0-9]*\),.*rejected_calls=\([0-9]*\),failed_calls=\([0-9]*\)$/\1 \2 \3 \4/p' |
		grep -Ev '^(config\|[a-z]+|select|info) ' | sort >calls
	sed 's/^/benchmark: /' calls
	# Every request of every test ran, none failed: N calls per test (LPUSH
	# twice: its own test and the fill for LRANGE).
	awk -v n="$N" '{
			want = $1 == "lpush" ? 2 * n : n
			if ($2 != want || $3 != 0 || $4 != 0) {
				print "benchmark: " $1 ": " $2 " calls (want " want "), " $3 " rejected, " $4 " failed" > "/dev/stderr"
				bad = 1
			}
			seen++
		}
		END { exit bad || seen != 14 }' calls
	local keys info
	keys="$(cli -n 1 dbsize)"
	info="$(cli info keyspace | tr -d '\r' | sed -n 's/^db1:keys=\([0-9]*\),.*/\1/p')"
	if [[ $keys != "$info" ]] || ((keys == 0)); then
		echo "benchmark: DBSIZE $keys, INFO keyspace $info" >&2
		return 1
	fi

	# 3. Database 1 emptied by the server's background thread
	# (lazyfree-lazy-user-flush): what the main thread allocated, another
	# frees. Then the data set again, saved and reloaded.
	cli -n 1 flushdb
	local lazy=""
	for ((i = 0; i < 100; i++)); do
		lazy="$(cli info memory | tr -d '\r' | grep -E '^lazyfree(d|_pending)_objects:' | sort)"
		[[ $lazy != *"lazyfree_pending_objects:0"* ]] || break
		sleep 0.1
	done
	if [[ $lazy != *"lazyfree_pending_objects:0"* || $lazy == *"lazyfreed_objects:0"* ]]; then
		echo "benchmark: database 1 not freed in the background: $lazy" >&2
		return 1
	fi
	echo "lazyfree: database 1 freed in the background"
	cli debug digest
	cli debug reload
	cli debug digest
	cli dbsize
	cli get str:7 | cut -c 1-40
	cli lrange list:5 0 4
	cli hlen hash:17
	cli hget hash:17 field:318
	cli scard set:all
	cli zrange zset:all 0 4 withscores
	cli lrange lua:sorted 0 4
	cli save
	redis-check-rdb dump.rdb >check.out 2>&1 || {
		cat check.out >&2
		return 1
	}
	grep -c 'RDB looks OK' check.out

	# The server exits through SHUTDOWN (with its atexit handlers: the
	# statistics), with status 0.
	cli shutdown nosave 2>/dev/null || true
	local rc=0
	wait "$server" || rc=$?
	server="" server_pid=""
	echo "server exit status $rc"
}

pt_plain_and_preload scenario 3
pt_check_loaded redis-server
