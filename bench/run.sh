#!/usr/bin/env bash
# Strata benchmark (issue 5): apply N migrations from zero against `psql -1 -f` (the limit),
# `psql -f` and the peers that install from package registries, on a throwaway PostgreSQL 15
# cluster of its own (loopback, fsync on, defaults). Writes bench/RESULTS.md. See bench/README.md.
#
#   bench/run.sh                 defaults: N=100 and 1000, 5 alternating runs, 10 ms link at N=100,
#                                50 MB INSERT file; about 10 minutes once the machine is quiet
#   bench/run.sh --with-10000    also N=10000 (apply, BENCH_RUNS_10000 runs, and no-op)
#
# Options (flags or environment):
#   --runs K           (BENCH_RUNS, 5)       timed runs per runner and N, alternating runners
#   --link-runs K      (BENCH_LINK_RUNS, 3)  runs per runner through the delay proxy (N=100)
#   --with-10000       (BENCH_10000=1)       add N=10000; BENCH_RUNS_10000 runs (default 1)
#   --large-mb M       (BENCH_LARGE_MB, 50)  size of the one-big-migration file; 0 skips it
#   --strata BIN       (STRATA_BIN)          measure this binary, build nothing
#   --rev REV          (STRATA_REV)          build a committed revision (git archive) instead of
#                                            the working tree (into $CARGO_TARGET_DIR/bench-rev)
#   --max-load L       (BENCH_MAX_LOAD, 1.5) wait until the 1-minute load average is below L
#   --wait-max S       (BENCH_WAIT_MAX, 900) ... but at most S seconds, then measure anyway
#   --no-install       (BENCH_NO_INSTALL=1)  do not apt-get/npm install missing tools
#   --out FILE         (BENCH_OUT, bench/RESULTS.md)
#   --keep             keep the work directory (default: removed, except on failure)
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$BENCH_DIR")
RUNS=${BENCH_RUNS:-5}
LINK_RUNS=${BENCH_LINK_RUNS:-3}
WITH_10000=${BENCH_10000:-0}
RUNS_10000=${BENCH_RUNS_10000:-1}
LARGE_MB=${BENCH_LARGE_MB:-50}
STRATA_BIN=${STRATA_BIN:-}
STRATA_REV=${STRATA_REV:-}
MAX_LOAD=${BENCH_MAX_LOAD:-1.5}
WAIT_MAX=${BENCH_WAIT_MAX:-900}
NO_INSTALL=${BENCH_NO_INSTALL:-0}
OUT=${BENCH_OUT:-$BENCH_DIR/RESULTS.md}
KEEP=0
LINK_N=100
LINK_ONE_WAY_MS=5   # +10 ms per round trip
NPM_PREFIX=${BENCH_NPM_PREFIX:-/tmp/bench-npm}

while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        --link-runs) LINK_RUNS=$2; shift 2 ;;
        --with-10000) WITH_10000=1; shift ;;
        --large-mb) LARGE_MB=$2; shift 2 ;;
        --strata) STRATA_BIN=$2; shift 2 ;;
        --rev) STRATA_REV=$2; shift 2 ;;
        --max-load) MAX_LOAD=$2; shift 2 ;;
        --wait-max) WAIT_MAX=$2; shift 2 ;;
        --no-install) NO_INSTALL=1; shift ;;
        --out) OUT=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
T_START=$(date +%s)

WORK=$(mktemp -d /tmp/strata-bench.XXXXXX)
chmod 755 "$WORK"
RAW=$WORK/raw.tsv
META=$WORK/meta.tsv
NOTES=$WORK/notes.txt
: >"$META"; : >"$NOTES"
printf 'section\tn\tlink\trunner\trun\tseconds\tmax_rss_kb\texit\tcommits\twal_bytes\tobjects\tload1\n' >"$RAW"
meta() { printf '%s\t%s\n' "$1" "$2" >>"$META"; }
note() { printf '%s\n' "$*" >>"$NOTES"; log "note: $*"; }

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGDATA=$WORK/pgdata
PGSOCK=$WORK/sock
PGLOG=$WORK/pglog
PG_STARTED=0
PROXY_PIDS=()
SAMPLER_PID=
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

cleanup() {
    local rc=$?
    for p in "${PROXY_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null || true
    if [ "$PG_STARTED" = 1 ]; then
        as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ "$KEEP" = 1 ] || [ $rc != 0 ]; then
        log "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- tools
