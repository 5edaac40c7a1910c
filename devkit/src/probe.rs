//! A test caller for Nexus: a tiny workflow that calls one operation and reports
//! exactly what its caller saw, plus a helper that runs it in a namespace and returns
//! the outcome and the workflow's history.
//!
//! Handler tests use it to see a Nexus service as a real caller does: through an
//! endpoint, from a workflow, with the server in between.

// `#[workflow_methods]` adds undocumented marker consts (`NexusProbe::run`).
#![allow(missing_docs)]

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use temporalio_client::{
    Client, ClientOptions, WorkflowFetchHistoryOptions, WorkflowGetResultOptions,
    WorkflowStartOptions,
};
use temporalio_common::protos::coresdk::nexus::nexus_operation_result::Status;
use temporalio_common::protos::coresdk::{AsJsonPayloadExt, FromJsonPayloadExt};
use temporalio_common::protos::temporal::api::common::v1::Payload;
use temporalio_common::protos::temporal::api::failure::v1::Failure;
use temporalio_common::protos::temporal::api::failure::v1::failure::FailureInfo;
use temporalio_common::protos::temporal::api::history::v1::HistoryEvent;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ApplicationFailure, NexusOperationOptions, Runtime, Worker, WorkerOptions, WorkflowContext,
    WorkflowResult,
};

use crate::dev_server::DevServer;

/// What the probe calls.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeRequest {
    /// Endpoint name.
    pub endpoint: String,
    /// Service name.
    pub service: String,
    /// Operation name.
    pub operation: String,
    /// The operation's input, sent as `json/plain`.
    pub input: serde_json::Value,
    /// Sent instead of `input` when set: what a buggy or hostile caller could put on
    /// the wire.
    #[serde(default)]
    pub raw_input: Option<RawInput>,
    /// Schedule-to-close timeout of the operation, in seconds.
    pub timeout_secs: u64,
    /// Cancel the operation as soon as it has started.
    pub cancel_after_start: bool,
}

impl ProbeRequest {
    /// A call of `service/operation` on `endpoint` with `input`, 30 s to complete.
    pub fn new(endpoint: &str, service: &str, operation: &str, input: serde_json::Value) -> Self {
        Self {
            endpoint: endpoint.to_owned(),
            service: service.to_owned(),
            operation: operation.to_owned(),
            input,
            raw_input: None,
            timeout_secs: 30,
            cancel_after_start: false,
        }
    }

    /// This call, sending `raw` instead of a JSON input.
    pub fn with_raw_input(mut self, raw: RawInput) -> Self {
        self.raw_input = Some(raw);
        self
    }
}

/// An operation input as raw as the wire allows: any bytes, any encoding, or no
/// payload at all.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RawInput {
    /// `None` sends the operation no input payload.
    pub payload: Option<RawPayload>,
}

/// One payload: its `encoding` metadata (`None` leaves the metadata empty) and bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RawPayload {
    /// The `encoding` metadata.
    pub encoding: Option<String>,
    /// The bytes.
    pub data: Vec<u8>,
}

impl RawInput {
    /// `data` with `encoding`.
    pub fn bytes(encoding: &str, data: &[u8]) -> Self {
        Self {
            payload: Some(RawPayload {
                encoding: Some(encoding.to_owned()),
                data: data.to_vec(),
            }),
        }
    }

    /// `data` with no metadata at all.
    pub fn without_metadata(data: &[u8]) -> Self {
        Self {
            payload: Some(RawPayload {
                encoding: None,
                data: data.to_vec(),
            }),
        }
    }

    /// No input payload.
    pub fn nothing() -> Self {
        Self { payload: None }
    }

    fn into_payload(self) -> Option<Payload> {
        self.payload.map(|raw| Payload {
            metadata: raw
                .encoding
                .map(|encoding| HashMap::from([("encoding".to_owned(), encoding.into_bytes())]))
                .unwrap_or_default(),
            data: raw.data,
            ..Default::default()
        })
    }
}

/// What the caller saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeOutcome {
    /// `completed`, `start_failed`, `failed`, `canceled` or `timed_out`.
    pub outcome: String,
    /// The operation's output, when completed.
    pub output: Option<serde_json::Value>,
    /// The operation token, when the operation started asynchronously.
    pub operation_token: Option<String>,
    /// The failure chain, outermost first: `kind: message` per level, where kind is
    /// the failure info (`NexusHandlerFailure(BAD_REQUEST, NonRetryable)`,
    /// `ApplicationFailure`, ...).
    pub failures: Vec<String>,
}

impl ProbeOutcome {
    fn new(outcome: &str, token: Option<String>) -> Self {
        Self {
            outcome: outcome.to_owned(),
            output: None,
            operation_token: token,
            failures: Vec::new(),
        }
    }

    fn failed(outcome: &str, token: Option<String>, failure: &Failure) -> Self {
        Self {
            failures: failure_chain(failure),
            ..Self::new(outcome, token)
        }
    }

    /// The failure chain as one string, for `contains` assertions.
    pub fn failure_text(&self) -> String {
        self.failures.join(" <- ")
    }
}

