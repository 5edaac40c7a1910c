//! The GTM worker: namespace `gtm`, task queue `gtm-coordinator`.
//!
//! - [`workflows`]: the nine-step `DrewCoordinator`, one line a step.
//! - [`step_runner`]: what every step does besides its work: progress, summaries,
//!   telemetry, search attributes.
//! - [`activities`]: steps 1-7 and 9, over the GTM database ([`store`]).
//! - [`nexus`]: the `gtm.coordinator.v1` Nexus service: `runCoordinator` starts a
//!   coordinator for another namespace (Marketing's campaign launches) and completes
//!   with its brief.
//! - [`scoring`], [`recommendations`]: the business rules, pure and unit-tested.
//! - [`telemetry`]: the run's trace (a span per step) and metrics.
//!
//! [`run`] opens the GTM database (migrating it), connects to Temporal and runs two
//! workers on the one task queue and connection until the shutdown future resolves:
//! an SDK worker for the coordinator's workflow and activity tasks, and a Nexus worker
//! (the SDK worker does not take Nexus tasks) for `gtm.coordinator.v1`. In-flight
//! tasks then finish. `main.rs` calls it with [`Config::from_env`]; tests call it with
//! their own config.

pub mod activities;
mod config;
pub mod nexus;
pub mod recommendations;
pub mod scoring;
pub mod step_runner;
pub mod store;
pub mod telemetry;
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

use crate::activities::CoordinatorActivities;
use crate::store::GtmStore;
use crate::telemetry::CoordinatorTelemetry;
use crate::workflows::{CoordinatorSettings, DrewCoordinator};

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
    seed_data::GTM_MIGRATOR
        .run(&pool)
        .await
        .context("migrating the GTM database")?;
    let store = GtmStore::new(pool.clone());
    let metrics = service_kit::telemetry::start_metrics("gtm-worker", config.metrics_bind)?;
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
        connection,
        nexus_options,
        nexus::services(&config.task_queue),
    )
    .await?;

    let telemetry = TelemetryOptions::builder()
        .maybe_metrics(meter.clone())
        .build();
    let runtime_options = RuntimeOptions::builder()
        .telemetry_options(telemetry)
        .build()
        .map_err(anyhow::Error::msg)?;
    let runtime =
        Runtime::from_current_tokio(runtime_options).context("creating the SDK runtime")?;
    let settings = config.coordinator_settings(CoordinatorTelemetry::new(meter));
    let options = WorkerOptions::new(config.task_queue.clone())
        .register_workflow_with_factory(move || DrewCoordinator::new(settings.clone()))
        .context("registering DrewCoordinator")?
        .register_activities(CoordinatorActivities::new(store))
        .build();
    let mut worker = Worker::new(&runtime, client, options).context("creating the GTM worker")?;

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
        marketing_endpoint = %config.marketing_endpoint,
        abm_timeout_secs = config.abm_timeout.as_secs(),
        "gtm-worker polling"
    );
    let workflows = worker
        .run()
        .await
        .context("running the GTM workflow worker");
    stopper.abort();
    // The workflow worker may have stopped on its own (an error): stop the Nexus one.
    shutdown.trigger();
    let nexus = nexus
        .await
        .context("the Nexus worker's task panicked")
        .and_then(|result| result.context("running the GTM Nexus worker"));
    pool.close().await;
    tracing::info!("gtm-worker stopped");
    service_kit::first_error(workflows, nexus)
}

impl Config {
    /// Settings passed to every coordinator run.
    fn coordinator_settings(&self, telemetry: CoordinatorTelemetry) -> CoordinatorSettings {
        CoordinatorSettings::new(self.marketing_endpoint.clone(), self.abm_timeout, telemetry)
    }

    /// The Nexus worker shares the SDK worker's namespace, task queue (the
    /// `gtm-coordinator` endpoint's target) and identity.
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
