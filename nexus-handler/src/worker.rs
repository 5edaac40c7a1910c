//! The Nexus worker: polls a task queue for Nexus tasks and dispatches them.
//!
//! The Rust SDK's high-level `Worker` does not handle Nexus tasks, so this worker is
//! built on `temporalio-sdk-core` directly, configured for Nexus tasks only. It can
//! share a task queue (and a connection) with an SDK workflow worker, as the two poll
//! for different task types.
//!
//! The loop: `poll_nexus_task` → spawn a handler for the task (at most
//! `max_concurrent_tasks` at a time) → `complete_nexus_task` with its answer. A
//! `CancelTask` from core aborts the handler: core sends one when the request's
//! deadline (`request_deadline` on the task, also in the handler's
//! [`OperationContext::deadline`]) passes, since the server no longer waits for the
//! answer and retries the request if the caller's deadline allows, or when we are
//! shutting down. On shutdown the worker stops polling, lets in-flight handlers finish,
//! then shuts core down.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use temporalio_client::{Client, ClientOptions, Connection};
use temporalio_common::protos::coresdk::nexus::{
    NexusTask, NexusTaskCompletion, nexus_task, nexus_task_completion,
};
use temporalio_common::protos::temporal::api::nexus::v1::{
    CancelOperationResponse, Response, StartOperationResponse, request, response,
    start_operation_response,
};
use temporalio_common::protos::temporal::api::workflowservice::v1::PollNexusTaskQueueResponse;
use temporalio_common::telemetry::TelemetryOptions;
use temporalio_common::telemetry::metrics::{
    CoreMeter, Counter, HistogramDuration, MetricKeyValue, MetricParameters, NewAttributes,
};
use temporalio_common::worker::WorkerTaskTypes;
use temporalio_sdk_core::{
    CoreRuntime, PollError, PollerBehavior, RuntimeOptions, Worker as CoreWorker, WorkerConfig,
    WorkerVersioningStrategy, init_worker,
};
use tokio::sync::Semaphore;
use tokio::task::{AbortHandle, JoinSet};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::caller::{CallerInfo, CallerPolicy};
use crate::context::OperationContext;
use crate::dispatch::Dispatch;
use crate::error::{HandlerError, HandlerErrorKind};
use crate::services::{NexusServices, StartOutcome};
use crate::workflow_run::WorkflowStarter;

/// How a [`NexusWorker`] runs.
#[derive(Debug, Clone)]
pub struct NexusWorkerOptions {
    /// Namespace the worker polls (the endpoint's target namespace).
    pub namespace: String,
    /// Task queue the worker polls (the endpoint's target task queue).
    pub task_queue: String,
    /// Handlers running at once; more tasks wait in the server's queue.
    pub max_concurrent_tasks: usize,
    /// Which callers are served.
    pub caller_policy: CallerPolicy,
    /// Identity reported to the server (shows in the Web UI's worker list).
    pub identity: String,
    /// How long in-flight handlers get to finish on shutdown.
    pub graceful_shutdown: Duration,
    /// Where metrics go (the SDK's Nexus task metrics, and `nexus_operations_total` and
    /// `nexus_operations_duration_seconds` by service, operation and outcome); `None`:
    /// nowhere.
    pub metrics: Option<Arc<dyn CoreMeter>>,
}

impl NexusWorkerOptions {
    /// Defaults: 32 concurrent handlers, 10 s graceful shutdown.
    pub fn new(
        namespace: impl Into<String>,
        task_queue: impl Into<String>,
        caller_policy: CallerPolicy,
        identity: impl Into<String>,
    ) -> Self {
        Self {
            namespace: namespace.into(),
            task_queue: task_queue.into(),
            max_concurrent_tasks: 32,
            caller_policy,
            identity: identity.into(),
            graceful_shutdown: Duration::from_secs(10),
            metrics: None,
        }
    }
}

/// A worker that serves [`NexusServices`] on one task queue.
pub struct NexusWorker {
    // Field order matters for drop: the worker before the runtime it runs on.
    core: Arc<CoreWorker>,
    _runtime: CoreRuntime,
    shared: Arc<Shared>,
    options: NexusWorkerOptions,
}

/// What every task handler needs.
struct Shared {
    dispatch: Dispatch,
    /// A client for the worker's namespace, handed to handlers in their context.
    client: Client,
    /// Abort handles of running handlers, by task token, for core's `CancelTask`.
    running: Mutex<HashMap<Vec<u8>, AbortHandle>>,
    metrics: Option<NexusMetrics>,
}

