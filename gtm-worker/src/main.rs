//! `gtm-worker`: runs the GTM side (namespace `gtm`). Reads its configuration from the
//! environment (see `config.rs` and the README's table).
//!
//! - `gtm-worker`: polls until Ctrl-C / SIGTERM.
//! - `gtm-worker seed`: migrates the GTM database and loads the seed set into it; a
//!   second run inserts nothing. The team's own one-shot job in `docker-compose.yml`.
//! - `gtm-worker healthcheck`: exits 0 when this container's worker serves its
//!   metrics endpoint (`GTM_METRICS_BIND`); a container healthcheck.

use anyhow::{Context, bail};
use gtm_worker::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let command = std::env::args().nth(1);
    let config = Config::from_env().context("reading gtm-worker configuration")?;
    if command.as_deref() == Some("healthcheck") {
        return service_kit::health::probe_metrics(config.host.metrics_bind, "GTM_METRICS_BIND");
    }
    let telemetry =
        service_kit::telemetry::init("gtm-worker", "info,sqlx=warn,temporalio_sdk_core=warn")?;
    let result = match command.as_deref() {
        None => gtm_worker::run(config, service_kit::shutdown_signal()).await,
        Some("seed") => seed(&config).await,
        Some(other) => bail!("unknown command {other:?}; usage: gtm-worker [seed | healthcheck]"),
    };
    telemetry.shutdown();
    result
}

/// Migrates the GTM database and loads GTM's part of the shipped seed set.
async fn seed(config: &Config) -> anyhow::Result<()> {
    let seed = seed_data::model::SeedSet::shipped().context("reading the shipped seed set")?;
    let report = gtm_worker::seed::load_url(&config.database_url, &seed, chrono::Utc::now())
        .await
        .context("seeding the GTM database")?;
    let database = service_kit::db::redact(&config.database_url);
    tracing::info!(%database, %report, "GTM database ready");
    Ok(())
}
