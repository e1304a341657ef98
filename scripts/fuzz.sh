#!/usr/bin/env bash
# Bounded fuzzing: every cargo-fuzz target in fuzz/ for FUZZ_SECONDS each, starting from the
# committed seeds and regressions. Fails when a target finds a crash, printing the input and the
# command that replays it. scripts/test.sh runs this under CI=true (or STRATA_FUZZ=1).
#
#   FUZZ_SECONDS    seconds per target (default 20)
#   FUZZ_TARGETS    space-separated targets (default: all of `cargo fuzz list`)
#   FUZZ_SANITIZER  cargo-fuzz --sanitizer (default none: the fuzzed crates have no `unsafe`,
#                   and without AddressSanitizer a target runs about twice as many inputs)
#
# cargo-fuzz needs nightly-only compiler flags; RUSTC_BOOTSTRAP=1 unlocks them on stable. The
# working corpus (fuzz/corpus/) and findings (fuzz/artifacts/) are git-ignored; a finding is kept
# by copying it to fuzz/regressions/<target>/ (see fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned so that CI builds the same tool every time (and `--locked` its dependencies).
CARGO_FUZZ_VERSION=0.13.2
FUZZ_SECONDS="${FUZZ_SECONDS:-20}"
FUZZ_SANITIZER="${FUZZ_SANITIZER:-none}"
export RUSTC_BOOTSTRAP=1

now() { date +%s; }
t0=$(now)

if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
    echo "scripts/fuzz.sh: installing cargo-fuzz $CARGO_FUZZ_VERSION" >&2
    t=$(now)
    if ! cargo install --locked "cargo-fuzz@$CARGO_FUZZ_VERSION"; then
        # No network or no crates.io: fuzzing cannot run, and CI must say so, not skip.
        echo "scripts/fuzz.sh: FAILED to install cargo-fuzz $CARGO_FUZZ_VERSION (is crates.io reachable?)" >&2
        exit 1
    fi
    echo "scripts/fuzz.sh: cargo-fuzz installed in $(($(now) - t))s" >&2
fi

cd fuzz
t=$(now)
# All targets in one compile. Default profile: optimised, with debug assertions and overflow
# checks (an arithmetic overflow in a parser is exactly what the fuzzer should catch).
cargo fuzz build --sanitizer "$FUZZ_SANITIZER"
echo "scripts/fuzz.sh: built the fuzz targets in $(($(now) - t))s" >&2

targets="${FUZZ_TARGETS:-$(cargo fuzz list)}"
failed=()
summary=()
for target in $targets; do
    mkdir -p "corpus/$target" "artifacts/$target"
    before=$(ls "artifacts/$target")
    log=$(mktemp)
    t=$(now)
    # New inputs go to the first folder (the git-ignored working corpus); the committed seeds
    # and regressions are read only. -timeout: an input running 10s counts as a hang.
    status=0
    cargo fuzz run --sanitizer "$FUZZ_SANITIZER" "$target" \
        "corpus/$target" "seeds/$target" "regressions/$target" -- \
        -max_total_time="$FUZZ_SECONDS" -timeout=10 -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    summary+=("$target: ${runs:-?} executions in $(($(now) - t))s, exit $status")
    if [ "$status" != 0 ]; then
        failed+=("$target")
        tail -n 40 "$log" >&2
        echo "scripts/fuzz.sh: target $target FAILED (exit $status)" >&2
        for f in $(ls "artifacts/$target"); do
            if ! grep -qxF "$f" <<<"$before"; then
                echo "  input:  fuzz/artifacts/$target/$f" >&2
                echo "  replay: cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer $FUZZ_SANITIZER $target artifacts/$target/$f" >&2
                echo "  keep:   cp fuzz/artifacts/$target/$f fuzz/regressions/$target/<what-it-is> (then fix; cargo test replays it)" >&2
            fi
        done
    fi
    rm -f "$log"
done

for line in "${summary[@]}"; do
    echo "scripts/fuzz.sh: $line" >&2
done
echo "scripts/fuzz.sh: total $(($(now) - t0))s (FUZZ_SECONDS=$FUZZ_SECONDS per target)" >&2
if [ "${#failed[@]}" != 0 ]; then
    echo "scripts/fuzz.sh: crash found in: ${failed[*]}" >&2
    exit 1
fi
