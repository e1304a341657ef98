#!/usr/bin/env bash
# The declared MSRV (the workspace's rust-version, inherited by every crate) is true: no package
# in the locked dependency tree declares a newer one, and the workspace, tests included, builds
# with that toolchain (installed with rustup when missing). scripts/test.sh runs it in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
# 1.94 and 1.94.0 compare equal.
norm() { awk -F. '{ printf "%d.%d.%d\n", $1, $2, $3 }'; }
msrv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
if [ -z "$msrv" ]; then
    echo "scripts/msrv.sh: Cargo.toml declares no workspace rust-version" >&2
    exit 1
fi
newer=$(cargo metadata --format-version 1 --locked |
    grep -o '"name":"[^"]*","version":"[^"]*"\|"rust_version":"[0-9.]*"' |
    awk -F'"' -v msrv="$(echo "$msrv" | norm)" '
        /"name"/ { pkg = $4 " " $8; next }
        { split($4, v, "."); split(msrv, m, ".");
          for (i = 1; i <= 3; i++) { if (v[i] + 0 != m[i] + 0) { if (v[i] + 0 > m[i] + 0) print pkg " needs " $4; break } } }')
if [ -n "$newer" ]; then
    echo "scripts/msrv.sh: the workspace declares rust-version $msrv, but these packages need a newer Rust:" >&2
    echo "$newer" >&2
    exit 1
fi
if ! rustup run "$msrv" rustc --version >/dev/null 2>&1; then
    echo "scripts/msrv.sh: installing Rust $msrv (minimal profile)" >&2
    rustup toolchain install "$msrv" --profile minimal
fi
echo "scripts/msrv.sh: cargo +$msrv check --workspace --all-targets --locked" >&2
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/msrv" cargo "+$msrv" check --workspace --all-targets --locked
