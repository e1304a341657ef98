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
if [ -z "${STRATA_TEST_DATABASE_URL:-}" ] && ! have_pg; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "scripts/test.sh: installing PostgreSQL server binaries" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
        echo "scripts/test.sh: no PostgreSQL binaries found; PostgreSQL tests will be skipped (CI=true makes that a failure)" >&2
    fi
fi

cargo test --workspace "$@"
