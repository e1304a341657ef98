#!/bin/sh
# Container entrypoint: wait until the database accepts connections, then run the given
# strata command (default: up). Settings come from the environment (DATABASE_URL,
# MIGRATION_DIR, PG*, ...) or a strata.toml in the working directory.
#   STRATA_BIN           the binary (default: strata on PATH)
#   STRATA_WAIT_TIMEOUT  how long to wait for the database (default: 60s)
set -eu
strata="${STRATA_BIN:-strata}"
if [ "$#" -eq 0 ]; then
    set -- up
fi
exec "$strata" --wait-timeout "${STRATA_WAIT_TIMEOUT:-60s}" "$@"
