//! The connection to Temporal: made on first use, kept, and shared by every call.
//!
//! Every call has a short timeout and no retry loop: a page should say "Temporal is
//! unreachable" in a second, not hang.

use std::sync::Arc;

use service_kit::TemporalSettings;
use temporalio_client::tonic::Request;
use temporalio_client::{Client, ClientOptions, Connection};
use temporalio_common::protos::temporal::api::workflowservice::v1::GetSystemInfoRequest;
use temporalio_common::telemetry::metrics::CoreMeter;
use tokio::sync::Mutex;

use super::call::{CALL_TIMEOUT, HistoryReads, timed};
use super::error::TemporalError;

/// Where the dashboard finds things in Temporal.
#[derive(Debug, Clone)]
pub struct Placement {
    /// Namespace of coordinator runs (`gtm`).
    pub gtm_namespace: String,
    /// Task queue coordinator runs start on.
    pub gtm_task_queue: String,
    /// Namespace of campaign launches (`marketing`).
    pub marketing_namespace: String,
    /// Task queue campaign launches start on.
    pub marketing_task_queue: String,
    /// Namespace of health monitors (`customer-success`).
    pub cs_namespace: String,
    /// Task queue health monitors start on.
    pub cs_task_queue: String,
}

/// Connection to Temporal, made on first use and kept. What it does is split by
/// feature: `runs.rs` lists, `run.rs` reads one run, `start.rs` starts.
pub struct TemporalGateway {
    pub(super) settings: TemporalSettings,
    pub(super) placement: Placement,
    connection: Mutex<Option<Connection>>,
    /// What closed runs' histories say, so a closed run is read once.
    pub(super) closed_runs: Arc<super::run::ClosedRuns>,
    /// Running runs followed from their histories, so a view reads memory.
    pub(super) live_runs: Arc<super::live::LiveRuns>,
    /// Counts and times the history reads.
    pub(super) history_reads: HistoryReads,
}

impl TemporalGateway {
    /// A gateway that connects with `settings` when first needed, and reports its
    /// history reads on `meter` when given ([`HistoryReads`]).
    pub fn new(
        settings: TemporalSettings,
        placement: Placement,
        meter: Option<Arc<dyn CoreMeter>>,
    ) -> Self {
        let history_reads = HistoryReads::new(meter);
        let closed_runs = Arc::new(super::run::ClosedRuns::default());
        let live_runs = super::live::LiveRuns::new(closed_runs.clone(), history_reads.clone());
        Self {
            settings,
            placement,
            connection: Mutex::new(None),
            closed_runs,
            live_runs: Arc::new(live_runs),
            history_reads,
        }
    }

    /// The namespace coordinator runs live in.
    pub fn namespace(&self) -> &str {
        &self.placement.gtm_namespace
    }

    /// The namespace campaign launches live in.
    pub fn marketing_namespace(&self) -> &str {
        &self.placement.marketing_namespace
    }

    /// The namespace health monitors live in.
    pub fn cs_namespace(&self) -> &str {
        &self.placement.cs_namespace
    }

    pub(super) async fn connection(&self) -> Result<Connection, TemporalError> {
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Ok(connection.clone());
        }
        let connection = tokio::time::timeout(CALL_TIMEOUT, self.settings.connect())
            .await
            .map_err(|_| TemporalError::Unreachable("connection timed out".into()))?
            .map_err(|err| TemporalError::Unreachable(format!("{err:#}")))?;
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// The SDK's high-level client for `namespace`, over the shared connection.
    pub(super) async fn client(&self, namespace: &str) -> Result<Client, TemporalError> {
        let connection = self.connection().await?;
        Client::new(connection, ClientOptions::new(namespace).build())
            .map_err(|err| TemporalError::Unreachable(format!("making a client: {err}")))
    }

    /// True when Temporal answers.
    pub async fn is_reachable(&self) -> bool {
        let Ok(connection) = self.connection().await else {
            return false;
        };
        timed(
            "checking the server",
            connection
                .workflow_service()
                .get_system_info(Request::new(GetSystemInfoRequest::default())),
        )
        .await
        .is_ok()
    }
}
