use std::time::{Duration, Instant};

use devkit::dev_server::DevServer;
use devkit::nexus_endpoints;
use devkit::pollers::{self, PollerKind};
use devkit::probe::{self, ProbeRequest, ProbeRun};
use devkit::worker_thread::{self, BackgroundWorker};
use seed_data::model::SeedSet;
use shared_contracts::names::{endpoints, namespaces, task_queues};
use shared_contracts::operation::GET_ACCOUNT_HEALTH;
use temporalio_client::RegisterNamespaceOptions;
use temporalio_client::tonic::Request;
use temporalio_common::protos::temporal::api::workflowservice::v1::RegisterNamespaceRequest;

/// A dev server with the contract's endpoints, a seeded Customer Success database,
/// and the real customer-success-worker serving them.
pub struct CsStack {
    pub server: DevServer,
    _database_dir: tempfile::TempDir,
    worker: BackgroundWorker,
}

impl CsStack {
    pub async fn start() -> Self {
        let server = DevServer::start_for_tests().await.unwrap();
        let connection = server.connect("cs-it").await.unwrap();
        nexus_endpoints::ensure(&connection, &shared_contracts::teams::endpoint_specs())
            .await
            .unwrap();

        let dir = tempfile::tempdir().unwrap();
        let database_url = format!("sqlite:{}/customer-success.db", dir.path().display());
        customer_success_worker::seed::load_url(
            &database_url,
            &SeedSet::shipped().unwrap(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();

        let since = std::time::SystemTime::now();
        let config =
            customer_success_worker::Config::local(&server.address(), &database_url).unwrap();
        let worker = worker_thread::spawn(move |stop| customer_success_worker::run(config, stop));
        // The probe's call has a deadline: the handler must be polling first.
        pollers::wait_for_poller(
            &connection,
            namespaces::CUSTOMER_SUCCESS,
            task_queues::CS_HEALTH,
            PollerKind::Nexus,
            since,
        )
        .await
        .unwrap();
        Self {
            server,
            _database_dir: dir,
            worker,
        }
    }

    /// Calls `getAccountHealth` from a workflow in `caller_namespace`.
    pub async fn health_from(&self, caller_namespace: &str, input: serde_json::Value) -> ProbeRun {
        let request = ProbeRequest::new(
            endpoints::CS_HEALTH,
            GET_ACCOUNT_HEALTH.service,
            GET_ACCOUNT_HEALTH.name,
            input,
        );
        probe::run_probe(&self.server, caller_namespace, request)
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

    /// Stops the worker gracefully and returns how its `run` ended.
    pub async fn stop_worker(&mut self) -> anyhow::Result<()> {
        self.worker.stop().await
    }
}
