#!/usr/bin/env bash
# The long variants of the fault-injection suite (crates/strata-cli/tests/it/faults*.rs): runs the
# suite again and again with STRATA_FAULT_ROUNDS rounds per repeated fault (16-runner races,
# up/down races, kills at arbitrary points, batches ended early by Ctrl-C, a terminated session,
# a server crash or a dropped connection) until SOAK_SECONDS have passed, then prints
#   N rounds, K kills, F inconsistent
# where a round is one race, one batch ended early or one kill and "inconsistent" counts failed
# suite runs (every test asserts that ledger, golang-migrate's row, log and schema agree, and
# that what was reported applied is in the ledger). The suite includes the pooler scenarios
# (faults_pooler.rs: 8 runners through a real PgBouncer in transaction pooling mode, migrations
# releasing the lock), so pgbouncer must be installed (scripts/test.sh does).
#
#   scripts/soak.sh                    # 10 minutes, 20 rounds per fault
#   SOAK_SECONDS=3600 STRATA_FAULT_ROUNDS=50 scripts/soak.sh
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${SOAK_SECONDS:-600}
export STRATA_FAULT_ROUNDS=${STRATA_FAULT_ROUNDS:-20}
export CI=${CI:-true}
cargo test -p strata-cli --test it --no-run >/dev/null 2>&1 || { echo "build failed" >&2; exit 1; }
start=$(date +%s)
runs=0 failed=0 rounds=0 kills=0
log=$(mktemp)
while [ $(( $(date +%s) - start )) -lt "$seconds" ]; do
    if cargo test -q -p strata-cli --test it faults -- --nocapture >"$log" 2>&1; then :; else
        failed=$((failed + 1))
        cp "$log" "soak-failure-$runs.log"
        echo "suite run $runs failed: soak-failure-$runs.log" >&2
    fi
    runs=$((runs + 1))
    # Per suite run: two 16-runner races, one up/down race and one 8-runner PgBouncer race of
    # STRATA_FAULT_ROUNDS rounds each, and four batches ended early (Ctrl-C, terminated session,
    # server crash, dropped connection, faults_report.rs) of STRATA_FAULT_ROUNDS rounds each; kill
    # rounds are counted from the test's own lines.
    rounds=$((rounds + 8 * STRATA_FAULT_ROUNDS))
    kills=$((kills + $(grep -c '^killed at ' "$log") + 4))
done
rm -f "$log"
echo "$rounds rounds, $kills kills, $failed inconsistent ($runs suite runs in $(( $(date +%s) - start ))s)"
[ "$failed" = 0 ]
