#!/usr/bin/env bash
# sqlite3 under pgalloc: a table of 20,000 rows inserted in one transaction,
# GROUP BY / ORDER BY / window / recursive queries, an index, updates and
# deletes, VACUUM, an integrity check and a dump of the database.
# shellcheck source=tests/preload/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

pt_need sqlite3 sqlite3

# The SQL: 20,000 INSERT statements (each parsed on its own) between BEGIN
# and COMMIT. Park-Miller generator: exact in awk's doubles.
awk 'BEGIN {
	print "CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, val REAL, note TEXT);"
	print "BEGIN;"
	x = 4242
	for (i = 1; i <= 20000; i++) {
		x = (x * 16807) % 2147483647
		name = ""
		n = 4 + x % 12
		for (j = 0; j < n; j++) {
			x = (x * 16807) % 2147483647
			name = name sprintf("%c", 97 + x % 26)
		}
		note = ""
		for (j = x % 40; j > 0; j--)
			note = note sprintf("%x", (x + j) % 16)
		printf "INSERT INTO t VALUES(%d, %d, '\''%s'\'', %d.%02d, '\''%s'\'');\n",
		    i, x % 37, name, x % 100000, x % 100, note
	}
	print "COMMIT;"
}' >"$PT_TMP/load.sql"

cat >"$PT_TMP/queries.sql" <<'SQL'
.headers on
.mode list
SELECT count(*), sum(val), min(name), max(name) FROM t;
SELECT grp, count(*) AS n, round(sum(val), 2), round(avg(length(note)), 3),
       group_concat(substr(name, 1, 1), '')
  FROM t GROUP BY grp ORDER BY n DESC, grp;
CREATE INDEX t_name ON t(name);
CREATE INDEX t_grp_val ON t(grp, val);
SELECT id, name, val FROM t WHERE name BETWEEN 'ka' AND 'kc' ORDER BY name, id;
SELECT grp, max(val) FROM t WHERE grp IN (1, 5, 9) GROUP BY grp;
SELECT name, count(*) AS c FROM t GROUP BY name HAVING c > 1 ORDER BY c DESC, name;
UPDATE t SET val = val * 2, note = note || upper(note) WHERE id % 7 = 0;
DELETE FROM t WHERE id % 11 = 0;
SELECT id, grp, val,
       rank() OVER (PARTITION BY grp ORDER BY val DESC, id) AS r,
       sum(val) OVER (PARTITION BY grp ORDER BY id ROWS 3 PRECEDING) AS s
  FROM t WHERE id % 97 = 0 ORDER BY grp, r;
WITH RECURSIVE c(n, acc) AS (SELECT 1, '' UNION ALL
    SELECT n + 1, substr(acc || printf('%04d', n), -200) FROM c WHERE n < 5000)
  SELECT max(n), length(acc), substr(acc, 1, 40) FROM c;
CREATE TABLE u AS SELECT grp, group_concat(name, ',') AS names FROM t GROUP BY grp;
SELECT grp, length(names) FROM u ORDER BY grp;
VACUUM;
PRAGMA integrity_check;
SELECT count(*), round(total(val), 2), sum(length(note)) FROM t;
SELECT name, val FROM t ORDER BY val DESC, id LIMIT 10;
SQL

scenario() {
	sqlite3 -bail db <"$PT_TMP/load.sql"
	sqlite3 -bail db <"$PT_TMP/queries.sql" >result
	sha256sum <result
	sed -n '1,12p;/^integrity_check/,$p' result
	sqlite3 db .dump | sha256sum
	sqlite3 db 'PRAGMA page_count; PRAGMA freelist_count;'
	# After VACUUM the file itself is the same, byte for byte.
	sha256sum <db
}

pt_plain_and_preload scenario 4
