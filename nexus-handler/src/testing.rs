//! Handlers tested without a server.
//!
//! [`TestHandler`] calls a worker's registered operations the way a Nexus request
//! does: through the caller policy, input decoding and the handler, with a context the
//! test describes (which namespace calls). A workflow-run operation starts its
//! workflow in an in-memory record instead of a server, through the same start request
//! the worker sends, so a test sees the run it would start (type, id, queue, input,
//! search attributes, the caller it links to) and can cancel it with the token it got
//! back, through the same checks a real cancel passes.
//!
//! What it cannot do: run the workflow, or give a handler a Temporal client
//! ([`crate::OperationContext::client`] is `None`). Test those against a server.
//!
//! ```
//! use nexus_handler::testing::{TestHandler, TestStart};
//! use nexus_handler::{CallerPolicy, NexusServices, Operation};
//!
//! const SHOUT: Operation<String, String> = Operation::new("test.v1", "shout");
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let services = NexusServices::new()
//!     .sync(SHOUT, |_context, text: String| async move { Ok(text.to_uppercase()) });
//! let handler = TestHandler::new("team", CallerPolicy::allow_namespaces(["caller"]), services);
//!
//! let answer = handler.start(SHOUT, Some("caller"), &"hi".to_owned()).await.unwrap();
//! assert!(matches!(answer, TestStart::Answered(text) if text == "HI"));
//!
//! let refused = handler.start(SHOUT, Some("stranger"), &"hi".to_owned()).await.unwrap_err();
//! assert!(refused.message().contains("\"stranger\" is not allowed"));
//! # });
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use temporalio_client::grpc::WorkflowService;
use temporalio_client::tonic::{Request, Response, Status};
use temporalio_common::protos::coresdk::AsJsonPayloadExt;
use temporalio_common::protos::temporal::api::common::v1::link;
use temporalio_common::protos::temporal::api::nexus::v1::Link;
use temporalio_common::protos::temporal::api::workflow::v1::CallbackInfo;
use temporalio_common::protos::temporal::api::workflowservice::v1::{
    DescribeWorkflowExecutionRequest, DescribeWorkflowExecutionResponse,
    RequestCancelWorkflowExecutionRequest, RequestCancelWorkflowExecutionResponse,
    StartWorkflowExecutionRequest, StartWorkflowExecutionResponse,
};

use crate::caller::{CallerInfo, CallerPolicy};
use crate::context::OperationContext;
use crate::dispatch::Dispatch;
use crate::error::HandlerError;
use crate::operation::Operation;
use crate::services::{NexusServices, StartOutcome};
use crate::workflow_run::{WORKFLOW_EVENT_LINK_TYPE, WorkflowStarter};

/// How a start ended well.
#[derive(Debug, Clone, PartialEq)]
pub enum TestStart<O> {
    /// A sync operation's output.
    Answered(O),
    /// A workflow-run operation started; cancel it with this token.
    Started {
        /// The operation token the caller would hold.
        token: String,
    },
}

/// A workflow a workflow-run operation started in the in-memory record.
#[derive(Debug, Clone, PartialEq)]
pub struct StartedRun {
    /// Workflow type.
    pub workflow_type: String,
    /// Workflow id.
    pub workflow_id: String,
    /// Task queue.
    pub task_queue: String,
    /// The start's input, as JSON.
    pub input: serde_json::Value,
    /// Keyword search attributes set at start (name → value).
    pub search_attributes: BTreeMap<String, serde_json::Value>,
    /// The namespace of the workflow the run links to as its caller.
    pub caller_namespace: Option<String>,
    /// Whether a cancel reached it.
    pub cancel_requested: bool,
}

/// A worker's operations, served with no server (see the module docs).
pub struct TestHandler {
    dispatch: Dispatch,
    workflows: InMemoryWorkflows,
    requests: AtomicU64,
}

