//! The contract's Nexus endpoints, created through the operator API.
//!
//! An endpoint is a server-side routing entry: callers address it by name, and the
//! server forwards each operation to the target namespace's task queue, where a worker
//! polls for Nexus tasks. Creating them is an operator's job (in production, through
//! Terraform or `temporal operator nexus endpoint create`); locally we do it here.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use shared_contracts::teams::EndpointSpec;
use temporalio_client::Connection;
use temporalio_client::tonic::Request;
use temporalio_common::protos::coresdk::AsJsonPayloadExt;
use temporalio_common::protos::temporal::api::nexus::v1::{
    Endpoint, EndpointSpec as ProtoEndpointSpec, EndpointTarget, endpoint_target,
};
use temporalio_common::protos::temporal::api::operatorservice::v1::{
    CreateNexusEndpointRequest, ListNexusEndpointsRequest,
};

/// How long the endpoint registry may take to show a new endpoint.
const VISIBLE_TIMEOUT: Duration = Duration::from_secs(30);

/// What [`ensure`] did with one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointAction {
    /// It did not exist and was created.
    Created,
    /// It existed with the right target and was left alone.
    AlreadyPresent,
}

/// Creates each endpoint that is missing, checks that existing ones route where the
/// contract says, and waits until all are listed. Safe to run any number of times.
pub async fn ensure(
    connection: &Connection,
    specs: &[EndpointSpec],
) -> anyhow::Result<Vec<(&'static str, EndpointAction)>> {
    let mut actions = Vec::new();
    for spec in specs {
        let action = match find(connection, spec.name).await? {
            Some(existing) => {
                let target = worker_target(&existing);
                if target != Some((spec.target_namespace, spec.target_task_queue)) {
                    bail!(
                        "Nexus endpoint {} exists but routes to {target:?}, not {}/{}; delete it with `temporal operator nexus endpoint delete --name {}` and run again",
                        spec.name,
                        spec.target_namespace,
                        spec.target_task_queue,
                        spec.name
                    );
                }
                EndpointAction::AlreadyPresent
            }
            None => {
                create(connection, spec).await?;
                EndpointAction::Created
            }
        };
        actions.push((spec.name, action));
    }
    let started = Instant::now();
    for spec in specs {
        while find(connection, spec.name).await?.is_none() {
            if started.elapsed() > VISIBLE_TIMEOUT {
                bail!(
                    "Nexus endpoint {} was created but is not listed after {VISIBLE_TIMEOUT:?}",
                    spec.name
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(actions)
}

/// The endpoint called `name`, if the registry lists it.
pub async fn find(connection: &Connection, name: &str) -> anyhow::Result<Option<Endpoint>> {
    let request = ListNexusEndpointsRequest {
        page_size: 10,
        name: name.to_owned(),
        ..Default::default()
    };
    let response = connection
        .operator_service()
        .list_nexus_endpoints(Request::new(request))
        .await
        .with_context(|| format!("listing Nexus endpoint {name}"))?
        .into_inner();
    Ok(response
        .endpoints
        .into_iter()
        .find(|e| e.spec.as_ref().is_some_and(|s| s.name == name)))
}

/// `(namespace, task queue)` an endpoint routes to, for worker targets.
pub fn worker_target(endpoint: &Endpoint) -> Option<(&str, &str)> {
    let target = endpoint.spec.as_ref()?.target.as_ref()?;
    match target.variant.as_ref()? {
        endpoint_target::Variant::Worker(worker) => {
            Some((worker.namespace.as_str(), worker.task_queue.as_str()))
        }
        endpoint_target::Variant::External(_) => None,
    }
}

async fn create(connection: &Connection, spec: &EndpointSpec) -> anyhow::Result<()> {
    let description = spec
        .description
        .as_json_payload()
        .context("encoding the endpoint description")?;
    let request = CreateNexusEndpointRequest {
        spec: Some(ProtoEndpointSpec {
            name: spec.name.to_owned(),
            description: Some(description),
            target: Some(EndpointTarget {
                variant: Some(endpoint_target::Variant::Worker(endpoint_target::Worker {
                    namespace: spec.target_namespace.to_owned(),
                    task_queue: spec.target_task_queue.to_owned(),
                })),
            }),
        }),
    };
    connection
        .operator_service()
        .create_nexus_endpoint(Request::new(request))
        .await
        .with_context(|| format!("creating Nexus endpoint {}", spec.name))?;
    Ok(())
}
