//! Plumbing shared by the teams' workers and `web`: nothing about the
//! business, only how a service starts, stops and opens its database.
//!
//! - [`telemetry`]: logs (text or JSON), traces (OTLP when configured) and
//!   Prometheus metrics.
//! - [`trace`]: W3C trace context across Nexus calls and workflow starts.
//! - [`env`]: settings from environment variables, with defaults and clear errors.
//! - [`db`]: a database pool from a URL (SQLite file or PostgreSQL), read-write and
//!   migrated for the team that owns it, read-only for the dashboard; and
//!   [`db::load`], the transaction each team's seed loader inserts through.
//! - [`health`]: the `healthcheck` command of each binary, for container healthchecks.
//! - [`host`]: a team's worker process: its SDK worker and its Nexus worker on one
//!   connection, metrics, one graceful shutdown.
//! - [`worker_main`]: the one `main` of every team's worker, with its `seed` and
//!   `healthcheck` commands; a team's crate implements [`worker_main::TeamWorker`].
//! - [`failure`]: an activity's failure in its own words.
//! - [`first_error`]: one result from a service's several loops.
//! - [`shutdown_signal`]: resolves on Ctrl-C or SIGTERM; drives every graceful shutdown.
//! - [`Shutdown`]: fans that one signal out to every loop of a service (an SDK workflow
//!   worker and a Nexus worker, say), and lets any loop stop the others.
//! - [`TemporalSettings::from_env`]: the Temporal connection from Temporal's own
//!   conventions (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`,
//!   `TEMPORAL_TLS*`, `TEMPORAL_PROFILE` with `temporal.toml`), as every Temporal SDK
//!   and the CLI read them.

pub mod db;
pub mod env;
pub mod failure;
pub mod health;
pub mod host;
pub mod telemetry;
pub mod trace;
pub mod worker_main;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use temporalio_client::envconfig::LoadClientConfigProfileOptions;
use temporalio_client::{Connection, ConnectionOptions};
use temporalio_common::envconfig::load_client_config_profile;

/// Resolves when the process is asked to stop: Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(%err, "cannot listen for SIGTERM; only Ctrl-C stops this process");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C received, shutting down"),
        _ = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// One shutdown request, fanned out to every part of a service.
///
/// A worker runs several loops that each take a shutdown future; `Shutdown` turns the
/// one signal into as many futures as needed ([`Shutdown::triggered`]). Any part may
/// also [`trigger`](Shutdown::trigger) it, so when one loop ends early (on an error),
/// the others stop too instead of leaving half a service running.
#[derive(Debug, Clone)]
pub struct Shutdown {
    sender: Arc<tokio::sync::watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    /// A shutdown that only [`trigger`](Shutdown::trigger) sets off.
    pub fn new() -> Self {
        Self {
            sender: Arc::new(tokio::sync::watch::channel(false).0),
        }
    }

    /// A shutdown set off when `signal` resolves (or by hand, whichever comes first).
    /// Must be called inside a Tokio runtime: a small task waits for `signal`.
    pub fn on(signal: impl Future<Output = ()> + Send + 'static) -> Self {
        let shutdown = Self::new();
        let relay = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = signal => relay.trigger(),
                // Triggered by hand: stop waiting for the signal.
                () = relay.triggered() => {}
            }
        });
        shutdown
    }

    /// Asks every part to stop. Idempotent.
    pub fn trigger(&self) {
        self.sender.send_replace(true);
    }

    /// True once triggered.
    pub fn is_triggered(&self) -> bool {
        *self.sender.borrow()
    }

    /// Resolves once the shutdown is triggered (at once if it already is).
    pub fn triggered(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut receiver = self.sender.subscribe();
        async move {
            // An error means every sender is gone: nobody is left to keep us running.
            let _ = receiver.wait_for(|triggered| *triggered).await;
        }
    }
}

/// Where and how to reach Temporal, and which namespace to use.
#[derive(Debug, Clone)]
pub struct TemporalSettings {
    /// Connection options (address, TLS, API key, headers).
    pub connection: ConnectionOptions,
    /// The namespace this service works in.
    pub namespace: String,
}

impl TemporalSettings {
    /// Reads Temporal's env conventions; `default_namespace` applies when neither
    /// `TEMPORAL_NAMESPACE` nor the profile names one. The address defaults to
    /// `localhost:7233`.
    pub fn from_env(default_namespace: &str, identity: &str) -> anyhow::Result<Self> {
        let profile = load_client_config_profile(LoadClientConfigProfileOptions::default(), None)
            .map_err(|err| {
                anyhow::anyhow!(
                    "reading the Temporal client configuration (TEMPORAL_* variables, temporal.toml): {err:?}"
                )
            })?;
        let namespace = profile
            .namespace
            .clone()
            .unwrap_or_else(|| default_namespace.to_owned());
        let mut connection = ConnectionOptions::try_from(profile).map_err(|err| {
            anyhow::anyhow!("building the Temporal connection from TEMPORAL_* settings: {err:?}")
        })?;
        connection.identity = format!("{identity}@{}", hostname());
        Ok(Self {
            connection,
            namespace,
        })
    }

    /// Settings for a server at `address` (`host:port`), e.g. a test's dev server.
    pub fn local(address: &str, namespace: &str, identity: &str) -> anyhow::Result<Self> {
        let url = temporalio_client::Url::parse(&format!("http://{address}"))
            .with_context(|| format!("Temporal address {address:?}"))?;
        Ok(Self {
            connection: ConnectionOptions::new(url)
                .identity(identity.to_owned())
                .build(),
            namespace: namespace.to_owned(),
        })
    }

    /// Connects, with the target in the error message when it fails.
    pub async fn connect(&self) -> anyhow::Result<Connection> {
        Connection::connect(self.connection.clone())
            .await
            .with_context(|| format!("connecting to Temporal at {}", self.connection.target))
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// One result from two loops of a service (an SDK worker and a Nexus worker, say): the
/// first error, with the second logged so it is not lost.
pub fn first_error(first: anyhow::Result<()>, second: anyhow::Result<()>) -> anyhow::Result<()> {
    match (first, second) {
        (Err(first), Err(second)) => {
            tracing::error!(error = %format!("{second:#}"), "a second loop failed too");
            Err(first)
        }
        (first, second) => first.and(second),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_signal_reaches_every_listener() {
        let (send, signal) = tokio::sync::oneshot::channel::<()>();
        let shutdown = Shutdown::on(async {
            let _ = signal.await;
        });
        let first = tokio::spawn(shutdown.triggered());
        let second = tokio::spawn(shutdown.clone().triggered());
        assert!(!shutdown.is_triggered());
        send.send(()).unwrap();
        first.await.unwrap();
        second.await.unwrap();
        assert!(shutdown.is_triggered());
        // A listener that arrives late returns at once.
        shutdown.triggered().await;
    }

    #[tokio::test]
    async fn any_part_can_stop_the_others() {
        let shutdown = Shutdown::on(std::future::pending());
        let listener = tokio::spawn(shutdown.triggered());
        shutdown.trigger();
        shutdown.trigger();
        listener.await.unwrap();
    }
}