fn failure_chain(failure: &Failure) -> Vec<String> {
    let mut chain = Vec::new();
    let mut current = Some(failure);
    while let Some(failure) = current {
        let kind = match &failure.failure_info {
            Some(FailureInfo::NexusHandlerFailureInfo(info)) => {
                format!(
                    "NexusHandlerFailure({}, {:?})",
                    info.r#type,
                    info.retry_behavior()
                )
            }
            Some(FailureInfo::ApplicationFailureInfo(info)) => {
                format!("ApplicationFailure(non_retryable={})", info.non_retryable)
            }
            Some(FailureInfo::NexusOperationExecutionFailureInfo(_)) => {
                "NexusOperationFailure".into()
            }
            Some(FailureInfo::CanceledFailureInfo(_)) => "CanceledFailure".into(),
            Some(FailureInfo::TimeoutFailureInfo(_)) => "TimeoutFailure".into(),
            Some(other) => format!("{other:?}").chars().take(40).collect(),
            None => "Failure".into(),
        };
        chain.push(format!("{kind}: {}", failure.message));
        current = failure.cause.as_deref();
    }
    chain
}

/// The probe workflow.
#[workflow]
#[derive(Default)]
pub struct NexusProbe;

#[workflow_methods]
impl NexusProbe {
    /// Calls the operation and reports the outcome; never fails itself.
    #[run]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        request: ProbeRequest,
    ) -> WorkflowResult<ProbeOutcome> {
        let input = match request.raw_input.clone() {
            Some(raw) => raw.into_payload(),
            None => Some(
                request
                    .input
                    .as_json_payload()
                    .map_err(ApplicationFailure::from)?,
            ),
        };
        let mut options = NexusOperationOptions::builder()
            .endpoint(request.endpoint.clone())
            .service(request.service.clone())
            .operation(request.operation.clone())
            .schedule_to_close_timeout(Duration::from_secs(request.timeout_secs))
            .build();
        options.input = input;
        let started = match ctx.start_nexus_operation(options).await {
            Ok(started) => started,
            Err(failure) => return Ok(ProbeOutcome::failed("start_failed", None, &failure)),
        };
        let token = started.operation_token.clone();
        if request.cancel_after_start {
            started.cancel();
        }
        let result = started.result().await;
        Ok(match result.status {
            Some(Status::Completed(payload)) => ProbeOutcome {
                output: Some(
                    serde_json::Value::from_json_payload(&payload)
                        .map_err(|err| ApplicationFailure::new(err.to_string()))?,
                ),
                ..ProbeOutcome::new("completed", token)
            },
            Some(Status::Failed(failure)) => ProbeOutcome::failed("failed", token, &failure),
            Some(Status::Cancelled(failure)) => ProbeOutcome::failed("canceled", token, &failure),
            Some(Status::TimedOut(failure)) => ProbeOutcome::failed("timed_out", token, &failure),
            None => ProbeOutcome::new("empty", token),
        })
    }
}

/// One probe run: what the caller saw, and its workflow's history.
#[derive(Debug)]
pub struct ProbeRun {
    /// The probe workflow's id.
    pub workflow_id: String,
    /// What the caller saw.
    pub outcome: ProbeOutcome,
    /// The probe workflow's history (`NexusOperationScheduled`, ...).
    pub history: Vec<HistoryEvent>,
}

impl ProbeRun {
    /// Names of the Nexus events in the history, in order (`NexusOperationScheduled`, ...).
    pub fn nexus_events(&self) -> Vec<String> {
        self.history
            .iter()
            .map(|event| format!("{:?}", event.event_type()))
            .filter(|name| name.starts_with("NexusOperation"))
            .collect()
    }
}

/// Runs the probe as a workflow in `namespace` and waits for its outcome.
///
/// Starts an SDK worker for the probe on a task queue of its own, so probes in one
/// test binary do not steal each other's tasks.
pub async fn run_probe(
    server: &DevServer,
    namespace: &str,
    request: ProbeRequest,
) -> anyhow::Result<ProbeRun> {
    let unique = unique_suffix();
    let task_queue = format!("nexus-probe-{unique}");
    let workflow_id = format!("nexus-probe-{}-{unique}", request.operation);
    let connection = server.connect("nexus-probe").await?;
    let client = Client::new(connection, ClientOptions::new(namespace).build())
        .context("creating the probe client")?;
    let runtime = Runtime::from_current_tokio(Default::default()).context("probe runtime")?;
    let options = WorkerOptions::new(task_queue.clone())
        .register_workflow::<NexusProbe>()
        .context("registering the probe workflow")?
        .build();
    let mut worker = Worker::new(&runtime, client.clone(), options).context("probe worker")?;
    let stop_worker = worker.shutdown_handle();

    let drive = async {
        let result = async {
            let handle = client
                .start_workflow(
                    NexusProbe::run,
                    request,
                    WorkflowStartOptions::new(task_queue.clone(), workflow_id.clone()).build(),
                )
                .await
                .context("starting the probe")?;
            let outcome = handle
                .get_result(WorkflowGetResultOptions::default())
                .await
                .context("waiting for the probe's outcome")?;
            let history = handle
                .fetch_history(WorkflowFetchHistoryOptions::default())
                .into_events()
                .await
                .context("fetching the probe's history")?;
            anyhow::Ok((outcome, history))
        }
        .await;
        stop_worker();
        result
    };
    let (worker_result, drive_result) = tokio::join!(worker.run(), drive);
    let (outcome, history) = drive_result?;
    worker_result.context("probe worker")?;
    Ok(ProbeRun {
        workflow_id,
        outcome,
        history,
    })
}

/// A suffix unique within this machine for a while: process id and a clock reading.
pub fn unique_suffix() -> String {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() % 1_000_000_000_000)
        .unwrap_or_default();
    let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}-{nanos}-{count}", std::process::id())
}