impl NexusWorker {
    /// Creates the worker and checks that its namespace exists. Must be called inside
    /// a Tokio runtime.
    pub async fn new(
        connection: Connection,
        options: NexusWorkerOptions,
        services: NexusServices,
    ) -> anyhow::Result<Self> {
        let telemetry = TelemetryOptions::builder()
            .maybe_metrics(options.metrics.clone())
            .build();
        let runtime_options = RuntimeOptions::builder()
            .telemetry_options(telemetry)
            .build()
            .map_err(anyhow::Error::msg)?;
        let runtime =
            CoreRuntime::new_assume_tokio(runtime_options).context("creating the core runtime")?;
        let config = WorkerConfig::builder()
            .namespace(options.namespace.clone())
            .task_queue(options.task_queue.clone())
            .task_types(WorkerTaskTypes::nexus_only())
            .versioning_strategy(WorkerVersioningStrategy::None {
                build_id: format!("{}-{}", options.task_queue, env!("CARGO_PKG_VERSION")),
            })
            .client_identity_override(options.identity.clone())
            .max_outstanding_nexus_tasks(options.max_concurrent_tasks)
            .nexus_task_poller_behavior(PollerBehavior::SimpleMaximum(
                options.max_concurrent_tasks.clamp(1, 4),
            ))
            .graceful_shutdown_period(options.graceful_shutdown)
            .build()
            .map_err(anyhow::Error::msg)
            .context("configuring the Nexus worker")?;
        let core = init_worker(&runtime, config, connection.clone())
            .context("creating the Nexus worker")?;
        core.validate().await.with_context(|| {
            format!(
                "validating the Nexus worker for namespace {}",
                options.namespace
            )
        })?;
        let client = Client::new(
            connection.clone(),
            ClientOptions::new(options.namespace.clone()).build(),
        )
        .context("creating the handlers' Temporal client")?;
        let starter = WorkflowStarter::new(
            connection.workflow_service(),
            options.namespace.clone(),
            options.identity.clone(),
        );
        Ok(Self {
            core: Arc::new(core),
            _runtime: runtime,
            shared: Arc::new(Shared {
                dispatch: Dispatch {
                    services,
                    policy: options.caller_policy.clone(),
                    starter: Arc::new(starter),
                },
                client,
                running: Mutex::new(HashMap::new()),
                metrics: options.metrics.clone().map(NexusMetrics::new),
            }),
            options,
        })
    }

    /// Serves until `shutdown` resolves, then finishes in-flight tasks and stops.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(
            namespace = %self.options.namespace,
            task_queue = %self.options.task_queue,
            operations = ?self.shared.dispatch.services.names(),
            callers = ?self.shared.dispatch.policy,
            "Nexus worker polling"
        );
        // Shutdown is a separate task so the poll below is never dropped mid-way
        // (a dropped poll could lose a task it had already taken).
        let core = Arc::clone(&self.core);
        let stopper = tokio::spawn(async move {
            shutdown.await;
            core.initiate_shutdown();
        });

        let permits = Arc::new(Semaphore::new(self.options.max_concurrent_tasks.max(1)));
        let mut in_flight = JoinSet::new();
        let result = loop {
            while in_flight.try_join_next().is_some() {}
            let task = match self.core.poll_nexus_task().await {
                Ok(task) => task,
                Err(PollError::ShutDown) => break Ok(()),
                Err(err) => break Err(anyhow::Error::new(err).context("polling for Nexus tasks")),
            };
            let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
                break Ok(());
            };
            self.dispatch(task, permit, &mut in_flight);
        };

        let drained = tokio::time::timeout(self.options.graceful_shutdown, async {
            while in_flight.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!("in-flight Nexus tasks did not finish in time; abandoning them");
            in_flight.abort_all();
        }
        stopper.abort();
        self.core.shutdown().await;
        if let Ok(core) = Arc::try_unwrap(self.core) {
            core.finalize_shutdown().await;
        }
        tracing::info!(task_queue = %self.options.task_queue, "Nexus worker stopped");
        result
    }

    fn dispatch(
        &self,
        task: NexusTask,
        permit: tokio::sync::OwnedSemaphorePermit,
        in_flight: &mut JoinSet<()>,
    ) {
        let NexusTask {
            variant,
            request_deadline,
            endpoint,
        } = task;
        match variant {
            Some(nexus_task::Variant::Task(poll)) => {
                let token = poll.task_token.clone();
                let core = Arc::clone(&self.core);
                let shared = Arc::clone(&self.shared);
                let deadline = request_deadline.and_then(|t| SystemTime::try_from(t).ok());
                let handle = in_flight.spawn(async move {
                    let token = poll.task_token.clone();
                    let status = handle_task(&shared, poll, endpoint, deadline).await;
                    shared.running_remove(&token);
                    let completion = NexusTaskCompletion {
                        task_token: token,
                        status: Some(status),
                    };
                    if let Err(err) = core.complete_nexus_task(completion).await {
                        tracing::error!(error = %err, "completing a Nexus task");
                    }
                    drop(permit);
                });
                self.shared.running_insert(token, handle);
            }
            Some(nexus_task::Variant::CancelTask(cancel)) => {
                // Core says the server no longer waits for this task: stop its handler.
                if let Some(handle) = self.shared.running_remove(&cancel.task_token) {
                    handle.abort();
                }
                tracing::info!(reason = ?cancel.reason(), "Nexus task canceled by core");
                let core = Arc::clone(&self.core);
                in_flight.spawn(async move {
                    let completion = NexusTaskCompletion {
                        task_token: cancel.task_token,
                        status: Some(nexus_task_completion::Status::AckCancel(true)),
                    };
                    if let Err(err) = core.complete_nexus_task(completion).await {
                        tracing::debug!(error = %err, "acknowledging a Nexus task cancel");
                    }
                    drop(permit);
                });
            }
            None => drop(permit),
        }
    }
}

