#!/usr/bin/env bash
# Test-database setup time (strata::testing): TestDb::new (a clone of the migration set's
# template) against creating an empty database and migrating it from zero (what sqlx::test does),
# at 1 and 16 parallel tests, with 100 and 1,000 migrations of bench/gen.py; plus CREATE DATABASE
# ... TEMPLATE with STRATEGY FILE_COPY against WAL_LOG; and TestDb with its pool of spare
# databases ("pool"; "pool_miss": the tests that found no spare and cloned), back to back and
# with a pause after each test ("gap_pool": the time a test's body leaves the refill). On a throwaway PostgreSQL 15 cluster
# (loopback, trust, defaults: fsync on), like run.sh. Prints TSV and a summary; the numbers go
# into bench/RESULTS-testdb.md by hand. Not a test: nothing here asserts a time.
#
#   bench/testdb.sh [BIN]    BIN: the testdb_bench example, built if not given
#                            (cargo build --release --example testdb_bench -p strata --features testing,postgres)
#   BENCH_PG_OPTS="-c fsync=off"   extra server settings (e.g. a cluster tuned for tests only)
#   BENCH_NS="100 1000"            migration counts
#   BENCH_TESTS="30 4 5 1"         TestDb's per thread at 1 and at 16 threads; from-zero
#                                  databases per thread at 1 and at 16 threads
#   BENCH_SPARES=4                 the pool's size
#   BENCH_POOL_GAP_MS=200          the pause after each test of the gap_pool runs
#   BENCH_ZERO=0                   skip the from-zero runs (slow)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$BENCH_DIR")
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
BIN=${1:-}
if [ -z "$BIN" ]; then
    (cd "$REPO" && cargo build --release --example testdb_bench -p strata --features testing,postgres)
    BIN=${CARGO_TARGET_DIR:-$REPO/target}/release/examples/testdb_bench
fi
WORK=$(mktemp -d /tmp/strata-testdb-bench.XXXXXX)
PGDATA=$WORK/data
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$PGDATA"
[ "$(id -u)" = 0 ] && chown postgres "$WORK" "$PGDATA"
as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1
as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$WORK/pg.log" -w -t 60 \
    -o "-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c max_connections=200 ${BENCH_PG_OPTS:-}" start >/dev/null
ADMIN="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"
RAW=$WORK/raw.tsv
echo "# server options: ${BENCH_PG_OPTS:-defaults (fsync on)}"
echo "# uptime at start: $(uptime)"
read -r T1 T16 Z1 Z16 <<<"${BENCH_TESTS:-30 4 5 1}"
for n in ${BENCH_NS:-100 1000}; do
    python3 "$BENCH_DIR/gen.py" migrations "$n" "$WORK/n$n" >/dev/null
    dir=$WORK/n$n/migrate
    # The first TestDb of a set builds its template: timed on its own.
    "$BIN" "$ADMIN" "$dir" 1 1 testdb | sed 's/^testdb/build/' >>"$RAW"
    "$BIN" "$ADMIN" "$dir" 1 "$T1" testdb >>"$RAW"
    "$BIN" "$ADMIN" "$dir" 16 "$T16" testdb >>"$RAW"
    BENCH_GAP_MS=0 "$BIN" "$ADMIN" "$dir" 1 "$T1" pool >>"$RAW"
    BENCH_GAP_MS=0 "$BIN" "$ADMIN" "$dir" 16 "$T16" pool >>"$RAW"
    BENCH_GAP_MS=${BENCH_POOL_GAP_MS:-200} "$BIN" "$ADMIN" "$dir" 1 "$T1" pool | sed 's/^/gap_/' >>"$RAW"
    BENCH_GAP_MS=${BENCH_POOL_GAP_MS:-200} "$BIN" "$ADMIN" "$dir" 16 "$T16" pool | sed 's/^/gap_/' >>"$RAW"
    if [ "${BENCH_ZERO:-1}" != 0 ]; then
        "$BIN" "$ADMIN" "$dir" 1 "$Z1" zero >>"$RAW"
        "$BIN" "$ADMIN" "$dir" 16 "$Z16" zero >>"$RAW"
    fi
    echo "# n=$n done; uptime: $(uptime)"
done
# Clone strategies on the last template, BENCH_STRATEGY_RUNS (5) each, alternating.
TPL=$(psql -X -Atq -h 127.0.0.1 -p "$PORT" -U postgres -d postgres \
    -c "select datname from pg_database where datistemplate and datname like 'strata_tpl_%' order by oid desc limit 1")
{
    echo '\timing on'
    for i in $(seq 1 "${BENCH_STRATEGY_RUNS:-5}"); do
        for s in FILE_COPY WAL_LOG; do
            echo "\\echo strategy $s"
            echo "CREATE DATABASE s_${i}_$s TEMPLATE $TPL STRATEGY $s;"
            echo "DROP DATABASE s_${i}_$s;"
        done
    done
} >"$WORK/strategy.sql"
psql -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -f "$WORK/strategy.sql" \
    | awk -v n="${n}" '/^strategy/ {s=$2; want=1; next} /^Time:/ && want {print "clone_" s "\t1\t" n "\t" $2; want=0}' >>"$RAW"
echo "# template size: $(psql -X -Atq -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -c "select pg_size_pretty(pg_database_size('$TPL'))")"
echo "# uptime at end: $(uptime)"
cat "$RAW"
python3 - "$RAW" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    m, p, n, ms = line.split("\t")
    rows.setdefault((m, int(p), int(n)), []).append(float(ms))
print("method\tparallel\tmigrations\tsamples\tmedian_ms\tp95_ms")
for (m, p, n), v in sorted(rows.items()):
    v.sort()
    p95 = v[min(len(v) - 1, int(round(0.95 * (len(v) - 1))))]
    print(f"{m}\t{p}\t{n}\t{len(v)}\t{statistics.median(v):.1f}\t{p95:.1f}")
PY