can_install() { [ "$NO_INSTALL" != 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }
APT_UPDATED=0
apt_install() {
    can_install || return 1
    if [ $APT_UPDATED = 0 ]; then apt-get update -qq >/dev/null 2>&1 || true; APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

[ -x "$PGBIN/initdb" ] || apt_install postgresql-15 || die "PostgreSQL 15 server binaries not found in $PGBIN"
command -v psql >/dev/null || apt_install postgresql-client-15 || die "psql not found"
[ -x /usr/bin/time ] || apt_install time || true
command -v hyperfine >/dev/null || apt_install hyperfine || true
command -v sql-migrate >/dev/null || apt_install sql-migrate || true

DBMATE=${DBMATE_BIN:-}
if [ -z "$DBMATE" ]; then
    # the npm package ships a prebuilt binary in @dbmate/linux-x64; run it directly so node's own
    # start-up (the dist/cli.js wrapper) is not charged to dbmate
    find_dbmate() { find "$NPM_PREFIX/node_modules/@dbmate" -path '*/bin/dbmate' -type f 2>/dev/null | head -1; }
    DBMATE=$(find_dbmate || true)
    if [ -z "$DBMATE" ] && [ "$NO_INSTALL" != 1 ] && command -v npm >/dev/null; then
        log "installing dbmate from npm into $NPM_PREFIX"
        npm install --silent --prefix "$NPM_PREFIX" dbmate >/dev/null 2>&1 || true
        DBMATE=$(find_dbmate || true)
    fi
fi
SQLMIGRATE=$(command -v sql-migrate || true)
HYPERFINE=$(command -v hyperfine || true)
[ "${BENCH_NO_HYPERFINE:-0}" = 1 ] && HYPERFINE=

RUNNERS=(psql1 psql strata)
if [ -n "$DBMATE" ]; then RUNNERS+=(dbmate); meta dbmate_version "$("$DBMATE" --version 2>&1 | head -1)"
else note "dbmate: not installed (npm unavailable), not measured"; fi
if [ -n "$SQLMIGRATE" ]; then RUNNERS+=(sqlmigrate); meta sqlmigrate_version "$(dpkg-query -W -f='${Version}' sql-migrate 2>/dev/null || echo unknown)"
else note "sql-migrate: not installed (Debian package unavailable), not measured"; fi
note "sqlx-cli, refinery_cli: not measured (they install only by compiling from crates.io, several minutes each on 2 cores); golang-migrate: not in Debian or npm"

# ---------------------------------------------------------------- strata
if [ -n "$STRATA_BIN" ]; then
    STRATA=$(readlink -f "$STRATA_BIN")
    meta strata_source "given binary $STRATA"
else
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target}
    if [ -n "$STRATA_REV" ]; then
        rev=$(git -C "$REPO" rev-parse --verify "$STRATA_REV^{commit}") || die "bad revision $STRATA_REV"
        log "building strata (release) from commit $rev"
        mkdir -p "$WORK/src"
        git -C "$REPO" archive "$rev" | tar -x -C "$WORK/src"
        export CARGO_TARGET_DIR=$CARGO_TARGET_DIR/bench-rev
        (cd "$WORK/src" && cargo build --release --locked -q -p strata-cli) || die "cargo build failed"
        meta strata_source "commit $rev (git archive)"
    else
        log "building strata (release) from the working tree"
        (cd "$REPO" && cargo build --release -q -p strata-cli) || die "cargo build failed"
        dirty=$(git -C "$REPO" status --porcelain -- crates Cargo.toml Cargo.lock 2>/dev/null | wc -l)
        meta strata_source "working tree at $(git -C "$REPO" rev-parse HEAD 2>/dev/null || echo '?')$( [ "$dirty" != 0 ] && echo " + $dirty uncommitted file(s) under crates/")"
    fi
    STRATA=$CARGO_TARGET_DIR/release/strata
    cp "$STRATA" "$WORK/strata"   # a later build elsewhere must not swap it mid-run
    STRATA=$WORK/strata
fi
[ -x "$STRATA" ] || die "no strata binary at $STRATA"
meta strata_version "$("$STRATA" -version 2>&1 | head -1)"
meta strata_sha256 "$(sha256sum "$STRATA" | cut -c1-16)"
# issue 5's all-or-nothing option, measured as its own runner once the binary has it
STRATA1_ARGS=()
if "$STRATA" up --help 2>&1 | grep -q -- '--single-transaction'; then STRATA1_ARGS=(up --single-transaction)
elif "$STRATA" --help 2>&1 | grep -q -- '--single-transaction'; then STRATA1_ARGS=(--single-transaction up)
fi
if [ ${#STRATA1_ARGS[@]} -gt 0 ]; then RUNNERS+=(strata1)
else note "strata --single-transaction: not in this binary yet, not measured"; fi

# ---------------------------------------------------------------- workload
read -r -a NS <<<"${BENCH_NS:-100 1000}"   # BENCH_NS="100" for a quick smoke test
[[ " ${NS[*]} " == *" $LINK_N "* ]] || NS=("$LINK_N" "${NS[@]}")
GEN_NS=("${NS[@]}")
[ "$WITH_10000" = 1 ] && GEN_NS+=(10000)
for n in "${GEN_NS[@]}"; do
    log "generating $n migrations"
    python3 "$BENCH_DIR/gen.py" migrations "$n" "$WORK/n$n"
done

# ---------------------------------------------------------------- cluster
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$PGDATA" "$PGSOCK" "$PGLOG"
[ "$(id -u)" = 0 ] && chown postgres "$PGDATA" "$PGSOCK" "$PGLOG"
log "initdb + start PostgreSQL on 127.0.0.1:$PORT"
as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1 \
    || die "initdb failed: $(tail -3 "$WORK/initdb.log")"
as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGLOG/pg.log" -w -t 60 \
    -o "-p $PORT -k $PGSOCK -c listen_addresses=127.0.0.1" start >/dev/null
PG_STARTED=1
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres)
q() { "${PSQL[@]}" -d postgres -Atc "$1"; }
meta pg_version "$(q 'select version()')"
meta pg_settings "$(q "select string_agg(name||'='||setting, ', ' order by name) from pg_settings where name in ('fsync','synchronous_commit','wal_sync_method','full_page_writes','shared_buffers','max_wal_size','checkpoint_timeout','wal_level')")"

url() { echo "postgres://postgres@127.0.0.1:$1/$2?sslmode=disable"; }

# run_one SECTION N LINK RUNNER RUN PORT DIR DB  -> appends a row to RAW
run_one() {
    local section=$1 n=$2 link=$3 runner=$4 run=$5 port=$6 dir=$7 db=$8
    local cmd
    case "$runner" in
        psql1) cmd=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$db" -1 -f "$dir/all.sql") ;;
        psql) cmd=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$db" -f "$dir/all.sql") ;;
        strata) cmd=("$STRATA" -path "$dir/migrate" -database "$(url "$port" "$db")" up) ;;
        strata1) cmd=("$STRATA" -path "$dir/migrate" -database "$(url "$port" "$db")" "${STRATA1_ARGS[@]}") ;;
        dbmate) cmd=("$DBMATE" --url "$(url "$port" "$db")" --migrations-dir "$dir/dbmate/db/migrations" --no-dump-schema migrate) ;;
        sqlmigrate)
            mkdir -p "$WORK/cfg"
            printf 'bench:\n  dialect: postgres\n  datasource: host=127.0.0.1 port=%s user=postgres dbname=%s sslmode=disable\n  dir: %s\n' \
                "$port" "$db" "$dir/sql-migrate" >"$WORK/cfg/$db.yml"
            cmd=("$SQLMIGRATE" up "-config=$WORK/cfg/$db.yml" -env=bench) ;;
    esac
    q "create database $db" >/dev/null
    q "checkpoint" >/dev/null          # every run starts from the same clean state
    local c0 lsn0 res secs rss code c1 prev wal objs load1
    c0=$(q "select xact_commit from pg_stat_database where datname='$db'")
    lsn0=$(q "select pg_current_wal_lsn()")
    load1=$(cut -d' ' -f1 /proc/loadavg)
    res=$(python3 "$BENCH_DIR/measure.py" "$WORK/logs/$section-$n-$link-$runner-$run.log" -- "${cmd[@]}")
    IFS=$'\t' read -r secs rss code <<<"$res"
    wal=$(q "select pg_wal_lsn_diff(pg_current_wal_lsn(), '$lsn0')::bigint")
    # the runner's backend flushes its statistics when it exits, shortly after the client did
    prev=-1; c1=$c0
    for _ in $(seq 30); do
        sleep 0.1
        c1=$(q "select xact_commit from pg_stat_database where datname='$db'")
        [ "$c1" = "$prev" ] && [ "$c1" != "$c0" ] && break
        prev=$c1
    done
    if [ "$section" = large ] || [ "$section" = copyprobe ]; then
        objs=$("${PSQL[@]}" -d "$db" -Atc "select count(*) from big" 2>/dev/null || echo 0)
    else
        objs=$("${PSQL[@]}" -d "$db" -Atc "select count(*) from pg_proc where proname ~ '^t[0-9]{6}_count\$'" 2>/dev/null || echo 0)
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$section" "$n" "$link" "$runner" "$run" \
        "$secs" "$rss" "$code" "$((c1 - c0))" "$wal" "$objs" "$load1" >>"$RAW"
    if [ "$code" != 0 ]; then
        log "$runner failed ($section N=$n $link run $run, exit $code): $(tail -2 "$WORK/logs/$section-$n-$link-$runner-$run.log" | tr '\n' ' ')"
    fi
    printf '    %-10s %-7s N=%-6s run %s: %8.3f s  rss %6s kB  commits %s  wal %s  objects %s\n' \
        "$runner" "$link" "$n" "$run" "$secs" "$rss" "$((c1 - c0))" "$wal" "$objs" >&2
}
drop_db() { q "drop database if exists $1" >/dev/null; }
mkdir -p "$WORK/logs"

