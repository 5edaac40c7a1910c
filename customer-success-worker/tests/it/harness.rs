use std::time::{Duration, Instant};

use devkit::probe::{self, ProbeRequest, ProbeRun};
use devkit::team_stack::TeamStack;
use shared_contracts::names::{endpoints, namespaces};
use shared_contracts::operation::GET_ACCOUNT_HEALTH;
use temporalio_client::RegisterNamespaceOptions;
use temporalio_client::tonic::Request;
use temporalio_common::protos::temporal::api::workflowservice::v1::RegisterNamespaceRequest;

/// A dev server with every endpoint, a seeded Customer Success database, and the
/// real customer-success-worker serving them ([`TeamStack`]).
pub struct CsStack(TeamStack<customer_success_worker::Worker>);

impl std::ops::Deref for CsStack {
    type Target = TeamStack<customer_success_worker::Worker>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for CsStack {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl CsStack {
    pub async fn start() -> Self {
        Self(TeamStack::start().await.unwrap())
    }

    /// Calls `getAccountHealth` from a workflow in `caller_namespace`.
    pub async fn health_from(&self, caller_namespace: &str, input: serde_json::Value) -> ProbeRun {
        self.0
            .call(caller_namespace, GET_ACCOUNT_HEALTH, input)
            .await
            .unwrap()
    }

    /// Calls `getAccountHealth` from a workflow in `gtm`.
    pub async fn health(&self, input: serde_json::Value) -> ProbeRun {
        self.health_from(namespaces::GTM, input).await
    }

    /// Registers a namespace outside the contract and waits until a workflow can run
    /// in it (the server's namespace cache trails registration by a few seconds).
    pub async fn register_namespace(&self, name: &str) {
        let connection = self.server.connect("cs-it-admin").await.unwrap();
        connection
            .workflow_service()
            .register_namespace(Request::new(RegisterNamespaceRequest::from(
                RegisterNamespaceOptions::builder()
                    .namespace(name)
                    .description("a team outside the contract")
                    .build(),
            )))
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let request = ProbeRequest::new(
                endpoints::CS_HEALTH,
                GET_ACCOUNT_HEALTH.service,
                GET_ACCOUNT_HEALTH.name,
                serde_json::json!({"accountId": "acme-corp"}),
            );
            if probe::run_probe(&self.server, name, request).await.is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "namespace {name} never became usable"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}
