//! The Customer Success worker: namespace `customer-success`, task queue `cs-health`.
//!
//! - [`nexus`]: the `cs.health.v1` Nexus service (`getAccountHealth`), called by GTM
//!   and Marketing.
//! - [`workflows`]: `AccountHealthMonitor`, one long-running workflow per watched
//!   account, which asks Marketing and GTM over Nexus and escalates to GTM's
//!   coordinator when an account falls to `at-risk`.
//! - [`activities`]: the monitor's reads and writes of this team's database.
//! - [`rules`]: the health score, the cross-team score and when to escalate, pure and
//!   unit-tested.
//! - [`store`]: the Customer Success database and its schema: the migrations in
//!   `migrations/` ([`store::MIGRATOR`]), applied by [`store::CsStore::open`].
//! - [`seed`]: this team's part of the shared seed set (`seed-data`);
//!   `customer-success-worker seed` runs it.
//!
//! [`run`] is the worker's own choices on the shared worker host
//! ([`service_kit::host::WorkerHost`]): the database, `cs.health.v1` on the Nexus worker,
//! the monitor and its activities on the SDK worker. `main.rs` calls it with
//! [`Config::from_env`]; tests call it with their own config.

pub mod activities;
mod config;
pub mod nexus;
pub mod rules;
pub mod seed;
pub mod store;
pub mod workflows;

use std::future::Future;

use anyhow::Context;
pub use config::{Config, TEAM};
use service_kit::host::WorkerHost;

use crate::activities::HealthActivities;
use crate::store::CsStore;
use crate::workflows::{AccountHealthMonitor, MonitorSettings};

/// Runs the worker until `shutdown` resolves; in-flight requests and tasks then
/// finish.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let store = CsStore::open(&config.host.database_url)
        .await
        .context("opening the Customer Success database")?;

    let mut host = WorkerHost::connect(config.host.clone()).await?;
    host.serve_nexus(nexus::services(store.clone()));
    let settings = MonitorSettings {
        marketing_endpoint: config.marketing_endpoint.clone(),
        gtm_endpoint: config.gtm_endpoint.clone(),
        view_timeout: config.view_timeout,
        coordinator_timeout: config.coordinator_timeout,
    };
    host.worker()
        .register_workflow_with_factory(move || AccountHealthMonitor::new(settings.clone()))
        .context("registering AccountHealthMonitor")?
        .register_activities(HealthActivities::new(store.clone()));
    tracing::info!(
        marketing_endpoint = %config.marketing_endpoint,
        gtm_endpoint = %config.gtm_endpoint,
        view_timeout_secs = config.view_timeout.as_secs(),
        "monitors ask Marketing and GTM"
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