# ---------------------------------------------------------------- wait for a quiet machine
load_now() { cut -d' ' -f1 /proc/loadavg; }
below() { python3 -c "import sys; sys.exit(0 if float('$1') < float('$2') else 1)"; }
waited=0
until below "$(load_now)" "$MAX_LOAD"; do
    if [ "$waited" -ge "$WAIT_MAX" ]; then
        note "load average still $(load_now) after waiting ${WAIT_MAX}s; measured anyway (numbers are noisier)"
        break
    fi
    log "1-minute load average $(load_now) >= $MAX_LOAD; waiting ($waited s so far)"
    sleep 15; waited=$((waited + 15))
done
meta load_wait_seconds "$waited"
meta load_at_start "$(cut -d' ' -f1-3 /proc/loadavg)"
meta io_pressure_at_start "$(head -1 /proc/pressure/io 2>/dev/null || echo 'no PSI')"
# the 1-minute load, and the share of time some task waited on I/O in the last 10 s (PSI), every 5 s
io_psi() { sed -n 's/^some avg10=\([0-9.]*\).*/\1/p' /proc/pressure/io 2>/dev/null || true; }
( while true; do printf '%s\t%s\t%s\n' "$(date +%s)" "$(cut -d' ' -f1 /proc/loadavg)" "$(io_psi)"; sleep 5; done ) >"$WORK/load.tsv" &
SAMPLER_PID=$!
T_MEASURE=$(date +%s)

