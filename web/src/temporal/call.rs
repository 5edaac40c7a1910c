//! What every call to Temporal shares: its timeout, how its status reads, and the
//! count of history reads. A leaf: the gateway and each view use it, and it uses none
//! of them.

use std::sync::Arc;
use std::time::Duration;

use service_kit::telemetry::Timed;
use temporalio_client::tonic::{Code, Response, Status};
use temporalio_common::telemetry::metrics::CoreMeter;

use super::error::TemporalError;

/// How long any one call to Temporal may take.
pub(super) const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// `dashboard_history_reads_total` and `_duration_seconds`, by `read`: `running` (the
/// first view of a running run), `closed` (the first view of a closed run) or `watch`
/// (one long poll of a watched run). They grow with the runs viewed, not with the
/// views: the point of the watch and of keeping closed runs.
#[derive(Debug, Clone)]
pub(super) struct HistoryReads(Option<Timed>);

impl HistoryReads {
    /// Counts on `meter`, when given.
    pub(super) fn new(meter: Option<Arc<dyn CoreMeter>>) -> Self {
        Self(meter.map(|meter| {
            Timed::new(
                meter,
                "dashboard_history_reads",
                "Workflow histories the dashboard read, by read: running, closed or watch",
            )
        }))
    }

    /// Counts one read of kind `read` that took `took`.
    pub(super) fn record(&self, read: &'static str, took: Duration) {
        if let Some(timed) = &self.0 {
            timed.record(&[("read", read)], took);
        }
    }
}

/// A raw gRPC call under [`CALL_TIMEOUT`], its status sorted into "unreachable" and
/// "refused".
pub(super) async fn timed<T>(
    doing: &'static str,
    call: impl Future<Output = Result<Response<T>, Status>>,
) -> Result<T, TemporalError> {
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Err(_) => Err(TemporalError::Unreachable(format!("{doing} timed out"))),
        Ok(Err(status)) => Err(from_status(doing, status)),
        Ok(Ok(response)) => Ok(response.into_inner()),
    }
}

/// A refusal, unless the status says the server could not be reached.
pub(super) fn from_status(doing: &'static str, status: Status) -> TemporalError {
    if matches!(status.code(), Code::Unavailable | Code::DeadlineExceeded) {
        TemporalError::Unreachable(status.message().to_owned())
    } else {
        TemporalError::Refused { doing, status }
    }
}
