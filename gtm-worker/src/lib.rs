//! The GTM worker: namespace `gtm`, task queue `gtm-coordinator`.
//!
//! - [`workflows`]: the `DrewCoordinator`, one line a step.
//! - [`step_runner`]: what every step does besides its work: progress, summaries,
//!   telemetry, search attributes.
//! - [`activities`]: steps 1-7 and 9, over the GTM database ([`store`]).
//! - [`store`]: the GTM database and its schema: the migrations in `migrations/`
//!   ([`store::MIGRATOR`]), applied by [`store::GtmStore::open`].
//! - [`seed`]: GTM's part of the shared seed set (`seed-data`) into that database;
//!   `gtm-worker seed` runs it.
//! - [`nexus`]: GTM's two Nexus services on one endpoint: `gtm.coordinator.v1`
//!   (`runCoordinator` starts a coordinator for another namespace and completes with
//!   its brief) and `gtm.accounts.v1` (`getAccountSnapshot`: open pipeline and newest
//!   brief).
//! - [`scoring`], [`recommendations`]: the business rules, pure and unit-tested.
//! - [`telemetry`]: the run's trace (a span per step) and metrics.
//!
//! [`run`] is the worker's own choices on the shared worker host
//! ([`service_kit::host::WorkerHost`]): the GTM database, the coordinator and its
//! activities on the SDK worker, `gtm.coordinator.v1` and `gtm.accounts.v1` on the
//! Nexus worker. `main.rs`
//! calls it with [`Config::from_env`]; tests call it with their own config.

pub mod activities;
mod config;
pub mod nexus;
pub mod recommendations;
pub mod scoring;
pub mod seed;
pub mod step_runner;
pub mod store;
pub mod telemetry;
pub mod workflows;

use std::future::Future;

use anyhow::Context;
pub use config::{Config, TEAM};
use service_kit::host::WorkerHost;

use crate::activities::CoordinatorActivities;
use crate::store::GtmStore;
use crate::telemetry::CoordinatorTelemetry;
use crate::workflows::{CoordinatorSettings, DrewCoordinator};

/// Runs the worker until `shutdown` resolves; in-flight tasks then finish.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let store = GtmStore::open(&config.host.database_url)
        .await
        .context("opening the GTM database")?;

    let mut host = WorkerHost::connect(config.host.clone()).await?;
    let settings = CoordinatorSettings::new(
        config.marketing_endpoint.clone(),
        config.abm_timeout,
        CoordinatorTelemetry::new(host.meter()),
    );
    host.worker()
        .register_workflow_with_factory(move || DrewCoordinator::new(settings.clone()))
        .context("registering DrewCoordinator")?
        .register_activities(CoordinatorActivities::new(store.clone()));
    host.serve_nexus(nexus::services(&config.host.task_queue, store.clone()));
    tracing::info!(
        marketing_endpoint = %config.marketing_endpoint,
        abm_timeout_secs = config.abm_timeout.as_secs(),
        "step 8 asks Marketing"
    );
    let result = host.run(shutdown).await;
    store.close().await;
    result
}

/// The worker as the shared `main` runs it (`service_kit::worker_main`).
pub struct Worker;

impl service_kit::worker_main::TeamWorker for Worker {
    const TEAM: &'static shared_contracts::teams::TeamSpec = TEAM;
    type Config = Config;

    fn config_from_env() -> anyhow::Result<Config> {
        Config::from_env()
    }

    fn local_config(address: &str, database_url: &str) -> anyhow::Result<Config> {
        Config::local(address, database_url)
    }

    fn host(config: &Config) -> &service_kit::host::HostConfig {
        &config.host
    }

    fn run(
        config: Config,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = anyhow::Result<()>> {
        run(config, shutdown)
    }

    async fn seed(config: &Config) -> anyhow::Result<service_kit::db::load::LoadReport> {
        let seed = seed_data::model::SeedSet::shipped().context("reading the shipped seed set")?;
        Ok(crate::seed::load_url(&config.host.database_url, &seed, chrono::Utc::now()).await?)
    }
}
