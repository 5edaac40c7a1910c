//! Both halves of Nexus in one program: a handler with a sync operation and a
//! workflow-run operation, and a caller workflow that calls both through an endpoint.
//!
//! ```text
//! temporal server start-dev                      # another terminal
//! cargo run -p nexus-handler --example hello_nexus
//! ```
//!
//! It uses the `default` namespace for both sides (a real deployment puts caller and
//! handler in namespaces of their own), creates the endpoint `hello-nexus` if it is
//! missing, and prints what the caller received. `TEMPORAL_ADDRESS` picks another
//! server.

// `#[workflow_methods]` adds undocumented marker consts (`Greeter::run`).
#![allow(missing_docs)]

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nexus_handler::{
    CallerPolicy, NexusServices, NexusWorker, NexusWorkerOptions, Operation, WorkflowStart, call,
};
use serde::{Deserialize, Serialize};
use temporalio_client::tonic::Request;
use temporalio_client::{
    Client, ClientOptions, Connection, ConnectionOptions, Url, WorkflowGetResultOptions,
    WorkflowStartOptions,
};
use temporalio_common::protos::temporal::api::nexus::v1::{
    EndpointSpec, EndpointTarget, endpoint_target,
};
use temporalio_common::protos::temporal::api::operatorservice::v1::{
    CreateNexusEndpointRequest, ListNexusEndpointsRequest,
};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{Runtime, Worker, WorkerOptions, WorkflowContext, WorkflowResult};

const NAMESPACE: &str = "default";
const TASK_QUEUE: &str = "hello-nexus";
const ENDPOINT: &str = "hello-nexus";

// The contract: two operations of one service, each a typed descriptor.

#[derive(Debug, Serialize, Deserialize)]
pub struct Echo {
    pub text: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Greet {
    pub name: String,
}

/// Synchronous: answered within the request.
const ECHO: Operation<Echo, Echo> = Operation::new("hello.v1", "echo");
/// Workflow-run: starts a `Greeter` run and completes with its result.
const GREET: Operation<Greet, String> = Operation::new("hello.v1", "greet");

// The handler side.

#[workflow]
#[derive(Default)]
pub struct Greeter;

#[workflow_methods]
impl Greeter {
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, input: Greet) -> WorkflowResult<String> {
        ctx.timer(Duration::from_secs(1)).await;
        Ok(format!("Hello, {}!", input.name))
    }
}

fn services() -> NexusServices {
    NexusServices::new()
        .sync(ECHO, |_context, input: Echo| async move {
            Ok(Echo {
                text: input.text.to_uppercase(),
            })
        })
        .workflow_run(GREET, Greeter::run, |context, input: Greet| async move {
            // One run per operation, the same on every retry of its start request.
            Ok(WorkflowStart::new(
                format!("greeter-{}", context.request_id),
                TASK_QUEUE,
                input,
            ))
        })
}

// The caller side: a workflow that calls both operations, typed by the descriptors.

#[workflow]
#[derive(Default)]
pub struct Caller;

#[workflow_methods]
impl Caller {
    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>, name: String) -> WorkflowResult<Vec<String>> {
        let deadline = Duration::from_secs(30);
        let echo = call(ctx, ENDPOINT, ECHO, &Echo { text: name.clone() }, deadline).await;
        let greeting = call(ctx, ENDPOINT, GREET, &Greet { name }, deadline).await;
        Ok(vec![
            match echo {
                Ok(echo) => format!("echo: {}", echo.text),
                Err(err) => format!("echo failed: {}", err.message()),
            },
            match greeting {
                Ok(greeting) => format!("greet: {greeting}"),
                Err(err) => format!("greet failed: {}", err.message()),
            },
        ])
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let address = std::env::var("TEMPORAL_ADDRESS").unwrap_or_else(|_| "localhost:7233".into());
    let url = Url::parse(&format!("http://{address}"))?;
    let options = ConnectionOptions::new(url)
        .identity("hello-nexus".to_owned())
        .build();
    let connection = Connection::connect(options)
        .await
        .with_context(|| format!("connecting to Temporal at {address}"))?;
    ensure_endpoint(&connection).await?;

    // The handler: a Nexus worker beside the SDK worker, on the endpoint's task queue.
    let handler = NexusWorker::new(
        connection.clone(),
        NexusWorkerOptions::new(
            NAMESPACE,
            TASK_QUEUE,
            CallerPolicy::allow_namespaces([NAMESPACE]),
            "hello-nexus",
        ),
        services(),
    )
    .await?;
    let (stop_handler, handler_stopped) = tokio::sync::oneshot::channel::<()>();
    let handler = tokio::spawn(handler.run(async {
        let _ = handler_stopped.await;
    }));

    let client = Client::new(connection, ClientOptions::new(NAMESPACE).build())?;
    let runtime = Runtime::from_current_tokio(Default::default())?;
    let options = WorkerOptions::new(TASK_QUEUE)
        .register_workflow::<Greeter>()?
        .register_workflow::<Caller>()?
        .build();
    let mut workflows = Worker::new(&runtime, client.clone(), options)?;
    let stop_workflows = workflows.shutdown_handle();
    let drive = async {
        let caller_id = format!("hello-nexus-caller-{}", std::process::id());
        let handle = client
            .start_workflow(
                Caller::run,
                "Nexus".to_owned(),
                WorkflowStartOptions::new(TASK_QUEUE, caller_id).build(),
            )
            .await?;
        let answers = handle.get_result(WorkflowGetResultOptions::default()).await;
        stop_workflows();
        anyhow::Ok(answers?)
    };
    let (worker, answers) = tokio::join!(workflows.run(), drive);
    let _ = stop_handler.send(());
    handler.await??;
    worker?;
    for line in answers? {
        println!("{line}");
    }
    Ok(())
}

/// Creates the `hello-nexus` endpoint (namespace `default`, task queue `hello-nexus`)
/// unless it exists, and waits until the registry lists it.
async fn ensure_endpoint(connection: &Connection) -> anyhow::Result<()> {
    let listed = || async {
        let request = ListNexusEndpointsRequest {
            page_size: 10,
            name: ENDPOINT.to_owned(),
            ..Default::default()
        };
        let response = connection
            .operator_service()
            .list_nexus_endpoints(Request::new(request))
            .await
            .context("listing Nexus endpoints")?;
        anyhow::Ok(!response.into_inner().endpoints.is_empty())
    };
    if !listed().await? {
        let target = endpoint_target::Worker {
            namespace: NAMESPACE.to_owned(),
            task_queue: TASK_QUEUE.to_owned(),
        };
        let request = CreateNexusEndpointRequest {
            spec: Some(EndpointSpec {
                name: ENDPOINT.to_owned(),
                description: None,
                target: Some(EndpointTarget {
                    variant: Some(endpoint_target::Variant::Worker(target)),
                }),
            }),
        };
        connection
            .operator_service()
            .create_nexus_endpoint(Request::new(request))
            .await
            .context("creating the hello-nexus endpoint")?;
    }
    let started = Instant::now();
    while !listed().await? {
        if started.elapsed() > Duration::from_secs(30) {
            bail!("the hello-nexus endpoint is not listed after 30 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}
