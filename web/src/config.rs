//! web configuration, read once from the environment.

use std::net::SocketAddr;

use anyhow::Context;
use service_kit::{TemporalSettings, env};
use shared_contracts::names::{namespaces, task_queues};

/// Default GTM database: the SQLite file gtm-worker defaults to
/// (`gtm_worker::DEFAULT_DATABASE_URL`); gtm-worker owns, creates and migrates it. A
/// constant of its own, as the dashboard does not depend on the workers.
pub const DEFAULT_GTM_DATABASE_URL: &str = "sqlite:.data/gtm.db";

/// Default Marketing database: the SQLite file marketing-worker defaults to
/// (`marketing_worker::DEFAULT_DATABASE_URL`); marketing-worker owns, creates and
/// migrates it.
pub const DEFAULT_MARKETING_DATABASE_URL: &str = "sqlite:.data/marketing.db";

/// Default Customer Success database: the SQLite file customer-success-worker defaults
/// to; that worker owns, creates and migrates it.
pub const DEFAULT_CS_DATABASE_URL: &str = "sqlite:.data/customer-success.db";

/// Everything the dashboard needs to know to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (`WEB_BIND`, default `127.0.0.1:3000`: loopback only).
    pub bind: SocketAddr,
    /// Temporal connection; the namespace is GTM's (`TEMPORAL_NAMESPACE`, default `gtm`).
    pub temporal: TemporalSettings,
    /// Task queue coordinator runs are started on (`GTM_TASK_QUEUE`, default
    /// `gtm-coordinator`).
    pub task_queue: String,
    /// GTM database, for accounts and stored briefs (`GTM_DATABASE_URL`, default
    /// `sqlite:.data/gtm.db`).
    pub gtm_database_url: String,
    /// Temporal Web UI, for deep links (`TEMPORAL_UI_URL`, default
    /// `http://127.0.0.1:8233`).
    pub temporal_ui_url: String,
    /// Marketing's namespace, for campaign launches and deep links
    /// (`MARKETING_NAMESPACE`, default `marketing`).
    pub marketing_namespace: String,
    /// Task queue campaign launches start on (`MARKETING_TASK_QUEUE`, default
    /// `marketing-abm`).
    pub marketing_task_queue: String,
    /// Marketing database, for the campaigns page (`MARKETING_DATABASE_URL`, default
    /// `sqlite:.data/marketing.db`).
    pub marketing_database_url: String,
    /// Customer Success's namespace, for the health monitors (`CS_NAMESPACE`, default
    /// `customer-success`).
    pub cs_namespace: String,
    /// Task queue health monitors start on (`CS_TASK_QUEUE`, default `cs-health`).
    pub cs_task_queue: String,
    /// Customer Success database, for the Health page (`CS_DATABASE_URL`, default
    /// `sqlite:.data/customer-success.db`).
    pub cs_database_url: String,
    /// Where `/metrics` is served (`WEB_METRICS_BIND`, default `127.0.0.1:9103`;
    /// `off` for none).
    pub metrics_bind: Option<SocketAddr>,
}

impl Config {
    /// Reads the configuration from the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        let bind = env::var_or("WEB_BIND", "127.0.0.1:3000");
        Ok(Self {
            bind: bind.parse().with_context(|| {
                format!("WEB_BIND={bind:?} is not a socket address like 127.0.0.1:3000")
            })?,
            temporal: TemporalSettings::from_env(namespaces::GTM, "web")?,
            task_queue: env::var_or("GTM_TASK_QUEUE", task_queues::GTM_COORDINATOR),
            gtm_database_url: env::var_or("GTM_DATABASE_URL", DEFAULT_GTM_DATABASE_URL),
            temporal_ui_url: env::var_or("TEMPORAL_UI_URL", "http://127.0.0.1:8233"),
            marketing_namespace: env::var_or("MARKETING_NAMESPACE", namespaces::MARKETING),
            marketing_task_queue: env::var_or("MARKETING_TASK_QUEUE", task_queues::MARKETING_ABM),
            marketing_database_url: env::var_or(
                "MARKETING_DATABASE_URL",
                DEFAULT_MARKETING_DATABASE_URL,
            ),
            cs_namespace: env::var_or("CS_NAMESPACE", namespaces::CUSTOMER_SUCCESS),
            cs_task_queue: env::var_or("CS_TASK_QUEUE", task_queues::CS_HEALTH),
            cs_database_url: env::var_or("CS_DATABASE_URL", DEFAULT_CS_DATABASE_URL),
            metrics_bind: service_kit::telemetry::metrics_bind(
                "WEB_METRICS_BIND",
                "127.0.0.1:9103",
            )?,
        })
    }

    /// Defaults for a Temporal server at `address` and a GTM database URL: for tests.
    pub fn local(address: &str, gtm_database_url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            bind: "127.0.0.1:0".parse()?,
            temporal: TemporalSettings::local(address, namespaces::GTM, "web")?,
            task_queue: task_queues::GTM_COORDINATOR.to_owned(),
            gtm_database_url: gtm_database_url.to_owned(),
            temporal_ui_url: "http://127.0.0.1:8233".to_owned(),
            marketing_namespace: namespaces::MARKETING.to_owned(),
            marketing_task_queue: task_queues::MARKETING_ABM.to_owned(),
            marketing_database_url: DEFAULT_MARKETING_DATABASE_URL.to_owned(),
            cs_namespace: namespaces::CUSTOMER_SUCCESS.to_owned(),
            cs_task_queue: task_queues::CS_HEALTH.to_owned(),
            cs_database_url: DEFAULT_CS_DATABASE_URL.to_owned(),
            metrics_bind: None,
        })
    }
}
