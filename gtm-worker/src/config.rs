//! gtm-worker configuration, read once from the environment.

use std::net::SocketAddr;
use std::time::Duration;

use service_kit::telemetry::metrics_bind;
use service_kit::{TemporalSettings, env};
use shared_contracts::names::{endpoints, namespaces, task_queues};

/// Everything gtm-worker needs to know to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Temporal connection and namespace (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`
    /// default `gtm`, profiles).
    pub temporal: TemporalSettings,
    /// Task queue to poll (`GTM_TASK_QUEUE`, default `gtm-coordinator`).
    pub task_queue: String,
    /// GTM database (`GTM_DATABASE_URL`, default `sqlite:.data/gtm.db`).
    pub database_url: String,
    /// Nexus endpoint of Marketing's ABM service (`GTM_MARKETING_ENDPOINT`, default
    /// `marketing-abm`).
    pub marketing_endpoint: String,
    /// Step 8's deadline (`GTM_ABM_TIMEOUT_SECS`, default 10).
    pub abm_timeout: Duration,
    /// Namespaces whose workflows may call `gtm.coordinator.v1`
    /// (`GTM_ALLOWED_CALLER_NAMESPACES`, comma-separated, default `marketing`).
    pub allowed_caller_namespaces: Vec<String>,
    /// Serve requests that carry no caller namespace
    /// (`GTM_ALLOW_UNIDENTIFIED_CALLERS`, default `false`).
    pub allow_unidentified_callers: bool,
    /// Nexus handlers running at once (`GTM_MAX_CONCURRENT_NEXUS_TASKS`, default 32).
    pub max_concurrent_nexus_tasks: usize,
    /// Where `/metrics` is served (`GTM_METRICS_BIND`, default `127.0.0.1:9101`;
    /// `off` for none).
    pub metrics_bind: Option<SocketAddr>,
}

impl Config {
    /// Reads the configuration from the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            temporal: TemporalSettings::from_env(namespaces::GTM, "gtm-worker")?,
            task_queue: env::var_or("GTM_TASK_QUEUE", task_queues::GTM_COORDINATOR),
            database_url: env::var_or("GTM_DATABASE_URL", seed_data::DEFAULT_GTM_DATABASE_URL),
            marketing_endpoint: env::var_or("GTM_MARKETING_ENDPOINT", endpoints::MARKETING_ABM),
            abm_timeout: Duration::from_secs(env::parse_or(
                "GTM_ABM_TIMEOUT_SECS",
                10,
                "a whole number of seconds",
            )?),
            allowed_caller_namespaces: env::list_or(
                "GTM_ALLOWED_CALLER_NAMESPACES",
                namespaces::MARKETING,
            ),
            allow_unidentified_callers: env::bool_or("GTM_ALLOW_UNIDENTIFIED_CALLERS", false)?,
            max_concurrent_nexus_tasks: env::parse_or(
                "GTM_MAX_CONCURRENT_NEXUS_TASKS",
                32,
                "a positive number",
            )?,
            metrics_bind: metrics_bind("GTM_METRICS_BIND", "127.0.0.1:9101")?,
        })
    }

    /// Defaults for a server at `address` (`host:port`) and a database URL: for tests.
    pub fn local(address: &str, database_url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            temporal: TemporalSettings::local(address, namespaces::GTM, "gtm-worker")?,
            task_queue: task_queues::GTM_COORDINATOR.to_owned(),
            database_url: database_url.to_owned(),
            marketing_endpoint: endpoints::MARKETING_ABM.to_owned(),
            abm_timeout: Duration::from_secs(10),
            allowed_caller_namespaces: vec![namespaces::MARKETING.to_owned()],
            allow_unidentified_callers: false,
            max_concurrent_nexus_tasks: 32,
            metrics_bind: None,
        })
    }
}
