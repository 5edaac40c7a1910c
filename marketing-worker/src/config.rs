//! marketing-worker configuration, read once from the environment.

use std::net::SocketAddr;
use std::time::Duration;

use service_kit::telemetry::metrics_bind;
use service_kit::{TemporalSettings, env};
use shared_contracts::names::{endpoints, namespaces, task_queues};

/// Everything marketing-worker needs to know to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Temporal connection and namespace (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`
    /// default `marketing`, profiles).
    pub temporal: TemporalSettings,
    /// Task queue to poll (`MARKETING_TASK_QUEUE`, default `marketing-abm`): the
    /// `marketing-abm` endpoint's target.
    pub task_queue: String,
    /// Marketing database (`MARKETING_DATABASE_URL`, default `sqlite:.data/marketing.db`).
    pub database_url: String,
    /// Namespaces whose workflows may call `marketing.abm.v1`
    /// (`MARKETING_ALLOWED_CALLER_NAMESPACES`, comma-separated, default `gtm`).
    pub allowed_caller_namespaces: Vec<String>,
    /// Serve requests that carry no caller namespace
    /// (`MARKETING_ALLOW_UNIDENTIFIED_CALLERS`, default `false`).
    pub allow_unidentified_callers: bool,
    /// Nexus handlers running at once (`MARKETING_MAX_CONCURRENT_NEXUS_TASKS`, default 32).
    pub max_concurrent_nexus_tasks: usize,
    /// Nexus endpoint of GTM's coordinator service, called by campaign launches
    /// (`MARKETING_GTM_ENDPOINT`, default `gtm-coordinator`).
    pub gtm_endpoint: String,
    /// How long a launch gives one account's coordinator, start to brief
    /// (`MARKETING_COORDINATOR_TIMEOUT_SECS`, default 600).
    pub coordinator_timeout: Duration,
    /// Where `/metrics` is served (`MARKETING_METRICS_BIND`, default
    /// `127.0.0.1:9102`; `off` for none).
    pub metrics_bind: Option<SocketAddr>,
}

impl Config {
    /// Reads the configuration from the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            temporal: TemporalSettings::from_env(namespaces::MARKETING, "marketing-worker")?,
            task_queue: env::var_or("MARKETING_TASK_QUEUE", task_queues::MARKETING_ABM),
            database_url: env::var_or(
                "MARKETING_DATABASE_URL",
                seed_data::DEFAULT_MARKETING_DATABASE_URL,
            ),
            allowed_caller_namespaces: env::list_or(
                "MARKETING_ALLOWED_CALLER_NAMESPACES",
                namespaces::GTM,
            ),
            allow_unidentified_callers: env::bool_or(
                "MARKETING_ALLOW_UNIDENTIFIED_CALLERS",
                false,
            )?,
            max_concurrent_nexus_tasks: env::parse_or(
                "MARKETING_MAX_CONCURRENT_NEXUS_TASKS",
                32,
                "a positive number",
            )?,
            gtm_endpoint: env::var_or("MARKETING_GTM_ENDPOINT", endpoints::GTM_COORDINATOR),
            coordinator_timeout: Duration::from_secs(env::parse_or(
                "MARKETING_COORDINATOR_TIMEOUT_SECS",
                600,
                "a whole number of seconds",
            )?),
            metrics_bind: metrics_bind("MARKETING_METRICS_BIND", "127.0.0.1:9102")?,
        })
    }

    /// Defaults for a server at `address` (`host:port`) and a database URL: for tests.
    pub fn local(address: &str, database_url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            temporal: TemporalSettings::local(address, namespaces::MARKETING, "marketing-worker")?,
            task_queue: task_queues::MARKETING_ABM.to_owned(),
            database_url: database_url.to_owned(),
            allowed_caller_namespaces: vec![namespaces::GTM.to_owned()],
            allow_unidentified_callers: false,
            max_concurrent_nexus_tasks: 32,
            gtm_endpoint: endpoints::GTM_COORDINATOR.to_owned(),
            coordinator_timeout: Duration::from_secs(600),
            metrics_bind: None,
        })
    }
}
