//! Starting and cancelling the workflows behind async operations.
//!
//! The start request carries four things that make the operation work end to end:
//!
//! - `request_id` = the Nexus request id, so a start the server retries (because our
//!   answer was lost, say) finds the run it already started instead of a second one;
//! - a `completion_callback` with the URL and headers the server gave us, plus the
//!   operation token: when the workflow closes, the server completes the caller's
//!   operation with the workflow's result;
//! - `links` to the caller's event, so the backing run's history points at its caller;
//! - and we answer with a link to the run's first event, so the caller's
//!   `NexusOperationStarted` event points at the run.

use std::collections::HashMap;

use temporalio_client::grpc::WorkflowService;
use temporalio_client::tonic::{Code, IntoRequest, Status};
use temporalio_common::protos::coresdk::AsJsonPayloadExt;
use temporalio_common::protos::temporal::api::common::v1::{
    Callback, Link as CommonLink, Payloads, SearchAttributes, WorkflowExecution, WorkflowType,
    callback, link as common_link,
};
use temporalio_common::protos::temporal::api::nexus::v1::{Link, workflow_event_link_from_nexus};
use temporalio_common::protos::temporal::api::taskqueue::v1::TaskQueue;
use temporalio_common::protos::temporal::api::workflowservice::v1::{
    DescribeWorkflowExecutionRequest, RequestCancelWorkflowExecutionRequest,
    StartWorkflowExecutionRequest,
};

use crate::caller::CallerInfo;
use crate::context::OperationContext;
use crate::error::HandlerError;
use crate::token::WorkflowRunToken;

/// The header that carries the operation token on completion callbacks.
const OPERATION_TOKEN_HEADER: &str = "Nexus-Operation-Token";

/// The `type` of a link to a workflow history event, as every Temporal SDK writes it.
pub(crate) const WORKFLOW_EVENT_LINK_TYPE: &str = "temporal.api.common.v1.Link.WorkflowEvent";

/// The run a workflow-run operation starts: the handler's answer. The workflow's type
/// comes from the workflow it was registered with ([`crate::NexusServices::workflow_run`]),
/// and `input` has that workflow's input type.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowStart<I> {
    /// Workflow id. Derive it from the input and the request id, so it is unique per
    /// operation and stable across retries.
    pub workflow_id: String,
    /// Task queue of the worker that runs the workflow.
    pub task_queue: String,
    /// The workflow's input, sent as `json/plain`.
    pub input: I,
    /// Keyword search attributes set at start (name → value), so the run is listed
    /// by them from its first event, before a worker has picked it up.
    pub search_attributes: Vec<(String, String)>,
}

impl<I> WorkflowStart<I> {
    /// Starts the workflow as `workflow_id` on `task_queue` with `input`.
    pub fn new(workflow_id: impl Into<String>, task_queue: impl Into<String>, input: I) -> Self {
        Self {
            workflow_id: workflow_id.into(),
            task_queue: task_queue.into(),
            input,
            search_attributes: Vec::new(),
        }
    }

    /// Also sets the Keyword search attribute `name` to `value` at start.
    #[must_use]
    pub fn keyword(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.search_attributes.push((name.into(), value.into()));
        self
    }
}

impl<I: serde::Serialize> WorkflowStart<I> {
    /// The same start with its input as JSON, as the start request carries it.
    pub(crate) fn into_json(self) -> Result<WorkflowStart<serde_json::Value>, HandlerError> {
        let input = serde_json::to_value(&self.input).map_err(|err| {
            HandlerError::permanent_internal(format!("encoding the workflow input: {err}"))
        })?;
        Ok(WorkflowStart {
            workflow_id: self.workflow_id,
            task_queue: self.task_queue,
            input,
            search_attributes: self.search_attributes,
        })
    }
}

/// Starts and cancels backing workflows in the handler's own namespace, through the
/// client's `WorkflowService` (the test harness gives it an in-memory one).
#[derive(Clone)]
pub(crate) struct WorkflowStarter {
    service: Box<dyn WorkflowService>,
    namespace: String,
    identity: String,
}

impl WorkflowStarter {
    pub(crate) fn new(
        service: Box<dyn WorkflowService>,
        namespace: String,
        identity: String,
    ) -> Self {
        Self {
            service,
            namespace,
            identity,
        }
    }

