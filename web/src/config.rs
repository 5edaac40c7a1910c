//! web configuration, read once from the environment.

use std::net::SocketAddr;

use anyhow::Context;
use service_kit::{TemporalSettings, env};
use shared_contracts::teams::{CUSTOMER_SUCCESS, GTM, MARKETING};

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
            temporal: TemporalSettings::from_env(GTM.namespace, "web")?,
            task_queue: env::var_or(&GTM.var("TASK_QUEUE"), GTM.task_queue),
            gtm_database_url: env::var_or(&GTM.database_url_var(), GTM.default_database_url),
            temporal_ui_url: env::var_or("TEMPORAL_UI_URL", "http://127.0.0.1:8233"),
            marketing_namespace: env::var_or(&MARKETING.var("NAMESPACE"), MARKETING.namespace),
            marketing_task_queue: env::var_or(&MARKETING.var("TASK_QUEUE"), MARKETING.task_queue),
            marketing_database_url: env::var_or(
                &MARKETING.database_url_var(),
                MARKETING.default_database_url,
            ),
            cs_namespace: env::var_or(
                &CUSTOMER_SUCCESS.var("NAMESPACE"),
                CUSTOMER_SUCCESS.namespace,
            ),
            cs_task_queue: env::var_or(
                &CUSTOMER_SUCCESS.var("TASK_QUEUE"),
                CUSTOMER_SUCCESS.task_queue,
            ),
            cs_database_url: env::var_or(
                &CUSTOMER_SUCCESS.database_url_var(),
                CUSTOMER_SUCCESS.default_database_url,
            ),
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
            temporal: TemporalSettings::local(address, GTM.namespace, "web")?,
            task_queue: GTM.task_queue.to_owned(),
            gtm_database_url: gtm_database_url.to_owned(),
            temporal_ui_url: "http://127.0.0.1:8233".to_owned(),
            marketing_namespace: MARKETING.namespace.to_owned(),
            marketing_task_queue: MARKETING.task_queue.to_owned(),
            marketing_database_url: MARKETING.default_database_url.to_owned(),
            cs_namespace: CUSTOMER_SUCCESS.namespace.to_owned(),
            cs_task_queue: CUSTOMER_SUCCESS.task_queue.to_owned(),
            cs_database_url: CUSTOMER_SUCCESS.default_database_url.to_owned(),
            metrics_bind: None,
        })
    }
}