impl TestHandler {
    /// Serves `services` as a worker in `namespace` with `policy` would.
    pub fn new(
        namespace: impl Into<String>,
        policy: CallerPolicy,
        services: NexusServices,
    ) -> Self {
        let workflows = InMemoryWorkflows::default();
        let starter = WorkflowStarter::new(
            Box::new(workflows.clone()),
            namespace.into(),
            "nexus-handler-test".to_owned(),
        );
        Self {
            dispatch: Dispatch {
                services,
                policy,
                starter: Arc::new(starter),
            },
            workflows,
            requests: AtomicU64::new(0),
        }
    }

    /// A start request for `operation` with `input`, from a workflow in
    /// `caller_namespace` (`None`: a request that names no caller).
    pub async fn start<I: Serialize, O: DeserializeOwned>(
        &self,
        operation: Operation<I, O>,
        caller_namespace: Option<&str>,
        input: &I,
    ) -> Result<TestStart<O>, HandlerError> {
        let context = self.context(&operation, caller_namespace);
        self.start_in(operation, context, input).await
    }

    /// The context [`TestHandler::start`] gives a request: a fresh request id, the
    /// caller's workflow link, the callback a server would send. Change it and call
    /// [`TestHandler::start_in`] to test what a handler does with the rest.
    pub fn context<I, O>(
        &self,
        operation: &Operation<I, O>,
        caller_namespace: Option<&str>,
    ) -> OperationContext {
        let request = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let links: Vec<Link> = caller_namespace
            .map(|namespace| Link {
                url: format!(
                    "temporal:///namespaces/{namespace}/workflows/test-caller/test-run/history?referenceType=EventReference&eventID=5&eventType=NexusOperationScheduled"
                ),
                r#type: WORKFLOW_EVENT_LINK_TYPE.to_owned(),
            })
            .into_iter()
            .collect();
        OperationContext {
            endpoint: "test-endpoint".to_owned(),
            service: operation.service.to_owned(),
            operation: operation.name.to_owned(),
            request_id: format!("test-request-{request}"),
            caller: CallerInfo::from_links(&links),
            headers: Default::default(),
            deadline: None,
            links,
            callback_url: "temporal://system".to_owned(),
            callback_headers: Default::default(),
            client: None,
        }
    }

    /// A start request for `operation` with `input`, in `context`.
    pub async fn start_in<I: Serialize, O: DeserializeOwned>(
        &self,
        operation: Operation<I, O>,
        context: OperationContext,
        input: &I,
    ) -> Result<TestStart<O>, HandlerError> {
        let payload = input.as_json_payload().map_err(|err| {
            HandlerError::bad_request(format!("encoding the test input of {operation}: {err}"))
        })?;
        match self.dispatch.start(context, Some(payload)).await? {
            StartOutcome::Sync(payload) => Ok(TestStart::Answered(
                operation
                    .decode_output(&payload.data)
                    .map_err(|err| HandlerError::permanent_internal(err.to_string()))?,
            )),
            StartOutcome::Async { token, .. } => Ok(TestStart::Started { token }),
        }
    }

    /// A cancel request for `operation` with `token`, naming a caller in
    /// `caller_namespace` (`None`: as a workflow's cancel arrives, with no caller).
    pub async fn cancel<I, O>(
        &self,
        operation: Operation<I, O>,
        token: &str,
        caller_namespace: Option<&str>,
    ) -> Result<(), HandlerError> {
        let asking = caller_namespace.map(|namespace| CallerInfo {
            namespace: namespace.to_owned(),
            workflow_id: "test-caller".to_owned(),
            run_id: "test-run".to_owned(),
        });
        self.dispatch
            .cancel(operation.service, operation.name, token.to_owned(), asking)
            .await
    }

    /// Every workflow started so far, by workflow id.
    pub fn started(&self) -> Vec<StartedRun> {
        self.workflows.started()
    }
}

/// Workflows "started" in memory, answering the three calls a workflow-run operation
/// makes; every other call of the service answers its default.
#[derive(Clone, Default)]
struct InMemoryWorkflows {
    runs: Arc<Mutex<BTreeMap<String, Run>>>,
}

struct Run {
    request: StartWorkflowExecutionRequest,
    run_id: String,
    cancel_requested: bool,
}

