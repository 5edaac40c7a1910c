//! marketing-worker configuration, read once from the environment.

use std::time::Duration;

use service_kit::env;
use service_kit::host::HostConfig;
use shared_contracts::names::endpoints;
use shared_contracts::teams::{self, TeamSpec};

/// The team's entry in the team table: namespace, task queue, endpoint, services
/// and their callers, variables' prefix, metrics port, default database.
pub const TEAM: &TeamSpec = &teams::MARKETING;

/// Everything marketing-worker needs to know to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// What every team's worker has: connection, task queue, Nexus callers, metrics
    /// (`TEMPORAL_*` and `MARKETING_*`; see [`HostConfig`]).
    pub host: HostConfig,
    /// Nexus endpoint of GTM's coordinator service, called by campaign launches
    /// (`MARKETING_GTM_ENDPOINT`, default `gtm-coordinator`).
    pub gtm_endpoint: String,
    /// How long a launch gives one account's coordinator, start to brief
    /// (`MARKETING_COORDINATOR_TIMEOUT_SECS`, default 600).
    pub coordinator_timeout: Duration,
}

impl Config {
    /// Reads the configuration from the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            host: HostConfig::from_env(TEAM)?,
            gtm_endpoint: env::var_or("MARKETING_GTM_ENDPOINT", endpoints::GTM_COORDINATOR),
            coordinator_timeout: Duration::from_secs(env::parse_or(
                "MARKETING_COORDINATOR_TIMEOUT_SECS",
                600,
                "a whole number of seconds",
            )?),
        })
    }

    /// Defaults for a server at `address` (`host:port`) and a database URL: for tests.
    pub fn local(address: &str, database_url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            host: HostConfig::local(TEAM, address, database_url)?,
            gtm_endpoint: endpoints::GTM_COORDINATOR.to_owned(),
            coordinator_timeout: Duration::from_secs(600),
        })
    }
}
