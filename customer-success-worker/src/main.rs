//! `customer-success-worker`: runs the Customer Success side (namespace
//! `customer-success`). Reads its configuration from the environment (see `config.rs`
//! and the README's table).
//!
//! - `customer-success-worker`: polls until Ctrl-C / SIGTERM.
//! - `customer-success-worker seed`: migrates the database and loads the seed set into
//!   it; a second run inserts nothing. The team's own one-shot job in
//!   `docker-compose.yml`.
//! - `customer-success-worker healthcheck`: exits 0 when this container's worker
//!   serves its metrics endpoint (`CS_METRICS_BIND`); a container healthcheck.

use anyhow::{Context, bail};
use customer_success_worker::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let command = std::env::args().nth(1);
    let config = Config::from_env().context("reading customer-success-worker configuration")?;
    if command.as_deref() == Some("healthcheck") {
        return service_kit::health::probe_metrics(config.host.metrics_bind, "CS_METRICS_BIND");
    }
    let telemetry = service_kit::telemetry::init(
        "customer-success-worker",
        "info,sqlx=warn,temporalio_sdk_core=warn",
    )?;
    let result = match command.as_deref() {
        None => customer_success_worker::run(config, service_kit::shutdown_signal()).await,
        Some("seed") => seed(&config).await,
        Some(other) => {
            bail!("unknown command {other:?}; usage: customer-success-worker [seed | healthcheck]")
        }
    };
    telemetry.shutdown();
    result
}

/// Migrates the database and loads Customer Success's part of the shipped seed set.
async fn seed(config: &Config) -> anyhow::Result<()> {
    let seed = seed_data::model::SeedSet::shipped().context("reading the shipped seed set")?;
    let report =
        customer_success_worker::seed::load_url(&config.database_url, &seed, chrono::Utc::now())
            .await
            .context("seeding the Customer Success database")?;
    let database = service_kit::db::redact(&config.database_url);
    tracing::info!(%database, %report, "Customer Success database ready");
    Ok(())
}
