//! The typed call from a workflow, against the echo handler: each way a call ends
//! arrives as its own `NexusCallError` variant, read from what the server really sends.

// `#[workflow_methods]` adds undocumented marker consts (`TypedCaller::run`).
#![allow(missing_docs)]

use std::time::Duration;

use devkit::dev_server::DevServer;
use devkit::probe::unique_suffix;
use nexus_handler::{FailureKind, NexusCall, NexusCallError, call};
use serde::{Deserialize, Serialize};
use shared_contracts::names::{endpoints, namespaces};
use shared_contracts::operation::Operation;
use temporalio_client::{Client, ClientOptions, WorkflowGetResultOptions, WorkflowStartOptions};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{Runtime, Worker, WorkerOptions, WorkflowContext, WorkflowResult};

use crate::workflow_run::{ECHO_LATER, EchoRequest, REFUSED_TEXT, with_echo_handler};

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
enum Case {
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

/// What the caller saw: the variant, then the failure's kind and message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Seen {
    variant: String,
    kind: Option<String>,
    detail: String,
    operation_token: Option<String>,
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
        let endpoint = endpoints::MARKETING_ABM;
        let deadline = Duration::from_secs(30);
        Ok(match case {
            Case::Echo {
                text,
                delay_secs,
                deadline_secs,
            } => {
                let request = EchoRequest { text, delay_secs };
                let deadline = Duration::from_secs(deadline_secs);
                let answer = call(ctx, endpoint, ECHO_LATER, &request, deadline).await;
                Seen::of(answer.map(|reply| reply.echo))
            }
            Case::WrongInput => {
                let request = serde_json::json!({"text": "no delay"});
                let answer = call(ctx, endpoint, ECHO_LATER_UNTYPED_INPUT, &request, deadline);
                Seen::of(answer.await.map(|reply| reply.to_string()))
            }
            Case::WrongOutput => {
                let request = EchoRequest {
                    text: "hi".to_owned(),
                    delay_secs: 0,
                };
                let answer = call(ctx, endpoint, ECHO_LATER_AS_SHOUT, &request, deadline).await;
                Seen::of(answer.map(|reply| reply.shout))
            }
            Case::CancelAfterStart => {
                let request = EchoRequest {
                    text: "never".to_owned(),
                    delay_secs: 600,
                };
                let started = NexusCall::new(endpoint, ECHO_LATER, deadline)
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

/// Runs one `TypedCaller` in the `gtm` namespace and returns what it saw.
async fn seen(server: &DevServer, case: Case) -> Seen {
    let unique = unique_suffix();
    let task_queue = format!("typed-caller-{unique}");
    let connection = server.connect("typed-caller").await.unwrap();
    let client = Client::new(connection, ClientOptions::new(namespaces::GTM).build()).unwrap();
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
        stop_worker();
        seen
    };
    let (worker_result, seen) = tokio::join!(worker.run(), drive);
    worker_result.unwrap();
    seen
}

#[tokio::test]
async fn each_outcome_arrives_as_its_own_variant() {
    with_echo_handler(|server, _client| async move {
        let echo = |text: &str, delay_secs, deadline_secs| Case::Echo {
            text: text.to_owned(),
            delay_secs,
            deadline_secs,
        };

        let completed = seen(&server, echo("hello", 0, 30)).await;
        assert_eq!(completed.variant, "completed", "{completed:?}");
        assert_eq!(completed.detail, "HELLO");

        // The backing workflow failed: the operation's application failure, in its
        // own words.
        let refused = seen(&server, echo(REFUSED_TEXT, 0, 30)).await;
        assert_eq!(refused.variant, "failed", "{refused:?}");
        assert_eq!(refused.kind.as_deref(), Some("application"));
        assert_eq!(refused.detail, format!("{REFUSED_TEXT:?} is not echoed"));

        // The handler rejected the input before running: a BAD_REQUEST naming the field.
        let rejected = seen(&server, Case::WrongInput).await;
        assert_eq!(rejected.variant, "failed", "{rejected:?}");
        assert_eq!(rejected.kind.as_deref(), Some("handler BAD_REQUEST"));
        assert!(rejected.detail.contains("delay_secs"), "{rejected:?}");

        let misread = seen(&server, Case::WrongOutput).await;
        assert_eq!(misread.variant, "contract_broken", "{misread:?}");
        assert!(misread.detail.contains("shout"), "{misread:?}");

        let late = seen(&server, echo("slow", 600, 2)).await;
        assert_eq!(late.variant, "timed_out", "{late:?}");

        let canceled = seen(&server, Case::CancelAfterStart).await;
        assert_eq!(canceled.variant, "canceled", "{canceled:?}");
        assert!(canceled.operation_token.is_some(), "{canceled:?}");
        server
    })
    .await;
}
