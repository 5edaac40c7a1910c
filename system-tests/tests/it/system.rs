//! Test harness: a dev server, seeded databases, and the real workers.

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use devkit::dev_server::DevServer;
use devkit::nexus_endpoints;
use devkit::pollers::{self, PollerKind};
use devkit::probe::unique_suffix;
use devkit::worker_thread::{self, BackgroundWorker};
use nexus_handler::{CallerPolicy, NexusWorker, NexusWorkerOptions};
use seed_data::model::SeedSet;
use shared_contracts::names::{namespaces, queries, task_queues, workflow_types};
use temporalio_client::errors::WorkflowStartError;
use temporalio_client::{
    Client, ClientOptions, UntypedQuery, UntypedWorkflow, WorkflowFetchHistoryOptions,
    WorkflowGetResultOptions, WorkflowHandle, WorkflowIdConflictPolicy, WorkflowIdReusePolicy,
    WorkflowQueryOptions, WorkflowStartOptions,
};
use temporalio_common::data_converters::RawValue;
use temporalio_common::protos::coresdk::AsJsonPayloadExt;
use temporalio_common::protos::temporal::api::history::v1::{History, HistoryEvent};
use tokio::sync::oneshot;

/// The deadline of a Nexus call whose answer a test needs (step 8, a health monitor's
/// views): one that no loaded machine misses. A test of a deadline sets a short one.
pub const ANSWER_DEADLINE: Duration = Duration::from_secs(60);

/// A dev server with both endpoints, seeded GTM and Marketing databases, and (unless
/// asked otherwise) the real marketing-worker.
pub struct System {
    pub server: DevServer,
    pub gtm_database_url: String,
    pub marketing_database_url: String,
    pub cs_database_url: String,
    /// A client in namespace `gtm`.
    pub gtm: Client,
    /// A client in namespace `marketing`.
    pub marketing: Client,
    /// A client in namespace `customer-success`.
    pub customer_success: Client,
    _dir: tempfile::TempDir,
    marketing_worker: Option<BackgroundWorker>,
}

impl System {
    pub async fn start() -> Self {
        Self::start_with(true, false).await
    }

    /// A system whose Marketing side is down: endpoints exist, nobody serves them.
    pub async fn start_without_marketing() -> Self {
        Self::start_with(false, false).await
    }

    /// [`System::start_without_marketing`] on a dev server that keeps its state in a
    /// file, so `server.restart()` keeps every run in flight.
    pub async fn start_persistent_without_marketing() -> Self {
        Self::start_with(false, true).await
    }

    async fn start_with(marketing: bool, persistent: bool) -> Self {
        let server = if persistent {
            DevServer::start_persistent_for_tests().await.unwrap()
        } else {
            DevServer::start_for_tests().await.unwrap()
        };
        let connection = server.connect("system-tests").await.unwrap();
        nexus_endpoints::ensure(&connection, &shared_contracts::teams::endpoint_specs())
            .await
            .unwrap();

        let dir = tempfile::tempdir().unwrap();
        let seed = SeedSet::shipped().unwrap();
        let gtm_database_url = format!("sqlite:{}/gtm.db", dir.path().display());
        let marketing_database_url = format!("sqlite:{}/marketing.db", dir.path().display());
        let cs_database_url = format!("sqlite:{}/customer-success.db", dir.path().display());
        gtm_worker::seed::load_url(&gtm_database_url, &seed, chrono::Utc::now())
            .await
            .unwrap();
        marketing_worker::seed::load_url(&marketing_database_url, &seed)
            .await
            .unwrap();
        customer_success_worker::seed::load_url(&cs_database_url, &seed, chrono::Utc::now())
            .await
            .unwrap();

        let since = SystemTime::now();
        let marketing_worker = marketing.then(|| {
            let config =
                marketing_worker::Config::local(&server.address(), &marketing_database_url)
                    .unwrap();
            // On a thread of its own, so the test's task stays free to run the
            // gtm-worker ([`System::with_gtm_worker`]).
            worker_thread::spawn(move |stop| marketing_worker::run(config, stop))
        });
        if marketing_worker.is_some() {
            // A run reaches step 8 within milliseconds: Marketing answers it only if its
            // handler already polls.
            wait_until_polling(
                &connection,
                namespaces::MARKETING,
                task_queues::MARKETING_ABM,
                since,
            )
            .await
            .unwrap();
        }
        // As the workers' clients: a start continues the caller's current trace.
        let gtm = Client::new(
            connection.clone(),
            ClientOptions::new(namespaces::GTM)
                .plugin(service_kit::trace::temporal_plugin())
                .build(),
        )
        .unwrap();
        let marketing = Client::new(
            connection.clone(),
            ClientOptions::new(namespaces::MARKETING).build(),
        )
        .unwrap();
        let customer_success = Client::new(
            connection,
            ClientOptions::new(namespaces::CUSTOMER_SUCCESS).build(),
        )
        .unwrap();
        Self {
            server,
            gtm_database_url,
            marketing_database_url,
            cs_database_url,
            gtm,
            marketing,
            customer_success,
            _dir: dir,
            marketing_worker,
        }
    }

