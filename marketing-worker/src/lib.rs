//! The Marketing worker: namespace `marketing`, task queue `marketing-abm`.
//!
//! - [`nexus`]: the `marketing.abm.v1` Nexus service (`checkAbmProgram`), on the Nexus
//!   handler layer of the `nexus-handler` crate.
//! - [`workflows`]: the `CampaignLaunch` workflow, which briefs sales on every target
//!   account of a campaign by calling GTM's `gtm.coordinator.v1` through Nexus.
//! - [`activities`]: the launch's reads and writes of the Marketing database.
//! - [`store`]: the Marketing database (programs, enrolments, campaigns, launch
//!   results) and its schema: the migrations in `migrations/` ([`store::MIGRATOR`]),
//!   applied by [`store::MarketingStore::open`].
//! - [`seed`]: Marketing's part of the shared seed set (`seed-data`) into that
//!   database; `marketing-worker seed` runs it.
//!
//! [`run`] is the worker's own choices on the shared worker host
//! ([`service_kit::host::WorkerHost`]): the Marketing database, `marketing.abm.v1` on the
//! Nexus worker, the launch workflow and its activities on the SDK worker. `main.rs`
//! calls it with [`Config::from_env`]; tests call it with their own config.

pub mod activities;
mod config;
pub mod nexus;
pub mod seed;
pub mod store;
pub mod workflows;

use std::future::Future;

use anyhow::Context;
pub use config::{Config, TEAM};
use service_kit::host::WorkerHost;

use crate::activities::LaunchActivities;
use crate::store::MarketingStore;
use crate::workflows::{CampaignLaunch, LaunchSettings};

/// Runs the worker until `shutdown` resolves; in-flight requests and tasks then
/// finish.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let store = MarketingStore::open(&config.host.database_url)
        .await
        .context("opening the Marketing database")?;

    let mut host = WorkerHost::connect(config.host.clone()).await?;
    host.serve_nexus(nexus::services(store.clone()));
    let settings = LaunchSettings {
        gtm_endpoint: config.gtm_endpoint.clone(),
        coordinator_timeout: config.coordinator_timeout,
    };
    host.worker()
        .register_workflow_with_factory(move || CampaignLaunch::new(settings.clone()))
        .context("registering CampaignLaunch")?
        .register_activities(LaunchActivities::new(store.clone()));
    tracing::info!(
        gtm_endpoint = %config.gtm_endpoint,
        coordinator_timeout_secs = config.coordinator_timeout.as_secs(),
        "campaign launches call GTM"
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
        Ok(crate::seed::load_url(&config.host.database_url, &seed).await?)
    }
}
