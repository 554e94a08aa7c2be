# syntax=docker/dockerfile:1

# Needs BuildKit (the default builder since Docker 23; `DOCKER_BUILDKIT=1` before) for the
# cache mounts below.
#
# Build stage: compiles the `communs` binary. The cargo registry and the target folder are
# cache mounts, so a rebuild only recompiles what changed. Every workspace member is copied
# (cargo reads them all, even to build one binary), and every folder the code embeds files
# from (`include_bytes!`: GraphiQL's assets); tests/api/packaging.rs checks both.
FROM rust:1.95-bookworm AS builder
WORKDIR /build
COPY Cargo.toml Cargo.lock ./
COPY .cargo ./.cargo
COPY entity ./entity
COPY migration ./migration
COPY bench/Cargo.toml ./bench/Cargo.toml
COPY bench/src ./bench/src
COPY src ./src
COPY assets ./assets
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/build/target \
    cargo build --release --locked --bin communs \
    && cp target/release/communs /usr/local/bin/communs

# Runtime stage: the binary, curl for the health check, and an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 communs \
    && useradd --system --uid 10001 --gid communs --home-dir /var/lib/communs \
        --shell /usr/sbin/nologin communs \
    && mkdir -p /var/lib/communs \
    && chown communs:communs /var/lib/communs
COPY --from=builder /usr/local/bin/communs /usr/local/bin/communs

ENV LISTEN_ADDR=0.0.0.0:8080 \
    DATA_DIR=/var/lib/communs
USER communs
WORKDIR /var/lib/communs
EXPOSE 8080

# Ready once the database answers; `/readyz` waits half a second at most for it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD curl -fsS http://localhost:8080/readyz || exit 1

# No ENTRYPOINT: `docker run IMAGE` serves, and any other command replaces this one, e.g.
# `docker compose run --rm communs communs seed-demo`.
CMD ["communs", "serve"]
