#!/usr/bin/env bash
# The test kit's throwaway PostgreSQL cluster (crates/strata-testkit/src/cluster.rs).
# The tests start it themselves when needed and leave it running for the next run; this script
# only shows or stops it.
#
#   scripts/pg-test-cluster.sh status   # where it is and whether it runs (exit 0 only if it runs)
#   scripts/pg-test-cluster.sh stop     # stop it (the next test run starts it again)
#   scripts/pg-test-cluster.sh clean    # stop it and delete it
set -euo pipefail
cd "$(dirname "$0")/.."
# As the test kit names it: strata-pg, or strata-pg-<version dir> for $STRATA_TEST_PG_BIN.
if [ -n "${STRATA_TEST_PG_BIN:-}" ]; then
    base="${CARGO_TARGET_DIR:-$PWD/target}/strata-pg-$(basename "$(dirname "$STRATA_TEST_PG_BIN")")"
    bin="$STRATA_TEST_PG_BIN"
else
    base="${CARGO_TARGET_DIR:-$PWD/target}/strata-pg"
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
fi
data="$base/data"
pg_ctl="${bin:+$bin/}pg_ctl"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-status}" in
status)
    echo "cluster: $data (port $(cat "$base/port" 2>/dev/null || echo '?'))"
    if [ -d "$data" ]; then
        as_pg "$pg_ctl" -D "$data" status
    else
        echo "not initialised"
        exit 3
    fi
    ;;
stop)
    [ -f "$data/postmaster.pid" ] && as_pg "$pg_ctl" -D "$data" -m fast -w stop || echo "not running"
    ;;
clean)
    [ -f "$data/postmaster.pid" ] && as_pg "$pg_ctl" -D "$data" -m fast -w stop || true
    rm -rf "$base"
    ;;
*)
    echo "usage: $0 status|stop|clean" >&2
    exit 2
    ;;
esac
