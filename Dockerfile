# One image with every binary of the workspace; docker-compose.yml picks the command.
#
#   docker build -t steadybase .
#
# Build stage: release binaries, dependencies cached in their own layer.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
        --package seed-data --package gtm-worker --package marketing-worker --package web \
 && mkdir -p /out \
 && cp target/release/seed-data target/release/gtm-worker target/release/marketing-worker target/release/web /out/

# Runtime stage: the binaries and CA certificates (for Temporal Cloud over TLS), as an
# unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app steadybase \
 && mkdir -p /app/.data && chown steadybase /app/.data
COPY --from=build /out/ /usr/local/bin/
USER steadybase
WORKDIR /app
ENV RUST_LOG=info
CMD ["web"]
