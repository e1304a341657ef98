#!/usr/bin/env bash
# `strata verify` against `strata up` on bench/gen.py's workload (issue 5's mix: a table with an
# index, a column added with a default, a plpgsql function, 3 inserts; the down drops the
# function and the table), on a throwaway PostgreSQL 15 cluster (loopback, trust, defaults:
# fsync on), like run.sh. For each N and each binary given: `up` on a fresh database, then
# `verify` (every migration pending: one transaction, rolled back) on another fresh database,
# timed with the wall clock; the load average is printed with each line. Not a test: nothing
# here asserts a time. The numbers go into bench/RESULTS-verify.md by hand.
#
#   bench/verify.sh NAME=BIN [NAME=BIN ...]     e.g. old=/tmp/strata-main new=target/release/strata
#   BENCH_NS="100 300 1000"       migration counts (default)
#   BENCH_SKIP="old:1000"         NAME:N pairs not to run (a slow binary at a large N)
#   BENCH_RUNS=1                  runs of each (NAME, N)
#   BENCH_SCRATCH=1               also time `verify --all --scratch` (every migration on a
#                                 scratch database, applied for real)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
[ $# -gt 0 ] || { sed -n '2,16p' "$0"; exit 2; }
WORK=$(mktemp -d /tmp/strata-verify-bench.XXXXXX)
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
    -o "-p $PORT -k $WORK -c listen_addresses=127.0.0.1 ${BENCH_PG_OPTS:-}" start >/dev/null
url() { echo "postgres://postgres@127.0.0.1:$PORT/$1?sslmode=disable"; }
psql_admin() { psql -X -Atq -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -c "$1"; }
# Copy each binary: a build elsewhere must not swap it mid-run.
declare -A BIN
for arg in "$@"; do
    name=${arg%%=*}
    cp "${arg#*=}" "$WORK/strata-$name"
    BIN[$name]=$WORK/strata-$name
done
now() { date +%s.%N; }
load() { cut -d' ' -f1 /proc/loadavg; }
db=0
# Sets $d to a new empty database (not in a subshell: the counter must advance).
fresh() { db=$((db + 1)); d=b$db; psql_admin "CREATE DATABASE $d"; }
printf 'n\tbinary\trun\tup_s\tverify_s\tratio\tload_before\tload_after\tverify_exit\n'
for n in ${BENCH_NS:-100 300 1000}; do
    python3 "$BENCH_DIR/gen.py" migrations "$n" "$WORK/n$n" >/dev/null
    dir=$WORK/n$n/migrate
    for run in $(seq 1 "${BENCH_RUNS:-1}"); do
        # Side by side: each binary's up and verify follow each other, binaries alternate.
        for name in "${!BIN[@]}"; do
            case " ${BENCH_SKIP:-} " in *" $name:$n "*) continue ;; esac
            bin=${BIN[$name]}
            l0=$(load)
            fresh
            t0=$(now)
            "$bin" -path "$dir" -database "$(url "$d")" up >/dev/null 2>"$WORK/up.err"
            t1=$(now)
            fresh
            t2=$(now)
            code=0
            "$bin" -path "$dir" -database "$(url "$d")" verify >"$WORK/verify.out" 2>&1 || code=$?
            t3=$(now)
            if [ "${BENCH_SCRATCH:-0}" = 1 ]; then
                s0=$(now)
                "$bin" -path "$dir" -database "$(url "$d")" verify --all --scratch "$(url postgres)" \
                    >"$WORK/scratch.out" 2>&1 || code=$code/$?
                s1=$(now)
                echo "# scratch $name n=$n: $(python3 -c "print(f'{$s1 - $s0:.2f}')") s, load $(load)" >&2
            fi
            python3 - "$n" "$name" "$run" "$t0" "$t1" "$t2" "$t3" "$l0" "$(load)" "$code" <<'PY'
import sys
n, name, run, t0, t1, t2, t3, l0, l1, code = sys.argv[1:]
up, ver = float(t1) - float(t0), float(t3) - float(t2)
print(f"{n}\t{name}\t{run}\t{up:.2f}\t{ver:.2f}\t{ver / up:.2f}\t{l0}\t{l1}\t{code}")
PY
            if [ "$code" != 0 ]; then tail -5 "$WORK/verify.out" >&2; fi
        done
    done
done