# rotate the runner order each run, so no runner always goes first or after the same one
order_for_run() {
    local r=$1 k=${#RUNNERS[@]} i
    for ((i = 0; i < k; i++)); do printf '%s ' "${RUNNERS[$(((i + r) % k))]}"; done
}

# ---------------------------------------------------------------- apply from zero, loopback
apply_table() {
    local n=$1 runs=$2 r runner
    log "apply $n migrations from zero: ${RUNNERS[*]} x $runs runs"
    for ((r = 1; r <= runs; r++)); do
        for runner in $(order_for_run "$r"); do
            run_one apply "$n" direct "$runner" "$r" "$PORT" "$WORK/n$n" "b_${n}_${runner}_$r"
            if [ "$r" -lt "$runs" ]; then drop_db "b_${n}_${runner}_$r"; fi
        done
    done
}

# no-op `up` on N applied: the last run's databases of each tool stay for this
noop_table() {
    local n=$1 runs=$2 args=() runner db
    for runner in strata dbmate sqlmigrate; do
        [[ " ${RUNNERS[*]} " == *" $runner "* ]] || continue
        db=b_${n}_${runner}_$runs
        case "$runner" in
            strata) args+=(-n "strata up" "$STRATA -path $WORK/n$n/migrate -database $(url "$PORT" "$db") up") ;;
            dbmate) args+=(-n "dbmate migrate" "$DBMATE --url $(url "$PORT" "$db") --migrations-dir $WORK/n$n/dbmate/db/migrations --no-dump-schema migrate") ;;
            sqlmigrate) args+=(-n "sql-migrate up" "$SQLMIGRATE up -config=$WORK/cfg/$db.yml -env=bench") ;;
        esac
    done
    log "no-op up on $n applied"
    if [ -n "$HYPERFINE" ]; then
        "$HYPERFINE" -N --style none --warmup 2 --runs 10 --export-json "$WORK/hf-noop-$n.json" "${args[@]}" >"$WORK/logs/hf-noop-$n.txt" 2>&1 \
            || log "hyperfine no-op failed: $(tail -3 "$WORK/logs/hf-noop-$n.txt")"
    else
        local i=0 label cmd k
        while [ $i -lt ${#args[@]} ]; do
            label=${args[$((i + 1))]}; cmd=${args[$((i + 2))]}; i=$((i + 3))
            for k in $(seq 1 12); do
                res=$(python3 "$BENCH_DIR/measure.py" "$WORK/logs/noop.log" -- $cmd)
                if [ "$k" -gt 2 ]; then   # 2 warm-ups
                    printf 'noop\t%s\tdirect\t%s\t%s\t%s\t\t\t\t\n' "$n" "$label" "$((k - 2))" "$(cut -f1-3 <<<"$res")" >>"$RAW"
                fi
            done
        done
    fi
    for runner in "${RUNNERS[@]}"; do drop_db "b_${n}_${runner}_$runs"; done
}

for n in "${NS[@]}"; do
    apply_table "$n" "$RUNS"
    noop_table "$n" "$RUNS"
done

# peak memory of `strata up` by GNU time -v (one extra run at the largest N), as a cross-check of
# the wait4 numbers
NMAX=${NS[${#NS[@]}-1]}
if [ -x /usr/bin/time ]; then
    q "create database b_gnutime" >/dev/null
    /usr/bin/time -v "$STRATA" -path "$WORK/n$NMAX/migrate" -database "$(url "$PORT" b_gnutime)" up \
        >/dev/null 2>"$WORK/logs/gnutime.log" || true
    meta gnu_time_n "$NMAX"
    meta gnu_time_max_rss_kb_strata "$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/logs/gnutime.log")"
    drop_db b_gnutime
fi

# ---------------------------------------------------------------- whole-process start-up
log "strata -version / --help"
if [ -n "$HYPERFINE" ]; then
    "$HYPERFINE" -N --style none --warmup 5 --runs 50 --export-json "$WORK/hf-cli.json" \
        -n "strata -version" "$STRATA -version" -n "strata --help" "$STRATA --help" \
        -n "/bin/true (process spawn floor)" "/bin/true" >"$WORK/logs/hf-cli.txt" 2>&1 \
        || log "hyperfine cli failed: $(tail -3 "$WORK/logs/hf-cli.txt")"
else
    for label in -version --help; do
        for k in $(seq 1 20); do
            res=$(python3 "$BENCH_DIR/measure.py" "$WORK/logs/cli.log" -- "$STRATA" "$label")
            printf 'cli\t\tdirect\tstrata %s\t%s\t%s\t\t\t\t\n' "$label" "$k" "$(cut -f1-3 <<<"$res")" >>"$RAW"
        done
    done
fi

# ---------------------------------------------------------------- 10 ms link (N=100)
# start_proxy VAR ONE_WAY_MS: sets VAR to the proxy's port (no command substitution: the pid must
# reach PROXY_PIDS in this shell, for the trap)
start_proxy() {
    local var=$1 one_way=$2 port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    python3 "$BENCH_DIR/delay_proxy.py" "$port" "$PORT" "$one_way" >"$WORK/proxy-$one_way.out" 2>&1 &
    PROXY_PIDS+=("$!")
    for _ in $(seq 50); do grep -q ready "$WORK/proxy-$one_way.out" 2>/dev/null && break; sleep 0.1; done
    grep -q ready "$WORK/proxy-$one_way.out" || die "delay proxy did not start: $(cat "$WORK/proxy-$one_way.out")"
    printf -v "$var" '%s' "$port"
}
start_proxy P0 0
start_proxy P10 "$LINK_ONE_WAY_MS"
meta link "N=$LINK_N through bench/delay_proxy.py: proxy0 = the proxy with no delay, proxy10 = +${LINK_ONE_WAY_MS} ms each way (+10 ms a round trip)"
# calibration: 200 x `SELECT 1;` through each proxy; (t10 - t0) / 200 is the delay a round trip
# really gets (should be 10 ms)
for ((k = 0; k < 200; k++)); do echo 'SELECT 1;'; done >"$WORK/calib.sql"
for ((r = 1; r <= 3; r++)); do
    for link in proxy0 proxy10; do
        port=$P0; [ "$link" = proxy10 ] && port=$P10
        res=$(python3 "$BENCH_DIR/measure.py" "$WORK/logs/calib.log" -- psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -o /dev/null -f "$WORK/calib.sql")
        printf 'calib\t200\t%s\tpsql\t%s\t%s\t\t\t\t%s\n' "$link" "$r" "$(cut -f1-3 <<<"$res")" "$(cut -d' ' -f1 /proc/loadavg)" >>"$RAW"
    done
done
log "link: N=$LINK_N, proxy 0 ms (port $P0) and +10 ms RTT (port $P10), $LINK_RUNS runs"
for ((r = 1; r <= LINK_RUNS; r++)); do
    for runner in $(order_for_run "$r"); do
        for link in proxy0 proxy10; do
            port=$P0; [ "$link" = proxy10 ] && port=$P10
            run_one link "$LINK_N" "$link" "$runner" "$r" "$port" "$WORK/n$LINK_N" "l_${link}_${runner}_$r"
            drop_db "l_${link}_${runner}_$r"
        done
    done
done
for p in "${PROXY_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
PROXY_PIDS=()

# ---------------------------------------------------------------- one large migration file
if [ "$LARGE_MB" -gt 0 ]; then
    log "large file: ${LARGE_MB} MB of INSERTs"
    python3 "$BENCH_DIR/gen.py" large "$LARGE_MB" "$WORK/large" >"$WORK/logs/gen-large.log"
    meta large_file "$(cat "$WORK/logs/gen-large.log")"
    for ((r = 1; r <= 3; r++)); do
        for runner in psql1 psql strata; do
            run_one large "$LARGE_MB" direct "$runner" "$r" "$PORT" "$WORK/large" "g_${runner}_$r"
            drop_db "g_${runner}_$r"
        done
    done
fi

# Does strata run a `COPY ... FROM stdin;` data block (pg_dump's format)? A 1 MB probe.
python3 "$BENCH_DIR/gen.py" large 1 "$WORK/copy" --copy >/dev/null
run_one copyprobe 1 direct psql "1" "$PORT" "$WORK/copy" c_psql
run_one copyprobe 1 direct strata "1" "$PORT" "$WORK/copy" c_strata
drop_db c_psql; drop_db c_strata
meta copy_probe_strata_output "$(tail -c 300 "$WORK/logs/copyprobe-1-direct-strata-1.log" | tr '\n\t' '  ')"

# ---------------------------------------------------------------- N=10000 (optional)
if [ "$WITH_10000" = 1 ]; then
    apply_table 10000 "$RUNS_10000"
    noop_table 10000 "$RUNS_10000"
fi

# ---------------------------------------------------------------- report
kill "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=
meta measure_seconds "$(($(date +%s) - T_MEASURE))"
meta total_seconds "$(($(date +%s) - T_START))"
meta runs "$RUNS"
meta link_runs "$LINK_RUNS"
meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
meta nproc "$(nproc)"
meta cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
meta memory "$(free -h | awk '/^Mem:/ {print $2}')"
meta kernel "$(uname -sr)"
meta disk "$(df -h "$WORK" | awk 'NR==2 {print $1" ("$2")"}')"
meta psql_version "$(psql --version)"
meta hyperfine "$([ -n "$HYPERFINE" ] && "$HYPERFINE" --version || echo 'not installed: python timer')"
python3 "$BENCH_DIR/report.py" "$WORK" "$OUT"
cp "$RAW" "${OUT%.md}.raw.tsv"
log "wrote $OUT and ${OUT%.md}.raw.tsv ($(($(date +%s) - T_START)) s in all)"
