//! Test harness: a dev server, seeded databases, and the real workers.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use devkit::dev_server::DevServer;
use devkit::nexus_endpoints;
use devkit::probe::unique_suffix;
use seed_data::model::SeedSet;
use shared_contracts::names::{ENDPOINTS, namespaces, task_queues, workflow_types};
use temporalio_client::{
    Client, ClientOptions, UntypedQuery, UntypedWorkflow, WorkflowFetchHistoryOptions,
    WorkflowGetResultOptions, WorkflowHandle, WorkflowQueryOptions, WorkflowStartOptions,
};
use temporalio_common::data_converters::RawValue;
use temporalio_common::protos::coresdk::AsJsonPayloadExt;
use temporalio_common::protos::temporal::api::history::v1::{History, HistoryEvent};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A dev server with both endpoints, seeded GTM and Marketing databases, and (unless
/// asked otherwise) the real marketing-worker.
pub struct System {
    pub server: DevServer,
    pub gtm_database_url: String,
    pub gtm: Client,
    _dir: tempfile::TempDir,
    marketing: Option<(oneshot::Sender<()>, JoinHandle<anyhow::Result<()>>)>,
}

impl System {
    pub async fn start() -> Self {
        Self::start_with(true).await
    }

    /// A system whose Marketing side is down: endpoints exist, nobody serves them.
    pub async fn start_without_marketing() -> Self {
        Self::start_with(false).await
    }

    async fn start_with(marketing: bool) -> Self {
        let server = DevServer::start_for_tests().await.unwrap();
        let connection = server.connect("system-tests").await.unwrap();
        nexus_endpoints::ensure(&connection, &ENDPOINTS)
            .await
            .unwrap();

        let dir = tempfile::tempdir().unwrap();
        let seed = SeedSet::shipped().unwrap();
        let gtm_database_url = format!("sqlite:{}/gtm.db", dir.path().display());
        let marketing_database_url = format!("sqlite:{}/marketing.db", dir.path().display());
        let gtm_pool = seed_data::db::connect(&gtm_database_url).await.unwrap();
        seed_data::load::load_gtm(&gtm_pool, &seed, chrono_now())
            .await
            .unwrap();
        gtm_pool.close().await;
        let marketing_pool = seed_data::db::connect(&marketing_database_url)
            .await
            .unwrap();
        seed_data::load::load_marketing(&marketing_pool, &seed)
            .await
            .unwrap();
        marketing_pool.close().await;

        let marketing = marketing.then(|| {
            let config =
                marketing_worker::Config::local(&server.address(), &marketing_database_url)
                    .unwrap();
            let (stop, stopped) = oneshot::channel::<()>();
            let worker = tokio::spawn(marketing_worker::run(config, async {
                let _ = stopped.await;
            }));
            (stop, worker)
        });
        let gtm = Client::new(connection, ClientOptions::new(namespaces::GTM).build()).unwrap();
        Self {
            server,
            gtm_database_url,
            gtm,
            _dir: dir,
            marketing,
        }
    }

    /// The GTM worker's configuration for this system.
    pub fn gtm_config(&self) -> gtm_worker::Config {
        gtm_worker::Config::local(&self.server.address(), &self.gtm_database_url).unwrap()
    }

    /// Runs `body` while a gtm-worker with `config` serves; stops it afterwards.
    pub async fn with_gtm_worker<T>(
        &self,
        config: gtm_worker::Config,
        body: impl Future<Output = T>,
    ) -> T {
        let (stop, stopped) = oneshot::channel::<()>();
        let worker = gtm_worker::run(config, async {
            let _ = stopped.await;
        });
        let body = async {
            let out = body.await;
            let _ = stop.send(());
            out
        };
        let (worker_result, out) = tokio::join!(worker, body);
        worker_result.unwrap();
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

    pub async fn stop_marketing(&mut self) {
        if let Some((stop, worker)) = self.marketing.take() {
            let _ = stop.send(());
            worker.await.unwrap().unwrap();
        }
    }
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

/// The `progress` query's answer.
pub async fn progress(handle: &WorkflowHandle<Client, UntypedWorkflow>) -> serde_json::Value {
    let raw = handle
        .query(
            UntypedQuery::<UntypedWorkflow>::new("progress"),
            RawValue::new(vec![]),
            WorkflowQueryOptions::default(),
        )
        .await
        .unwrap();
    serde_json::from_slice(&raw.payloads[0].data).unwrap()
}

pub async fn history(handle: &WorkflowHandle<Client, UntypedWorkflow>) -> Vec<HistoryEvent> {
    handle
        .fetch_history(WorkflowFetchHistoryOptions::default())
        .into_events()
        .await
        .unwrap()
}

/// With `RECORD_HISTORIES=1`, writes the history where the replay tests read it.
pub fn record_history(name: &str, events: &[HistoryEvent]) {
    if std::env::var_os("RECORD_HISTORIES").is_none() {
        return;
    }
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "gtm-worker",
        "tests",
        "histories",
    ]
    .iter()
    .collect::<PathBuf>()
    .join(format!("{name}.json"));
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

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}
