//! gtm-worker configuration, read once from the environment.

use std::time::Duration;

use service_kit::env;
use service_kit::host::HostConfig;
use shared_contracts::names::endpoints;
use shared_contracts::teams::{self, TeamSpec};

/// The team's entry in the team table: namespace, task queue, endpoint, services
/// and their callers, variables' prefix, metrics port, default database.
pub const TEAM: &TeamSpec = &teams::GTM;

/// Everything gtm-worker needs to know to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// What every team's worker has: connection, task queue, Nexus callers, metrics
    /// (`TEMPORAL_*` and `GTM_*`; see [`HostConfig`]).
    pub host: HostConfig,
    /// Nexus endpoint of Marketing's ABM service (`GTM_MARKETING_ENDPOINT`, default
    /// `marketing-abm`).
    pub marketing_endpoint: String,
    /// Step 8's deadline (`GTM_ABM_TIMEOUT_SECS`, default 10).
    pub abm_timeout: Duration,
}

impl Config {
    /// Reads the configuration from the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            host: HostConfig::from_env(TEAM)?,
            marketing_endpoint: env::var_or("GTM_MARKETING_ENDPOINT", endpoints::MARKETING_ABM),
            abm_timeout: Duration::from_secs(env::parse_or(
                "GTM_ABM_TIMEOUT_SECS",
                10,
                "a whole number of seconds",
            )?),
        })
    }

    /// Defaults for a server at `address` (`host:port`) and a database URL: for tests.
    pub fn local(address: &str, database_url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            host: HostConfig::local(TEAM, address, database_url)?,
            marketing_endpoint: endpoints::MARKETING_ABM.to_owned(),
            abm_timeout: Duration::from_secs(10),
        })
    }
}
