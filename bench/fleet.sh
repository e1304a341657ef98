#!/bin/sh
# Many databases: `strata up --targets --parallel P` against a sequential shell loop of
# `strata up`, on N fresh tenant databases with M migrations each; wall time and peak memory
# (GNU time), each number printed with the load average beside it (the machine may be shared).
# Then a new migration 11 is broken on K databases: exactly those must be reported failed, and
# a rerun after the fix must touch only them (the others report "up to date": no lock taken,
# nothing written).
#
#   bench/fleet.sh ADMIN_URL [N] [P] [STRATA]
#     ADMIN_URL  a superuser URL of a throwaway server, e.g. postgres://postgres@127.0.0.1:5432/postgres
#     N          tenant databases (default 1000), P parallel (default 8), STRATA the binary
#
# The tenant databases are copies of one empty template, all created in one psql session: the
# setup of 1,000 databases then takes seconds, not a psql process each.
# Creates and drops databases named fleet_bench_*; touches nothing else. Dropping is the slow
# part (each DROP DATABASE forces a checkpoint: about 2 s each on a loaded 2-core machine); on a
# throwaway server, stopping it and deleting its data folder is quicker.
set -eu
ADMIN=$1
N=${2:-1000}
P=${3:-8}
STRATA=${4:-strata}
M=10
K=3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
base=${ADMIN%/*}

mkdir "$WORK/migrations"
i=1
while [ $i -le $M ]; do
    printf 'CREATE TABLE t%d (id bigint PRIMARY KEY, v text);\nINSERT INTO t%d VALUES (1, %s);\n' \
        $i $i "'x'" >"$WORK/migrations/$(printf %03d $i)_t$i.up.sql"
    printf 'DROP TABLE t%d;\n' $i >"$WORK/migrations/$(printf %03d $i)_t$i.down.sql"
    i=$((i + 1))
done

psql -q "$ADMIN" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS fleet_bench_tpl" \
    -c "CREATE DATABASE fleet_bench_tpl TEMPLATE template0"

drop_all() {
    i=1
    while [ $i -le "$N" ]; do
        echo "DROP DATABASE IF EXISTS fleet_bench_$i;"
        i=$((i + 1))
    done >"$WORK/drop.sql"
    psql -q "$ADMIN" -c "SET client_min_messages = warning" -f "$WORK/drop.sql"
}

recreate() {
    drop_all
    i=1
    : >"$WORK/targets.txt"
    while [ $i -le "$N" ]; do
        echo "CREATE DATABASE fleet_bench_$i TEMPLATE fleet_bench_tpl;"
        echo "$base/fleet_bench_$i?sslmode=disable" >>"$WORK/targets.txt"
        i=$((i + 1))
    done >"$WORK/create.sql"
    start=$(date +%s)
    psql -q "$ADMIN" -f "$WORK/create.sql"
    echo "setup: $N databases created from a template in $(($(date +%s) - start))s"
}

measure() { # label command...
    label=$1
    shift
    load_before=$(cut -d' ' -f1-3 /proc/loadavg)
    rc=0
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    # GNU time puts "Command exited with non-zero status N" first when the command fails.
    set -- $(tail -n 1 "$WORK/time")
    secs=$1
    kb=$2
    echo "$label: exit $rc, ${secs}s wall, peak ${kb} KB (load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg))"
}

recreate
measure "sequential loop of strata up ($N databases, $M migrations each)" \
    sh -c "while read -r url; do $STRATA -path $WORK/migrations -database \"\$url\" up 2>/dev/null || exit 1; done <$WORK/targets.txt"
recreate
measure "strata up --targets --parallel $P" \
    "$STRATA" -path "$WORK/migrations" up --targets "$WORK/targets.txt" --parallel "$P"
tail -n 1 "$WORK/out"

# K broken databases: the new migration 11 fails where its table already exists. The list
# comes from the server's catalog this time (--targets-query on the admin database).
printf 'CREATE TABLE t11 (id bigint PRIMARY KEY);\n' >"$WORK/migrations/011_t11.up.sql"
printf 'DROP TABLE t11;\n' >"$WORK/migrations/011_t11.down.sql"
QUERY="SELECT datname FROM pg_database WHERE datname ~ '^fleet_bench_[0-9]+\$' ORDER BY datname"
i=1
while [ $i -le $K ]; do
    psql -q "$base/fleet_bench_$((i * 7))" -c "CREATE TABLE t11 (x int)"
    i=$((i + 1))
done
measure "strata up --targets-query (migration 11 broken on $K of $N) --parallel $P --on-error continue" \
    "$STRATA" -path "$WORK/migrations" -database "$ADMIN" up --targets-query "$QUERY" --parallel "$P" \
    --on-error continue
echo "failed: $(grep '^failed ' "$WORK/out" | cut -d' ' -f2 | tr '\n' ' ')"
tail -n 1 "$WORK/out"
i=1
while [ $i -le $K ]; do
    psql -q "$base/fleet_bench_$((i * 7))" -c "DROP TABLE t11"
    i=$((i + 1))
done
measure "rerun after the fix" \
    "$STRATA" -path "$WORK/migrations" -database "$ADMIN" up --targets-query "$QUERY" --parallel "$P"
echo "rerun ran: $(grep '^ok ' "$WORK/out" | cut -d' ' -f2 | tr '\n' ' ')"
tail -n 1 "$WORK/out"

drop_all
psql -q "$ADMIN" -c "DROP DATABASE fleet_bench_tpl"
