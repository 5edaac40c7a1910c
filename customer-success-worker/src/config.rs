//! customer-success-worker configuration, read once from the environment.

use std::time::Duration;

use service_kit::env;
use service_kit::host::HostConfig;
use shared_contracts::names::endpoints;
use shared_contracts::teams::{self, TeamSpec};

/// The team's entry in the team table: namespace, task queue, endpoint, services
/// and their callers, variables' prefix, metrics port, default database.
pub const TEAM: &TeamSpec = &teams::CUSTOMER_SUCCESS;

/// Everything customer-success-worker needs to know to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// What every team's worker has: connection, task queue, Nexus callers, metrics
    /// (`TEMPORAL_*` and `CS_*`; see [`HostConfig`]).
    pub host: HostConfig,
    /// Nexus endpoint of Marketing's ABM service (`CS_MARKETING_ENDPOINT`, default
    /// `marketing-abm`).
    pub marketing_endpoint: String,
    /// Nexus endpoint of GTM's services (`CS_GTM_ENDPOINT`, default `gtm-coordinator`).
    pub gtm_endpoint: String,
    /// How long a check waits for each other team's view (`CS_VIEW_TIMEOUT_SECS`,
    /// default 10).
    pub view_timeout: Duration,
    /// How long an escalation waits for GTM's brief (`CS_COORDINATOR_TIMEOUT_SECS`,
    /// default 600).
    pub coordinator_timeout: Duration,
}

impl Config {
    /// Reads the configuration from the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        let seconds = |name: &str, default: u64| -> anyhow::Result<Duration> {
            Ok(Duration::from_secs(env::parse_or(
                name,
                default,
                "a whole number of seconds",
            )?))
        };
        Ok(Self {
            host: HostConfig::from_env(TEAM)?,
            marketing_endpoint: env::var_or("CS_MARKETING_ENDPOINT", endpoints::MARKETING_ABM),
            gtm_endpoint: env::var_or("CS_GTM_ENDPOINT", endpoints::GTM_COORDINATOR),
            view_timeout: seconds("CS_VIEW_TIMEOUT_SECS", 10)?,
            coordinator_timeout: seconds("CS_COORDINATOR_TIMEOUT_SECS", 600)?,
        })
    }

    /// Defaults for a server at `address` (`host:port`) and a database URL: for tests.
    pub fn local(address: &str, database_url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            host: HostConfig::local(TEAM, address, database_url)?,
            marketing_endpoint: endpoints::MARKETING_ABM.to_owned(),
            gtm_endpoint: endpoints::GTM_COORDINATOR.to_owned(),
            view_timeout: Duration::from_secs(10),
            coordinator_timeout: Duration::from_secs(600),
        })
    }
}
