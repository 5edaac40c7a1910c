//! web configuration, read once from the environment.

use std::net::SocketAddr;

use anyhow::Context;
use service_kit::TemporalSettings;
use shared_contracts::names::namespaces;

/// Everything the dashboard needs to know to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (`WEB_BIND`, default `127.0.0.1:3000`: loopback only).
    pub bind: SocketAddr,
    /// Temporal connection; the namespace is GTM's (`TEMPORAL_NAMESPACE`, default `gtm`).
    pub temporal: TemporalSettings,
    /// GTM database, for accounts and stored briefs (`GTM_DATABASE_URL`).
    pub gtm_database_url: String,
}

impl Config {
    /// Reads the configuration from the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        let bind = std::env::var("WEB_BIND").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
        Ok(Self {
            bind: bind.parse().with_context(|| {
                format!("WEB_BIND={bind:?} is not a socket address like 127.0.0.1:3000")
            })?,
            temporal: TemporalSettings::from_env(namespaces::GTM, "web")?,
            gtm_database_url: std::env::var("GTM_DATABASE_URL")
                .unwrap_or_else(|_| seed_data::DEFAULT_GTM_DATABASE_URL.to_owned()),
        })
    }
}
