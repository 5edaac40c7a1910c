//! The Marketing worker: namespace `marketing`, task queue `marketing-abm`.
//!
//! [`run`] opens the Marketing database (migrating it), connects to Temporal and serves
//! until the shutdown future resolves. `main.rs` calls it with [`Config::from_env`];
//! tests call it with their own config and shutdown future.

mod config;

use std::future::Future;

use anyhow::Context;
pub use config::Config;

/// Runs the worker until `shutdown` resolves.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let pool = seed_data::db::connect(&config.database_url).await?;
    seed_data::MARKETING_MIGRATOR
        .run(&pool)
        .await
        .context("migrating the Marketing database")?;
    let _connection = config.temporal.connect().await?;
    tracing::info!(
        namespace = %config.temporal.namespace,
        task_queue = %config.task_queue,
        "marketing-worker connected"
    );
    shutdown.await;
    pool.close().await;
    Ok(())
}