    /// Starts the workflow of type `workflow_type`; returns the operation token and a
    /// link to the run.
    pub(crate) async fn start(
        &self,
        context: &OperationContext,
        workflow_type: &str,
        start: WorkflowStart<serde_json::Value>,
    ) -> Result<(String, Vec<Link>), HandlerError> {
        let token = WorkflowRunToken::new(&self.namespace, &start.workflow_id).encode();
        let input = start.input.as_json_payload().map_err(|err| {
            HandlerError::permanent_internal(format!("encoding the workflow input: {err}"))
        })?;
        let caller_links: Vec<CommonLink> = context
            .links
            .iter()
            .filter_map(|link| workflow_event_link_from_nexus(link).ok())
            .collect();
        let search_attributes = start
            .search_attributes
            .iter()
            .map(|(name, value)| {
                let payload = value.as_json_payload().map_err(|err| {
                    HandlerError::permanent_internal(format!(
                        "encoding the search attribute {name}: {err}"
                    ))
                })?;
                Ok((name.clone(), payload))
            })
            .collect::<Result<HashMap<_, _>, HandlerError>>()?;
        let mut callback_header: HashMap<String, String> = context.callback_headers.clone();
        callback_header.insert(OPERATION_TOKEN_HEADER.to_owned(), token.clone());
        let request = StartWorkflowExecutionRequest {
            namespace: self.namespace.clone(),
            workflow_id: start.workflow_id.clone(),
            workflow_type: Some(WorkflowType {
                name: workflow_type.to_owned(),
            }),
            task_queue: Some(TaskQueue {
                name: start.task_queue.clone(),
                ..Default::default()
            }),
            input: Some(Payloads {
                payloads: vec![input],
            }),
            identity: self.identity.clone(),
            request_id: context.request_id.clone(),
            completion_callbacks: vec![Callback {
                variant: Some(callback::Variant::Nexus(callback::Nexus {
                    url: context.callback_url.clone(),
                    header: callback_header,
                })),
                links: caller_links.clone(),
            }],
            links: caller_links,
            search_attributes: (!search_attributes.is_empty()).then_some(SearchAttributes {
                indexed_fields: search_attributes,
            }),
            // The run continues this handler's trace (and so the caller's).
            header: crate::trace::tracer_data_header(),
            ..Default::default()
        };
        let response = self
            .service
            .clone()
            .start_workflow_execution(request.into_request())
            .await
            .map_err(|status| start_error(workflow_type, &start.workflow_id, &status))?
            .into_inner();
        tracing::info!(
            workflow_id = %start.workflow_id,
            run_id = %response.run_id,
            started = response.started,
            "backing workflow {}",
            if response.started { "started" } else { "already running for this request" }
        );
        let link = run_link(&self.namespace, &start.workflow_id, &response.run_id);
        Ok((token, vec![link]))
    }

    /// Cancels the workflow a token names, once it is known to back an operation this
    /// handler started and `authorize` admits the caller that started it.
    ///
    /// The token alone proves nothing: anyone can write `{"t":1,"ns":..,"wid":..}`.
    /// What does is the server's own record of the start: a workflow this handler
    /// started for an operation carries a Nexus completion callback whose
    /// `Nexus-Operation-Token` header is this very token, with links to the calling
    /// workflow. A workflow without one was not started by an operation of this
    /// handler, and a token naming it is refused like a token naming nothing, so a
    /// refusal says nothing about which workflows exist. A workflow that has already
    /// closed has nothing left to cancel, which is success.
    pub(crate) async fn cancel(
        &self,
        token: &str,
        authorize: impl FnOnce(Option<&CallerInfo>) -> Result<(), HandlerError>,
    ) -> Result<(), HandlerError> {
        let decoded = WorkflowRunToken::decode(token)
            .map_err(|err| HandlerError::bad_request(err.to_string()))?;
        if decoded.namespace != self.namespace {
            return Err(HandlerError::bad_request(format!(
                "operation token names namespace {:?}, but this handler serves {:?}",
                decoded.namespace, self.namespace
            )));
        }
        let started_by = self.started_by(&decoded.workflow_id, token).await?;
        authorize(started_by.as_ref())?;
        let request = RequestCancelWorkflowExecutionRequest {
            namespace: self.namespace.clone(),
            workflow_execution: Some(WorkflowExecution {
                workflow_id: decoded.workflow_id.clone(),
                run_id: String::new(),
            }),
            identity: self.identity.clone(),
            reason: "canceled by the Nexus caller".to_owned(),
            ..Default::default()
        };
        match self
            .service
            .clone()
            .request_cancel_workflow_execution(request.into_request())
            .await
        {
            Ok(_) => {
                tracing::info!(workflow_id = %decoded.workflow_id, "backing workflow cancel requested");
                Ok(())
            }
            Err(status) if status.code() == Code::NotFound => {
                tracing::info!(workflow_id = %decoded.workflow_id, "backing workflow already closed");
                Ok(())
            }
            Err(status) => Err(grpc_error(
                &format!("cancelling workflow {}", decoded.workflow_id),
                &status,
            )),
        }
    }

