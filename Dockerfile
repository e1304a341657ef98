# Strata in a container: build with cargo, copy the binary into a small runtime image.
#   docker build -t strata .
#   docker run --rm -e DATABASE_URL=... -v "$PWD/migrations:/migrations" -e MIGRATION_DIR=/migrations strata up
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p strata-cli --bin strata

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /work strata
COPY --from=build /src/target/release/strata /usr/local/bin/strata
COPY examples/docker/entrypoint.sh /usr/local/bin/strata-entrypoint
USER strata
WORKDIR /work
ENTRYPOINT ["strata-entrypoint"]
CMD ["up"]