impl Shared {
    fn running_insert(&self, token: Vec<u8>, handle: AbortHandle) {
        if let Ok(mut running) = self.running.lock() {
            running.insert(token, handle);
        }
    }

    fn running_remove(&self, token: &[u8]) -> Option<AbortHandle> {
        self.running.lock().ok()?.remove(token)
    }
}

/// Runs one task to the status core sends back to the server.
async fn handle_task(
    shared: &Shared,
    poll: PollNexusTaskQueueResponse,
    endpoint: String,
    deadline: Option<SystemTime>,
) -> nexus_task_completion::Status {
    let Some(request) = poll.request else {
        return failure_status(HandlerError::bad_request("Nexus task without a request"));
    };
    match request.variant {
        Some(request::Variant::StartOperation(start)) => {
            let caller = CallerInfo::from_links(&start.links);
            let span = tracing::info_span!(
                "nexus_start",
                endpoint = %endpoint,
                service = %start.service,
                operation = %start.operation,
                request_id = %start.request_id,
                caller_namespace = caller.as_ref().map_or("", |c| c.namespace.as_str()),
                // The caller's trace context, so logs can be joined to its trace.
                traceparent = request.header.get("traceparent").map_or("", String::as_str),
                otel.kind = "server",
            );
            // The caller's span (step 8, or a launch's call) is this span's parent.
            let _ = span.set_parent(crate::trace::parent_from_nexus_header(&request.header));
            let started = Instant::now();
            let (service, operation) = (start.service.clone(), start.operation.clone());
            let context = OperationContext {
                endpoint,
                service: start.service,
                operation: start.operation,
                request_id: start.request_id,
                caller,
                headers: request.header,
                deadline,
                links: start.links,
                callback_url: start.callback,
                callback_headers: start.callback_header,
                client: Some(shared.client.clone()),
            };
            let outcome = shared
                .dispatch
                .start(context, start.payload)
                .instrument(span.clone())
                .await;
            span.in_scope(|| log_outcome(&outcome));
            if let Some(metrics) = &shared.metrics {
                metrics.record(
                    &service,
                    &operation,
                    outcome_label(&outcome),
                    started.elapsed(),
                );
            }
            start_status(outcome)
        }
        Some(request::Variant::CancelOperation(cancel)) => {
            // A cancel passes the same policy as a start: the caller it names, if any,
            // and the caller that started the operation, as the start recorded it.
            let asking = CallerInfo::from_link_headers(&request.header);
            let span = tracing::info_span!(
                "nexus_cancel",
                endpoint = %endpoint,
                service = %cancel.service,
                operation = %cancel.operation,
                caller_namespace = asking.as_ref().map_or("", |c| c.namespace.as_str()),
            );
            let token = if cancel.operation_token.is_empty() {
                #[allow(deprecated)]
                cancel.operation_id
            } else {
                cancel.operation_token
            };
            let result = shared
                .dispatch
                .cancel(&cancel.service, &cancel.operation, token, asking)
                .instrument(span.clone())
                .await;
            match result {
                Ok(()) => completed(response::Variant::CancelOperation(
                    CancelOperationResponse {},
                )),
                Err(err) => {
                    span.in_scope(
                        || tracing::warn!(error = %err, "Nexus cancel refused or failed"),
                    );
                    failure_status(err)
                }
            }
        }
        None => failure_status(HandlerError::bad_request(
            "Nexus request without an operation",
        )),
    }
}

