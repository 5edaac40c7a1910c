//! One `main` for every team's worker: the team's crate says what is its own
//! ([`TeamWorker`]), and [`run`] is the binary.
//!
//! - `<worker>`: polls until Ctrl-C / SIGTERM.
//! - `<worker> seed`: migrates the team's database and loads its part of the seed set;
//!   a second run inserts nothing. The team's one-shot job in `docker-compose.yml`,
//!   and what `cargo xtask seed` runs.
//! - `<worker> healthcheck`: exits 0 when this container's worker serves its metrics
//!   endpoint (`<PREFIX>_METRICS_BIND`); a container healthcheck.
//!
//! A team's `main.rs` is one line:
//!
//! ```ignore
//! fn main() -> anyhow::Result<()> {
//!     service_kit::worker_main::run::<gtm_worker::Worker>()
//! }
//! ```

use std::future::Future;

use anyhow::{Context, bail};
use shared_contracts::teams::TeamSpec;

use crate::db::load::LoadReport;
use crate::host::HostConfig;

/// What a team's worker brings to the shared `main`.
pub trait TeamWorker {
    /// The team's entry in the team table.
    const TEAM: &'static TeamSpec;
    /// Its configuration: the [`HostConfig`] every worker has, and its own settings.
    type Config: Send + 'static;

    /// Reads the configuration from the environment.
    fn config_from_env() -> anyhow::Result<Self::Config>;

    /// The defaults against a server at `address` and the database at
    /// `database_url`: for tests.
    fn local_config(address: &str, database_url: &str) -> anyhow::Result<Self::Config>;

    /// The part every worker has.
    fn host(config: &Self::Config) -> &HostConfig;

    /// Runs the worker until `shutdown` resolves.
    fn run(
        config: Self::Config,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = anyhow::Result<()>>;

    /// Migrates the team's database and loads its part of the shipped seed set.
    fn seed(config: &Self::Config) -> impl Future<Output = anyhow::Result<LoadReport>>;
}

/// The worker binary: runs the command its first argument names.
pub fn run<W: TeamWorker>() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(main::<W>())
}

async fn main<W: TeamWorker>() -> anyhow::Result<()> {
    let team = W::TEAM;
    let command = std::env::args().nth(1);
    let config =
        W::config_from_env().with_context(|| format!("reading {} configuration", team.worker))?;
    if command.as_deref() == Some("healthcheck") {
        let bind = W::host(&config).metrics_bind;
        return crate::health::probe_metrics(bind, &team.var("METRICS_BIND"));
    }
    let telemetry = crate::telemetry::init(team.worker, "info,sqlx=warn,temporalio_sdk_core=warn")?;
    let result = match command.as_deref() {
        None => W::run(config, crate::shutdown_signal()).await,
        Some("seed") => seed::<W>(&config).await,
        Some(other) => bail!(
            "unknown command {other:?}; usage: {} [seed | healthcheck]",
            team.worker
        ),
    };
    telemetry.shutdown();
    result
}

async fn seed<W: TeamWorker>(config: &W::Config) -> anyhow::Result<()> {
    let team = W::TEAM;
    let report = W::seed(config)
        .await
        .with_context(|| format!("seeding the {} database", team.title))?;
    let database = crate::db::redact(&W::host(config).database_url);
    tracing::info!(%database, %report, "{} database ready", team.title);
    Ok(())
}
