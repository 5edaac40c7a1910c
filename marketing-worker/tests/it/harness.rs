use devkit::dev_server::DevServer;
use devkit::nexus_endpoints;
use devkit::probe::{self, ProbeRequest, ProbeRun};
use seed_data::model::SeedSet;
use shared_contracts::names::{ENDPOINTS, endpoints, namespaces};
use shared_contracts::operation::CHECK_ABM_PROGRAM;
use tokio::sync::oneshot;

/// A dev server with both endpoints, a seeded Marketing database, and the real
/// marketing-worker serving them.
pub struct MarketingStack {
    pub server: DevServer,
    pub database_url: String,
    _database_dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    worker: Option<oneshot::Receiver<anyhow::Result<()>>>,
}

impl MarketingStack {
    pub async fn start() -> Self {
        let server = DevServer::start_for_tests().await.unwrap();
        let connection = server.connect("marketing-it").await.unwrap();
        nexus_endpoints::ensure(&connection, &ENDPOINTS)
            .await
            .unwrap();

        let dir = tempfile::tempdir().unwrap();
        let database_url = format!("sqlite:{}/marketing.db", dir.path().display());
        let pool = seed_data::db::connect(&database_url).await.unwrap();
        seed_data::load::load_marketing(&pool, &SeedSet::shipped().unwrap())
            .await
            .unwrap();
        pool.close().await;

        let config = marketing_worker::Config::local(&server.address(), &database_url).unwrap();
        let (stop, worker) = run_on_own_thread(config);
        Self {
            server,
            database_url,
            _database_dir: dir,
            stop: Some(stop),
            worker: Some(worker),
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
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.worker.take() {
            Some(worker) => worker.await?,
            None => Ok(()),
        }
    }
}

/// Runs marketing-worker on a thread with a runtime of its own, as a separate process
/// would run it: its future is not `Send` (the SDK worker drives workflows on a local
/// task set), so it cannot be spawned onto the test's runtime. Returns the stop switch
/// and how `run` ended; dropping the switch stops the worker too.
fn run_on_own_thread(
    config: marketing_worker::Config,
) -> (oneshot::Sender<()>, oneshot::Receiver<anyhow::Result<()>>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let (report, ended) = oneshot::channel();
    std::thread::spawn(move || {
        let result = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| {
                runtime.block_on(marketing_worker::run(config, async {
                    let _ = stopped.await;
                }))
            });
        let _ = report.send(result);
    });
    (stop, ended)
}