    /// The caller that started the operation `token` names, read from the completion
    /// callback this handler registered with that token (`None` inside when the
    /// operation's caller was unidentified); a `NOT_FOUND` when no workflow of this
    /// namespace carries such a callback.
    async fn started_by(
        &self,
        workflow_id: &str,
        token: &str,
    ) -> Result<Option<CallerInfo>, HandlerError> {
        let unknown =
            || HandlerError::not_found("the operation token names no operation of this handler");
        let request = DescribeWorkflowExecutionRequest {
            namespace: self.namespace.clone(),
            execution: Some(WorkflowExecution {
                workflow_id: workflow_id.to_owned(),
                run_id: String::new(),
            }),
        };
        let description = match self
            .service
            .clone()
            .describe_workflow_execution(request.into_request())
            .await
        {
            Ok(response) => response.into_inner(),
            Err(status) if status.code() == Code::NotFound => return Err(unknown()),
            Err(status) => {
                return Err(grpc_error(
                    &format!("reading workflow {workflow_id}"),
                    &status,
                ));
            }
        };
        let callback = description
            .callbacks
            .into_iter()
            .filter_map(|info| info.callback)
            .find(|callback| match &callback.variant {
                Some(callback::Variant::Nexus(nexus)) => {
                    nexus.header.iter().any(|(name, value)| {
                        name.eq_ignore_ascii_case(OPERATION_TOKEN_HEADER) && value == token
                    })
                }
                _ => false,
            })
            .ok_or_else(unknown)?;
        Ok(callback.links.iter().find_map(|link| match &link.variant {
            Some(common_link::Variant::WorkflowEvent(event)) => Some(CallerInfo {
                namespace: event.namespace.clone(),
                workflow_id: event.workflow_id.clone(),
                run_id: event.run_id.clone(),
            }),
            _ => None,
        }))
    }
}

/// A link to the first event of a run, in the URL form Nexus links use.
pub(crate) fn run_link(namespace: &str, workflow_id: &str, run_id: &str) -> Link {
    Link {
        url: format!(
            "temporal:///namespaces/{}/workflows/{}/{}/history?referenceType=EventReference&eventID=1&eventType=EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
            percent_encode(namespace),
            percent_encode(workflow_id),
            percent_encode(run_id)
        ),
        r#type: WORKFLOW_EVENT_LINK_TYPE.to_owned(),
    }
}

fn start_error(workflow_type: &str, workflow_id: &str, status: &Status) -> HandlerError {
    if status.code() == Code::AlreadyExists {
        // A retry of the same request finds its run (the request id); this is another
        // request naming the same workflow id, which no retry can fix.
        return HandlerError::conflict(format!(
            "workflow {workflow_id} is already running for another request"
        ));
    }
    grpc_error(
        &format!("starting {workflow_type} workflow {workflow_id}"),
        status,
    )
}

/// Maps a server error to a handler error: the caller's mistakes are not retried,
/// everything transient is.
fn grpc_error(doing: &str, status: &Status) -> HandlerError {
    let message = format!("{doing}: {}", status.message());
    match status.code() {
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            HandlerError::bad_request(message)
        }
        Code::NotFound => HandlerError::not_found(message),
        Code::PermissionDenied | Code::Unauthenticated => HandlerError::unauthorized(message),
        Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted | Code::Aborted => {
            HandlerError::unavailable(message)
        }
        _ => HandlerError::retryable_internal(message),
    }
}

/// Escapes what is not unreserved in a URL path segment.
fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_links_parse_back_to_the_run() {
        let link = run_link("gtm", "drew-acme corp/1", "run-1");
        assert_eq!(link.r#type, WORKFLOW_EVENT_LINK_TYPE);
        let parsed = CallerInfo::from_url(&link.url).unwrap();
        assert_eq!(parsed.namespace, "gtm");
        assert_eq!(parsed.workflow_id, "drew-acme corp/1");
        assert_eq!(parsed.run_id, "run-1");
        let common = workflow_event_link_from_nexus(&run_link("gtm", "w", "r")).unwrap();
        assert!(format!("{common:?}").contains("event_id: 1"), "{common:?}");
    }

    #[test]
    fn server_errors_map_by_whose_fault_they_are() {
        let cases = [
            (Code::InvalidArgument, "BAD_REQUEST (non-retryable)"),
            (Code::NotFound, "NOT_FOUND (non-retryable)"),
            (Code::Unavailable, "UNAVAILABLE (retryable)"),
            (Code::Internal, "INTERNAL (retryable)"),
        ];
        for (code, expected) in cases {
            let error = grpc_error("starting x", &Status::new(code, "boom"));
            assert_eq!(error.to_string(), format!("{expected}: starting x: boom"));
        }
        let exists = start_error("T", "w-1", &Status::new(Code::AlreadyExists, "dup"));
        assert_eq!(
            exists.to_string(),
            "CONFLICT (non-retryable): workflow w-1 is already running for another request"
        );
    }
}
