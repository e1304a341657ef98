#!/bin/sh
# 1,000 migrations on MariaDB: the `mariadb < all.sql` limit (one client, one stream) against a
# golang-migrate-style run and `strata up`, each on a fresh database of a private server.
#
#   bench/mysql.sh [N] [STRATA]
#     N       migrations (default 1000): bench/gen.py's mix, MySQL variant (`gen.py mysql`)
#     STRATA  the strata binary (default: strata on PATH)
#
# The server: `mariadbd` started here as the `mysql` user (as strata-testkit does) in a fresh
# data directory under /tmp, on a free loopback port, with the test kit's settings
# (--innodb-flush-log-at-trx-commit=0, no doublewrite, no binary log), stopped at the end.
# No Go toolchain here, so golang-migrate's MySQL driver is scripted with the `mariadb` client,
# sending what it sends (github.com/golang-migrate/migrate database/mysql): GET_LOCK once, then
# per file: a transaction that empties schema_migrations and inserts (version, dirty=1); the
# file; the same with dirty=0; RELEASE_LOCK at the end. Two shapes:
#   gm-stream  one client, one connection for all files (as golang-migrate's one process);
#   gm-loop    one client per file (a shell loop; adds a connect and a process per file).
# Prints wall seconds per runner (date +%s.%N around it) and the 1-minute load average when it
# started, then what each database holds.
set -eu
N=${1:-1000}
STRATA=${2:-strata}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/strata-mysql-bench.XXXXXX)
chmod 755 "$WORK"
DATA=$WORK/data
SOCK=$WORK/mysqld.sock
PIDFILE=$WORK/mysqld.pid
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
USER_ARG=
if [ "$(id -u)" = 0 ]; then
    chown mysql:mysql "$WORK"
    USER_ARG=--user=mysql
fi

stop() {
    if [ -f "$PIDFILE" ]; then
        kill "$(cat "$PIDFILE")" 2>/dev/null || true
        i=0
        while [ -f "$PIDFILE" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    fi
    rm -rf "$WORK"
}
trap stop EXIT
trap 'exit 1' INT TERM

mariadb-install-db --no-defaults --datadir="$DATA" --auth-root-authentication-method=normal \
    --skip-test-db $USER_ARG >"$WORK/install.log" 2>&1
(cd / && mariadbd --no-defaults --datadir="$DATA" --socket="$SOCK" --port="$PORT" \
    --pid-file="$PIDFILE" --log-error="$WORK/server.log" --bind-address=127.0.0.1 \
    --skip-log-bin --max-connections=300 --innodb-buffer-pool-size=64M \
    --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
    --character-set-server=utf8mb4 $USER_ARG </dev/null >/dev/null 2>&1 &)
i=0
until mariadb --no-defaults --socket="$SOCK" -uroot -e 'SELECT 1' >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt 600 ]; then
        echo "MariaDB did not start; its log:" >&2
        tail -n 20 "$WORK/server.log" >&2
        exit 1
    fi
    sleep 0.1
done
admin() { mariadb --no-defaults --socket="$SOCK" -uroot "$@"; }
admin -e "CREATE USER 'bench'@'127.0.0.1' IDENTIFIED BY 'bench'; GRANT ALL ON *.* TO 'bench'@'127.0.0.1';"
client() { # DB: the `mariadb` client over TCP, as a remote tool connects
    mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$PORT" -ubench -pbench "$1"
}
echo "MariaDB $(admin -N -e 'SELECT VERSION()') on 127.0.0.1:$PORT, $N migrations"

python3 "$HERE/gen.py" mysql "$N" "$WORK/w"
MIG=$WORK/w/migrate

fresh() { admin -e "DROP DATABASE IF EXISTS $1; CREATE DATABASE $1"; }

measure() { # LABEL COMMAND...
    label=$1
    shift
    load=$(cut -d' ' -f1 /proc/loadavg)
    start=$(date +%s.%N)
    if "$@" >"$WORK/out" 2>"$WORK/err"; then
        end=$(date +%s.%N)
        printf '%s: %.2f s (load %s)\n' "$label" "$(echo "$end - $start" | bc)" "$load"
    else
        echo "$label: FAILED (load $load):"
        tail -n 5 "$WORK/err"
    fi
}

version_of() { basename "$1" | sed 's/_.*//; s/^0*//'; }
GM_TABLE="CREATE TABLE IF NOT EXISTS schema_migrations (version bigint not null primary key, dirty boolean not null);"
gm_file() { # FILE VERSION: golang-migrate's statements around one file
    printf 'START TRANSACTION;\nDELETE FROM schema_migrations;\nINSERT INTO schema_migrations (version, dirty) VALUES (%s, 1);\nCOMMIT;\n' "$2"
    cat "$1"
    printf 'START TRANSACTION;\nDELETE FROM schema_migrations;\nINSERT INTO schema_migrations (version, dirty) VALUES (%s, 0);\nCOMMIT;\n' "$2"
}
gm_stream_sql() {
    echo "$GM_TABLE"
    echo "SELECT GET_LOCK('bench', 10);"
    for f in "$MIG"/*.up.sql; do
        gm_file "$f" "$(version_of "$f")"
    done
    echo "SELECT RELEASE_LOCK('bench');"
}
all_sql() { client bench_all <"$WORK/w/all.sql"; }
gm_stream() { client bench_gm_stream <"$WORK/gm.sql"; }
gm_loop() {
    echo "$GM_TABLE" | client bench_gm_loop
    for f in "$MIG"/*.up.sql; do
        { echo "SELECT GET_LOCK('bench', 10);"; gm_file "$f" "$(version_of "$f")"; } |
            client bench_gm_loop || return 1
    done
}
check() { # DB: the tables made, and golang-migrate's row where there is one
    made=$(admin -N -e "SELECT count(*) FROM information_schema.tables WHERE table_schema = '$1' AND table_name LIKE 't%'")
    row=$(admin -N -e "SELECT concat(version, ' dirty=', dirty) FROM $1.schema_migrations" 2>/dev/null || echo "-")
    echo "    $1: $made tables, schema_migrations: $row"
}

fresh bench_all
measure "mariadb < all.sql (the limit)" all_sql
check bench_all
gm_stream_sql >"$WORK/gm.sql"
fresh bench_gm_stream
measure "golang-migrate-style, one connection (gm-stream)" gm_stream
check bench_gm_stream
fresh bench_gm_loop
measure "golang-migrate-style, a client per file (gm-loop)" gm_loop
check bench_gm_loop
fresh bench_strata
measure "strata up" "$STRATA" -path "$MIG" -database "mysql://bench:bench@tcp(127.0.0.1:$PORT)/bench_strata" up
check bench_strata
