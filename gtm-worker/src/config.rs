//! gtm-worker configuration, read once from the environment.

use service_kit::TemporalSettings;
use shared_contracts::names::{namespaces, task_queues};

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
}

impl Config {
    /// Reads the configuration from the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            temporal: TemporalSettings::from_env(namespaces::GTM, "gtm-worker")?,
            task_queue: env_or("GTM_TASK_QUEUE", task_queues::GTM_COORDINATOR),
            database_url: env_or("GTM_DATABASE_URL", seed_data::DEFAULT_GTM_DATABASE_URL),
        })
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| default.to_owned())
}
