//! The GTM worker: namespace `gtm`, task queue `gtm-coordinator`.
//!
//! - [`workflows`]: the nine-step `DrewCoordinator`.
//! - [`activities`]: steps 1-7 and 9, over the GTM database ([`store`]).
//! - [`scoring`], [`recommendations`]: the business rules, pure and unit-tested.
//!
//! [`run`] opens the GTM database (migrating it), connects to Temporal and runs an SDK
//! worker for the coordinator until the shutdown future resolves; in-flight workflow
//! and activity tasks then finish. `main.rs` calls it with [`Config::from_env`];
//! tests call it with their own config.

pub mod activities;
mod config;
pub mod recommendations;
pub mod scoring;
pub mod store;
pub mod workflows;

use std::future::Future;

use anyhow::Context;
pub use config::Config;
use temporalio_client::{Client, ClientOptions};
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

use crate::activities::CoordinatorActivities;
use crate::store::GtmStore;
use crate::workflows::{CoordinatorSettings, DrewCoordinator};

/// Runs the worker until `shutdown` resolves.
///
/// The SDK worker's future is not `Send` (workflow code runs on a local task set), so
/// `run` is awaited on the caller's task, never spawned.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let pool = seed_data::db::connect(&config.database_url).await?;
    seed_data::GTM_MIGRATOR
        .run(&pool)
        .await
        .context("migrating the GTM database")?;
    let store = GtmStore::new(pool.clone());
    let connection = config.temporal.connect().await?;
    let client = Client::new(
        connection,
        ClientOptions::new(config.temporal.namespace.clone()).build(),
    )
    .context("creating the Temporal client")?;

    let runtime =
        Runtime::from_current_tokio(Default::default()).context("creating the SDK runtime")?;
    let settings = config.coordinator_settings();
    let options = WorkerOptions::new(config.task_queue.clone())
        .register_workflow_with_factory(move || DrewCoordinator::new(settings.clone()))
        .context("registering DrewCoordinator")?
        .register_activities(CoordinatorActivities::new(store))
        .build();
    let mut worker = Worker::new(&runtime, client, options).context("creating the GTM worker")?;
    let stop = worker.shutdown_handle();
    let stopper = tokio::spawn(async move {
        shutdown.await;
        stop();
    });
    tracing::info!(
        namespace = %config.temporal.namespace,
        task_queue = %config.task_queue,
        marketing_endpoint = %config.marketing_endpoint,
        abm_timeout_secs = config.abm_timeout.as_secs(),
        "gtm-worker polling"
    );
    let result = worker.run().await.context("running the GTM worker");
    stopper.abort();
    pool.close().await;
    tracing::info!("gtm-worker stopped");
    result
}

/// Settings passed to every coordinator run.
impl Config {
    fn coordinator_settings(&self) -> CoordinatorSettings {
        CoordinatorSettings {
            marketing_endpoint: self.marketing_endpoint.clone(),
            abm_timeout: self.abm_timeout,
        }
    }
}
