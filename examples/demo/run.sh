#!/usr/bin/env bash
# The demo: build strata, apply the example migrations to a SQLite file, show the status, roll
# one back.
set -euo pipefail
cd "$(dirname "$0")/../.."

# A debug build: the demo runs four quick commands, and a release build (thin LTO) only takes
# longer. Cargo's progress shows on stderr; the binary is taken from cargo's own report of what
# it built, so it is found wherever the target folder is (CARGO_TARGET_DIR, build.target-dir in
# a cargo config).
echo "examples/demo/run.sh: building strata (cargo's progress below; a first build takes a few minutes)" >&2
strata=$(cargo build -p strata-cli --bin strata --message-format=json-render-diagnostics |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n1)
if [ -z "$strata" ] || [ ! -x "$strata" ]; then
    echo "examples/demo/run.sh: cargo built no strata binary (see cargo's output above)" >&2
    exit 1
fi

db=examples/demo/demo.db
rm -f "$db"
set -x
"$strata" -path examples/demo/migrations -database "sqlite://$db" up
"$strata" -path examples/demo/migrations -database "sqlite://$db" status
"$strata" -path examples/demo/migrations -database "sqlite://$db" down 1
"$strata" -path examples/demo/migrations -database "sqlite://$db" version