    /// A folder that lives as long as the system (databases, worker logs).
    pub fn scratch(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// The GTM worker's configuration for this system, with step 8's deadline at
    /// [`ANSWER_DEADLINE`].
    pub fn gtm_config(&self) -> gtm_worker::Config {
        let mut config =
            gtm_worker::Config::local(&self.server.address(), &self.gtm_database_url).unwrap();
        config.abm_timeout = ANSWER_DEADLINE;
        config
    }

    /// Runs `body` while a gtm-worker with `config` serves, from the moment the server
    /// lists its pollers; stops it afterwards.
    pub async fn with_gtm_worker<T>(
        &self,
        config: gtm_worker::Config,
        body: impl Future<Output = T>,
    ) -> T {
        let since = SystemTime::now();
        let (stop, stopped) = oneshot::channel::<()>();
        let worker = gtm_worker::run(config, async {
            let _ = stopped.await;
        });
        let body = async {
            wait_until_polling(
                self.gtm.connection(),
                namespaces::GTM,
                task_queues::GTM_COORDINATOR,
                since,
            )
            .await
            .unwrap();
            let out = body.await;
            let _ = stop.send(());
            out
        };
        let (worker_result, out) = tokio::join!(worker, body);
        worker_result.unwrap();
        out
    }

    /// Runs `body` while only GTM's Nexus handler serves the `gtm-coordinator` endpoint
    /// (the same operations gtm-worker serves) and no worker runs GTM's workflows:
    /// coordinators started through Nexus wait, in flight, until a gtm-worker runs.
    pub async fn with_gtm_nexus_handler_only<T>(&self, body: impl Future<Output = T>) -> T {
        let connection = self.server.connect("gtm-nexus-only").await.unwrap();
        let options = NexusWorkerOptions::new(
            namespaces::GTM,
            task_queues::GTM_COORDINATOR,
            CallerPolicy::allow_namespaces([namespaces::MARKETING]),
            "gtm-nexus-only",
        );
        let store = gtm_worker::store::GtmStore::open(&self.gtm_database_url)
            .await
            .unwrap();
        let services = gtm_worker::nexus::services(task_queues::GTM_COORDINATOR, store);
        let handler = NexusWorker::new(connection, options, services)
            .await
            .unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let handler = tokio::spawn(handler.run(async {
            let _ = stopped.await;
        }));
        let out = body.await;
        let _ = stop.send(());
        handler.await.unwrap().unwrap();
        out
    }

    /// Starts a coordinator with `input` (raw JSON, as any caller would send it).
    pub async fn start_coordinator(
        &self,
        input: serde_json::Value,
    ) -> WorkflowHandle<Client, UntypedWorkflow> {
        let account = input["accountId"].as_str().unwrap_or("invalid").to_owned();
        let workflow_id = format!("drew-{}-{}", sanitize(&account), unique_suffix());
        self.gtm
            .start_workflow(
                UntypedWorkflow::new(workflow_types::DREW_COORDINATOR),
                RawValue::new(vec![input.as_json_payload().unwrap()]),
                WorkflowStartOptions::new(task_queues::GTM_COORDINATOR, workflow_id).build(),
            )
            .await
            .unwrap()
    }

    /// Starts a `CampaignLaunch` as `workflow_id` with `input` (raw JSON). The launch
    /// id is the idempotency key: a second start of the same id is refused, whether the
    /// first run is still going or has closed.
    pub async fn start_launch(
        &self,
        workflow_id: &str,
        input: serde_json::Value,
    ) -> Result<WorkflowHandle<Client, UntypedWorkflow>, WorkflowStartError> {
        self.start_launch_with(workflow_id, input, WorkflowIdConflictPolicy::Fail)
            .await
    }

    /// [`System::start_launch`] with a chosen policy for a launch already running.
    pub async fn start_launch_with(
        &self,
        workflow_id: &str,
        input: serde_json::Value,
        if_running: WorkflowIdConflictPolicy,
    ) -> Result<WorkflowHandle<Client, UntypedWorkflow>, WorkflowStartError> {
        self.marketing
            .start_workflow(
                UntypedWorkflow::new(workflow_types::CAMPAIGN_LAUNCH),
                RawValue::new(vec![input.as_json_payload().unwrap()]),
                WorkflowStartOptions::new(task_queues::MARKETING_ABM, workflow_id)
                    .id_reuse_policy(WorkflowIdReusePolicy::RejectDuplicate)
                    .id_conflict_policy(if_running)
                    .build(),
            )
            .await
    }

    /// Serves the dashboard on a free loopback port, over this system's Temporal and
    /// GTM database, until the returned handle is dropped.
    pub async fn start_web(&self) -> WebHandle {
        self.start_web_with(|_| {}).await
    }

    /// [`System::start_web`], with `adjust` applied to its configuration first.
    pub async fn start_web_with(&self, adjust: impl FnOnce(&mut web::Config)) -> WebHandle {
        let mut config =
            web::Config::local(&self.server.address(), &self.gtm_database_url).unwrap();
        config.marketing_database_url = self.marketing_database_url.clone();
        config.cs_database_url = self.cs_database_url.clone();
        adjust(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(web::serve(config, listener, async {
            let _ = stopped.await;
        }));
        WebHandle { base, _stop: stop }
    }

    /// Runs a customer-success-worker on a thread of its own, with its configuration
    /// for this system (each view's deadline at [`ANSWER_DEADLINE`]) adjusted by
    /// `adjust`, from the moment the server lists its pollers until the returned worker
    /// is stopped.
    pub async fn start_cs_worker(
        &self,
        adjust: impl FnOnce(&mut customer_success_worker::Config),
    ) -> BackgroundWorker {
        let mut config =
            customer_success_worker::Config::local(&self.server.address(), &self.cs_database_url)
                .unwrap();
        config.view_timeout = ANSWER_DEADLINE;
        adjust(&mut config);
        let since = SystemTime::now();
        let worker = worker_thread::spawn(move |stop| customer_success_worker::run(config, stop));
        wait_until_polling(
            self.customer_success.connection(),
            namespaces::CUSTOMER_SUCCESS,
            task_queues::CS_HEALTH,
            since,
        )
        .await
        .unwrap();
        worker
    }

    /// Starts the health monitor of `account` (`health-<account>`), checking every
    /// `interval_secs` and continuing as new every `cycles_per_run` checks.
    pub async fn start_monitor(
        &self,
        account: &str,
        interval_secs: u64,
        cycles_per_run: u32,
    ) -> WorkflowHandle<Client, UntypedWorkflow> {
        let input = serde_json::json!({
            "accountId": account,
            "intervalSecs": interval_secs,
            "cyclesPerRun": cycles_per_run,
        });
        self.customer_success
            .start_workflow(
                UntypedWorkflow::new(workflow_types::ACCOUNT_HEALTH_MONITOR),
                RawValue::new(vec![input.as_json_payload().unwrap()]),
                WorkflowStartOptions::new(task_queues::CS_HEALTH, format!("health-{account}"))
                    .build(),
            )
            .await
            .unwrap()
    }

    /// The health snapshots Customer Success stored for `account`: (check, JSON).
    pub async fn cs_snapshots(&self, account: &str) -> Vec<(u64, serde_json::Value)> {
        let pool = service_kit::db::connect(&self.cs_database_url)
            .await
            .unwrap();
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT cycle, snapshot FROM health_snapshots WHERE account_id = $1 ORDER BY cycle",
        )
        .bind(account)
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        rows.into_iter()
            .map(|(cycle, json)| (cycle as u64, serde_json::from_str(&json).unwrap()))
            .collect()
    }

    /// Stops the marketing-worker gracefully; it must stop cleanly.
    pub async fn stop_marketing(&mut self) {
        if let Some(mut worker) = self.marketing_worker.take() {
            worker.stop().await.unwrap();
        }
    }
}

/// A running dashboard; dropping it stops the server.
pub struct WebHandle {
    base: String,
    _stop: oneshot::Sender<()>,
}

impl WebHandle {
    /// The server's `host:port`.
    pub fn address(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Waits until a worker started at `since` polls `task_queue` for workflow and Nexus
/// tasks.
pub async fn wait_until_polling(
    connection: &temporalio_client::Connection,
    namespace: &str,
    task_queue: &str,
    since: SystemTime,
) -> anyhow::Result<()> {
    for kind in [PollerKind::Workflow, PollerKind::Nexus] {
        pollers::wait_for_poller(connection, namespace, task_queue, kind, since).await?;
    }
    Ok(())
}

/// The run's result: the brief as JSON, or the failure's message chain.
pub async fn result(
    handle: &WorkflowHandle<Client, UntypedWorkflow>,
) -> Result<serde_json::Value, String> {
    let outcome = tokio::time::timeout(
        Duration::from_secs(120),
        handle.get_result(WorkflowGetResultOptions::default()),
    )
    .await
    .expect("the run ends within two minutes");
    match outcome {
        Ok(raw) => Ok(serde_json::from_slice(&raw.payloads[0].data).unwrap()),
        Err(err) => {
            let mut messages = vec![err.to_string()];
            if let temporalio_client::errors::WorkflowGetResultError::Failed(failure) = &err {
                let mut current = Some(failure.failure());
                while let Some(failure) = current {
                    messages.push(failure.message.clone());
                    current = failure.cause.as_deref();
                }
            }
            Err(messages.join(" <- "))
        }
    }
}

/// Polls the dashboard's `path` until its body satisfies `shows`; returns that body.
/// Fails the test after a minute.
pub async fn wait_for_page(address: &str, path: &str, shows: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = crate::observability::http_get(address, path).await;
        if status == 200 && shows(&body) {
            return body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {path} to show what was expected; last ({status}): {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Polls `check` every 200 ms until it holds; fails the test after two minutes.
pub async fn wait_until<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while !check().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// How many briefs the GTM database holds for each workflow id.
pub async fn briefs_per_workflow(system: &System) -> std::collections::BTreeMap<String, i64> {
    let pool = service_kit::db::connect(&system.gtm_database_url)
        .await
        .unwrap();
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT workflow_id, COUNT(*) FROM coordinator_briefs GROUP BY workflow_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    rows.into_iter().collect()
}

/// The coordinator's `progress` query answer.
pub async fn progress(handle: &WorkflowHandle<Client, UntypedWorkflow>) -> serde_json::Value {
    query(handle, queries::PROGRESS).await.unwrap()
}

/// A launch's `launchProgress` query answer.
pub async fn launch_progress(
    handle: &WorkflowHandle<Client, UntypedWorkflow>,
) -> serde_json::Value {
    query(handle, queries::LAUNCH_PROGRESS).await.unwrap()
}

/// A query's answer; an error when the workflow cannot answer yet (a run whose first
/// workflow task has not completed) or at all.
pub async fn query(
    handle: &WorkflowHandle<Client, UntypedWorkflow>,
    name: &str,
) -> anyhow::Result<serde_json::Value> {
    let raw = handle
        .query(
            UntypedQuery::<UntypedWorkflow>::new(name),
            RawValue::new(vec![]),
            WorkflowQueryOptions::default(),
        )
        .await?;
    let payload = raw
        .payloads
        .first()
        .ok_or_else(|| anyhow::anyhow!("query {name} answered nothing"))?;
    Ok(serde_json::from_slice(&payload.data)?)
}

pub async fn history(handle: &WorkflowHandle<Client, UntypedWorkflow>) -> Vec<HistoryEvent> {
    handle
        .fetch_history(WorkflowFetchHistoryOptions::default())
        .into_events()
        .await
        .unwrap()
}

/// With `RECORD_HISTORIES=1`, writes a coordinator history where gtm-worker's replay
/// tests read it.
pub fn record_history(name: &str, events: &[HistoryEvent]) {
    record_history_for("gtm-worker", name, events);
}

/// With `RECORD_HISTORIES=1`, writes a health monitor history where
/// customer-success-worker's replay tests read it.
pub fn record_health_history(name: &str, events: &[HistoryEvent]) {
    record_history_for("customer-success-worker", name, events);
}

/// With `RECORD_HISTORIES=1`, writes a campaign launch history where marketing-worker's
/// replay tests read it.
pub fn record_launch_history(name: &str, events: &[HistoryEvent]) {
    record_history_for("marketing-worker", name, events);
}

/// Histories are a corpus that only grows: a recording is added as `{name}.json`, or
/// `{name}-2.json`, `-3`, ... when that name is taken, and skipped when a history with
/// the same sequence of event types is already there (re-recording unchanged code adds
/// nothing). Old files are never overwritten: they must keep replaying.
fn record_history_for(worker_crate: &str, name: &str, events: &[HistoryEvent]) {
    if std::env::var_os("RECORD_HISTORIES").is_none() {
        return;
    }
    let folder: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        worker_crate,
        "tests",
        "histories",
    ]
    .iter()
    .collect();
    std::fs::create_dir_all(&folder).unwrap();
    let shape = |events: &[HistoryEvent]| -> Vec<i32> {
        events.iter().map(|event| event.event_type).collect()
    };
    let mut candidates = (1..).map(|n| match n {
        1 => folder.join(format!("{name}.json")),
        n => folder.join(format!("{name}-{n}.json")),
    });
    let path = loop {
        let path = candidates.next().unwrap();
        match std::fs::read(&path) {
            Err(_) => break path,
            Ok(bytes) => {
                let recorded: History = serde_json::from_slice(&bytes).unwrap();
                if shape(&recorded.events) == shape(events) {
                    eprintln!("{} already has this shape: not recorded", path.display());
                    return;
                }
            }
        }
    };
    let history = History {
        events: events.to_vec(),
    };
    let mut json = serde_json::to_string_pretty(&history).unwrap();
    json.push('\n');
    std::fs::write(&path, json).unwrap();
    eprintln!("recorded {}", path.display());
}

fn sanitize(account: &str) -> String {
    account
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(40)
        .collect()
}