impl InMemoryWorkflows {
    fn started(&self) -> Vec<StartedRun> {
        let runs = self
            .runs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        runs.values().map(Run::started).collect()
    }

    fn with_run<T>(&self, workflow_id: &str, act: impl FnOnce(&mut Run) -> T) -> Result<T, Status> {
        let mut runs = self
            .runs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        runs.get_mut(workflow_id)
            .map(act)
            .ok_or_else(|| Status::not_found(format!("workflow {workflow_id} not found")))
    }
}

impl Run {
    fn started(&self) -> StartedRun {
        let request = &self.request;
        let json = |payload: &temporalio_common::protos::temporal::api::common::v1::Payload| {
            serde_json::from_slice(&payload.data).unwrap_or(serde_json::Value::Null)
        };
        StartedRun {
            workflow_type: request
                .workflow_type
                .as_ref()
                .map(|t| t.name.clone())
                .unwrap_or_default(),
            workflow_id: request.workflow_id.clone(),
            task_queue: request
                .task_queue
                .as_ref()
                .map(|q| q.name.clone())
                .unwrap_or_default(),
            input: request
                .input
                .as_ref()
                .and_then(|input| input.payloads.first())
                .map_or(serde_json::Value::Null, json),
            search_attributes: request
                .search_attributes
                .as_ref()
                .map(|attributes| {
                    attributes
                        .indexed_fields
                        .iter()
                        .map(|(name, payload)| (name.clone(), json(payload)))
                        .collect()
                })
                .unwrap_or_default(),
            caller_namespace: request.links.iter().find_map(|l| match &l.variant {
                Some(link::Variant::WorkflowEvent(event)) => Some(event.namespace.clone()),
                _ => None,
            }),
            cancel_requested: self.cancel_requested,
        }
    }
}

impl WorkflowService for InMemoryWorkflows {
    fn start_workflow_execution(
        &mut self,
        request: Request<StartWorkflowExecutionRequest>,
    ) -> BoxFuture<'_, Result<Response<StartWorkflowExecutionResponse>, Status>> {
        let request = request.into_inner();
        let mut runs = self
            .runs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let next = runs.len() + 1;
        let answer = match runs.get(&request.workflow_id) {
            // A retry of the same request finds its run, as on a server.
            Some(run) if run.request.request_id == request.request_id => {
                Ok(StartWorkflowExecutionResponse {
                    run_id: run.run_id.clone(),
                    started: false,
                    ..Default::default()
                })
            }
            Some(_) => Err(Status::already_exists(format!(
                "workflow {} is already running",
                request.workflow_id
            ))),
            None => {
                let run_id = format!("test-run-{next}");
                runs.insert(
                    request.workflow_id.clone(),
                    Run {
                        request,
                        run_id: run_id.clone(),
                        cancel_requested: false,
                    },
                );
                Ok(StartWorkflowExecutionResponse {
                    run_id,
                    started: true,
                    ..Default::default()
                })
            }
        };
        async move { answer.map(Response::new) }.boxed()
    }

    fn describe_workflow_execution(
        &mut self,
        request: Request<DescribeWorkflowExecutionRequest>,
    ) -> BoxFuture<'_, Result<Response<DescribeWorkflowExecutionResponse>, Status>> {
        let workflow_id = request
            .into_inner()
            .execution
            .map(|execution| execution.workflow_id)
            .unwrap_or_default();
        let answer = self.with_run(&workflow_id, |run| DescribeWorkflowExecutionResponse {
            callbacks: run
                .request
                .completion_callbacks
                .iter()
                .map(|callback| CallbackInfo {
                    callback: Some(callback.clone()),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        });
        async move { answer.map(Response::new) }.boxed()
    }

    fn request_cancel_workflow_execution(
        &mut self,
        request: Request<RequestCancelWorkflowExecutionRequest>,
    ) -> BoxFuture<'_, Result<Response<RequestCancelWorkflowExecutionResponse>, Status>> {
        let workflow_id = request
            .into_inner()
            .workflow_execution
            .map(|execution| execution.workflow_id)
            .unwrap_or_default();
        let answer = self.with_run(&workflow_id, |run| {
            run.cancel_requested = true;
            RequestCancelWorkflowExecutionResponse::default()
        });
        async move { answer.map(Response::new) }.boxed()
    }
}

