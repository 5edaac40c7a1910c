//! The Marketing worker: namespace `marketing`, task queue `marketing-abm`.
//!
//! It serves the `marketing.abm.v1` Nexus service ([`nexus`]) from the Marketing
//! database ([`store`]), on the Nexus handler layer of the `nexus-handler` crate.
//!
//! [`run`] opens the database (migrating it), connects to Temporal and serves until
//! the shutdown future resolves, then lets in-flight requests finish. `main.rs` calls
//! it with [`Config::from_env`]; tests call it with their own config.

mod config;
pub mod nexus;
pub mod store;

use std::future::Future;

use anyhow::Context;
pub use config::Config;
use nexus_handler::{CallerPolicy, NexusWorker, NexusWorkerOptions};

use crate::store::MarketingStore;

/// Runs the worker until `shutdown` resolves.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let pool = seed_data::db::connect(&config.database_url).await?;
    seed_data::MARKETING_MIGRATOR
        .run(&pool)
        .await
        .context("migrating the Marketing database")?;
    let store = MarketingStore::new(pool.clone());
    let connection = config.temporal.connect().await?;

    let policy = CallerPolicy::allow_namespaces(config.allowed_caller_namespaces.clone())
        .with_unidentified_callers(config.allow_unidentified_callers);
    let mut options = NexusWorkerOptions::new(
        config.temporal.namespace.clone(),
        config.task_queue.clone(),
        policy,
        config.temporal.connection.identity.clone(),
    );
    options.max_concurrent_tasks = config.max_concurrent_nexus_tasks;
    let worker = NexusWorker::new(connection, options, nexus::services(store)).await?;
    let result = worker.run(shutdown).await;
    pool.close().await;
    result
}
