use devkit::dev_server::DevServer;
use devkit::nexus_endpoints;
use devkit::pollers::{self, PollerKind};
use devkit::probe::{self, ProbeRequest, ProbeRun};
use devkit::worker_thread::{self, BackgroundWorker};
use seed_data::model::SeedSet;
use shared_contracts::names::{endpoints, namespaces, task_queues};
use shared_contracts::operation::CHECK_ABM_PROGRAM;

/// A dev server with both endpoints, a seeded Marketing database, and the real
/// marketing-worker serving them.
pub struct MarketingStack {
    pub server: DevServer,
    pub database_url: String,
    _database_dir: tempfile::TempDir,
    worker: BackgroundWorker,
}

impl MarketingStack {
    pub async fn start() -> Self {
        let server = DevServer::start_for_tests().await.unwrap();
        let connection = server.connect("marketing-it").await.unwrap();
        nexus_endpoints::ensure(&connection, &shared_contracts::teams::endpoint_specs())
            .await
            .unwrap();

        let dir = tempfile::tempdir().unwrap();
        let database_url = format!("sqlite:{}/marketing.db", dir.path().display());
        marketing_worker::seed::load_url(&database_url, &SeedSet::shipped().unwrap())
            .await
            .unwrap();

        let since = std::time::SystemTime::now();
        let config = marketing_worker::Config::local(&server.address(), &database_url).unwrap();
        let worker = worker_thread::spawn(move |stop| marketing_worker::run(config, stop));
        // The probe's call has a deadline: the handler must be polling first.
        pollers::wait_for_poller(
            &connection,
            namespaces::MARKETING,
            task_queues::MARKETING_ABM,
            PollerKind::Nexus,
            since,
        )
        .await
        .unwrap();
        Self {
            server,
            database_url,
            _database_dir: dir,
            worker,
        }
    }

    /// Calls `checkAbmProgram` from a workflow in `caller_namespace`.
    pub async fn check_from(&self, caller_namespace: &str, input: serde_json::Value) -> ProbeRun {
        let request = ProbeRequest::new(
            endpoints::MARKETING_ABM,
            CHECK_ABM_PROGRAM.service,
            CHECK_ABM_PROGRAM.name,
            input,
        );
        self.call(caller_namespace, request).await
    }

    /// Calls `checkAbmProgram` from a workflow in `gtm`.
    pub async fn check(&self, input: serde_json::Value) -> ProbeRun {
        self.check_from(namespaces::GTM, input).await
    }

    pub async fn call(&self, caller_namespace: &str, request: ProbeRequest) -> ProbeRun {
        probe::run_probe(&self.server, caller_namespace, request)
            .await
            .unwrap()
    }

    /// Stops the worker gracefully and returns how its `run` ended.
    pub async fn stop_worker(&mut self) -> anyhow::Result<()> {
        self.worker.stop().await
    }
}
