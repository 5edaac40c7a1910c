use std::time::Duration;

use devkit::dev_server::DevServer;
use devkit::nexus_endpoints;
use devkit::probe::{self, ProbeRequest};
use nexus_handler::WorkflowRunToken;
use nexus_handler::{CallerPolicy, NexusServices, NexusWorker, NexusWorkerOptions, WorkflowStart};
use serde::{Deserialize, Serialize};
use serde_json::json;
use shared_contracts::names::{ENDPOINTS, endpoints, namespaces, task_queues};
use shared_contracts::operation::Operation;
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
                task_queues::MARKETING_ABM,
                request,
            ))
        },
    )
}

/// Runs `body` against a dev server where the `marketing-abm` endpoint is served by a
/// Nexus worker with the echo operation, and an SDK worker runs `DelayedEcho`.
pub(crate) async fn with_echo_handler<F, Fut>(body: F)
where
    F: FnOnce(DevServer, Client) -> Fut,
    Fut: std::future::Future<Output = DevServer>,
{
    let server = DevServer::start_for_tests().await.unwrap();
    let connection = server.connect("nexus-handler-it").await.unwrap();
    nexus_endpoints::ensure(&connection, &ENDPOINTS)
        .await
        .unwrap();

    let nexus = NexusWorker::new(
        connection.clone(),
        NexusWorkerOptions::new(
            namespaces::MARKETING,
            task_queues::MARKETING_ABM,
            CallerPolicy::allow_namespaces([namespaces::GTM]),
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

    let client = Client::new(
        connection,
        ClientOptions::new(namespaces::MARKETING).build(),
    )
    .unwrap();
    let runtime = Runtime::from_current_tokio(Default::default()).unwrap();
    let options = WorkerOptions::new(task_queues::MARKETING_ABM)
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
        let run = probe::run_probe(
            &server,
            namespaces::GTM,
            ProbeRequest::new(
                endpoints::MARKETING_ABM,
                ECHO_LATER.service,
                ECHO_LATER.name,
                json!({"text": "hello nexus", "delay_secs": 1}),
            ),
        )
        .await
        .unwrap();
        assert_eq!(run.outcome.outcome, "completed", "{:?}", run.outcome);
        assert_eq!(run.outcome.output, Some(json!({"echo": "HELLO NEXUS"})));
        assert_eq!(
            run.nexus_events(),
            [
                "NexusOperationScheduled",
                "NexusOperationStarted",
                "NexusOperationCompleted"
            ]
        );

        // The token names the backing workflow, and the caller's Started event links
        // to its run in the marketing namespace.
        let token =
            WorkflowRunToken::decode(run.outcome.operation_token.as_deref().unwrap()).unwrap();
        assert_eq!(token.namespace, namespaces::MARKETING);
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
        assert_eq!(linked.namespace, namespaces::MARKETING);
        assert_eq!(linked.workflow_id, token.workflow_id);
        server
    })
    .await;
}

#[tokio::test]
async fn cancelling_the_operation_cancels_the_backing_workflow() {
    with_echo_handler(|server, client| async move {
        let mut request = ProbeRequest::new(
            endpoints::MARKETING_ABM,
            ECHO_LATER.service,
            ECHO_LATER.name,
            json!({"text": "never", "delay_secs": 600}),
        );
        request.cancel_after_start = true;
        let run = probe::run_probe(&server, namespaces::GTM, request)
            .await
            .unwrap();
        assert_eq!(run.outcome.outcome, "canceled", "{:?}", run.outcome);
        assert!(
            run.nexus_events()
                .contains(&"NexusOperationCanceled".to_owned()),
            "{:?}",
            run.nexus_events()
        );

        let token =
            WorkflowRunToken::decode(run.outcome.operation_token.as_deref().unwrap()).unwrap();
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
