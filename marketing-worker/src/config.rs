//! marketing-worker configuration, read once from the environment.

use service_kit::TemporalSettings;
use shared_contracts::names::{namespaces, task_queues};

/// Everything marketing-worker needs to know to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Temporal connection and namespace (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`
    /// default `marketing`, profiles).
    pub temporal: TemporalSettings,
    /// Task queue to poll (`MARKETING_TASK_QUEUE`, default `marketing-abm`).
    pub task_queue: String,
    /// Marketing database (`MARKETING_DATABASE_URL`, default `sqlite:.data/marketing.db`).
    pub database_url: String,
}

impl Config {
    /// Reads the configuration from the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            temporal: TemporalSettings::from_env(namespaces::MARKETING, "marketing-worker")?,
            task_queue: env_or("MARKETING_TASK_QUEUE", task_queues::MARKETING_ABM),
            database_url: env_or(
                "MARKETING_DATABASE_URL",
                seed_data::DEFAULT_MARKETING_DATABASE_URL,
            ),
        })
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| default.to_owned())
}