fn log_outcome(outcome: &Result<StartOutcome, HandlerError>) {
    match outcome {
        Ok(StartOutcome::Sync(_)) => tracing::info!("Nexus operation answered"),
        Ok(StartOutcome::Async { .. }) => tracing::info!("Nexus operation started"),
        Err(err) if err.is_retryable() => {
            tracing::warn!(error = %err, "Nexus operation will be retried")
        }
        Err(err) if is_refusal(err) => tracing::warn!(reason = %err, "Nexus caller refused"),
        Err(err) => tracing::info!(error = %err, "Nexus operation refused or failed"),
    }
}

/// The `outcome` label of `nexus_operations_total`.
fn outcome_label(outcome: &Result<StartOutcome, HandlerError>) -> &'static str {
    match outcome {
        Ok(StartOutcome::Sync(_)) => "answered",
        Ok(StartOutcome::Async { .. }) => "started",
        Err(err) if err.is_operation_outcome() => "operation_failed",
        Err(err) if err.is_retryable() => "retryable_error",
        Err(err) if is_refusal(err) => "refused",
        Err(_) => "rejected",
    }
}

/// The caller policy said no.
fn is_refusal(err: &HandlerError) -> bool {
    matches!(
        err,
        HandlerError::Handler {
            kind: HandlerErrorKind::Unauthorized,
            ..
        }
    )
}

/// The handler's metrics: `nexus_operations_total` and
/// `nexus_operations_duration_seconds` by service, operation and outcome. (The SDK's
/// own `temporal_nexus_task_*` series count tasks, without those labels.)
struct NexusMetrics {
    meter: Arc<dyn CoreMeter>,
    count: Counter,
    duration: HistogramDuration,
}

impl NexusMetrics {
    const DESCRIPTION: &'static str =
        "Nexus start requests handled, by service, operation and outcome";

    fn new(meter: Arc<dyn CoreMeter>) -> Self {
        let parameters = |name: &'static str| {
            MetricParameters::builder()
                .name(name)
                .description(Self::DESCRIPTION)
                .build()
        };
        Self {
            count: meter.counter(parameters("nexus_operations")),
            duration: meter.histogram_duration(parameters("nexus_operations_duration")),
            meter,
        }
    }

    fn record(&self, service: &str, operation: &str, outcome: &str, took: Duration) {
        let labels = [
            ("nexus_service", service),
            ("nexus_operation", operation),
            ("outcome", outcome),
        ]
        .map(|(key, value)| MetricKeyValue::new(key, value.to_owned()));
        let attributes = self
            .meter
            .new_attributes(NewAttributes::from(labels.to_vec()));
        self.count.add(1, &attributes);
        self.duration.record(took, &attributes);
    }
}

fn start_status(outcome: Result<StartOutcome, HandlerError>) -> nexus_task_completion::Status {
    let variant = match outcome {
        Ok(StartOutcome::Sync(payload)) => {
            start_operation_response::Variant::SyncSuccess(start_operation_response::Sync {
                payload: Some(payload),
                links: Vec::new(),
            })
        }
        Ok(StartOutcome::Async { token, links }) => {
            #[allow(deprecated)]
            let started = start_operation_response::Async {
                operation_id: String::new(),
                links,
                operation_token: token,
            };
            start_operation_response::Variant::AsyncSuccess(started)
        }
        // The operation ran and failed: an operation outcome, not a handler error.
        Err(err) if err.is_operation_outcome() => {
            start_operation_response::Variant::Failure(err.into_failure())
        }
        Err(err) => return failure_status(err),
    };
    completed(response::Variant::StartOperation(StartOperationResponse {
        variant: Some(variant),
    }))
}

fn completed(variant: response::Variant) -> nexus_task_completion::Status {
    nexus_task_completion::Status::Completed(Response {
        variant: Some(variant),
    })
}

fn failure_status(err: HandlerError) -> nexus_task_completion::Status {
    nexus_task_completion::Status::Failure(err.into_failure())
}