#[cfg(test)]
mod tests {
    use temporalio_macros::{workflow, workflow_methods};
    use temporalio_sdk::{WorkflowContext, WorkflowResult};

    use super::*;
    use crate::{WorkflowRunToken, WorkflowStart};

    #[workflow]
    #[derive(Default)]
    struct Greeter;

    #[workflow_methods]
    impl Greeter {
        #[run]
        async fn run(_ctx: &mut WorkflowContext<Self>, name: String) -> WorkflowResult<String> {
            Ok(format!("hello {name}"))
        }
    }

    const GREET: Operation<String, String> = Operation::new("test.v1", "greet");

    fn handler() -> TestHandler {
        let services = NexusServices::new().workflow_run(
            GREET,
            Greeter::run,
            |context, name: String| async move {
                Ok(
                    WorkflowStart::new(format!("greet-{}", context.request_id), "greeters", name)
                        .keyword("Who", "ada"),
                )
            },
        );
        TestHandler::new(
            "team",
            CallerPolicy::allow_namespaces(["caller", "other"]),
            services,
        )
    }

    #[tokio::test]
    async fn a_workflow_run_operation_starts_its_run_and_only_its_caller_cancels_it() {
        let handler = handler();
        let started = handler
            .start(GREET, Some("caller"), &"ada".to_owned())
            .await;
        let Ok(TestStart::Started { token }) = started else {
            panic!("not started: {started:?}");
        };
        let runs = handler.started();
        assert_eq!(runs.len(), 1);
        let run = &runs[0];
        assert_eq!(run.workflow_type, "Greeter");
        assert_eq!(run.workflow_id, "greet-test-request-1");
        assert_eq!(run.task_queue, "greeters");
        assert_eq!(run.input, serde_json::json!("ada"));
        assert_eq!(run.search_attributes["Who"], serde_json::json!("ada"));
        assert_eq!(run.caller_namespace.as_deref(), Some("caller"));
        assert_eq!(
            WorkflowRunToken::decode(&token).unwrap().workflow_id,
            run.workflow_id
        );

        // Admitted, but not the namespace that started it.
        let other = handler
            .cancel(GREET, &token, Some("other"))
            .await
            .unwrap_err();
        assert!(other.message().contains("did not start"), "{other}");
        // A token in the public format for a workflow no operation started.
        let forged = WorkflowRunToken::new("team", "somebody-elses").encode();
        let forged = handler.cancel(GREET, &forged, None).await.unwrap_err();
        assert!(forged.message().contains("names no operation"), "{forged}");
        assert!(
            !handler.started()[0].cancel_requested,
            "nothing was canceled"
        );

        // As a workflow's cancel arrives: no caller named; the start's caller decides.
        handler.cancel(GREET, &token, None).await.unwrap();
        assert!(handler.started()[0].cancel_requested);
    }

    #[tokio::test]
    async fn a_retried_start_finds_its_run_and_a_stranger_is_refused() {
        let handler = handler();
        let context = handler.context(&GREET, Some("caller"));
        let first = handler
            .start_in(GREET, context.clone(), &"ada".to_owned())
            .await
            .unwrap();
        let again = handler
            .start_in(GREET, context, &"ada".to_owned())
            .await
            .unwrap();
        assert_eq!(first, again, "the same request id, the same run");
        assert_eq!(handler.started().len(), 1);

        let stranger = handler
            .start(GREET, Some("stranger"), &"ada".to_owned())
            .await
            .unwrap_err();
        assert!(stranger.message().contains("not allowed"), "{stranger}");
        let anonymous = handler
            .start(GREET, None, &"ada".to_owned())
            .await
            .unwrap_err();
        assert!(
            anonymous.message().contains("no caller namespace"),
            "{anonymous}"
        );
        assert_eq!(handler.started().len(), 1);
    }
}
