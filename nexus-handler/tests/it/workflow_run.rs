use std::time::Duration;

use crate::caller::{Case, call_from};
use crate::server::{CALLER, HANDLER, TASK_QUEUE, TestServer};
use nexus_handler::{
    CallerPolicy, NexusServices, NexusWorker, NexusWorkerOptions, Operation, WorkflowRunToken,
    WorkflowStart,
};
use serde::{Deserialize, Serialize};
use temporalio_client::{Client, ClientOptions, WorkflowDescribeOptions, WorkflowExecutionStatus};
use temporalio_common::protos::temporal::api::common::v1::link;
use temporalio_common::protos::temporal::api::enums::v1::EventType;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ApplicationFailure, Runtime, TimerResult, Worker, WorkerOptions, WorkflowContext,
    WorkflowResult, WorkflowTermination,
};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EchoRequest {
    pub(crate) text: String,
    pub(crate) delay_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EchoReply {
    pub(crate) echo: String,
}

/// A test-only async operation, backed by the `DelayedEcho` workflow.
pub(crate) const ECHO_LATER: Operation<EchoRequest, EchoReply> =
    Operation::new("test.echo.v1", "echoLater");

/// The text `DelayedEcho` fails on, non-retryably.
pub(crate) const REFUSED_TEXT: &str = "refuse";

#[workflow]
#[derive(Default)]
struct DelayedEcho;

#[workflow_methods]
impl DelayedEcho {
    #[run]
    async fn run(
        ctx: &mut WorkflowContext<Self>,
        request: EchoRequest,
    ) -> WorkflowResult<EchoReply> {
        // A cancel request cancels the timer; the workflow then ends as canceled.
        if ctx.timer(Duration::from_secs(request.delay_secs)).await == TimerResult::Cancelled {
            return Err(WorkflowTermination::cancelled());
        }
        if request.text == REFUSED_TEXT {
            return Err(ApplicationFailure::non_retryable(format!(
                "{REFUSED_TEXT:?} is not echoed"
            ))
            .into());
        }
        Ok(EchoReply {
            echo: request.text.to_uppercase(),
        })
    }
}

fn echo_services() -> NexusServices {
    NexusServices::new().workflow_run(
        ECHO_LATER,
        DelayedEcho::run,
        |context, request: EchoRequest| async move {
            Ok(WorkflowStart::new(
                format!("delayed-echo-{}", context.request_id),
                TASK_QUEUE,
                request,
            ))
        },
    )
}

/// Runs `body` against a dev server where the test endpoint is served by a Nexus worker
/// with the echo operation, admitting callers from [`CALLER`], and an SDK worker runs
/// `DelayedEcho`.
pub(crate) async fn with_echo_handler<F, Fut>(body: F)
where
    F: FnOnce(TestServer, Client) -> Fut,
    Fut: std::future::Future<Output = TestServer>,
{
    let server = TestServer::start().await;
    let connection = server.connect("nexus-handler-it").await;

    let nexus = NexusWorker::new(
        connection.clone(),
        NexusWorkerOptions::new(
            HANDLER,
            TASK_QUEUE,
            CallerPolicy::allow_namespaces([CALLER]),
            "nexus-handler-it",
        ),
        echo_services(),
    )
    .await
    .unwrap();
    let (stop_nexus, nexus_stopped) = tokio::sync::oneshot::channel::<()>();
    let nexus = tokio::spawn(nexus.run(async {
        let _ = nexus_stopped.await;
    }));

    let client = Client::new(connection, ClientOptions::new(HANDLER).build()).unwrap();
    let runtime = Runtime::from_current_tokio(Default::default()).unwrap();
    let options = WorkerOptions::new(TASK_QUEUE)
        .register_workflow::<DelayedEcho>()
        .unwrap()
        .build();
    let mut workflows = Worker::new(&runtime, client.clone(), options).unwrap();
    let stop_workflows = workflows.shutdown_handle();
    let test = async {
        let server = body(server, client).await;
        stop_workflows();
        server
    };
    let (worker_result, _server) = tokio::join!(workflows.run(), test);
    worker_result.unwrap();
    let _ = stop_nexus.send(());
    nexus.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_workflow_backed_operation_completes_through_the_callback() {
    with_echo_handler(|server, _client| async move {
        let run = call_from(&server, CALLER, Case::echo("hello nexus", 1, 30)).await;
        assert_eq!(run.seen.variant, "completed", "{:?}", run.seen);
        assert_eq!(run.seen.detail, "HELLO NEXUS");
        assert_eq!(
            run.nexus_events(),
            [
                "NexusOperationScheduled",
                "NexusOperationStarted",
                "NexusOperationCompleted"
            ]
        );

        // The token names the backing workflow, and the caller's Started event links
        // to its run in the handler's namespace.
        let token = WorkflowRunToken::decode(run.started_token().unwrap()).unwrap();
        assert_eq!(token.namespace, HANDLER);
        assert!(token.workflow_id.starts_with("delayed-echo-"));
        let started = run
            .history
            .iter()
            .find(|e| e.event_type() == EventType::NexusOperationStarted)
            .unwrap();
        let linked = started.links.iter().find_map(|l| match &l.variant {
            Some(link::Variant::WorkflowEvent(event)) => Some(event.clone()),
            _ => None,
        });
        let linked = linked.expect("NexusOperationStarted links to the backing run");
        assert_eq!(linked.namespace, HANDLER);
        assert_eq!(linked.workflow_id, token.workflow_id);
        server
    })
    .await;
}

#[tokio::test]
async fn cancelling_the_operation_cancels_the_backing_workflow() {
    with_echo_handler(|server, client| async move {
        let run = call_from(&server, CALLER, Case::CancelAfterStart).await;
        assert_eq!(run.seen.variant, "canceled", "{:?}", run.seen);
        assert!(
            run.nexus_events()
                .contains(&"NexusOperationCanceled".to_owned()),
            "{:?}",
            run.nexus_events()
        );

        let token = WorkflowRunToken::decode(run.seen.operation_token.as_deref().unwrap()).unwrap();
        let description = client
            .get_workflow_handle::<temporalio_client::UntypedWorkflow>(token.workflow_id)
            .describe(WorkflowDescribeOptions::default())
            .await
            .unwrap();
        assert_eq!(description.status(), WorkflowExecutionStatus::Canceled);
        server
    })
    .await;
}
