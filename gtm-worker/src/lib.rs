//! The GTM worker: namespace `gtm`, task queue `gtm-coordinator`.
//!
//! [`run`] opens the GTM database (migrating it), connects to Temporal and serves
//! until the shutdown future resolves. `main.rs` calls it with [`Config::from_env`];
//! tests call it with their own config and shutdown future.

mod config;

use std::future::Future;

use anyhow::Context;
pub use config::Config;

/// Runs the worker until `shutdown` resolves.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let pool = seed_data::db::connect(&config.database_url).await?;
    seed_data::GTM_MIGRATOR
        .run(&pool)
        .await
        .context("migrating the GTM database")?;
    let _connection = config.temporal.connect().await?;
    tracing::info!(
        namespace = %config.temporal.namespace,
        task_queue = %config.task_queue,
        "gtm-worker connected"
    );
    shutdown.await;
    pool.close().await;
    Ok(())
}
