//! A calling workflow, written with the crate's typed call: it calls the echo
//! operation as a case says and reports what it saw, with its own history.

// `#[workflow_methods]` adds undocumented marker consts (`TypedCaller::run`).
#![allow(missing_docs)]

use std::time::Duration;

use nexus_handler::{FailureKind, NexusCall, NexusCallError, Operation, call};
use serde::{Deserialize, Serialize};
use temporalio_client::{
    Client, ClientOptions, WorkflowFetchHistoryOptions, WorkflowGetResultOptions,
    WorkflowStartOptions,
};
use temporalio_common::protos::temporal::api::history::v1::{HistoryEvent, history_event};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{Runtime, Worker, WorkerOptions, WorkflowContext, WorkflowResult};

use crate::server::{ENDPOINT, TestServer, unique_suffix};
use crate::workflow_run::{ECHO_LATER, EchoRequest};

/// `echoLater` as a caller with the wrong idea of its input sees it.
const ECHO_LATER_UNTYPED_INPUT: Operation<serde_json::Value, serde_json::Value> =
    Operation::new(ECHO_LATER.service, ECHO_LATER.name);

/// `echoLater` as a caller with the wrong idea of its output sees it.
const ECHO_LATER_AS_SHOUT: Operation<EchoRequest, Shout> =
    Operation::new(ECHO_LATER.service, ECHO_LATER.name);

#[derive(Debug, Deserialize)]
struct Shout {
    shout: String,
}

/// What the caller workflow does.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Case {
    /// Calls `echoLater` with this input and deadline.
    Echo {
        text: String,
        delay_secs: u64,
        deadline_secs: u64,
    },
    /// Sends `echoLater` an input its handler rejects.
    WrongInput,
    /// Reads `echoLater`'s output as the wrong type.
    WrongOutput,
    /// Starts a slow `echoLater` and cancels it.
    CancelAfterStart,
}

impl Case {
    pub(crate) fn echo(text: &str, delay_secs: u64, deadline_secs: u64) -> Self {
        Self::Echo {
            text: text.to_owned(),
            delay_secs,
            deadline_secs,
        }
    }
}

/// What the caller saw: the variant, then the failure's kind and message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Seen {
    pub(crate) variant: String,
    pub(crate) kind: Option<String>,
    pub(crate) detail: String,
    pub(crate) operation_token: Option<String>,
}

impl Seen {
    fn of(outcome: Result<String, NexusCallError>) -> Self {
        let (variant, kind, detail) = match outcome {
            Ok(output) => ("completed", None, output),
            Err(NexusCallError::Failed(failure)) => {
                let kind = match &failure.kind {
                    FailureKind::Handler { error_type } => format!("handler {error_type}"),
                    FailureKind::Application { .. } => "application".to_owned(),
                    FailureKind::Other => "other".to_owned(),
                };
                ("failed", Some(kind), failure.message)
            }
            Err(NexusCallError::TimedOut { message }) => ("timed_out", None, message),
            Err(NexusCallError::Canceled { message }) => ("canceled", None, message),
            Err(NexusCallError::ContractBroken(breach)) => {
                ("contract_broken", None, breach.to_string())
            }
        };
        Self {
            variant: variant.to_owned(),
            kind,
            detail,
            operation_token: None,
        }
    }
}

#[workflow]
#[derive(Default)]
struct TypedCaller;

#[workflow_methods]
impl TypedCaller {
    #[run]
    async fn run(ctx: &mut WorkflowContext<Self>, case: Case) -> WorkflowResult<Seen> {
        let deadline = Duration::from_secs(30);
        Ok(match case {
            Case::Echo {
                text,
                delay_secs,
                deadline_secs,
            } => {
                let request = EchoRequest { text, delay_secs };
                let deadline = Duration::from_secs(deadline_secs);
                let answer = call(ctx, ENDPOINT, ECHO_LATER, &request, deadline).await;
                Seen::of(answer.map(|reply| reply.echo))
            }
            Case::WrongInput => {
                let request = serde_json::json!({"text": "no delay"});
                let answer = call(ctx, ENDPOINT, ECHO_LATER_UNTYPED_INPUT, &request, deadline);
                Seen::of(answer.await.map(|reply| reply.to_string()))
            }
            Case::WrongOutput => {
                let request = EchoRequest {
                    text: "hi".to_owned(),
                    delay_secs: 0,
                };
                let answer = call(ctx, ENDPOINT, ECHO_LATER_AS_SHOUT, &request, deadline).await;
                Seen::of(answer.map(|reply| reply.shout))
            }
            Case::CancelAfterStart => {
                let request = EchoRequest {
                    text: "never".to_owned(),
                    delay_secs: 600,
                };
                let started = NexusCall::new(ENDPOINT, ECHO_LATER, deadline)
                    .start(ctx, &request)
                    .await;
                match started {
                    Ok(started) => {
                        started.cancel();
                        Seen {
                            operation_token: started.operation_token().map(str::to_owned),
                            ..Seen::of(started.result().await.map(|reply| reply.echo))
                        }
                    }
                    Err(err) => Seen::of(Err(err)),
                }
            }
        })
    }
}

/// One caller run: what it saw, and its history.
pub(crate) struct Called {
    pub(crate) seen: Seen,
    pub(crate) history: Vec<HistoryEvent>,
}

impl Called {
    /// The Nexus events of the caller's history, in order (`NexusOperationScheduled`, ...).
    pub(crate) fn nexus_events(&self) -> Vec<String> {
        self.history
            .iter()
            .map(|event| format!("{:?}", event.event_type()))
            .filter(|name| name.starts_with("NexusOperation"))
            .collect()
    }

    /// The operation token the caller's `NexusOperationStarted` event records.
    pub(crate) fn started_token(&self) -> Option<&str> {
        self.history
            .iter()
            .find_map(|event| match &event.attributes {
                Some(history_event::Attributes::NexusOperationStartedEventAttributes(started)) => {
                    Some(started.operation_token.as_str())
                }
                _ => None,
            })
    }
}

/// Runs one `TypedCaller` in `namespace`, on a task queue of its own, and returns what
/// it saw.
pub(crate) async fn call_from(server: &TestServer, namespace: &str, case: Case) -> Called {
    let unique = unique_suffix();
    let task_queue = format!("typed-caller-{unique}");
    let connection = server.connect("typed-caller").await;
    let client = Client::new(connection, ClientOptions::new(namespace).build()).unwrap();
    let runtime = Runtime::from_current_tokio(Default::default()).unwrap();
    let options = WorkerOptions::new(task_queue.clone())
        .register_workflow::<TypedCaller>()
        .unwrap()
        .build();
    let mut worker = Worker::new(&runtime, client.clone(), options).unwrap();
    let stop_worker = worker.shutdown_handle();
    let drive = async {
        let handle = client
            .start_workflow(
                TypedCaller::run,
                case,
                WorkflowStartOptions::new(task_queue.clone(), format!("typed-caller-{unique}"))
                    .build(),
            )
            .await
            .unwrap();
        let seen = handle
            .get_result(WorkflowGetResultOptions::default())
            .await
            .unwrap();
        let history = handle
            .fetch_history(WorkflowFetchHistoryOptions::default())
            .into_events()
            .await
            .unwrap();
        stop_worker();
        Called { seen, history }
    };
    let (worker_result, called) = tokio::join!(worker.run(), drive);
    worker_result.unwrap();
    called
}
