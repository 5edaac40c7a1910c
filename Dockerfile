# The four services' images, from one multi-stage build. docker-compose.yml builds
# each with its own target:
#
#   docker build --target gtm-worker              -t steadybase/gtm-worker:local .
#   docker build --target marketing-worker        -t steadybase/marketing-worker:local .
#   docker build --target customer-success-worker -t steadybase/customer-success-worker:local .
#   docker build --target web                     -t steadybase/web:local .
#
# Needs BuildKit (the default builder since Docker 23): it builds only the stages a
# target uses, and caches cargo's registry and target folder between builds.
#
# Binaries compiled elsewhere (an air-gapped registry, or `cargo xtask docker-images`):
# pass `--build-arg BINARIES=<image>`, an image holding the binaries in /out and a CA
# bundle; the Rust stage is then never built.
ARG BINARIES=compile

# ---- compile: release binaries, in the official Rust image -------------------------
FROM rust:1.95-bookworm AS compile
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --profile docker --locked \
        --bin gtm-worker --bin marketing-worker --bin customer-success-worker --bin web \
 && mkdir -p /out \
 && cp target/docker/gtm-worker target/docker/marketing-worker \
       target/docker/customer-success-worker target/docker/web /out/

# ---- binaries: the compiled stage above, or a prebuilt image named by BINARIES -----
FROM ${BINARIES} AS binaries

# ---- runtime: Debian slim, CA certificates, an unprivileged user --------------------
FROM debian:bookworm-slim AS runtime
# CA certificates (for Temporal Cloud over TLS) come from the binaries' stage, which
# has them already: this stage installs nothing, so it needs no network.
COPY --from=binaries /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
# Each team's SQLite files live under /data/<team>; compose mounts a volume there,
# which starts out owned by this user.
RUN useradd --system --uid 10001 --user-group --home-dir /app --create-home steadybase \
 && mkdir -p /data/gtm /data/marketing /data/customer-success \
 && chown steadybase:steadybase /data/gtm /data/marketing /data/customer-success
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    RUST_LOG=info
USER steadybase
WORKDIR /app

# ---- the services -------------------------------------------------------------------
FROM runtime AS gtm-worker
COPY --from=binaries /out/gtm-worker /usr/local/bin/gtm-worker
ENTRYPOINT ["gtm-worker"]

FROM runtime AS marketing-worker
COPY --from=binaries /out/marketing-worker /usr/local/bin/marketing-worker
ENTRYPOINT ["marketing-worker"]

FROM runtime AS customer-success-worker
COPY --from=binaries /out/customer-success-worker /usr/local/bin/customer-success-worker
ENTRYPOINT ["customer-success-worker"]

FROM runtime AS web
COPY --from=binaries /out/web /usr/local/bin/web
EXPOSE 3000
ENTRYPOINT ["web"]
