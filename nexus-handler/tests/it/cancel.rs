//! A cancel passes the same checks as a start, sent as any HTTP client can send it to
//! the server's Nexus HTTP API: the caller policy, and a token must name an operation
//! this handler started. A refused cancel cancels nothing.

use nexus_handler::WorkflowRunToken;
use serde_json::json;
use temporalio_client::{
    Client, UntypedWorkflow, WorkflowDescribeOptions, WorkflowExecutionStatus, WorkflowListOptions,
    WorkflowStartOptions, WorkflowTerminateOptions,
};
use temporalio_common::data_converters::RawValue;
use temporalio_common::protos::coresdk::AsJsonPayloadExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::caller::{Case, call_from};
use crate::server::{CALLER, HANDLER, OUTSIDER, TASK_QUEUE, TestServer, unique_suffix};
use crate::workflow_run::{ECHO_LATER, with_echo_handler};

/// A link naming a calling workflow in `namespace`, as the server writes it.
fn link_from(namespace: &str) -> String {
    format!(
        "<temporal:///namespaces/{namespace}/workflows/caller/run/history?referenceType=EventReference&eventID=5&eventType=NexusOperationScheduled>; type=\"temporal.api.common.v1.Link.WorkflowEvent\""
    )
}

/// `POST .../{service}/{operation}/cancel` on the test endpoint, with the token in the
/// `Nexus-Operation-Token` header and, when given, a `Nexus-Link`: (status, body).
async fn cancel_over_http(server: &TestServer, token: &str, link: Option<&str>) -> (u16, String) {
    let address = server.http_address();
    let path = format!(
        "/nexus/endpoints/{}/services/{}/{}/cancel",
        server.endpoint_id, ECHO_LATER.service, ECHO_LATER.name
    );
    let link = link
        .map(|link| format!("Nexus-Link: {link}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nNexus-Operation-Token: {token}\r\n{link}\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response:?}"));
    (status, response)
}

async fn status_of(client: &Client, workflow_id: &str) -> WorkflowExecutionStatus {
    client
        .get_workflow_handle::<UntypedWorkflow>(workflow_id)
        .describe(WorkflowDescribeOptions::default())
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_forged_token_cancels_nothing() {
    with_echo_handler(|server, client| async move {
        // A workflow no Nexus operation started, in the handler's namespace.
        let bystander = format!("bystander-{}", unique_suffix());
        client
            .start_workflow(
                UntypedWorkflow::new("DelayedEcho"),
                RawValue::new(vec![
                    json!({"text": "mine", "delay_secs": 600})
                        .as_json_payload()
                        .unwrap(),
                ]),
                WorkflowStartOptions::new(TASK_QUEUE, bystander.clone()).build(),
            )
            .await
            .unwrap();
        // Its token is easy to write: the format is public.
        let forged = WorkflowRunToken::new(HANDLER, &bystander).encode();
        let admitted = link_from(CALLER);
        for link in [None, Some(admitted.as_str())] {
            let (status, response) = cancel_over_http(&server, &forged, link).await;
            assert_eq!(status, 404, "{response}");
            assert!(
                response.contains("the operation token names no operation of this handler"),
                "{response}"
            );
        }
        // A token for a workflow that does not exist reads the same: a refusal says
        // nothing about which workflows exist.
        let nothing = WorkflowRunToken::new(HANDLER, "no-such-workflow").encode();
        let (status, response) = cancel_over_http(&server, &nothing, None).await;
        assert_eq!(status, 404, "{response}");
        assert!(
            response.contains("names no operation of this handler"),
            "{response}"
        );
        // And garbage is a bad request.
        let (status, response) = cancel_over_http(&server, "not-a-token", None).await;
        assert_eq!(status, 400, "{response}");

        assert_eq!(
            status_of(&client, &bystander).await,
            WorkflowExecutionStatus::Running,
            "the bystander runs on"
        );
        client
            .get_workflow_handle::<UntypedWorkflow>(&bystander)
            .terminate(WorkflowTerminateOptions::default())
            .await
            .unwrap();
        server
    })
    .await;
}

#[tokio::test]
async fn a_cancel_from_a_namespace_outside_the_allowlist_is_refused() {
    with_echo_handler(|server, client| async move {
        // A real operation, started by a workflow in an admitted namespace, running long.
        let caller = call_from(&server, CALLER, Case::echo("long", 600, 900));
        let test = async {
            let backing = backing_workflow(&client).await;
            let token = WorkflowRunToken::new(HANDLER, &backing).encode();

            let foreign = link_from(OUTSIDER);
            let (status, response) = cancel_over_http(&server, &token, Some(&foreign)).await;
            assert_eq!(status, 403, "{response}");
            assert!(
                response.contains(
                    "caller namespace \\\"outsider\\\" is not allowed to call test.echo.v1/echoLater"
                ) || response.contains(
                    "caller namespace \"outsider\" is not allowed to call test.echo.v1/echoLater"
                ),
                "{response}"
            );
            assert!(!response.contains(CALLER), "the refusal lists no allowlist: {response}");
            assert_eq!(
                status_of(&client, &backing).await,
                WorkflowExecutionStatus::Running,
                "the operation runs on"
            );
            // Ends the operation, and so the caller's wait.
            client
                .get_workflow_handle::<UntypedWorkflow>(&backing)
                .terminate(WorkflowTerminateOptions::default())
                .await
                .unwrap();
        };
        let (run, ()) = tokio::join!(caller, test);
        assert_eq!(run.seen.variant, "failed", "{:?}", run.seen);
        server
    })
    .await;
}

/// The id of the one `DelayedEcho` run the echo operation started, once visibility
/// lists it (two minutes at most).
async fn backing_workflow(client: &Client) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let mut listed = client.list_workflows(
            "WorkflowType = 'DelayedEcho' AND ExecutionStatus = 'Running'",
            WorkflowListOptions::builder().build(),
        );
        use futures::StreamExt;
        if let Some(execution) = listed.next().await {
            return execution.unwrap().id().to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no DelayedEcho run listed after two minutes"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
