#!/usr/bin/env bash
# The demo: apply the example migrations to a SQLite file, show the status, roll one back.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --quiet --release -p strata-cli
strata=target/release/strata
db=examples/demo/demo.db
rm -f "$db"
set -x
"$strata" -path examples/demo/migrations -database "sqlite://$db" up
"$strata" -path examples/demo/migrations -database "sqlite://$db" status
"$strata" -path examples/demo/migrations -database "sqlite://$db" down 1
"$strata" -path examples/demo/migrations -database "sqlite://$db" version
