//! `marketing-worker`: runs the Marketing side (namespace `marketing`). Reads its
//! configuration from the environment (see `config.rs` and the README's table).
//!
//! - `marketing-worker`: polls until Ctrl-C / SIGTERM.
//! - `marketing-worker seed`: migrates the Marketing database and loads the seed set
//!   into it; a second run inserts nothing. The team's own one-shot job in
//!   `docker-compose.yml`.
//! - `marketing-worker healthcheck`: exits 0 when this container's worker serves its
//!   metrics endpoint (`MARKETING_METRICS_BIND`); a container healthcheck.

use anyhow::{Context, bail};
use marketing_worker::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let command = std::env::args().nth(1);
    let config = Config::from_env().context("reading marketing-worker configuration")?;
    if command.as_deref() == Some("healthcheck") {
        return service_kit::health::probe_metrics(
            config.host.metrics_bind,
            "MARKETING_METRICS_BIND",
        );
    }
    let telemetry = service_kit::telemetry::init(
        "marketing-worker",
        "info,sqlx=warn,temporalio_sdk_core=warn",
    )?;
    let result = match command.as_deref() {
        None => marketing_worker::run(config, service_kit::shutdown_signal()).await,
        Some("seed") => seed(&config).await,
        Some(other) => {
            bail!("unknown command {other:?}; usage: marketing-worker [seed | healthcheck]")
        }
    };
    telemetry.shutdown();
    result
}

/// Migrates the Marketing database and loads Marketing's part of the shipped seed set.
async fn seed(config: &Config) -> anyhow::Result<()> {
    let seed = seed_data::model::SeedSet::shipped().context("reading the shipped seed set")?;
    let report = marketing_worker::seed::load_url(&config.database_url, &seed)
        .await
        .context("seeding the Marketing database")?;
    let database = service_kit::db::redact(&config.database_url);
    tracing::info!(%database, %report, "Marketing database ready");
    Ok(())
}
