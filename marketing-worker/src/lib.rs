//! The Marketing worker: namespace `marketing`, task queue `marketing-abm`.
//!
//! - [`nexus`]: the `marketing.abm.v1` Nexus service (`checkAbmProgram`), on the Nexus
//!   handler layer of the `nexus-handler` crate.
//! - [`workflows`]: the `CampaignLaunch` workflow, which briefs sales on every target
//!   account of a campaign by calling GTM's `gtm.coordinator.v1` through Nexus.
//! - [`activities`]: the launch's reads and writes of the Marketing database.
//! - [`store`]: the Marketing database (programs, enrolments, campaigns, launch
//!   results).
//!
//! [`run`] opens the database (migrating it), connects to Temporal and runs two
//! workers on the one task queue and connection until the shutdown future resolves: a
//! Nexus worker for `marketing.abm.v1` (the SDK worker does not take Nexus tasks), and
//! an SDK worker for the launch's workflow and activity tasks. In-flight requests and
//! tasks then finish. `main.rs` calls it with [`Config::from_env`]; tests call it with
//! their own config.

pub mod activities;
mod config;
pub mod nexus;
pub mod store;
pub mod workflows;

use std::future::Future;

use anyhow::Context;
pub use config::Config;
use nexus_handler::{CallerPolicy, NexusWorker, NexusWorkerOptions};
use service_kit::Shutdown;
use temporalio_client::{Client, ClientOptions};
use temporalio_common::telemetry::TelemetryOptions;
use temporalio_sdk::runtime::RuntimeOptions;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

use crate::activities::LaunchActivities;
use crate::store::MarketingStore;
use crate::workflows::{CampaignLaunch, LaunchSettings};

/// Runs the worker until `shutdown` resolves.
///
/// The SDK worker's future is not `Send` (workflow code runs on a local task set), so
/// `run` is awaited on the caller's task, never spawned. The Nexus worker runs on a
/// task of its own; if either stops on an error, the other is stopped too.
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
    let metrics = service_kit::telemetry::start_metrics("marketing-worker", config.metrics_bind)?;
    let meter = metrics.map(|metrics| metrics.meter);
    let connection = config.temporal.connect().await?;
    let client = Client::new(
        connection.clone(),
        ClientOptions::new(config.temporal.namespace.clone()).build(),
    )
    .context("creating the Temporal client")?;

    let mut nexus_options = config.nexus_worker_options();
    nexus_options.metrics = meter.clone();
    let nexus = NexusWorker::new(
        connection.clone(),
        nexus_options,
        nexus::services(store.clone()),
    )
    .await?;

    let telemetry = TelemetryOptions::builder().maybe_metrics(meter).build();
    let runtime_options = RuntimeOptions::builder()
        .telemetry_options(telemetry)
        .build()
        .map_err(anyhow::Error::msg)?;
    let runtime =
        Runtime::from_current_tokio(runtime_options).context("creating the SDK runtime")?;
    let settings = config.launch_settings();
    let options = WorkerOptions::new(config.task_queue.clone())
        .register_workflow_with_factory(move || CampaignLaunch::new(settings.clone()))
        .context("registering CampaignLaunch")?
        .register_activities(LaunchActivities::new(store.clone()))
        .build();
    let mut worker =
        Worker::new(&runtime, client, options).context("creating the Marketing worker")?;

    let shutdown = Shutdown::on(shutdown);
    let nexus = tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            let result = nexus.run(shutdown.triggered()).await;
            shutdown.trigger();
            result
        }
    });
    let stop_workflows = worker.shutdown_handle();
    let stopper = tokio::spawn({
        let triggered = shutdown.triggered();
        async move {
            triggered.await;
            stop_workflows();
        }
    });
    tracing::info!(
        namespace = %config.temporal.namespace,
        task_queue = %config.task_queue,
        gtm_endpoint = %config.gtm_endpoint,
        coordinator_timeout_secs = config.coordinator_timeout.as_secs(),
        "marketing-worker polling"
    );
    let workflows = worker
        .run()
        .await
        .context("running the Marketing workflow worker");
    // The workflow worker may have stopped on its own (an error): stop the Nexus one.
    shutdown.trigger();
    stopper.abort();
    let nexus = nexus
        .await
        .context("the Nexus worker's task panicked")
        .and_then(|result| result.context("running the Marketing Nexus worker"));
    pool.close().await;
    tracing::info!("marketing-worker stopped");
    service_kit::first_error(workflows, nexus)
}

impl Config {
    /// Settings passed to every launch.
    fn launch_settings(&self) -> LaunchSettings {
        LaunchSettings {
            gtm_endpoint: self.gtm_endpoint.clone(),
            coordinator_timeout: self.coordinator_timeout,
        }
    }

    /// The Nexus worker shares the SDK worker's namespace, task queue (the
    /// `marketing-abm` endpoint's target) and identity.
    fn nexus_worker_options(&self) -> NexusWorkerOptions {
        let policy = CallerPolicy::allow_namespaces(self.allowed_caller_namespaces.clone())
            .with_unidentified_callers(self.allow_unidentified_callers);
        let mut options = NexusWorkerOptions::new(
            self.temporal.namespace.clone(),
            self.task_queue.clone(),
            policy,
            self.temporal.connection.identity.clone(),
        );
        options.max_concurrent_tasks = self.max_concurrent_nexus_tasks;
        options
    }
}
