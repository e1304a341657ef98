#!/usr/bin/env bash
# What can be checked of the container example without a Docker daemon or a registry
# (scripts/test.sh runs this in CI):
#   1. examples/docker/docker-compose.yml parses, checked by Debian's docker-compose 1.29
#      (`config` needs no daemon), and its `migrate` service builds this repository and runs `up`.
#   2. The Dockerfile's build stage, run as plain commands from the repository root (what
#      `WORKDIR /src` + `COPY . .` give it): its RUN lines, read from the Dockerfile itself so
#      that they cannot drift; then the runtime stage's COPY sources exist and the binary runs.
# The build stage is a release build of strata-cli (not shared with anything else in CI): the
# time it takes is printed.
set -euo pipefail
cd "$(dirname "$0")/.."

now() { date +%s; }
compose=examples/docker/docker-compose.yml

if ! command -v docker-compose >/dev/null 2>&1; then
    echo "scripts/docker-check.sh: docker-compose not found (scripts/test.sh installs it)" >&2
    exit 1
fi
resolved=$(docker-compose -f "$compose" config)
for want in "context: $PWD" "- up" "DATABASE_URL: postgres://app:app@postgres:5432/app" \
    "MIGRATION_DIR: /migrations" "image: postgres:"; do
    if ! grep -qF -- "$want" <<<"$resolved"; then
        echo "scripts/docker-check.sh: $compose: resolved config lacks '$want':" >&2
        echo "$resolved" >&2
        exit 1
    fi
done
echo "scripts/docker-check.sh: $compose parses (docker-compose config)" >&2

# The build stage: from `FROM ... AS build` to the next FROM; RUN lines with their `\`
# continuations joined.
build_runs=$(awk '
    /^FROM / { in_build = ($0 ~ / [Aa][Ss] build$/) ; next }
    in_build && /^RUN / { cmd = substr($0, 5); while (cmd ~ /\\$/ && (getline line) > 0) { sub(/\\$/, "", cmd); cmd = cmd " " line }; print cmd }
' Dockerfile)
if [ -z "$build_runs" ]; then
    echo "scripts/docker-check.sh: no RUN line in the Dockerfile's build stage" >&2
    exit 1
fi
t=$(now)
while IFS= read -r cmd; do
    echo "scripts/docker-check.sh: build stage: $cmd" >&2
    # The image builds into ./target; so does this run unless CARGO_TARGET_DIR says otherwise.
    bash -c "$cmd"
done <<<"$build_runs"
echo "scripts/docker-check.sh: the Dockerfile's build stage took $(($(now) - t))s" >&2

# The runtime stage copies these.
bin="${CARGO_TARGET_DIR:-target}/release/strata"
for f in "$bin" examples/docker/entrypoint.sh; do
    if [ ! -f "$f" ]; then
        echo "scripts/docker-check.sh: the runtime stage copies $f, which the build stage did not leave" >&2
        exit 1
    fi
done
grep -q '^COPY --from=build /src/target/release/strata ' Dockerfile || {
    echo "scripts/docker-check.sh: the runtime stage no longer copies target/release/strata; update this check" >&2
    exit 1
}
"$bin" --version >/dev/null
echo "scripts/docker-check.sh: $bin runs" >&2
